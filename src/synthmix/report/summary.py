"""The summary `dvc metrics show/diff` compares, the accuracy-vs-ratio rows `dvc plots` draws, and
the verdict of each test against `real` in words."""
from __future__ import annotations

from synthmix.variants import Variant

KEYS = ("accuracy", "accuracy_std", "precision_macro", "recall_macro", "f1_macro", "f1_macro_std", "ece")
QUALITY_KEYS = ("fid", "kid", "kid_std", "precision", "recall", "density", "coverage")


def verdict(vs: dict | None, alpha: float) -> str:
    """In words: is the difference against `real` significant at level alpha after Holm's correction?"""
    if vs is None:
        return "baseline"
    raw, adjusted = vs["p_value"], vs["p_adjusted"]
    if not vs["significant"]:
        return f"not significant (p = {raw:.3g}, Holm-adjusted {adjusted:.3g} >= {alpha:g}): could be noise"
    return (f"significantly {'better' if vs['accuracy_diff'] > 0 else 'worse'} "
            f"(p = {raw:.3g}, Holm-adjusted {adjusted:.3g} < {alpha:g})")


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 6)


def unique_synthetic(counts: dict | None) -> dict | None:
    """Unique synthetic images a variant trained on: in total and the fewest in any class."""
    if not counts:
        return None
    unique = [c["synthetic_unique"] for c in counts.values()]
    return {"total": int(sum(unique)), "min_per_class": int(min(unique)),
            "used": int(sum(c["synthetic"] for c in counts.values()))}


def summarize(results: dict[str, dict], filtering: dict, quality: dict) -> dict:
    """One entry per variant (mean over seeds), the best variant, the filter, the judge's
    calibration and the headline sample quality."""
    real_acc = results["real"]["accuracy"]
    variants = {}
    for v, r in results.items():
        vs = r.get("vs_real") or {}
        variants[v] = {k: round(r[k], 6) for k in KEYS} | {
            "gain_vs_real": round(r["accuracy"] - real_acc, 6), "p_value": _round(vs.get("p_value")),
            "p_adjusted": _round(vs.get("p_adjusted")), "significant": vs.get("significant"),
            "failure_level": r["failure_level"], "unique_synthetic": unique_synthetic(r.get("synthetic_counts"))}
    best = max(results, key=lambda v: (results[v]["accuracy"], v))
    filtered = quality["overall"]["filtered"] or {}
    detect = quality["overall"]["detectability"] or {}
    judge = filtering["judge"]
    return {"seeds": len(next(iter(results.values()))["seeds"]), "variants": variants,
            "best": {"variant": best, "accuracy": round(results[best]["accuracy"], 6)},
            "filter": {"mode": filtering["mode"], "acceptance": round(filtering["acceptance"], 6),
                       "kept": filtering["kept"], "drawn": filtering["drawn"],
                       "kept_min_per_class": min(c["kept"] for c in filtering["per_class"].values())},
            "judge": {"temperature": round(judge["temperature"], 6),
                      "ece_before": round(judge["val"]["ece_before"], 6), "ece_after": round(judge["val"]["ece_after"], 6)},
            "quality": {k: round(filtered[k], 6) for k in QUALITY_KEYS if k in filtered}
            | {"inception_score": _round(quality.get("inception_score", {}).get("filtered")),
               "train_real_test_synthetic": _round(results["real"].get("synthetic_accuracy", {}).get("overall")),
               "detectability": _round(detect.get("accuracy"))}
            | inception_fid(quality)}


def inception_fid(quality: dict) -> dict:
    """The standard (Inception-feature) FID/KID of the filtered images, when quality.inception is on."""
    s = (quality.get("inception") or {}).get("filtered")
    if not s:
        return {}
    return {"inception_fid": round(s["fid"], 6), "inception_kid": round(s["kid"], 6),
            "inception_kid_std": round(s["kid_std"], 6), "inception_images": [s["n_synthetic"], s["n_real"]]}


def ratio_rows(results: dict[str, dict]) -> str:
    """TSV rows, sorted by ratio, that `dvc plots` draws as test accuracy against percent synthetic,
    with the +- std band as two more columns."""
    on_axis = sorted((Variant.parse(v).percent_synthetic, v, r) for v, r in results.items()
                     if Variant.parse(v).percent_synthetic is not None)
    lines = ["ratio\tvariant\taccuracy\taccuracy_std\taccuracy_low\taccuracy_high\tf1_macro"]
    lines += [f"{ratio}\t{v}\t{r['accuracy']:.6f}\t{r['accuracy_std']:.6f}\t{r['accuracy'] - r['accuracy_std']:.6f}\t"
              f"{r['accuracy'] + r['accuracy_std']:.6f}\t{r['f1_macro']:.6f}" for ratio, v, r in on_axis]
    return "\n".join(lines) + "\n"
