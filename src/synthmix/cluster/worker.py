"""What one Dask task does on a worker: run one stage with DVC in a workspace of its own, push.

The workspace is a clone of the submitted commit (from a per-worker mirror of the git remote) with
the submitter's params.yaml and a dvc.lock that holds the entries the upstream tasks returned, so
`dvc repro --pull --single-item <stage>` pulls exactly the inputs those tasks pushed. The outputs are
pushed before the run-cache entry that points at them, so a worker that dies at any point leaves
the remote without an entry whose files are missing; a retry starts again in a fresh workspace.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from synthmix.cluster.dvc_steps import PUSH_ENTRY
from synthmix.cluster.graph import read_lock

REMOTE_NAME = "synthmix-cluster"     # the remote the workspace pushes to (its .dvc/config.local)
# what Dask's nanny sets in its own process and its workers (distributed.nanny.pre-spawn-environ);
# the stages get the submitter's values instead, so that they compute as its `dvc repro` would:
# numpy's BLAS threads change the order of float sums (the last bits of `quality` and `synthesize`
# moved with OPENBLAS_NUM_THREADS=1 here), and glibc returning freed memory to the system at
# 64 KiB made the stages slower (benchmarks/HISTORY.md, "Through a Dask cluster")
DASK_SPAWN_VARIABLES = ("MALLOC_TRIM_THRESHOLD_", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                        "PYTHONHASHSEED")


class StageFailed(Exception):
    """A stage failed for a reason of its own (bad params, bad data, a bug): retrying elsewhere would
    fail the same way, so the run stops once with the stage's message and the log's place."""


@dataclass(frozen=True)
class StageJob:
    """Everything a worker needs to run one stage of one commit under the submitter's params."""
    stage: str
    git_url: str
    commit: str
    params_text: str
    lock_text: str
    remote_url: str
    remote_name: str | None = None   # the project's DVC remote (its other settings come from the commit)
    upstream: tuple[str, ...] = ()                        # the stages (and .dvc files) whose outputs it reads
    spawn_env: dict = field(default_factory=dict)        # the submitter's DASK_SPAWN_VARIABLES (None: unset)
    gpus_by_worker: dict = field(default_factory=dict)   # local clusters: worker name -> its GPU id
    home: str | None = None          # local clusters: a folder of the submitter's (default: worker_home())
    cache_dir: str | None = None     # local clusters: the submitter's DVC cache (default: <home>/cache)


def run_stage_task(job: StageJob, *upstream: tuple[str, dict, float]) -> tuple[str, dict, float]:
    """Run `job.stage` after its upstream tasks, whose results (name, dvc.lock entry, seconds) arrive
    as `upstream`; return this stage's own (name, entry, seconds)."""
    home = Path(job.home) if job.home else worker_home()
    workspace = home / "runs" / f"{safe_name(job.stage)}-{uuid.uuid4().hex[:8]}"
    log = home / "logs" / f"{workspace.name}.log"
    t0 = time.monotonic()
    with worker_session(home, own_cache=not job.cache_dir):
        log.parent.mkdir(parents=True, exist_ok=True)
        try:                                 # the clone is scratch whatever happens, a failed checkout too
            return run_in_workspace(job, home, workspace, log, upstream, t0)
        finally:
            shutil.rmtree(workspace, ignore_errors=True)


def run_in_workspace(job: StageJob, home: Path, workspace: Path, log: Path, upstream: tuple, t0: float):
    checkout(job, home / "mirrors" / f"{hashlib.sha256(job.git_url.encode()).hexdigest()[:12]}.git", workspace)
    write_workspace(job, workspace, Path(job.cache_dir) if job.cache_dir else home / "cache",
                    {name: entry for name, entry, _ in upstream})
    env = stage_env(job, workspace)
    with open(log, "w") as out:
        code = run_while_wanted([sys.executable, str(Path(__file__).with_name("dvc_steps.py")),
                                 json.dumps(dvc_steps(job))], workspace, env, out)
    if code is None:                         # the task is no longer wanted, or its worker is closing
        if task_cancelled():
            raise StageFailed(f"{job.stage}: cancelled")
        from distributed import Reschedule

        raise Reschedule()                   # the scheduler runs it on another worker
    if code != 0:                            # the log says what happened
        raise StageFailed(f"{job.stage}: {failure_line(log.read_text())} "
                          f"(worker log: {socket.gethostname()}:{log})")
    entry = read_lock((workspace / "dvc.lock").read_text()).get("stages", {}).get(job.stage)
    if entry is None:
        raise StageFailed(f"{job.stage}: dvc repro wrote no dvc.lock entry for it (worker log: "
                          f"{socket.gethostname()}:{log})")
    return job.stage, entry, time.monotonic() - t0


