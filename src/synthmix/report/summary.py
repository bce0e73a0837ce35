"""The summary of a run (every headline number, for the report), the few of them `dvc metrics
show/diff` and `dvc exp show` compare (the headline), the accuracy-vs-ratio rows `dvc plots` draws,
and the verdict of each comparison with its baseline (`augmented` for an augmented mix, `real` for the
others) in words, from the numbers alone."""
from __future__ import annotations

import math

from scipy.stats import t as t_dist

from synthmix.evaluate.stats import units_for_half_width
from synthmix.replicates import gan_variance
from synthmix.variants import Variant

KEYS = ("accuracy", "accuracy_std", "precision_macro", "recall_macro", "f1_macro", "f1_macro_std", "ece")
COMPARISON_KEYS = ("diff", "ci_low", "ci_high", "p_value", "p_adjusted", "min_detectable", "confidence")
QUALITY_KEYS = ("fid", "kid", "kid_std", "precision", "recall", "density", "coverage")


def points(x: float) -> str:
    """An accuracy difference in percentage points, signed: +0.80; never '-0.00'."""
    return f"{100 * x + 0.0:+.2f}".replace("-0.00", "+0.00")


def interval(vs: dict) -> str:
    return f"[{points(vs['ci_low'])}, {points(vs['ci_high'])}]" if vs.get("ci_low") is not None else "(no interval)"


def level(vs: dict) -> str:
    """The interval's confidence level as text: 1 - evaluate.alpha, e.g. '95%'."""
    return f"{100 * vs['confidence']:g}%"


def largest_supported(vs: dict) -> float | None:
    """The largest |difference| a (per-comparison) interval that contains 0 leaves possible, its
    farther end: what 'no difference larger than X' may say. None without an interval, or when the
    interval excludes 0 (it then supports a difference, just not one that survives Holm)."""
    if vs.get("ci_low") is None or vs["ci_low"] > 0 or vs["ci_high"] < 0:
        return None
    return max(abs(vs["ci_low"]), abs(vs["ci_high"]))


def verdict(vs: dict | None, alpha: float) -> str:
    """In words: the difference against the baseline, its interval, and whether it is significant at
    level alpha after Holm's correction; when it is not, how large a difference the interval rules out."""
    if vs is None:
        return "baseline"
    units = f", {vs['n']} GAN draws as units" if vs.get("unit") == "GAN draw" else ""
    head = (f"{points(vs['diff'])} points, {level(vs)} interval {interval(vs)}{units}, p = {vs['p_value']:.3g} "
            f"(Holm {vs['p_adjusted']:.3g})")
    if vs["significant"]:
        return f"{'better' if vs['diff'] > 0 else 'worse'}: {head}"
    if vs.get("ci_low") is None:
        return f"not significant: {head}; one replicate gives no interval, so no size can be ruled out"
    bound = largest_supported(vs)
    if bound is None:
        return (f"not significant after Holm: {head}; the interval alone excludes 0, but not once the "
                f"{vs['correction'].split()[-2]} tests of the family are accounted for: suggestive, not shown")
    return f"no difference detected: {head}; this interval rules out differences larger than {100 * bound:.2f} points"


def p_text(p: float) -> str:
    """A p-value of the summary (rounded to 6 decimals) as text: '< 1e-06' where it rounded to 0."""
    return "< 1e-06" if p == 0 else f"{p:.3g}"


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 6)


def unique_synthetic(counts: dict | None) -> dict | None:
    """Unique synthetic images a variant trained on (replicate 0): in total and the fewest in any class."""
    if not counts:
        return None
    unique = [c["synthetic_unique"] for c in counts.values()]
    return {"total": int(sum(unique)), "min_per_class": int(min(unique)),
            "used": int(sum(c["synthetic"] for c in counts.values()))}


def design(results: dict[str, dict], gan_seeds: list[int], dataset: str, image_size: int) -> dict:
    """How the comparison was run: the data, replicates, the one step budget, GAN seeds."""
    steps = sorted({r["budget"]["steps"] for r in results.values()})
    replicates = next(iter(results.values()))["replicates"]
    return {"dataset": dataset, "image_size": image_size, "replicates": replicates,
            "steps": steps[0] if len(steps) == 1 else steps, "gan_seeds": list(gan_seeds),
            "gan_variance": gan_variance(replicates, gan_seeds)}


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


