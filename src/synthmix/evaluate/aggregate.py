"""A variant's results over its replicates (mean +- std), its training budget, and every variant's
paired comparison with its baseline (`augmented` for an augmented mix, `real` for the others).

Reads the per-run scores written by the classifier stages (`evaluate.score.score_run` plus the
run's training info); cheap, so adding a ratio re-scores only the new classifiers and re-runs only
this aggregation.
"""
from __future__ import annotations

import numpy as np

from synthmix.evaluate.metrics import ece_from_bins, failure_level
from synthmix.evaluate.stats import clustered_difference, holm, mcnemar_test, mean_std, paired_difference
from synthmix.variants import Variant

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


def aggregate(variant: str, runs: list[dict], failure_fraction: float) -> dict:
    """Over the replicates (runs in replicate order): mean and std of each scalar, each replicate's
    own numbers, the mean per-class report, the summed confusion matrix, the pooled reliability
    bins, the robustness curve per corruption type with its failure level (mean over the replicates
    scored on the corrupted sets, against their own clean accuracy), and the budget."""
    out: dict = {"variant": variant, "test_images": len(runs[0]["predictions"]), "replicates": len(runs)}
    for key in SCALARS:
        out[key], out[f"{key}_std"] = mean_std([r[key] for r in runs])
    out["runs"] = {str(s): {k: r[k] for k in SCALARS} | {"gan_seed": r.get("gan_seed"), "best_step": r["best_step"]}
                   for s, r in enumerate(runs)}
    out["per_class"] = mean_nested([r["per_class"] for r in runs])
    out["confusion_matrix"] = np.sum([r["confusion_matrix"] for r in runs], axis=0).tolist()
    out["reliability"] = pooled_reliability(runs)
    out["ece_pooled"] = ece_from_bins(out["reliability"])
    scored = [r for r in runs if r["robustness"] is not None]      # robustness.replicates of them
    out["robustness_replicates"] = len(scored)
    out["robustness"] = mean_nested([r["robustness"] for r in scored])
    # against the clean accuracy on the same subset of test images: level 0, always in the curve
    out["failure_level"] = {kind: failure_level({float(k): v for k, v in curve.items()}, curve["0.0"],
                                                failure_fraction) for kind, curve in out["robustness"].items()}
    out["budget"] = budget_curve([r["val_curve"] for r in runs])
    return out


def budget_curve(curves: list[list[list[float]]]) -> dict:
    """The variant's step budget and its mean validation accuracy curve over the replicates (each
    [[step, accuracy], ...], checked at the same steps). Whether the budget is on the variant's
    plateau is not judged from this curve: a check of the last quarter's rise missed a 0.9-point
    climb on mnist_sample that 4x the steps showed (the one-cycle schedule's annealing lifts every
    curve's end), so benchmarks/classifier_budget.py compares each variant with 4x its steps."""
    steps = [s for s, _ in curves[0]]
    if any([s for s, _ in c] != steps for c in curves):
        raise ValueError("replicates of one variant were checked at different steps: budgets differ")
    acc = np.asarray([[a for _, a in c] for c in curves], np.float64)          # (replicates, checks)
    return {"steps": int(steps[-1]), "checks": len(steps),
            "val_curve": [[int(s), float(a)] for s, a in zip(steps, acc.mean(0))]}


def compare_paired(runs: list[dict], base_runs: list[dict], labels: np.ndarray, alpha: float,
                   family: int) -> dict:
    """The paired difference of a variant's accuracy from its baseline's, replicate s against replicate s,
    with its 1 - alpha interval, paired t-test and the smallest difference detectable with 80% power
    at Holm's strictest level (alpha / family). The unit of the test (`unit`): the replicate, unless
    replicates share GAN draws (2 or more GAN seeds, fewer than the replicates): then the GAN draw
    (stats.clustered_difference), and `given_these_gans` holds the per-replicate interval, which
    holds for these GANs only. With one GAN seed the test is per replicate and says nothing about
    another GAN draw (`unit`: "replicate, one GAN draw"). With one replicate, McNemar's test on the
    two classifiers' per-image predictions."""
    acc, base_acc = [r["accuracy"] for r in runs], [q["accuracy"] for q in base_runs]
    if len(runs) == 1:
        first, base_first = np.asarray(runs[0]["predictions"]), np.asarray(base_runs[0]["predictions"])
        return {"diff": acc[0] - base_acc[0], "n": 1, "ci_low": None, "ci_high": None, "min_detectable": None,
                "p_value": mcnemar_test(first == labels, base_first == labels), "test": "McNemar (one replicate)",
                "unit": "replicate", "confidence": 1 - alpha}
    per_replicate = paired_difference(acc, base_acc, alpha, len(labels), power_alpha=alpha / family)
    draws = [r.get("gan_seed") for r in runs]
    if draws[0] is None:
        return per_replicate | {"test": "paired t-test over replicates", "unit": "replicate"}
    if len(set(draws)) == 1:
        return per_replicate | {"test": "paired t-test over replicates", "unit": "replicate, one GAN draw"}
    if len(set(draws)) == len(draws):
        return per_replicate | {"test": "paired t-test over replicates", "unit": "replicate and GAN draw"}
    clustered = clustered_difference(acc, base_acc, draws, alpha, len(labels), power_alpha=alpha / family)
    return clustered | {"test": "t-test over GAN draws (mean paired difference per GAN seed)", "unit": "GAN draw",
                        "given_these_gans": {k: per_replicate[k] for k in ("diff", "ci_low", "ci_high", "p_value")}}


def add_holm(results: dict[str, dict], alpha: float) -> None:
    """Holm-adjust the p-values of every tested variant (in place), over the whole family (each
    variant against its baseline): the verdict `significant` comes from the adjusted p-value, with
    the raw one kept beside it."""
    tested = [v for v, r in results.items() if r.get("vs_baseline")]
    adjusted = holm([results[v]["vs_baseline"]["p_value"] for v in tested])
    for v, p in zip(tested, adjusted):
        vs = results[v]["vs_baseline"]
        vs["p_adjusted"] = p
        vs["correction"] = f"Holm over {len(tested)} tests"
        vs["significant"] = bool(p < alpha)


def evaluate_variants(runs: dict[str, list[dict]], labels: np.ndarray, alpha: float,
                      failure_fraction: float) -> dict[str, dict]:
    """Every variant over its replicates (`aggregate`), each one but `real` against its baseline
    (Variant.baseline: augmented for an augmented mix, else real) replicate by replicate
    (`compare_paired`, one family of len(runs) - 1 tests), Holm over that family, and the synthetic
    image counts of replicate 0. `runs`: variant -> each replicate's scores.json."""
    results = {v: aggregate(v, r, failure_fraction) for v, r in runs.items()}
    for v, m in results.items():
        base = Variant.parse(v).baseline
        if base is not None:
            m["vs_baseline"] = compare_paired(runs[v], runs[base], labels, alpha, len(runs) - 1) | {"baseline": base}
        m["synthetic_counts"] = runs[v][0]["synthetic_counts"]
    add_holm(results, alpha)
    return results
