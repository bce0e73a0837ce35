"""Training curves and a run summary, in dvclive's file layout, without dvclive's start-up cost.

    <dir>/plots/metrics/<name>.tsv   "step\\t<name>", then one row per logged step
    <dir>/metrics.json               the last value of every curve, the last "step", and the summary

DVC reads these exactly as it reads dvclive's (`dvc plots`, `dvc metrics`, the VS Code extension).
Importing and setting up dvclive cost 0.5-0.7 s per stage process on this project's 2-core CPU
(benchmarks/HISTORY.md, "Stage start-up"), paid by every stage that logs curves (the judge, each GAN, each classifier
variant, refine); this writes the same files in milliseconds. Values are written with `repr`, so the bytes are deterministic.
"""
from __future__ import annotations

import json
from pathlib import Path

from synthmix.core.io import write_bytes


class RunLog:
    def __init__(self, dir: str | Path):
        self.dir = Path(dir)
        self.curves: dict[str, list[tuple[int, float]]] = {}
        self.summary: dict = {}

    def log(self, step: int, values: dict[str, float]) -> None:
        """One row per value at `step`: the log(step, values) callback of the training loops."""
        for name, value in values.items():
            self.curves.setdefault(name, []).append((int(step), float(value)))

    def end(self) -> None:
        """Write the curves and metrics.json (each file atomically)."""
        last: dict = {name: rows[-1][1] for name, rows in self.curves.items()}
        steps = [rows[-1][0] for rows in self.curves.values()]
        if steps:
            last["step"] = max(steps)
        for name, rows in self.curves.items():
            text = f"step\t{name}\n" + "".join(f"{s}\t{v!r}\n" for s, v in rows)
            write_bytes(self.dir / "plots" / "metrics" / f"{name}.tsv", text.encode())
        write_bytes(self.dir / "metrics.json", (json.dumps(last | self.summary, indent=4) + "\n").encode())
