"""The report as markdown, for a terminal or a merge request (the HTML report has the figures): a
function per section, each taking the report's contents whole."""
from __future__ import annotations

from synthmix.report.contents import ReportData
from synthmix.report.format import WORTH_CURVE_HEADER, WORTH_HEADER, bracket, num, pm, points, worth_tables
from synthmix.report.phrasing import WORTH_NOTE


def render_markdown(report: ReportData) -> str:
    """report.md: its sections in order, a blank line between them (a section with nothing to say,
    the worth of a run without one, is left out)."""
    sections = [_title(report), _settings(report), _variants(report), worth_lines(report.summary.worth),
                _robustness(report), _synthetic_data(report), _judge_space(report), _filter(report)]
    return "\n\n".join("\n".join(lines) for lines in sections if lines) + "\n"


def _title(report: ReportData) -> list[str]:
    return ["# synthmix report", "", report.answer]


def _settings(report: ReportData) -> list[str]:
    return ["## Settings", ""] + md_table(["setting", "value"], [list(row) for row in report.settings])


VARIANTS_HEADER = ["variant", "accuracy", "macro F1", "ECE", "unique synthetic images", "baseline",
                   "difference (points)", "interval", "interval, these GANs", "detectable", "verdict"]


def _variants(report: ReportData) -> list[str]:
    """Every variant's means and its comparison with its baseline, with how to read them."""
    a = report.alpha
    text = (f"Each number is the mean ± std over the replicates. Difference: replicate s of the variant minus "
            f"replicate s of its baseline (same initial weights and seed): augmented for augmented_mix_<pct> (the "
            f"practitioner's question), real for the others; mean in points with its {100 * (1 - a):g}% "
            f"Student-t interval; where replicates share GAN draws the test's units are the GAN draws (the mean "
            f"difference per GAN seed) and the per-replicate interval, which holds for these GANs only, is shown "
            f"beside it; p: t-test (McNemar with one replicate); the verdict uses Holm-adjusted p over the "
            f"{len(report.comparisons)} variants at α = {a:g}. Detectable: the "
            f"difference this run would find with 80% power at Holm's strictest level, from the observed spread.")
    rows = [_variant_row(report, v, r) for v, r in report.results.items()]
    return ["## Variants against their baseline", "", text, ""] + md_table(VARIANTS_HEADER, rows)


def _variant_row(report: ReportData, v: str, r: dict) -> list[str]:
    s, vs = report.summary.variants[v], report.comparisons.get(v)
    u = s.unique_synthetic
    unique = "-" if u is None else f"{u['total']} (≥ {u['min_per_class']}/class)"
    compared = (["-"] * 5 if vs is None else
                [vs.baseline, points(vs.diff), bracket(vs.ci_low, vs.ci_high) if vs.has_interval else "-",
                 "-" if vs.these_gans is None else bracket(*vs.these_gans),
                 "-" if vs.min_detectable is None else f"{100 * vs.min_detectable:.2f}"])
    return [v, pm(r, "accuracy"), pm(r, "f1_macro"), f"{r['ece']:.4f}", unique] + compared + [s.verdict]


def worth_lines(worth: dict | None) -> list[str]:
    """The worth-in-real-images section: the learning curve and each variant's worth, or why none;
    no lines for a run without a worth section."""
    if worth is None:
        return []
    lines = ["## Worth in real images", ""]
    if worth["why_none"]:
        return lines + [f"No worth in real images is given: {worth['why_none']}."]
    curve, rows = worth_tables(worth)
    lines += [WORTH_NOTE, ""] + md_table(WORTH_CURVE_HEADER, curve) + [""] + md_table(WORTH_HEADER, rows)
    return lines + [f"Skipped: {why}" for why in worth["skipped"]]


def _robustness(report: ReportData) -> list[str]:
    kinds = list(next(iter(report.results.values()))["failure_level"])
    # written out rather than md_table: with no corruption type, the header keeps its empty cell
    lines = ["## Robustness", "",
             "Lowest corruption level (fraction of the type's range) at which mean test accuracy falls below "
             "the failure fraction of the clean accuracy (`-`: never, within the levels tested).", "",
             "| variant | " + " | ".join(kinds) + " |", "|---|" + "---|" * len(kinds)]
    return lines + [f"| {v} | " + " | ".join(num(r["failure_level"][k], "g", "-") for k in kinds) + " |"
                    for v, r in report.results.items()]