def summarize(results: dict[str, dict], filtering: dict, quality: dict, gan_seeds: list[int], alpha: float,
              dataset: str, image_size: int, worth: dict | None = None) -> dict:
    """One entry per variant (mean over replicates, the comparison with its baseline and its
    verdict, flagged when its synthetic images are mostly copies), the design, the best variant
    (only one significantly better than its baseline), the filter, the judge's calibration on the
    test split, the headline of the synthetic data (train-on-synthetic/test-on-real accuracy, the
    copy rate) and the worth in real images (evaluate's worth.json)."""
    variants, flag = {}, copies_warning(quality)
    for v, r in results.items():
        vs = r.get("vs_baseline") or {}
        words = verdict(r.get("vs_baseline"), alpha)
        variants[v] = {k: round(r[k], 6) for k in KEYS} | {k: _round(vs.get(k)) for k in COMPARISON_KEYS} | {
            "baseline": vs.get("baseline"), "significant": vs.get("significant"), "unit": vs.get("unit"),
            "units": vs.get("n"), "verdict": f"{flag}; {words}" if flag and Variant.parse(v).uses_synthetic else words,
            "failure_level": r["failure_level"], "unique_synthetic": unique_synthetic(r.get("synthetic_counts"))}
    better = [v for v, s in variants.items() if s["significant"] and s["diff"] > 0]
    best = max(better, key=lambda v: (results[v]["accuracy"], v)) if better else None
    filtered = quality["overall"]["filtered"] or {}
    detect = quality["overall"]["detectability"] or {}
    judge = filtering["judge"]
    stats = [c for per_class in filtering["per_seed"].values() for c in per_class.values()]
    return {"design": design(results, gan_seeds, dataset, image_size), "variants": variants,
            "best": None if best is None else {"variant": best, "accuracy": round(results[best]["accuracy"], 6),
                                               "baseline": variants[best]["baseline"]},
            "worth": rounded(worth) if worth is not None else None,
            "filter": {"mode": filtering["mode"], "acceptance": round(filtering["acceptance"], 6),
                       "passed": filtering["passed"], "kept": filtering["kept"], "drawn": filtering["drawn"],
                       "kept_min_per_class": min(c["kept"] for c in stats)},
            "judge": {"temperature": round(judge["temperature"], 6),      # on the test split: the validation
                      "test_ece_before": _round(judge["test"].get("ece_before")),  # split fitted the temperature
                      "test_ece_after": _round(judge["test"].get("ece_after"))},
            "quality": synthetic_headline(results) | memorisation_headline(quality) | inception_fid(quality)
            | {f"judge_{k}": round(filtered[k], 6) for k in QUALITY_KEYS if k in filtered}
            | {"judge_inception_score": _round(quality.get("inception_score", {}).get("filtered")),
               "train_real_test_synthetic": _round(results["real"].get("synthetic_accuracy", {}).get("overall")),
               "detectability": _round(detect.get("accuracy"))}}


def rounded(x):
    """A JSON-like value with every float rounded to 6 decimals (the summary's precision)."""
    if isinstance(x, float):
        return round(x, 6)
    if isinstance(x, dict):
        return {k: rounded(v) for k, v in x.items()}
    if isinstance(x, list):
        return [rounded(v) for v in x]
    return x


def short_verdict(s: dict) -> str:
    """A table cell's verdict from a summary entry: better | worse (significant after Holm) |
    not detected (the interval holds 0; how large a difference it still allows is pts_low/pts_high,
    never read "no difference" into it) | not significant (one replicate, so no interval; or an
    interval that excludes 0 alone but fails Holm's correction) | flagged: copies (its synthetic
    images are copies of training images)."""
    if s["verdict"].startswith("FLAGGED"):
        return "flagged: copies"
    if s["significant"]:
        return "better" if s["diff"] > 0 else "worse"
    return "not detected" if s["verdict"].startswith("no difference") else "not significant"


def _pts(x: float | None) -> float | None:
    return None if x is None else round(100 * x, 2)


