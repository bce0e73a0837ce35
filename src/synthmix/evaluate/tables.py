"""The per-variant files `dvc plots` draws from the evaluation results (the top-level plots' data
is written by the report stage, `synthmix.report.plots`)."""
from __future__ import annotations

import csv
import io

import numpy as np


def csv_text(header: list[str], rows, delimiter: str = ",") -> str:
    """Rows as CSV (or TSV) text, quoted by the csv module where a field needs it (a class name may
    hold commas, quotes or tabs' neighbours: anything a folder name can), "\n" line ends."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def confusion_csv(predictions: list[list[int]], labels: np.ndarray, class_names: list[str]) -> str:
    """One `actual,predicted` row per test image and seed, for DVC's confusion template."""
    names = np.asarray(class_names, dtype=object)
    rows = [pair for pred in predictions for pair in zip(names[labels], names[np.asarray(pred)])]
    return csv_text(["actual", "predicted"], rows)
