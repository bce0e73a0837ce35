"""Per-class GAN sample quality on the embedded digits default: plain DCGAN vs the shipped recipe
(DCGAN + EMA of G; DiffAugment with --diffaugment, off by default since gan_recipes.py measured it
lowering synthetic accuracy), at the same step budget, each scored at its automatically chosen
checkpoint.

The checkpoint is chosen as the pipeline chooses it: Fréchet distance between the judge's
penultimate features of 256 generated images and the class's real training images. It is then
scored against the class's held-out real test images, which the GAN never saw: a generator that
memorises its 50 training images scores well against them, not against new images of the class.
Lower is better. The judge is trained on the real data exactly as the `train_judge` stage does.
Both variants use the shipped params.yaml except for the two switches (and --lr/--steps, which
apply to both), and the same seeds.

`--seeds K` trains each variant K times per class (GAN seeds gan.seeds[0] + 0..K-1) and compares the means, since
one GAN run per class is a noisy draw. The `real train` column is the same held-out distance for
the class's 50 real training images themselves: the floor set by the estimator and by how much a
class's images vary, which no generator can be expected to beat by much.

    python benchmarks/gan_quality.py [--steps N] [--lr LR] [--seeds K] [--diffaugment POLICY] [--ema-decay D]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from synthmix.core.runtime import Runtime, seed_for  # noqa: E402
from synthmix.data.prepare import prepare  # noqa: E402
from synthmix.data.datasets.digits import load_digits  # noqa: E402
from synthmix.classifier.train import fit  # noqa: E402
from synthmix.evaluate.frechet import frechet_distance  # noqa: E402
from synthmix.evaluate.stats import mean_std  # noqa: E402
from synthmix.gan.sample import sample  # noqa: E402
from synthmix.gan.train import GanRun, train_gan  # noqa: E402
from synthmix.judge import Judge, fid_scorer  # noqa: E402
from synthmix.params import load_params  # noqa: E402


def fmt(values: list[float]) -> str:
    m, s = mean_std(values)
    return f"{m:.3f}" if len(values) == 1 else f"{m:.3f} ± {s:.3f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, help="GAN steps, both variants (default: gan.steps)")
    ap.add_argument("--lr", type=float, help="lr_g and lr_d, both variants (default: gan.lr_g, gan.lr_d)")
    ap.add_argument("--seeds", type=int, default=1, help="GAN runs per class and variant (GAN seeds gan.seeds[0] + 0..K-1)")
    ap.add_argument("--diffaugment", help="DiffAugment policy of the second variant (default: gan.diffaugment)")
    ap.add_argument("--ema-decay", type=float, help="EMA decay of the second variant (default: gan.ema_decay)")
    args = ap.parse_args()
    if args.seeds < 1:
        ap.error(f"--seeds {args.seeds}: must be >= 1")
    params = load_params(Path(__file__).resolve().parents[1] / "params.yaml")
    device = torch.device("cpu")
    raw = load_digits()
    data = prepare(raw.images, raw.labels, {"name": "digits", "classes": raw.class_names}, params.data)
    images, labels = data.train_arrays()
    model, _, _ = fit((images, labels), (data.val_images, data.val_labels), len(data.class_names), params.judge,
                      params.judge.budget(len(images), images.shape[1]), seed_for(params.judge.seed, "judge"),
                      Runtime(device))
    judge = Judge(model.requires_grad_(False))
    tuned = params.gan.for_image_size(params.data.image_size) if args.steps is None else replace(params.gan, steps=args.steps)
    if args.lr is not None:
        tuned = replace(tuned, lr_g=args.lr, lr_d=args.lr)
    if args.diffaugment is not None:
        tuned = replace(tuned, diffaugment=args.diffaugment)
    if args.ema_decay is not None:
        tuned = replace(tuned, ema_decay=args.ema_decay)
    variants = {"plain DCGAN": replace(tuned, diffaugment="", ema_decay=0.0),
                f"shipped: DiffAugment {tuned.diffaugment or 'off'}, EMA {tuned.ema_decay}": tuned}
    print(f"{tuned.steps} steps, lr {tuned.lr_g}/{tuned.lr_d}, batch {tuned.batch_size}, "
          f"{params.data.per_class} real images per class, checkpoint scored every {tuned.eval_every} steps "
          f"on {tuned.eval_samples} samples, {args.seeds} GAN seed(s) per class and variant "
          f"(held-out: mean{' ± std over seeds' if args.seeds > 1 else ''}; train and chosen step: seed 0)\n")
    print("| class | real train | " + " | ".join(f"{v}: held-out (train, chosen step)" for v in variants)
          + " | better on held-out |")
    print("|---|---|" + "---|" * (len(variants) + 1))
    wins, means, floors, t0 = 0, {v: [] for v in variants}, [], time.perf_counter()
    for name in data.class_names:
        test = data.test_images[data.test_labels == data.class_names.index(name)]
        floor = frechet_distance(judge.embed(test, device), judge.embed(data.train[name], device))
        floors.append(floor)
        row: dict[str, dict] = {}
        for k in range(args.seeds):
            seed = seed_for(params.gan.seeds[0] + k, "gan", name)
            draw = lambda G, s: sample(G, tuned.eval_samples, s, device)  # noqa: E731
            score = fid_scorer(judge, data.train[name], lambda G: draw(G, seed_for(seed, "eval")), device)
            held_out = fid_scorer(judge, test, lambda G: draw(G, seed_for(seed, "held-out")), device)
            for v, p in variants.items():
                # the seed drives all draws
                result = train_gan(data.train[name], p, seed, Runtime(device), GanRun(score=score))
                r = row.setdefault(v, result.info | {"held_out": []})
                r["held_out"].append(held_out(result.G))
        for v in variants:
            means[v].append(statistics.mean(row[v]["held_out"]))
        a, b = (means[v][-1] for v in variants)
        wins += b < a
        print(f"| {name} | {floor:.3f} | "
              + " | ".join(f"{fmt(r['held_out'])} ({r['best_score']:.3f}, {r['chosen_step']})" for r in row.values())
              + f" | {'second' if b < a else 'plain'} |")
    print(f"| mean | {statistics.mean(floors):.3f} | "
          + " | ".join(f"{statistics.mean(m):.3f}" for m in means.values()) + " | |")
    print(f"\n{list(variants)[1]} lower for {wins} of {len(data.class_names)} classes "
          f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
