"""Stage report: headline.json for `dvc metrics` and `dvc exp show`, summary.json, rows for accuracy vs ratio, the data of the
top-level `dvc plots`, report.md, and the self-contained report.html (every figure embedded) for a
person to open in a browser. Rendering only: it computes no measurement."""
import argparse
import json
from pathlib import Path

from synthmix.core.io import save_json, write_bytes
from synthmix.core.stage import run
from synthmix.params import load_params
from synthmix.report.contents import ReportInputs, read_report
from synthmix.report.phrasing import recipe_text
from synthmix.report.html import render_html
from synthmix.report.markdown import render_markdown
from synthmix.report.plots import ratio_rows, write_plot_data
from synthmix.report.summary import headline
from synthmix.variants import all_variants


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
    seeds = params.gan.seeds
    inputs = ReportInputs(evaluate=args.evaluate, quality=args.quality, filter=args.filter, data=args.data,
                          synthetic=args.synthetic, first_gan=args.gan_metrics / str(seeds[0]))  # its snapshot choice
    report = read_report(inputs, all_variants(params.mix.ratios, params.mix.augmented), seeds,
                         params.evaluate.alpha, params.mix.mode,
                         recipe_text(params.classifier.label_smoothing, params.classifier.keep))
    save_json(args.summary, report.summary.to_json())
    # in the order built (variants as in the report, real first): `dvc exp show` keeps it for its columns
    write_bytes(args.headline, (json.dumps(headline(report.summary), indent=2) + "\n").encode())
    write_bytes(args.rows, ratio_rows(report.results, report.mix_mode).encode())
    write_bytes(args.report, render_markdown(report).encode())
    write_plot_data(args.plots, report.results, report.classes, params.classifier.replicates, inputs.first_gan,
                    args.classifier_metrics)
    write_bytes(args.html, render_html(report).encode())
    print(f"report: {report.answer}")


if __name__ == "__main__":
    run(main)
