"""Saliency a person can read: SmoothGrad x input maps of which strokes a classifier's decision
depends on, drawn over the image.

Vanilla gradients |d score / d pixel| of a small CNN look like noise; SmoothGrad (Smilkov et al.,
2017) averages them over copies of the image with Gaussian noise added. At 16x16 (digits, 8x8
upsampled) the plain SmoothGrad map, scaled to its maximum, still covered the whole digit as one
uniform blob. Three changes make it readable (compared side by side on a trained digits classifier):
the gradient times the pixel's intensity (gradient x input, Shrikumar et al. 2016: how much the ink
there contributes, so the strokes light up and the empty background does not), a 3x3 mean (the
pixel-level speckle that remains is finer than the 8x8 digits' own resolution), and a scale set by
the 99th percentile rather than the maximum, drawn with opacity growing as the square of the value,
so only the top of the map is opaque.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from synthmix.core.images import to_model
from synthmix.core.runtime import generator as make_generator


def smoothgrad(model: torch.nn.Module, images: np.ndarray, labels: np.ndarray, device: torch.device,
               samples: int = 64, noise: float = 0.1, seed: int = 0, batch: int = 4096) -> np.ndarray:
    """SmoothGrad x input: the mean over `samples` noisy copies (noise std = `noise` x the pixel
    range) of |d logit_true / d pixel x the pixel's intensity in [0, 1]|, max over channels, then a
    3x3 mean, scaled so that each image's 99th percentile is 1 (at least a quarter of its maximum, so
    that a map with under 1% non-zero pixels is not all saturated) and clipped: float32 (N, H, W) in [0, 1].
    At most `batch` noisy images go through the model at once (e.g. 43 GTSRB classes x 16 images x
    64 copies would be 44,000)."""
    model.eval()
    x = to_model(images, device)                                             # (N, C, H, W) in [-1, 1]
    gen = make_generator(seed, device)
    y = torch.as_tensor(labels, device=device).long()
    per_pass = max(1, batch // max(1, len(x)))                               # noisy copies per forward pass
    total = torch.zeros_like(x)                                              # (N, C, H, W) sum of |grad x ink|
    ink = (x + 1.0) / 2.0                                                    # intensity in [0, 1]
    for start in range(0, samples, per_pass):
        k = min(per_pass, samples - start)
        noisy = x.unsqueeze(0) + (2.0 * noise) * torch.randn((k, *x.shape), generator=gen, device=device)
        noisy = noisy.flatten(0, 1).requires_grad_(True)                     # (k * N, C, H, W), copy j at j * N + i
        score = model(noisy).gather(1, y.repeat(k)[:, None]).sum()           # images are independent in eval mode
        grad, = torch.autograd.grad(score, noisy)
        total += (grad.view(k, *x.shape) * ink).abs().sum(0)
    s = (total / samples).amax(dim=1)                                        # (N, H, W)
    s = F.avg_pool2d(F.pad(s[:, None], (1, 1, 1, 1), mode="replicate"), 3, stride=1)[:, 0]
    flat = s.flatten(1).float()
    top = torch.maximum(torch.quantile(flat, 0.99, dim=1), 0.25 * flat.amax(dim=1)).clamp_min(1e-12)
    return (s / top[:, None, None]).clamp(0, 1).detach().cpu().float().numpy()


def overlay(images: np.ndarray, maps: np.ndarray) -> np.ndarray:
    """The image in grey with the saliency in red-to-yellow over it, opaque where it is high
    (opacity = value squared): uint8 RGB (N, H, W, 3) from uint8 (N, H, W, C) images and (N, H, W)
    maps in [0, 1]."""
    grey = images.astype(np.float32).mean(-1, keepdims=True) / 255.0 * 0.7  # dimmed so the colour stands out
    s = np.clip(maps, 0, 1)[..., None]
    heat = np.concatenate([np.ones_like(s), np.clip(2 * s - 1, 0, 1), np.zeros_like(s)], axis=-1)
    alpha = s ** 2                                                           # faint saliency leaves the image visible
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


def saliency_figure(accuracy: dict[str, float], test_images: np.ndarray, test_labels: np.ndarray, n_classes: int,
                    load, per_class: int, device: torch.device) -> tuple[np.ndarray | None, dict]:
    """The report's saliency figure: SmoothGrad x input maps of `real` and the most accurate mix
    (replicate 0, `load(variant, replicate)` gives its model) over the first `per_class` test images
    of each class, as `saliency_panel` tiles (None when there is no image to show), and what it shows."""
    shown = variants_to_show(accuracy)
    pick = images_to_show(test_labels, n_classes, per_class)
    panel = None
    if len(pick):
        images, labels = test_images[pick], test_labels[pick]
        panel = saliency_panel(images, [smoothgrad(load(v, 0), images, labels, device, seed=0) for v in shown])
    return panel, {"variants": shown, "replicate": 0, "per_class": per_class, "method": "SmoothGrad x input",
                   "columns": ["image"] + shown, "test_indices": pick.tolist()}
