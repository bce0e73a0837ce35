"""The self-contained HTML report: one file, every figure inline (PNG as data: URIs, charts as SVG),
so it can be mailed, attached to a merge request or opened from a DVC remote without its folder. A
function per section, each taking the report's contents whole; SECTIONS (at the end) orders them."""
from __future__ import annotations

import base64
from html import escape

from synthmix.report.contents import Comparison, ReportData
from synthmix.report.format import WORTH_CURVE_HEADER, WORTH_HEADER, bracket, num, pm, points, worth_tables
from synthmix.report.numbers import ratio_series
from synthmix.report.phrasing import WORTH_NOTE
from synthmix.report.svg import line_chart

STYLE = """body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222;line-height:1.4}
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}.ns{color:#888}.sig{font-weight:bold}.warn{color:#b00}
.charts{display:flex;flex-wrap:wrap;gap:8px}.cls{display:inline-block;margin:0 14px 14px 0;vertical-align:top}
.cm td,.cm th{padding:1px 5px;font-size:80%}
img{image-rendering:pixelated}nav a{margin-right:10px}figcaption{font-size:90%;color:#555}"""


def render_html(report: ReportData) -> str:
    """report.html: a link per section, then each section under its title."""
    nav = "".join(f'<a href="#{key}">{escape(title)}</a>' for key, (title, _) in SECTIONS.items())
    body = "".join(f'<section id="{key}"><h2>{escape(title)}</h2>{section(report)}</section>'
                   for key, (title, section) in SECTIONS.items())
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>synthmix report</title>"
            f"<style>{STYLE}</style></head><body><h1>synthmix report</h1><nav>{nav}</nav>{body}</body></html>\n")


def img(png: bytes, alt: str) -> str:
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def table(header: list[str], rows: list[list[str]]) -> str:
    """Header cells are escaped here; row cells arrive as HTML (some hold markup)."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _num(x: float | None, fmt: str = ".4f") -> str:
    return num(x, fmt, "–")


def _summary(report: ReportData) -> str:
    """The answer, the settings, and every variant's test metrics."""
    first = next(iter(report.results.values()))
    return (f"<p><b>{escape(report.answer)}</b></p>"
            + table(["setting", "value"], [[escape(k), escape(str(v))] for k, v in report.settings])
            + f"<p>{first['test_images']} real test images, held out from every training step. Each number is the "
            f"mean ± std over the replicates. Unique synthetic images: distinct filtered images in the variant's "
            f"training set (replicate 0).</p>"
            + table(["variant", "accuracy", "macro precision", "macro recall", "macro F1", "ECE",
                     "unique synthetic images", "kept step (mean)"],
                    [_metrics_row(report, v, r) for v, r in report.results.items()]))


def _metrics_row(report: ReportData, v: str, r: dict) -> list[str]:
    u = report.summary.variants[v].unique_synthetic
    best_step = sum(x["best_step"] for x in r["runs"].values()) / len(r["runs"])
    return [escape(v), pm(r, "accuracy"), f"{r['precision_macro']:.4f}", f"{r['recall_macro']:.4f}",
            pm(r, "f1_macro"), f"{r['ece']:.4f}", "–" if u is None else f"{u['total']} (≥ {u['min_per_class']} per class)",
            f"{best_step:.0f} of {r['budget']['steps']}"]


def _significance(report: ReportData) -> str:
    """Each tested variant against its baseline, with what the columns mean."""
    confidence = f"{100 * (1 - report.alpha):g}%"
    return (f"<p>Is each variant's test accuracy different from its baseline's, and by how much? The baseline is "
            f"<code>augmented</code> for an augmented mix (synthetic images on top of classic augmentation, the "
            f"practitioner's question) and <code>real</code> for the others. Replicate s of "
            f"every variant starts from the same weights and seed and trains for the same number of steps, "
            f"so the per-replicate difference (variant − baseline, in percentage points) is due to the training "
            f"data. Shown: its mean with a {confidence} Student-t interval, the t-test's p "
            f"(over replicates, as <code>scipy.stats.ttest_rel</code>; where replicates share GAN draws, over the "
            f"GAN draws' mean differences, with the per-replicate interval, which holds for these GANs only, beside "
            f"it; McNemar's exact test with a single replicate) and, as {len(report.comparisons)} variants are tested "
            f"as one family, the Holm-adjusted p from which the verdict comes at α = {report.alpha:g}. "
            f"<i>Detectable</i>: the difference the run finds with 80% power at Holm's strictest level, from the "
            f"observed spread. A non-significant variant's interval says how large a difference remains possible.</p>"
            + table(["variant", "baseline", "difference (points)", f"{confidence} interval", "interval, these GANs",
                     "p", "Holm-adjusted p", "detectable (points)", "verdict"],
                    [_comparison_row(v, c) for v, c in report.comparisons.items()]))


