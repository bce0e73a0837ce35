"""The clusters a user names with `--cluster`, as Dask clients.

  local:N                N worker processes on this machine, one stage each at a time (one GPU
                         each, round-robin, where GPUs exist)
  tcp://host:8786        a running `dask scheduler` with workers started by hand (`dask worker`)
  slurm[:k=v,...]        SLURM jobs through dask-jobqueue, one worker (one stage at a time) per job;
                         keys: jobs, cpus, memory, gpus, queue, account, walltime, python
                         (e.g. slurm:jobs=8,gpus=1,cpus=8,memory=32GB,walltime=04:00:00)

Every worker runs one task at a time (one thread): a stage takes the cores `runtime.threads` gives it.

Who can use the cluster: a Dask scheduler runs whatever any client that reaches it submits, as the
user who started it. So the clusters synthmix starts (local:N, slurm) speak TLS with certificates
made for this run (distributed's Security.temporary(): a client without them cannot connect, on a
shared login node or cluster network alike), and the dashboard listens on 127.0.0.1 only (reach it
from elsewhere with `ssh -L`); SLURM workers start no dashboard of their own. Opt-outs, named:
SYNTHMIX_CLUSTER_TLS=0 (plain tcp, e.g. a single-user laptop without the `cryptography` package) and
SYNTHMIX_DASHBOARD_ADDRESS (e.g. 0.0.0.0:8787 to serve the dashboard on every interface). A
`tcp://host:port` scheduler is the user's own: use `tls://` and Dask's TLS settings to protect it.
"""
from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

SLURM_KEYS = {"jobs": 4, "cpus": 4, "memory": "16GB", "gpus": 0, "queue": None, "account": None,
              "walltime": "04:00:00", "python": None}


@dataclass
class Cluster:
    """A connected client, what to close when the run ends, and the GPU each local worker owns."""
    client: object
    closers: list = field(default_factory=list)
    gpus_by_worker: dict = field(default_factory=dict)
    gpu_resource: bool = False                # workers offer a "GPU" resource: torch stages ask for one

    def close(self) -> None:
        for close in [self.client.close, *self.closers]:
            try:
                close()
            except Exception as e:            # closing after a failure: say so, keep closing the rest
                print(f"warning: closing the cluster: {e}", flush=True)


def parse_local(spec: str) -> int:
    count = spec.partition(":")[2]
    if not count.isdigit() or int(count) < 1:
        raise ValueError(f"--cluster {spec!r}: local:N takes a worker count >= 1, e.g. local:2")
    return int(count)


def parse_slurm(spec: str) -> dict:
    """'slurm:jobs=8,gpus=1' -> SLURM_KEYS with those values; an unknown key or a bad value raises
    ValueError naming it and the allowed keys."""
    options = dict(SLURM_KEYS)
    for item in filter(None, spec.partition(":")[2].split(",")):
        key, sep, value = item.partition("=")
        if not sep or key not in SLURM_KEYS:
            raise ValueError(f"--cluster {spec!r}: {item!r} is not key=value with a key among "
                             f"{', '.join(SLURM_KEYS)}")
        options[key] = slurm_value(spec, key, value)
    return options


def slurm_value(spec: str, key: str, value: str):
    """One SLURM option's value, checked: counts are integers, memory a size, walltime [D-]HH:MM:SS;
    none empty (an empty queue= or account= would make every sbatch fail, which Dask only logs)."""
    if not value:
        raise ValueError(f"--cluster {spec!r}: {key}= needs a value")
    if key in ("jobs", "cpus", "gpus"):
        if not value.isdigit() or (key != "gpus" and int(value) < 1):
            raise ValueError(f"--cluster {spec!r}: {key}={value!r} must be an integer >= {int(key != 'gpus')}")
        return int(value)
    if key == "memory":
        from dask.utils import parse_bytes

        try:
            parse_bytes(value)
        except (ValueError, TypeError):
            raise ValueError(f"--cluster {spec!r}: memory={value!r} is not a size such as 16GB") from None
    if key == "walltime" and not re.fullmatch(r"(\d+-)?\d{1,3}:\d\d(:\d\d)?", value):
        raise ValueError(f"--cluster {spec!r}: walltime={value!r} is not [D-]HH:MM:SS, e.g. 04:00:00")
    return value


def check_spec(spec: str) -> None:
    """Fail on a bad --cluster before any work."""
    if spec.startswith("local:"):
        parse_local(spec)
    elif spec == "slurm" or spec.startswith("slurm:"):
        parse_slurm(spec)
    elif not re.fullmatch(r"(tcp|tls)://[^:/]+(:\d+)?", spec):
        raise ValueError(f"--cluster {spec!r}: use local:N, tcp://host:port (a running dask scheduler) or "
                         "slurm[:jobs=N,gpus=G,cpus=C,memory=M,queue=Q,account=A,walltime=HH:MM:SS]")


