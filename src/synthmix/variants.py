"""Classifier variants: what each one trains on, and the one place their names are parsed and formatted.

- real: the real training images only;
- augmented: the real images with classic augmentation;
- synthetic: filtered synthetic images only, as many per class as there are real ones (train on
  synthetic, test on real: the classification accuracy score, CAS);
- mix_<pct>: real and synthetic images with <pct> percent synthetic (see `synthmix.mix`);
- augmented_mix_<pct>: the training set of mix_<pct> with augmented's classic augmentation per
  batch: the practitioner's question (does synthetic data help once I already augment?), so it is
  tested against `augmented`, every other variant against `real`;
- real_<n>: real images only, n per class (`data.more_real`): the real-data learning curve that
  the synthetic variants' worth is counted on. A yardstick, not a hypothesis: outside the tested family.

Ratios are integer percents because DVC compares parameter values as strings: `-S mix.ratios=[50]`
and `[50.0]` would be different experiments. No torch or numpy here: params validation imports it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

KINDS = ("real", "augmented", "synthetic", "mix", "augmented_mix", "more_real")
MIX_PREFIX = "mix_"
AUGMENTED_MIX_PREFIX = "augmented_mix_"
MORE_REAL_PREFIX = "real_"
_SIZED = re.compile(r"(mix_|augmented_mix_|real_)(0|[1-9][0-9]*)")


def check_ratio(ratio: int, mode: str) -> None:
    """Raise ValueError when `ratio` percent synthetic cannot be built in mix mode `mode`."""
    if not 0 <= ratio <= 100:
        raise ValueError(f"ratio {ratio} must be in 0..100")
    if ratio == 100 and mode in ("add", "balance"):
        raise ValueError(f"mix mode {mode!r} keeps every real image, so it cannot reach 100% synthetic; use "
                         "ratios below 100 (the `synthetic` variant is the synthetic-only classifier) or mode 'replace'")


@dataclass(frozen=True)
class Variant:
    kind: str                      # one of KINDS
    ratio: int | None = None       # percent synthetic; mix and augmented_mix only
    count: int | None = None       # real images per class; more_real only

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown variant kind {self.kind!r}; valid: {', '.join(KINDS)}")
        if (self.kind in ("mix", "augmented_mix")) != (self.ratio is not None):
            raise ValueError(f"variant {self.kind!r}: a ratio is given for mixes and only for them")
        if (self.kind == "more_real") != (self.count is not None):
            raise ValueError(f"variant {self.kind!r}: a count is given for more_real and only for it")

    @classmethod
    def parse(cls, name: str) -> "Variant":
        """'real', 'augmented', 'synthetic', 'mix_<pct>', 'augmented_mix_<pct>' or 'real_<n>';
        anything else fails listing what is valid."""
        if name in KINDS[:3]:
            return cls(name)
        sized = _SIZED.fullmatch(name)
        if sized and sized.group(1) == MORE_REAL_PREFIX and int(sized.group(2)) > 0:
            return cls("more_real", count=int(sized.group(2)))
        if sized and sized.group(1) != MORE_REAL_PREFIX and int(sized.group(2)) <= 100:
            return cls(sized.group(1)[:-1], int(sized.group(2)))
        raise ValueError(f"unknown variant {name!r}; valid: real, augmented, synthetic, mix_<pct>, "
                         "augmented_mix_<pct> (pct 0..100), real_<n> (n real images per class, n > 0)")

    @property
    def name(self) -> str:
        if self.kind == "more_real":
            return f"{MORE_REAL_PREFIX}{self.count}"
        return f"{self.kind}_{self.ratio}" if self.ratio is not None else self.kind

    def __str__(self) -> str:
        return self.name

    @property
    def uses_synthetic(self) -> bool:
        return self.kind in ("synthetic", "mix", "augmented_mix")

    @property
    def augments(self) -> bool:
        """Trained with classic augmentation applied per batch."""
        return self.kind in ("augmented", "augmented_mix")

    @property
    def baseline(self) -> str | None:
        """The variant it is tested against: augmented for an augmented mix (what a practitioner
        already does), real for the others; None for real itself and for the yardstick real_<n>."""
        if self.kind in ("real", "more_real"):
            return None
        return "augmented" if self.kind == "augmented_mix" else "real"

    @property
    def percent_synthetic(self) -> int | None:
        """Position on the accuracy-vs-ratio axis: real 0, synthetic 100, a mix its ratio; augmented is off it."""
        return {"real": 0, "synthetic": 100, "mix": self.ratio, "augmented_mix": self.ratio}.get(self.kind)


def all_variants(ratios: list[int], augmented_mixes: bool = True) -> list[Variant]:
    """Every tested classifier variant in report order: the baselines, one mix per ratio, then (with
    `augmented_mixes`, params mix.augmented) the same mixes on top of classic augmentation."""
    return ([Variant("real"), Variant("augmented"), Variant("synthetic")] + [Variant("mix", r) for r in ratios]
            + [Variant("augmented_mix", r) for r in ratios if augmented_mixes])


def more_real_variants(counts: list[int]) -> list[Variant]:
    """The real-data learning curve's variants (params data.more_real), smallest first."""
    return [Variant("more_real", count=n) for n in sorted(counts)]
