"""Drawing images from a trained generator, and the GAN checkpoint format (written and read here only).

A GAN checkpoint is a dict: "model" (the generator to sample from: the chosen snapshot, EMA weights
when on), "discriminator", "config" (a `GanConfig` as a dict, so a later stage rebuilds the
models), "step" (the chosen step) and plain metadata (class name, refinement log). A train_gan checkpoint
also holds "snapshots" ({str(step): generator state dict}, every one kept; "model" is the last), from
which the refine stage chooses (synth.choose) and writes a checkpoint without them.
"""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from synthmix.core.images import to_uint8
from synthmix.core.io import load_torch, save_torch
from synthmix.core.runtime import generator as make_generator
from synthmix.models.gan import Discriminator, GanConfig, Generator


@torch.no_grad()
def sample(G: Generator, n: int, seed: int, device: torch.device, batch_size: int = 1024) -> np.ndarray:
    """n uint8 (N, H, W, C) images from G, deterministic given the seed and independent of batch_size."""
    G.eval()
    gen = make_generator(seed, device)
    # Draw all latents first so the images do not depend on how they are batched.
    z = torch.randn(n, G.z_dim, generator=gen, device=device)
    if n == 0:
        return to_uint8(G(z[:1]))[:0]
    return np.concatenate([to_uint8(G(z[i:i + batch_size])) for i in range(0, n, batch_size)])


def latent_stream(G: Generator, seed: int, device: torch.device, chunk: int):
    """Endless chunks of `chunk` uint8 images from G: the k-th chunk is the same however many are
    drawn, so generating until enough images pass a filter is deterministic."""
    G.eval()
    gen = make_generator(seed, device)
    while True:
        with torch.no_grad():
            yield to_uint8(G(torch.randn(chunk, G.z_dim, generator=gen, device=device)))


def save_gan(path: str | Path, G: Generator, D: Discriminator, cfg: GanConfig, step: int, **meta) -> None:
    write_gan(path, {"model": G.state_dict(), "discriminator": D.state_dict(), "config": asdict(cfg),
                     "step": step, **meta})


def write_gan(path: str | Path, ckpt: dict) -> None:
    """Write a GAN checkpoint dict (e.g. a refined one); its required keys are checked first."""
    missing = {"model", "discriminator", "config", "step"} - set(ckpt)
    if missing:
        raise ValueError(f"a GAN checkpoint needs {sorted(missing)}")
    save_torch(path, ckpt)


def load_gan(path: str | Path) -> dict:
    """A GAN checkpoint as a dict (weights_only: tensors and plain containers)."""
    return load_torch(path)


def load_generator(ckpt: dict, device: torch.device) -> Generator:
    """Rebuild the generator from a checkpoint: its config is stored with its weights."""
    G = Generator(GanConfig(**ckpt["config"]))
    G.load_state_dict(ckpt["model"])
    return G.to(device).eval()

