"""Gather per-variant test metrics into the summary, the ratio rows and a markdown table."""
from __future__ import annotations

KEYS = ("accuracy", "precision_macro", "recall_macro", "f1_macro")


def variant_ratio(variant: str) -> int | None:
    """Percent synthetic on the ratio axis: real is 0, synthetic is 100, augmented is off the axis."""
    if variant == "real":
        return 0
    if variant == "synthetic":
        return 100
    if variant.startswith("mix_"):
        return int(variant.removeprefix("mix_"))
    return None


def summarize(results: dict[str, dict], filtering: dict) -> dict:
    """One entry per variant (for `dvc metrics diff`), plus the gain of each over `real`."""
    real_acc = results["real"]["accuracy"]
    variants = {v: {k: round(r[k], 6) for k in KEYS} | {"gain_vs_real": round(r["accuracy"] - real_acc, 6),
                                                        "ece": round(r["ece"], 6),
                                                        "failure_level": r["failure_level"]}
                for v, r in results.items()}
    return {"variants": variants, "filter_acceptance": round(filtering["acceptance"], 6)}


def ratio_rows(results: dict[str, dict]) -> str:
    """TSV rows, sorted by ratio, that `dvc plots` draws as test accuracy against synthetic percent."""
    rows = sorted((variant_ratio(v), v, r) for v, r in results.items() if variant_ratio(v) is not None)
    lines = ["ratio\tvariant\taccuracy\tf1_macro"]
    lines += [f"{ratio}\t{v}\t{r['accuracy']:.6f}\t{r['f1_macro']:.6f}" for ratio, v, r in rows]
    return "\n".join(lines) + "\n"


def render_markdown(summary: dict, results: dict[str, dict], filtering: dict, mix_mode: str) -> str:
    lines = ["# synthmix report", "",
             f"Test images: {next(iter(results.values()))['test_images']} (real, held out). "
             f"Mix mode: `{mix_mode}`. Filter threshold {filtering['threshold']}: kept "
             f"{filtering['kept']}/{filtering['generated']} synthetic images "
             f"({100 * filtering['acceptance']:.1f}%).", "",
             "| variant | accuracy | macro precision | macro recall | macro F1 | vs real |",
             "|---|---|---|---|---|---|"]
    for v, s in summary["variants"].items():
        lines.append(f"| {v} | {s['accuracy']:.4f} | {s['precision_macro']:.4f} | {s['recall_macro']:.4f} | "
                     f"{s['f1_macro']:.4f} | {s['gain_vs_real']:+.4f} |")
    lines += ["", "## Calibration and robustness", "",
              "Expected calibration error (0 = confidence matches accuracy) and, per noise type, the lowest "
              "corruption level (fraction of the type's range) at which test accuracy falls below the "
              "failure fraction of the clean accuracy (`-`: never, within the levels tested).", ""]
    kinds = list(next(iter(results.values()))["failure_level"])
    lines += ["| variant | ECE | " + " | ".join(kinds) + " |", "|---|---|" + "---|" * len(kinds)]
    for v, s in summary["variants"].items():
        fails = [("-" if s["failure_level"][k] is None else f"{s['failure_level'][k]:g}") for k in kinds]
        lines.append(f"| {v} | {s['ece']:.4f} | " + " | ".join(fails) + " |")
    lines += ["", "Accuracy-vs-level curves: `metrics/evaluate/robustness/<variant>.tsv` (`dvc plots show`).", ""]
    lines += ["", "## Filter acceptance per class", "", "| class | kept | generated | acceptance |",
              "|---|---|---|---|"]
    for name, c in filtering["per_class"].items():
        lines.append(f"| {name} | {c['kept']} | {c['generated']} | {c['acceptance']:.3f} |")
    lines += ["", "GAN samples per class: `metrics/gan/<class>/samples.png`; loss curves: `dvc plots show`.", ""]
    return "\n".join(lines)