def _synthetic_data(report: ReportData) -> list[str]:
    """The synthetic data's headline: train on synthetic/test on real, the memorisation audit and the
    standard Inception FID/KID, each when the run measured it."""
    q = report.summary.quality
    lines = ["## Is the synthetic data any good, and new?", ""]
    if q.get("cas") is not None:
        ratio = "" if q["cas_to_real"] is None else f", {q['cas_to_real']:.3f}x real's accuracy"
        lines.append(f"Train on synthetic, test on real (the `synthetic` variant): {pm(q, 'cas')}{ratio}.")
    if q.get("copy_rate") is not None:
        flagged = (f"; **mostly near-copies ({', '.join(map(md_text, q['mostly_copies']))}): every variant trained on "
                   "them is flagged**." if q["mostly_copies"] else ".")
        lines.append(f"Memorisation audit (every GAN seed's filtered images against the real training images, on the "
                     f"scale of held-out real images): copy rate {q['copy_rate']:.3f} in pixels, "
                     f"{q['judge_copy_rate']:.3f} in judge features (a new real image: about 0.05); authenticity "
                     f"{num(q['authenticity'], '.3f', '-')} in pixels (held-out real images: "
                     f"{num(q['heldout_authenticity'], '.3f', '-')})" + flagged)
    if "inception_fid" in q:
        n_syn, n_real = q["inception_images"]
        lines.append(f"Standard Inception-v3 features (images upsampled to 299x299): FID {q['inception_fid']:.2f}, KID "
                     f"{pm(q, 'inception_kid')}, {n_syn} filtered vs {n_real} real "
                     "reference images; the real held-out row: see quality.json.")
    return lines


def _judge_space(report: ReportData) -> list[str]:
    """The filtered images' scores in the judge's feature space (the space that chose them)."""
    q, quality = report.summary.quality, report.quality
    lines = [f"Judge feature space (it chose the filtered images), GAN seed {quality.get('gan_seed', '-')}, "
             f"size-matched against {quality['reference']}:", ""]
    if "judge_fid" in q:
        lines.append(f"FID {q['judge_fid']:.3f}, KID {pm(q, 'judge_kid')}, precision "
                     f"{q['judge_precision']:.3f}, recall {q['judge_recall']:.3f}, density {q['judge_density']:.3f}, "
                     f"coverage {q['judge_coverage']:.3f}.")
    if q["judge_inception_score"] is not None:
        lines.append(f"Judge inception score {q['judge_inception_score']:.3f} (the size-matched real held-out images: "
                     f"{quality['inception_score']['real_heldout']:.3f}; at most the number of classes).")
    if q["detectability"] is not None:
        lines.append(f"Real-vs-synthetic detector accuracy {q['detectability']:.3f} (0.5 = indistinguishable).")
    return lines


def _filter(report: ReportData) -> list[str]:
    """Per class and GAN seed, the images the filter kept of those drawn, and the class's cut."""
    judge, per_seed = report.summary.judge, report.filtering["per_seed"]
    ece = ("" if judge.test_ece_before is None else
           f", test ECE {judge.test_ece_before:.4f} -> {judge.test_ece_after:.4f}")
    header = ["class"] + [f"GAN seed {g}: kept / drawn" for g in per_seed] + ["cut"]
    rows = [[md_cell(name)] + [f"{per[name]['kept']} / {per[name]['drawn']}" for per in per_seed.values()]
            + [num(c["cut"], ".4f", "-")] for name, c in next(iter(per_seed.values())).items()]
    title = f"## Filter: kept per class (judge calibrated, T = {judge.temperature:.3f}{ece})"
    return [title, ""] + md_table(header, rows)


def md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A Markdown table's lines from text cells."""
    return ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"] + ["| " + " | ".join(r) + " |" for r in rows]


def md_text(text: str) -> str:
    """Text (a class name) in running Markdown: characters that would start emphasis, code, links or
    HTML are backslash-escaped, so the name reads as written."""
    return "".join("\\" + c if c in "\\`*_[]<>|#" else c for c in text)


def md_cell(text: str) -> str:
    """A class name (any text a folder name can hold) as one Markdown table cell: a `|` would end it."""
    return text.replace("|", "\\|")
