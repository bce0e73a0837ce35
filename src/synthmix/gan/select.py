"""Automatic checkpoint choice: score generator snapshots by the Fréchet distance between the judge's
features of generated and real images of the class, and keep the lowest."""
from __future__ import annotations

import numpy as np
import torch

from synthmix.core.images import to_model
from synthmix.evaluate.quality import frechet_distance
from synthmix.gan.train import sample
from synthmix.models.cnn import Cnn


@torch.no_grad()
def embed(judge: Cnn, images: np.ndarray, device: torch.device, batch_size: int = 1024) -> np.ndarray:
    """The judge's penultimate features (N, d) of uint8 (N, H, W, C) images."""
    judge.eval()
    x = to_model(images, device)
    # an empty set still gives (0, d): one pass over the empty slice
    return torch.cat([judge.embed(x[i:i + batch_size]) for i in range(0, max(len(x), 1), batch_size)]).double().cpu().numpy()


def fid_scorer(judge: Cnn, real_images: np.ndarray, n_samples: int, seed: int, device: torch.device):
    """score(G) -> Fréchet distance of n_samples images of G (fixed latents) to the real images."""
    real = embed(judge, real_images, device)

    def score(G) -> float:
        return frechet_distance(real, embed(judge, sample(G, n_samples, seed, device), device))
    return score


def choose(scores: list[list[float]]) -> tuple[int, float]:
    """(step, score) of the lowest score; ties go to the earliest step."""
    if not scores:
        raise ValueError("no scored snapshots to choose from")
    step, value = min(scores, key=lambda s: (s[1], s[0]))
    return int(step), float(value)
