"""The clusters synthmix starts are its own: TLS with this run's certificates, the dashboard on
127.0.0.1 (a real Dask LocalCluster); and a worker leaves no workspace behind and prunes old logs and
its own cache."""
import os
import stat
import subprocess
import time
from pathlib import Path

import pytest

from synthmix.cluster import worker
from synthmix.cluster.engine import connect, parse_slurm, slurm_cluster
from synthmix.cluster.worker import StageFailed, StageJob, run_stage_task


def _strangers_refused(address: str) -> None:
    from distributed import Client
    from distributed.security import Security

    for attempt in ({}, {"security": Security.temporary()}):       # no certificate; certificates of its own
        with pytest.raises(Exception):
            Client(address, timeout="5s", **attempt).close()
    with pytest.raises(Exception):
        Client(address.replace("tls://", "tcp://"), timeout="5s").close()


def _dashboard_hosts(cluster) -> set:
    """The addresses the scheduler's HTTP server (the dashboard) listens on."""
    server = cluster.scheduler.http_server
    return {sock.getsockname()[0] for sock in server._sockets.values()}


def test_a_local_cluster_speaks_tls_and_refuses_other_clients(monkeypatch):
    monkeypatch.delenv("SYNTHMIX_CLUSTER_TLS", raising=False)
    monkeypatch.delenv("SYNTHMIX_DASHBOARD_ADDRESS", raising=False)
    cluster = connect("local:1", [])
    try:
        address = cluster.client.scheduler.address
        assert address.startswith("tls://127.0.0.1:")
        assert cluster.client.submit(pow, 2, 5).result() == 32          # its own client works
        assert _dashboard_hosts(cluster.closers[0].__self__) == {"127.0.0.1"}
        _strangers_refused(address)
    finally:
        cluster.close()


def test_tls_opt_out_is_plain_tcp(monkeypatch):
    monkeypatch.setenv("SYNTHMIX_CLUSTER_TLS", "0")
    cluster = connect("local:1", [])
    try:
        assert cluster.client.scheduler.address.startswith("tcp://127.0.0.1:")
    finally:
        cluster.close()
    monkeypatch.setenv("SYNTHMIX_CLUSTER_TLS", "maybe")
    with pytest.raises(ValueError, match="SYNTHMIX_CLUSTER_TLS='maybe'"):
        connect("local:1", [])


def test_slurm_jobs_get_tls_certificates_and_start_no_dashboard(tmp_path, monkeypatch):
    monkeypatch.delenv("SYNTHMIX_CLUSTER_TLS", raising=False)
    monkeypatch.delenv("SYNTHMIX_DASHBOARD_ADDRESS", raising=False)
    monkeypatch.setenv("SYNTHMIX_TLS_DIR", str(tmp_path / "tls"))
    cluster = slurm_cluster(parse_slurm("slurm:cpus=2,memory=4GB"))
    try:
        script = cluster.job_script()
        assert cluster.scheduler_address.startswith("tls://")
        assert "--tls-ca-file" in script and "--tls-key" in script and "--no-dashboard" in script
        keys = list((tmp_path / "tls").iterdir())
        assert keys and all(stat.S_IMODE(k.stat().st_mode) == 0o600 for k in keys)
        assert stat.S_IMODE((tmp_path / "tls").stat().st_mode) == 0o700
        assert _dashboard_hosts(cluster) == {"127.0.0.1"}
    finally:
        cluster.close()


def _git_repo(path: Path) -> Path:
    path.mkdir()
    for cmd in (["git", "init", "-q"], ["git", "-c", "user.email=a@b", "-c", "user.name=a", "commit", "-q",
                                        "--allow-empty", "-m", "x"]):
        subprocess.run(cmd, cwd=path, check=True)
    return path


def test_a_failed_checkout_leaves_no_workspace(tmp_path):
    repo = _git_repo(tmp_path / "repo")
    job = StageJob("prepare", str(repo), "0" * 40, "", "", str(tmp_path / "remote"), home=str(tmp_path / "home"))
    with pytest.raises(StageFailed, match="git checkout"):
        run_stage_task(job)                    # the clone is made, then the commit is not there
    assert not list((tmp_path / "home" / "runs").glob("*"))


def test_old_logs_leftover_workspaces_and_old_cache_files_are_pruned(tmp_path, monkeypatch):
    home = tmp_path / "home"
    month_ago = time.time() - 30 * 86400
    files = {"old_log": home / "logs/a.log", "new_log": home / "logs/b.log",
             "leftover": home / "runs/train_gan_0-abcd1234/dvc.yaml",
             "old_cache": home / "cache/files/md5/ab/cdef", "new_cache": home / "cache/files/md5/cd/ef01"}
    for f in files.values():
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text("x")
    for key in ("old_log", "old_cache"):
        os.utime(files[key], (month_ago, month_ago))
    import fcntl

    with open(home / "active.lock", "a") as other_task:              # another task is running: nothing goes
        fcntl.flock(other_task, fcntl.LOCK_SH)
        with worker.worker_session(home, own_cache=True):
            pass
        assert all(f.exists() for f in files.values())
    with worker.worker_session(home, own_cache=False):                # the submitter's cache: never pruned
        pass
    assert files["old_cache"].exists() and not files["old_log"].exists() and not files["leftover"].exists()
    with worker.worker_session(home, own_cache=True):
        pass
    assert not files["old_cache"].exists()
    assert files["new_log"].exists() and files["new_cache"].exists()
