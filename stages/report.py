"""Stage report: headline.json for `dvc metrics` and `dvc exp show`, summary.json, rows for accuracy vs ratio, the data of the
top-level `dvc plots`, report.md, and the self-contained report.html (every figure embedded) for a
person to open in a browser. Rendering only: it computes no measurement."""
import argparse
import json
from pathlib import Path

import numpy as np

from synthmix.core.images import grid, png_bytes
from synthmix.core.io import load_json, save_json, write_bytes
from synthmix.core.stage import run
from synthmix.data.store import read_class_files, read_prepared
from synthmix.params import load_params
from synthmix.report import plots
from synthmix.report.html import render_html
from synthmix.report.markdown import render_markdown
from synthmix.report.summary import answer, headline, ratio_rows, run_settings, summarize
from synthmix.variants import all_variants


def class_grid(images) -> bytes | None:
    """Up to 32 images of one class as an 8-wide PNG, scaled so small images are visible; None if empty."""
    if len(images) == 0:
        return None
    return png_bytes(grid(images[:32], nrow=8, scale=max(1, 32 // images.shape[1])))


def pair_grids(memorisation: dict | None, data, synthetic: Path) -> dict[str, bytes | None]:
    """Per class, the memorisation audit's closest pairs as a PNG: a row per pair, the synthetic
    image left of its nearest real training image."""
    if not memorisation:
        return {}
    seeds = {str(p["gan_seed"]) for pairs in memorisation["closest_pairs"].values() for p in pairs}
    kept = {g: read_class_files(synthetic / g, data.class_names) for g in sorted(seeds)}
    out = {}
    for c, pairs in memorisation["closest_pairs"].items():
        images = [x for p in pairs for x in (kept[str(p["gan_seed"])][c][p["synthetic"]], data.train[c][p["train"]])]
        out[c] = png_bytes(grid(np.stack(images), nrow=2, scale=max(1, 48 // images[0].shape[0]))) if images else None
    return out


def write_plot_data(out: Path, results: dict, classes: list[str], replicates: int, gan_dir: Path,
                    classifier_dir: Path) -> None:
    curves = {v: [classifier_dir / v / str(s) / "plots/metrics/val_acc.tsv" for s in range(replicates)]
              for v in results}
    scores = {c: gan_dir / c / "plots/metrics/fid_judge.tsv" for c in classes}
    write_bytes(out / "validation_accuracy.tsv", plots.validation_accuracy(curves).encode())
    write_bytes(out / "gan_checkpoint_score.tsv",     # absent when gan.eval_every is 0 (nothing scored)
                plots.gan_scores({c: p for c, p in scores.items() if p.exists()}).encode())
    write_bytes(out / "robustness.tsv", plots.robustness(results).encode())
    write_bytes(out / "reliability.tsv", plots.reliability(results).encode())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--evaluate", type=Path, required=True, help="directory of <variant>.json test metrics")
    ap.add_argument("--quality", type=Path, required=True, help="sample-quality metrics (JSON)")
    ap.add_argument("--filter", type=Path, required=True, help="synthesis and filter metrics (JSON)")
    ap.add_argument("--data", type=Path, required=True, help="prepared data directory (real sample grids)")
    ap.add_argument("--synthetic", type=Path, required=True,
                    help="filtered synthetic images, <gan seed>/<class>.npy (sample grids)")
    ap.add_argument("--gan-metrics", type=Path, required=True,
                    help="directory of <gan seed>/<class>/plots/metrics: the snapshot scores (refine stage)")
    ap.add_argument("--classifier-metrics", type=Path, required=True,
                    help="directory of <variant>/<replicate>/plots/metrics (training curves)")
    ap.add_argument("--plots", type=Path, required=True, help="directory for the top-level plot data")
    ap.add_argument("--summary", type=Path, required=True, help="summary JSON to write (every headline number)")
    ap.add_argument("--headline", type=Path, required=True,
                    help="the metrics JSON to write: the few numbers `dvc exp show` and `dvc metrics diff` compare")
    ap.add_argument("--rows", type=Path, required=True, help="accuracy-vs-ratio TSV to write")
    ap.add_argument("--report", type=Path, required=True, help="markdown report to write")
    ap.add_argument("--html", type=Path, required=True, help="self-contained HTML report to write")
    args = ap.parse_args()
    params = load_params()
    alpha, seeds = params.evaluate.alpha, params.gan.seeds
    variants = all_variants(params.mix.ratios, params.mix.augmented)
    results = {v.name: load_json(args.evaluate / f"{v}.json") for v in variants}
    filtering, quality = load_json(args.filter), load_json(args.quality)
    data = read_prepared(args.data)
    summary = summarize(results, filtering, quality, seeds, alpha, data.meta["name"], data.meta["image_shape"][0],
                        worth=load_json(args.evaluate / "worth.json"))
    gan_metrics = args.gan_metrics / str(seeds[0])          # the first GAN seed's snapshot choice
    first_gan = load_json(gan_metrics / data.class_names[0] / "metrics.json")
    settings = run_settings(data.meta, first_gan["steps"], params.mix.mode)
    save_json(args.summary, summary)
    # in the order built (variants as in the report, real first): `dvc exp show` keeps it for its columns
    write_bytes(args.headline, (json.dumps(headline(summary), indent=2) + "\n").encode())
    write_bytes(args.rows, ratio_rows(results, params.mix.mode).encode())
    write_bytes(args.report, render_markdown(summary, results, filtering, quality, settings, alpha).encode())
    write_plot_data(args.plots, results, data.class_names, params.classifier.replicates, gan_metrics,
                    args.classifier_metrics)
    fake = read_class_files(args.synthetic / str(seeds[0]), data.class_names)
    grids = {c: (class_grid(data.train[c]), class_grid(fake[c])) for c in data.class_names}
    sal = args.evaluate / "saliency.png"
    saliency = (sal.read_bytes(), load_json(args.evaluate / "saliency.json")) if sal.exists() else None
    pairs = pair_grids(quality.get("memorisation"), data, args.synthetic)
    html = render_html(summary, results, quality, filtering, data.class_names, grids, saliency, settings, alpha, pairs)
    write_bytes(args.html, html.encode())
    print(f"report: {answer(summary)}")


if __name__ == "__main__":
    run(main)
