"""The run's summary, typed and built once (`summarize`): every headline number with each variant's
verdict, which the answer paragraph, both reports and the headline read by field; written as
summary.json (`Summary.to_json`, numbers rounded to 6 decimals); and the headline, the few of its
numbers `dvc metrics show/diff` and `dvc exp show` compare (headline.json)."""
from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, fields

from scipy.stats import t as t_dist

from synthmix.evaluate.stats import units_for_half_width
from synthmix.report.numbers import (KEYS, QUALITY_KEYS, design, inception_fid, memorisation_headline, round6,
                                     rounded, synthetic_headline, unique_synthetic)
from synthmix.report.phrasing import copies_warning, short_verdict, verdict
from synthmix.variants import Variant


@dataclass(frozen=True)
class Difference:
    """A tested variant against its baseline (evaluate's vs_baseline): the mean paired difference in
    accuracy (0.01 = 1 point), its 1 - alpha interval (None with one replicate), p and Holm-adjusted
    p, the difference detectable with 80% power, the test's unit ('replicate', 'GAN draw',
    'replicate, one GAN draw') and how many of them; family: the tests Holm corrected over."""
    baseline: str
    diff: float
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    p_adjusted: float | None
    min_detectable: float | None
    confidence: float | None
    significant: bool
    unit: str | None = None
    units: int | None = None
    family: int | None = None

    @classmethod
    def of(cls, vs: dict, rounding=None) -> Difference:
        """From evaluate's vs_baseline, its numbers passed through `rounding` (e.g. `round6`) if given."""
        r = rounding or (lambda x: x)
        family = re.search(r"over (\d+) tests", vs.get("correction") or "")      # "Holm over 5 tests"
        return cls(baseline=vs.get("baseline"), diff=r(vs["diff"]), ci_low=r(vs.get("ci_low")),
                   ci_high=r(vs.get("ci_high")), p_value=r(vs.get("p_value")), p_adjusted=r(vs.get("p_adjusted")),
                   min_detectable=r(vs.get("min_detectable")), confidence=r(vs.get("confidence")),
                   significant=vs.get("significant"), unit=vs.get("unit"), units=vs.get("n"),
                   family=int(family[1]) if family else None)

    @property
    def has_interval(self) -> bool:
        return self.ci_low is not None

    def largest_supported(self) -> float | None:
        """The largest |difference| an interval that contains 0 leaves possible, its farther end: what
        'no difference larger than X' may say. None without an interval, or when the interval
        excludes 0 (it then supports a difference, just not one that survives Holm)."""
        if not self.has_interval or self.ci_low > 0 or self.ci_high < 0:
            return None
        return max(abs(self.ci_low), abs(self.ci_high))

    def units_needed(self, half_width: float) -> int | None:
        """Test units (GAN seeds when replicates share GAN draws, else replicates) that a 1 - alpha
        interval of half-width `half_width` needs at this comparison's observed spread (Student t)."""
        n = self.units
        if not self.has_interval or not n or n < 2:
            return None
        alpha = 1 - self.confidence
        sd = (self.ci_high - self.ci_low) / 2 * math.sqrt(n) / t_dist.ppf(1 - alpha / 2, n - 1)  # the spread
        return units_for_half_width(sd, half_width, alpha)


# summary.json's comparison fields, in its words: evaluate's n is `units`; the family is not written
COMPARISON_FIELDS = ("diff", "ci_low", "ci_high", "p_value", "p_adjusted", "min_detectable", "confidence",
                     "baseline", "significant", "unit", "units")


@dataclass(frozen=True)
class VariantSummary:
    """A variant's means over replicates (accuracy, accuracy_std, macro precision/recall/F1, F1's
    std, ECE), its comparison with its baseline (None for a baseline), the verdict in words,
    its failure level per corruption type and the unique synthetic images it trained on."""
    accuracy: float
    accuracy_std: float
    precision_macro: float
    recall_macro: float
    f1_macro: float
    f1_macro_std: float
    ece: float
    vs: Difference | None
    verdict: str
    failure_level: dict
    unique_synthetic: dict | None

    @property
    def baseline(self) -> str | None:
        return None if self.vs is None else self.vs.baseline

    def to_json(self) -> dict:
        return ({k: getattr(self, k) for k in KEYS}
                | {k: None if self.vs is None else getattr(self.vs, k) for k in COMPARISON_FIELDS}
                | {"verdict": self.verdict, "failure_level": self.failure_level,
                   "unique_synthetic": self.unique_synthetic})


@dataclass(frozen=True)
class Design:
    """How the comparison was run: the data, replicates per variant, the step budget (a list where
    variants differ: real_<n> at its own size), the GAN seeds and where GAN variance sits."""
    dataset: str
    image_size: int
    replicates: int
    steps: int | list[int]
    gan_seeds: list[int]
    gan_variance: str


@dataclass(frozen=True)
class Best:
    """The best variant significantly better than its baseline."""
    variant: str
    accuracy: float
    baseline: str


@dataclass(frozen=True)
class FilterSummary:
    """The filter over every GAN seed: draws, those that passed, those kept (distinct, up to the target)."""
    mode: str
    acceptance: float
    passed: int
    kept: int
    drawn: int
    kept_min_per_class: int


@dataclass(frozen=True)
class JudgeSummary:
    """The judge's temperature and its ECE on the test split before and after it (the validation
    split fitted the temperature)."""
    temperature: float
    test_ece_before: float | None
    test_ece_after: float | None


