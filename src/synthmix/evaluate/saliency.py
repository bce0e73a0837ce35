"""Saliency a person can read: SmoothGrad maps of which pixels a classifier's decision depends on,
drawn over the image.

Vanilla gradients |d score / d pixel| of a small CNN look like noise; SmoothGrad (Smilkov et al.,
2017) averages them over copies of the image with Gaussian noise added, which keeps what is
consistently important and washes out the rest.
"""
from __future__ import annotations

import numpy as np
import torch

from synthmix.core.images import to_model
from synthmix.core.runtime import generator as make_generator


def smoothgrad(model: torch.nn.Module, images: np.ndarray, labels: np.ndarray, device: torch.device,
               samples: int = 32, noise: float = 0.15, seed: int = 0) -> np.ndarray:
    """Mean |d logit_true / d pixel| over `samples` noisy copies (noise std = `noise` x the pixel
    range), max over channels, scaled to [0, 1] per image: float32 (N, H, W)."""
    model.eval()
    x = to_model(images, device)                                             # (N, C, H, W) in [-1, 1]
    gen = make_generator(seed, device)
    noisy = x.unsqueeze(0) + (2.0 * noise) * torch.randn((samples, *x.shape), generator=gen, device=device)
    noisy = noisy.flatten(0, 1).requires_grad_(True)                         # (S * N, C, H, W)
    y = torch.as_tensor(labels, device=device).long().repeat(samples)        # image i of copy s at s * N + i
    model(noisy).gather(1, y[:, None]).sum().backward()                      # images are independent in eval mode
    s = noisy.grad.abs().view(samples, *x.shape).mean(0).amax(dim=1)         # (N, H, W)
    s = s / s.flatten(1).amax(1).clamp_min(1e-12)[:, None, None]
    return s.detach().cpu().float().numpy()


def overlay(images: np.ndarray, maps: np.ndarray) -> np.ndarray:
    """The image in grey with the saliency in red-to-yellow over it, opaque where it is high:
    uint8 RGB (N, H, W, 3) from uint8 (N, H, W, C) images and (N, H, W) maps in [0, 1]."""
    grey = images.astype(np.float32).mean(-1, keepdims=True) / 255.0 * 0.7  # dimmed so the colour stands out
    s = np.clip(maps, 0, 1)[..., None]
    heat = np.concatenate([np.ones_like(s), np.clip(2 * s - 0.5, 0, 1), np.zeros_like(s)], axis=-1)
    alpha = np.clip(1.5 * s - 0.2, 0, 1)                                     # faint saliency leaves the image visible
    return (((1 - alpha) * grey + alpha * heat) * 255).round().astype(np.uint8)


def saliency_panel(images: np.ndarray, maps: list[np.ndarray]) -> np.ndarray:
    """Rows of [image, overlay 1, overlay 2, ...] tiles, uint8 (N * (1 + len(maps)), H, W, 3) for `grid`."""
    rgb = images if images.shape[-1] == 3 else np.repeat(images[..., :1], 3, axis=-1)
    tiles = np.stack([rgb] + [overlay(images, m) for m in maps], axis=1)   # (N, 1 + M, H, W, 3)
    return tiles.reshape(-1, *tiles.shape[2:])


def variants_to_show(accuracy: dict[str, float]) -> list[str]:
    """`real` and the most accurate mix (if any): the comparison a reader wants to see."""
    mixes = [v for v in accuracy if v.startswith("mix_")]
    return ["real"] + ([max(mixes, key=lambda v: (accuracy[v], v))] if mixes else [])


def images_to_show(labels: np.ndarray, n_classes: int, per_class: int) -> np.ndarray:
    """Indices of the first `per_class` test images of each class, class by class."""
    return np.concatenate([np.flatnonzero(labels == i)[:per_class] for i in range(n_classes)]).astype(np.int64)
