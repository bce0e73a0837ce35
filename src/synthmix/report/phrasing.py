"""The report's words, from the numbers alone: each comparison's verdict against its baseline
(`augmented` for an augmented mix, `real` for the others), the answer paragraph that opens both
reports, and the settings table's rows."""
from __future__ import annotations

from typing import TYPE_CHECKING

from synthmix.report.format import (headroom_span, interval, level, num, p_text, percent, points, worth_count,
                                    worth_span)
from synthmix.report.numbers import is_mix
from synthmix.variants import Variant

if TYPE_CHECKING:   # the summary's types; summary.py phrases its verdicts with this module
    from synthmix.report.summary import Design, Difference, Summary, VariantSummary

# The interval half-width (in points) a decision between variants needs: the size of the gains
# worth acting on at these accuracies, and the plateau tolerance of the step budget (0.5 points).
DECISION_HALF_WIDTH = 0.005
DEMO_DATASETS = {"digits": "digits are 8x8 scans"}
DECISION_COMMAND = ("dvc exp run -S data.name=mnist_sample -S data.image_size=28 -S gan.steps=auto "
                    "-S 'gan.seeds=[0,1,2]' -S 'data.more_real=[100,200]'")

WORTH_NOTE = ("Real-only training at larger real counts per class (real_<n>: the scarce images plus more from the "
              "same pool, never seen by a GAN or the judge; the same validation and test images; each at the step "
              "budget of its own size) gives the learning curve, as paired gains over real. Each variant's gain over "
              "real is placed on it: the real images per class that would give the same "
              "gain, interpolated linearly in log(count) (≤: no more than the scarce set; >: beyond the largest "
              "count). Its interval joins the gain's interval with the curve's (first table), conservatively: the "
              "gain's low end on the curve's upper bound, its high end on the lower bound. Headroom share: gain / "
              "the largest count's gain. An augmented mix's gain over real holds augmentation's own: compare it "
              "with augmented's row.")


def verdict(vs: Difference | None, alpha: float) -> str:
    """In words: the difference against the baseline, its interval, and whether it is significant at
    level alpha after Holm's correction; when it is not, how large a difference the interval rules out."""
    if vs is None:
        return "baseline"
    units = f", {vs.units} GAN draws as units" if vs.unit == "GAN draw" else ""
    head = (f"{points(vs.diff)} points, {level(vs.confidence)} interval {interval(vs.ci_low, vs.ci_high)}{units}, "
            f"p = {vs.p_value:.3g} (Holm {vs.p_adjusted:.3g})")
    if vs.significant:
        return f"{'better' if vs.diff > 0 else 'worse'}: {head}"
    if not vs.has_interval:
        return f"not significant: {head}; one replicate gives no interval, so no size can be ruled out"
    bound = vs.largest_supported()
    if bound is None:
        return (f"not significant after Holm: {head}; the interval alone excludes 0, but not once the "
                f"{f'{vs.family} ' if vs.family else ''}tests of the family are accounted for: suggestive, not shown")
    return f"no difference detected: {head}; this interval rules out differences larger than {100 * bound:.2f} points"


def copies_warning(quality: dict) -> str | None:
    """The flag a variant trained on synthetic images carries when those images (every GAN seed's,
    or one seed's) are mostly near-copies of the real training images in pixel space (the
    memorisation audit), or None."""
    m = quality.get("memorisation") or {}
    if not m.get("mostly_copies"):
        return None
    return (f"FLAGGED: its synthetic images are mostly near-copies of the real training images "
            f"({', '.join(m['mostly_copies'])}: pixel-space copy rate above {m['mostly_copies_above']:g}); a gain "
            "would come from repeating real images, not from new ones")


