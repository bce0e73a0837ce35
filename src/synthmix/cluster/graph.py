"""The pipeline's stage graph as DVC reads it, and which stages a cluster run must submit.

DVC builds the graph (dvc.yaml, foreach/matrix expanded under the given params.yaml); this module
only asks it. A stage is submitted when DVC says it changed in the workspace, when the params it
declares differ from its dvc.lock entry under the params being run, when it has no dvc.lock entry,
or when a stage upstream of it is submitted: its inputs will change.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path


# a stage that declares this key (or its section) computes with torch: it gets a GPU where the workers have one
DEVICE_KEY = "runtime.device"


@dataclass(frozen=True)
class StageNode:
    """One pipeline stage: its name (`train_gan@0-1`), the params it declares with their values under
    the params being run, and the stages whose outputs it reads."""
    name: str
    params: dict
    upstream: tuple[str, ...]
    data_sources: tuple[str, ...] = ()   # the .dvc files whose data it reads (pulled like upstream outputs)
    inputs: tuple[str, ...] = ()         # the deps no stage or .dvc file produces: git must hold them

    @property
    def wants_gpu(self) -> bool:
        # dvc.yaml declares the key alone (`runtime.device`) or its whole section (`runtime`)
        section = DEVICE_KEY.partition(".")[0]
        return DEVICE_KEY in self.params or section in self.params


def read_stages(root: Path, params_text: str) -> dict[str, StageNode]:
    """{name: StageNode} for every stage of `root`'s dvc.yaml, as DVC resolves it under `params_text`
    (a `matrix` over a params list gives other stages under other params). DVC reads a scratch copy
    of the committed pipeline: dvc.yaml, the .dvc files git holds, and these params."""
    import subprocess

    with tempfile.TemporaryDirectory(prefix="synthmix-graph-") as scratch:
        scratch = Path(scratch)
        (scratch / ".dvc").mkdir()
        (scratch / ".dvc" / "config").write_text("[core]\n    no_scm = true\n    analytics = false\n")
        tracked = subprocess.run(["git", "ls-files", "-z", "--", "dvc.yaml", "*.dvc"], cwd=root,
                                 capture_output=True, text=True).stdout.split("\0")
        for name in {"dvc.yaml", *filter(None, tracked)}:
            (scratch / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, scratch / name)
        (scratch / "params.yaml").write_text(params_text)
        return _stages_of(scratch)


def _stages_of(root: Path) -> dict[str, StageNode]:
    from dvc.dependency import ParamsDependency
    from dvc.repo import Repo
    from dvc.stage import PipelineStage

    with Repo(str(root)) as repo:
        graph = repo.index.graph                # edges stage -> the stage whose output it reads
        produced = [Path(out.def_path) for stage in graph for out in stage.outs]
        nodes = {}
        for stage in graph:
            if not isinstance(stage, PipelineStage):
                continue                         # a .dvc file's data: nothing to run
            values: dict = {}
            for dep in stage.params:
                values.update(dep.read_params())
            above = list(graph.successors(stage))
            # names as in dvc.yaml (`train_gan@0-1`): `addressing` is relative to the working directory
            upstream = tuple(sorted(s.name for s in above if isinstance(s, PipelineStage)))
            sources = tuple(sorted(s.relpath for s in above if not isinstance(s, PipelineStage)))
            inputs = tuple(sorted(dep.def_path for dep in stage.deps if not isinstance(dep, ParamsDependency)
                                  and not overlaps(Path(dep.def_path), produced)))
            nodes[stage.name] = StageNode(stage.name, values, upstream, sources, inputs)
    return nodes


def overlaps(path: Path, outputs: list[Path]) -> bool:
    """Whether `path` is an output, inside one, or holds one (models/gan holds models/gan/0/1.pt)."""
    return any(path == out or out in path.parents or path in out.parents for out in outputs)


def closure(stages: dict[str, StageNode], targets: list[str]) -> list[str]:
    """The targets and every stage upstream of them, upstream first (every stage when no targets).
    An unknown target raises ValueError listing the valid names."""
    unknown = [t for t in targets if t not in stages]
    if unknown:
        raise ValueError(f"no stage named {', '.join(map(repr, unknown))} in dvc.yaml; the stages are: "
                         f"{', '.join(sorted(stages))}")
    wanted: set[str] = set()
    todo = list(targets or stages)
    while todo:
        name = todo.pop()
        if name not in wanted:
            wanted.add(name)
            todo.extend(stages[name].upstream)
    return topological([s for s in stages if s in wanted], stages)


def topological(names: list[str], stages: dict[str, StageNode]) -> list[str]:
    """`names` ordered so that each stage comes after its upstream (ties by name: a stable order)."""
    done: list[str] = []
    placed: set[str] = set()
    pending = sorted(names)
    while pending:
        ready = [n for n in pending if all(u in placed or u not in pending for u in stages[n].upstream)]
        for name in ready:
            done.append(name)
            placed.add(name)
        pending = [n for n in pending if n not in placed]
    return done


def workspace_changes(root: Path) -> tuple[set[str], set[str]]:
    """(changed, known): the stages `dvc status` reports as changed in the workspace (code, data,
    params or outputs), and every stage the workspace's params give."""
    from dvc.repo import Repo
    from dvc.stage import PipelineStage

    with Repo(str(root)) as repo:
        changed = {name.rpartition(":")[2] for name in repo.status()}   # 'dvc.yaml:train_gan@0-1' off the root
        known = {stage.name for stage in repo.index.stages if isinstance(stage, PipelineStage)}
    return changed, known


