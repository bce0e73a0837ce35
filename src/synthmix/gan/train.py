"""Train one class's GAN on that class's real images, all in memory, batches by index slicing.

One training step, in the order it runs (`train_gan`):
  (1) D step, `gan.n_critic` times: D sees augmented real images and augmented fakes, the fakes
      detached so that this step gives G no gradient; the loss is the family's D loss plus the
      gradient penalty (wgan_gp) and the LeCam term (gan.lecam > 0).
  (2) G step: the same fakes through the just-updated D, the family's G loss.
Then the EMA of G's weights (the identity when gan.ema_decay is 0) is updated; it is what is
sampled, scored and saved. Every `gan.eval_every` steps a `SnapshotSelector` takes a snapshot of
it: scores it and keeps the best (run.score), or keeps every one for a later choice
(run.keep_snapshots: the pipeline's train_gan stage, whose snapshots the refine stage scores with
the judge). `GanTraining` holds everything a step changes and saves and restores itself, so a
killed run resumes to the same bytes as an uninterrupted one. Where a training runs and what it
reports to is the `Runtime` every training function takes; what the run does besides its params
(resume, snapshot choice, starting weights) is its `GanRun`.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from synthmix.core.batches import IndexSampler
from synthmix.core.images import to_model
from synthmix.core.optim import Adam
from synthmix.core.progress import progress
from synthmix.core.resume import Resume
from synthmix.core.runtime import LogFn, Runtime, autocast, maybe_compile
from synthmix.core.runtime import generator as make_generator
from synthmix.core.seeds import seed_for
from synthmix.gan.diffaugment import augmenter
from synthmix.gan.ema import make_ema
from synthmix.gan.losses import GanLoss, LeCam, get_loss, gradient_penalty
from synthmix.gan.select import ScoreFn, SnapshotSelector
from synthmix.models.gan import Discriminator, GanConfig, Generator
from synthmix.params import GanParams

FeatureFn = Callable[[torch.Tensor], torch.Tensor]
logger = logging.getLogger(__name__)


def class_seed(gan_seed: int, class_name: str) -> int:
    """The training seed of a class's GAN of GAN seed `gan_seed` (train_gan), from which the refine
    stage also derives the latents it scores that GAN's snapshots with (synth.choose)."""
    return seed_for(gan_seed, "gan", class_name)


def base_seed(gan_seed: int) -> int:
    """The training seed of GAN seed `gan_seed`'s shared base GAN (stage train_gan_base)."""
    return seed_for(gan_seed, "gan_base")


def base_params(p: GanParams) -> GanParams:
    """What the base GAN trains with: p.base_steps steps and no snapshots (every class starts from
    its last weights, the EMA's when on); every other key as the classes train. Without snapshots
    gan.on_divergence 'restore' has nothing to restore: a diverged base stops with an error."""
    return replace(p, steps=p.base_steps, eval_every=0)


def base_init(ckpt: dict) -> dict:
    """GanRun.init from a base checkpoint: its generator (the sampled, EMA, weights) and discriminator."""
    return {"G": ckpt["model"], "D": ckpt["discriminator"]}


def model_config(p: GanParams, image_size: int, channels: int) -> GanConfig:
    return GanConfig(image_size=image_size, channels=channels, z_dim=p.z_dim,
                     g_width=p.g_width, d_width=p.d_width, d_norm=get_loss(p.family).d_norm)


class DivergenceError(RuntimeError):
    """Training produced NaN/inf or exploding losses; names the class and the step."""


@dataclass(frozen=True)
class GanRun:
    """What a training run does besides its data, params and seed: where it resumes from, how it
    chooses its snapshot, what weights it starts from. (Where it runs and what it logs to, rt.log
    getting {"loss_d", "loss_g", "d_real", "d_fake"}, is the `Runtime`.)"""
    resume: Resume | None = None        # periodic full state, and the state to continue from
    score: ScoreFn | None = None        # lower is better: chooses the snapshot that is returned
    keep_snapshots: bool = False        # keep every snapshot (info["snapshots"]) for a later choice
    features: FeatureFn | None = None   # gan.warmup_steps' feature network; None: `random_features`
    init: dict | None = None            # {"G": ..., "D": ...} state dicts to continue from (a base GAN, refinement);
                                        # gan.warmup_steps still runs from them (refinement passes 0)
    freeze_d_blocks: int = 0            # D's first blocks keep init's weights (FreezeD fine-tuning from a base)
    name: str = ""                      # for messages, e.g. "class '3'"


