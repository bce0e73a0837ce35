"""Train one class's GAN on that class's real images, all in memory, batches by index slicing."""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from synthmix.gan.losses import get_loss
from synthmix.core.images import to_model, to_uint8
from synthmix.models.gan import Discriminator, GanConfig, Generator
from synthmix.params import GanParams
from synthmix.core.runtime import generator as make_generator

LogFn = Callable[[int, dict[str, float]], None]


def model_config(p: GanParams, image_size: int, channels: int) -> GanConfig:
    return GanConfig(image_size=image_size, channels=channels, z_dim=p.z_dim,
                     g_width=p.g_width, d_width=p.d_width)


def batches(n: int, batch_size: int, gen: torch.Generator, device: torch.device):
    """Endless index batches: a fresh permutation each epoch, sliced; the last short slice is dropped."""
    while True:
        perm = torch.randperm(n, generator=gen, device=device)
        for start in range(0, n - batch_size + 1, batch_size):
            yield perm[start:start + batch_size]


def train_gan(images: np.ndarray, p: GanParams, seed: int, device: torch.device,
              log: LogFn | None = None) -> tuple[Generator, GanConfig]:
    """Train a GAN on uint8 (N, H, W, C) images of one class; returns the generator (eval mode)."""
    n, size, _, channels = images.shape
    if n < 2:
        raise ValueError(f"{n} real image(s): a GAN needs at least 2 to train on")
    batch_size = min(p.batch_size, n)  # a minority class (data.per_class mapping) may hold fewer
    torch.manual_seed(seed)  # module initialisation
    cfg = model_config(p, size, channels)
    G, D = Generator(cfg).to(device), Discriminator(cfg).to(device)
    opt_g = torch.optim.Adam(G.parameters(), lr=p.lr_g, betas=(p.beta1, p.beta2))
    opt_d = torch.optim.Adam(D.parameters(), lr=p.lr_d, betas=(p.beta1, p.beta2))
    loss = get_loss(p.family)
    x = to_model(images, device)                        # (N, C, S, S) in [-1, 1], converted once
    gen = make_generator(seed, device)
    index = batches(n, batch_size, gen, device)

    # Losses stay on the device and are summed; .item() once per log interval avoids a sync per step.
    sums = torch.zeros(4, device=device)
    for step in range(1, p.steps + 1):
        real = x[next(index)]                           # (B, C, S, S)
        z = torch.randn(batch_size, p.z_dim, generator=gen, device=device)
        fake = G(z)

        # (1) update D: maximise log D(x) + log(1 - D(G(z))); detach so G gets no gradient here
        real_logits, fake_logits = D(real), D(fake.detach())
        loss_d = loss.d(real_logits, fake_logits)
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()

        # (2) update G: maximise log D(G(z)) (non-saturating), through the just-updated D
        loss_g = loss.g(D(fake))
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()

        with torch.no_grad():
            sums += torch.stack([loss_d, loss_g, torch.sigmoid(real_logits).mean(),
                                 torch.sigmoid(fake_logits).mean()])
        if step % p.log_every == 0 or step == p.steps:
            k = step % p.log_every or p.log_every
            ld, lg, dx, dgz = (sums / k).tolist()
            if not all(np.isfinite([ld, lg])):
                raise FloatingPointError(f"GAN diverged at step {step}: loss_d={ld}, loss_g={lg}")
            if log is not None:
                log(step, {"loss_d": ld, "loss_g": lg, "d_real": dx, "d_fake": dgz})
            sums.zero_()
    return G.eval(), cfg


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
