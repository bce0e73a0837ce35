"""GAN checkpoint choice: score snapshots against the class's validation images (the shipped rule,
gan.select_against: validation) or against its training images (the old rule, which rewards a
snapshot that reproduces them), measured on the same GAN runs.

Each class's GAN is trained once per GAN seed with the shipped recipe; every gan.eval_every steps its
snapshot is scored under both rules on the same samples, and each rule keeps its own best
snapshot. Each rule's generators then fill every class as the synthesize stage does (filter,
near-duplicates dropped), and per rule the script prints
  - the synthetic variant's test accuracy (train on synthetic, test on real: CAS), trained as the
    pipeline trains it over the classifier replicates, and its ratio to the `real` baseline trained
    the same way in the same run;
  - the memorisation audit of the kept images in pixel space (synthmix.evaluate.memorisation): copy
    rate and authenticity against the training images, on the scale of held-out real images;
  - the mean chosen step and how often the two rules chose the same snapshot.

    python benchmarks/checkpoint_choice.py                            # mnist_sample 28x28, 2 GAN seeds
    python benchmarks/checkpoint_choice.py --dataset digits --image-size 16 --gan-seeds 3
"""
from __future__ import annotations

import argparse
import copy
import math
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from gan_recipes import accuracy, audit, fill, score_kept, setup, snapshot_reference  # noqa: E402
from synthmix.core.runtime import Runtime, seed_for  # noqa: E402
from synthmix.evaluate.stats import mean_std  # noqa: E402
from synthmix.gan.sample import sample  # noqa: E402
from synthmix.gan.train import GanRun, train_gan  # noqa: E402
from synthmix.judge import fid_scorer  # noqa: E402

RULES = ("validation", "train")


class BothRules:
    """The score train_gan's selector sees (the validation rule); on the same samples it also
    scores the train rule and keeps a copy of that rule's best snapshot."""

    def __init__(self, judge, data, c: str, p, eval_seed: int, device):
        draw = lambda G: sample(G, p.eval_samples, eval_seed, device)  # noqa: E731  the same latents every call
        self.validation = fid_scorer(judge, snapshot_reference(replace(p, select_against="validation"), data, c),
                                     draw, device)
        self.train = fid_scorer(judge, data.train[c], draw, device)
        self.calls, self.best = 0, (math.inf, -1, None)     # (train-rule score, call index, state)

    def __call__(self, G: torch.nn.Module) -> float:
        value = self.train(G)
        if value < self.best[0]:
            self.best = (value, self.calls, {k: v.detach().clone() for k, v in G.state_dict().items()})
        self.calls += 1
        return self.validation(G)


def train_both(p, data, judge, gan_seed: int, device) -> tuple[dict, dict]:
    """Per rule {class: generator}, and per rule the chosen steps per class."""
    generators, steps = {r: {} for r in RULES}, {r: {} for r in RULES}
    for c in data.class_names:
        seed = seed_for(gan_seed, "gan", c)
        score = BothRules(judge, data, c, p, seed_for(seed, "eval"), device)
        result = train_gan(data.train[c], p, seed, Runtime(device), GanRun(score=score))
        generators["validation"][c], steps["validation"][c] = result.G, result.info["chosen_step"]
        G_train = copy.deepcopy(result.G)
        G_train.load_state_dict(score.best[2])
        generators["train"][c], steps["train"][c] = G_train.eval(), result.info["scores"][score.best[1]][0]
    return generators, steps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="mnist_sample")
    ap.add_argument("--image-size", type=int, default=28)
    ap.add_argument("--gan-seeds", type=int, default=2, help="GAN seeds 0..K-1, each trained once for both rules")
    ap.add_argument("--replicates", type=int, default=3, help="classifier replicates per GAN seed and rule")
    ap.add_argument("--set", action="append", default=[], help="section.key=YAML value overrides of params.yaml")
    args = ap.parse_args()
    t0 = time.perf_counter()
    params, data, judge, _ = setup(args.dataset, args.image_size, args.set + [f"classifier.replicates={args.replicates}"])
    device = torch.device("cpu")
    p = params.gan.for_image_size(args.image_size)
    if not p.eval_every:
        raise SystemExit("gan.eval_every is 0: no snapshot is scored, so there is no checkpoint choice to compare")
    images, labels = data.train_arrays()
    real = mean_std(accuracy(images, labels, data, params, range(args.replicates), device))
    rows = {r: [] for r in RULES}
    same = []
    for k in range(args.gan_seeds):
        generators, steps = train_both(p, data, judge, k, device)
        same += [steps["validation"][c] == steps["train"][c] for c in data.class_names]
        for rule in RULES:
            kept, draws = fill(generators[rule], params.filter, data, judge, params, device, k)
            row = score_kept(kept, draws, data, params, device) | audit(kept, data, judge, device)
            rows[rule].append(row | {"mean_step": float(np.mean(list(steps[rule].values())))})
    print(f"{args.dataset} {args.image_size}x{args.image_size}, {params.data.per_class} real images per class, "
          f"{params.data.val_per_class} validation images per class, {p.steps} GAN steps (snapshots every "
          f"{p.eval_every}), {args.gan_seeds} GAN seed(s), {args.replicates} classifier replicates per GAN seed")
    print(f"real: {real[0]:.4f} ± {real[1]:.4f}; the two rules chose the same snapshot for {sum(same)} of {len(same)} "
          "class GANs\n")
    print("| snapshots scored against | mean chosen step | fewest kept | synthetic accuracy (CAS) | x real | "
          "copy rate (pixels) | authenticity (held-out real) | distance ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for rule, seeds in rows.items():
        ok = [r for r in seeds if "synthetic" in r]
        cas = mean_std([float(np.mean(r["synthetic"])) for r in ok] if len(ok) > 1 else
                       (ok[0]["synthetic"] if ok else [math.nan]))
        m = lambda key: float(np.mean([r[key] for r in seeds]))  # noqa: E731
        print(f"| {rule} images | {m('mean_step'):.0f} | {min(min(r['kept'].values()) for r in seeds)} | "
              f"{cas[0]:.4f} ± {cas[1]:.4f} | {cas[0] / real[0]:.3f} | {m('copy_rate'):.3f} | {m('authenticity'):.3f} "
              f"({m('heldout_authenticity'):.3f}) | {m('median_distance_ratio'):.2f} |")
    print(f"\n(CAS: mean ± std over GAN seeds of each seed's mean over classifier replicates, or over the replicates "
          f"with one GAN seed; copy rate, authenticity, distance ratio: pixel space, the mean over GAN seeds; total "
          f"{time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