def slurm_cluster(options: dict):
    """A dask-jobqueue SLURMCluster whose every job is one worker that runs one stage at a time with
    `cpus` cores, `memory` and `gpus` GPUs (`--gres=gpu:G`, and the worker offers a GPU resource)."""
    from dask_jobqueue import SLURMCluster

    gpu = options["gpus"] > 0
    security = cluster_security()
    tls = {"security": security, "shared_temp_directory": str(tls_dir())} if security else {}
    return SLURMCluster(
        cores=1, processes=1, job_cpu=options["cpus"], memory=options["memory"], queue=options["queue"],
        account=options["account"], walltime=options["walltime"], python=options["python"],
        job_extra_directives=[f"--gres=gpu:{options['gpus']}"] if gpu else [],
        # no worker dashboard: it would listen on the compute node's every interface
        worker_extra_args=["--no-dashboard"] + (["--resources", "GPU=1"] if gpu else []),
        scheduler_options={"dashboard_address": dashboard_address()}, **tls)


def dashboard_address() -> str:
    """127.0.0.1 on any free port (a second run, or another user's Dask, may hold the default 8787):
    the dashboard shows the task graph and lets its visitors act on it. $SYNTHMIX_DASHBOARD_ADDRESS
    overrides it (e.g. 0.0.0.0:8787, to serve every interface)."""
    return os.environ.get("SYNTHMIX_DASHBOARD_ADDRESS") or "127.0.0.1:0"


def cluster_security():
    """TLS with certificates made for this run (distributed.Security.temporary()): only this process and
    the workers it starts hold them. None (plain tcp) when SYNTHMIX_CLUSTER_TLS=0."""
    setting = os.environ.get("SYNTHMIX_CLUSTER_TLS", "1").strip().lower()
    if setting in ("0", "false", "no", "off"):
        return None
    if setting not in ("1", "true", "yes", "on"):
        raise ValueError(f"SYNTHMIX_CLUSTER_TLS={setting!r}: use 1 (TLS, the default) or 0 (plain tcp)")
    from distributed.security import Security

    try:
        return Security.temporary()
    except ImportError:
        raise ImportError("the cluster uses TLS with temporary certificates, which needs the `cryptography` "
                          "package: `pip install cryptography` (or set SYNTHMIX_CLUSTER_TLS=0 for plain tcp "
                          "on a machine and network only you use)") from None


def tls_dir() -> Path:
    """Where dask-jobqueue writes the workers' copy of the temporary certificates (SLURM jobs read them):
    a private folder under the home directory, which login and compute nodes share; $SYNTHMIX_TLS_DIR
    overrides it."""
    path = Path(os.environ.get("SYNTHMIX_TLS_DIR") or Path.home() / ".cache" / "synthmix" / "tls")
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)                         # the key files are 0600 already; the folder lists no one else
    return path


def has_dashboard() -> bool:
    """Dask serves its dashboard's pages only with bokeh installed (the cluster extra brings it)."""
    try:
        import bokeh  # noqa: F401
    except ImportError:
        return False
    return True


def connect(spec: str, gpus: list[str]) -> Cluster:
    """A client on the cluster `spec` names (checked by `check_spec`)."""
    from distributed import Client, LocalCluster

    if spec.startswith("local:"):
        count = parse_local(spec)
        # processes, so that a stage's crash or a kill takes one worker only; one thread each
        # the workers' own log lines stay quiet: a failed stage is reported once, by the runner
        security = cluster_security()
        cluster = LocalCluster(n_workers=count, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=dashboard_address(), resources={"GPU": 1} if gpus else None,
                               silence_logs=logging.CRITICAL, security=security,
                               protocol="tls://" if security else None)
        return Cluster(Client(cluster), [cluster.close], {i: gpus[i % len(gpus)] for i in range(count)} if gpus
                       else {}, gpu_resource=bool(gpus))
    if spec.startswith(("tcp://", "tls://")):
        try:
            client = Client(spec, timeout=os.environ.get("SYNTHMIX_CONNECT_TIMEOUT", "30s"))
        except (OSError, TimeoutError) as e:
            raise ConnectionError(f"cannot reach the Dask scheduler at {spec}: {e} (is `dask scheduler` "
                                  "running there, and the port open from here?)") from None
        return Cluster(client, gpu_resource=workers_have_gpus(client))
    options = parse_slurm(spec)
    cluster = slurm_cluster(options)
    cluster.scale(jobs=options["jobs"])
    return Cluster(Client(cluster), [cluster.close], gpu_resource=options["gpus"] > 0)


def workers_have_gpus(client) -> bool:
    """Whether any worker offers the GPU resource (then each torch stage asks for one)."""
    return any((w.get("resources") or {}).get("GPU") for w in client.scheduler_info()["workers"].values())
