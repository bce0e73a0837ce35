"""`synthmix` command: the pipeline's independent stages side by side, on one machine or a cluster.

  synthmix run [STAGES] --cluster C   every out-of-date stage (of STAGES and what they need) as a Dask
                                      task on cluster C (local:N, tcp://host:8786, slurm[:...]), each
                                      as soon as its upstream is done; then `dvc repro --pull` here
  synthmix train-gans --jobs N        the per-class GANs (every GAN seed), N at a time (local:N) or
                                      --cluster C; with --generate up to synthesize
  synthmix sweep --jobs N R [R..]     one experiment per mix.ratios setting: all their stages on the
                                      cluster (shared ones once), then `dvc exp run --temp` each
  synthmix show                       the answer of the workspace and of each experiment, a block each

All only call DVC: every result is a normal DVC stage result (cached, in dvc.lock, pushable).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


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


def check_cpu_threads(jobs: int, flag: str, params, gpus: list[str]) -> None:
    """On CPU, `jobs` stages at once on this machine need runtime.threads pinned: a stage computes with
    runtime.threads torch threads and a GAN's bytes depend on that count, so sharing the cores out
    among the jobs would give other bytes than `dvc repro` under the same params (and the run-cache
    would hold both); all cores each would oversubscribe them. Raises ValueError saying what to set."""
    on_cpu = params.runtime.device == "cpu" or not gpus
    if jobs > 1 and params.runtime.threads == 0 and on_cpu:
        from synthmix.core.runtime import available_cores

        cores = available_cores()
        raise ValueError(f"{flag} on CPU with runtime.threads 0 (all cores, {cores} here): set runtime.threads in "
                         f"params.yaml to the cores each stage may use (e.g. {max(1, cores // jobs)} for {jobs} "
                         f"jobs); it is a param of the stages, so their bytes follow it and not {flag}")


def cluster_spec(args: argparse.Namespace, params, gpus: list[str]) -> str:
    """--cluster as given, else local:<--jobs>; a local cluster's CPU thread count checked first."""
    import importlib.util

    spec = args.cluster or f"local:{args.jobs}"
    for module in ("distributed", *(["dask_jobqueue"] if spec.startswith("slurm") else [])):
        if importlib.util.find_spec(module) is None:     # the optional extra: checked before any work
            raise ValueError(f"{module} is not installed: pip install 'synthmix[cluster]' (run, train-gans and "
                             "sweep run the stages on Dask)")
    from synthmix.cluster.engine import check_spec, parse_local

    check_spec(spec)
    if spec.startswith("local:"):
        check_cpu_threads(parse_local(spec), f"--cluster {spec}" if args.cluster else f"--jobs {args.jobs}",
                          params, gpus)
    return spec


def run(args: argparse.Namespace) -> int:
    from synthmix.cluster.runner import run_on_cluster
    from synthmix.params import load_params

    params = load_params()
    gpus = visible_gpus()
    return run_on_cluster(Path.cwd(), cluster_spec(args, params, gpus), args.targets, gpus)


def train_gans(args: argparse.Namespace) -> int:
    """Every GAN stage of the chosen classes (with --generate: up to synthesize) through the cluster
    runner; on one machine local:--jobs."""
    from synthmix.cluster.runner import run_on_cluster
    from synthmix.params import load_params

    params = load_params()
    classes = args.classes or params.data.classes
    unknown = [c for c in classes if c not in params.data.classes]
    if unknown:
        raise ValueError(f"classes {unknown} are not in data.classes {params.data.classes}")
    gpus = visible_gpus()
    spec = cluster_spec(args, params, gpus)
    targets = [f"train_gan@{c}-{g}" for c in classes for g in params.gan.seeds]
    # synthesize reads refine's chosen generators, which read every GAN and the judge: its closure
    return run_on_cluster(Path.cwd(), spec, targets + (["synthesize"] if args.generate else []), gpus)


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


