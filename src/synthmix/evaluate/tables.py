"""The per-variant files `dvc plots` draws from the evaluation results (the top-level plots' data
is written by the report stage, `synthmix.report.plots`)."""
from __future__ import annotations

import numpy as np


def confusion_csv(predictions: list[list[int]], labels: np.ndarray, class_names: list[str]) -> str:
    """One `actual,predicted` row per test image and seed, for DVC's confusion template."""
    names = np.asarray(class_names, dtype=object)
    rows = ["actual,predicted"]
    for pred in predictions:
        rows += [f"{a},{p}" for a, p in zip(names[labels], names[np.asarray(pred)])]
    return "\n".join(rows) + "\n"
