"""End-to-end pipeline cost: `dvc repro` of the shipped defaults from scratch, a no-op `dvc repro`,
and each stage's wall time and peak memory (resident set size).

Runs in a temporary copy of the repository (git + dvc initialised there), so your workspace and
cache are untouched. The baseline, measured in the same run, is the bare start-up of one stage
process (python + importing torch and the synthmix training modules): the floor a stage cannot go
below, which DVC pays once per stage.

    python benchmarks/pipeline.py [--params-override gan.steps=100 ...] [--keep] [--out docs/results/pipeline-demo.md]

With --source DIR the run uses another checkout's code and shipped params (its tracked files, copied
into the temporary repository, whose src/ comes first on PYTHONPATH for every stage): e.g. a worktree of the previous main, so two runs of
this script compare two versions on this machine. --targets limits the run to some stages and
what they need (per-stage figures of a run too long to repeat whole); a summary per stage kind
(count, total and mean work) follows the per-stage table.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from test_e2e import make_repo  # noqa: E402  (the same temp-repo helper the e2e tests use)

from synthmix import fragments  # noqa: E402


def timed(cmd: list[str], cwd: Path, env: dict) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{out.stdout}\n{out.stderr}")
    return time.perf_counter() - t0, out


def parse_override(items: list[str]) -> dict:
    changes: dict = defaultdict(dict)
    for item in items:
        key, value = item.split("=", 1)
        section, name = key.split(".", 1)
        changes[section][name] = yaml.safe_load(value)
    return dict(changes)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--params-override", nargs="*", default=[], help="section.key=value (YAML value)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary repository")
    ap.add_argument("--source", type=Path, default=ROOT, help="the checkout whose code and params.yaml run")
    ap.add_argument("--targets", nargs="*", default=[], help="stages to reproduce (default: all)")
    ap.add_argument("--out", type=Path, help="also write the figures as this docs fragment (docs/results/...)")
    args = ap.parse_args()
    source = args.source.resolve()
    tmp = Path(tempfile.mkdtemp(prefix="synthmix-bench-"))
    shipped = yaml.safe_load((source / "params.yaml").read_text())
    for section, values in parse_override(args.params_override).items():
        shipped[section].update(values)
    repo = make_repo(tmp, shipped, source)
    profile = tmp / "profile.jsonl"
    env = dict(os.environ, SYNTHMIX_PROFILE=str(profile), DVC_NO_ANALYTICS="1",
               # the copy's own src/ first: the stages run the code their dvc.lock records, even where an
               # editable install points elsewhere or the checkout changes during the run
               PYTHONPATH=os.pathsep.join([str(repo / "src"), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    print(f"code and params of {source} at {fragments.code_version(source)}")

    startup = min(timed([sys.executable, "-c", "import torch, synthmix.classifier.train, synthmix.gan.train"],
                        repo, env)[0] for _ in range(3))
    full, out = timed([sys.executable, "-m", "dvc", "repro", *args.targets], repo, env)
    n_stages = out.stdout.count("Running stage")
    noop, out = timed([sys.executable, "-m", "dvc", "repro", *args.targets], repo, env)
    assert "Running stage" not in out.stdout, "the second repro ran a stage"

    rows = [json.loads(line) for line in profile.read_text().splitlines()]
    print(f"cpu cores {os.cpu_count()}, torch threads per stage: params runtime.threads = "
          f"{shipped['runtime']['threads']} (0 = all)")
    print(f"stage start-up baseline (python + imports): {startup:.2f} s")
    print(f"dvc repro from scratch: {full:.1f} s for {n_stages} stages = {full / startup:.0f}x the baseline; "
          f"{n_stages * startup:.0f} s of it is start-up ({n_stages * startup / full:.0%})")
    print(f"no-op dvc repro: {noop:.2f} s = {noop / startup:.1f}x the baseline")
    print()
    print(f"{'stage script (args)':60s} {'work s':>7s} {'peak RSS MiB':>13s}")
    for r in rows:
        argv = r["argv"]
        name = Path(argv[0]).stem + " " + " ".join(a for a in argv[1:3] if not a.startswith("--"))
        print(f"{name[:60]:60s} {r['seconds']:7.2f} {r['peak_rss_mib']:13.0f}")
    print(f"\nmax peak RSS of any stage: {max(r['peak_rss_mib'] for r in rows):.0f} MiB; "
          f"stage work total {sum(r['seconds'] for r in rows):.1f} s of {full:.1f} s wall")
    print_kinds(rows, startup)
    if args.out:
        command = shlex.join(["python", "benchmarks/pipeline.py",
                              *(["--params-override", *args.params_override] if args.params_override else []),
                              *(["--targets", *args.targets] if args.targets else [])])
        fragments.write(args.out, "benchmarks/pipeline.py", command,
                        cost_body(full, n_stages, startup, noop, rows), fragments.code_version(source))
    if args.keep:
        print(f"kept {repo}")
    else:
        subprocess.run(["rm", "-rf", str(tmp)])


def stage_kinds(rows: list[dict]) -> dict[str, list[float]]:
    """Work seconds per stage kind: the stage script, with the classifier variants told apart."""
    kinds: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        script = Path(r["argv"][0]).stem
        kinds[script + (" " + r["argv"][2] if script == "train_classifier" else "")].append(r["seconds"])
    return kinds


def cost_body(full: float, n_stages: int, startup: float, noop: float, rows: list[dict]) -> list[str]:
    """The run's cost as a docs fragment: the totals, then the work per stage kind as a table."""
    body = [f"`dvc repro` from scratch: **{full:.1f} s** for {n_stages} stages ({n_stages * startup:.0f} s of it "
            f"stage start-up at {startup:.2f} s each); a no-op `dvc repro` {noop:.2f} s; largest stage peak RSS "
            f"{max(r['peak_rss_mib'] for r in rows):.0f} MiB.", "",
            "| stage kind | stages | work s | mean s | work + start-up s |", "|---|---|---|---|---|"]
    for kind, secs in stage_kinds(rows).items():
        body.append(f"| {kind} | {len(secs)} | {sum(secs):.1f} | {sum(secs) / len(secs):.2f} | "
                    f"{sum(secs) + len(secs) * startup:.1f} |")
    return body


def print_kinds(rows: list[dict], startup: float) -> None:
    """Work per stage kind (the stage script, with the classifier variants told apart): count,
    total and mean seconds, and the total with each stage process's start-up added."""
    kinds = stage_kinds(rows)
    print(f"\n{'stage kind':40s} {'count':>5s} {'work s':>8s} {'mean s':>7s} {'+ start-up s':>13s}")
    for kind, secs in kinds.items():
        print(f"{kind:40s} {len(secs):5d} {sum(secs):8.1f} {sum(secs) / len(secs):7.2f} "
              f"{sum(secs) + len(secs) * startup:13.1f}")


if __name__ == "__main__":
    main()
