"""The report as markdown, for a terminal or a merge request (the HTML report has the figures)."""
from __future__ import annotations

from synthmix.report.summary import verdict


def _pm(r: dict, key: str) -> str:
    return f"{r[key]:.4f} ± {r[key + '_std']:.4f}"


def _unique(summary: dict, v: str) -> str:
    u = summary["variants"][v]["unique_synthetic"]
    return "-" if u is None else f"{u['total']} (≥ {u['min_per_class']}/class)"


def render_markdown(summary: dict, results: dict[str, dict], filtering: dict, quality: dict, mix_mode: str,
                    alpha: float) -> str:
    judge = summary["judge"]
    lines = ["# synthmix report", "",
             f"Test images: {next(iter(results.values()))['test_images']} (real, held out); every number is the "
             f"mean ± std over {summary['seeds']} seed(s). Mix mode: `{mix_mode}`. Filter `{filtering['mode']}`: kept "
             f"{filtering['kept']} of {filtering['drawn']} drawn synthetic images ({100 * filtering['acceptance']:.1f}%). "
             f"Judge calibrated with temperature {judge['temperature']:.3f}: validation ECE {judge['ece_before']:.4f} "
             f"-> {judge['ece_after']:.4f}. The full report with figures: `metrics/report.html`.", "",
             f"p: paired t-test over seeds (McNemar with one seed); the verdict uses Holm-adjusted p-values over the "
             f"{sum(1 for r in results.values() if r.get('vs_real'))} variants tested against real, at α = {alpha:g}.",
             "", "| variant | accuracy | macro F1 | ECE | unique synthetic images | vs real | p | Holm p | verdict |",
             "|---|---|---|---|---|---|---|---|---|"]
    for v, r in results.items():
        vs = r.get("vs_real")
        lines.append(f"| {v} | {_pm(r, 'accuracy')} | {_pm(r, 'f1_macro')} | {r['ece']:.4f} | {_unique(summary, v)} | "
                     f"{summary['variants'][v]['gain_vs_real']:+.4f} | "
                     f"{'-' if not vs else format(vs['p_value'], '.3g')} | {'-' if not vs else format(vs['p_adjusted'], '.3g')} | "
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
        lines.append(f"FID {q['fid']:.3f}, KID {q['kid']:.4f} ± {q['kid_std']:.4f}, precision {q['precision']:.3f}, "
                     f"recall {q['recall']:.3f}, density {q['density']:.3f}, coverage {q['coverage']:.3f}.")
    if q["inception_score"] is not None:
        lines.append(f"Judge inception score {q['inception_score']:.3f} (real test images: "
                     f"{quality['inception_score']['real_test']:.3f}; at most the number of classes).")
    if q["detectability"] is not None:
        lines.append(f"Real-vs-synthetic detector accuracy {q['detectability']:.3f} (0.5 = indistinguishable).")
    if "inception_fid" in q:
        n_syn, n_real = q["inception_images"]
        lines.append(f"Standard Inception-v3 features (images upsampled to 299x299): FID {q['inception_fid']:.2f}, KID "
                     f"{q['inception_kid']:.4f} ± {q['inception_kid_std']:.4f}, {n_syn} filtered vs {n_real} real test "
                     "images; the real training images: see quality.json.")
    lines += ["", "## Filter: kept per class", "", "| class | kept | wanted | drawn | acceptance | cut |",
              "|---|---|---|---|---|---|"]
    for name, c in filtering["per_class"].items():
        cut = "-" if c["cut"] is None else f"{c['cut']:.4f}"
        lines.append(f"| {name} | {c['kept']} | {c['target']} | {c['drawn']} | {c['acceptance']:.3f} | {cut} |")
    return "\n".join(lines) + "\n"
