"""Progress bars for long loops: shown on a terminal, absent when the output is not one (DVC logs,
CI, files), so logs stay clean. `SYNTHMIX_PROGRESS=1` or `0` forces them on or off."""
from __future__ import annotations

import os
import sys


def enabled() -> bool:
    forced = os.environ.get("SYNTHMIX_PROGRESS", "")
    if forced in ("0", "1"):
        return forced == "1"
    return sys.stderr.isatty() and sys.stdout.isatty()


def progress(iterable=None, total: int | None = None, desc: str = "", unit: str = "it", **kwargs):
    """A tqdm bar on stderr (tqdm comes with DVC), disabled unless `enabled()`; it disappears when
    done, so what stays on screen is the stage's one-line result."""
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, unit=unit, disable=not enabled(), leave=False,
                dynamic_ncols=True, file=sys.stderr, **kwargs)
