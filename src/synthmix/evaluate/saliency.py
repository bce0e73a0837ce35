"""Gradient saliency: which pixels most change a classifier's score for the true class."""
from __future__ import annotations

import numpy as np
import torch

from synthmix.core.images import to_model


def gradient_saliency(model: torch.nn.Module, images: np.ndarray, labels: np.ndarray,
                      device: torch.device) -> np.ndarray:
    """|d logit_true / d pixel|, max over channels, scaled to [0, 1] per image: float32 (N, H, W)."""
    model.eval()
    x = to_model(images, device).requires_grad_(True)
    logits = model(x)
    y = torch.as_tensor(labels, device=device).long()
    logits.gather(1, y[:, None]).sum().backward()       # images are independent in eval mode
    s = x.grad.abs().amax(dim=1)                         # (N, H, W)
    s = s / s.flatten(1).amax(1).clamp_min(1e-12)[:, None, None]
    return s.detach().cpu().float().numpy()


def heat(s: np.ndarray) -> np.ndarray:
    """Saliency in [0, 1] (N, H, W) -> uint8 RGB heat map (N, H, W, 3): black, red, yellow, white."""
    s = np.clip(s, 0, 1)
    rgb = np.stack([np.clip(3 * s, 0, 1), np.clip(3 * s - 1, 0, 1), np.clip(3 * s - 2, 0, 1)], axis=-1)
    return (rgb * 255).round().astype(np.uint8)


def saliency_panel(images: np.ndarray, maps: list[np.ndarray]) -> np.ndarray:
    """Rows of [image, map 1, map 2, ...] tiles, uint8 (N * (1 + len(maps)), H, W, 3) for `grid`."""
    rgb = images if images.shape[-1] == 3 else np.repeat(images[..., :1], 3, axis=-1)
    tiles = np.stack([rgb] + [heat(m) for m in maps], axis=1)   # (N, 1 + M, H, W, 3)
    return tiles.reshape(-1, *tiles.shape[2:])
