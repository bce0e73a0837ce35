"""Classic augmentation applied to a whole batch at once: flip, brightness, zoom, rotation."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from synthmix.params import AugmentParams


def augment_batch(x: torch.Tensor, p: AugmentParams, gen: torch.Generator) -> torch.Tensor:
    """Randomly transform x (B, C, H, W) in [-1, 1]; returns a new tensor of the same shape and range."""
    b = x.shape[0]

    def uniform(lo: float, hi: float) -> torch.Tensor:   # (B,) per-image draws
        return torch.rand(b, generator=gen, device=x.device) * (hi - lo) + lo

    if p.flip:
        flip = torch.rand(b, generator=gen, device=x.device) < 0.5
        x = torch.where(flip[:, None, None, None], x.flip(3), x)
    if p.rotation > 0 or p.zoom > 0:
        angle = uniform(-p.rotation, p.rotation) * (math.pi / 180.0)
        scale = uniform(1.0 - p.zoom, 1.0 + p.zoom)           # > 1 zooms in
        cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
        zero = torch.zeros_like(cos)
        theta = torch.stack([torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1)], 1)  # (B, 2, 3)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        # border padding: the edge colour continues, instead of inventing a black frame
        x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    if p.brightness > 0:
        factor = uniform(1.0 - p.brightness, 1.0 + p.brightness)[:, None, None, None]
        x = (x + 1.0) * factor - 1.0                           # scale intensity in [0, 2] space
    return x.clamp(-1.0, 1.0)
