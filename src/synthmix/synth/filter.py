"""Keep the synthetic images the judge is confident belong to their intended class."""
from __future__ import annotations

import numpy as np
import torch

from synthmix.core.images import to_model
from synthmix.train.loop import predict_logits


def judge_confidence(judge: torch.nn.Module, images: np.ndarray, label: int, device: torch.device) -> np.ndarray:
    """The judge's softmax probability of class `label` for each uint8 (N, H, W, C) image: float (N,)."""
    if len(images) == 0:
        return np.zeros(0, np.float32)
    probs = predict_logits(judge, to_model(images, device)).softmax(1)
    return probs[:, label].cpu().numpy()


def keep_confident(confidence: np.ndarray, threshold: float) -> np.ndarray:
    """Boolean mask of the images with confidence >= threshold."""
    return confidence >= threshold
