"""Classifier variants: what each one trains on, and the one place their names are parsed and formatted.

- real: the real training images only;
- augmented: the real images with classic augmentation;
- synthetic: filtered synthetic images only, as many per class as there are real ones (train on
  synthetic, test on real: the classification accuracy score, CAS);
- mix_<pct>: real and synthetic images with <pct> percent synthetic (see `synthmix.mix`).

Ratios are integer percents because DVC compares parameter values as strings: `-S mix.ratios=[50]`
and `[50.0]` would be different experiments. No torch or numpy here: params validation imports it.
"""
from __future__ import annotations

from dataclasses import dataclass

KINDS = ("real", "augmented", "synthetic", "mix")
MIX_PREFIX = "mix_"


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
    ratio: int | None = None       # percent synthetic; mix only

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown variant kind {self.kind!r}; valid: {', '.join(KINDS)}")
        if (self.kind == "mix") != (self.ratio is not None):
            raise ValueError(f"variant {self.kind!r}: a ratio is given for mixes and only for them")

    @classmethod
    def parse(cls, name: str) -> "Variant":
        """'real', 'augmented', 'synthetic' or 'mix_<pct>'; anything else fails listing what is valid."""
        if name in KINDS[:3]:
            return cls(name)
        digits = name.removeprefix(MIX_PREFIX)
        if name.startswith(MIX_PREFIX) and digits.isdigit() and str(int(digits)) == digits and int(digits) <= 100:
            return cls("mix", int(digits))
        raise ValueError(f"unknown variant {name!r}; valid: real, augmented, synthetic, mix_<pct> (pct 0..100)")

    @property
    def name(self) -> str:
        return f"{MIX_PREFIX}{self.ratio}" if self.kind == "mix" else self.kind

    def __str__(self) -> str:
        return self.name

    @property
    def uses_synthetic(self) -> bool:
        return self.kind in ("synthetic", "mix")

    @property
    def percent_synthetic(self) -> int | None:
        """Position on the accuracy-vs-ratio axis: real 0, synthetic 100, a mix its ratio; augmented is off it."""
        return {"real": 0, "synthetic": 100, "mix": self.ratio}.get(self.kind)


def all_variants(ratios: list[int]) -> list[Variant]:
    """Every classifier variant in report order: the baselines, then one mix per ratio."""
    return [Variant("real"), Variant("augmented"), Variant("synthetic")] + [Variant("mix", r) for r in ratios]
