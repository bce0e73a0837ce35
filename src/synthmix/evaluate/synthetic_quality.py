"""How good, and how new, are the synthetic images, per class and overall (the `quality` stage)?

Sample quality, without the biases the comparison would otherwise have by construction:
  - each class's real *test* images are split in two halves, neither seen by a GAN or the judge:
    the reference (what every set is compared with) and `real_heldout`, the row that shows what
    "as good as real" scores (the judge's own training images would flatter it);
  - every set of a class is compared at the same size: raw draws, filtered images and
    `real_heldout` are subsampled to the smallest of them (FID grows and coverage/recall shrink
    with fewer images, so unequal sizes would rank sets by size);
  - the feature space is named beside every number: the judge's penultimate layer (no download; it
    also chose the filtered images, so there the filter is graded by its own judge) and, with
    quality.inception, Inception-v3's.
Measured: FID / KID (KID's spread over half-size subsets), k-NN precision / recall and density /
coverage, an inception-style score of the judge's predictions, and detectability (a small CNN
telling real from synthetic, balanced accuracy on held-out images: 0.5 = indistinguishable).

The memorisation audit (`memorisation_audit`) covers the filtered images of every GAN seed: per
class the copy rate and authenticity in pixel space and in the judge's feature space, on the scale
of held-out real images (see synthmix.evaluate.memorisation), and the closest synthetic/training
pairs, which the report shows side by side.
"""
from __future__ import annotations

from typing import Protocol

import numpy as np
import torch

from synthmix.core.seeds import seed_for
from synthmix.data.store import Prepared
from synthmix.evaluate.detect import detectability
from synthmix.evaluate.frechet import frechet_distance
from synthmix.evaluate.memorisation import COPY_PERCENTILE, MOSTLY_COPIES, audit_space, closest_pairs, flat_pixels
from synthmix.evaluate.quality import inception_score, kid_subsets, sample_quality
from synthmix.params import QualityParams


class Judge(Protocol):
    """What these measures need of the judge (synthmix.judge.Judge), named here so that evaluate/
    never imports the judge module, which itself imports evaluate/ (no import cycle)."""

    def embed(self, images: np.ndarray, device: torch.device) -> np.ndarray: ...

    def probabilities(self, images: np.ndarray, device: torch.device) -> np.ndarray: ...

JUDGE_SPACE = "judge penultimate layer (trained on the real training images; it also chose the filtered images)"
PIXEL_SPACE = "pixels scaled to [0, 1]"
REFERENCE = "half of each class's real test images; the other half is the real_heldout row"
PAIRS_PER_CLASS = 4


