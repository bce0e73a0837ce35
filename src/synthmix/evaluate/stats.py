"""Is a difference between two classifier variants real, or noise? Tests on paired results, by name.

- `paired_t_test`: the same seeds trained two ways (variant vs `real`): scipy.stats.ttest_rel on the
  per-seed accuracies. Seeds pair the runs: seed s of both variants shares its data order and
  initialisation stream name, so per-seed differences remove part of the run-to-run noise.
- `mcnemar_test`: one run each on the same test images; only the images on which the two disagree
  about correctness carry information: the exact McNemar test, scipy.stats.binomtest on those
  discordant pairs with p = 0.5.
- `holm`: every variant is tested against `real`, so several tests are made at once; Holm's
  step-down correction keeps the chance of any false "significant" at alpha.
Both tests are two-sided; identical inputs give p = 1.
"""
from __future__ import annotations

import numpy as np
from scipy import stats


def mean_std(values) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof 1; 0 for a single value)."""
    v = np.asarray(values, np.float64)
    if v.size == 0:
        raise ValueError("mean_std of no values")
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0


def paired_t_test(a, b) -> float:
    """Two-sided p-value of Student's paired t-test that mean(a - b) = 0 (a, b: per-seed results)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    d = a - b
    if d.ndim != 1 or d.size < 2:
        raise ValueError(f"a paired t-test needs at least 2 pairs, got {d.size}")
    if d.std(ddof=1) == 0:
        # every seed moved by exactly the same amount, where ttest_rel's t is undefined (nan): no
        # difference at all (p = 1), or a difference with no spread, which no noise explains (p = 0)
        return 1.0 if d.mean() == 0 else 0.0
    return float(stats.ttest_rel(a, b).pvalue)


def mcnemar_test(correct_a, correct_b) -> float:
    """Two-sided exact McNemar p-value for two classifiers' per-image correctness on one test set."""
    a, b = np.asarray(correct_a, bool), np.asarray(correct_b, bool)
    if a.shape != b.shape:
        raise ValueError(f"McNemar needs predictions on the same images, got {a.shape} and {b.shape}")
    only_a, only_b = int((a & ~b).sum()), int((~a & b).sum())
    if only_a + only_b == 0:
        return 1.0
    return float(stats.binomtest(only_a, only_a + only_b, 0.5).pvalue)


def holm(p_values: list[float]) -> list[float]:
    """Holm-adjusted p-values, in the input order: the i-th smallest of m is multiplied by
    (m - i + 1), made non-decreasing in that order, and capped at 1. A test is significant at
    level alpha when its adjusted p-value is below alpha."""
    p = np.asarray(p_values, np.float64)
    m = len(p)
    order = np.argsort(p, kind="stable")
    adjusted = np.minimum(1.0, np.maximum.accumulate(p[order] * (m - np.arange(m))))
    out = np.empty(m)
    out[order] = adjusted
    return out.tolist()
