"""Submit a pipeline's out-of-date stages to a Dask cluster and join the results through DVC.

Each stage is one Dask task that depends on its upstream stages' tasks, so Dask starts it as soon as
they are done, on any free worker. A task runs the stage with DVC in a workspace of its own and
pushes the outputs and the run-cache entry to the shared DVC remote (worker.py). When every task is
done, the submitting workspace runs `dvc repro --pull`: DVC restores each stage from the run-cache,
computes nothing, and writes the dvc.lock a local `dvc repro` would have written.

Faults: a worker that dies mid-stage is Dask's to handle (the scheduler re-runs its task on another
worker, up to `distributed.scheduler.allowed-failures` times); a stage that fails for a reason of
its own fails the run once (tasks are never retried on an exception). Ctrl-C cancels the tasks; the
submitting workspace is only written by the final `dvc repro --pull`.
"""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from synthmix.cluster.engine import Cluster
from synthmix.cluster.graph import StageNode, closure, out_of_date, read_stages, task_keys, workspace_changes
from synthmix.cluster.worker import DASK_SPAWN_VARIABLES, StageFailed, StageJob, run_stage_task, with_spawn_env

# files the submitting workspace may hold changed: workers get them from the submitter, not from git
SENT_WITH_THE_TASK = ("params.yaml", "dvc.lock")
# the submitter's environment for the variables Dask's nanny overwrites, read when this module is
# first imported: before distributed is (importing distributed.nanny sets them in this process)
SUBMITTER_SPAWN_ENV = {name: os.environ.get(name) for name in DASK_SPAWN_VARIABLES}


class RunFailed(Exception):
    """The run stopped: one line for the user (a stage's own error, with its worker log)."""


@dataclass(frozen=True)
class Project:
    """What workers need to know about the submitting workspace."""
    root: Path
    commit: str
    git_url: str
    remote_name: str | None          # the DVC remote the workers push to (None: this machine's cache)
    remote_url: str
    lock_text: str
    cache_dir: str                   # this workspace's DVC cache
    local: bool = False              # the workers run on this machine (local:N)
    # in every task key: runs of two clones (or users) on one scheduler never share a task
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])


def git_out(root: Path, *args: str) -> str:
    out = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    if out.returncode != 0:
        raise ValueError(f"git {' '.join(args)}: {out.stderr.strip()}")
    return out.stdout.strip()


def describe_project(root: Path, local: bool) -> Project:
    """The commit, git remote and DVC remote the workers use; anything they could not see fails here,
    before any work: uncommitted code, a commit the git remote lacks, no DVC remote off this machine."""
    try:
        commit = git_out(root, "rev-parse", "--verify", "HEAD^{commit}")
    except ValueError as e:
        raise ValueError(f"{root} has no git commit to run ({e}): the workers run a commit of the project") from None
    # -z: one NUL-ended 'XY path' per file, the leading blank of ' M path' kept (git_out strips)
    status = subprocess.run(["git", "status", "--porcelain", "-z", "--untracked-files=no"], cwd=root,
                            capture_output=True, text=True).stdout
    # .gitignore files too: DVC adds a new output's name to them (a new ratio's classifier, say)
    dirty = [path for path in changed_paths(status) if path not in SENT_WITH_THE_TASK
             and Path(path).name != ".gitignore"]
    if dirty:
        raise ValueError(f"uncommitted changes in {', '.join(dirty[:5])}{' ...' if len(dirty) > 5 else ''}: the "
                         "workers run the committed code (only params.yaml and dvc.lock travel with the tasks); "
                         "commit them first")
    if local:
        git_url = str(root)
    else:
        git_url = git_out(root, "remote", "get-url", "origin")
        if not git_out(root, "branch", "-r", "--contains", commit, "--list", "origin/*"):
            raise ValueError(f"commit {commit[:10]} is on no branch of the git remote 'origin' ({git_url}): the "
                             "workers clone it from there; git push first")
    remote_name, remote_url, cache_dir = dvc_remote(root)
    if remote_name is None and not local:
        raise ValueError("no default DVC remote: workers on other machines push their results to it and this "
                         "workspace pulls them (dvc remote add -d <name> <url>, a place every worker can reach)")
    lock = root / "dvc.lock"
    return Project(root, commit, git_url, remote_name, remote_url, lock.read_text() if lock.exists() else "",
                   cache_dir, local)