def matched_sets(data: Prepared, raw: dict[str, np.ndarray], filtered: dict[str, np.ndarray],
                 seed: int) -> tuple[dict[str, np.ndarray], dict[str, dict[str, np.ndarray]]]:
    """(reference images per class, {set name: images per class}) with every set of a class
    subsampled (without replacement, seeded) to the size of its smallest set. The class's test
    images are shuffled and halved: the first half is the reference, the second `real_heldout`."""
    reference, sets = {}, {"real_heldout": {}, "raw": {}, "filtered": {}}
    for i, c in enumerate(data.class_names):
        rng = np.random.default_rng(seed_for(seed, "quality sets", c))
        test = data.test_images[data.test_labels == i]
        order = rng.permutation(len(test))
        reference[c] = test[order[:len(test) // 2]]
        candidates = {"real_heldout": test[order[len(test) // 2:]], "raw": raw[c], "filtered": filtered[c]}
        n = min(len(x) for x in candidates.values())
        for name, x in candidates.items():
            sets[name][c] = x[np.sort(rng.choice(len(x), n, replace=False))]
    return reference, sets


def measure_quality(judge: Judge, data: Prepared, raw: dict[str, np.ndarray], filtered: dict[str, np.ndarray],
                    q: QualityParams, device: torch.device) -> dict:
    """raw: unfiltered draws per class; filtered: the kept images per class (uint8 (n, H, W, C))."""
    classes = data.class_names
    reference, sets = matched_sets(data, raw, filtered, q.seed)
    ref_feats = {c: judge.embed(reference[c], device) for c in classes}
    feats = {name: {c: judge.embed(images[c], device) for c in classes} for name, images in sets.items()}
    per_class = {}
    for i, c in enumerate(classes):
        per_class[c] = {name: sample_quality(ref_feats[c], feats[name][c], q.k) for name in feats}
        real_fit = np.concatenate([data.train[c], data.val_images[data.val_labels == i]])
        per_class[c]["detectability"] = detectability(real_fit, filtered[c], data.test_images[data.test_labels == i],
                                                      q.detector_width, q.detector_epochs,
                                                      seed_for(q.seed, "detect", c), device)
    pooled = lambda fs: np.concatenate([fs[c] for c in classes])  # noqa: E731
    overall = {name: sample_quality(pooled(ref_feats), pooled(feats[name]), q.k) for name in feats}
    accuracies = [d["accuracy"] for d in (per_class[c]["detectability"] for c in classes) if d]
    overall["detectability"] = {"accuracy": float(np.mean(accuracies))} if accuracies else None
    pooled_images = {"real_reference": pooled(reference), **{name: pooled(images) for name, images in sets.items()}}
    scores = {name: inception_score(judge.probabilities(x, device)) if len(x) else None
              for name, x in pooled_images.items()}
    return {"feature_space": JUDGE_SPACE, "reference": REFERENCE, "k": q.k,
            "size_matched": "every set of a class subsampled to its smallest set's size",
            "images_per_class": {c: int(len(sets["filtered"][c])) for c in classes},
            "reference_per_class": {c: int(len(reference[c])) for c in classes},
            "overall": overall, "inception_score": scores, "per_class": per_class}


def inception_quality(data: Prepared, raw: dict[str, np.ndarray], filtered: dict[str, np.ndarray],
                      device: torch.device, seed: int) -> dict:
    """The standard FID and KID (Inception-v3 FID features, all classes pooled) of the size-matched
    real held-out, unfiltered and filtered images against the real reference images."""
    from synthmix.evaluate.inception import inception_features, load_fid_inception

    net = load_fid_inception(device)
    reference, sets = matched_sets(data, raw, filtered, seed)
    real = inception_features(net, np.concatenate([reference[c] for c in data.class_names]), device)
    out: dict = {"feature_space": "Inception-v3 pool features (FID weights pt_inception-2015-12-05), images "
                                  "resized to 299x299, grayscale repeated to 3 channels", "reference": REFERENCE}
    for name, images in sets.items():
        fake = inception_features(net, np.concatenate([images[c] for c in data.class_names]), device)
        if len(fake) < 4:
            out[name] = None
            continue
        kid, kid_std = kid_subsets(real, fake)
        out[name] = {"fid": frechet_distance(real, fake), "kid": kid, "kid_std": kid_std,
                     "n_real": int(len(real)), "n_synthetic": int(len(fake))}
    return out


def _pooled_audit(rows: list[dict]) -> dict | None:
    """Per-class audit rows (one feature space) pooled: copy rate, authenticity and distance ratio
    weighted by each class's synthetic images, the held-out images' authenticity by its held-out
    images; None without any synthetic image."""
    rows = [r for r in rows if r and r["synthetic"]]
    if not rows:
        return None

    def mean(key: str, weight: str = "synthetic") -> float | None:
        known = [r for r in rows if r[key] is not None]
        return float(np.average([r[key] for r in known], weights=[r[weight] for r in known])) if known else None
    return {"copy_rate": mean("copy_rate"), "authenticity": mean("authenticity"),
            "heldout_authenticity": mean("heldout_authenticity", "heldout"),
            "median_distance_ratio": mean("median_distance_ratio"), "synthetic": int(sum(r["synthetic"] for r in rows))}


def mostly_copies(per_class: dict, seeds: list[str], overall: dict) -> list[str]:
    """What is mostly copies, in pixel space: 'every GAN seed' pooled, and each GAN seed on its own
    (replicate s trains on one seed's images, so one copying seed spoils a share of the replicates).
    Pixel space only: the judge's space is where the filter chose images near the training images'
    clusters, so a high judge-space copy rate may be the filter's doing, not the GAN copying."""
    out = ["every GAN seed"] if overall["pixel"] and overall["pixel"]["copy_rate"] > MOSTLY_COPIES else []
    for g in seeds:
        pooled = _pooled_audit([row["pixel_per_seed"][g] for row in per_class.values()])
        if pooled and pooled["copy_rate"] > MOSTLY_COPIES:
            out.append(f"GAN seed {g}")
    return out


def memorisation_audit(judge: Judge, data: Prepared, filtered: dict[str, dict[str, np.ndarray]],
                       device: torch.device) -> dict:
    """filtered: {GAN seed: {class: uint8 (n, H, W, C) kept images}}: what the classifiers train on.
    Per class (every GAN seed pooled, and per seed) and overall: copy rate and authenticity against
    the class's training images, on the scale of its validation and test images, in pixel and
    judge-feature space; what is mostly copies (`mostly_copies`); the closest synthetic/training
    pairs (pixel space) for the report."""
    spaces = {"pixel": lambda x: flat_pixels(x), "judge": lambda x: judge.embed(x, device)}
    per_class, pairs = {}, {}
    for i, c in enumerate(data.class_names):
        heldout = np.concatenate([data.val_images[data.val_labels == i], data.test_images[data.test_labels == i]])
        by_seed = {g: images[c] for g, images in filtered.items()}
        every = np.concatenate(list(by_seed.values()))
        seed_of = np.concatenate([np.full(len(x), int(g)) for g, x in by_seed.items()])
        row = {}
        for space, vectors in spaces.items():
            train, held = vectors(data.train[c]), vectors(heldout)
            row[space] = audit_space(vectors(every), train, held) if len(every) else None
            row[space + "_per_seed"] = {g: audit_space(vectors(x), train, held) if len(x) else None
                                        for g, x in by_seed.items()}
        per_class[c] = row
        pairs[c] = [p | {"gan_seed": int(seed_of[p["synthetic"]]),
                         "synthetic": int(p["synthetic"] - np.flatnonzero(seed_of == seed_of[p["synthetic"]])[0])}
                    for p in (closest_pairs(flat_pixels(every), flat_pixels(data.train[c]), PAIRS_PER_CLASS)
                              if len(every) else [])]
    overall = {space: _pooled_audit([r[space] for r in per_class.values()]) for space in spaces}
    return {"spaces": {"pixel": PIXEL_SPACE, "judge": JUDGE_SPACE}, "copy_percentile": COPY_PERCENTILE,
            "mostly_copies_above": MOSTLY_COPIES, "mostly_copies": mostly_copies(per_class, list(filtered), overall),
            "overall": overall, "per_class": per_class, "closest_pairs": pairs}
