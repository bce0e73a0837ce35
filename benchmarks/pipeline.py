"""End-to-end pipeline cost: `dvc repro` of the shipped defaults from scratch, a no-op `dvc repro`,
and each stage's wall time and peak memory (resident set size).

Runs in a temporary copy of the repository (git + dvc initialised there), so your workspace and
cache are untouched. The baseline, measured in the same run, is the bare start-up of one stage
process (python + importing torch and the synthmix training modules): the floor a stage cannot go
below, which DVC pays once per stage.

    python benchmarks/pipeline.py [--params-override gan.steps=100 ...] [--keep]
"""
from __future__ import annotations

import argparse
import json
import os
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
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="synthmix-bench-"))
    shipped = yaml.safe_load((ROOT / "params.yaml").read_text())
    for section, values in parse_override(args.params_override).items():
        shipped[section].update(values)
    repo = make_repo(tmp, shipped)
    profile = tmp / "profile.jsonl"
    env = dict(os.environ, SYNTHMIX_PROFILE=str(profile), DVC_NO_ANALYTICS="1",
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")

    startup = min(timed([sys.executable, "-c", "import torch, synthmix.classifier.train, synthmix.gan.train"],
                        repo, env)[0] for _ in range(3))
    full, out = timed([sys.executable, "-m", "dvc", "repro"], repo, env)
    n_stages = out.stdout.count("Running stage")
    noop, out = timed([sys.executable, "-m", "dvc", "repro"], repo, env)
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
    if args.keep:
        print(f"kept {repo}")
    else:
        subprocess.run(["rm", "-rf", str(tmp)])


if __name__ == "__main__":
    main()
