"""What every stage script shares: clean errors for bad input, and dvclive set up for a stage."""
from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Callable

from synthmix.core.errors import DataError
from synthmix.params import ParamsError

# Errors caused by the user's params or data: one clear line, no traceback, exit status 2.
USER_ERRORS = (ParamsError, DataError, FileNotFoundError)


def run(main: Callable[[], None]) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        main()
    except USER_ERRORS as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)


def open_live(dir: str | Path):
    """A dvclive logger writing under `dir` that leaves dvc.yaml and DVC experiments alone."""
    from dvclive import Live

    return Live(str(dir), dvcyaml=False, save_dvc_exp=False, report=None)


def live_logger(live) -> Callable[[int, dict[str, float]], None]:
    """A log(step, values) function for the training loops, writing one dvclive step per call."""
    def log(step: int, values: dict[str, float]) -> None:
        live.step = step
        for name, value in values.items():
            live.log_metric(name, value)
        live.next_step()
    return log
