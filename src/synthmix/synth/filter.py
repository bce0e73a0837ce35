"""Keep the synthetic images the judge is confident belong to their intended class."""
from __future__ import annotations

import numpy as np
import torch

from synthmix.core.images import to_model
from synthmix.train.loop import predict_logits


def judge_confidence(judge: torch.nn.Module, images: np.ndarray, label: int, device: torch.device) -> np.ndarray:
    """The judge's softmax probability of class `label` for each uint8 (N, H, W, C) image: float64 (N,).

    Computed in float64 from the logits, so a confident image gets e.g. 0.9999999997, not a float32
    1.0: threshold 1.0 then keeps nothing, as a user asking for certainty expects.
    """
    if len(images) == 0:
        return np.zeros(0, np.float64)
    logits = predict_logits(judge, to_model(images, device)).double()
    return logits.log_softmax(1)[:, label].exp().cpu().numpy()


def keep_confident(confidence: np.ndarray, threshold: float) -> np.ndarray:
    """Boolean mask of the images with confidence >= threshold."""
    return confidence >= threshold