@dataclass
class GanResult:
    G: Generator            # the model to sample from: the chosen snapshot (EMA weights when on)
    D: Discriminator        # the discriminator at the end of training (for refinement)
    cfg: GanConfig
    info: dict              # chosen_step, best_score, scores [[step, score]], diverged_at, snapshots


class GanTraining:
    """Models, optimisers, random stream, batch position, EMA, LeCam anchors, loss sums, history and
    the snapshot selector: what one run changes, saved and restored as one dict."""

    def __init__(self, p: GanParams, cfg: GanConfig, seed: int, n: int, device: torch.device, run: GanRun):
        self.device = device
        self.cfg = cfg
        torch.manual_seed(seed)  # module initialisation
        # channels_last: faster steps on CPU (benchmarks/gan_throughput.py)
        self.G = Generator(cfg).to(device, memory_format=torch.channels_last)
        self.D = Discriminator(cfg).to(device, memory_format=torch.channels_last)
        if run.init is not None:
            self.G.load_state_dict(run.init["G"])
            self.D.load_state_dict(run.init["D"])
        if run.freeze_d_blocks:                 # before the optimizer: it steps only what requires a gradient
            if run.init is None:
                raise ValueError("freezing discriminator blocks keeps weights a base trained: it needs run.init")
            self.D.freeze_blocks(run.freeze_d_blocks)
        self.opt_g = Adam(self.G.parameters(), lr=p.lr_g, betas=(p.beta1, p.beta2))
        self.opt_d = Adam(self.D.parameters(), lr=p.lr_d, betas=(p.beta1, p.beta2))
        self.gen = make_generator(seed, device)
        self.sampler = IndexSampler(n, min(p.batch_size, n), self.gen, device)
        self.ema = make_ema(self.G, 0.0)        # replaced by `start_ema` once warm-up is done
        self.lecam = LeCam() if p.lecam > 0 else None
        # Losses stay on the device and are summed; .item() once per log interval avoids a sync per step.
        self.sums = torch.zeros(4, device=device)
        self.history: list = []                 # [step, values] rows, replayed to the logger on resume
        self.selector = SnapshotSelector(run.score, keep_all=run.keep_snapshots)
        self.step = 0

    def start_ema(self, decay: float) -> None:
        self.ema = make_ema(self.G, decay)

    def state_dict(self) -> dict:
        return {"step": self.step, "G": self.G.state_dict(), "D": self.D.state_dict(),
                "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(), "gen": self.gen.get_state(),
                "sampler": self.sampler.state_dict(), "sums": self.sums.cpu(), "history": self.history,
                "selector": self.selector.state_dict(), "ema": self.ema.state_dict(),
                "lecam": self.lecam.state_dict() if self.lecam is not None else {}}

    def load_state_dict(self, state: dict) -> None:
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.ema.load_state_dict(state["ema"])
        if self.lecam is not None:
            self.lecam.load_state_dict(state["lecam"])
        self.gen.set_state(state["gen"])
        self.sampler.load_state_dict(state["sampler"])
        self.sums = state["sums"].to(self.device)
        self.step, self.history = int(state["step"]), state["history"]
        self.selector.load_state_dict(state["selector"])

    @torch.no_grad()
    def accumulate(self, probabilities: bool, loss_d: torch.Tensor, loss_g: torch.Tensor, real_out: torch.Tensor,
                   fake_out: torch.Tensor) -> None:
        """Add this step's losses and mean D outputs (as probabilities for logit losses) to the sums
        kept on the device: no host sync per step."""
        d_real, d_fake = (real_out.sigmoid(), fake_out.sigmoid()) if probabilities else (real_out, fake_out)
        self.sums += torch.stack([loss_d.detach(), loss_g.detach(), d_real.mean(), d_fake.mean()])

    def mean_since_last_log(self, steps: int) -> dict[str, float]:
        """{loss_d, loss_g, d_real, d_fake} averaged over the last `steps` steps (one host sync), then reset."""
        values = dict(zip(("loss_d", "loss_g", "d_real", "d_fake"), (self.sums / steps).tolist()))
        self.sums.zero_()
        return values

    def recalibrate(self, seed: int, step: int) -> None:
        """Batch-norm statistics for the averaged weights, from latents of their own random stream
        (so the training stream, and a resumed run, are unaffected)."""
        g = make_generator(seed + 7919 * step, self.device)
        self.ema.recalibrate([torch.randn(64, self.G.z_dim, generator=g, device=self.device) for _ in range(4)])


