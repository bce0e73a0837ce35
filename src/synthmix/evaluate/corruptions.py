"""Noise applied to the real test images to measure robustness, at graded levels.

Each corruption takes uint8 (N, H, W, C) images, a level in [0, 1] (the fraction of that type's
range, so 0.5 is "half way to the worst this type goes") and a torch.Generator, and returns uint8
images of the same shape. All work on the whole set at once (no per-image Python); level 0 returns
the input unchanged; the same seed gives the same output.

  gaussian     additive Gaussian noise, sigma = level (in units of the full 0..255 range)
  salt_pepper  a fraction `level` of the pixels set to black or white
  blur         Gaussian blur, sigma = level * side / 4
  occlusion    one square patch of random colour per image, side = level * image side
  lines        a fraction level/2 of the rows and of the columns set to black
  contrast     contrast scaled by (1 - level) towards mid-grey, then brightened by level / 2
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

Corruption = Callable[[torch.Tensor, float, torch.Generator], torch.Tensor]


def _gaussian(x: torch.Tensor, level: float, gen: torch.Generator) -> torch.Tensor:
    return x + level * torch.randn(x.shape, generator=gen)


def _salt_pepper(x: torch.Tensor, level: float, gen: torch.Generator) -> torch.Tensor:
    n, c, h, w = x.shape
    hit = torch.rand(n, 1, h, w, generator=gen) < level
    value = (torch.rand(n, 1, h, w, generator=gen) < 0.5).float()      # pepper 0, salt 1, all channels
    return torch.where(hit, value, x)


def _blur(x: torch.Tensor, level: float, gen: torch.Generator) -> torch.Tensor:
    sigma = level * x.shape[-1] / 4
    radius = max(1, math.ceil(3 * sigma))
    t = torch.arange(-radius, radius + 1, dtype=x.dtype)
    k = torch.exp(-t ** 2 / (2 * sigma ** 2))
    k = (k / k.sum()).to(x.dtype)
    c = x.shape[1]
    x = F.pad(x, [radius] * 4, mode="replicate")
    x = F.conv2d(x, k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)   # separable: rows, then columns
    return F.conv2d(x, k.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)


def _occlusion(x: torch.Tensor, level: float, gen: torch.Generator) -> torch.Tensor:
    n, c, h, w = x.shape
    ph, pw = round(level * h), round(level * w)
    if ph == 0 or pw == 0:
        return x
    y0 = torch.randint(0, h - ph + 1, (n, 1, 1), generator=gen)
    x0 = torch.randint(0, w - pw + 1, (n, 1, 1), generator=gen)
    ys, xs = torch.arange(h)[None, :, None], torch.arange(w)[None, None, :]
    inside = ((ys >= y0) & (ys < y0 + ph) & (xs >= x0) & (xs < x0 + pw)).unsqueeze(1)
    colour = torch.rand(n, c, 1, 1, generator=gen)
    return torch.where(inside, colour, x)


def _lines(x: torch.Tensor, level: float, gen: torch.Generator) -> torch.Tensor:
    n, _, h, w = x.shape
    rows = torch.rand(n, 1, h, 1, generator=gen).argsort(dim=2) < round(level / 2 * h)
    cols = torch.rand(n, 1, 1, w, generator=gen).argsort(dim=3) < round(level / 2 * w)
    return x.masked_fill(rows | cols, 0.0)


def _contrast(x: torch.Tensor, level: float, gen: torch.Generator) -> torch.Tensor:
    return (x - 0.5) * (1 - level) + 0.5 + level / 2


CORRUPTIONS: dict[str, Corruption] = {
    "gaussian": _gaussian, "salt_pepper": _salt_pepper, "blur": _blur,
    "occlusion": _occlusion, "lines": _lines, "contrast": _contrast,
}


def corrupt(images: np.ndarray, kind: str, level: float, seed: int) -> np.ndarray:
    """Apply corruption `kind` at `level` to uint8 (N, H, W, C) images; returns uint8 of the same shape."""
    try:
        fn = CORRUPTIONS[kind]
    except KeyError:
        raise ValueError(f"unknown corruption {kind!r}; valid: {', '.join(CORRUPTIONS)}") from None
    if not 0.0 <= level <= 1.0:
        raise ValueError(f"corruption level {level} must be in [0, 1]")
    if level == 0:
        return images
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 255.0
    gen = torch.Generator().manual_seed(seed)
    y = fn(x, level, gen)
    return (y.clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).contiguous().numpy()


def stratified_subset(labels: np.ndarray, max_images: int, seed: int) -> np.ndarray:
    """Sorted indices of exactly min(max_images, N) items: one image of every class, then the rest in
    proportion to each class's images beyond its first (largest remainders), drawn with a seeded
    permutation per class.
    max_images must be at least the number of classes (params check)."""
    labels = np.asarray(labels)
    if len(labels) <= max_images:
        return np.arange(len(labels))
    classes, counts = np.unique(labels, return_counts=True)
    if max_images < len(classes):
        raise ValueError(f"a stratified subset of {max_images} images cannot hold one of each of {len(classes)} classes")
    quota = (max_images - len(classes)) * (counts - 1) / (counts - 1).sum()      # beyond the one each
    take = 1 + np.floor(quota).astype(np.int64)
    for c in np.argsort(-(quota - np.floor(quota)), kind="stable")[:max_images - take.sum()]:
        take[c] += 1                                                                 # largest remainders
    rng = np.random.default_rng(seed)
    picks = [rng.permutation(np.flatnonzero(labels == c))[:n] for c, n in zip(classes, take)]
    return np.sort(np.concatenate(picks))


def corrupted_sets(images: np.ndarray, kinds: list[str], levels: list[float], seed_of) -> dict[str, np.ndarray]:
    """kind -> uint8 (L, N, H, W, C): the images corrupted at each level above 0 (sorted); level 0,
    the clean images, is not repeated.

    seed_of(kind, level) gives each set its own seed, so adding a level changes no other set.
    """
    above = sorted(level for level in levels if level > 0)
    if not above:
        return {kind: np.zeros((0, *images.shape), images.dtype) for kind in kinds}
    return {kind: np.stack([corrupt(images, kind, level, seed_of(kind, level)) for level in above]) for kind in kinds}
