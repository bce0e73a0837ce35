"""The self-contained HTML report: one file, every figure inline (PNG as data: URIs, charts as SVG),
so it can be mailed, attached to a merge request or opened from a DVC remote without its folder."""
from __future__ import annotations

import base64
from html import escape

from synthmix.evaluate.report import variant_ratio, verdict
from synthmix.evaluate.svg import line_chart

SECTIONS = {"summary": "Summary", "significance": "Significance against real", "ratio": "Accuracy vs ratio",
            "robustness": "Robustness to noise", "confusion": "Confusion matrices",
            "samples": "Real and synthetic samples per class", "quality": "Sample quality per class",
            "saliency": "Saliency", "filter": "Filter acceptance"}

STYLE = """body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222;line-height:1.4}
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}.ns{color:#888}.sig{font-weight:bold}
.charts{display:flex;flex-wrap:wrap;gap:8px}.cls{display:inline-block;margin:0 14px 14px 0;vertical-align:top}
.cm td,.cm th{padding:1px 5px;font-size:80%}
img{image-rendering:pixelated}nav a{margin-right:10px}figcaption{font-size:90%;color:#555}"""


def img(png: bytes, alt: str) -> str:
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _num(x, fmt: str = ".4f") -> str:
    return "–" if x is None else format(x, fmt)


