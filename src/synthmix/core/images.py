"""Conversions between stored uint8 images and model tensors, and PNG grids for people to look at."""
from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from synthmix.core.io import write_bytes

if TYPE_CHECKING:      # torch is imported where tensors are made: the report stage draws grids without it
    import torch


def to_model(images: np.ndarray, device: torch.device | str = "cpu", channels_last: bool = False) -> torch.Tensor:
    """uint8 (N, H, W, C) -> float32 (N, C, H, W) in [-1, 1], converted once for the whole set.

    `channels_last` keeps the stored NHWC memory order (the layout oneDNN and cuDNN convolutions
    are fastest with); the tensor's shape is NCHW either way.
    """
    import torch

    x = torch.from_numpy(np.ascontiguousarray(images)).to(device)
    x = x.permute(0, 3, 1, 2).float().div_(127.5).sub_(1.0)
    return x.contiguous(memory_format=torch.channels_last if channels_last else torch.contiguous_format)


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """float (N, C, H, W) in [-1, 1] -> uint8 (N, H, W, C), rounded the same way everywhere."""
    import torch

    x = ((x.detach().float().cpu() + 1.0) * 127.5).round_().clamp_(0, 255).to(torch.uint8)
    return x.permute(0, 2, 3, 1).contiguous().numpy()


def grid(images: np.ndarray, nrow: int = 8, pad: int = 1, scale: int = 1) -> np.ndarray:
    """Tile uint8 (N, H, W, C) into one uint8 (rows*H', nrow*W', C) image, scaled by `scale` (nearest)."""
    if scale > 1:
        images = images.repeat(scale, axis=1).repeat(scale, axis=2)
    n, h, w, c = images.shape
    rows = max(1, -(-n // nrow))
    out = np.full((rows * (h + pad) + pad, nrow * (w + pad) + pad, c), 255, np.uint8)
    for i in range(n):  # at most a few hundred tiles: a picture for a person, not a hot loop
        r, col = divmod(i, nrow)
        out[pad + r * (h + pad): pad + r * (h + pad) + h, pad + col * (w + pad): pad + col * (w + pad) + w] = images[i]
    return out


def png_bytes(image: np.ndarray) -> bytes:
    """uint8 (H, W, C) with C in {1, 3, 4} -> PNG bytes (deterministic: no timestamps)."""
    mode = {1: "L", 3: "RGB", 4: "RGBA"}[image.shape[2]]
    buf = io.BytesIO()
    Image.fromarray(image[..., 0] if mode == "L" else image, mode).save(buf, format="PNG")
    return buf.getvalue()


def save_grid(path: str | Path, images: np.ndarray, nrow: int = 8) -> None:
    """Write a PNG grid, scaled up so that 8-32 pixel images are visible."""
    scale = max(1, 64 // images.shape[1])
    write_bytes(path, png_bytes(grid(images, nrow=nrow, scale=scale)))