def short_verdict(s: VariantSummary) -> str:
    """A table cell's verdict from a summary entry: better | worse (significant after Holm) |
    not detected (the interval holds 0; how large a difference it still allows is pts_low/pts_high,
    never read "no difference" into it) | not significant (one replicate, so no interval; or an
    interval that excludes 0 alone but fails Holm's correction) | flagged: copies (its synthetic
    images are copies of training images)."""
    if s.verdict.startswith("FLAGGED"):
        return "flagged: copies"
    if s.vs.significant:
        return "better" if s.vs.diff > 0 else "worse"
    return "not detected" if s.verdict.startswith("no difference") else "not significant"


def design_sentence(d: Design, real_accuracy: float) -> str:
    """The report's opening: what the run can decide. On a demo dataset, that it decides nothing,
    its design, and the command that runs the decision design on real data."""
    why = DEMO_DATASETS.get(d.dataset)
    if why is None:
        return ""
    seeds = len(d.gan_seeds)
    return (f"Demo: {why} that real-only training classifies at {real_accuracy:.1%}, too easy to decide anything, "
            f"and it runs a demo's design ({d.image_size}x"
            f"{d.image_size} images, {seeds} GAN seed{'s' if seeds > 1 else ''}): it shows what the report says, "
            f"not whether GAN images help. For a decision, run the decision design on real data: `{DECISION_COMMAND}` "
            f"(or your own images: data.name=folder, data.root=<folder>). ")


def width_sentence(d: Design, tested: dict[str, Difference]) -> str:
    """How wide the mixes' intervals are (the question's comparisons, which share one test unit;
    every tested variant when there are no mixes), and the design that would make them narrow
    enough to decide: more GAN seeds when the GAN draw is the unit, else more replicates."""
    mixes = {v: s for v, s in tested.items() if is_mix(v)} or tested
    with_ci = {v: s for v, s in mixes.items() if s.has_interval}
    if not with_ci:
        return " One replicate gives no interval: raise classifier.replicates."
    halves = [100 * (s.ci_high - s.ci_low) / 2 for s in with_ci.values()]
    first = next(iter(with_ci.values()))
    unit = "GAN seeds" if first.unit == "GAN draw" else "replicates"
    one_draw = first.unit == "replicate, one GAN draw"
    low, high = min(halves), max(halves)
    width = f"±{low:.2f}" if round(low, 2) == round(high, 2) else f"±{low:.2f} to ±{high:.2f}"
    text = (f" The {level(first.confidence)} intervals of {', '.join(with_ci)} are {width} points wide, over "
            f"{first.units} {unit}")
    caveat = " (for these GANs only: one GAN seed; a decision needs several gan.seeds)" if one_draw else ""
    if high <= 100 * DECISION_HALF_WIDTH:
        return text + f": narrow enough to decide differences of {100 * DECISION_HALF_WIDTH:.1f} points{caveat}."
    need = [s.units_needed(DECISION_HALF_WIDTH) for s in with_ci.values()]
    if None in need:
        return text + f"{caveat}."
    per_seed = f" ({max(need) * d.replicates // len(d.gan_seeds)} replicates)" if unit == "GAN seeds" else ""
    return (text + f"; at the observed spread, ±{100 * DECISION_HALF_WIDTH:.1f} points would need about {max(need)} "
            f"{unit}{per_seed}{caveat}.")


def listed(tested: dict[str, VariantSummary]) -> str:
    """Each comparison as 'name +x.xx points [low, high], Holm p', for the answer's sentences."""
    return "; ".join(f"{v} {points(s.vs.diff)} points"
                     + (f" {interval(s.vs.ci_low, s.vs.ci_high)}" if s.vs.has_interval else "")
                     + f", Holm p {p_text(s.vs.p_adjusted)} ({short_verdict(s)})" for v, s in tested.items())


