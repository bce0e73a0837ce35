"""Is the shipped classifier budget on the plateau, for `real` and for the largest mix?

Runs the pipeline up to the synthetic images (`dvc repro synthesize` in a temporary copy of the
repository, shipped params plus the dataset given here), then trains `real` and the largest mix
(`mix_<max mix.ratios>`) exactly as the classifier stages train them (`train_replicate`: the same
replicates, initial weights and GAN seeds) at several budgets, multiples of the shipped
`classifier.steps` (auto), and prints test accuracy against steps. Every variant of a row trains for
the same number of steps. The baseline, measured in the same run, is each variant's accuracy at 4x
the shipped budget: the shipped budget passes when 4x the steps gains each variant at most 0.5 points. The old
rule (a fixed number of epochs, so steps in proportion to the training-set size) is shown too.

    python benchmarks/classifier_budget.py --dataset mnist_sample --image-size 28 --replicates 3
    python benchmarks/classifier_budget.py --dataset digits --image-size 16 --multiples 0.25,0.5,1,2,4

Also printed: the paired difference (mix - real, replicate by replicate) at each budget, and how
many replicates a 95% interval of +-0.75 points needs at the shipped budget, from its spread.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from test_e2e import make_repo  # noqa: E402  (the same temp-repo helper the e2e tests use)

from synthmix.classifier.replicate import train_replicate  # noqa: E402
from synthmix.core.parallel import map_one_thread_each  # noqa: E402
from synthmix.core.images import to_model  # noqa: E402
from synthmix.data.store import read_class_files, read_prepared  # noqa: E402
from synthmix.evaluate.stats import mean_std  # noqa: E402
from synthmix.models.cnn import predict_logits  # noqa: E402
from synthmix.params import load_params  # noqa: E402
from synthmix.replicates import gan_seed  # noqa: E402
from synthmix.variants import Variant  # noqa: E402


OLD_EPOCHS = 15      # the rule this replaced: classifier.epochs 15, steps in proportion to the set size


def synthetic_data(dataset: str, image_size: int, gan_seeds: int, replicates: int, keep: bool) -> Path:
    """A temporary repository with the pipeline run up to `synthesize` and `corrupt`."""
    repo = Path(tempfile.mkdtemp(prefix="synthmix-budget-"))
    doc = yaml.safe_load((ROOT / "params.yaml").read_text())
    doc["data"].update(name=dataset, image_size=image_size)
    doc["gan"]["seeds"] = list(range(gan_seeds))
    doc["classifier"]["replicates"] = replicates
    make_repo(repo, doc)
    env = dict(os.environ, DVC_NO_ANALYTICS="1", PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    out = subprocess.run([sys.executable, "-m", "dvc", "repro", "synthesize"], cwd=repo, env=env,
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"dvc repro synthesize failed:\n{out.stdout}\n{out.stderr}")
    if keep:
        print(f"kept {repo}")
    return repo


def test_accuracy(model, data, device) -> float:
    pred = predict_logits(model, to_model(data.test_images, device)).argmax(1).cpu().numpy()
    return float((pred == data.test_labels).mean())


def run_budget(variant: Variant, steps: int, data, synthetic: dict, params, replicates: int, device) -> dict:
    """`replicates` replicates of `variant` at `steps` steps, side by side as the stage runs them:
    test accuracies, best steps and the variant's budget check (still rising in the last quarter?)."""
    from synthmix.evaluate.aggregate import budget_check

    p = replace(params.classifier, steps=steps)

    def one(s: int) -> tuple[float, list, int]:
        fake = synthetic[gan_seed(s, params.gan.seeds)] if variant.uses_synthetic else None
        r = train_replicate(variant, s, data, fake, p, params.augment, params.mix.mode, params.filter.min_unique, device)
        assert r.info["steps"] == steps
        return test_accuracy(r.model, data, device), r.info["val_curve"], r.info["best_step"]

    accs, curves, best = zip(*map_one_thread_each(one, range(replicates), os.cpu_count() or 1))
    return {"acc": list(accs), "best_step": float(np.mean(best)), "check": budget_check(list(curves), len(data.val_labels))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="mnist_sample")
    ap.add_argument("--image-size", type=int, default=28)
    ap.add_argument("--replicates", type=int, default=3)
    ap.add_argument("--gan-seeds", type=int, default=1, help="GAN seeds trained (replicate s uses seed s % K)")
    ap.add_argument("--multiples", default="0.5,1,2,4", help="budgets as multiples of the shipped classifier.steps")
    ap.add_argument("--keep", action="store_true", help="keep the temporary repository")
    ap.add_argument("--repo", type=Path, help="reuse a repository kept by an earlier run (--keep) of this dataset: "
                    "its prepared data and synthetic images; the classifier params are this checkout's")
    args = ap.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    device = torch.device("cpu")
    t0 = time.perf_counter()
    repo = args.repo or synthetic_data(args.dataset, args.image_size, args.gan_seeds, args.replicates, args.keep)
    params = load_params(repo / "params.yaml")
    if args.repo:       # this checkout's classifier params; the repo's data and GAN seeds
        params = replace(params, classifier=replace(load_params(ROOT / "params.yaml").classifier,
                                                    replicates=args.replicates))
    data = read_prepared(repo / "data/prepared")
    synthetic = {g: read_class_files(repo / "data/synthetic/filtered" / str(g), data.class_names) for g in params.gan.seeds}
    real_images = sum(len(x) for x in data.train.values())
    shipped = params.classifier.budget(real_images, data.test_images.shape[1])
    mix = Variant("mix", max(params.mix.ratios))
    print(f"{args.dataset} {args.image_size}x{args.image_size}: {real_images} real training images, "
          f"{len(data.test_labels)} test images; {args.replicates} replicates, GAN seeds {params.gan.seeds}; "
          f"shipped classifier.steps = {params.classifier.steps} -> {shipped} steps of {params.classifier.batch_size}; "
          f"pipeline up to synthesize {time.perf_counter() - t0:.0f} s\n")
    multiples = [float(m) for m in args.multiples.split(",")]
    multiples = sorted(set(multiples) | {1.0, 4.0})        # the plateau test compares 1x with 4x

    rows = {}
    print("| steps | x shipped | real | mix | mix - real (paired, points) | real still rising | mix still rising |")
    print("|---|---|---|---|---|---|---|")
    for m in sorted(multiples):
        steps = max(1, int(round(m * shipped)))
        rows[m] = {v.name: run_budget(v, steps, data, synthetic, params, args.replicates, device) for v in (Variant("real"), mix)}
        print_row(steps, f"{m:g}", rows[m]["real"], rows[m][mix.name])
    old = {v.name: run_budget(v, OLD_EPOCHS * -(-n // params.classifier.batch_size), data, synthetic, params,
                              args.replicates, device) for v, n in ((Variant("real"), real_images),
                                                                    (mix, real_images * 100 // (100 - mix.ratio)))}
    print_row(None, f"old rule: {OLD_EPOCHS} epochs", old["real"], old[mix.name])
    verdict(rows, mix.name, args.replicates)
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")


def print_row(steps: int | None, label: str, real: dict, mix: dict) -> None:
    """One table row; steps None: each variant's own step count (real / mix)."""
    (rm, rs), (mm, ms) = mean_std(real["acc"]), mean_std(mix["acc"])
    d = np.asarray(mix["acc"]) - np.asarray(real["acc"])
    dm, ds = mean_std(d)
    what = f"{real['check']['steps']} / {mix['check']['steps']}" if steps is None else str(steps)
    print(f"| {what} | {label} | {rm:.4f} ± {rs:.4f} | {mm:.4f} ± {ms:.4f} | {100 * dm:+.2f} ± {100 * ds:.2f} | "
          f"{'yes' if real['check']['still_rising'] else 'no'} ({100 * real['check']['rise']:+.2f}) | "
          f"{'yes' if mix['check']['still_rising'] else 'no'} ({100 * mix['check']['rise']:+.2f}) |", flush=True)


def verdict(rows: dict, mix: str, replicates: int) -> None:
    """Each variant at the shipped budget against its own accuracy at 4x the budget (the baseline):
    on the plateau when 4x the steps gains at most 0.5 points; and the replicates a +-0.75-point
    interval of the paired difference needs."""
    from scipy import stats

    for name in ("real", mix):
        shipped, plateau = np.mean(rows[1.0][name]["acc"]), np.mean(rows[4.0][name]["acc"])
        gain = 100 * (plateau - shipped)
        print(f"{name}: shipped budget {shipped:.4f}, 4x budget {plateau:.4f}: 4x the steps gains {gain:+.2f} points "
              f"({'on' if gain <= 0.5 else 'NOT on'} its plateau: at most +0.5 allowed)")
    d = np.asarray(rows[1.0][mix]["acc"]) - np.asarray(rows[1.0]["real"]["acc"])
    sd = float(d.std(ddof=1)) if len(d) > 1 else float("nan")
    need = next((n for n in range(2, 201) if stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n) <= 0.0075), None)
    print(f"paired sd of {mix} - real at the shipped budget: {100 * sd:.2f} points over {replicates} replicates; "
          f"a 95% interval of +-0.75 points needs {need} replicates (if the spread holds)")


if __name__ == "__main__":
    main()
