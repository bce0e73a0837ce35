"""A full disk: an output write that fails with ENOSPC leaves no partial output, the stage fails
naming the path and the free space, and `dvc repro` completes once space is freed.

As root where mounting works, the stage's output directory is a real 8 KiB tmpfs (the judge
checkpoint does not fit); elsewhere ENOSPC is injected at the write, through a sitecustomize module
that makes every Python write under the run-log directory fail as a full device would (torch
writes checkpoints from C++, out of its reach)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from test_e2e import TINY, dvc, make_repo, repro, stage_env

pytestmark = pytest.mark.e2e

INJECT = '''
import builtins, errno, io, os
_open, _full = builtins.open, os.path.abspath(os.environ["SYNTHMIX_TEST_FULL_DIR"])
class _Full:
    def __init__(self, f): self._f = f
    def write(self, data): raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    def __getattr__(self, name): return getattr(self._f, name)
    def __enter__(self): return self
    def __exit__(self, *a): self._f.close()
def _open_full(file, mode="r", *args, **kwargs):
    f = _open(file, mode, *args, **kwargs)
    inside = isinstance(file, (str, os.PathLike)) and os.path.abspath(file).startswith(_full + os.sep)
    return _Full(f) if inside and any(c in mode for c in "wax") else f
builtins.open = io.open = _open_full
'''


def mount_small_fs(path: Path) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8k", "tmpfs", str(path)], capture_output=True).returncode == 0


@pytest.mark.parametrize("device", ["small tmpfs", "injected"])
def test_a_full_disk_leaves_nothing_and_repro_completes_after(tmp_path, device):
    (tmp_path / "repo").mkdir()
    repo = make_repo(tmp_path / "repo", TINY)
    models = repo / "models"
    mounted = device == "small tmpfs" and mount_small_fs(models)
    if device == "small tmpfs" and not mounted:
        pytest.skip("mounting a tmpfs needs root (the injected case covers the rest)")
    repro(repo, "prepare")
    env = stage_env()
    if not mounted:
        (tmp_path / "inject").mkdir()
        (tmp_path / "inject/sitecustomize.py").write_text(INJECT)
        env |= {"PYTHONPATH": f"{tmp_path / 'inject'}{os.pathsep}{env.get('PYTHONPATH', '')}",
                "SYNTHMIX_TEST_FULL_DIR": str(repo / "metrics/judge")}
    try:
        out = subprocess.run([sys.executable, "-m", "dvc", "repro", "train_judge"], cwd=repo, env=env,
                             capture_output=True, text=True)
        assert out.returncode != 0
        said = out.stdout + out.stderr
        full = "models/judge.pt" if mounted else "metrics/judge/"
        assert full in said and "no space left on device while writing it (" in said and " free of " in said, said
        assert "Traceback" not in said
        # nothing of the stage is left: no checkpoint, no temporary file, no curves
        assert not (models.exists() and list(models.iterdir())) and not (repo / "metrics/judge").exists()
        assert "train_judge" in dvc(repo, "status", "train_judge").stdout
    finally:
        if mounted:
            subprocess.run(["umount", str(models)], check=True)
    assert repro(repo, "train_judge") == {"train_judge"}             # space freed: it completes
    assert (models / "judge.pt").stat().st_size > 8192
    assert "up to date" in dvc(repo, "status", "train_judge").stdout