def augmented_sentence(variants: dict[str, VariantSummary]) -> str:
    """The practitioner's question first: on top of classic augmentation, what synthetic images change."""
    on_top = {v: s for v, s in variants.items() if s.baseline == "augmented"}
    if not on_top:
        return ""
    aug = variants["augmented"]
    return (f"On top of classic augmentation (augmented: {aug.accuracy:.4f} ± {aug.accuracy_std:.4f}), adding "
            f"synthetic images changes test accuracy by: {listed(on_top)}. ")


def real_sentence(d: Design, variants: dict[str, VariantSummary]) -> str:
    """The comparisons against real-only training: what differs significantly, and how large a
    difference the others' intervals still allow."""
    real = variants["real"]
    against = {v: s for v, s in variants.items() if s.baseline == "real"}
    found = {v: s for v, s in against.items() if s.vs.significant}
    quiet = {v: s for v, s in against.items() if not s.vs.significant}
    text = (f"Against real-only training ({real.accuracy:.4f} ± {real.accuracy_std:.4f}), from "
            f"{d.replicates} paired replicates per variant at {d.steps} optimizer steps each: "
            + (listed(found) if found else "no variant differs significantly") + ".")
    bounds = [s.vs.largest_supported() for s in quiet.values()]
    if quiet and None not in bounds:
        who = f"the others ({', '.join(quiet)})" if found else ", ".join(quiet)
        conf = level(next(iter(quiet.values())).vs.confidence)
        text += (f" Each of their {conf} intervals, taken alone, rules out differences larger than "
                 f"{100 * max(bounds):.2f} points for {who}.")
    return text


def detectable_sentence(tested: dict[str, Difference]) -> str:
    """The smallest differences the run could find (80% power after Holm): the mixes', else every
    tested variant's."""
    mixes = {v: s for v, s in tested.items() if is_mix(v) and s.min_detectable is not None}
    detectable = mixes or {v: s for v, s in tested.items() if s.min_detectable is not None}
    if not detectable:
        return ""
    low, high = (100 * f(s.min_detectable for s in detectable.values()) for f in (min, max))
    which = "the mixes" if mixes else "these variants"
    size = f"{low:.2f}" if round(low, 2) == round(high, 2) else f"{low:.2f} to {high:.2f}"
    return (f" By the observed spread, this run would detect differences of about {size} points between "
            f"{which} and their baselines with 80% power (after Holm's correction).")


def answer(summary: Summary) -> str:
    """The report's first paragraph: what the run can decide, the practitioner's question (synthetic
    images on top of augmentation), then against real-only training, how wide the intervals are and
    what design would narrow them, and what the synthetic images are worth in real images."""
    d, variants = summary.design, summary.variants
    tested = {v: s.vs for v, s in summary.tested().items()}
    text = design_sentence(d, variants["real"].accuracy) + augmented_sentence(variants) + real_sentence(d, variants)
    text += width_sentence(d, tested)
    text += (f" Whether {d.steps} steps are on every variant's plateau is not judged in this run: "
             "benchmarks/classifier_budget.py trains each variant at 4x the steps to measure it (docs/statistics.md "
             "gives its result for every variant on the 8x8 digits demo and on mnist_sample).")
    text += detectable_sentence(tested)
    text += f" GAN variance is {d.gan_variance}."
    text += worth_sentence(summary.worth)
    text += synthetic_sentence(summary.quality)
    return text


def worth_text(w: dict) -> str:
    """'worth 62 real images per class [<= 50, 94], 12% of the headroom [-20%, 44%]'."""
    count_span, share_span = worth_span(w), headroom_span(w)
    return (f"worth {worth_count(w['worth'])} real images per class{f' {count_span}' if count_span else ''}, "
            f"{percent(w['headroom_share'])} of the headroom{f' {share_span}' if share_span else ''}")


