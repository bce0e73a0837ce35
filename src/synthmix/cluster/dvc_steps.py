"""Run several DVC commands in one process, stopping at the first that fails.

    python dvc_steps.py '[["pull", "-r", "x", "prepare"], ["repro", "--single-item", "train_judge"]]'

A worker's task runs its stage as a short sequence of DVC commands (fetch the inputs, repro, push);
as separate processes each paid DVC's start-up again (about 0.5 s of imports, a third of what the
cluster added to a stage here). The worker runs this file by its path, so it imports DVC only, never
the synthmix of the commit being run. Prints `# exit <code> after <s> s` after each command.

One step is ours: `push-run-cache-entry -r REMOTE STAGE` copies that stage's run-cache entry, and
no other, to the remote (`dvc push --run-cache` sends every entry of the local cache).

The process leads its own process group (the worker starts it so); if the worker dies, a watchdog
kills the group, DVC and the stage's python with it, so that no orphan computes on unseen.
"""
import json
import os
import signal
import sys
import threading
import time

PUSH_ENTRY = "push-run-cache-entry"


def push_run_cache_entry(args: list[str]) -> int:
    """`-r REMOTE STAGE`: the entry `dvc repro` saved for STAGE's current deps, params and outputs,
    copied to REMOTE's runs/ under the same name (what `dvc push --run-cache` would put there)."""
    from dvc.repo import Repo
    from dvc.stage.cache import _can_hash, _get_cache_hash, _get_stage_hash
    from dvc.stage.serialize import to_single_stage_lockfile

    remote, stage_name = args[2], args[3]          # [PUSH_ENTRY, "-r", remote, stage]
    with Repo() as repo:
        stage = repo.stage.collect(stage_name)[0]
        if not _can_hash(stage):             # DVC keeps no run-cache for it (e.g. persistent outputs)
            print(f"{stage_name} has no run-cache entry to push", flush=True)
            return 0
        key = _get_stage_hash(stage)
        value = _get_cache_hash(to_single_stage_lockfile(stage), key=False)
        entry = repo.stage_cache._get_cache_path(key, value)
        if not os.path.isfile(entry):
            print(f"ERROR: no run-cache entry for {stage_name} at {entry}", flush=True)
            return 1
        odb = repo.cloud.get_remote_odb(remote, "push --run-cache", hash_name="md5-dos2unix")
        relative = os.path.relpath(entry, repo.cache.legacy.path).split(os.sep)   # runs/<k[:2]>/<k>/<v>
        target = odb.fs.join(odb.path, *relative)
        odb.fs.makedirs(odb.fs.parent(target), exist_ok=True)
        odb.fs.put_file(entry, target)
    print(f"pushed the run-cache entry of {stage_name}", flush=True)
    return 0


def own_step(args: list[str]) -> int:
    """Our step, failing as DVC's commands do: an `ERROR: ...` line and a non-zero code."""
    try:
        return push_run_cache_entry(args)
    except Exception as e:               # any failure of it is this task's, reported in its log
        print(f"ERROR: {args[0]}: {type(e).__name__}: {e}", flush=True)
        return 1


def kill_group_when_orphaned(parent: int) -> None:
    """Watch the parent (the worker); once it is gone, SIGKILL this whole process group."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os.killpg(os.getpgid(0), signal.SIGKILL)


def main(steps: list[list[str]]) -> int:
    from dvc.cli import main as dvc_main

    threading.Thread(target=kill_group_when_orphaned, args=(os.getppid(),), daemon=True).start()
    for args in steps:
        print(f"$ dvc {' '.join(args)}", flush=True)
        started = time.monotonic()
        code = own_step(args) if args[0] == PUSH_ENTRY else dvc_main(args)
        print(f"# exit {code} after {time.monotonic() - started:.2f} s", flush=True)
        if code != 0:
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main(json.loads(sys.argv[1])))
