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
drawn again with replacement; the per-class counts (needed, unique, repeated) are returned so the
report shows it. A class with no synthetic image left after filtering gets none, with a warning.
"""
from __future__ import annotations

import warnings

import numpy as np


def mix_counts(n_real: int, ratio: int, mode: str, n_largest: int | None = None) -> tuple[int, int]:
    """(real images kept, synthetic images wanted) for one class with n_real real images.

    `n_largest` (the real count of the largest class) is used by mode "balance" only.
    """
    if not 0 <= ratio <= 100:
        raise ValueError(f"ratio {ratio} must be in 0..100")
    if mode == "balance":
        if ratio == 100:
            raise ValueError("mode 'balance' cannot reach 100% synthetic; use mode 'replace'")
        target = int(round((n_largest or n_real) * 100 / (100 - ratio)))
        return n_real, max(target - n_real, 0)
    if mode == "add":
        if ratio == 100:
            raise ValueError("mode 'add' cannot reach 100% synthetic; use mode 'replace'")
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
            warnings.warn(f"class {name!r}: no synthetic image passed the filter; this mix has none of "
                          f"the {n_syn} it asks for", stacklevel=2)
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
