"""Is a difference between two classifier variants real, or noise? Tests on paired results.

- `paired_t_test`: the same seeds trained two ways (variant vs `real`); tests whether the mean of the
  per-seed differences is zero. Seeds pair the runs: seed s of both variants shares its data order
  and initialisation stream name, so per-seed differences remove part of the run-to-run noise.
- `mcnemar_test`: one run each, the same test images; only the images on which the two disagree
  about correctness carry information (exact binomial test on those discordant pairs).
Both return a two-sided p-value; identical inputs give p = 1.
"""
from __future__ import annotations

import math

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
    d = np.asarray(a, np.float64) - np.asarray(b, np.float64)
    if d.ndim != 1 or d.size < 2:
        raise ValueError(f"a paired t-test needs at least 2 pairs, got {d.size}")
    mean, sd = d.mean(), d.std(ddof=1)
    if sd == 0:
        # every seed moved by exactly the same amount: no difference at all (p = 1), or a
        # difference with no spread, which no amount of noise explains (p = 0)
        return 1.0 if mean == 0 else 0.0
    t = mean / (sd / math.sqrt(d.size))
    return float(min(1.0, 2 * stats.t.sf(abs(t), df=d.size - 1)))


def mcnemar_test(correct_a, correct_b) -> float:
    """Two-sided exact McNemar p-value for two classifiers' per-image correctness on one test set."""
    a, b = np.asarray(correct_a, bool), np.asarray(correct_b, bool)
    if a.shape != b.shape:
        raise ValueError(f"McNemar needs predictions on the same images, got {a.shape} and {b.shape}")
    only_a, only_b = int((a & ~b).sum()), int((~a & b).sum())
    n = only_a + only_b
    if n == 0:
        return 1.0
    return float(min(1.0, 2 * stats.binom.cdf(min(only_a, only_b), n, 0.5)))
