"""`synthmix` command: helpers around DVC for work that plain `dvc repro` does one stage at a time.

  synthmix train-gans --jobs N     train the per-class GANs (every GAN seed) N at a time (after `prepare`,
                                   which it runs first; with --generate also `train_judge`), one GPU
                                   each when GPUs exist; dvc.lock is left correct
  synthmix sweep --jobs N R [R..]  queue one experiment per mix.ratios setting and run them N at a
                                   time, after reproducing the upstream stages once

Both only call DVC: every result is a normal DVC stage result (cached, in dvc.lock, pushable).
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

LOCK_ERROR = "Unable to acquire lock"
UPSTREAM_OF_GANS = ("prepare",)          # the GANs never read the judge (refine chooses snapshots with it)


def dvc(*args: str, capture: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dvc", *args], text=True, capture_output=capture)


def visible_gpus() -> list[str]:
    """GPU ids to hand out: CUDA_VISIBLE_DEVICES if set, else every device torch sees."""
    if os.environ.get("CUDA_VISIBLE_DEVICES") is not None:
        return [g for g in os.environ["CUDA_VISIBLE_DEVICES"].split(",") if g.strip()]
    try:
        import torch
    except ImportError:
        return []
    try:
        return [str(i) for i in range(torch.cuda.device_count())]
    except RuntimeError as e:            # a broken CUDA install: say so, and run on CPU
        print(f"warning: torch cannot count CUDA devices ({e}); running on CPU", file=sys.stderr)
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
            env = dict(os.environ)
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
            finished = sum(j.returncode is not None for j in done.values())
            print(f"[{job.target}] {'done' if code == 0 else f'FAILED ({code}), see {job.log}'} "
                  f"in {job.seconds:.1f} s ({finished}/{len(targets)} finished)", flush=True)
    return done


def train_gans(args: argparse.Namespace) -> int:
    from synthmix.params import load_params

    params = load_params()
    classes = args.classes or params.data.classes
    unknown = [c for c in classes if c not in params.data.classes]
    if unknown:
        print(f"error: classes {unknown} are not in data.classes {params.data.classes}", file=sys.stderr)
        return 2
    gpus = visible_gpus()
    on_cpu = params.runtime.device == "cpu" or not gpus
    if args.jobs > 1 and params.runtime.threads == 0 and on_cpu:
        # each stage computes with runtime.threads torch threads, and a GAN's bytes depend on that
        # count: sharing the cores out among the jobs would give other bytes than `dvc repro` under
        # the same params (and the run-cache would hold both); all cores each would oversubscribe them
        from synthmix.core.runtime import available_cores

        cores = available_cores()
        print(f"error: --jobs {args.jobs} on CPU with runtime.threads 0 (all cores, {cores} here): set "
              f"runtime.threads in params.yaml to the cores each stage may use (e.g. {max(1, cores // args.jobs)}"
              f" for {args.jobs} jobs); it is a param of the GAN stages, so their bytes follow it and not --jobs",
              file=sys.stderr)
        return 2
    # Upstream first, once (the prepared class files; with --generate also the judge, which refine
    # and synthesize read): otherwise every parallel job would find a missing dependency or try to
    # reproduce it itself.
    if dvc("repro", *UPSTREAM_OF_GANS, *(("train_judge",) if args.generate else ())).returncode != 0:
        return 1
    t0 = time.monotonic()
    log_dir = Path(args.log_dir)
    jobs = run_parallel([f"train_gan@{c}-{g}" for c in classes for g in params.gan.seeds], args.jobs, gpus, log_dir)
    if args.generate:
        # synthesize reads the refined generators: refine (one stage, all classes) runs once every
        # GAN is done, then synthesize (one stage: generation is cheap next to training)
        if any(j.returncode for j in jobs.values()) or dvc("repro", "-s", "refine").returncode != 0 \
                or dvc("repro", "-s", "synthesize").returncode != 0:
            print("error: not synthesizing: a GAN stage, refine or synthesize failed", file=sys.stderr)
            return 1
    failed = sorted(t for t, j in jobs.items() if j.returncode != 0)
    print(f"{len(jobs) - len(failed)}/{len(jobs)} stages done in {time.monotonic() - t0:.1f} s with "
          f"{args.jobs} jobs" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


def parse_ratio_settings(settings: list[str]) -> list[list[int]]:
    """'10,25' '50' -> [[10, 25], [50]]; anything but integer percents raises ValueError naming it."""
    out = []
    for setting in settings:
        items = [r.strip() for r in setting.split(",") if r.strip()]
        bad = [r for r in items if not r.isdigit() or int(r) > 100]
        if bad or not items:
            raise ValueError(f"sweep {setting!r}: {'ratio ' + repr(bad[0]) if bad else 'no ratio'}: each experiment "
                             "is a comma-separated list of integer percents 0..100, e.g. 25 or 10,50")
        out.append([int(r) for r in items])
    return out


# The table `synthmix sweep` ends with, and the README's one-liner: the experiment, each variant's
# test accuracy and its paired difference from real in points (metrics/headline.json), no params;
# --no-pager so that it prints (DVC pipes a tall table into `less` otherwise).
COMPACT_SHOW = ("exp", "show", "--no-pager", "--drop", ".*", "--keep", r"^(Experiment|acc\..*|pts\..*)$")
QUEUED = re.compile(r"^Queued experiment '(.+)' for future execution", re.MULTILINE)
STATES = ("Queued", "Running", "Success", "Failed")


def queue_tasks(status: str) -> dict[str, tuple[str, str]]:
    """`dvc queue status` as {task id: (experiment name, state)}. The table keeps every task the queue
    has run until `dvc queue remove`, earlier sweeps' included."""
    tasks = {}
    for line in status.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[-1] in STATES:
            tasks[parts[0]] = (parts[1], parts[-1])
    return tasks


