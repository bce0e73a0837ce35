"""Everything measured for one trained classifier (one variant, one replicate), once, inside the stage
that trains it: a small JSON-able dict that the `evaluate` stage aggregates over replicates."""
from __future__ import annotations

import numpy as np
import torch

from synthmix.core.images import to_model
from synthmix.core.progress import progress
from synthmix.core.runtime import full_precision
from synthmix.data.store import RobustnessSets
from synthmix.evaluate.metrics import classification_metrics, ece_from_bins, reliability
from synthmix.models.cnn import predict_logits


def score_run(model: torch.nn.Module, images: np.ndarray, labels: np.ndarray, robustness: RobustnessSets | None,
              class_names: list[str], device: torch.device) -> dict:
    """Clean metrics on the whole test split (uint8 (N, H, W, C) images, int labels (N,)): accuracy,
    macro and per-class precision/recall/F1, the confusion matrix, calibration (ECE and its
    reliability bins) and the per-image predictions (for McNemar's test and the confusion plots);
    and, unless `robustness` is None, accuracy on each corrupted set, per type and level (the
    costly part: 24 corrupted sets of up to 2,000 images by default). Always in float32, also on
    CUDA (no autocast, no TF32): runtime.amp is how a model trains, not how it is scored."""
    with full_precision():
        probs = predict_logits(model, to_model(images, device)).softmax(1)      # (N, K)
        confidence, pred = (t.cpu().numpy() for t in probs.max(1))
        m = classification_metrics(labels, pred, class_names)
        m["reliability"] = reliability(confidence, pred == labels)
        m["ece"] = ece_from_bins(m["reliability"])
        m["predictions"] = pred.tolist()
        m["robustness"] = None if robustness is None else robustness_curves(model, pred, robustness, device)
    return m


def robustness_curves(model: torch.nn.Module, pred: np.ndarray, robustness: RobustnessSets,
                      device: torch.device) -> dict:
    """Accuracy per corruption type and level. Level 0, the clean subset (read off the clean
    test-split predictions `pred`), is always in the curve, listed in robustness.levels or not: it is
    what the failure level compares the corrupted accuracies with (the same images)."""
    subset = np.asarray(robustness.indices, np.int64)
    clean_subset = float((pred[subset] == robustness.labels).mean()) if len(subset) else 0.0
    bar = progress(total=len(robustness.images) * len(robustness.corrupted_levels), desc="scoring", unit="set")
    curves = {}
    for kind, sets in robustness.images.items():
        curve = {"0.0": clean_subset}
        for i, level in enumerate(robustness.corrupted_levels):
            curve[str(level)] = _accuracy(model, sets[i], robustness.labels, device)
            bar.update()
        curves[kind] = dict(sorted(curve.items(), key=lambda kv: float(kv[0])))
    bar.close()
    return curves


def _accuracy(model: torch.nn.Module, images: np.ndarray, labels: np.ndarray, device: torch.device) -> float:
    pred = predict_logits(model, to_model(images, device)).argmax(1).cpu().numpy()
    return float((pred == labels).mean())


def accuracy_per_class(model: torch.nn.Module, images: dict[str, np.ndarray], class_names: list[str],
                       device: torch.device) -> dict | None:
    """Accuracy on labelled image sets, overall and per class (None for an empty set): used for
    train-on-real / test-on-synthetic, the `real` classifiers on the filtered synthetic images."""
    per_class, correct, total = {}, 0, 0
    for label, name in enumerate(class_names):
        x = images.get(name)
        if x is None or len(x) == 0:
            per_class[name] = None
            continue
        hits = int((predict_logits(model, to_model(x, device)).argmax(1).cpu().numpy() == label).sum())
        per_class[name] = hits / len(x)
        correct, total = correct + hits, total + len(x)
    return {"overall": correct / total, "per_class": per_class} if total else None
