"""The submitting workspace as the workers will see it: the commit they run, where they clone it from,
the DVC remote they push to, and the checks that refuse, before any work, what they could not see
(uncommitted code, a commit the git remote lacks, inputs git does not hold)."""
from __future__ import annotations

import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from synthmix.cluster.dvc_calls import dvc_remote, last_line
from synthmix.cluster.graph import StageNode

# files the submitting workspace may hold changed: workers get them from the submitter, not from git
SENT_WITH_THE_TASK = ("params.yaml", "dvc.lock")


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


def check_inputs_committed(project: Project, stages: list[StageNode]) -> None:
    """Refuse, before any work, a submitted stage that reads files no stage produces and git does not
    hold as committed (an offline download in data/downloads, an image folder): the workers see only
    the commit, would read other bytes and give a result this workspace cannot restore."""
    for stage in stages:
        inputs = [path for path in stage.inputs if not outside(project.root, path)]
        # outside the clone: on this machine the workers see it as this workspace does
        unseen = [] if project.local else [path for path in stage.inputs if outside(project.root, path)]
        if inputs:
            status = subprocess.run(["git", "status", "--porcelain", "-z", "--ignored", "--untracked-files=all",
                                     "--", *inputs], cwd=project.root, capture_output=True, text=True)
            if status.returncode != 0:
                raise ValueError(f"git status of stage {stage.name}'s inputs failed: {last_line(status.stderr)}")
            unseen += [item[3:] for item in status.stdout.split("\0") if item[3:]]
        if unseen:
            raise ValueError(f"stage {stage.name} reads {', '.join(unseen[:3])}{' ...' if len(unseen) > 3 else ''}, "
                             "which the commit does not hold: the workers would not see it. Run the stage "
                             f"here first (dvc repro {stage.name}), or commit the files (or dvc add and push them)")


def outside(root: Path, path: str) -> bool:
    """Whether a dep path (relative to the clone, or absolute) lies outside the clone."""
    resolved = (root / path).resolve()
    return resolved != root.resolve() and root.resolve() not in resolved.parents