def changed_paths(porcelain_z: str) -> list[str]:
    """The paths of `git status --porcelain -z`: 'XY path' items, a rename's or copy's followed by an
    item that is its old path alone."""
    items, paths = porcelain_z.split("\0"), []
    while items:
        item = items.pop(0)
        if len(item) > 3:
            paths.append(item[3:])
            if item[0] in "RC":
                items.pop(0)                 # the old path
    return paths


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


@dataclass
class Plan:
    """One params setting's stages, those to submit (upstream first) and their Dask keys."""
    params_text: str
    stages: dict[str, StageNode]
    stale: list[str]
    keys: dict[str, str]


def plan(project: Project, params_text: str, targets: list[str], workspace: tuple[set[str], set[str]]) -> Plan:
    """The stages under `params_text`, those of `targets` out of date, given the workspace's
    (changed, known) stages."""
    stages = read_stages(project.root, params_text)
    order = closure(stages, targets)
    stale = out_of_date(stages, order, workspace[0], project.lock_text, workspace[1])
    return Plan(params_text, stages, stale, task_keys(stages, order, f"{project.commit} {project.run_id}"))


def check_inputs_committed(project: Project, plans: list[Plan]) -> None:
    """Refuse, before any work, a submitted stage that reads files no stage produces and git does not
    hold as committed (an offline download in data/downloads, an image folder): the workers see only
    the commit, would read other bytes and give a result this workspace cannot restore."""
    for p in plans:
        for name in p.stale:
            inputs = [path for path in p.stages[name].inputs if not outside(project.root, path)]
            # outside the clone: on this machine the workers see it as this workspace does
            unseen = [] if project.local else [path for path in p.stages[name].inputs if outside(project.root, path)]
            if inputs:
                status = subprocess.run(["git", "status", "--porcelain", "-z", "--ignored", "--untracked-files=all",
                                         "--", *inputs], cwd=project.root, capture_output=True, text=True)
                if status.returncode != 0:
                    raise ValueError(f"git status of stage {name}'s inputs failed: {last_line(status.stderr)}")
                unseen += [item[3:] for item in status.stdout.split("\0") if item[3:]]
            if unseen:
                raise ValueError(f"stage {name} reads {', '.join(unseen[:3])}{' ...' if len(unseen) > 3 else ''}, "
                                 "which the commit does not hold: the workers would not see it. Run the stage "
                                 f"here first (dvc repro {name}), or commit the files (or dvc add and push them)")


def outside(root: Path, path: str) -> bool:
    """Whether a dep path (relative to the clone, or absolute) lies outside the clone."""
    resolved = (root / path).resolve()
    return resolved != root.resolve() and root.resolve() not in resolved.parents


def push_inputs(project: Project, plans: list[Plan]) -> None:
    """Push the outputs of the up-to-date stages (and the .dvc files' data) that submitted ones read:
    workers pull them."""
    needed = sorted({u for p in plans for name in p.stale
                     for u in p.stages[name].upstream + p.stages[name].data_sources if u not in p.stale})
    if project.remote_name is None or not needed:
        return                              # on one machine without a remote they are in the cache already
    out = subprocess.run([sys.executable, "-m", "dvc", "push", "-r", project.remote_name, *needed],
                         cwd=project.root, capture_output=True, text=True, env=submitter_env())
    if out.returncode != 0:
        raise RunFailed(f"dvc push of the inputs the workers need failed: {last_line(out.stderr)}")


def submitter_env() -> dict:
    """This process's environment with the values Dask's nanny overwrote in it (a local cluster's
    nanny runs here) put back: a stage DVC runs here computes as under a plain `dvc repro`."""
    return with_spawn_env(dict(os.environ), SUBMITTER_SPAWN_ENV)


def last_line(text: str) -> str:
    return (text.strip().splitlines() or ["no output"])[-1]


def submit(cluster: Cluster, project: Project, p: Plan, futures: dict) -> dict:
    """Submit `p`'s stale stages, each after its upstream's tasks; `futures` ({key: future}) is shared
    by the plans of one run, so a computation two plans share is one task. Returns {key: stage}."""
    labels = {}
    for name in p.stale:
        node = p.stages[name]
        job = StageJob(name, project.git_url, project.commit, p.params_text, project.lock_text, project.remote_url,
                       project.remote_name, node.upstream + node.data_sources,
                       SUBMITTER_SPAWN_ENV, cluster.gpus_by_worker,
                       *local_places(project))
        upstream = [futures[p.keys[u]] for u in node.upstream if u in p.stale]
        resources = {"GPU": 1} if node.wants_gpu and cluster.gpu_resource else None
        key = p.keys[name]
        if key not in futures:
            # retries=0: an exception is the stage's own failure; a lost worker is re-run by the scheduler
            futures[key] = cluster.client.submit(run_stage_task, job, *upstream, key=key, retries=0,
                                                 resources=resources)
        labels[key] = name
    return labels


