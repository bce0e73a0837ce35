"""Train one class's GAN on that class's real images, all in memory, batches by index slicing."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from synthmix.core.images import to_model, to_uint8
from synthmix.core.resume import Resume
from synthmix.core.runtime import autocast, maybe_compile
from synthmix.core.runtime import generator as make_generator
from synthmix.gan.diffaugment import diff_augment, parse_policy
from synthmix.gan.ema import EMA
from synthmix.gan.losses import get_loss, gradient_penalty
from synthmix.models.gan import Discriminator, GanConfig, Generator
from synthmix.params import GanParams

LogFn = Callable[[int, dict[str, float]], None]
logger = logging.getLogger(__name__)


def model_config(p: GanParams, image_size: int, channels: int) -> GanConfig:
    return GanConfig(image_size=image_size, channels=channels, z_dim=p.z_dim,
                     g_width=p.g_width, d_width=p.d_width, d_norm=get_loss(p.family).d_norm)


class IndexSampler:
    """Endless index batches: a fresh permutation each epoch, sliced; the last short slice is dropped.

    Its position can be saved and restored, so a resumed run draws exactly the batches an
    uninterrupted run would have drawn.
    """

    def __init__(self, n: int, batch_size: int, gen: torch.Generator, device: torch.device):
        self.n, self.batch_size, self.gen, self.device = n, batch_size, gen, device
        self.perm: torch.Tensor | None = None
        self.pos = 0

    def next(self) -> torch.Tensor:
        if self.perm is None or self.pos + self.batch_size > self.n:
            self.perm = torch.randperm(self.n, generator=self.gen, device=self.device)
            self.pos = 0
        idx = self.perm[self.pos:self.pos + self.batch_size]
        self.pos += self.batch_size
        return idx

    def state_dict(self) -> dict:
        empty = torch.zeros(0, dtype=torch.long)
        return {"perm": empty if self.perm is None else self.perm.cpu(), "pos": self.pos}

    def load_state_dict(self, state: dict) -> None:
        self.perm = state["perm"].to(self.device) if state["perm"].numel() else None
        self.pos = int(state["pos"])


class DivergenceError(RuntimeError):
    """Training produced NaN/inf or exploding losses; names the class and the step."""


@dataclass
class GanResult:
    G: Generator            # the model to sample from: the chosen snapshot (EMA weights when on)
    D: Discriminator        # the discriminator at the end of training (for refinement)
    cfg: GanConfig
    info: dict              # chosen_step, best_score, scores [[step, score]], diverged_at


ScoreFn = Callable[[Generator], float]        # lower is better (Fréchet distance)
FeatureFn = Callable[[torch.Tensor], torch.Tensor]


def _snapshot(model: torch.nn.Module) -> dict:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def warm_up(G: Generator, opt: torch.optim.Optimizer, x: torch.Tensor, features: FeatureFn, steps: int,
            batch_size: int, gen: torch.Generator) -> list[float]:
    """Pre-train G so the mean and spread of features(G(z)) match those of the real class.

    A perceptual moment-matching loss under a fixed network (the judge, trained on real data
    only); it gives G a start near the class before the adversarial game begins.
    """
    with torch.no_grad():
        real = features(x)
        mu, sd = real.mean(0), real.std(0)
    losses = []
    for _ in range(steps):
        z = torch.randn(batch_size, G.z_dim, generator=gen, device=x.device)
        f = features(G(z))
        loss = F.mse_loss(f.mean(0), mu) + F.mse_loss(f.std(0), sd)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.detach())
    return torch.stack(losses).tolist() if losses else []


def train_gan(images: np.ndarray, p: GanParams, seed: int, device: torch.device,
              log: LogFn | None = None, resume: Resume | None = None, amp: bool = False,
              compile: bool = False, score: ScoreFn | None = None, features: FeatureFn | None = None,
              init: dict | None = None, name: str = "") -> GanResult:
    """Train a GAN on uint8 (N, H, W, C) images of one class.

    - `p.family` picks the loss (and D's normalisation); `p.diffaugment` augments every image D sees;
      `p.ema_decay` keeps an EMA of G's weights, which is what is sampled and scored.
    - `score(G)` (lower is better) is called every `p.eval_every` steps and at the end; the best
      snapshot is returned. Without it, the last one is.
    - `features` (the judge's embedding) drives `p.warmup_steps` of generator warm-up.
    - `init` ({"G": ..., "D": ...} state dicts) continues from trained weights (refinement).
    - `resume`: the full state is saved every `resume.every` steps and a run continues from it, to
      the same result as an uninterrupted run.
    - divergence (NaN/inf, or |D loss| > p.max_d_loss at a log step): `p.on_divergence` = "stop"
      raises DivergenceError naming `name` and the step; "restore" ends training with the best
      snapshot so far.
    """
    n, size, _, channels = images.shape
    if n < 2:
        raise ValueError(f"{n} real image(s): a GAN needs at least 2 to train on")
    batch_size = min(p.batch_size, n)  # a minority class (data.per_class mapping) may hold fewer
    loss = get_loss(p.family)
    torch.manual_seed(seed)  # module initialisation
    cfg = model_config(p, size, channels)
    # channels_last + fused Adam: faster steps on CPU (benchmarks/gan_throughput.py)
    G = Generator(cfg).to(device, memory_format=torch.channels_last)
    D = Discriminator(cfg).to(device, memory_format=torch.channels_last)
    if init is not None:
        G.load_state_dict(init["G"])
        D.load_state_dict(init["D"])
    opt_g = torch.optim.Adam(G.parameters(), lr=p.lr_g, betas=(p.beta1, p.beta2), fused=True)
    opt_d = torch.optim.Adam(D.parameters(), lr=p.lr_d, betas=(p.beta1, p.beta2), fused=True)
    x = to_model(images, device, channels_last=True)    # (N, C, S, S) in [-1, 1], converted once
    gen = make_generator(seed, device)
    sampler = IndexSampler(n, batch_size, gen, device)
    policy = parse_policy(p.diffaugment)
    aug = (lambda t: diff_augment(t, policy, gen)) if policy else (lambda t: t)  # noqa: E731
    # Losses stay on the device and are summed; .item() once per log interval avoids a sync per step.
    sums = torch.zeros(4, device=device)
    history: list = []                                  # [step, values] rows, replayed on resume
    scores: list = []                                   # [step, score]
    best: dict = {"score": float("inf"), "step": 0, "state": None}
    start = 0

    state = resume.load() if resume is not None else None
    if state is None and p.warmup_steps:
        if features is None:
            raise ValueError("gan.warmup_steps > 0 needs a feature network (the judge)")
        warm = warm_up(G, opt_g, x, features, p.warmup_steps, batch_size, gen)
        logger.info("%s: warm-up %d steps, feature loss %.4f -> %.4f", name, p.warmup_steps, warm[0], warm[-1])
    ema = EMA(G, p.ema_decay) if p.ema_decay > 0 else None
    sampled = ema.shadow if ema is not None else G      # what is scored and returned
    if state is not None:
        G.load_state_dict(state["G"])
        D.load_state_dict(state["D"])
        opt_g.load_state_dict(state["opt_g"])
        opt_d.load_state_dict(state["opt_d"])
        if ema is not None:
            ema.shadow.load_state_dict(state["ema"])
        gen.set_state(state["gen"])
        sampler.load_state_dict(state["sampler"])
        sums = state["sums"].to(device)
        start, history, scores = int(state["step"]), state["history"], state["scores"]
        best = state["best"]
        for step, values in history:
            if log is not None:
                log(step, values)
        logger.info("resumed from step %d of %d (%s)", start, p.steps, resume.path)

    def recalibrate(step: int) -> None:
        # BN statistics for the averaged weights, from latents of their own generator (so the
        # training random stream, and a resumed run, are unaffected)
        if ema is not None:
            g = make_generator(seed + 7919 * step, device)
            ema.recalibrate([torch.randn(64, p.z_dim, generator=g, device=device) for _ in range(4)])

    def evaluate(step: int) -> None:
        if score is None:
            return
        recalibrate(step)
        was_training = sampled.training
        value = float(score(sampled))
        sampled.train(was_training)                      # sampling switched it to eval mode
        scores.append([step, value])
        if value < best["score"]:
            best.update(score=value, step=step, state=_snapshot(sampled))

    diverged_at = None
    G_run, D_run = maybe_compile(G, compile), maybe_compile(D, compile)
    for step in range(start + 1, p.steps + 1):
        # (1) update D (n_critic times): on augmented real and fake images; fake detached so G gets
        # no gradient here
        for _ in range(p.n_critic):
            real = x[sampler.next()]                    # (B, C, S, S)
            z = torch.randn(batch_size, p.z_dim, generator=gen, device=device)
            with autocast(device, amp):
                fake = G_run(z)
                real_in, fake_in = aug(real), aug(fake.detach())
                real_out, fake_out = D_run(real_in).float(), D_run(fake_in).float()
                loss_d = loss.d(real_out, fake_out)
                if loss.gradient_penalty and p.gp_lambda > 0:
                    loss_d = loss_d + p.gp_lambda * gradient_penalty(D_run, real_in, fake_in, gen)
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()

        # (2) update G through the just-updated D (non-saturating for dcgan, -C(G(z)) for wgan_gp)
        with autocast(device, amp):
            loss_g = loss.g(D_run(aug(fake)).float())
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        if ema is not None:
            ema.update(G, step)

        with torch.no_grad():
            d_real, d_fake = (real_out.sigmoid(), fake_out.sigmoid()) if loss.probabilities else (real_out, fake_out)
            sums += torch.stack([loss_d.detach(), loss_g.detach(), d_real.mean(), d_fake.mean()])
        if step % p.log_every == 0 or step == p.steps:
            k = step % p.log_every or p.log_every
            ld, lg, dx, dgz = (sums / k).tolist()
            if not (np.isfinite([ld, lg]).all() and abs(ld) <= p.max_d_loss):
                what = f"{name + ': ' if name else ''}GAN diverged at step {step} (loss_d={ld:.4g}, loss_g={lg:.4g})"
                if p.on_divergence == "stop" or best["state"] is None:
                    raise DivergenceError(what + ("; no good snapshot to restore yet" if p.on_divergence == "restore"
                                                  else "; lower the learning rates, or set gan.on_divergence: restore"))
                logger.warning("%s; restoring the best snapshot (step %d) and ending training", what, best["step"])
                diverged_at = step
                break
            values = {"loss_d": ld, "loss_g": lg, "d_real": dx, "d_fake": dgz}
            history.append([step, values])
            if log is not None:
                log(step, values)
            sums.zero_()
        if p.eval_every and (step % p.eval_every == 0 or step == p.steps):
            evaluate(step)
        if resume is not None and resume.due(step, p.steps):
            resume.save({"step": step, "G": G.state_dict(), "D": D.state_dict(), "opt_g": opt_g.state_dict(),
                         "opt_d": opt_d.state_dict(), "gen": gen.get_state(), "sampler": sampler.state_dict(),
                         "sums": sums.cpu(), "history": history, "scores": scores, "best": best,
                         "ema": ema.shadow.state_dict() if ema is not None else {}})
    if best["state"] is not None and (diverged_at is not None or p.eval_every):
        sampled.load_state_dict(best["state"])
        chosen = best["step"]
    else:
        chosen = p.steps
        recalibrate(p.steps)
    info = {"chosen_step": chosen, "best_score": best["score"] if best["state"] is not None else None,
            "scores": scores, "diverged_at": diverged_at}
    return GanResult(sampled.eval(), D.eval(), cfg, info)


@torch.no_grad()
def sample(G: Generator, n: int, seed: int, device: torch.device, batch_size: int = 1024) -> np.ndarray:
    """n uint8 (N, H, W, C) images from G, deterministic given the seed and independent of batch_size."""
    G.eval()
    gen = make_generator(seed, device)
    # Draw all latents first so the images do not depend on how they are batched.
    z = torch.randn(n, G.z_dim, generator=gen, device=device)
    return np.concatenate([to_uint8(G(z[i:i + batch_size])) for i in range(0, n, batch_size)])


def load_generator(ckpt: dict, device: torch.device) -> Generator:
    """Rebuild the generator from a checkpoint: its config is stored with its weights."""
    G = Generator(GanConfig(**ckpt["config"]))
    G.load_state_dict(ckpt["model"])
    return G.to(device).eval()
