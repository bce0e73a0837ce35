"""The DVC commands the submitting workspace runs, each through `run_dvc`: pushing the inputs the
workers pull, restoring the results from the run-cache, recording a sweep's experiments.

A command runs in a process of its own (`python -m dvc`, this interpreter's DVC) with the
submitter's environment as it was before Dask's nanny changed it, so that a stage DVC runs here
computes as under a plain `dvc repro`. Reading DVC's configuration (`dvc_remote`) uses DVC's
Python API; a worker's commands are dvc_steps.py's.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from synthmix.cluster.errors import RunFailed
from synthmix.cluster.worker import DASK_SPAWN_VARIABLES, with_spawn_env

# the submitter's environment for the variables Dask's nanny overwrites, read when this module is
# first imported: before distributed is (importing distributed.nanny sets them in this process)
SUBMITTER_SPAWN_ENV = {name: os.environ.get(name) for name in DASK_SPAWN_VARIABLES}


def run_dvc(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`dvc <args>` in the workspace `root`, its output captured as text; the caller reads the code."""
    return subprocess.run([sys.executable, "-m", "dvc", *args], cwd=root, capture_output=True, text=True,
                          env=submitter_env())


def submitter_env() -> dict:
    """This process's environment with the values Dask's nanny overwrote in it (a local cluster's
    nanny runs here) put back: a stage DVC runs here computes as under a plain `dvc repro`."""
    return with_spawn_env(dict(os.environ), SUBMITTER_SPAWN_ENV)


def last_line(text: str) -> str:
    return (text.strip().splitlines() or ["no output"])[-1]


def stages_run_here(stdout: str) -> list[str]:
    """The stages a `dvc repro` or `dvc exp run` ran (its 'Running stage' lines), in order."""
    return re.findall(r"^Running stage '(.+)':$", stdout, re.MULTILINE)


def dvc_remote(root: Path) -> tuple[str | None, str, str]:
    """(name, url) of the default DVC remote and this workspace's DVC cache folder; without a remote,
    (None, the cache, the cache): on one machine the workers push straight into it."""
    from dvc.repo import Repo

    with Repo(str(root)) as repo:
        cache = str(Path(repo.cache.legacy.path).resolve())    # holds files/md5/.. and runs/, as a remote
        name = repo.config["core"].get("remote")
        if not name:
            return None, cache, cache
        remote = repo.cloud.get_remote(name)
        if remote.fs.protocol in ("local", "file"):     # a folder: as this clone resolves it (absolute)
            return name, str(Path(remote.path).resolve()), cache
        # as configured: ssh://user@alias/... keeps its user and ~/.ssh/config alias on the workers
        return name, repo.config["remote"][name]["url"], cache


def push_inputs(root: Path, remote_name: str | None, needed: list[str]) -> None:
    """Push the outputs of `needed` (up-to-date stages, .dvc files) to the remote the workers pull from."""
    if remote_name is None or not needed:
        return                              # on one machine without a remote they are in the cache already
    out = run_dvc(root, "push", "-r", remote_name, *needed)
    if out.returncode != 0:
        raise RunFailed(f"dvc push of the inputs the workers need failed: {last_line(out.stderr)}")


def pull_results(root: Path, remote_name: str | None, targets: list[str]) -> None:
    """`dvc repro --pull` in the submitting workspace: every stage restored from the run-cache the
    workers pushed (no --pull on one machine without a remote: they pushed into this cache). A stage
    DVC ran here instead (its entry did not match: other inputs here than on the workers) gives the
    right result but not the cluster's: RunFailed names it."""
    args = ["repro", *(["--pull"] if remote_name else []), *targets]
    try:
        out = run_dvc(root, *args)
    except KeyboardInterrupt:
        raise RunFailed(f"interrupted while restoring the results here: `dvc {' '.join(args)}` finishes it "
                        "(every stage is in the run-cache)") from None
    if out.returncode != 0:
        raise RunFailed(f"dvc {' '.join(args)} in this workspace failed: {last_line(out.stderr)}")
    ran_here = sorted(set(stages_run_here(out.stdout)))
    if ran_here:
        raise RunFailed(f"{', '.join(ran_here)} ran here instead of being restored: the run-cache held no entry "
                        "for its inputs as this workspace has them (files the workers did not see?)")


def record_experiment(root: Path, remote_name: str | None, name: str, overrides: dict) -> tuple[bool, str]:
    """`dvc exp run --temp` of experiment `name` ({dotted key: value}), which restores its stages from
    the run-cache: (succeeded, its line `<name>: Success` or `<name>: Failed: <DVC's last line>`)."""
    sets = [f"-S{k}={json.dumps(v, separators=(',', ':'))}" for k, v in overrides.items()]
    out = run_dvc(root, "exp", "run", "--temp", *(["--pull"] if remote_name else []), "-n", name, *sets)
    if out.returncode != 0:
        return False, f"{name}: Failed: {last_line(out.stderr)}"
    ran_here = stages_run_here(out.stdout)
    return True, f"{name}: Success" + (f" ({', '.join(ran_here)} ran here)" if ran_here else "")
