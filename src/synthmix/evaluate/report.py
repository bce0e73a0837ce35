"""Gather the evaluate and quality stages' results into the summary (for `dvc metrics diff`), the
accuracy-vs-ratio rows (for `dvc plots`), a markdown report and a self-contained HTML report."""
from __future__ import annotations

KEYS = ("accuracy", "accuracy_std", "precision_macro", "recall_macro", "f1_macro", "f1_macro_std", "ece")


def variant_ratio(variant: str) -> int | None:
    """Percent synthetic on the ratio axis: real is 0, synthetic is 100, augmented is off the axis."""
    if variant == "real":
        return 0
    if variant == "synthetic":
        return 100
    if variant.startswith("mix_"):
        return int(variant.removeprefix("mix_"))
    return None


def verdict(vs: dict | None, alpha: float) -> str:
    """In words: is the difference against `real` significant at level alpha?"""
    if vs is None:
        return "baseline"
    if vs["p_value"] is None:
        return "untested"
    if not vs["significant"]:
        return f"not significant (p = {vs['p_value']:.3g} >= {alpha:g}): could be noise"
    return f"significantly {'better' if vs['accuracy_diff'] > 0 else 'worse'} (p = {vs['p_value']:.3g} < {alpha:g})"


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 6)


def summarize(results: dict[str, dict], filtering: dict, quality: dict) -> dict:
    """One entry per variant (mean over seeds), the best variant, and the headline sample quality."""
    real_acc = results["real"]["accuracy"]
    variants = {}
    for v, r in results.items():
        vs = r.get("vs_real")
        variants[v] = {k: round(r[k], 6) for k in KEYS} | {
            "gain_vs_real": round(r["accuracy"] - real_acc, 6),
            "p_value": None if vs is None else _round(vs["p_value"]),
            "significant": None if vs is None else vs["significant"],
            "failure_level": r["failure_level"]}
    best = max(results, key=lambda v: (results[v]["accuracy"], v))
    filtered = quality["overall"]["filtered"] or {}
    detect = quality["overall"]["detectability"] or {}
    return {"seeds": len(next(iter(results.values()))["seeds"]), "variants": variants,
            "best": {"variant": best, "accuracy": round(results[best]["accuracy"], 6)},
            "filter_acceptance": round(filtering["acceptance"], 6),
            "quality": {k: round(filtered[k], 6) for k in ("fid", "kid", "precision", "recall", "density", "coverage")
                        if k in filtered}
            | {"inception_score": _round(quality.get("inception_score", {}).get("filtered")),
               "train_real_test_synthetic": _round(results["real"].get("synthetic_accuracy", {}).get("overall")),
               "detectability": _round(detect.get("accuracy"))}}


def ratio_rows(results: dict[str, dict]) -> str:
    """TSV rows, sorted by ratio, that `dvc plots` draws as test accuracy against synthetic percent."""
    rows = sorted((variant_ratio(v), v, r) for v, r in results.items() if variant_ratio(v) is not None)
    lines = ["ratio\tvariant\taccuracy\taccuracy_std\tf1_macro"]
    lines += [f"{ratio}\t{v}\t{r['accuracy']:.6f}\t{r['accuracy_std']:.6f}\t{r['f1_macro']:.6f}" for ratio, v, r in rows]
    return "\n".join(lines) + "\n"


def _pm(r: dict, key: str) -> str:
    return f"{r[key]:.4f} ± {r[key + '_std']:.4f}"


def render_markdown(summary: dict, results: dict[str, dict], filtering: dict, quality: dict, mix_mode: str,
                    alpha: float) -> str:
    lines = ["# synthmix report", "",
             f"Test images: {next(iter(results.values()))['test_images']} (real, held out); every number is the "
             f"mean ± std over {summary['seeds']} seed(s). Mix mode: `{mix_mode}`. Filter threshold "
             f"{filtering['threshold']}: kept {filtering['kept']}/{filtering['generated']} synthetic images "
             f"({100 * filtering['acceptance']:.1f}%). The full report with figures: `metrics/report.html`.", "",
             "| variant | accuracy | macro F1 | ECE | vs real | p | verdict |", "|---|---|---|---|---|---|---|"]
    for v, r in results.items():
        vs = r.get("vs_real")
        lines.append(f"| {v} | {_pm(r, 'accuracy')} | {_pm(r, 'f1_macro')} | {r['ece']:.4f} | "
                     f"{summary['variants'][v]['gain_vs_real']:+.4f} | "
                     f"{'-' if not vs or vs['p_value'] is None else format(vs['p_value'], '.3g')} | "
                     f"{verdict(vs, alpha)} |")
    kinds = list(next(iter(results.values()))["failure_level"])
    lines += ["", "## Robustness", "",
              "Lowest corruption level (fraction of the type's range) at which mean test accuracy falls below "
              "the failure fraction of the clean accuracy (`-`: never, within the levels tested).", "",
              "| variant | " + " | ".join(kinds) + " |", "|---|" + "---|" * len(kinds)]
    for v, r in results.items():
        lines.append(f"| {v} | " + " | ".join("-" if r["failure_level"][k] is None else f"{r['failure_level'][k]:g}"
                                             for k in kinds) + " |")
    q = summary["quality"]
    lines += ["", "## Sample quality (filtered synthetic images, judge feature space)", ""]
    if "fid" in q:
        lines.append(f"FID {q['fid']:.3f}, KID {q['kid']:.4f}, precision {q['precision']:.3f}, recall "
                     f"{q['recall']:.3f}, density {q['density']:.3f}, coverage {q['coverage']:.3f}.")
    if q["inception_score"] is not None:
        lines.append(f"Judge inception score {q['inception_score']:.3f} (real test images: "
                     f"{quality['inception_score']['real_test']:.3f}; at most the number of classes).")
    if q["detectability"] is not None:
        lines.append(f"Real-vs-synthetic detector accuracy {q['detectability']:.3f} (0.5 = indistinguishable).")
    lines += ["", "## Filter acceptance per class", "", "| class | kept | generated | acceptance |", "|---|---|---|---|"]
    for name, c in filtering["per_class"].items():
        lines.append(f"| {name} | {c['kept']} | {c['generated']} | {c['acceptance']:.3f} |")
    return "\n".join(lines) + "\n"
