"""Is a difference between two classifier variants real, or noise, and how large could it be?

- `paired_difference`: replicate s of a variant and of `real` share their initial weights and
  seed (synthmix.replicates), so they form a pair; the per-replicate differences d_s give
  the mean difference with a Student-t confidence interval, the two-sided paired t-test
  (scipy.stats.ttest_rel's p and confidence_interval, on the same numbers), and the smallest
  difference the run could detect with 80% power (the noncentral t distribution).
  Accuracies on N test images are multiples of 1/N, so identical differences happen; their
  observed spread of 0 would make t infinite and p exactly 0. The spread used is therefore never
  below the rounding noise of a difference of two such numbers, (1/N) / sqrt(6) (each is rounded
  to a grid of step 1/N: variance (1/N)^2 / 12, twice): two replicates one image apart give p = 0.18,
  not 0.
- `clustered_difference`: when replicates share GAN draws (more replicates than GAN seeds), the
  replicates of one GAN seed are not independent draws of the recipe: their differences share that
  GAN's error. The unit of the test is then the GAN draw: the mean difference per GAN seed, tested
  as above over those means (G GAN seeds: G - 1 degrees of freedom, the test for this nested
  design), their spread never below what the classifier noise alone gives them. Treating the
  replicates as independent would understate the spread.
- `mcnemar_test`: one run each on the same test images (a single replicate): the exact McNemar
  test, scipy.stats.binomtest on the images the two disagree about, p = 0.5.
- `holm`: every variant is tested against `real`, so several tests are made at once; Holm's
  step-down correction keeps the chance of any false "significant" at alpha.
Tests are two-sided; identical inputs give p = 1.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import stats
from scipy.optimize import brentq

POWER = 0.8


def mean_std(values) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof 1; 0 for a single value)."""
    v = np.asarray(values, np.float64)
    if v.size == 0:
        raise ValueError("mean_std of no values")
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0


def resolution_floor(test_images: int) -> float:
    """The smallest spread a difference of two accuracies on `test_images` images can be said to
    have: the rounding noise of two numbers on a grid of step 1/N, (1/N) / sqrt(6)."""
    return 1.0 / (test_images * math.sqrt(6.0))


def paired_difference(a, b, alpha: float, test_images: int, power_alpha: float | None = None,
                      spread_floor: float = 0.0) -> dict:
    """Variant `a` against baseline `b`, per-replicate results paired by index (>= 2 pairs).

    Returns diff (mean of a - b), sd (of the differences, floored at `resolution_floor`), n,
    ci_low/ci_high (the 1 - alpha Student-t interval of the mean difference), p_value (two-sided
    paired t-test), floored (whether the floor replaced the observed spread) and
    min_detectable (the smallest |difference| the test at level `power_alpha`, default alpha,
    detects with 80% power given this spread and n). `spread_floor`: a lower bound on the spread
    known from elsewhere (clustered_difference).
    """
    d = np.asarray(a, np.float64) - np.asarray(b, np.float64)
    if d.ndim != 1 or d.size < 2:
        raise ValueError(f"a paired comparison needs at least 2 pairs, got {d.size}")
    n, mean, observed = d.size, float(d.mean()), float(d.std(ddof=1))
    sd = max(observed, resolution_floor(test_images), spread_floor)
    se, df = sd / math.sqrt(n), n - 1
    half = float(stats.t.ppf(1 - alpha / 2, df)) * se
    p = float(2 * stats.t.sf(abs(mean) / se, df))
    detectable = max(min_detectable(sd, n, power_alpha or alpha), 1.0 / test_images)    # never below one image
    return {"diff": mean, "sd": sd, "n": n, "ci_low": mean - half, "ci_high": mean + half, "p_value": p,
            "floored": observed < sd, "confidence": 1 - alpha, "min_detectable": detectable}


def clustered_difference(a, b, clusters, alpha: float, test_images: int, power_alpha: float | None = None) -> dict:
    """`paired_difference` with the cluster (the GAN seed of each pair) as the unit: the mean of
    a - b within each cluster, then the test over those means (>= 2 clusters). The spread of the
    cluster means is never taken below what the classifier noise alone gives them (the pooled
    within-cluster spread / sqrt(pairs per cluster)): with 3 clusters their observed spread is
    itself a noisy estimate, and a spread below that floor is chance, not a precise GAN draw.
    Also `pairs` (replicates behind the means), `within_sd` and `gan_draws_differ_p` (whether the
    clusters' means differ beyond the spread within them). With unequal clusters (replicates
    not a multiple of the GAN seeds) `diff` is the unweighted mean of the cluster means."""
    d = np.asarray(a, np.float64) - np.asarray(b, np.float64)
    keys = list(clusters)
    if len(keys) != d.size:
        raise ValueError(f"{d.size} pairs but {len(keys)} cluster labels")
    groups = [d[[k == c for k in keys]] for c in sorted(set(keys))]
    means = [float(g.mean()) for g in groups]
    residual_df = d.size - len(groups)
    within = math.sqrt(sum(float(((g - g.mean()) ** 2).sum()) for g in groups) / residual_df) if residual_df else 0.0
    floor = within / math.sqrt(d.size / len(groups))
    return paired_difference(means, np.zeros(len(means)), alpha, test_images, power_alpha, spread_floor=floor) | {
        "pairs": int(d.size), "within_sd": within, "gan_draws_differ_p": between_groups_p(groups)}


def between_groups_p(groups: list[np.ndarray]) -> float | None:
    """One-way analysis of variance: do the clusters' means differ by more than the spread within
    them allows (scipy.stats.f_oneway)? None without a spread to compare with (a cluster of one, or
    no spread within any)."""
    if min(len(g) for g in groups) < 2 or all(float(np.ptp(g)) == 0.0 for g in groups):
        return None
    return float(stats.f_oneway(*groups).pvalue)


def units_for_half_width(sd: float, half_width: float, alpha: float, most: int = 10_000) -> int | None:
    """The fewest units n (>= 2) whose 1 - alpha Student-t interval of a mean with spread sd is at
    most +-half_width: t(1 - alpha / 2, n - 1) sd / sqrt(n) <= half_width; None past `most`."""
    return next((n for n in range(2, most + 1)
                 if float(stats.t.ppf(1 - alpha / 2, n - 1)) * sd / math.sqrt(n) <= half_width), None)


def min_detectable(sd: float, n: int, alpha: float, power: float = POWER) -> float:
    """The true mean difference a two-sided paired t-test at level alpha over n pairs with spread
    sd detects with probability `power`: solves P(|T| > t_crit) = power for T noncentral t."""
    df = n - 1
    crit = float(stats.t.ppf(1 - alpha / 2, df))

    def power_at(delta: float) -> float:
        nc = delta * math.sqrt(n) / sd
        wrong_side = float(stats.nct.cdf(-crit, df, nc))     # a vanishing tail: scipy can return nan there
        return float(stats.nct.sf(crit, df, nc)) + (wrong_side if math.isfinite(wrong_side) else 0.0)

    hi = sd
    while power_at(hi) < power:          # bracket the root; power rises with delta
        hi *= 2
    return float(brentq(lambda x: power_at(x) - power, 0.0, hi, xtol=1e-10))


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