def worth_sentence(worth: dict | None) -> str:
    """What synthetic images are worth in real images: the learning curve, then the best variant
    without augmentation (synthetic only or a mix), classic augmentation alone and the best
    augmented mix, each placed on it; the last two side by side, since an augmented mix's gain over
    real holds augmentation's own."""
    if not worth:
        return ""
    if worth["why_none"]:
        return f" No worth in real images is given: {worth['why_none']}."
    first, *more = worth["curve"]["points"]
    steps = ", ".join(f"{p['count']:g} per class {p['accuracy']:.4f} ({points(p['gain'])} points)" for p in more)
    text = f" Counted in real images (real-only at {first['count']:g} per class {first['accuracy']:.4f}; {steps})"
    kinds = {v: Variant.parse(v).kind for v in worth["variants"]}
    best = lambda wanted: max((v for v in kinds if kinds[v] in wanted),  # noqa: E731
                              key=lambda v: (worth["variants"][v]["diff"], v), default=None)
    parts = []
    if (plain := best(("synthetic", "mix"))) is not None:
        parts.append(f"the best variant with synthetic images and no augmentation, {plain}, is "
                     f"{worth_text(worth['variants'][plain])}")
    if "augmented" in worth["variants"]:
        parts.append(f"classic augmentation alone is {worth_text(worth['variants']['augmented'])}")
    if (on_top := best(("augmented_mix",))) is not None:
        parts.append(f"augmentation with synthetic images ({on_top}) is {worth_text(worth['variants'][on_top])}")
    return text + ": " + "; ".join(parts) + (" (each interval joins the gain's interval with the curve's own, "
                                             "conservatively).")


def synthetic_sentence(q: dict) -> str:
    """The answer's words on the synthetic data itself: CAS and the copy rate."""
    text = ""
    if q.get("cas") is not None:
        ratio = "" if q["cas_to_real"] is None else f" ({q['cas_to_real']:.3f}x real's)"
        text += (f" Trained on synthetic images alone, a classifier reaches {q['cas']:.4f} ± {q['cas_std']:.4f} on the "
                 f"real test images{ratio}.")
    if q.get("copy_rate") is not None:
        text += (f" Copy rate {q['copy_rate']:.3f} in pixel space, {q['judge_copy_rate']:.3f} in judge features (share "
                 f"of synthetic images closer to a training image than 95% of new real images come; a new real image "
                 f"scores 0.05); authenticity {num(q['authenticity'], '.3f', 'n/a')} (new real images: "
                 f"{num(q['heldout_authenticity'], '.3f', 'n/a')}).")
        if q["mostly_copies"]:
            text += (" Warning: the synthetic images are mostly near-copies of the real training images ("
                     + ", ".join(q["mostly_copies"]) + "): every variant trained on them is flagged.")
    return text


def recipe_text(label_smoothing: float, keep: str) -> str:
    """The classifiers' recipe as the settings table shows it (their ECE depends on it)."""
    kept = "the schedule's last weights" if keep == "last" else "the best validation check's weights"
    return f"one-cycle AdamW, label smoothing {label_smoothing:g}, {kept}"


def settings_rows(summary: Summary, settings: dict) -> list[tuple[str, str]]:
    """(setting, value) rows that tell two reports apart: the data, the design, the budgets."""
    d, f = summary.design, summary.filter
    return [("dataset", settings["dataset"]), ("image size", settings["image_size"]),
            ("real training images per class", settings["per_class"]),
            ("validation / test images (real)", f"{settings['val_images']} / {settings['test_images']}"),
            ("replicates per variant", str(d.replicates)),
            ("classifier optimizer steps (every variant)", str(d.steps)),
            *([("classifier recipe", settings["recipe"])] if settings.get("recipe") else []),
            ("GAN seeds", ", ".join(map(str, d.gan_seeds)) + f" ({settings['gan_steps']} GAN steps per class)"),
            ("GAN variance", d.gan_variance), ("mix mode", settings["mix_mode"]),
            ("filter", f"{f.mode}: {f.passed} of {f.drawn} draws passed ({f.acceptance:.1%}); "
                       f"{f.kept} kept (distinct, up to the target) over all GAN seeds")]