@dataclass(frozen=True)
class Summary:
    """Everything the answer and the reports say, each variant in report order (real first).
    worth: evaluate's worth.json (the learning curve, each variant's worth, why none), rounded;
    quality: the synthetic data's headline (CAS, copy rate, judge-space scores; a key only where the
    run measured it), as summary.json writes them."""
    design: Design
    variants: dict[str, VariantSummary]
    best: Best | None
    worth: dict | None
    filter: FilterSummary
    judge: JudgeSummary
    quality: dict

    def tested(self) -> dict[str, VariantSummary]:
        """The variants compared with a baseline (every one but real)."""
        return {v: s for v, s in self.variants.items() if s.vs is not None}

    def to_json(self) -> dict:
        """summary.json's document."""
        return {"design": asdict(self.design), "variants": {v: s.to_json() for v, s in self.variants.items()},
                "best": None if self.best is None else asdict(self.best), "worth": self.worth,
                "filter": asdict(self.filter), "judge": asdict(self.judge), "quality": self.quality}


def summarize(results: dict[str, dict], filtering: dict, quality: dict, gan_seeds: list[int], alpha: float,
              dataset: str, image_size: int, worth: dict | None = None) -> Summary:
    """One entry per variant (mean over replicates, the comparison with its baseline and its
    verdict, flagged when its synthetic images are mostly copies), the design, the best variant
    (only one significantly better than its baseline), the filter, the judge's calibration on the
    test split, the headline of the synthetic data (train-on-synthetic/test-on-real accuracy, the
    copy rate) and the worth in real images (evaluate's worth.json)."""
    flag = copies_warning(quality)
    variants = {v: variant_entry(v, r, alpha, flag) for v, r in results.items()}
    better = [v for v, s in variants.items() if s.vs is not None and s.vs.significant and s.vs.diff > 0]
    best = max(better, key=lambda v: (results[v]["accuracy"], v)) if better else None
    filtered = quality["overall"]["filtered"] or {}
    detect = quality["overall"]["detectability"] or {}
    judge = filtering["judge"]
    stats = [c for per_class in filtering["per_seed"].values() for c in per_class.values()]
    return Summary(
        design=Design(**design(results, gan_seeds, dataset, image_size)), variants=variants,
        best=None if best is None else Best(best, round(results[best]["accuracy"], 6), variants[best].baseline),
        worth=rounded(worth) if worth is not None else None,
        filter=FilterSummary(mode=filtering["mode"], acceptance=round(filtering["acceptance"], 6),
                             passed=filtering["passed"], kept=filtering["kept"], drawn=filtering["drawn"],
                             kept_min_per_class=min(c["kept"] for c in stats)),
        judge=JudgeSummary(temperature=round(judge["temperature"], 6),  # on the test split: the validation
                           test_ece_before=round6(judge["test"].get("ece_before")),  # split fitted the temperature
                           test_ece_after=round6(judge["test"].get("ece_after"))),
        quality=synthetic_headline(results) | memorisation_headline(quality) | inception_fid(quality)
        | {f"judge_{k}": round(filtered[k], 6) for k in QUALITY_KEYS if k in filtered}
        | {"judge_inception_score": round6(quality.get("inception_score", {}).get("filtered")),
           "train_real_test_synthetic": round6(results["real"].get("synthetic_accuracy", {}).get("overall")),
           "detectability": round6(detect.get("accuracy"))})


def variant_entry(name: str, r: dict, alpha: float, flag: str | None) -> VariantSummary:
    """A variant's summary: its means, its comparison with its baseline (None for a baseline) and the
    verdict in words (from the unrounded numbers), which leads with `flag` when the variant trained
    on copied synthetic images."""
    raw = r.get("vs_baseline")
    words = verdict(None if raw is None else Difference.of(raw), alpha)
    return VariantSummary(
        **{k: round(r[k], 6) for k in KEYS}, vs=None if raw is None else Difference.of(raw, round6),
        verdict=f"{flag}; {words}" if flag and Variant.parse(name).uses_synthetic else words,
        failure_level=r["failure_level"], unique_synthetic=unique_synthetic(r.get("synthetic_counts")))


def _pts(x: float | None) -> float | None:
    return None if x is None else round(100 * x, 2)


def headline(summary: Summary) -> dict:
    """What `dvc metrics show/diff` and `dvc exp show` compare, a few dozen columns: per variant its
    test accuracy (acc; real_<n> too) and, against its baseline (augmented for augmented_mix_<pct>,
    real for the others), the paired difference in percentage points (pts) with
    its interval (pts_low, pts_high), the Holm-adjusted p and the verdict; then the budget and
    design, and the synthetic data's CAS ratio, copy rate and filter pass rate. Grouped by measure
    (acc.<variant>, pts.<variant>, ...), so one `--keep` pattern picks a family of columns and their
    names stay short."""
    d, q, tested = summary.design, summary.quality, summary.tested()
    curve = ((summary.worth or {}).get("curve") or {}).get("points", [])[1:]     # real_<n>: the curve
    return {"acc": {v: round(s.accuracy, 4) for v, s in summary.variants.items()}
            | {p["variant"]: round(p["accuracy"], 4) for p in curve},
            "pts": {v: _pts(s.vs.diff) for v, s in tested.items()},
            "pts_low": {v: _pts(s.vs.ci_low) for v, s in tested.items()},
            "pts_high": {v: _pts(s.vs.ci_high) for v, s in tested.items()},
            "p_holm": {v: None if s.vs.p_adjusted is None else float(f"{s.vs.p_adjusted:.3g}")
                       for v, s in tested.items()},
            "verdict": {v: short_verdict(s) for v, s in tested.items()},
            "design": {"steps": d.steps if isinstance(d.steps, int) else max(d.steps),
                       "replicates": d.replicates, "gan_seeds": len(d.gan_seeds)},
            "synthetic": {"cas_to_real": round6(q.get("cas_to_real")), "copy_rate": round6(q.get("copy_rate")),
                          "filter_pass_rate": summary.filter.acceptance}}
