"""`synthmix run --cluster` end to end: a real Dask LocalCluster of 2 worker processes over TCP on
127.0.0.1, a git remote and a local-folder DVC remote, the tiny pipeline. The run survives a worker
killed in the middle of a GAN stage; the submitting clone then holds, restored from the run-cache,
the dvc.lock a plain local `dvc repro` writes; a stage failing on a bad param fails the run once
with its own line; Ctrl-C stops the stages and leaves the workspace as it was."""
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import yaml

from test_e2e import TINY, dvc, make_repo, repro, run, set_params, stage_env

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> Path:
    """The tiny pipeline by a plain local `dvc repro`: the bytes the cluster run must give."""
    repo = make_repo(tmp_path_factory.mktemp("plain"))
    repro(repo)
    return repo


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """(client, worker home): a LocalCluster of 2 worker processes (one thread each) on 127.0.0.1."""
    from distributed import Client, LocalCluster

    home = tmp_path_factory.mktemp("workers")
    saved = dict(os.environ)
    os.environ.update(stage_env(), SYNTHMIX_WORKER_HOME=str(home))     # the worker processes inherit it
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=":0")
    client = Client(cluster)
    yield client, home
    client.close()
    cluster.close()
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="module")
def submitter(tmp_path_factory) -> Path:
    """The user's clone: committed and pushed to a git remote, a default DVC remote in .dvc/config."""
    base = tmp_path_factory.mktemp("team")
    repo = make_repo(base / "clone")
    run(["git", "init", "-q", "--bare", str(base / "origin.git")], base)
    run(["git", "remote", "add", "origin", str(base / "origin.git")], repo)
    dvc(repo, "remote", "add", "-d", "store", str(base / "store"))
    run(["git", "commit", "-qam", "remote"], repo)
    run(["git", "push", "-q", "origin", "HEAD:main"], repo)
    return repo


def start_run(repo: Path, client) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "synthmix", "run", "--cluster", client.scheduler.address],
                            cwd=repo, env=stage_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def stage_processes(client, script: str) -> dict[str, list[psutil.Process]]:
    """{worker address: [the worker process and its whole tree]} for the workers running `script`."""
    out = {}
    for address, pid in client.run(os.getpid).items():
        worker = psutil.Process(pid)
        tree = worker.children(recursive=True)
        if any(script in " ".join(p.cmdline()) for p in tree if p.is_running()):
            out[address] = [worker, *tree]
    return out


def wait_for_stage(client, script: str, run_: subprocess.Popen, timeout: float = 240.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and run_.poll() is None:
        try:
            found = stage_processes(client, script)
        except psutil.Error:              # a process ended while being read: look again
            found = {}
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"no worker ran {script} (run exited {run_.poll()})")


def remote_entries_are_whole(store: Path) -> int:
    """Every run-cache entry in the DVC remote names output files the remote holds (a directory's
    listing and each file in it); returns the number of entries."""
    def has(md5: str) -> bool:
        return (store / "files" / "md5" / md5[:2] / md5[2:]).is_file()

    entries = [p for p in (store / "runs").rglob("*") if p.is_file()]
    for entry in entries:
        for out in yaml.safe_load(entry.read_text()).get("outs", []):
            assert has(out["md5"]), f"{entry}: {out['path']} is not in the remote"
            if out["md5"].endswith(".dir"):
                listing = json.loads((store / "files" / "md5" / out["md5"][:2] / out["md5"][2:]).read_text())
                missing = [f["relpath"] for f in listing if not has(f["md5"])]
                assert not missing, f"{entry}: {out['path']} lacks {missing[:3]} in the remote"
    return len(entries)


def gone(processes: list[psutil.Process], timeout: float = 10.0) -> bool:
    _, alive = psutil.wait_procs(processes, timeout=timeout)
    return not alive


def test_run_survives_a_killed_worker_and_restores_what_plain_repro_writes(submitter, cluster, plain):
    client, home = cluster
    run_ = start_run(submitter, client)
    address, (worker, *stage) = next(iter(wait_for_stage(client, "stages/train_gan.py", run_).items()))
    command = next(" ".join(p.cmdline()) for p in stage if "stages/train_gan.py" in " ".join(p.cmdline()))
    victim = "train_gan@{}-{}".format(*re.search(r"--class (\S+) --seed (\d+)", command).groups())
    worker.kill()                           # the worker dies mid-stage (a node lost, an OOM kill)
    assert gone(stage)                      # its stage's processes follow it: no orphan computes on
    out, err = run_.communicate(timeout=600)
    assert run_.returncode == 0, out + err
    # Dask ran the lost GAN stage again on a worker; nothing ran on the submitting machine
    assert "19 stages done on the cluster" in out and "restored here from the run-cache" in out
    logs = sorted((home / "logs").glob(f"{victim.replace('@', '_')}-*.log"), key=lambda p: p.stat().st_mtime)
    # killed mid-repro, so it never pushed; then run again, to the end
    assert len(logs) == 2 and "$ dvc push" not in logs[0].read_text() and "$ dvc push" in logs[1].read_text()
    assert (submitter / "dvc.lock").read_bytes() == (plain / "dvc.lock").read_bytes()
    assert repro(submitter) == set()
    assert "up to date" in dvc(submitter, "status").stdout
    assert remote_entries_are_whole(submitter.parent / "store") == 19


def test_a_stage_failing_on_a_bad_param_fails_the_run_once_with_its_line(submitter, cluster):
    client, home = cluster
    before = set((home / "logs").glob("prepare-*.log")) if (home / "logs").exists() else set()
    set_params(submitter, {"data": {"per_class": 5000}})        # more images than a digits class holds
    try:
        out = run([sys.executable, "-m", "synthmix", "run", "--cluster", client.scheduler.address], submitter,
                  check=False)
    finally:
        set_params(submitter, TINY)
    assert out.returncode == 1, out.stdout + out.stderr
    lines = out.stderr.strip().splitlines()
    assert "Traceback" not in out.stderr and [line for line in lines if line.startswith("error:")] == lines[-1:]
    assert lines[-1].startswith("error: prepare: class '0' has") and "lower data.per_class" in lines[-1], lines
    logs = set((home / "logs").glob("prepare-*.log")) - before
    assert len(logs) == 1                              # not retried
    log = logs.pop()
    assert f"(worker log: {os.uname().nodename}:{log})" in lines[-1]
    assert "lower data.per_class" in log.read_text()


def test_ctrl_c_stops_the_stages_and_leaves_the_workspace_as_it_was(submitter, cluster):
    client, _ = cluster
    set_params(submitter, {"gan": {"steps": 31}})
    before = {name: (submitter / name).read_bytes() for name in ("params.yaml", "dvc.lock")}
    status = run(["git", "status", "--porcelain"], submitter).stdout
    try:
        run_ = start_run(submitter, client)
        stages = [p for _, tree in wait_for_stage(client, "stages/train_gan.py", run_).items() for p in tree[1:]]
        run_.send_signal(signal.SIGINT)
        _, err = run_.communicate(timeout=60)
        after = {name: (submitter / name).read_bytes() for name in before}
        status_after = run(["git", "status", "--porcelain"], submitter).stdout
    finally:
        set_params(submitter, TINY)
    assert run_.returncode == 130 and "interrupted" in err, err
    assert after == before and status_after == status                # nothing written here
    assert gone(stages, timeout=20)        # the cancelled tasks stopped their stages
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (any(client.processing().values())
                                           or stage_processes(client, "stages/train_gan.py")):
        time.sleep(0.2)
    assert not any(client.processing().values())                        # no task left on the cluster