def _comparison_row(v: str, c: Comparison) -> list[str]:
    return [escape(v), escape(c.baseline), points(c.diff), bracket(c.ci_low, c.ci_high) if c.has_interval else "–",
            "–" if c.these_gans is None else bracket(*c.these_gans), f"{c.p_value:.3g}", f"{c.p_adjusted:.3g}",
            "–" if c.min_detectable is None else f"{100 * c.min_detectable:.2f}",
            f'<span class="{"sig" if c.significant else "ns"}">{escape(c.verdict)}</span>']


def _worth(report: ReportData) -> str:
    return worth_html(report.summary.worth)


def worth_html(worth: dict | None) -> str:
    """The worth-in-real-images section: the learning curve and each variant's worth, or why none."""
    if worth is None or worth["why_none"]:
        why = "this run has no worth section" if worth is None else worth["why_none"]
        return f"<p>No worth in real images is given: {escape(why)}.</p>"
    curve, rows = worth_tables(worth)
    cells = lambda rs: [[escape(c) for c in r] for r in rs]  # noqa: E731
    return (f"<p>{escape(WORTH_NOTE)}</p>" + table(WORTH_CURVE_HEADER, cells(curve)) + table(WORTH_HEADER, cells(rows))
            + "".join(f"<p>Skipped: {escape(why)}</p>" for why in worth["skipped"]))


MIX_MODES = {"add": "every real image plus synthetic ones, so a higher ratio means more images",
             "replace": "a fixed total, synthetic images replacing real ones",
             "balance": "every class filled with synthetic images up to the same size"}


def _ratio(report: ReportData) -> str:
    """Test accuracy against percent synthetic: a line over the mixes only (one design: mix.mode),
    synthetic-only as a point of its own (another design: its own training-set size), and real and
    augmented as reference lines with their +-std bands."""
    results, mode = report.results, report.mix_mode
    series = [{"name": s["name"], "style": s["style"], "x": [pct for pct, _ in s["points"]],
               "y": [results[v]["accuracy"] for _, v in s["points"]],
               "err": [results[v]["accuracy_std"] for _, v in s["points"]]} for s in ratio_series(results, mode)]
    return (line_chart(series, "Test accuracy vs percent synthetic", "percent synthetic in the training set",
                       "accuracy (mean ± std)", y_limits=(0.0, 1.0), x_range=(0, 100), width=500)
            + f"<p>The line joins the mixes ({escape(mode)} mode: {MIX_MODES.get(mode, mode)}); synthetic only "
              "trains on the synthetic images alone (a design of its own, not joined to it); real and augmented are "
              "drawn across the chart as references, each with its ± std band.</p>")


def _robustness(report: ReportData) -> str:
    """A chart per corruption type (accuracy per level, a line per variant) and the failure levels."""
    results = report.results
    kinds = list(next(iter(results.values()))["robustness"])
    charts = [line_chart([{"name": v, "x": [float(lv) for lv in r["robustness"][kind]],
                           "y": list(r["robustness"][kind].values())} for v, r in results.items()],
                         kind, "level (fraction of the type's range)", "accuracy", y_range=(0.0, 1.0), width=400,
                         height=260) for kind in kinds]
    fails = table(["variant"] + kinds, [[escape(v)] + [_num(r["failure_level"][k], "g") for k in kinds]
                                        for v, r in results.items()])
    return ("<p>Mean test accuracy over replicates on corrupted real test images, per noise type and "
            "level. Below, the lowest level at which accuracy falls under the failure fraction of the clean "
            "accuracy (– : never).</p>" + f'<div class="charts">{"".join(charts)}</div>' + fails)


