"""Why the test's unit is the GAN draw when replicates share GAN draws: a simulation of the paired
design with the project's own tests (`synthmix.evaluate.stats`).

Each simulated comparison has R replicates on G GAN seeds (replicate s on seed s % G). The paired
difference of replicate s is  effect + gan_error[seed] + classifier_error[s],  with the two errors
normal, of spreads `--gan-sd` and `--classifier-sd` points. With effect 0, the share of comparisons
called significant at alpha is the false-positive rate (nominal: alpha); with an effect, the power.
Compared: the per-replicate paired t-test (replicates treated as independent) against the test
over the GAN draws' mean differences (`clustered_difference`). No torch; seconds.

    python benchmarks/replicate_design.py [--replicates 15] [--gan-seeds 3,5,15] [--trials 1000]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from synthmix.evaluate.stats import clustered_difference, paired_difference  # noqa: E402

TEST_IMAGES = 1500       # mnist_sample's test split: sets the resolution floor of the spread


def rejection_rates(effect: float, gan_sd: float, clf_sd: float, replicates: int, gan_seeds: int,
                    trials: int, alpha: float, rng: np.random.Generator) -> tuple[float, float, float, float]:
    """Share of trials significant at alpha by (per replicate, over GAN draws), and the mean
    half-width of each test's interval, in points."""
    seeds = np.arange(replicates) % gan_seeds
    hits, widths = np.zeros(2), np.zeros(2)
    for _ in range(trials):
        d = (effect + rng.normal(0, gan_sd, gan_seeds)[seeds] + rng.normal(0, clf_sd, replicates)) / 100
        zeros = np.zeros(replicates)
        for i, r in enumerate((paired_difference(d, zeros, alpha, TEST_IMAGES),
                               clustered_difference(d, zeros, seeds, alpha, TEST_IMAGES))):
            hits[i] += r["p_value"] < alpha
            widths[i] += 100 * (r["ci_high"] - r["ci_low"]) / 2
    return (*(hits / trials), *(widths / trials))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--replicates", type=int, default=15)
    ap.add_argument("--gan-seeds", default="3,5,15", help="GAN seeds per comparison, a list")
    ap.add_argument("--classifier-sd", type=float, default=1.2, help="points (measured on mnist_sample: ~1.2)")
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--alpha", type=float, default=0.05)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    print(f"{args.replicates} replicates, classifier spread {args.classifier_sd} points, alpha {args.alpha}, "
          f"{args.trials} trials per row (with a GAN seed per replicate the two tests coincide)\n")
    print("| GAN seeds | GAN spread (points) | true effect | significant: per replicate | significant: over GAN "
          "draws | half-width per replicate | half-width over GAN draws |")
    print("|---|---|---|---|---|---|---|")
    for gan_seeds in (int(g) for g in args.gan_seeds.split(",")):
        for gan_sd in (0.0, 0.6, 1.2):
            for effect in (0.0, 1.0):
                a, b, wa, wb = rejection_rates(effect, gan_sd, args.classifier_sd, args.replicates, gan_seeds,
                                               args.trials, args.alpha, rng)
                print(f"| {gan_seeds} | {gan_sd:.1f} | {effect:+.1f} | {a:.3f} | {b:.3f} | {wa:.2f} | {wb:.2f} |",
                      flush=True)


if __name__ == "__main__":
    main()