def _confusion(name: str, matrix: list[list[int]], classes: list[str]) -> str:
    peak = max(max(row) for row in matrix) or 1
    rows = []
    for i, row in enumerate(matrix):
        cells = [f"<th>{escape(classes[i])}</th>"]
        for j, n in enumerate(row):
            shade = 255 - round(170 * n / peak)
            colour = f"rgb({shade},{shade},255)" if i == j else f"rgb(255,{shade},{shade})"
            cells.append(f'<td style="background:{colour}">{n}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    head = "<tr><th>true \\ predicted</th>" + "".join(f"<th>{escape(c)}</th>" for c in classes) + "</tr>"
    return f'<figure class="cls"><table class="cm">{head}{"".join(rows)}</table><figcaption>{escape(name)}</figcaption></figure>'


def render_html(summary: dict, results: dict[str, dict], quality: dict, filtering: dict, classes: list[str],
                grids: dict[str, tuple[bytes, bytes | None]], saliency: tuple[bytes, dict] | None,
                mix_mode: str, alpha: float) -> str:
    """grids: class -> (PNG of real training images, PNG of filtered synthetic images);
    saliency: (PNG, its description from the evaluate stage) or None."""
    first = next(iter(results.values()))
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>synthmix report</title>",
             f"<style>{STYLE}</style></head><body><h1>synthmix report</h1><nav>",
             "".join(f'<a href="#{k}">{escape(v)}</a>' for k, v in SECTIONS.items()), "</nav>"]

    def section(key: str, body: str) -> None:
        parts.append(f'<section id="{key}"><h2>{escape(SECTIONS[key])}</h2>{body}</section>')

    best = summary["best"]
    section("summary", (
        f"<p>{first['test_images']} real test images, held out from every training step. Each number is "
        f"the mean ± std over {summary['seeds']} seed(s). Mix mode <code>{escape(mix_mode)}</code>. Best: "
        f"<b>{escape(best['variant'])}</b> at {best['accuracy']:.4f}.</p>"
        + table(["variant", "accuracy", "macro precision", "macro recall", "macro F1", "ECE", "vs real"],
                [[escape(v), f"{r['accuracy']:.4f} ± {r['accuracy_std']:.4f}", f"{r['precision_macro']:.4f}",
                  f"{r['recall_macro']:.4f}", f"{r['f1_macro']:.4f} ± {r['f1_macro_std']:.4f}",
                  f"{r['ece']:.4f}", f"{summary['variants'][v]['gain_vs_real']:+.4f}"] for v, r in results.items()])))
    rows = []
    for v, r in results.items():
        vs = r.get("vs_real")
        if vs is None:
            continue
        cls = "ns" if not vs["significant"] else "sig"
        rows.append([escape(v), f"{vs['accuracy_diff']:+.4f}", escape(vs["test"]), _num(vs["paired_t_p"], ".3g"),
                     _num(vs["mcnemar_p"], ".3g"), f'<span class="{cls}">{escape(verdict(vs, alpha))}</span>'])
    section("significance", (
        f"<p>Is each variant's difference in test accuracy against <code>real</code> more than run-to-run "
        f"noise? Paired t-test over seeds (seed s of both variants is one pair) when there are 2 or more "
        f"seeds; McNemar's exact test on the first seed's test predictions otherwise (shown for every run). "
        f"Level α = {alpha:g}. A difference that is <i>not significant</i> may be noise: more seeds or test "
        f"images would tell.</p>"
        + table(["variant", "accuracy − real", "test", "paired t p", "McNemar p", "verdict"], rows)))

    on_axis = sorted((variant_ratio(v), v) for v in results if variant_ratio(v) is not None)
    ratio_chart = line_chart([{"name": "test accuracy", "x": [x for x, _ in on_axis],
                               "y": [results[v]["accuracy"] for _, v in on_axis],
                               "err": [results[v]["accuracy_std"] for _, v in on_axis]}],
                             "Test accuracy vs percent synthetic", "percent synthetic (0 = real, 100 = synthetic only)",
                             "accuracy (mean ± std)")
    extra = "".join(f"<p>{escape(v)} (off the axis): {results[v]['accuracy']:.4f} ± {results[v]['accuracy_std']:.4f}</p>"
                    for v in results if variant_ratio(v) is None)
    section("ratio", ratio_chart + extra)

    kinds = list(first["robustness"])
    charts = []
    for kind in kinds:
        series = [{"name": v, "x": [float(lv) for lv in r["robustness"][kind]], "y": list(r["robustness"][kind].values())}
                  for v, r in results.items()]
        charts.append(line_chart(series, kind, "level (fraction of the type's range)", "accuracy",
                                 y_range=(0.0, 1.0), width=400, height=260))
    fails = table(["variant"] + kinds, [[escape(v)] + [_num(r["failure_level"][k], "g") for k in kinds]
                                        for v, r in results.items()])
    section("robustness", "<p>Mean test accuracy over seeds on corrupted real test images, per noise type and "
            "level. Below, the lowest level at which accuracy falls under the failure fraction of the clean "
            "accuracy (– : never).</p>" + f'<div class="charts">{"".join(charts)}</div>' + fails)

    section("confusion", "<p>Rows: true class; columns: predicted; counts summed over seeds.</p>"
            + "".join(_confusion(v, r["confusion_matrix"], classes) for v, r in results.items()))

    section("samples", "<p>Left: real training images; right: filtered synthetic images the classifiers train on.</p>"
            + "".join(f'<figure class="cls">{img(real, f"real {c}")} '
                      + (img(fake, f"synthetic {c}") if fake else "<i>(no synthetic image kept)</i>") +
                      f"<figcaption>class {escape(c)}</figcaption></figure>" for c, (real, fake) in grids.items()))

    trts = results["real"].get("synthetic_accuracy", {}).get("per_class", {})
    rows = []
    for c in classes:
        pc = quality["per_class"][c]
        for name in ("filtered", "raw", "real_train"):
            s = pc[name]
            det = pc["detectability"] if name == "filtered" else None
            rows.append([escape(c) if name == "filtered" else "", escape(name)]
                        + ([_num(s[k], f) for k, f in (("fid", ".3f"), ("kid", ".4f"), ("precision", ".3f"),
                                                       ("recall", ".3f"), ("density", ".3f"), ("coverage", ".3f"))]
                           if s else ["too few images"] + [""] * 5)
                        + [_num(trts.get(c), ".3f") if name == "filtered" else "",
                           _num(det["accuracy"], ".3f") if det else ""])
    q = summary["quality"]
    section("quality", (
        f"<p>In the judge's feature space against the real <i>test</i> images of each class. "
        f"<code>real_train</code> is the reference: real images scored the same way. TRTS: accuracy of the "
        f"<code>real</code> classifier on the synthetic images (train on real, test on synthetic); the "
        f"<code>synthetic</code> variant's accuracy above is the reverse (CAS). Detector: balanced accuracy of a "
        f"CNN telling held-out real from synthetic images, 0.5 = indistinguishable (overall "
        f"{_num(q['detectability'], '.3f')}). Judge inception score (exp E KL(p(y|x) || p(y)) of the judge's "
        f"predictions, all classes pooled; at most {len(classes)}): "
        + ", ".join(f"{escape(n)} {v:.3f}" for n, v in quality.get("inception_score", {}).items() if v is not None)
        + ".</p>"
        + table(["class", "set", "FID", "KID", "precision", "recall", "density", "coverage", "TRTS", "detector"], rows)))

    if saliency is not None:
        png, info = saliency
        section("saliency", f"<p>Gradient saliency |∂ score of the true class / ∂ pixel| on {info['per_class']} test "
                f"image(s) per class (a row per class), seed {info['seed']}. Columns, repeating per image: "
                f"{escape(', '.join(info['columns']))}. Bright = pixels the classifier's decision depends on.</p>"
                + img(png, "saliency maps"))
    else:
        section("saliency", "<p>No saliency maps (evaluate.saliency_per_class is 0).</p>")

    section("filter", f"<p>Threshold {filtering['threshold']}: kept {filtering['kept']} of {filtering['generated']} "
            f"({100 * filtering['acceptance']:.1f}%).</p>"
            + table(["class", "kept", "generated", "acceptance", "mean confidence"],
                    [[escape(n), str(c["kept"]), str(c["generated"]), f"{c['acceptance']:.3f}",
                      f"{c['mean_confidence']:.3f}"] for n, c in filtering["per_class"].items()]))
    parts.append("</body></html>\n")
    return "".join(parts)
