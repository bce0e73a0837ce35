"""Are the synthetic images new, or near-copies of the few real ones a GAN trained on?

Distances are Euclidean, in pixel space (images scaled to [0, 1] and flattened) or in a feature
space. Their scale comes from real images of the same class that no GAN saw (validation and test):
how close does a *new* real image come to the training images? That sets
  the copy threshold      the 5th percentile of the held-out images' nearest-training distances;
  copy rate               share of synthetic images nearer to a training image than that (a fresh
                          real sample scores about 0.05 by construction; copies score 1.0);
  authenticity            Alaa et al. 2022 ("How faithful is your synthetic data?"): a synthetic
                          image is unauthentic when it is nearer to its nearest training image
                          t than t's own nearest other training image is; the score is the
                          authentic share, shown next to the same score of held-out real images;
  near-duplicate radius   the 5th percentile of the training images' distances to their nearest
                          other training image: two images closer than that count as one
                          (`greedy_distinct`), so "unique" means "not a near-duplicate". Nearest-
                          neighbour distances shrink as a set grows, so among more images than the
                          ~50 it is set on, more than 5% of real images would count as near-
                          duplicates (about 8% for ~124 real digits per class): the rule errs strict.
Distances at most DUPLICATE_FLOOR (far below one grey level, 1/255) are exact repeats: the
a.a + b.b - 2 a.b form leaves rounding noise of ~1e-7 where it should give 0.
"""
from __future__ import annotations

import numpy as np

COPY_PERCENTILE = 5.0          # the copy threshold and the near-duplicate radius, in percent
MOSTLY_COPIES = 0.5            # a copy rate above this flags the synthetic variants in the verdict
DUPLICATE_FLOOR = 1e-4         # distances up to this are exact repeats (rounding noise, see above)
CHUNK = 1024                   # rows per block in `nearest`: (CHUNK, n_b) float64 at most in memory


def flat_pixels(images: np.ndarray) -> np.ndarray:
    """uint8 (n, H, W, C) -> float32 (n, H*W*C) in [0, 1]: the pixel space distances are taken in."""
    return images.reshape(len(images), int(np.prod(images.shape[1:]))).astype(np.float32) / 255.0


def euclidean_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(n_a, n_b) Euclidean distances between the rows of a (n_a, d) and b (n_b, d), in float64."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    sq = (a ** 2).sum(1)[:, None] + (b ** 2).sum(1)[None, :] - 2 * a @ b.T
    return np.sqrt(np.clip(sq, 0, None))


def nearest(a: np.ndarray, b: np.ndarray, exclude_self: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """For each row of a: (distance to, index of) its nearest row of b, in blocks of CHUNK rows.
    exclude_self: a is b, and a row is not its own neighbour."""
    if len(b) < 1 + exclude_self:
        raise ValueError(f"need at least {1 + exclude_self} reference vector(s), got {len(b)}")
    dist, index = np.empty(len(a)), np.empty(len(a), np.int64)
    for start in range(0, len(a), CHUNK):
        d = euclidean_distances(a[start:start + CHUNK], b)           # (chunk, n_b)
        if exclude_self:
            d[np.arange(len(d)), np.arange(start, start + len(d))] = np.inf
        index[start:start + len(d)] = d.argmin(1)
        dist[start:start + len(d)] = d[np.arange(len(d)), index[start:start + len(d)]]
    return dist, index


def near_duplicate_radius(real: np.ndarray) -> float:
    """The COPY_PERCENTILE-th percentile of each real vector's distance to its nearest other one:
    distinct real images of the class come this close only rarely. real: (n >= 2, d)."""
    return float(np.percentile(nearest(real, real, exclude_self=True)[0], COPY_PERCENTILE))


def greedy_distinct(x: np.ndarray, radius: float, taken: np.ndarray | None = None) -> np.ndarray:
    """Indices, in order, of the rows of x (n, d) kept when each is kept only if it is farther than
    `radius` from every row kept before it and from every row of `taken` (m, d). radius 0 drops
    exact repeats only. Holds an (n, n) boolean matrix: n = generate.max_draws at most."""
    radius = max(radius, DUPLICATE_FLOOR)
    free = np.ones(len(x), bool)
    if taken is not None and len(taken) and len(x):
        free &= nearest(x, taken)[0] > radius
    close = euclidean_distances(x, x) <= radius                      # (n, n), the diagonal is True
    chosen = []
    for i in np.flatnonzero(free):      # one numpy row operation per kept image, not per pair
        if free[i]:
            chosen.append(i)
            free &= ~close[i]
    return np.asarray(chosen, np.int64)


def authenticity(queries: np.ndarray, train: np.ndarray) -> float | None:
    """Alaa et al. 2022: the share of queries farther from their nearest training vector t than t is
    from its own nearest other training vector. queries (n, d), train (m, d); None when m < 2 (no
    training vector has a neighbour) or there is no query."""
    if len(train) < 2 or len(queries) == 0:
        return None
    own = nearest(train, train, exclude_self=True)[0]                # (m,)
    dist, index = nearest(queries, train)
    return float((dist > own[index]).mean())


def audit_space(synthetic: np.ndarray, train: np.ndarray, heldout: np.ndarray) -> dict:
    """Copy rate, authenticity and distance ratio of synthetic vectors (n >= 1, d) against the
    training vectors (m >= 1, d), on the scale of held-out real vectors (h >= 1, d) of the same
    class. An exact repeat of a training vector is a copy even when the threshold is 0 (a data set
    whose held-out images repeat training images)."""
    held_dist = nearest(heldout, train)[0]
    threshold = float(np.percentile(held_dist, COPY_PERCENTILE))
    syn_dist = nearest(synthetic, train)[0]
    copies = (syn_dist < threshold) | (syn_dist <= DUPLICATE_FLOOR)
    return {"copy_rate": float(copies.mean()), "copy_threshold": threshold,
            "authenticity": authenticity(synthetic, train), "heldout_authenticity": authenticity(heldout, train),
            "median_distance_ratio": float(np.median(syn_dist) / max(np.median(held_dist), 1e-12)),
            "synthetic": int(len(synthetic)), "heldout": int(len(heldout))}


def closest_pairs(synthetic: np.ndarray, train: np.ndarray, count: int) -> list[dict]:
    """The `count` synthetic rows nearest to any training row: [{synthetic, train, distance}]."""
    dist, index = nearest(synthetic, train)
    order = np.argsort(dist, kind="stable")[:count]
    return [{"synthetic": int(i), "train": int(index[i]), "distance": float(dist[i])} for i in order]
