"""The report as markdown, for a terminal or a merge request (the HTML report has the figures)."""
from __future__ import annotations

from synthmix.report.summary import WORTH_CURVE_HEADER, WORTH_HEADER, WORTH_NOTE, answer, points, worth_tables


def _pm(r: dict, key: str) -> str:
    return f"{r[key]:.4f} ± {r[key + '_std']:.4f}"


def _unique(summary: dict, v: str) -> str:
    u = summary["variants"][v]["unique_synthetic"]
    return "-" if u is None else f"{u['total']} (≥ {u['min_per_class']}/class)"


def _f3(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def _ci(vs: dict | None) -> str:
    return "-" if not vs or vs["ci_low"] is None else f"[{points(vs['ci_low'])}, {points(vs['ci_high'])}]"


def settings_rows(summary: dict, settings: dict) -> list[tuple[str, str]]:
    """(setting, value) rows that tell two reports apart: the data, the design, the budgets."""
    d = summary["design"]
    return [("dataset", settings["dataset"]), ("image size", settings["image_size"]),
            ("real training images per class", settings["per_class"]),
            ("validation / test images (real)", f"{settings['val_images']} / {settings['test_images']}"),
            ("replicates per variant", str(d["replicates"])),
            ("classifier optimizer steps (every variant)", str(d["steps"])),
            ("GAN seeds", ", ".join(map(str, d["gan_seeds"])) + f" ({settings['gan_steps']} GAN steps per class)"),
            ("GAN variance", d["gan_variance"]), ("mix mode", settings["mix_mode"]),
            ("filter", f"{summary['filter']['mode']}: {summary['filter']['passed']} of {summary['filter']['drawn']} draws "
                       f"passed ({summary['filter']['acceptance']:.1%}); {summary['filter']['kept']} kept (distinct, up "
                       "to the target) over all GAN seeds")]


def render_markdown(summary: dict, results: dict[str, dict], filtering: dict, quality: dict, settings: dict,
                    alpha: float) -> str:
    judge = summary["judge"]
    lines = ["# synthmix report", "", answer(summary), "", "## Settings", "", "| setting | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in settings_rows(summary, settings)]
    lines += ["", "## Variants against their baseline", "",
              f"Each number is the mean ± std over the replicates. Difference: replicate s of the variant minus "
              f"replicate s of its baseline (same initial weights and seed): augmented for augmented_mix_<pct> (the "
              f"practitioner's question), real for the others; mean in points with its {100 * (1 - alpha):g}% "
              f"Student-t interval; where replicates share GAN draws the test's units are the GAN draws (the mean "
              f"difference per GAN seed) and the per-replicate interval, which holds for these GANs only, is shown "
              f"beside it; p: t-test (McNemar with one replicate); the verdict uses Holm-adjusted p over the "
              f"{sum(1 for r in results.values() if r.get('vs_baseline'))} variants at α = {alpha:g}. Detectable: the "
              f"difference this run would find with 80% power at Holm's strictest level, from the observed spread.", "",
              "| variant | accuracy | macro F1 | ECE | unique synthetic images | baseline | difference (points) | "
              "interval | interval, these GANs | detectable | verdict |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for v, r in results.items():
        vs = r.get("vs_baseline")
        mde = "-" if not vs or vs["min_detectable"] is None else f"{100 * vs['min_detectable']:.2f}"
        lines.append(f"| {v} | {_pm(r, 'accuracy')} | {_pm(r, 'f1_macro')} | {r['ece']:.4f} | {_unique(summary, v)} | "
                     f"{'-' if not vs else vs['baseline']} | "
                     f"{'-' if not vs else points(vs['diff'])} | {_ci(vs)} | {_ci((vs or {}).get('given_these_gans'))} | "
                     f"{mde} | {summary['variants'][v]['verdict']} |")
    lines += worth_lines(summary.get("worth"))
    kinds = list(next(iter(results.values()))["failure_level"])
    lines += ["", "## Robustness", "",
              "Lowest corruption level (fraction of the type's range) at which mean test accuracy falls below "
              "the failure fraction of the clean accuracy (`-`: never, within the levels tested).", "",
              "| variant | " + " | ".join(kinds) + " |", "|---|" + "---|" * len(kinds)]
    for v, r in results.items():
        lines.append(f"| {v} | " + " | ".join("-" if r["failure_level"][k] is None else f"{r['failure_level'][k]:g}"
                                             for k in kinds) + " |")
    q = summary["quality"]
    lines += ["", "## Is the synthetic data any good, and new?", ""]
    if q.get("cas") is not None:
        ratio = "" if q["cas_to_real"] is None else f", {q['cas_to_real']:.3f}x real's accuracy"
        lines.append(f"Train on synthetic, test on real (the `synthetic` variant): {q['cas']:.4f} ± {q['cas_std']:.4f}"
                     f"{ratio}.")
    if q.get("copy_rate") is not None:
        lines.append(f"Memorisation audit (every GAN seed's filtered images against the real training images, on the "
                     f"scale of held-out real images): copy rate {q['copy_rate']:.3f} in pixels, {q['judge_copy_rate']:.3f} "
                     f"in judge features (a new real image: about 0.05); authenticity {_f3(q['authenticity'])} in pixels "
                     f"(held-out real images: {_f3(q['heldout_authenticity'])})"
                     + (f"; **mostly near-copies ({', '.join(map(md_text, q['mostly_copies']))}): every variant trained on them "
                        "is flagged**." if q["mostly_copies"] else "."))
    if "inception_fid" in q:
        n_syn, n_real = q["inception_images"]
        lines.append(f"Standard Inception-v3 features (images upsampled to 299x299): FID {q['inception_fid']:.2f}, KID "
                     f"{q['inception_kid']:.4f} ± {q['inception_kid_std']:.4f}, {n_syn} filtered vs {n_real} real "
                     "reference images; the real held-out row: see quality.json.")
    lines += ["", f"Judge feature space (it chose the filtered images), GAN seed {quality.get('gan_seed', '-')}, "
              f"size-matched against {quality['reference']}:", ""]
    if "judge_fid" in q:
        lines.append(f"FID {q['judge_fid']:.3f}, KID {q['judge_kid']:.4f} ± {q['judge_kid_std']:.4f}, precision "
                     f"{q['judge_precision']:.3f}, recall {q['judge_recall']:.3f}, density {q['judge_density']:.3f}, "
                     f"coverage {q['judge_coverage']:.3f}.")
    if q["judge_inception_score"] is not None:
        lines.append(f"Judge inception score {q['judge_inception_score']:.3f} (the size-matched real held-out images: "
                     f"{quality['inception_score']['real_heldout']:.3f}; at most the number of classes).")
    if q["detectability"] is not None:
        lines.append(f"Real-vs-synthetic detector accuracy {q['detectability']:.3f} (0.5 = indistinguishable).")
    ece = ("" if judge["test_ece_before"] is None else
           f", test ECE {judge['test_ece_before']:.4f} -> {judge['test_ece_after']:.4f}")
    lines += ["", f"## Filter: kept per class (judge calibrated, T = {judge['temperature']:.3f}{ece})", "",
              "| class | " + " | ".join(f"GAN seed {g}: kept / drawn" for g in filtering["per_seed"]) + " | cut |",
              "|---|" + "---|" * (len(filtering["per_seed"]) + 1)]
    first = next(iter(filtering["per_seed"].values()))
    for name, c in first.items():
        cut = "-" if c["cut"] is None else f"{c['cut']:.4f}"
        lines.append(f"| {md_cell(name)} | " + " | ".join(f"{per[name]['kept']} / {per[name]['drawn']}"
                                                 for per in filtering["per_seed"].values()) + f" | {cut} |")
    return "\n".join(lines) + "\n"


def worth_lines(worth: dict | None) -> list[str]:
    """The worth-in-real-images section: the learning curve and each variant's worth, or why none."""
    if worth is None:
        return []
    lines = ["", "## Worth in real images", ""]
    if worth["why_none"]:
        return lines + [f"No worth in real images is given: {worth['why_none']}."]
    curve, rows = worth_tables(worth)
    lines += [WORTH_NOTE, ""] + md_table(WORTH_CURVE_HEADER, curve) + [""] + md_table(WORTH_HEADER, rows)
    return lines + [f"Skipped: {why}" for why in worth["skipped"]]


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