def warm_up(G: Generator, opt: Adam, x: torch.Tensor, features: FeatureFn, steps: int,
            batch_size: int, gen: torch.Generator) -> list[float]:
    """Pre-train G so the mean and spread of features(G(z)) match those of the real class.

    A perceptual moment-matching loss under a fixed network (by default `random_features`); it
    gives G a start near the class before the adversarial game begins.
    """
    with torch.no_grad():
        real = features(x)
        mu, sd = real.mean(0), real.std(0)
    losses = []
    for _ in range(steps):
        z = torch.randn(batch_size, G.z_dim, generator=gen, device=x.device)
        f = features(G(z))
        loss = F.mse_loss(f.mean(0), mu) + F.mse_loss(f.std(0), sd)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.detach())
    return torch.stack(losses).tolist() if losses else []


def random_features(cfg: GanConfig, seed: int, device: torch.device) -> FeatureFn:
    """The warm-up's feature network: the discriminator's convolutions (models.gan, no norm, without
    its last layer) with fixed random weights from `seed`, frozen; features (N, d) of images
    (N, C, S, S). Not the judge (until 2026-12-02 it was): a GAN stage that reads the judge
    re-trains on every judge change."""
    with torch.random.fork_rng(devices=[]):       # the global stream (module init) stays as it was
        torch.manual_seed(seed)
        body = Discriminator(replace(cfg, d_norm="none")).net[:-1].to(device).eval()
    for q in body.parameters():
        q.requires_grad_(False)
    return lambda x: body(x).flatten(1)


def discriminator_step(t: GanTraining, x: torch.Tensor, loss: GanLoss, augment, p: GanParams,
                       G_run, D_run, amp: bool) -> tuple[torch.Tensor, ...]:
    """(1) update D: minimise loss.d on augmented real and fake images. The fakes are detached:
    this step moves D only. Returns (fake, loss_d, real_out, fake_out); G's step reuses `fake`."""
    real = x[t.sampler.next()]                                       # (B, C, S, S) in [-1, 1]
    z = torch.randn(len(real), p.z_dim, generator=t.gen, device=x.device)
    with autocast(x.device, amp):
        fake = G_run(z)                                              # (B, C, S, S)
        real_in, fake_in = augment(real), augment(fake.detach())
        real_out, fake_out = D_run(real_in).float(), D_run(fake_in).float()   # (B,) logits or scores
        loss_d = loss.d(real_out, fake_out)
        if loss.gradient_penalty and p.gp_lambda > 0:
            loss_d = loss_d + p.gp_lambda * gradient_penalty(D_run, real_in, fake_in, t.gen)
        if t.lecam is not None:
            loss_d = loss_d + p.lecam * t.lecam(real_out, fake_out)
    t.opt_d.zero_grad()
    loss_d.backward()
    t.opt_d.step()
    return fake, loss_d, real_out, fake_out


def generator_step(t: GanTraining, fake: torch.Tensor, loss: GanLoss, augment, D_run, amp: bool) -> torch.Tensor:
    """(2) update G through the just-updated D: loss.g of D's output on the (augmented) fakes;
    non-saturating -log D(G(z)) for dcgan, -D(G(z)) for hinge and wgan_gp."""
    with autocast(fake.device, amp):
        loss_g = loss.g(D_run(augment(fake)).float())
    t.opt_g.zero_grad()
    loss_g.backward()
    t.opt_g.step()
    return loss_g


def _check_divergence(values: dict[str, float], step: int, p: GanParams, t: GanTraining, name: str) -> bool:
    """True when training must end here and restore the best snapshot; raises when it must stop."""
    if np.isfinite([values["loss_d"], values["loss_g"]]).all() and abs(values["loss_d"]) <= p.max_d_loss:
        return False
    what = (f"{name + ': ' if name else ''}GAN diverged at step {step} "
            f"(loss_d={values['loss_d']:.4g}, loss_g={values['loss_g']:.4g})")
    if p.on_divergence == "stop" or not t.selector.has_snapshot:
        raise DivergenceError(what + ("; no snapshot to restore yet" if p.on_divergence == "restore"
                                      else "; lower the learning rates, or set gan.on_divergence: restore"))
    logger.warning("%s; ending training with %s", what, f"the best snapshot (step {t.selector.best['step']})"
                   if t.selector.has_best else "the snapshots taken so far")
    return True


