"""Periodic training checkpoints that let a killed stage continue where it stopped.

They live outside DVC's outputs (default `.synthmix/resume/`, or `$SYNTHMIX_RESUME_DIR`), because
DVC deletes a stage's outputs before running it. A checkpoint's file name is a hash of everything
that determines the result: the stage's input bytes, its params, the runtime settings and the
source code of the training loop and models. A changed param, input or code therefore never
resumes stale state: it simply finds no checkpoint under its key. Other keys' checkpoints of the same
item are kept (two experiments on one class, queued or on two workers, each resume their own), and
removed only when untouched for STALE_DAYS, so that abandoned keys do not pile up. Checkpoints are
written atomically and durably (fsynced, core.io) and hold only tensors and plain containers (loaded
with `weights_only=True`).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthmix.core.io import load_torch, save_torch

log = logging.getLogger(__name__)
STALE_DAYS = 14   # a checkpoint of another key not written for this long is abandoned


def source_hash(script: Path) -> str:
    """sha256 over a stage script, every synthmix file it imports (core.imports.import_closure: the
    list dvc.yaml declares as its code deps) and the torch version."""
    import torch

    from synthmix.core.imports import SRC, import_closure

    h = hashlib.sha256(torch.__version__.encode())
    h.update(Path(script).read_bytes())
    for path in import_closure(script):
        h.update(str(path.relative_to(SRC)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def default_dir() -> Path:
    return Path(os.environ.get("SYNTHMIX_RESUME_DIR", ".synthmix/resume"))


@dataclass
class Resume:
    """Checkpoint store for one item (e.g. one class's GAN), keyed by what determines its result."""
    dir: Path          # e.g. .synthmix/resume/train_gan/<class>
    key: str           # hash of inputs, params and code
    every: int         # save every `every` steps (0 = never)

    @classmethod
    def for_item(cls, kind: str, name: str, every: int, **parts: Any) -> "Resume":
        key = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:24]
        return cls(default_dir() / kind / name, key, every)

    @property
    def path(self) -> Path:
        return self.dir / f"{self.key}.pt"

    def due(self, step: int, last: int) -> bool:
        return self.every > 0 and step % self.every == 0 and step < last

    def load(self) -> dict | None:
        if not self.path.exists():
            return None
        try:
            return load_torch(self.path)
        except ValueError as e:  # unreadable: start over rather than fail
            log.warning("ignoring unreadable resume checkpoint %s (%s)", self.path, e)
            return None

    def save(self, state: dict) -> None:
        save_torch(self.path, state, register=False)  # not a stage output: survives a failed run
        self.prune_stale()

    def prune_stale(self, now: float | None = None) -> None:
        """Remove other keys' checkpoints untouched for STALE_DAYS; a recent one may be another
        experiment's, running or queued, on the same item."""
        limit = (time.time() if now is None else now) - STALE_DAYS * 86400
        for other in self.dir.glob("*.pt"):
            try:
                if other != self.path and other.stat().st_mtime < limit:
                    other.unlink()
            except FileNotFoundError:                 # another process pruned it first
                pass

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
