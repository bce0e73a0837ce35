"""DiffAugment: differentiable augmentations applied to every image D sees, real and fake, in both
the D and the G step, so a discriminator cannot memorise a small real set (Zhao et al., 2020,
"Differentiable Augmentation for Data-Efficient GAN Training"). Written here from the paper's
description of its three policies; images are in [-1, 1], NCHW, one random draw per image.

- color: random brightness (+-0.5), saturation (x0..2) and contrast (x0.5..1.5)
- translation: shift by up to 1/8 of the side, zero-filled
- cutout: zero a square of half the side at a random position
"""
from __future__ import annotations

from typing import Callable

import torch

Augment = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


def _rand(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    return torch.rand(x.shape[0], 1, 1, 1, generator=gen, device=x.device, dtype=x.dtype)


def color(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    x = x + (_rand(x, gen) - 0.5)
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * (_rand(x, gen) * 2) + mean
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (_rand(x, gen) + 0.5) + mean


def _shift_index(n: int, size: int, max_shift: int, gen: torch.Generator, device) -> torch.Tensor:
    """(n, size) source indices into a 1-padded axis: position i reads i + shift; out of range -> pad."""
    shift = torch.randint(-max_shift, max_shift + 1, (n, 1), generator=gen, device=device)
    idx = torch.arange(size, device=device)[None, :] + shift + 1
    return idx.clamp_(0, size + 1)  # 0 and size+1 are the zero padding


def translation(x: torch.Tensor, gen: torch.Generator, ratio: float = 0.125) -> torch.Tensor:
    n, c, h, w = x.shape
    iy = _shift_index(n, h, int(h * ratio + 0.5), gen, x.device)
    ix = _shift_index(n, w, int(w * ratio + 0.5), gen, x.device)
    padded = torch.nn.functional.pad(x, [1, 1, 1, 1])                       # (n, c, h+2, w+2)
    batch = torch.arange(n, device=x.device)[:, None, None]
    out = padded.permute(0, 2, 3, 1)[batch, iy[:, :, None], ix[:, None, :]]  # (n, h, w, c), gathers keep grads
    return out.permute(0, 3, 1, 2)


def cutout(x: torch.Tensor, gen: torch.Generator, ratio: float = 0.5) -> torch.Tensor:
    n, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    # top-left corner such that the square's centre is anywhere in the image (it may be clipped)
    y0 = torch.randint(0, h, (n, 1, 1), generator=gen, device=x.device) - ch // 2
    x0 = torch.randint(0, w, (n, 1, 1), generator=gen, device=x.device) - cw // 2
    ys = torch.arange(h, device=x.device)[None, :, None]
    xs = torch.arange(w, device=x.device)[None, None, :]
    inside = (ys >= y0) & (ys < y0 + ch) & (xs >= x0) & (xs < x0 + cw)
    return x * (~inside).unsqueeze(1).to(x.dtype)


POLICIES: dict[str, Augment] = {"color": color, "translation": translation, "cutout": cutout}


def parse_policy(policy: str) -> list[str]:
    """'color,translation,cutout' -> names; '' or 'none' -> []; an unknown name lists the valid ones."""
    names = [p.strip() for p in policy.split(",") if p.strip() and p.strip() != "none"]
    bad = [p for p in names if p not in POLICIES]
    if bad:
        raise ValueError(f"unknown DiffAugment policy {bad[0]!r}; valid: {', '.join(POLICIES)}")
    return names


def diff_augment(x: torch.Tensor, policy: list[str], gen: torch.Generator) -> torch.Tensor:
    for name in policy:
        x = POLICIES[name](x, gen)
    return x.contiguous(memory_format=torch.channels_last) if policy else x


def augmenter(policy: str, gen: torch.Generator) -> Callable[[torch.Tensor], torch.Tensor]:
    """x -> DiffAugment(x) with the policies named in `policy`, drawing from `gen`; '' is the identity."""
    names = parse_policy(policy)
    if not names:
        return lambda x: x
    return lambda x: diff_augment(x, names, gen)