def _calibration(report: ReportData) -> str:
    """The reliability diagram: a line per variant, binned over all replicates."""
    def line(v: str, bins: dict) -> dict:
        filled = [(n, c, a) for n, c, a in zip(bins["count"], bins["confidence_sum"], bins["correct_sum"]) if n]
        return {"name": v, "x": [c / n for n, c, _ in filled], "y": [a / n for n, _, a in filled]}

    diagram = line_chart([{"name": "calibrated", "x": [0.0, 1.0], "y": [0.0, 1.0]}]
                         + [line(v, r["reliability"]) for v, r in report.results.items()],
                         "Reliability diagram", "confidence (bin mean)", "accuracy", y_range=(0.0, 1.0))
    return ("<p>Per variant, over all replicates: test images grouped into 15 bins by the classifier's "
            "confidence; a calibrated classifier lies on the diagonal (accuracy = confidence). ECE is the "
            "count-weighted gap.</p>" + diagram)


def _confusion(report: ReportData) -> str:
    return ("<p>Rows: true class; columns: predicted; counts summed over replicates.</p>"
            + "".join(_confusion_matrix(v, r["confusion_matrix"], report.classes) for v, r in report.results.items()))


def _confusion_matrix(name: str, matrix: list[list[int]], classes: list[str]) -> str:
    """Counts shaded by size: blue on the diagonal (right), red off it (wrong)."""
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
    return (f'<figure class="cls"><table class="cm">{head}{"".join(rows)}</table>'
            f'<figcaption>{escape(name)}</figcaption></figure>')


def _samples(report: ReportData) -> str:
    return (f"<p>Left: real training images; right: filtered synthetic images of GAN seed "
            f"{report.quality.get('gan_seed', '–')}, as the classifiers train on them.</p>"
            + "".join(f'<figure class="cls">{img(real, f"real {c}")} '
                      + (img(fake, f"synthetic {c}") if fake else "<i>(no synthetic image kept)</i>")
                      + f"<figcaption>class {escape(c)}</figcaption></figure>"
                      for c, (real, fake) in report.figures.samples.items()))


def _memorisation(report: ReportData) -> str:
    """The audit's table per class and the closest synthetic/training pairs side by side."""
    m = report.quality.get("memorisation")
    if not m:
        return "<p>No memorisation audit in quality.json.</p>"
    flag = (f'<p class="warn">The synthetic images are mostly near-copies of the real training images in pixel '
            f"space ({escape(', '.join(m['mostly_copies']))}): every variant trained on them is flagged.</p>"
            if m["mostly_copies"] else "")
    figures = "".join(f'<figure class="cls">{img(png, f"closest pairs {c}")}<figcaption>class {escape(c)}: '
                      + ", ".join(f"{p['distance'] / max(m['per_class'][c]['pixel']['copy_threshold'], 1e-12):.2f}"
                                  for p in m["closest_pairs"][c]) + "</figcaption></figure>"
                      for c, png in report.figures.closest_pairs.items() if png)
    return (_audit_text(m) + flag
            + table(["class", "copy rate (pixels)", "authenticity (pixels)", "distance ratio (pixels)",
                     "copy rate (judge)", "authenticity (judge)", "distance ratio (judge)", "synthetic images"],
                    _audit_rows(m, report.classes))
            + "<p>The synthetic images nearest to a training image, per class: each row a synthetic image (left) "
              "beside its nearest real training image (right); caption: their distance over the copy threshold "
              "(below 1: a copy by the rule above).</p>" + f'<div class="charts">{figures}</div>')


