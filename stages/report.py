"""Stage report: summary.json for `dvc metrics`, rows for accuracy vs ratio, and a readable report.md."""
import argparse
from pathlib import Path

from synthmix.core.io import load_json, save_json, write_bytes
from synthmix.core.stage import run
from synthmix.evaluate.report import ratio_rows, render_markdown, summarize
from synthmix.params import load_params, variant_names


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--evaluate", type=Path, required=True, help="directory of <variant>.json test metrics")
    ap.add_argument("--filter", type=Path, required=True, help="filter acceptance metrics (JSON)")
    ap.add_argument("--summary", type=Path, required=True, help="summary JSON to write")
    ap.add_argument("--rows", type=Path, required=True, help="accuracy-vs-ratio TSV to write")
    ap.add_argument("--report", type=Path, required=True, help="markdown report to write")
    args = ap.parse_args()
    params = load_params()
    results = {v: load_json(args.evaluate / f"{v}.json") for v in variant_names(params.mix)}
    filtering = load_json(args.filter)
    summary = summarize(results, filtering)
    save_json(args.summary, summary)
    write_bytes(args.rows, ratio_rows(results).encode())
    write_bytes(args.report, render_markdown(summary, results, filtering, params.mix.mode).encode())
    best = max(summary["variants"].items(), key=lambda kv: kv[1]["accuracy"])
    print(f"report: best variant {best[0]} with test accuracy {best[1]['accuracy']:.4f}")


if __name__ == "__main__":
    run(main)