def local_places(project: Project) -> tuple[str | None, str | None]:
    """(home, cache) for workers on this machine: their folder under .dvc/tmp (DVC's own scratch,
    git-ignored; logs stay beside the project) and this workspace's DVC cache, so that inputs and
    results never move between caches. (None, None) elsewhere: the workers' own."""
    if not project.local:
        return None, None
    return str(project.root.resolve() / ".dvc" / "tmp" / "cluster"), project.cache_dir


def running_where(client, labels: dict) -> str:
    """'train_gan@0-0 on 1, refine on 0': the stages running now and the worker (name) running each."""
    names = {addr: w.get("name", addr) for addr, w in client.scheduler_info()["workers"].items()}
    running = [f"{labels[k]} on {names.get(addr, addr)}" for addr, keys in client.processing().items()
               for k in keys if k in labels]
    return ", ".join(sorted(running))


def watch(cluster: Cluster, futures: dict, labels: dict) -> None:
    """Wait for every task, a line per finished stage and a bar of stages done/total with what runs
    where; the first failure cancels the rest and raises RunFailed with the stage's one line."""
    from distributed import wait
    from distributed.client import FuturesCancelledError

    from synthmix.core.progress import progress

    bar = progress(total=len(futures), desc="stages", unit="stage")
    pending = set(futures.values())
    done_count = 0
    try:
        while pending:
            try:
                done, pending = wait(pending, timeout=1.0, return_when="FIRST_COMPLETED")
            except TimeoutError:
                done = set()
            for future in sorted(done, key=lambda f: labels[f.key]):
                if future.status != "finished":
                    raise RunFailed(failure_message(future, labels[future.key], labels))
                name, _, seconds = future.result()
                done_count += 1
                print(f"[{name}] done in {seconds:.1f} s ({done_count}/{len(futures)})", flush=True)
            bar.update(len(done))
            bar.set_postfix_str(running_where(cluster.client, labels)[:120])
    except (RunFailed, KeyboardInterrupt):
        with contextlib.suppress(Exception):              # the scheduler may be gone already
            cluster.client.cancel(list(futures.values()))
        raise
    except (FuturesCancelledError, OSError) as e:         # the client cancels all when it loses the scheduler
        raise RunFailed(f"lost the connection to the Dask scheduler ({type(e).__name__}: {e}); the stages "
                        "done so far are in the run-cache: run again to submit the rest") from None
    finally:
        bar.close()


def failure_message(future, stage: str, labels: dict) -> str:
    """The stage's own line for its failure; a worker lost too often says so."""
    from distributed.scheduler import KilledWorker

    if future.status == "cancelled":
        return f"{stage}: its task was cancelled"
    exc = future.exception()
    if isinstance(exc, KilledWorker):           # name the task whose workers died, not a dependent's
        stage = labels.get(exc.task, stage)
        return (f"{stage}: {exc.allowed_failures + 1} workers died while running it, the last "
                f"{exc.last_worker.address}; see the workers' logs (a stage that kills its worker, e.g. out of "
                "memory, does so everywhere)")
    if isinstance(exc, StageFailed):        # its own line; a downstream task carries its upstream's
        return str(exc)
    return f"{stage}: {type(exc).__name__}: {exc}"


def pull_results(project: Project, targets: list[str]) -> None:
    """`dvc repro --pull` in the submitting workspace: every stage restored from the run-cache the
    workers pushed (no --pull on one machine without a remote: they pushed into this cache). A stage
    DVC ran here instead (its entry did not match: other inputs here than on the workers) gives the
    right result but not the cluster's: RunFailed names it."""
    import re

    args = ["repro", *(["--pull"] if project.remote_name else []), *targets]
    try:
        out = subprocess.run([sys.executable, "-m", "dvc", *args], cwd=project.root, env=submitter_env(),
                             capture_output=True,
                             text=True)
    except KeyboardInterrupt:
        raise RunFailed(f"interrupted while restoring the results here: `dvc {' '.join(args)}` finishes it "
                        "(every stage is in the run-cache)") from None
    if out.returncode != 0:
        raise RunFailed(f"dvc {' '.join(args)} in this workspace failed: {last_line(out.stderr)}")
    ran_here = sorted(set(re.findall(r"^Running stage '(.+)':$", out.stdout, re.MULTILINE)))
    if ran_here:
        raise RunFailed(f"{', '.join(ran_here)} ran here instead of being restored: the run-cache held no entry "
                        "for its inputs as this workspace has them (files the workers did not see?)")


