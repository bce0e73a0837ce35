"""Per-class GAN sample quality on the embedded digits default: plain DCGAN vs DCGAN + DiffAugment +
EMA, at the same step budget, each scored at its automatically chosen checkpoint.

The checkpoint is chosen as the pipeline chooses it: Fréchet distance between the judge's
penultimate features of 256 generated images and the class's real training images. It is then
scored against the class's held-out real test images, which the GAN never saw: a generator that
memorises its 50 training images scores well against them, not against new images of the class.
Lower is better. The judge is trained on the real data
exactly as the `train_judge` stage does. Both variants use the shipped params.yaml except for the
two switches, and the same seeds.

    python benchmarks/gan_quality.py [--steps N] [--diffaugment POLICY] [--ema-decay D]   # a Markdown table
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from synthmix.core.runtime import seed_for  # noqa: E402
from synthmix.data.prepare import prepare  # noqa: E402
from synthmix.data.sources import load_digits  # noqa: E402
from synthmix.gan.select import fid_scorer  # noqa: E402
from synthmix.gan.train import train_gan  # noqa: E402
from synthmix.params import load_params  # noqa: E402
from synthmix.train.loop import fit  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, help="GAN steps (default: gan.steps from params.yaml)")
    ap.add_argument("--diffaugment", help="DiffAugment policy of the second variant (default: gan.diffaugment)")
    ap.add_argument("--ema-decay", type=float, help="EMA decay of the second variant (default: gan.ema_decay)")
    args = ap.parse_args()
    params = load_params(Path(__file__).resolve().parents[1] / "params.yaml")
    device = torch.device("cpu")
    raw = load_digits()
    data = prepare(raw.images, raw.labels, {"name": "digits", "classes": raw.class_names}, params.data)
    images, labels = data.train_arrays()
    judge, _, _ = fit(images, labels, data.val_images, data.val_labels, len(data.class_names), params.judge,
                      seed_for(params.judge.seed, "judge"), device)
    for q in judge.parameters():
        q.requires_grad_(False)
    tuned = params.gan if args.steps is None else replace(params.gan, steps=args.steps)
    if args.diffaugment is not None:
        tuned = replace(tuned, diffaugment=args.diffaugment)
    if args.ema_decay is not None:
        tuned = replace(tuned, ema_decay=args.ema_decay)
    variants = {"plain DCGAN": replace(tuned, diffaugment="", ema_decay=0.0),
                f"+ DiffAugment ({tuned.diffaugment or 'off'}) + EMA ({tuned.ema_decay})": tuned}
    print(f"{tuned.steps} steps, batch {tuned.batch_size}, {params.data.per_class} real images per class, "
          f"checkpoint scored every {tuned.eval_every} steps on {tuned.eval_samples} samples\n")
    print("| class | " + " | ".join(f"{v}: held-out (train, chosen step)" for v in variants) + " | better on held-out |")
    print("|---|" + "---|" * (len(variants) + 1))
    wins, t0 = 0, time.perf_counter()
    for name in data.class_names:
        seed = seed_for(tuned.seed, "gan", name)
        score = fid_scorer(judge, data.train[name], tuned.eval_samples, seed_for(seed, "eval"), device)
        held_out = fid_scorer(judge, data.test_images[data.test_labels == data.class_names.index(name)],
                              tuned.eval_samples, seed_for(seed, "held-out"), device)
        row = {}
        for v, p in variants.items():
            result = train_gan(data.train[name], p, seed, device, score=score)
            row[v] = result.info | {"held_out": held_out(result.G)}
        a, b = (row[v]["held_out"] for v in variants)
        wins += b < a
        print(f"| {name} | " + " | ".join(f"{r['held_out']:.3f} ({r['best_score']:.3f}, {r['chosen_step']})"
                                         for r in row.values())
              + f" | {'second' if b < a else 'plain'} |")
    print(f"\n{list(variants)[1]} lower for {wins} of {len(data.class_names)} classes "
          f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
