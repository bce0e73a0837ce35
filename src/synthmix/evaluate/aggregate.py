"""A variant's results over its seeds (mean +- std), and every variant's test against `real`.

Reads the per-run scores written by the classifier stages (`evaluate.score.score_run`); cheap, so
adding a ratio or a seed re-scores only the new classifiers and re-runs only this aggregation.
"""
from __future__ import annotations

import numpy as np

from synthmix.evaluate.metrics import ece_from_bins, failure_level
from synthmix.evaluate.stats import holm, mcnemar_test, mean_std, paired_t_test

SCALARS = ("accuracy", "precision_macro", "recall_macro", "f1_macro", "ece")


def mean_nested(dicts: list[dict]) -> dict:
    """Element-wise mean of equally shaped dicts of floats (None where any run has None)."""
    out = {}
    for key, first in dicts[0].items():
        values = [d[key] for d in dicts]
        if isinstance(first, dict):
            out[key] = mean_nested(values)
        elif any(v is None for v in values):
            out[key] = None
        else:
            out[key] = float(np.mean(values))
    return out


def pooled_reliability(runs: list[dict]) -> dict:
    """The runs' reliability bins added up: one reliability diagram per variant."""
    return {k: np.sum([r["reliability"][k] for r in runs], axis=0).tolist() for k in runs[0]["reliability"]}


def aggregate(variant: str, seeds: list[int], runs: list[dict], failure_fraction: float) -> dict:
    """Mean and std of each scalar over seeds, each seed's own numbers, the mean per-class report,
    the seed-summed confusion matrix, the pooled reliability bins, and the mean robustness curve
    with its failure level per corruption type."""
    out: dict = {"variant": variant, "test_images": len(runs[0]["predictions"]), "seeds": list(seeds)}
    for key in SCALARS:
        out[key], out[f"{key}_std"] = mean_std([r[key] for r in runs])
    out["runs"] = {str(s): {k: r[k] for k in SCALARS} for s, r in zip(seeds, runs)}
    out["per_class"] = mean_nested([r["per_class"] for r in runs])
    out["confusion_matrix"] = np.sum([r["confusion_matrix"] for r in runs], axis=0).tolist()
    out["reliability"] = pooled_reliability(runs)
    out["ece_pooled"] = ece_from_bins(out["reliability"])
    out["robustness"] = mean_nested([r["robustness"] for r in runs])
    out["failure_level"] = {kind: failure_level({float(k): v for k, v in curve.items()}, out["accuracy"],
                                                failure_fraction) for kind, curve in out["robustness"].items()}
    return out


def compare_with_real(runs: list[dict], real_runs: list[dict], labels: np.ndarray) -> dict:
    """The difference of a variant's accuracy from `real`'s, with a paired t-test over seeds (when
    there are 2 or more) and McNemar's test on the first seed's predictions."""
    diffs = [r["accuracy"] - q["accuracy"] for r, q in zip(runs, real_runs)]
    first, real_first = np.asarray(runs[0]["predictions"]), np.asarray(real_runs[0]["predictions"])
    test = {"accuracy_diff": float(np.mean(diffs)), "mcnemar_p": mcnemar_test(first == labels, real_first == labels)}
    several = len(runs) > 1
    test["paired_t_p"] = paired_t_test([r["accuracy"] for r in runs], [q["accuracy"] for q in real_runs]) if several else None
    test["test"] = "paired t-test over seeds" if several else "McNemar (single seed)"
    test["p_value"] = test["paired_t_p"] if several else test["mcnemar_p"]
    return test


def add_holm(results: dict[str, dict], alpha: float) -> None:
    """Holm-adjust the p-values of every variant tested against `real` (in place): the verdict
    `significant` comes from the adjusted p-value, with the raw one kept beside it."""
    tested = [v for v, r in results.items() if r.get("vs_real")]
    adjusted = holm([results[v]["vs_real"]["p_value"] for v in tested])
    for v, p in zip(tested, adjusted):
        vs = results[v]["vs_real"]
        vs["p_adjusted"] = p
        vs["correction"] = f"Holm over {len(tested)} tests"
        vs["significant"] = bool(p < alpha)