def _audit_text(m: dict) -> str:
    return (f"<p>Every GAN seed's filtered images (what the classifiers train on) against the class's real "
            f"training images, on the scale of its held-out real images (validation and test, which no GAN trained "
            f"on). A variant is flagged when the pixel-space copy rate, pooled over the GAN seeds or for any one "
            f"seed, is above {m['mostly_copies_above']:g} (the judge's space is shown, not used for the flag: there "
            f"the filter chose images near the training images' clusters). "
            f"<i>Copy rate</i>: share of synthetic images nearer to a training image than the "
            f"{m['copy_percentile']:g}th percentile of the held-out images' nearest-training distances (a new real "
            f"image: about 0.05; copies: 1). <i>Authenticity</i> (Alaa et al. 2022): share of synthetic images "
            f"farther from their nearest training image than that image is from its own nearest neighbour, with "
            f"held-out real images' score in brackets. <i>Distance ratio</i>: median nearest-training distance of "
            f"the synthetic images over that of the held-out images (below 1: nearer than new real images). "
            f"Spaces: {escape(m['spaces']['pixel'])}; {escape(m['spaces']['judge'])}.</p>")


def _audit_rows(m: dict, classes: list[str]) -> list[list[str]]:
    """Per class, then pooled ('all'): copy rate, authenticity (held-out's) and distance ratio, in
    pixels then judge features, and the synthetic images audited."""
    def cells(a: dict | None) -> list[str]:
        if not a:                        # a class (or space) with no synthetic image to audit
            return ["–"] * 3
        return [f"{a['copy_rate']:.3f}", f"{_num(a['authenticity'], '.3f')} ({_num(a['heldout_authenticity'], '.3f')})",
                _num(a["median_distance_ratio"], ".2f")]   # the pooled ratio may be absent

    rows = [[escape(c)] + cells(m["per_class"][c]["pixel"]) + cells(m["per_class"][c]["judge"])
            + [str((m["per_class"][c]["pixel"] or {}).get("synthetic", 0))] for c in classes]
    o = m["overall"]
    if o["pixel"] and o["judge"]:
        rows.append(["<b>all</b>"] + cells(o["pixel"]) + cells(o["judge"]) + [str(o["pixel"]["synthetic"])])
    return rows


def _quality(report: ReportData) -> str:
    """The synthetic data's scores per class in the judge's feature space, with what each means."""
    quality, q = report.quality, report.summary.quality
    sizes = ", ".join(f"{escape(c)}: {n}" for c, n in quality["images_per_class"].items())
    scores = ", ".join(f"{escape(n)} {v:.3f}" for n, v in quality.get("inception_score", {}).items() if v is not None)
    return (f"<p>Is the synthetic data any good? First: the <code>synthetic</code> variant's test accuracy (train on "
            f"synthetic, test on real) {_num(q.get('cas'))} ({_num(q.get('cas_to_real'), '.3f')}x real's) and the copy "
            f"rate above. Below, distances in the <b>judge's feature space</b> ({escape(quality['feature_space'])}), "
            f"which grades the filter with the judge that chose its images. The images of GAN seed "
            f"{quality.get('gan_seed', '–')} against {escape(quality['reference'])}; every set of a class at the same "
            f"size ({sizes}), so no set wins by its size (KID: mean ± std over half-size subsets). "
            f"<code>real_heldout</code> is what real images score the same way. TRTS: accuracy of the "
            f"<code>real</code> classifier on the synthetic images (train on real, test on synthetic); the "
            f"<code>synthetic</code> variant's accuracy above is the reverse (CAS). Detector: balanced accuracy of a "
            f"CNN telling held-out real from synthetic images, 0.5 = indistinguishable (overall "
            f"{_num(q['detectability'], '.3f')}). Judge inception score (exp E KL(p(y|x) || p(y)) of the judge's "
            f"predictions, all classes pooled; at most {len(report.classes)}): {scores}.</p>" + _inception(quality)
            + table(["class", "set", "FID (judge)", "KID (judge)", "precision (judge)", "recall (judge)",
                     "density (judge)", "coverage (judge)", "TRTS", "detector"], _quality_rows(report)))


