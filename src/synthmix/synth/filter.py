"""Which synthetic images are kept: a rule relative to the judge, not an absolute confidence cut.

A judge trained on 50 images per class is weak and over-confident, so a fixed cut such as 0.9
keeps almost nothing for one class and almost everything for another. The judge is calibrated on
the real validation split (temperature scaling, `synthmix.judge`), and each mode asks a question
that stays meaningful when the judge is weak (`filter.mode`):

- relative: keep a synthetic image when the judge's probability of its intended class is at least
  the `filter.quantile` of that probability over the class's *real* validation images, i.e. when it
  convinces the judge as much as a typical real image of the class does;
- top: keep the `filter.fraction` most convincing draws of each class;
- threshold: keep an image whose calibrated probability is >= `filter.threshold`.
"""
from __future__ import annotations

import numpy as np

from synthmix.params import FilterParams


def class_cut(rule: FilterParams, real_confidence: np.ndarray) -> float | None:
    """The probability a synthetic image of one class must reach (None in top mode, which ranks).

    real_confidence: the judge's probability of the class for each of the class's real validation
    images, float (n,).
    """
    if rule.mode == "threshold":
        return float(rule.threshold)
    if rule.mode == "top":
        return None
    if len(real_confidence) == 0:
        raise ValueError("filter.mode 'relative' needs real validation images of every class")
    return float(np.quantile(np.asarray(real_confidence, np.float64), rule.quantile))


def keep_mask(rule: FilterParams, confidence: np.ndarray, cut: float | None) -> np.ndarray:
    """Boolean (N,) mask of the images the rule keeps, given their confidences (N,)."""
    confidence = np.asarray(confidence, np.float64)
    if rule.mode != "top":
        return confidence >= cut
    n_keep = int(np.floor(len(confidence) * rule.fraction + 1e-9))
    order = np.argsort(-confidence, kind="stable")          # most convincing first, ties by draw order
    mask = np.zeros(len(confidence), bool)
    mask[order[:n_keep]] = True
    return mask