def read_lock(text: str) -> dict:
    """dvc.lock's text as DVC reads it: YAML 1.2 (ruamel), where PyYAML's 1.1 reads `1e-05` as a
    string and a param that small would never equal its value in params.yaml."""
    from dvc.utils.serialize import parse_yaml

    return (parse_yaml(text, "dvc.lock") if text.strip() else None) or {}


def locked_params(lock_text: str) -> dict[str, dict | None]:
    """{stage: the params values its dvc.lock entry records} (flattened keys)."""
    lock = read_lock(lock_text)
    out: dict[str, dict | None] = {}
    for name, entry in (lock or {}).get("stages", {}).items():
        values: dict = {}
        for per_file in (entry.get("params") or {}).values():
            values.update(per_file)
        out[name] = values
    return out


def out_of_date(stages: dict[str, StageNode], order: list[str], changed: set[str], lock_text: str,
                known: set[str] | None = None) -> list[str]:
    """The stages of `order` (upstream first) a run must submit: changed in the workspace, not among
    the workspace's `known` stages (another setting's `train_mix@10`: `dvc status` cannot vouch for
    it, whatever dvc.lock still holds), without a dvc.lock entry, with declared params that differ
    from that entry, or downstream of such a stage."""
    locked = locked_params(lock_text)
    stale: set[str] = set()
    for name in order:
        node = stages[name]
        if (name in changed or (known is not None and name not in known) or name not in locked
                or locked[name] != node.params
                or any(u in stale for u in node.upstream)):
            stale.add(name)
    return [n for n in order if n in stale]


def task_keys(stages: dict[str, StageNode], order: list[str], commit: str) -> dict[str, str]:
    """A Dask key per stage that names the computation: the stage, its params values, the commit (its
    code) and its upstream's keys. Two experiments of a sweep that run the same stage with the same
    inputs get the same key, so Dask runs it once."""
    keys: dict[str, str] = {}
    for name in order:
        node = stages[name]
        blob = json.dumps([commit, name, node.params, [keys.get(u, u) for u in node.upstream]],
                          sort_keys=True, default=str)
        keys[name] = f"{name}-{hashlib.sha256(blob.encode()).hexdigest()[:12]}"
    return keys
