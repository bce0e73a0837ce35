"""One classifier run on the test split, and the mean +- std of a variant over its seeds."""
from __future__ import annotations

import numpy as np
import torch

from synthmix.evaluate.metrics import classification_metrics, expected_calibration_error, failure_level
from synthmix.evaluate.stats import mcnemar_test, mean_std, paired_t_test
from synthmix.train.loop import predict_logits

SCALARS = ("accuracy", "precision_macro", "recall_macro", "f1_macro", "ece")


def score_run(model: torch.nn.Module, x: torch.Tensor, y: np.ndarray, class_names: list[str],
              corrupted: dict[str, dict[float, torch.Tensor]],
              synthetic: tuple[torch.Tensor, np.ndarray] | None) -> dict:
    """Everything measured for one trained classifier (one variant, one seed).

    x: the clean test images as a model tensor, y their labels; corrupted[kind][level]: the same
    images corrupted; synthetic: (images, intended labels) of the filtered synthetic set, scored
    as train-on-real / test-on-synthetic when the model is a `real` one.
    """
    probs = predict_logits(model, x).softmax(1)
    pred = probs.argmax(1).cpu().numpy()
    m = classification_metrics(y, pred, class_names)
    m["ece"] = expected_calibration_error(probs.max(1).values.cpu().numpy(), pred == y)
    m["predictions"] = pred
    m["robustness"] = {kind: {level: float((predict_logits(model, xc).argmax(1).cpu().numpy() == y).mean())
                              for level, xc in levels.items()} for kind, levels in corrupted.items()}
    if synthetic is not None and len(synthetic[1]):
        sx, sy = synthetic
        spred = predict_logits(model, sx).argmax(1).cpu().numpy()
        m["synthetic_accuracy"] = {"overall": float((spred == sy).mean()),
                                   "per_class": {name: float((spred[sy == i] == i).mean()) if (sy == i).any() else None
                                                 for i, name in enumerate(class_names)}}
    return m


def _mean_nested(dicts: list[dict]) -> dict:
    """Element-wise mean of equally shaped dicts of floats (None where any run has None)."""
    out = {}
    for key, first in dicts[0].items():
        values = [d[key] for d in dicts]
        if isinstance(first, dict):
            out[key] = _mean_nested(values)
        elif any(v is None for v in values):
            out[key] = None
        else:
            out[key] = float(np.mean(values))
    return out


def aggregate(variant: str, seeds: list[int], runs: list[dict], real_runs: list[dict], y: np.ndarray,
              failure_fraction: float, alpha: float) -> dict:
    """A variant's results over seeds: mean and std of each scalar, the mean robustness curve and
    its failure levels, the seed-summed confusion matrix, and the difference against `real` with a
    paired t-test over seeds (>= 2 seeds) and McNemar's test on the first seed's predictions."""
    out: dict = {"variant": variant, "test_images": int(len(y)), "seeds": list(seeds)}
    for key in SCALARS:
        out[key], out[f"{key}_std"] = mean_std([r[key] for r in runs])
    out["runs"] = {str(s): {k: r[k] for k in SCALARS} for s, r in zip(seeds, runs)}
    out["per_class"] = _mean_nested([r["per_class"] for r in runs])
    out["confusion_matrix"] = np.sum([r["confusion_matrix"] for r in runs], axis=0).tolist()
    curves = _mean_nested([r["robustness"] for r in runs])
    out["robustness"] = {kind: {str(level): acc for level, acc in curve.items()} for kind, curve in curves.items()}
    out["failure_level"] = {kind: failure_level(curve, out["accuracy"], failure_fraction)
                            for kind, curve in curves.items()}
    if "synthetic_accuracy" in runs[0]:
        out["synthetic_accuracy"] = _mean_nested([r["synthetic_accuracy"] for r in runs])
    if variant != "real":
        diffs = [r["accuracy"] - q["accuracy"] for r, q in zip(runs, real_runs)]
        test = {"accuracy_diff": float(np.mean(diffs)),
                "mcnemar_p": mcnemar_test(runs[0]["predictions"] == y, real_runs[0]["predictions"] == y)}
        test["paired_t_p"] = paired_t_test([r["accuracy"] for r in runs],
                                           [q["accuracy"] for q in real_runs]) if len(runs) > 1 else None
        test["test"] = "paired t-test over seeds" if len(runs) > 1 else "McNemar (single seed)"
        test["p_value"] = test["paired_t_p"] if len(runs) > 1 else test["mcnemar_p"]
        test["significant"] = bool(test["p_value"] < alpha)
        out["vs_real"] = test
    return out