def queue_counts(tasks: dict[str, tuple[str, str]], ours: set[str]) -> dict[str, int]:
    """How many of this sweep's tasks (ids) are in each state."""
    return {state: sum(1 for t in ours if tasks.get(t, ("", ""))[1] == state) for state in STATES}


def queue_experiments(settings: list[list[int]], name_prefix: str) -> set[str] | None:
    """Queue one experiment per ratio setting; return the ids of the tasks this call added (the
    queue may hold older ones), or None when DVC refused one."""
    before = set(queue_tasks(dvc("queue", "status", capture=True).stdout))
    names = []
    for ratios in settings:
        cmd = ["exp", "run", "--queue", "-S", "mix.ratios=[" + ",".join(map(str, ratios)) + "]"]
        if name_prefix:
            cmd += ["-n", f"{name_prefix}-{'-'.join(map(str, ratios))}"]
        out = dvc(*cmd, capture=True)
        print(out.stdout, end="", file=sys.stdout)
        print(out.stderr, end="", file=sys.stderr)
        if out.returncode != 0:
            return None
        names += QUEUED.findall(out.stdout)
    tasks = queue_tasks(dvc("queue", "status", capture=True).stdout)
    ours = {t for t, (name, _) in tasks.items() if t not in before and name in names}
    if len(ours) != len(settings):      # never wait on fewer tasks than were asked for
        print(f"error: queued {len(settings)} experiments but found {len(ours)} of them in `dvc queue status`",
              file=sys.stderr)
        return None
    return ours


def wait_for_tasks(ours: set[str], poll: float, patience: int = 10) -> dict[str, tuple[str, str]]:
    """Poll `dvc queue status` until every task in `ours` is Success or Failed, showing how many are
    done and running. `patience` polls in a row that miss a task (removed from the queue by hand) or
    where `dvc queue status` fails end the wait; such a task counts as not succeeded."""
    from synthmix.core.progress import progress

    bar = progress(total=len(ours), desc="experiments", unit="exp")
    tasks: dict[str, tuple[str, str]] = {}
    missing_polls = 0
    while True:
        time.sleep(poll)
        status = dvc("queue", "status", capture=True)
        if status.returncode == 0:
            tasks = queue_tasks(status.stdout)
            counts = queue_counts(tasks, ours)
            bar.update(counts["Success"] + counts["Failed"] - bar.n)
            bar.set_postfix(running=counts["Running"], queued=counts["Queued"], failed=counts["Failed"])
            if counts["Success"] + counts["Failed"] == len(ours):
                break
        missing_polls = missing_polls + 1 if status.returncode != 0 or any(t not in tasks for t in ours) else 0
        if missing_polls >= patience:
            break
    bar.close()
    return tasks


