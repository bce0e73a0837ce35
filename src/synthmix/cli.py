"""`synthmix` command: helpers around DVC for work that plain `dvc repro` does one stage at a time.

  synthmix train-gans --jobs N     train the per-class GANs N at a time (after `prepare` and
                                   `train_judge`, which it runs first), one GPU
                                   each when GPUs exist; dvc.lock is left correct
  synthmix sweep --jobs N R [R..]  queue one experiment per mix.ratios setting and run them N at a
                                   time, after reproducing the upstream stages once

Both only call DVC: every result is a normal DVC stage result (cached, in dvc.lock, pushable).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

LOCK_ERROR = "Unable to acquire lock"
UPSTREAM_OF_GANS = ("prepare", "train_judge")


def dvc(*args: str, capture: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dvc", *args], text=True, capture_output=capture)


def visible_gpus() -> list[str]:
    """GPU ids to hand out: CUDA_VISIBLE_DEVICES if set, else every device torch sees."""
    if os.environ.get("CUDA_VISIBLE_DEVICES") is not None:
        return [g for g in os.environ["CUDA_VISIBLE_DEVICES"].split(",") if g.strip()]
    try:
        import torch

        return [str(i) for i in range(torch.cuda.device_count())]
    except Exception:
        return []


@dataclass
class Job:
    target: str
    env: dict
    log: Path
    attempts: int = 0
    proc: subprocess.Popen | None = None
    started: float = 0.0
    seconds: float = 0.0
    returncode: int | None = None
    _fh: object = field(default=None, repr=False)

    def start(self) -> None:
        self.attempts += 1
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.log, "a")
        self.started = time.monotonic()
        self.proc = subprocess.Popen([sys.executable, "-m", "dvc", "repro", "-s", self.target], env=self.env,
                                     stdout=self._fh, stderr=subprocess.STDOUT, text=True)

    def poll(self) -> int | None:
        code = self.proc.poll() if self.proc else None
        if code is not None:
            self._fh.close()
            self.seconds += time.monotonic() - self.started
        return code


def run_parallel(targets: list[str], jobs: int, gpus: list[str], log_dir: Path, retries: int = 20) -> dict[str, Job]:
    """Run `dvc repro -s <target>` for each target, `jobs` at a time.

    DVC releases its repository lock while a stage's command runs, so stages that share no outputs
    run side by side; the short lock-holding phases before and after can still collide, and a run
    that lost that race (nothing was run) is retried.
    """
    pending = list(targets)
    running: list[Job] = []
    done: dict[str, Job] = {}
    slot = 0
    while pending or running:
        while pending and len(running) < jobs:
            target = pending.pop(0)
            env = dict(os.environ, SYNTHMIX_CPU_SHARE=str(max(1, (os.cpu_count() or 1) // jobs)))
            if gpus:
                env["CUDA_VISIBLE_DEVICES"] = gpus[slot % len(gpus)]
            slot += 1
            job = done.pop(target, None) or Job(target, env, log_dir / f"{target.replace('@', '_')}.log")
            job.env = env
            job.start()
            running.append(job)
            print(f"[{job.target}] started" + (f" on GPU {env['CUDA_VISIBLE_DEVICES']}" if gpus else ""),
                  flush=True)
        time.sleep(0.2)
        for job in list(running):
            code = job.poll()
            if code is None:
                continue
            running.remove(job)
            lost_race = code != 0 and LOCK_ERROR in job.log.read_text()
            if lost_race and job.attempts <= retries:
                time.sleep(0.5 + 0.25 * job.attempts)
                pending.append(job.target)
                done[job.target] = job
                continue
            job.returncode = code
            done[job.target] = job
            print(f"[{job.target}] {'done' if code == 0 else f'FAILED ({code}), see {job.log}'} "
                  f"in {job.seconds:.1f} s", flush=True)
    return done


def train_gans(args: argparse.Namespace) -> int:
    from synthmix.params import load_params

    params = load_params()
    classes = args.classes or params.data.classes
    unknown = [c for c in classes if c not in params.data.classes]
    if unknown:
        print(f"error: classes {unknown} are not in data.classes {params.data.classes}", file=sys.stderr)
        return 2
    # Upstream first, once (the prepared class files and the judge that scores GAN checkpoints):
    # otherwise every parallel job would find a missing dependency or try to reproduce it itself.
    if dvc("repro", *UPSTREAM_OF_GANS).returncode != 0:
        return 1
    gpus = visible_gpus()
    t0 = time.monotonic()
    log_dir = Path(args.log_dir)
    jobs = run_parallel([f"train_gan@{c}" for c in classes], args.jobs, gpus, log_dir)
    if args.generate:
        # generate@<class> reads the refined generator: refine (one stage, all classes) must run
        # between the two parallel passes, once every GAN is done
        if not any(j.returncode for j in jobs.values()) and dvc("repro", "-s", "refine").returncode == 0:
            jobs |= run_parallel([f"generate@{c}" for c in classes], args.jobs, gpus, log_dir)
        else:
            print("error: not running generate: a GAN stage or refine failed", file=sys.stderr)
            return 1
    failed = sorted(t for t, j in jobs.items() if j.returncode != 0)
    print(f"{len(jobs) - len(failed)}/{len(jobs)} stages done in {time.monotonic() - t0:.1f} s with "
          f"{args.jobs} jobs" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


def sweep(args: argparse.Namespace) -> int:
    # The pitfall: queued experiments run in temporary copies of the repository, each starting from
    # the committed dvc.lock plus the workspace changes. Upstream stages that are not reproduced
    # (and cached) before queueing are reproduced by every experiment, N times over. So: repro once.
    if not args.skip_upstream and dvc("repro").returncode != 0:
        return 1
    for setting in args.ratios:
        ratios = [int(r) for r in setting.split(",") if r.strip()]
        value = "[" + ",".join(map(str, ratios)) + "]"
        cmd = ["exp", "run", "--queue", "-S", f"mix.ratios={value}"]
        if args.name_prefix:
            cmd += ["-n", f"{args.name_prefix}-{'-'.join(map(str, ratios))}"]
        if dvc(*cmd).returncode != 0:
            return 1
    if dvc("queue", "start", "-j", str(args.jobs)).returncode != 0:
        return 1
    while True:  # wait for the queue to drain
        time.sleep(2)
        status = dvc("queue", "status", capture=True).stdout
        if not any(word in status for word in ("Queued", "Running")):
            break
    dvc("queue", "stop")
    print(status)
    failed = "Failed" in status
    dvc("exp", "show", "--only-changed", "--md")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="synthmix", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train-gans", help="train the per-class GANs in parallel")
    t.add_argument("--jobs", "-j", type=int, default=2, help="stages at once (default 2)")
    t.add_argument("--classes", nargs="*", help="only these classes (default: data.classes)")
    t.add_argument("--generate", action="store_true", help="then run refine and generate@<class> (also in parallel)")
    t.add_argument("--log-dir", default=".synthmix/logs", help="one log file per stage")
    s = sub.add_parser("sweep", help="queue mix.ratios experiments and run them in parallel")
    s.add_argument("ratios", nargs="+", help="one experiment per argument: comma-separated percents, e.g. 10,25 50")
    s.add_argument("--jobs", "-j", type=int, default=2)
    s.add_argument("--name-prefix", default="ratios", help="experiment names: <prefix>-<ratios>")
    s.add_argument("--skip-upstream", action="store_true", help="do not run `dvc repro` first")
    args = ap.parse_args(argv)
    if getattr(args, "jobs", 1) < 1:
        ap.error("--jobs must be >= 1")
    return {"train-gans": train_gans, "sweep": sweep}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
