"""How a training set is built from real and (filtered) synthetic images at a given ratio.

The ratio r is the percent of synthetic images in the training set, applied per class, so every mix
keeps the class balance of the real data:

- mode "add" (default): every real image is kept and round(R_c * r / (100 - r)) synthetic images of
  class c are added (R_c real images of class c). r = 50 doubles the training set. r = 100 is impossible.
- mode "replace": the total stays R_c per class; round(R_c * r / 100) of them are synthetic and the
  rest a random subset of the real images.
- mode "balance": every class is filled with synthetic images up to the same total,
  round(max_c R_c * 100 / (100 - r)): at r = 0 the classes are just balanced (the largest class gets
  none), at r > 0 the largest class is r percent synthetic and smaller classes more. With equal
  classes it equals "add".
- the `synthetic` variant is synthetic-only with R_c images per class (same size as `real`).

When fewer filtered synthetic images exist than a class needs, all of them are used and the rest are
drawn again with replacement; the per-class counts (wanted, used, unique) are returned. The filtered
images hold no near-duplicates of each other (the synthesize stage drops an image within the
class's near-duplicate radius of a kept one), so "unique" counts images that are not near-copies. A variant is
not trained on a handful of images repeated: when a class has fewer unique synthetic images than
`filter.min_unique` (or than the variant asks for, when that is fewer), `training_set` refuses with
an error naming the class, the count and what to change.
"""
from __future__ import annotations

import numpy as np

from synthmix.core.errors import TooFewImagesError
from synthmix.variants import Variant, check_ratio


def mix_counts(n_real: int, ratio: int, mode: str, n_largest: int | None = None) -> tuple[int, int]:
    """(real images kept, synthetic images wanted) for one class with n_real real images.

    `n_largest` (the real count of the largest class) is used by mode "balance" only.
    """
    check_ratio(ratio, mode)
    if mode == "balance":
        target = int(round((n_largest or n_real) * 100 / (100 - ratio)))
        return n_real, max(target - n_real, 0)
    if mode == "add":
        return n_real, int(round(n_real * ratio / (100 - ratio)))
    if mode == "replace":
        n_syn = int(round(n_real * ratio / 100))
        return n_real - n_syn, n_syn
    raise ValueError(f"unknown mix mode {mode!r}; valid: add, replace, balance")


def mix_real_synthetic(real: dict[str, np.ndarray], synthetic: dict[str, np.ndarray], class_names: list[str],
                       ratio: int, mode: str, seed: int) -> tuple[np.ndarray, np.ndarray, dict]:
    """Build (images uint8 (N, H, W, C), labels int64 (N,), per-class counts) for one mix."""
    rng = np.random.default_rng([seed, ratio])
    images, labels, counts = [], [], {}
    n_largest = max(len(real[name]) for name in class_names)
    for label, name in enumerate(class_names):
        r, s = real[name], synthetic.get(name, real[name][:0])
        n_real, n_syn = mix_counts(len(r), ratio, mode, n_largest)
        keep_real = r if n_real == len(r) else r[np.sort(rng.choice(len(r), n_real, replace=False))]
        if n_syn <= len(s):
            pick = np.sort(rng.choice(len(s), n_syn, replace=False))
        elif len(s) == 0:
            pick = np.zeros(0, np.int64)
        else:
            # all unique images once, the shortfall drawn with replacement
            pick = np.concatenate([np.arange(len(s)), rng.choice(len(s), n_syn - len(s), replace=True)])
        chosen = s[pick]
        counts[name] = {"real": int(len(keep_real)), "synthetic": int(len(chosen)), "synthetic_wanted": n_syn,
                        "synthetic_unique": int(len(np.unique(pick)))}
        images += [keep_real, chosen]
        labels.append(np.full(len(keep_real) + len(chosen), label, np.int64))
    return np.concatenate(images), np.concatenate(labels), counts


def synthetic_only(synthetic: dict[str, np.ndarray], real: dict[str, np.ndarray], class_names: list[str],
                   seed: int) -> tuple[np.ndarray, np.ndarray, dict]:
    """The `synthetic` variant: as many synthetic images per class as there are real ones."""
    return mix_real_synthetic(real, synthetic, class_names, 100, "replace", seed)


def check_enough_unique(counts: dict, min_unique: int, variant: str) -> None:
    """Refuse a training set in which some class holds fewer unique synthetic images than
    min(min_unique, what the variant asks for): its result would be about a handful of images."""
    for name, c in counts.items():
        need = min(min_unique, c["synthetic_wanted"])
        if c["synthetic_unique"] < need:
            raise TooFewImagesError(
                f"variant {variant}: class {name!r} has {c['synthetic_unique']} unique synthetic images after "
                f"filtering, fewer than the {need} this variant needs (filter.min_unique = {min_unique}); its "
                "result would be about a handful of images repeated, not about synthetic data. Raise "
                "generate.max_draws, loosen the filter (filter.quantile, filter.fraction or filter.threshold) "
                "or train the GANs longer (gan.steps); per-class counts are in metrics/filter.json")


def training_set(variant: Variant, real: dict[str, np.ndarray], synthetic: dict[str, np.ndarray] | None,
                 class_names: list[str], mode: str, min_unique: int, seed: int) -> tuple[np.ndarray, np.ndarray, dict | None]:
    """(images, labels, per-class counts or None) of one variant; real and augmented use the real
    images (augmentation happens per batch during training)."""
    if not variant.uses_synthetic:
        images = np.concatenate([real[c] for c in class_names])
        labels = np.concatenate([np.full(len(real[c]), i, np.int64) for i, c in enumerate(class_names)])
        return images, labels, None
    if synthetic is None:
        raise ValueError(f"variant {variant} needs the filtered synthetic images")
    if variant.kind == "synthetic":
        images, labels, counts = synthetic_only(synthetic, real, class_names, seed)
    else:
        images, labels, counts = mix_real_synthetic(real, synthetic, class_names, variant.ratio, mode, seed)
    check_enough_unique(counts, min_unique, variant.name)
    return images, labels, counts
