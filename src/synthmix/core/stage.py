"""What every stage script shares: clean errors for bad input, no partial outputs, and a run log."""
from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Callable

from synthmix.core import io
from synthmix.core.errors import DataError, DiskFullError
from synthmix.core.live import RunLog
from synthmix.params import ParamsError

# Errors caused by the user's params or data: one clear line, no traceback, exit status 2.
USER_ERRORS = (ParamsError, DataError, FileNotFoundError, DiskFullError)


def run(main: Callable[[], None]) -> None:
    """Run a stage's main(). On any failure (including Ctrl-C and SIGTERM) the outputs it wrote
    are removed, so DVC never sees a partial result; user errors print one line and exit 2."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    signal.signal(signal.SIGTERM, _terminate)
    t0 = time.perf_counter()
    try:
        main()
        _profile(t0)
    except SystemExit as e:
        if e.code not in (0, None):
            remove_outputs()
        raise
    except BaseException as e:
        remove_outputs()
        if isinstance(e, USER_ERRORS):
            print(f"error: {e}", file=sys.stderr)
            sys.exit(2)
        if isinstance(e, KeyboardInterrupt):      # Ctrl-C: one line, not a traceback from wherever it landed
            print(f"interrupted: {Path(sys.argv[0]).name} stopped; its partial outputs were removed", file=sys.stderr)
            sys.exit(130)
        raise


def _profile(t0: float) -> None:
    """With SYNTHMIX_PROFILE=<file>, append this stage's wall time and peak memory (benchmarks/)."""
    path = os.environ.get("SYNTHMIX_PROFILE")
    if not path:
        return
    import resource

    # the largest process: this one, or the largest worker it forked (core.parallel)
    peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    row = {"argv": sys.argv, "seconds": round(time.perf_counter() - t0, 3), "peak_rss_mib": round(peak / 1024, 1)}
    with open(path, "a") as f:
        f.write(json.dumps(row) + "\n")


def _terminate(signum, frame) -> None:
    raise SystemExit(128 + signum)  # unwinds through run(), which removes partial outputs


LIVE_DIRS: list[Path] = []


def remove_outputs() -> list[Path]:
    """Delete every output written by this process (files via core.io, run-log directories)."""
    removed = []
    for path in [*io.WRITTEN, *LIVE_DIRS]:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        elif path.exists():
            path.unlink()
        else:
            continue
        removed.append(path)
    if removed:
        print(f"removed partial outputs: {', '.join(map(str, removed))}", file=sys.stderr)
    io.WRITTEN.clear()
    LIVE_DIRS.clear()
    return removed


def output_dir(dir: str | Path) -> Path:
    """A directory this stage writes whole (also from worker processes): removed if the stage fails."""
    LIVE_DIRS.append(Path(dir))
    return Path(dir)


def attach_values(argv: list[str], options: list[str]) -> list[str]:
    """argv with each of `options` joined to the value after it ("--class", "-x" -> "--class=-x"), so
    that argparse takes a value starting with '-' (a class named "-x") as the value, not an option."""
    out, i = [], 0
    while i < len(argv):
        if argv[i] in options and i + 1 < len(argv):
            out.append(f"{argv[i]}={argv[i + 1]}")
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out


def open_run_log(dir: str | Path) -> RunLog:
    """Training curves and a summary under `dir` (dvclive's layout), removed if the stage fails."""
    return RunLog(output_dir(dir))