def _quality_rows(report: ReportData) -> list[list[str]]:
    """Per class, a row per set (filtered, raw, real_heldout); TRTS and the detector on the filtered row."""
    trts = report.results["real"].get("synthetic_accuracy", {}).get("per_class", {})
    rows = []
    for c in report.classes:
        pc = report.quality["per_class"][c]
        for name in ("filtered", "raw", "real_heldout"):
            s, filtered = pc[name], name == "filtered"
            det = pc["detectability"] if filtered else None
            scores = ([_num(s["fid"], ".3f"), pm(s, "kid")] + [_num(s[k], ".3f") for k in
                                                               ("precision", "recall", "density", "coverage")]
                      if s else ["too few images"] + [""] * 5)
            rows.append([escape(c) if filtered else "", escape(name)] + scores
                        + [_num(trts.get(c), ".3f") if filtered else "", _num(det["accuracy"], ".3f") if det else ""])
    return rows


def _inception(quality: dict) -> str:
    """The standard Inception-feature FID/KID table, when quality.inception is on."""
    sets = quality.get("inception")
    if not sets:
        return ""
    rows = [[escape(name), f"{s['fid']:.2f}", pm(s, "kid"), str(s["n_synthetic"]), str(s["n_real"])]
            for name, s in sets.items() if isinstance(s, dict) and "fid" in s]
    return ("<p>Standard FID/KID in <b>Inception-v3 features</b> (FID weights; images upsampled to 299x299, grayscale "
            "repeated to 3 channels), all classes pooled, size-matched, against the real reference images:</p>"
            + table(["set", "FID (Inception)", "KID (Inception)", "images", "real reference images"], rows))


def _saliency(report: ReportData) -> str:
    if report.figures.saliency is None:
        return "<p>No saliency maps (evaluate.saliency_per_class is 0).</p>"
    png, info = report.figures.saliency
    return (f"<p>SmoothGrad x input saliency (the mean |∂ score of the true class / ∂ pixel x the "
            f"pixel's intensity| over noisy copies of the image, smoothed 3x3) on {info['per_class']} test "
            f"image(s) per class (a row per class), replicate {info['replicate']}, drawn in red to yellow over "
            f"the image in grey. Columns, repeating per image: {escape(', '.join(info['columns']))}. Bright = "
            f"the strokes the classifier's decision depends on (missing ink that matters is not shown).</p>"
            + img(png, "saliency maps"))


def _filter(report: ReportData) -> str:
    """How the filter drew and kept images per class and GAN seed, and the judge's calibration."""
    f, judge = report.filtering, report.summary.judge
    rows = [[escape(n)] + [f"{per[n]['kept']} / {per[n]['drawn']} ({per[n]['unique_drawn']})"
                           for per in f["per_seed"].values()] + [_num(c["cut"])]
            for n, c in next(iter(f["per_seed"].values())).items()]
    return (f"<p>Mode <code>{escape(f['mode'])}</code>: each class's generator (each GAN seed) was "
            f"drawn from until {f['target_per_class']} distinct images passed (at most {f['max_draws']} "
            f"draws); {f['passed']} of the {f['drawn']} draws passed the filter ({f['acceptance']:.1%}), "
            f"{f['kept']} kept after dropping near-duplicates and cutting at the target, over all seeds. "
            "The judge was calibrated by "
            f"temperature scaling on the validation split (T = {judge.temperature:.3f}; test ECE "
            f"{_num(judge.test_ece_before)} → {_num(judge.test_ece_after)}); <i>cut</i> is the calibrated "
            f"probability an image had to reach; <i>distinct</i>: draws that are no near-duplicate of an earlier "
            f"one (within the class's near-duplicate radius in pixels).</p>"
            + table(["class"] + [f"GAN seed {g}: kept / drawn (distinct)" for g in f["per_seed"]] + ["cut"], rows))


# The report's sections in page order: the anchor (the nav links to it), the title, the body.
SECTIONS = {"summary": ("Summary", _summary), "significance": ("Significance against the baseline", _significance),
            "worth": ("Worth in real images", _worth), "ratio": ("Accuracy vs ratio", _ratio),
            "robustness": ("Robustness to noise", _robustness), "calibration": ("Calibration", _calibration),
            "confusion": ("Confusion matrices", _confusion),
            "samples": ("Real and synthetic samples per class", _samples),
            "memorisation": ("Are the synthetic images new?", _memorisation),
            "quality": ("Sample quality per class", _quality), "saliency": ("Saliency", _saliency),
            "filter": ("Filter: kept per class", _filter)}
