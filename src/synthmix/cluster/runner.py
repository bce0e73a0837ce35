"""`synthmix run` and `synthmix sweep`: a pipeline's out-of-date stages on a Dask cluster, joined
through DVC.

  workspace.py   what the workers will run (commit, git and DVC remotes), refused early if they
                 could not see it
  submission.py  which stages to submit, one Dask task each, watched to the end
  dvc_calls.py   every DVC command run here: push the inputs, restore the results, record experiments

Each task runs its stage with DVC in a workspace of its own and pushes the outputs and the run-cache
entry to the shared DVC remote (worker.py). When every task is done, the submitting workspace runs
`dvc repro --pull`: DVC restores each stage from the run-cache, computes nothing, and writes the
dvc.lock a local `dvc repro` would have written. The submitting workspace is only written by that
final command.
"""
from __future__ import annotations

from pathlib import Path

from synthmix.cluster.dvc_calls import pull_results, record_experiment
from synthmix.cluster.graph import workspace_changes
from synthmix.cluster.submission import plan, run_plans
from synthmix.cluster.workspace import check_inputs_committed, describe_project


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
    check_inputs_committed(project, p.stale_nodes())
    seconds = run_plans(cluster_spec, gpus, project, [p])
    pull_results(project.root, project.remote_name, targets)
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
    from synthmix.cluster.engine import check_spec

    check_spec(cluster_spec)
    project = describe_project(root, cluster_spec.startswith("local:"))
    base, workspace = (root / "params.yaml").read_text(), workspace_changes(root)
    plans = [plan(project, with_overrides(base, overrides), [], workspace) for overrides in experiments.values()]
    check_inputs_committed(project, [node for p in plans for node in p.stale_nodes()])
    if any(p.stale for p in plans):                 # a failing stage stops here, no experiment recorded
        run_plans(cluster_spec, gpus, project, plans)
    failed = 0
    for name, overrides in experiments.items():
        succeeded, line = record_experiment(root, project.remote_name, name, overrides)
        print(line)
        failed += not succeeded
    return 1 if failed else 0