def headline(summary: dict) -> dict:
    """What `dvc metrics show/diff` and `dvc exp show` compare, a few dozen columns: per variant its
    test accuracy (acc; real_<n> too) and, against its baseline (augmented for augmented_mix_<pct>,
    real for the others), the paired difference in percentage points (pts) with
    its interval (pts_low, pts_high), the Holm-adjusted p and the verdict; then the budget and
    design, and the synthetic data's CAS ratio, copy rate and filter pass rate. Grouped by measure
    (acc.<variant>, pts.<variant>, ...), so one `--keep` pattern picks a family of columns and their
    names stay short."""
    d, variants, q = summary["design"], summary["variants"], summary["quality"]
    tested = {v: s for v, s in variants.items() if v != "real"}
    curve = ((summary.get("worth") or {}).get("curve") or {}).get("points", [])[1:]     # real_<n>: the curve
    return {"acc": {v: round(s["accuracy"], 4) for v, s in variants.items()}
            | {p["variant"]: round(p["accuracy"], 4) for p in curve},
            "pts": {v: _pts(s["diff"]) for v, s in tested.items()},
            "pts_low": {v: _pts(s["ci_low"]) for v, s in tested.items()},
            "pts_high": {v: _pts(s["ci_high"]) for v, s in tested.items()},
            "p_holm": {v: None if s["p_adjusted"] is None else float(f"{s['p_adjusted']:.3g}")
                       for v, s in tested.items()},
            "verdict": {v: short_verdict(s) for v, s in tested.items()},
            "design": {"steps": d["steps"] if isinstance(d["steps"], int) else max(d["steps"]),
                       "replicates": d["replicates"], "gan_seeds": len(d["gan_seeds"])},
            "synthetic": {"cas_to_real": _round(q.get("cas_to_real")), "copy_rate": _round(q.get("copy_rate")),
                          "filter_pass_rate": summary["filter"]["acceptance"]}}


def synthetic_headline(results: dict[str, dict]) -> dict:
    """Is the synthetic data any good? The `synthetic` variant's test accuracy (train on synthetic,
    test on real: CAS) and its ratio to real's."""
    if "synthetic" not in results:
        return {}
    cas, real = results["synthetic"]["accuracy"], results["real"]["accuracy"]
    return {"cas": round(cas, 6), "cas_std": round(results["synthetic"]["accuracy_std"], 6),
            "cas_to_real": round(cas / real, 6) if real else None}


def memorisation_headline(quality: dict) -> dict:
    """Copy rate and authenticity of every GAN seed's filtered images, pixel space first."""
    m = quality.get("memorisation")
    if not m or not m["overall"]["pixel"]:
        return {}
    px, feat = m["overall"]["pixel"], m["overall"]["judge"]
    return {"copy_rate": _round(px["copy_rate"]), "authenticity": _round(px["authenticity"]),
            "heldout_authenticity": _round(px["heldout_authenticity"]), "judge_copy_rate": _round(feat["copy_rate"]),
            "judge_authenticity": _round(feat["authenticity"]), "mostly_copies": list(m["mostly_copies"])}


# The interval half-width (in points) a decision between variants needs: the size of the gains
# worth acting on at these accuracies, and the plateau tolerance of the step budget (0.5 points).
DECISION_HALF_WIDTH = 0.005
DEMO_DATASETS = {"digits": "digits are 8x8 scans"}


DECISION_COMMAND = ("dvc exp run -S data.name=mnist_sample -S data.image_size=28 -S gan.steps=auto "
                    "-S 'gan.seeds=[0,1,2]' -S 'data.more_real=[100,200]'")


def design_sentence(d: dict, real_accuracy: float) -> str:
    """The report's opening: what the run can decide. On a demo dataset, that it decides nothing,
    its design, and the command that runs the decision design on real data."""
    why = DEMO_DATASETS.get(d["dataset"])
    if why is None:
        return ""
    seeds = len(d["gan_seeds"])
    return (f"Demo: {why} that real-only training classifies at {real_accuracy:.1%}, too easy to decide anything, "
            f"and it runs a demo's design ({d['image_size']}x"
            f"{d['image_size']} images, {seeds} GAN seed{'s' if seeds > 1 else ''}): it shows what the report says, "
            f"not whether GAN images help. For a decision, run the decision design on real data: `{DECISION_COMMAND}` "
            f"(or your own images: data.name=folder, data.root=<folder>). ")