def keep_days() -> float:
    """How long a worker keeps logs and its own cache's files: $SYNTHMIX_WORKER_KEEP_DAYS, default 7."""
    return float(os.environ.get("SYNTHMIX_WORKER_KEEP_DAYS", "7"))


@contextlib.contextmanager
def worker_session(home: Path, own_cache: bool):
    """While a task runs it holds a shared lock on <home>/active.lock. A task that finds no other task
    of this home running (the exclusive lock is free) first prunes what runs leave behind: logs older
    than keep_days(), workspaces of killed workers, and, in the worker's own DVC cache (a transit
    cache: every output is pushed to the remote), files untouched for keep_days(). Never the
    submitter's cache (local clusters share the project's): `own_cache` False."""
    home.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:                      # no flock (Windows): nothing is pruned
        yield
        return
    with open(home / "active.lock", "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            prune_home(home, own_cache, time.time() - keep_days() * 86400)
        except BlockingIOError:              # another task is running: its files are in use
            pass
        fcntl.flock(lock, fcntl.LOCK_SH)
        yield


def prune_home(home: Path, own_cache: bool, before: float) -> None:
    """Remove what no running task can use (the caller holds the exclusive lock)."""
    for old in (home / "logs").glob("*.log"):
        if old.stat().st_mtime < before:
            old.unlink(missing_ok=True)
    for leftover in (home / "runs").glob("*"):
        shutil.rmtree(leftover, ignore_errors=True)
    if own_cache:
        for f in (home / "cache").rglob("*"):
            if f.is_file() and not f.is_symlink() and f.stat().st_mtime < before:
                f.unlink(missing_ok=True)


def run_while_wanted(cmd: list[str], cwd: Path, env: dict, out) -> int | None:
    """Run `cmd` (in a process group of its own) to its exit code; None when the task was cancelled or
    the worker began to close first: Dask cannot stop a running task's thread, so the task stops its
    stage itself (the whole group: DVC and the stage's python) rather than finish unwanted work."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    while True:
        try:
            return proc.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            if task_still_wanted():
                continue
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # the workspace is scratch; the cache takes whole files only
        proc.wait()
        return None


def task_still_wanted() -> bool:
    """False once the scheduler released this task (the client cancelled it or went away) or the worker
    is closing (a job's walltime, a scale-down); True outside a Dask worker."""
    try:
        from distributed import get_worker
        from distributed.core import Status

        worker = get_worker()
    except (ImportError, ValueError):
        return True
    return not task_cancelled() and worker.status in (Status.running, Status.paused)


def task_cancelled() -> bool:
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        return False
    task = worker.state.tasks.get(worker.get_current_task())
    return task is None or task.state in ("cancelled", "released")


def dvc_steps(job: StageJob) -> list[list[str]]:
    """The DVC commands that run `job.stage` in its workspace (dvc_steps.py runs them). With a cache
    that is the remote (one machine, no DVC remote) the inputs are checked out of it and repro's
    results land in it. Else the inputs are pulled by stage name, the outputs pushed, and then only
    this stage's run-cache entry (`push --run-cache` would send every entry of the cache, another
    task's among them, before that task's outputs were pushed), so that a worker killed at any point
    leaves no entry in the remote whose files are missing."""
    # inputs by stage name: `repro --pull` pulls a missing dep by its path, which fails for a folder
    # several stages write into (models/gan holds every train_gan@ stage's files)
    if job.cache_dir and job.cache_dir == job.remote_url:
        return [*([["checkout", *job.upstream]] if job.upstream else []), ["repro", "--single-item", job.stage]]
    remote = job.remote_name or REMOTE_NAME
    return [*([["pull", "-r", remote, *job.upstream]] if job.upstream else []),
            ["repro", "--single-item", job.stage],
            ["push", "-r", remote, job.stage],
            [PUSH_ENTRY, "-r", remote, job.stage]]


def worker_home() -> Path:
    """The worker machine's folder for git mirrors, the DVC cache, workspaces and logs (kept after the
    run, unlike Dask's scratch space): $SYNTHMIX_WORKER_HOME, else ~/.cache/synthmix/cluster."""
    return Path(os.environ.get("SYNTHMIX_WORKER_HOME") or Path.home() / ".cache" / "synthmix" / "cluster")


def safe_name(stage: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", stage)


def git(*args: str, cwd: Path | None = None) -> None:
    out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if out.returncode != 0:
        raise StageFailed(f"git {' '.join(args)}: {out.stderr.strip() or out.stdout.strip()}")


def checkout(job: StageJob, mirror: Path, workspace: Path) -> None:
    """A clone of `job.commit` at `workspace`, objects shared with this machine's mirror of the remote
    (workers of one machine share it: git locks what they update at once)."""
    if not mirror.exists():
        mirror.parent.mkdir(parents=True, exist_ok=True)
        tmp = mirror.with_name(f"{mirror.name}.{uuid.uuid4().hex[:8]}")
        git("clone", "-q", "--bare", job.git_url, str(tmp))
        try:
            tmp.rename(mirror)               # a clone cut short never looks like a mirror
        except OSError:                      # another worker of this machine made it first
            shutil.rmtree(tmp, ignore_errors=True)
    has_commit = subprocess.run(["git", "cat-file", "-e", f"{job.commit}^{{commit}}"], cwd=mirror,
                                capture_output=True).returncode == 0
    if not has_commit:   # the commit itself (hosts allow it for what a branch holds), else every branch
        if subprocess.run(["git", "fetch", "-q", job.git_url, job.commit], cwd=mirror,
                          capture_output=True).returncode != 0:
            git("fetch", "-q", job.git_url, "+refs/heads/*:refs/heads/*", cwd=mirror)
    git("clone", "-q", "--shared", "--no-checkout", str(mirror), str(workspace))
    git("checkout", "-q", "--detach", job.commit, cwd=workspace)


def write_workspace(job: StageJob, workspace: Path, cache: Path, entries: dict[str, dict]) -> None:
    """The submitter's params.yaml; its dvc.lock with the upstream tasks' entries; in .dvc/config.local
    (git never sees it) this worker's cache and the remote: the project's own by name, its other
    settings (endpoint, region, ...) from the committed config, its url as the submitter resolved it
    (a relative folder is relative to the submitter's clone); or, on one machine without a DVC
    remote, the submitter's cache."""
    from configobj import ConfigObj

    (workspace / "params.yaml").write_text(job.params_text)
    from dvc.utils.serialize import dumps_yaml

    lock = read_lock(job.lock_text) or {"schema": "2.0"}
    lock.setdefault("stages", {}).update(entries)
    (workspace / "dvc.lock").write_text(dumps_yaml(lock))      # YAML 1.2, as DVC writes and reads it
    config = ConfigObj(str(workspace / ".dvc" / "config.local"))
    remote = job.remote_name or REMOTE_NAME
    config["core"] = {"remote": remote, "analytics": "false"}
    config[f'remote "{remote}"'] = {"url": job.remote_url}
    config["cache"] = {"dir": str(cache)}
    config.write()


def stage_env(job: StageJob, workspace: Path) -> dict:
    """The stages import synthmix from the workspace (the code DVC hashed is the code that runs), see
    this worker's GPU when a local cluster handed one out, and the submitter's DASK_SPAWN_VARIABLES."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(workspace / "src"),
                                                                      os.environ.get("PYTHONPATH")])),
               DVC_NO_ANALYTICS="1")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # the stages' `python`
    try:
        from distributed import get_worker

        gpu = job.gpus_by_worker.get(get_worker().name)
    except (ImportError, ValueError):
        gpu = None
    if gpu is not None:
        env["CUDA_VISIBLE_DEVICES"] = str(gpu)
    return with_spawn_env(env, job.spawn_env)


def with_spawn_env(env: dict, values: dict) -> dict:
    """`env` with each of DASK_SPAWN_VARIABLES set to its value in `values`, or unset where that is
    None or missing: the submitter's settings in place of those Dask's nanny wrote."""
    for name in DASK_SPAWN_VARIABLES:
        env.pop(name, None)
        if values.get(name) is not None:
            env[name] = values[name]
    return env


def failure_line(log: str) -> str:
    """The stage's own one-line error (`error: ...` from synthmix's stage runner) or else DVC's."""
    lines = [line.strip() for line in log.splitlines()]
    own = [line[len("error: "):] for line in lines if line.startswith("error: ")]
    dvcs = [line for line in lines if line.startswith("ERROR: ")]
    plain = [line for line in lines if line and not line.startswith(("$ dvc ", "# exit "))]   # ours
    return (own or dvcs or plain or ["no output"])[-1]