def sweep(args: argparse.Namespace) -> int:
    """One experiment per mix.ratios setting: every setting's out-of-date stages through the cluster
    runner at once (a stage two settings share runs once), then each experiment recorded with
    `dvc exp run --temp`, which restores its stages from the run-cache, and the compact table."""
    from synthmix.cluster.runner import sweep_on_cluster
    from synthmix.params import load_params
    from synthmix.variants import check_ratio

    settings = parse_ratio_settings(args.ratios)       # bad input fails before any work
    params = load_params()
    for ratio in sorted({r for ratios in settings for r in ratios}):
        try:
            check_ratio(ratio, params.mix.mode)
        except ValueError as e:
            raise ValueError(f"sweep ratio {ratio} with mix.mode = {params.mix.mode!r}: {e}") from None
    gpus = visible_gpus()
    spec = cluster_spec(args, params, gpus)
    experiments = {"-".join([*filter(None, [args.name_prefix]), *map(str, ratios)]): {"mix.ratios": ratios}
                   for ratios in settings}
    status = sweep_on_cluster(Path.cwd(), spec, experiments, gpus)
    show(args)                            # every experiment's answer, as `synthmix show` prints it
    return status


def show(args: argparse.Namespace) -> int:
    """The answer table of the workspace and of each experiment (`dvc exp show` has a column per param)."""
    from synthmix.show import main as show_runs

    return show_runs(Path("."))


class Parser(argparse.ArgumentParser):
    """argparse that reports bad usage as one `error: ...` line and exit status 2."""

    def error(self, message: str):
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def build_parser() -> Parser:
    from synthmix import __version__

    ap = Parser(prog="synthmix", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--version", action="version", version=f"synthmix {__version__}")
    sub = ap.add_subparsers(dest="command", required=True, parser_class=Parser)
    cluster_help = ("where the stages run: local:N (N worker processes here), tcp://host:8786 (a running dask "
                    "scheduler), slurm[:jobs=N,gpus=G,cpus=C,memory=M,queue=Q,account=A,walltime=T] (default: "
                    "local:<--jobs>)")
    r = sub.add_parser("run", help="run the out-of-date stages on a Dask cluster, then restore them here")
    r.add_argument("targets", nargs="*", help="stages (with what they need); default: the whole pipeline")
    r.add_argument("--cluster", "-c", help=cluster_help)
    r.add_argument("--jobs", "-j", type=int, default=2, help="workers of the default local cluster (default 2)")
    t = sub.add_parser("train-gans", help="train the per-class GANs in parallel")
    t.add_argument("--jobs", "-j", type=int, default=2, help="stages at once (default 2)")
    t.add_argument("--cluster", "-c", help=cluster_help)
    t.add_argument("--classes", nargs="*", action="extend", help="only these classes (default: data.classes); "
                   "a name starting with '-' as --classes=NAME")
    t.add_argument("--generate", action="store_true", help="then run refine and synthesize (refine reads every "
                   "class's GANs: with --classes, the others' too)")
    s = sub.add_parser("sweep", help="run mix.ratios experiments in parallel")
    s.add_argument("ratios", nargs="+", help="one experiment per argument: comma-separated percents, e.g. 10,25 50")
    s.add_argument("--jobs", "-j", type=int, default=2, help="stages at once on the default local cluster (default 2)")
    s.add_argument("--cluster", "-c", help=cluster_help)
    s.add_argument("--name-prefix", default="ratios", help="experiment names: <prefix>-<ratios>")
    sub.add_parser("show", help="the answer of the workspace and of each experiment, one block each, at 100 columns")
    return ap


def main(argv: list[str] | None = None) -> int:
    from synthmix.core.errors import DataError
    from synthmix.params import ParamsError

    ap = build_parser()
    args = ap.parse_args(argv)
    if getattr(args, "jobs", 1) < 1:
        ap.error(f"--jobs {args.jobs}: must be >= 1")
    from dvc.exceptions import DvcException

    from synthmix.cluster.errors import RunFailed      # imports no Dask: the extra is checked per command

    try:
        return {"run": run, "train-gans": train_gans, "sweep": sweep, "show": show}[args.command](args)
    except (ParamsError, DataError, ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except DvcException as e:            # DVC could not read the project (not a DVC repository, dvc.yaml)
        print(f"error: dvc: {e}", file=sys.stderr)
        return 2
    except (RunFailed, ConnectionError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted: the cluster's tasks are cancelled and this workspace is as it was",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
