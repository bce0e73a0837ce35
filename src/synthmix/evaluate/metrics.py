"""Classification metrics on the real test split."""
from __future__ import annotations

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support


def classification_metrics(y_true: np.ndarray, y_pred: np.ndarray, class_names: list[str]) -> dict:
    """Accuracy, macro precision/recall/F1, per-class report and the confusion matrix (rows = true)."""
    labels = np.arange(len(class_names))
    p, r, f, support = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    return {
        "accuracy": float((y_true == y_pred).mean()),
        "precision_macro": float(p.mean()),
        "recall_macro": float(r.mean()),
        "f1_macro": float(f.mean()),
        "per_class": {name: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
                             "support": int(support[i])} for i, name in enumerate(class_names)},
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 15) -> float:
    """ECE: the gap between confidence and accuracy, averaged over equal-width confidence bins,
    weighted by how many predictions fall in each (0 = perfectly calibrated)."""
    confidence, correct = np.asarray(confidence, np.float64), np.asarray(correct, np.float64)
    if len(confidence) == 0:
        return 0.0
    which = np.clip(np.ceil(confidence * bins).astype(int) - 1, 0, bins - 1)   # (k/bins, (k+1)/bins]
    conf_sum = np.bincount(which, confidence, minlength=bins)
    acc_sum = np.bincount(which, correct, minlength=bins)
    return float(np.abs(acc_sum - conf_sum).sum() / len(confidence))


def failure_level(curve: dict[float, float], clean_accuracy: float, fraction: float) -> float | None:
    """The lowest level at which accuracy falls below `fraction` x the clean accuracy (None: never)."""
    for level in sorted(curve):
        if curve[level] < fraction * clean_accuracy:
            return level
    return None