def sweep(args: argparse.Namespace) -> int:
    from synthmix.params import load_params

    from synthmix.variants import check_ratio

    settings = parse_ratio_settings(args.ratios)       # bad input fails before any work
    mode = load_params().mix.mode
    for ratio in sorted({r for ratios in settings for r in ratios}):
        try:
            check_ratio(ratio, mode)
        except ValueError as e:
            raise ValueError(f"sweep ratio {ratio} with mix.mode = {mode!r}: {e}") from None
    # The pitfall: queued experiments run in temporary copies of the repository, each starting from
    # the committed dvc.lock plus the workspace changes. Upstream stages that are not reproduced
    # (and cached) before queueing are reproduced by every experiment, N times over. So: repro once.
    if not args.skip_upstream and dvc("repro").returncode != 0:
        return 1
    ours = queue_experiments(settings, args.name_prefix)
    if ours is None or dvc("queue", "start", "-j", str(args.jobs)).returncode != 0:
        return 1
    tasks = wait_for_tasks(ours, args.poll)
    dvc("queue", "stop")
    for task in sorted(ours, key=lambda t: tasks.get(t, (t, ""))[0]):
        name, state = tasks.get(task, (task, "no longer in the queue"))
        print(f"{name}: {state}" + (f" (its log: dvc queue logs {name})" if state == "Failed" else ""))
    dvc(*COMPACT_SHOW)
    return 0 if queue_counts(tasks, ours)["Success"] == len(ours) else 1


class Parser(argparse.ArgumentParser):
    """argparse that reports bad usage as one `error: ...` line and exit status 2."""

    def error(self, message: str):
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def build_parser() -> Parser:
    from synthmix import __version__

    ap = Parser(prog="synthmix", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--version", action="version", version=f"synthmix {__version__}")
    sub = ap.add_subparsers(dest="command", required=True, parser_class=Parser)
    t = sub.add_parser("train-gans", help="train the per-class GANs in parallel")
    t.add_argument("--jobs", "-j", type=int, default=2, help="stages at once (default 2)")
    t.add_argument("--classes", nargs="*", action="extend", help="only these classes (default: data.classes); "
                   "a name starting with '-' as --classes=NAME")
    t.add_argument("--generate", action="store_true", help="then run refine and synthesize")
    t.add_argument("--log-dir", default=".synthmix/logs", help="one log file per stage")
    s = sub.add_parser("sweep", help="queue mix.ratios experiments and run them in parallel")
    s.add_argument("ratios", nargs="+", help="one experiment per argument: comma-separated percents, e.g. 10,25 50")
    s.add_argument("--jobs", "-j", type=int, default=2, help="experiments at once, each in its own DVC queue "
                   "worker and temporary copy of the project (default 2)")
    s.add_argument("--name-prefix", default="ratios", help="experiment names: <prefix>-<ratios>")
    s.add_argument("--skip-upstream", action="store_true", help="do not run `dvc repro` first")
    s.add_argument("--poll", type=float, default=2.0, help="seconds between queue status checks")
    return ap


def main(argv: list[str] | None = None) -> int:
    from synthmix.core.errors import DataError
    from synthmix.params import ParamsError

    ap = build_parser()
    args = ap.parse_args(argv)
    if getattr(args, "jobs", 1) < 1:
        ap.error(f"--jobs {args.jobs}: must be >= 1")
    try:
        return {"train-gans": train_gans, "sweep": sweep}[args.command](args)
    except (ParamsError, DataError, ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
