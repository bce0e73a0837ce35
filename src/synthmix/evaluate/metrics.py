"""Classification metrics on the real test split (numpy only: a scoring stage need not import
scikit-learn, about a second of start-up, for a confusion matrix)."""
from __future__ import annotations

import numpy as np


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """int64 (K, K) counts, rows = true class, columns = predicted class."""
    y_true, y_pred = np.asarray(y_true, np.int64), np.asarray(y_pred, np.int64)
    return np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def precision_recall_f1(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-class precision, recall, F1 and support from a confusion matrix; 0 where undefined
    (no prediction of, or no image of, the class), as scikit-learn's zero_division=0."""
    tp = np.diag(cm).astype(np.float64)
    predicted, support = cm.sum(0), cm.sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(predicted > 0, tp / predicted, 0.0)
        r = np.where(support > 0, tp / support, 0.0)
        f = np.where(p + r > 0, 2 * p * r / (p + r), 0.0)
    return p, r, f, support


def classification_metrics(y_true: np.ndarray, y_pred: np.ndarray, class_names: list[str]) -> dict:
    """Accuracy, macro precision/recall/F1, per-class report and the confusion matrix (rows = true)."""
    cm = confusion_matrix(y_true, y_pred, len(class_names))
    p, r, f, support = precision_recall_f1(cm)
    return {
        "accuracy": float((y_true == y_pred).mean()),
        "precision_macro": float(p.mean()),
        "recall_macro": float(r.mean()),
        "f1_macro": float(f.mean()),
        "per_class": {name: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
                             "support": int(support[i])} for i, name in enumerate(class_names)},
        "confusion_matrix": cm.tolist(),
    }


def reliability(confidence: np.ndarray, correct: np.ndarray, bins: int = 15) -> dict[str, list]:
    """Per equal-width confidence bin ((k/bins, (k+1)/bins]): the number of predictions, the sum of
    their confidences and the number correct; sums, so that runs can be pooled by adding them."""
    confidence, correct = np.asarray(confidence, np.float64), np.asarray(correct, np.float64)
    which = np.clip(np.ceil(confidence * bins).astype(int) - 1, 0, bins - 1)
    return {"count": np.bincount(which, minlength=bins).tolist(),
            "confidence_sum": np.bincount(which, confidence, minlength=bins).tolist(),
            "correct_sum": np.bincount(which, correct, minlength=bins).tolist()}


def ece_from_bins(bins: dict[str, list]) -> float:
    """ECE from `reliability` bins: sum over bins of |correct - confidence| / all predictions."""
    n = sum(bins["count"])
    if n == 0:
        return 0.0
    return float(np.abs(np.subtract(bins["correct_sum"], bins["confidence_sum"])).sum() / n)


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 15) -> float:
    """ECE: the gap between confidence and accuracy, averaged over equal-width confidence bins,
    weighted by how many predictions fall in each (0 = perfectly calibrated)."""
    return ece_from_bins(reliability(confidence, correct, bins))


def failure_level(curve: dict[float, float], clean_accuracy: float, fraction: float) -> float | None:
    """The lowest level at which accuracy falls below `fraction` x the clean accuracy (None: never)."""
    for level in sorted(curve):
        if curve[level] < fraction * clean_accuracy:
            return level
    return None