def run_plans(cluster_spec: str, gpus: list[str], project: Project, plans: list[Plan]) -> float:
    """Every plan's stale stages on the cluster; returns the seconds it took."""
    from synthmix.cluster.engine import connect, has_dashboard

    t0 = time.monotonic()
    cluster = connect(cluster_spec, gpus)
    try:
        push_inputs(project, plans)
        if has_dashboard() and cluster.client.scheduler_info().get("services", {}).get("dashboard"):
            print(f"Dask dashboard: {cluster.client.dashboard_link}", flush=True)
        futures: dict = {}
        labels: dict = {}
        for p in plans:
            labels.update(submit(cluster, project, p, futures))
        print(f"{len(futures)} stages to run on {cluster_spec}", flush=True)
        watch(cluster, futures, labels)
    finally:
        cluster.close()
    return time.monotonic() - t0


def run_on_cluster(root: Path, cluster_spec: str, targets: list[str], gpus: list[str]) -> int:
    """`synthmix run`: the out-of-date stages of `targets` (all stages without) on the cluster, then
    restored here. Returns an exit status; bad input raises ValueError before any work."""
    from synthmix.cluster.engine import check_spec

    check_spec(cluster_spec)
    project = describe_project(root, cluster_spec.startswith("local:"))
    p = plan(project, (root / "params.yaml").read_text(), targets, workspace_changes(root))
    if not p.stale:
        print("every stage is up to date: nothing to submit")
        return 0
    check_inputs_committed(project, [p])
    seconds = run_plans(cluster_spec, gpus, project, [p])
    pull_results(project, targets)
    print(f"{len(p.stale)} stages done on the cluster in {seconds:.1f} s; restored here from the run-cache")
    return 0


def with_overrides(params_text: str, overrides: dict) -> str:
    """params.yaml's text with dotted keys set (`{"mix.ratios": [25]}`), as `dvc exp run -S` sets them."""
    import yaml

    doc = yaml.safe_load(params_text) or {}
    for dotted, value in overrides.items():
        *sections, key = dotted.split(".")
        node = doc
        for section in sections:
            node = node.setdefault(section, {})
        node[key] = value
    return yaml.safe_dump(doc, sort_keys=False)


def sweep_on_cluster(root: Path, cluster_spec: str, experiments: dict[str, dict], gpus: list[str]) -> int:
    """`synthmix sweep`: every experiment's ({name: overrides}) out-of-date stages on the cluster at
    once, then each recorded with `dvc exp run --temp`, which restores its stages from the run-cache.
    Prints `<name>: Success` or `Failed` per experiment; returns 0 when all succeeded."""
    import json
    import re

    from synthmix.cluster.engine import check_spec

    check_spec(cluster_spec)
    project = describe_project(root, cluster_spec.startswith("local:"))
    base, workspace = (root / "params.yaml").read_text(), workspace_changes(root)
    plans = [plan(project, with_overrides(base, overrides), [], workspace) for overrides in experiments.values()]
    check_inputs_committed(project, plans)
    if any(p.stale for p in plans):                 # a failing stage stops here, no experiment recorded
        run_plans(cluster_spec, gpus, project, plans)
    failed = 0
    for name, overrides in experiments.items():
        sets = [f"-S{k}={json.dumps(v, separators=(',', ':'))}" for k, v in overrides.items()]
        args = ["exp", "run", "--temp", *(["--pull"] if project.remote_name else []), "-n", name, *sets]
        out = subprocess.run([sys.executable, "-m", "dvc", *args], cwd=root, capture_output=True, text=True,
                             env=submitter_env())
        ran_here = re.findall(r"^Running stage '(.+)':$", out.stdout, re.MULTILINE)
        if out.returncode == 0:
            print(f"{name}: Success" + (f" ({', '.join(ran_here)} ran here)" if ran_here else ""))
        else:
            failed += 1
            print(f"{name}: Failed: {last_line(out.stderr)}")
    return 1 if failed else 0