def _start(t: GanTraining, x: torch.Tensor, p: GanParams, run: GanRun, seed: int, log: LogFn | None) -> None:
    """A fresh start (optional warm-up, then the EMA) or the state of a killed run."""
    state = run.resume.load() if run.resume is not None else None
    if state is None and p.warmup_steps:
        features = run.features or random_features(t.cfg, seed, x.device)
        warm = warm_up(t.G, t.opt_g, x, features, p.warmup_steps, t.sampler.batch_size, t.gen)
        logger.info("%s: warm-up %d steps, feature loss %.4f -> %.4f", run.name, p.warmup_steps, warm[0], warm[-1])
    t.start_ema(p.ema_decay)
    if state is not None:
        t.load_state_dict(state)
        for step, values in t.history:
            if log is not None:
                log(step, values)
        logger.info("resumed from step %d of %d (%s)", t.step, p.steps, run.resume.path)


def train_gan(images: np.ndarray, p: GanParams, seed: int, rt: Runtime, run: GanRun = GanRun()) -> GanResult:
    """Train a GAN on uint8 (N, H, W, C) images of one class; see the module docstring for the step.
    `p.steps` 'auto' is resolved for the image size (`GanParams.for_image_size`). rt: the device,
    amp and compile of the training steps, and rt.log(step, values) at each log step.

    Divergence (NaN/inf, or |D loss| > p.max_d_loss at a log step): p.on_divergence "stop" raises
    DivergenceError naming run.name and the step; "restore" ends training with the best snapshot.
    """
    n, size, _, channels = images.shape
    if n < 2:
        raise ValueError(f"{n} real image(s): a GAN needs at least 2 to train on")
    p = p.for_image_size(size)
    loss, cfg = get_loss(p.family), model_config(p, size, channels)
    t = GanTraining(p, cfg, seed, n, rt.device, run)
    x = to_model(images, rt.device, channels_last=True)    # (N, C, S, S) in [-1, 1], converted once
    augment = augmenter(p.diffaugment, t.gen)
    _start(t, x, p, run, seed, rt.log)
    G_run, D_run = maybe_compile(t.G, rt.compile), maybe_compile(t.D, rt.compile)
    bar = progress(total=p.steps, initial=t.step, desc=f"GAN {run.name}".strip(), unit="step")
    diverged_at = None
    for step in range(t.step + 1, p.steps + 1):
        for _ in range(p.n_critic):
            fake, loss_d, real_out, fake_out = discriminator_step(t, x, loss, augment, p, G_run, D_run, rt.amp)
        loss_g = generator_step(t, fake, loss, augment, D_run, rt.amp)
        t.ema.update(t.G, step)
        t.accumulate(loss.probabilities, loss_d, loss_g, real_out, fake_out)
        if step % p.log_every == 0 or step == p.steps:
            values = t.mean_since_last_log(step % p.log_every or p.log_every)
            if _check_divergence(values, step, p, t, run.name):
                diverged_at = step
                break
            t.history.append([step, values])
            if rt.log is not None:
                rt.log(step, values)
            bar.update(step - bar.n)     # values are on the host already: the bar costs no sync
            scored = {"best_score": f"{t.selector.best['score']:.3f}"} if t.selector.has_best else {}
            bar.set_postfix(loss_d=f"{values['loss_d']:.3f}", loss_g=f"{values['loss_g']:.3f}", **scored)
        if p.eval_every and t.selector.active and (step % p.eval_every == 0 or step == p.steps):
            t.recalibrate(seed, step)
            t.selector.consider(step, t.ema.shadow)
        t.step = step
        if run.resume is not None and run.resume.due(step, p.steps):
            run.resume.save(t.state_dict())
    bar.close()
    return _result(t, p, seed, cfg, diverged_at)


def _result(t: GanTraining, p: GanParams, seed: int, cfg: GanConfig, diverged_at: int | None) -> GanResult:
    """The chosen snapshot; with kept snapshots (chosen later) the last one; the last weights,
    recalibrated, when no snapshot was taken."""
    sampled, best, kept = t.ema.shadow, t.selector.best, t.selector.kept
    if t.selector.has_best:             # snapshots are scored only when p.eval_every and a score are set
        sampled.load_state_dict(best["state"])
        chosen = best["step"]
    elif kept:                          # after a divergence the live weights are past the last snapshot
        sampled.load_state_dict(kept[max(kept, key=int)])
        chosen = None
    else:
        chosen = p.steps
        t.recalibrate(seed, p.steps)
    info = {"chosen_step": chosen, "best_score": best["score"] if t.selector.has_best else None,
            "scores": t.selector.scores, "diverged_at": diverged_at, "snapshots": kept}
    return GanResult(sampled.eval(), t.D.eval(), cfg, info)
