"""The Dask part of a run: which stages a params setting submits (a Plan), one task per stage after
its upstream's tasks, and watching them to the end.

Each stage is one Dask task that depends on its upstream stages' tasks, so Dask starts it as soon as
they are done, on any free worker (worker.py runs it). Faults: a worker that dies mid-stage is Dask's
to handle (the scheduler re-runs its task on another worker, up to
`distributed.scheduler.allowed-failures` times); a stage that fails for a reason of its own fails the
run once (tasks are never retried on an exception). Ctrl-C cancels the tasks.
"""
from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

from synthmix.cluster.dvc_calls import SUBMITTER_SPAWN_ENV, push_inputs
from synthmix.cluster.engine import Cluster
from synthmix.cluster.errors import RunFailed
from synthmix.cluster.graph import StageNode, closure, out_of_date, read_stages, task_keys
from synthmix.cluster.worker import StageFailed, StageJob, run_stage_task
from synthmix.cluster.workspace import Project


@dataclass
class Plan:
    """One params setting's stages, those to submit (upstream first) and their Dask keys."""
    params_text: str
    stages: dict[str, StageNode]
    stale: list[str]
    keys: dict[str, str]

    def stale_nodes(self) -> list[StageNode]:
        return [self.stages[name] for name in self.stale]


def plan(project: Project, params_text: str, targets: list[str], workspace: tuple[set[str], set[str]]) -> Plan:
    """The stages under `params_text`, those of `targets` out of date, given the workspace's
    (changed, known) stages."""
    stages = read_stages(project.root, params_text)
    order = closure(stages, targets)
    stale = out_of_date(stages, order, workspace[0], project.lock_text, workspace[1])
    return Plan(params_text, stages, stale, task_keys(stages, order, f"{project.commit} {project.run_id}"))


def inputs_to_push(plans: list[Plan]) -> list[str]:
    """The up-to-date stages (and .dvc files) whose outputs submitted stages read: workers pull them."""
    return sorted({u for p in plans for node in p.stale_nodes()
                   for u in node.upstream + node.data_sources if u not in p.stale})


def submit(cluster: Cluster, project: Project, p: Plan, futures: dict) -> dict:
    """Submit `p`'s stale stages, each after its upstream's tasks; `futures` ({key: future}) is shared
    by the plans of one run, so a computation two plans share is one task. Returns {key: stage}."""
    labels = {}
    for node in p.stale_nodes():
        job = StageJob(node.name, project.git_url, project.commit, p.params_text, project.lock_text,
                       project.remote_url, project.remote_name, node.upstream + node.data_sources,
                       SUBMITTER_SPAWN_ENV, cluster.gpus_by_worker,
                       *local_places(project))
        upstream = [futures[p.keys[u]] for u in node.upstream if u in p.stale]
        resources = {"GPU": 1} if node.wants_gpu and cluster.gpu_resource else None
        key = p.keys[node.name]
        if key not in futures:
            # retries=0: an exception is the stage's own failure; a lost worker is re-run by the scheduler
            futures[key] = cluster.client.submit(run_stage_task, job, *upstream, key=key, retries=0,
                                                 resources=resources)
        labels[key] = node.name
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


def run_plans(cluster_spec: str, gpus: list[str], project: Project, plans: list[Plan]) -> float:
    """Every plan's stale stages on the cluster; returns the seconds it took."""
    from synthmix.cluster.engine import connect, has_dashboard

    t0 = time.monotonic()
    cluster = connect(cluster_spec, gpus)
    try:
        push_inputs(project.root, project.remote_name, inputs_to_push(plans))
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
