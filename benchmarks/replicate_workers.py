"""Replicates side by side: what `synthmix.core.parallel` buys a classifier stage on a CPU.

Trains the same K replicates of a classifier (the shipped CNN, `classifier.batch_size`, the given
image size and step budget, random images: the arithmetic, not the accuracy, is measured) three
ways: the baseline, one process with as many torch threads as cores (how the stages trained before);
one process with one thread; and `map_one_thread_each` with one forked worker per core. Prints the
wall times as ratios against the baseline measured in the same run, and checks that the workers'
weights are byte-identical to the one-thread run.

    python benchmarks/replicate_workers.py [--replicates 6] [--image-size 16] [--steps 450]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from synthmix.classifier.train import fit  # noqa: E402
from synthmix.core.runtime import Runtime  # noqa: E402
from synthmix.core.parallel import map_one_thread_each  # noqa: E402
from synthmix.params import load_params  # noqa: E402
from synthmix.replicates import classifier_seed  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--replicates", type=int, default=6)
    ap.add_argument("--image-size", type=int, default=16)
    ap.add_argument("--steps", type=int, default=450)
    args = ap.parse_args()
    p = load_params(ROOT / "params.yaml").classifier
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (500, args.image_size, args.image_size, 1), dtype=np.uint8)
    y = np.arange(500) % 10
    cores = os.cpu_count() or 1

    def replicate(s: int) -> bytes:
        model, _, _ = fit((x, y), (x[:200], y[:200]), 10, p, args.steps, classifier_seed(p.seed, s),
                          Runtime(torch.device("cpu")))
        return b"".join(v.numpy().tobytes() for v in model.state_dict().values())

    def timed(fn):
        t0 = time.perf_counter()
        out = fn()
        return time.perf_counter() - t0, out

    torch.set_num_threads(cores)
    baseline, _ = timed(lambda: [replicate(s) for s in range(args.replicates)])
    one, ref = timed(lambda: map_one_thread_each(replicate, range(args.replicates), workers=1))
    forked, got = timed(lambda: map_one_thread_each(replicate, range(args.replicates), workers=cores))
    print(f"cpu cores {cores}; {args.replicates} replicates of {args.steps} steps, batch {p.batch_size}, "
          f"{args.image_size}x{args.image_size} images, width {p.width}")
    print(f"baseline, one process, {cores} torch threads: {baseline:.1f} s")
    print(f"one process, 1 torch thread:              {one:.1f} s = {baseline / one:.2f}x the baseline's speed")
    print(f"{cores} forked workers, 1 thread each:        {forked:.1f} s = {baseline / forked:.2f}x the baseline's speed")
    print(f"weights byte-identical to the one-thread run: {got == ref}")


if __name__ == "__main__":
    main()
