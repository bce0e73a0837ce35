"""Which classifier recipe reaches the plateau in the fewest steps? One variant, several recipes,
paired replicates.

Trains one variant of the comparison (`train_replicate`: the replicates, initial weights and GAN
seeds its stage uses) on a repository kept by `classifier_budget.py --keep`, under each recipe
given, at each step count given, and prints its test accuracy. A recipe is a name and classifier
params, e.g. `smooth:label_smoothing=0.1,keep=last`; `shipped` is params.yaml's classifier as is.
The baseline, measured in the same run, is the first recipe at the first step count: each row
gives its paired difference from it (replicate s against replicate s), with the spread.

    python benchmarks/classifier_recipe.py --repo DIR --variant augmented_mix_50 --steps 800,3200 \\
        --recipe before:label_smoothing=0,keep=best --recipe shipped
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import yaml

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from classifier_budget import rerun_command, run_budget, training_data  # noqa: E402

from synthmix import fragments  # noqa: E402
from synthmix.data.store import read_class_files, read_prepared  # noqa: E402
from synthmix.evaluate.stats import mean_std  # noqa: E402
from synthmix.params import ClassifierParams, ParamsError, load_params, parse_params  # noqa: E402
from synthmix.variants import Variant  # noqa: E402


def parse_recipe(text: str, doc: dict) -> tuple[str, ClassifierParams]:
    """'name:key=value,...' (or 'shipped') -> (name, the classifier section of params document `doc`
    with those keys replaced), checked as params.yaml is: a bad key or value fails with the key, the
    value and what is allowed. steps and replicates are this benchmark's own (--steps, --replicates)."""
    name, colon, spec = text.partition(":")
    if not colon and name != "shipped":
        raise SystemExit(f"--recipe {text!r}: write name:key=value,... (or shipped, params.yaml's classifier as is)")
    changes = {}
    for pair in filter(None, spec.split(",")):
        key, eq, value = pair.partition("=")
        if not eq or key in ("steps", "replicates"):
            raise SystemExit(f"--recipe {text!r}: {pair!r} is not key=value of a classifier param other than "
                             "steps and replicates (--steps, --replicates set those)")
        changes[key] = yaml.safe_load(value)
    try:
        params = parse_params(doc | {"classifier": dict(doc.get("classifier") or {}) | changes})
    except ParamsError as e:
        raise SystemExit(f"--recipe {text!r}: {e}")
    return name, params.classifier


def recipe_table(runs: dict[tuple[str, int], list[float]]) -> list[str]:
    """Markdown rows: accuracy per recipe and steps, and the paired difference from the first row."""
    (base_key, base), *_ = runs.items()
    rows = ["| recipe | steps | accuracy (mean ± sd) | vs first row (points) | sd of the difference | "
            "accuracy per replicate |",
            "|---|---|---|---|---|---|"]
    for (name, steps), acc in runs.items():
        diff = 100 * (np.asarray(acc) - np.asarray(base))
        spread = f"{diff.std(ddof=1):.2f}" if len(diff) > 1 else "-"
        reps = " ".join(f"{a:.4f}" for a in acc)
        rows.append(f"| {name} | {steps} | {'{:.4f} ± {:.4f}'.format(*mean_std(acc))} | "
                    f"{diff.mean():+.2f} | {spread} | {reps} |")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repo", type=Path, required=True, help="a repository kept by classifier_budget.py --keep")
    ap.add_argument("--variant", default="augmented_mix_50")
    ap.add_argument("--steps", default="800", help="comma-separated step counts")
    ap.add_argument("--recipe", action="append", default=[], help="name:key=value,... (repeat); default: shipped")
    ap.add_argument("--replicates", type=int, default=6)
    ap.add_argument("--out", type=Path, help="also write the table as this docs fragment (docs/results/...)")
    args = ap.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    t0 = time.perf_counter()
    params = load_params(args.repo / "params.yaml")
    doc = yaml.safe_load((ROOT.parent / "params.yaml").read_text())
    recipes = [parse_recipe(r, doc) for r in args.recipe or ["shipped"]]
    names = [name for name, _ in recipes]
    if len(set(names)) < len(names):
        raise SystemExit(f"--recipe: each recipe needs a name of its own, got {names}")
    recipes = [(name, replace(recipe, replicates=args.replicates)) for name, recipe in recipes]
    variant = Variant.parse(args.variant)
    data = training_data(variant, read_prepared(args.repo / "data/prepared"), args.repo)
    if data is None:
        raise SystemExit(f"{args.repo} has no data for {variant}")
    synthetic = {g: read_class_files(args.repo / "data/synthetic/filtered" / str(g), data.class_names)
                 for g in params.gan.seeds}
    head = (f"{data.meta['name']} {data.test_images.shape[1]}x{data.test_images.shape[2]}, {variant}: "
            f"{args.replicates} replicates, GAN seeds {params.gan.seeds}; recipes: "
            + "; ".join(f"{name} = label_smoothing {r.label_smoothing:g}, keep {r.keep}, lr {r.lr:g}, "
                        f"batch {r.batch_size}" for name, r in recipes))
    print(head + "\n", flush=True)
    runs = {}
    for steps in [int(s) for s in args.steps.split(",")]:
        for name, recipe in recipes:
            runs[name, steps] = run_budget(variant, steps, data, synthetic, replace(params, classifier=recipe),
                                           args.replicates, torch.device("cpu"))
            print(f"{name} at {steps} steps: {np.mean(runs[name, steps]):.4f}", flush=True)
    table = recipe_table(runs)
    print("\n" + "\n".join(table))
    if args.out:
        command = rerun_command(sys.argv[1:], "benchmarks/classifier_recipe.py")
        fragments.write(args.out, "benchmarks/classifier_recipe.py", command, [head, "", *table])
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
