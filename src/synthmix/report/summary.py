"""The two JSON documents of a run: the summary (every headline number, rounded, with each variant's
verdict; summary.json) and the few of its numbers `dvc metrics show/diff` and `dvc exp show` compare
(the headline; headline.json)."""
from __future__ import annotations

from synthmix.report.numbers import (COMPARISON_KEYS, KEYS, QUALITY_KEYS, design, inception_fid, memorisation_headline,
                                     round6, rounded, synthetic_headline, unique_synthetic)
from synthmix.report.phrasing import copies_warning, short_verdict, verdict
from synthmix.variants import Variant


def summarize(results: dict[str, dict], filtering: dict, quality: dict, gan_seeds: list[int], alpha: float,
              dataset: str, image_size: int, worth: dict | None = None) -> dict:
    """One entry per variant (mean over replicates, the comparison with its baseline and its
    verdict, flagged when its synthetic images are mostly copies), the design, the best variant
    (only one significantly better than its baseline), the filter, the judge's calibration on the
    test split, the headline of the synthetic data (train-on-synthetic/test-on-real accuracy, the
    copy rate) and the worth in real images (evaluate's worth.json)."""
    flag = copies_warning(quality)
    variants = {v: variant_entry(v, r, alpha, flag) for v, r in results.items()}
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
                      "test_ece_before": round6(judge["test"].get("ece_before")),  # split fitted the temperature
                      "test_ece_after": round6(judge["test"].get("ece_after"))},
            "quality": synthetic_headline(results) | memorisation_headline(quality) | inception_fid(quality)
            | {f"judge_{k}": round(filtered[k], 6) for k in QUALITY_KEYS if k in filtered}
            | {"judge_inception_score": round6(quality.get("inception_score", {}).get("filtered")),
               "train_real_test_synthetic": round6(results["real"].get("synthetic_accuracy", {}).get("overall")),
               "detectability": round6(detect.get("accuracy"))}}


def variant_entry(name: str, r: dict, alpha: float, flag: str | None) -> dict:
    """A variant's summary: its means, its comparison with its baseline (None for a baseline) and the
    verdict in words, which leads with `flag` when the variant trained on copied synthetic images."""
    vs = r.get("vs_baseline") or {}
    words = verdict(r.get("vs_baseline"), alpha)
    return {k: round(r[k], 6) for k in KEYS} | {k: round6(vs.get(k)) for k in COMPARISON_KEYS} | {
        "baseline": vs.get("baseline"), "significant": vs.get("significant"), "unit": vs.get("unit"),
        "units": vs.get("n"), "verdict": f"{flag}; {words}" if flag and Variant.parse(name).uses_synthetic else words,
        "failure_level": r["failure_level"], "unique_synthetic": unique_synthetic(r.get("synthetic_counts"))}


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
            "synthetic": {"cas_to_real": round6(q.get("cas_to_real")), "copy_rate": round6(q.get("copy_rate")),
                          "filter_pass_rate": summary["filter"]["acceptance"]}}