def units_needed(vs: dict, half_width: float) -> int | None:
    """Test units (GAN seeds when replicates share GAN draws, else replicates) that a 1 - alpha
    interval of half-width `half_width` needs at this comparison's observed spread (Student t)."""
    n = vs.get("units")
    if vs.get("ci_low") is None or not n or n < 2:
        return None
    alpha = 1 - vs["confidence"]
    sd = (vs["ci_high"] - vs["ci_low"]) / 2 * math.sqrt(n) / t_dist.ppf(1 - alpha / 2, n - 1)   # the interval's spread
    return units_for_half_width(sd, half_width, alpha)


def is_mix(name: str) -> bool:
    """A mix of real and synthetic images, plain or on top of classic augmentation."""
    return Variant.parse(name).kind in ("mix", "augmented_mix")


def width_sentence(d: dict, tested: dict[str, dict]) -> str:
    """How wide the mixes' intervals are (the question's comparisons, which share one test unit;
    every tested variant when there are no mixes), and the design that would make them narrow
    enough to decide: more GAN seeds when the GAN draw is the unit, else more replicates."""
    mixes = {v: s for v, s in tested.items() if is_mix(v)} or tested
    with_ci = {v: s for v, s in mixes.items() if s.get("ci_low") is not None}
    if not with_ci:
        return " One replicate gives no interval: raise classifier.replicates."
    halves = [100 * (s["ci_high"] - s["ci_low"]) / 2 for s in with_ci.values()]
    first = next(iter(with_ci.values()))
    unit = "GAN seeds" if first.get("unit") == "GAN draw" else "replicates"
    one_draw = first.get("unit") == "replicate, one GAN draw"
    low, high = min(halves), max(halves)
    width = f"±{low:.2f}" if round(low, 2) == round(high, 2) else f"±{low:.2f} to ±{high:.2f}"
    text = f" The {level(first)} intervals of {', '.join(with_ci)} are {width} points wide, over {first['units']} {unit}"
    caveat = " (for these GANs only: one GAN seed; a decision needs several gan.seeds)" if one_draw else ""
    if high <= 100 * DECISION_HALF_WIDTH:
        return text + f": narrow enough to decide differences of {100 * DECISION_HALF_WIDTH:.1f} points{caveat}."
    need = [units_needed(s, DECISION_HALF_WIDTH) for s in with_ci.values()]
    if None in need:
        return text + f"{caveat}."
    per_seed = f" ({max(need) * d['replicates'] // len(d['gan_seeds'])} replicates)" if unit == "GAN seeds" else ""
    return (text + f"; at the observed spread, ±{100 * DECISION_HALF_WIDTH:.1f} points would need about {max(need)} "
            f"{unit}{per_seed}{caveat}.")


def listed(tested: dict[str, dict]) -> str:
    """Each comparison as 'name +x.xx points [low, high], Holm p', for the answer's sentences."""
    return "; ".join(f"{v} {points(s['diff'])} points" + (f" {interval(s)}" if s["ci_low"] is not None else "")
                     + f", Holm p {p_text(s['p_adjusted'])} ({short_verdict(s)})" for v, s in tested.items())


def augmented_sentence(variants: dict[str, dict]) -> str:
    """The practitioner's question first: on top of classic augmentation, what synthetic images change."""
    on_top = {v: s for v, s in variants.items() if s["baseline"] == "augmented"}
    if not on_top:
        return ""
    aug = variants["augmented"]
    return (f"On top of classic augmentation (augmented: {aug['accuracy']:.4f} ± {aug['accuracy_std']:.4f}), adding "
            f"synthetic images changes test accuracy by: {listed(on_top)}. ")


def real_sentence(d: dict, variants: dict[str, dict]) -> str:
    """The comparisons against real-only training: what differs significantly, and how large a
    difference the others' intervals still allow."""
    real = variants["real"]
    against = {v: s for v, s in variants.items() if s["baseline"] == "real"}
    found = {v: s for v, s in against.items() if s["significant"]}
    quiet = {v: s for v, s in against.items() if not s["significant"]}
    text = (f"Against real-only training ({real['accuracy']:.4f} ± {real['accuracy_std']:.4f}), from "
            f"{d['replicates']} paired replicates per variant at {d['steps']} optimizer steps each: "
            + (listed(found) if found else "no variant differs significantly") + ".")
    bounds = [largest_supported(s) for s in quiet.values()]
    if quiet and None not in bounds:
        who = f"the others ({', '.join(quiet)})" if found else ", ".join(quiet)
        conf = level(next(iter(quiet.values())))
        text += (f" Each of their {conf} intervals, taken alone, rules out differences larger than "
                 f"{100 * max(bounds):.2f} points for {who}.")
    return text


