"""Atomic, deterministic file outputs.

Every output is written to a temporary file in the same directory and renamed into place, so a
crash or a kill leaves either the old file or nothing, never a half-written file that looks valid.
The file is fsynced before the rename and its folder after it: without that, a power loss can leave
the new name pointing at a truncated file (the rename reaches the disk before the data). Outputs get
the mode an ordinary `open()` would give (0o666 less the umask), not mkstemp's private 0o600, so a
team sharing a workspace or a DVC cache can read them.
"""
from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from synthmix.core.errors import DataError, DiskFullError


# Every output this process has written, so a failing stage can remove them (core.stage.run):
# DVC must never find a partial set of outputs from a failed run and take it as a result.
WRITTEN: list[Path] = []


@contextlib.contextmanager
def atomic_path(path: str | Path, register: bool = True) -> Iterator[Path]:
    """Yield a temporary path next to `path`; on success rename it to `path`, on error delete it.

    Temporary files left by a process that was killed (SIGKILL skips the cleanup) are removed
    first. `register` records the path as an output of this stage run.
    """
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for stale in path.parent.glob(f".{glob_escape(path.name)}.*.tmp"):
            stale.unlink(missing_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        tmp = Path(name)
        yield tmp
        os.chmod(tmp, default_file_mode())
        fsync_file(tmp)
        os.replace(tmp, path)
        fsync_dir(path.parent)
        if register:
            WRITTEN.append(path)
    except OSError as e:
        if is_disk_full(e):
            raise disk_full(path, e) from None
        raise
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)


def default_file_mode() -> int:
    """0o666 less the process umask: the mode `open(path, "w")` would have given the file."""
    try:  # Linux: read it without changing it (os.umask sets it, racing other threads' file creation)
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return 0o666 & ~int(line.split()[1], 8)
    except OSError:
        pass
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def fsync_file(path: Path) -> None:
    """Flush a written file's bytes to the disk (before it is renamed to its final name)."""
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries, so that a rename into it survives a power loss. Windows cannot open a
    folder and some file systems refuse fsync on one: there nothing more can be done."""
    if os.name != "posix":
        return
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as e:
        if e.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def is_disk_full(error: BaseException) -> bool:
    return isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT)


def human_size(n: int) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


def disk_full(path: Path, error: OSError) -> DiskFullError:
    """The error of an output that did not fit: its path, and the space left where it was going."""
    try:
        usage = shutil.disk_usage(path.parent)
        space = f"{human_size(usage.free)} free of {human_size(usage.total)} there"
    except OSError:
        space = "free space unknown"
    full = DiskFullError(f"{path}: {os.strerror(error.errno).lower()} while writing it ({space}); nothing of this "
                         "stage was kept: free space, then run `dvc repro` again")
    full.errno = error.errno
    return full


def glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def write_bytes(path: str | Path, data: bytes, register: bool = True) -> None:
    with atomic_path(path, register) as tmp:
        tmp.write_bytes(data)


def save_npy(path: str | Path, array: np.ndarray) -> None:
    # straight into the temporary file: a BytesIO would hold two more copies of a large array
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.save(f, np.ascontiguousarray(array), allow_pickle=False)


def load_npy(path: str | Path) -> np.ndarray:
    """Load an array written by `save_npy`; a missing or corrupt file raises naming the file."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: missing (was the stage that writes it run?)")
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise DataError(f"{path}: not a readable .npy array ({e})") from None


def save_json(path: str | Path, obj: Any) -> None:
    write_bytes(path, (json.dumps(obj, indent=2, sort_keys=True) + "\n").encode())


def load_json(path: str | Path) -> Any:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: missing (was the stage that writes it run?)")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise DataError(f"{path}: not valid JSON ({e})") from None


def save_torch(path: str | Path, obj: dict, register: bool = True) -> None:
    import torch

    buf = io.BytesIO()
    torch.save(obj, buf)
    write_bytes(path, buf.getvalue(), register)


def load_torch(path: str | Path) -> dict:
    """Load a checkpoint with `weights_only=True`: tensors and plain containers, never code."""
    import torch

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: missing (was the stage that writes it run?)")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for a corrupt zip/pickle
        raise DataError(f"{path}: not a readable checkpoint ({type(e).__name__}: {e})") from None


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_array(array: np.ndarray) -> str:
    """Content checksum of an array: dtype, shape and bytes."""
    h = hashlib.sha256(f"{array.dtype.str}{array.shape}".encode())
    # the array's own buffer (the same bytes as tobytes(), without a copy of a large array)
    h.update(np.ascontiguousarray(array).reshape(-1).view(np.uint8))
    return h.hexdigest()
