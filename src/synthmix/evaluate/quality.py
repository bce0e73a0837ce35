"""Sample-quality distances between two sets of feature vectors (e.g. the judge's penultimate
features of real and synthetic images): Fréchet (in `frechet.py`, which the GAN stages also use),
kernel (KID), and k-NN precision/recall and density/coverage.
"""
from __future__ import annotations

import numpy as np

from synthmix.evaluate.frechet import frechet_distance
from synthmix.evaluate.memorisation import euclidean_distances


def kernel_distance(a: np.ndarray, b: np.ndarray) -> float:
    """KID: unbiased estimate of the squared maximum mean discrepancy between feature sets a and b
    with the cubic polynomial kernel k(x, y) = (x.y / d + 1)^3 (Binkowski et al., 2018). Unlike
    FID it is unbiased for small sets; ~0 for two samples of one distribution."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    m, n, d = len(a), len(b), a.shape[1]
    if m < 2 or n < 2 or b.shape[1] != d:
        raise ValueError(f"need two (n>=2, d) feature sets of equal d, got {a.shape} and {b.shape}")
    k_aa = (a @ a.T / d + 1) ** 3
    k_bb = (b @ b.T / d + 1) ** 3
    k_ab = (a @ b.T / d + 1) ** 3
    return float((k_aa.sum() - np.trace(k_aa)) / (m * (m - 1)) + (k_bb.sum() - np.trace(k_bb)) / (n * (n - 1))
                 - 2 * k_ab.mean())


def _knn_radius(x: np.ndarray, k: int) -> np.ndarray:
    """Distance from each row of x to its k-th nearest other row."""
    if len(x) <= k:
        raise ValueError(f"need more than k={k} feature vectors for k-NN radii, got {len(x)}")
    d = euclidean_distances(x, x)
    return np.sort(d, axis=1)[:, k]        # column 0 is the point itself (distance 0)


def manifold_metrics(real: np.ndarray, fake: np.ndarray, k: int = 3) -> dict[str, float]:
    """Improved precision/recall (Kynkäänniemi et al., 2019) and density/coverage (Naeem et al.,
    2020) of fake feature vectors against real ones, with k-nearest-neighbour balls as manifolds.

    precision: share of fake samples inside some real sample's k-NN ball (are fakes realistic?)
    recall:    share of real samples inside some fake sample's k-NN ball (is the variety covered?)
    density:   how many real balls hold each fake sample, / k (1 on average for matching sets;
               rewards fakes where real samples are dense, robust to real outliers)
    coverage:  share of real samples whose ball holds at least one fake sample
    """
    r_real, r_fake = _knn_radius(real, k), _knn_radius(fake, k)
    d = euclidean_distances(real, fake)              # (n_real, n_fake)
    in_real_ball = d <= r_real[:, None]              # fake j inside real i's ball
    return {"precision": float(in_real_ball.any(0).mean()),
            "recall": float((d <= r_fake[None, :]).any(1).mean()),
            "density": float(in_real_ball.sum() / (k * d.shape[1])),
            "coverage": float(in_real_ball.any(1).mean())}


def kid_subsets(a: np.ndarray, b: np.ndarray, subsets: int = 50, subset_size: int = 1000,
                seed: int = 0) -> tuple[float, float]:
    """KID as usually reported: the mean and standard deviation of `kernel_distance` over `subsets`
    random pairs of subsets (without replacement), each of min(subset_size, half the smaller set)
    vectors (at least 2). Half, so that the subsets differ even when the sets are of equal size: the
    std then says how much the estimate moves with which images are drawn (with whole sets it was 0)."""
    size = max(2, min(subset_size, min(len(a), len(b)) // 2))
    rng = np.random.default_rng(seed)
    values = [kernel_distance(a[rng.choice(len(a), size, replace=False)], b[rng.choice(len(b), size, replace=False)])
              for _ in range(subsets)]
    return float(np.mean(values)), float(np.std(values, ddof=1)) if subsets > 1 else 0.0


def sample_quality(real: np.ndarray, fake: np.ndarray, k: int = 3, kid_subsets_n: int = 50) -> dict | None:
    """FID, KID (mean and std over subsets) and the k-NN manifold metrics of fake against real
    feature vectors; None when either set has k or fewer vectors (no k-NN radius exists)."""
    if len(real) <= k or len(fake) <= k or len(real) < 2 or len(fake) < 2:
        return None
    kid, kid_std = kid_subsets(real, fake, kid_subsets_n)
    return {"fid": frechet_distance(real, fake), "kid": kid, "kid_std": kid_std,
            **manifold_metrics(real, fake, k), "n_real": int(len(real)), "n_synthetic": int(len(fake))}


def inception_score(probs: np.ndarray) -> float:
    """Inception-style score exp(E_x KL(p(y|x) || p(y))) from class probabilities (N, K) of a
    classifier (here the judge): high when each image is confidently one class and the classes are
    evenly used; 1 (the minimum) when every image gets the same prediction, K at most."""
    p = np.asarray(probs, np.float64)
    if p.ndim != 2 or len(p) == 0:
        raise ValueError(f"need class probabilities (N>=1, K), got shape {p.shape}")
    marginal = p.mean(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        kl = np.where(p > 0, p * (np.log(p) - np.log(marginal)), 0.0).sum(1)
    return float(np.exp(kl.mean()))