def answer(summary: dict) -> str:
    """The report's first paragraph: what the run can decide, the practitioner's question (synthetic
    images on top of augmentation), then against real-only training, how wide the intervals are and
    what design would narrow them, and what the synthetic images are worth in real images."""
    d, variants = summary["design"], summary["variants"]
    tested = {v: s for v, s in variants.items() if v != "real"}
    text = design_sentence(d, variants["real"]["accuracy"]) + augmented_sentence(variants) + real_sentence(d, variants)
    text += width_sentence(d, tested)
    text += (f" Whether {d['steps']} steps are on every variant's plateau is not judged in this run: "
             "benchmarks/classifier_budget.py trains each variant at 4x the steps to measure it (benchmarks/README.md "
             "gives its result on the 8x8 digits demo and on mnist_sample).")
    mixes = {v: s for v, s in tested.items() if is_mix(v) and s["min_detectable"] is not None}
    detectable = mixes or {v: s for v, s in tested.items() if s["min_detectable"] is not None}
    if detectable:
        low, high = (100 * f(s["min_detectable"] for s in detectable.values()) for f in (min, max))
        which = "the mixes" if mixes else "these variants"
        size = f"{low:.2f}" if round(low, 2) == round(high, 2) else f"{low:.2f} to {high:.2f}"
        text += (f" By the observed spread, this run would detect differences of about {size} points between "
                 f"{which} and their baselines with 80% power (after Holm's correction).")
    text += f" GAN variance is {d['gan_variance']}."
    text += worth_sentence(summary.get("worth"))
    text += synthetic_sentence(summary.get("quality", {}))
    return text


def worth_count(place: dict) -> str:
    """A worth in real images per class as text: '62', '<= 50' (no more than the scarce set), '> 200'."""
    return {"below": f"≤ {place['count']:g}", "above": f"> {place['count']:g}"}.get(place["position"],
                                                                                     f"{place['count']:.0f}")


def worth_text(w: dict) -> str:
    """'worth 62 real images per class [<= 50, 94], 12% of the headroom [-20%, 44%]'."""
    span = f" [{worth_count(w['worth_low'])}, {worth_count(w['worth_high'])}]" if "worth_low" in w else ""
    share = (f" [{100 * w['headroom_low']:.0f}%, {100 * w['headroom_high']:.0f}%]" if "headroom_low" in w else "")
    return (f"worth {worth_count(w['worth'])} real images per class{span}, {100 * w['headroom_share']:.0f}% of the "
            f"headroom{share}")


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


def _text(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


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
                 f"scores 0.05); authenticity {_text(q['authenticity'])} (new real images: {_text(q['heldout_authenticity'])}).")
        if q["mostly_copies"]:
            text += (" Warning: the synthetic images are mostly near-copies of the real training images ("
                     + ", ".join(q["mostly_copies"]) + "): every variant trained on them is flagged.")
    return text


def run_settings(meta: dict, gan_steps: int, mix_mode: str) -> dict:
    """What the report's settings table shows of the data (the prepared data's meta.json), the GAN
    budget and the mix mode."""
    per_class = sorted(set(meta["counts"]["train"].values()))
    return {"dataset": meta["name"], "image_size": "x".join(map(str, meta["image_shape"])),
            "per_class": str(per_class[0]) if len(per_class) == 1 else f"{per_class[0]} to {per_class[-1]}",
            "val_images": meta["counts"]["val"], "test_images": meta["counts"]["test"], "gan_steps": gan_steps,
            "mix_mode": mix_mode}


def inception_fid(quality: dict) -> dict:
    """The standard (Inception-feature) FID/KID of the filtered images, when quality.inception is on."""
    s = (quality.get("inception") or {}).get("filtered")
    if not s:
        return {}
    return {"inception_fid": round(s["fid"], 6), "inception_kid": round(s["kid"], 6),
            "inception_kid_std": round(s["kid_std"], 6), "inception_images": [s["n_synthetic"], s["n_real"]]}


