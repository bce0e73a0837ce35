"""The report's TSV files: the data of the top-level `dvc plots` (dvc.yaml `plots:`), drawn by the
templates in .dvc/plots/: a handful of charts a person reads first, each overlaying what the
per-stage plots show one at a time. Every file has a `series` column (a variant or a class) that the
templates colour by."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from synthmix.core.io import write_bytes
from synthmix.evaluate.tables import csv_text
from synthmix.report.numbers import ratio_series


def read_curve(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(step, value) columns of a run-log curve file (`step\\t<name>` with a header)."""
    table = np.loadtxt(path, delimiter="\t", skiprows=1, ndmin=2)
    return table[:, 0], table[:, 1]


def _tsv(header: list[str], rows: list[list]) -> str:
    return csv_text(header, rows, delimiter="\t")


def validation_accuracy(curves: dict[str, list[Path]]) -> str:
    """Validation accuracy per optimizer step, one line per variant (the mean over its replicates)."""
    rows = []
    for variant, paths in curves.items():
        runs = [read_curve(p) for p in paths]
        steps = runs[0][0]
        mean = np.mean([values for _, values in runs], axis=0)
        rows += [[int(s), f"{v:.6f}", variant] for s, v in zip(steps, mean)]
    return _tsv(["step", "val_acc", "series"], rows)


def gan_scores(curves: dict[str, Path]) -> str:
    """The GAN checkpoint score (Fréchet distance in judge features) per step, one line per class."""
    rows = []
    for name, path in curves.items():
        steps, values = read_curve(path)
        rows += [[int(s), f"{v:.6f}", name] for s, v in zip(steps, values)]
    return _tsv(["step", "fid_judge", "series"], rows)


def robustness(results: dict[str, dict]) -> str:
    """Mean test accuracy per corruption type and level, one line per variant (faceted by type)."""
    rows = [[level, f"{acc:.6f}", kind, variant] for variant, r in results.items()
            for kind, curve in r["robustness"].items() for level, acc in curve.items()]
    return _tsv(["level", "accuracy", "kind", "series"], rows)


def reliability(results: dict[str, dict]) -> str:
    """Reliability diagram points (bin mean confidence, accuracy), one line per variant."""
    rows = []
    for variant, r in results.items():
        bins = r["reliability"]
        rows += [[f"{c / n:.6f}", f"{a / n:.6f}", n, variant]
                 for n, c, a in zip(bins["count"], bins["confidence_sum"], bins["correct_sum"]) if n]
    return _tsv(["confidence", "accuracy", "count", "series"], rows)


def ratio_rows(results: dict[str, dict], mix_mode: str) -> str:
    """TSV rows that `dvc plots` draws as test accuracy against percent synthetic, one line per
    series (`numbers.ratio_series`). The +-std band is two more columns, cut to [0, 1] so that the axis
    holds it."""
    def row(ratio: int, v: str, series: str) -> str:
        r = results[v]
        low, high = max(r["accuracy"] - r["accuracy_std"], 0.0), min(r["accuracy"] + r["accuracy_std"], 1.0)
        return (f"{ratio}\t{v}\t{series}\t{r['accuracy']:.6f}\t{r['accuracy_std']:.6f}\t{low:.6f}\t{high:.6f}\t"
                f"{r['f1_macro']:.6f}")

    lines = ["ratio\tvariant\tseries\taccuracy\taccuracy_std\taccuracy_low\taccuracy_high\tf1_macro"]
    lines += [row(ratio, v, s["name"]) for s in ratio_series(results, mix_mode) for ratio, v in s["points"]]
    return "\n".join(lines) + "\n"


def write_plot_data(out: Path, results: dict[str, dict], classes: list[str], replicates: int, gan_dir: Path,
                    classifier_dir: Path) -> None:
    """The top-level plots' files in `out`: validation accuracy per step (from each classifier's
    <variant>/<replicate>/plots/metrics), the GAN checkpoint scores (gan_dir: <class>/plots/metrics
    of one GAN seed), robustness and reliability (from evaluate's results)."""
    curves = {v: [classifier_dir / v / str(s) / "plots/metrics/val_acc.tsv" for s in range(replicates)]
              for v in results}
    scores = {c: gan_dir / c / "plots/metrics/fid_judge.tsv" for c in classes}
    write_bytes(out / "validation_accuracy.tsv", validation_accuracy(curves).encode())
    write_bytes(out / "gan_checkpoint_score.tsv",     # absent when gan.eval_every is 0 (nothing scored)
                gan_scores({c: p for c, p in scores.items() if p.exists()}).encode())
    write_bytes(out / "robustness.tsv", robustness(results).encode())
    write_bytes(out / "reliability.tsv", reliability(results).encode())
