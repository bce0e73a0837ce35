"""What going through a Dask cluster costs: the digits pipeline by a plain `dvc repro`, then by
`synthmix run --cluster local:1` and `--cluster local:2`, each from scratch in a fresh temporary
copy of the repository (git + dvc initialised there, an empty DVC cache).

The baseline, measured in the same run, is the plain `dvc repro`: local:1 does the same work one
stage at a time, so (local:1 - plain) / stages is what the cluster adds to a stage (its workspace
clone, DVC fetching the inputs and storing the results, Dask's scheduling; the cluster's start and
the final restore spread over the stages), set against a GAN stage's own wall time in the plain run.

    python benchmarks/cluster.py [--params-override classifier.replicates=3 ...]
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from pipeline import parse_override  # noqa: E402
from test_e2e import make_repo  # noqa: E402

# digits with one GAN seed and 3 replicates a variant, so that three runs fit in minutes; one torch
# thread a stage (local:2 needs it pinned: two stages at once on two cores), the same in all three
DEFAULT_OVERRIDES = ["gan.seeds=[0]", "classifier.replicates=3", "runtime.threads=1"]


def stage_walls(cmd: list[str], cwd: Path, env: dict) -> tuple[float, dict[str, float]]:
    """Run `cmd` (a `dvc repro`), timestamping its output: (wall s, {stage: s from its 'Running
    stage' line to the next stage's or the end}), which includes each stage's process start-up."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    starts: list[tuple[str, float]] = []
    lines = []
    for line in proc.stdout:
        lines.append(line)
        found = re.match(r"Running stage '(.+)':", line)
        if found:
            starts.append((found.group(1), time.perf_counter() - t0))
    if proc.wait() != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{''.join(lines[-30:])}")
    wall = time.perf_counter() - t0
    ends = [t for _, t in starts[1:]] + [wall]
    return wall, {name: end - start for (name, start), end in zip(starts, ends)}


def timed_run(cmd: list[str], cwd: Path, env: dict) -> tuple[float, str]:
    t0 = time.perf_counter()
    out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    return time.perf_counter() - t0, out.stdout


def fresh_repo(base: Path, name: str, params: dict) -> Path:
    (base / name).mkdir()
    return make_repo(base / name, params)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--params-override", nargs="*", default=DEFAULT_OVERRIDES, help="section.key=value (YAML)")
    args = ap.parse_args()
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    for section, values in parse_override(args.params_override).items():
        params[section].update(values)
    env = dict(os.environ, DVC_NO_ANALYTICS="1", PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    with tempfile.TemporaryDirectory(prefix="synthmix-cluster-bench-") as tmp:
        base = Path(tmp)
        plain, walls = stage_walls([sys.executable, "-m", "dvc", "repro"], fresh_repo(base, "plain", params), env)
        results = {}
        for spec in ("local:1", "local:2"):
            repo = fresh_repo(base, spec.replace(":", ""), params)
            wall, out = timed_run([sys.executable, "-m", "synthmix", "run", "--cluster", spec], repo, env)
            on_cluster = float(re.search(r"stages done on the cluster in ([\d.]+) s", out).group(1))
            assert "ran here" not in out, f"{spec}: a stage ran on the submitting side:\n{out}"
            lock_same = (repo / "dvc.lock").read_bytes() == (base / "plain" / "dvc.lock").read_bytes()
            results[spec] = (wall, on_cluster, lock_same)
    n = len(walls)
    gan = statistics.median(t for name, t in walls.items() if name.startswith("train_gan@"))
    print(f"cpu cores {os.cpu_count()}; params overrides: {' '.join(args.params_override)}; {n} stages")
    print(f"plain dvc repro (baseline): {plain:7.1f} s; a GAN stage's wall in it: median {gan:.1f} s")
    for spec, (wall, on_cluster, lock_same) in results.items():
        print(f"synthmix run --cluster {spec}: {wall:7.1f} s = {wall / plain:.2f}x the baseline "
              f"({on_cluster:.1f} s on the cluster, {wall - on_cluster:.1f} s planning and restoring here); "
              f"dvc.lock byte-identical to the baseline's: {lock_same}")
    overhead = (results["local:1"][0] - plain) / n
    print(f"overhead per stage, (local:1 - plain) / {n}: {overhead:.2f} s = {overhead / gan:.2f}x a GAN stage")


if __name__ == "__main__":
    main()