def ratio_series(results: dict[str, dict], mix_mode: str) -> list[dict]:
    """The accuracy-vs-ratio chart's series, for the DVC plot (`ratio_rows`) and the report's SVG
    alike: the mixes as one line (one design, mix.mode) at their percent synthetic, the augmented
    mixes as another; synthetic only,
    a point of its own at 100 (another design); real and augmented as reference lines (at 0 and 100).
    Each: {"name", "style": "line" | "points" | "reference", "points": [(percent, variant), ...]}."""
    series = []
    for kind, name in (("mix", f"mix ({mix_mode} mode)"), ("augmented_mix", f"mix + augmentation ({mix_mode} mode)")):
        line = sorted((Variant.parse(v).percent_synthetic, v) for v in results if Variant.parse(v).kind == kind)
        series += [{"name": name, "style": "line", "points": line}] if line else []
    if "synthetic" in results:
        series.append({"name": "synthetic only", "style": "points",
                       "points": [(Variant.parse("synthetic").percent_synthetic, "synthetic")]})
    return series + [{"name": f"{v} (reference)", "style": "reference", "points": [(0, v), (100, v)]}
                     for v in ("real", "augmented") if v in results]


def ratio_rows(results: dict[str, dict], mix_mode: str) -> str:
    """TSV rows that `dvc plots` draws as test accuracy against percent synthetic, one line per
    `series` (`ratio_series`). The +-std band is two more columns, cut to [0, 1] so that the axis
    holds it."""
    def row(ratio: int, v: str, series: str) -> str:
        r = results[v]
        low, high = max(r["accuracy"] - r["accuracy_std"], 0.0), min(r["accuracy"] + r["accuracy_std"], 1.0)
        return (f"{ratio}\t{v}\t{series}\t{r['accuracy']:.6f}\t{r['accuracy_std']:.6f}\t{low:.6f}\t{high:.6f}\t"
                f"{r['f1_macro']:.6f}")

    lines = ["ratio\tvariant\tseries\taccuracy\taccuracy_std\taccuracy_low\taccuracy_high\tf1_macro"]
    lines += [row(ratio, v, s["name"]) for s in ratio_series(results, mix_mode) for ratio, v in s["points"]]
    return "\n".join(lines) + "\n"


WORTH_CURVE_HEADER = ["real images per class", "variant", "accuracy", "gain over real (points)", "interval"]
WORTH_HEADER = ["variant", "vs real (points)", "interval", "worth: real images per class", "interval",
                "headroom share", "interval"]


def worth_tables(worth: dict) -> tuple[list[list[str]], list[list[str]]]:
    """The report's worth section as text cells: the learning curve's rows (WORTH_CURVE_HEADER) and
    each variant's worth (WORTH_HEADER)."""
    curve = [[f"{p['count']:g}", p["variant"], f"{p['accuracy']:.4f}", points(p["gain"]),
              "-" if p["gain_low"] is None else f"[{points(p['gain_low'])}, {points(p['gain_high'])}]"]
             for p in (worth.get("curve") or {}).get("points", [])]
    rows = [[v, points(w["diff"]), interval(w), worth_count(w["worth"]),
             f"[{worth_count(w['worth_low'])}, {worth_count(w['worth_high'])}]" if "worth_low" in w else "-",
             f"{100 * w['headroom_share']:.0f}%",
             f"[{100 * w['headroom_low']:.0f}%, {100 * w['headroom_high']:.0f}%]" if "headroom_low" in w else "-"]
            for v, w in worth["variants"].items()]
    return curve, rows


WORTH_NOTE = ("Real-only training at larger real counts per class (real_<n>: the scarce images plus more from the "
              "same pool, never seen by a GAN or the judge; the same validation and test images; each at the step "
              "budget of its own size) gives the learning curve, as paired gains over real. Each variant's gain over "
              "real is placed on it: the real images per class that would give the same "
              "gain, interpolated linearly in log(count) (≤: no more than the scarce set; >: beyond the largest "
              "count). Its interval joins the gain's interval with the curve's (first table), conservatively: the "
              "gain's low end on the curve's upper bound, its high end on the lower bound. Headroom share: gain / "
              "the largest count's gain. An augmented mix's gain over real holds augmentation's own: compare it "
              "with augmented's row.")
