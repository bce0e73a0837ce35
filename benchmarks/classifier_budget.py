"""Is the shipped classifier budget on the plateau of every variant of the comparison?

Runs the pipeline up to the synthetic images (`dvc repro synthesize corrupt` in a temporary copy of
the repository, shipped params plus the dataset given here), then trains every variant the
pipeline compares (real, augmented, synthetic, one mix per ratio in mix.ratios, the same mixes on
top of augmentation, and each real_<n> of data.more_real) exactly as the classifier stages train
them (`train_replicate`: the same replicates, initial weights and GAN seeds) at several budgets,
multiples of the shipped `classifier.steps` (auto), and prints test accuracy against steps. Every
variant of a column trains for the same number of steps, but for real_<n>: its budget is that of its
own size (as its stage trains it), and its column is that multiple of it. The
baseline, measured in the same run, is each variant's own accuracy at 4x the shipped budget: the
shipped budget passes for a variant when 4x the steps gains it at most 0.5 points.

    python benchmarks/classifier_budget.py --dataset mnist_sample --image-size 28 --replicates 6
    python benchmarks/classifier_budget.py --dataset digits --image-size 8 --multiples 0.5,1,2,4
    python benchmarks/classifier_budget.py --variants augmented_mix_25,augmented_mix_50,augmented_mix_75

Also printed: how many replicates a 95% interval of +-0.75 points of the largest mix's paired
difference with real needs at the shipped budget, from its spread.
"""
from __future__ import annotations

import argparse
import os
import shlex
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

from synthmix import fragments  # noqa: E402
from synthmix.classifier.replicate import SyntheticImages, train_replicate  # noqa: E402
from synthmix.core.runtime import Runtime, native_cpu_bf16  # noqa: E402
from synthmix.core.parallel import map_one_thread_each  # noqa: E402
from synthmix.core.images import to_model  # noqa: E402
from synthmix.data.store import read_class_files, read_prepared, with_more_real  # noqa: E402
from synthmix.evaluate.stats import mean_std, units_for_half_width  # noqa: E402
from synthmix.models.cnn import predict_logits  # noqa: E402
from synthmix.params import load_params  # noqa: E402
from synthmix.replicates import gan_seed  # noqa: E402
from synthmix.variants import Variant, all_variants, more_real_variants  # noqa: E402

PLATEAU_POINTS = 0.5     # 4x the steps may gain a variant at most this many points


def synthetic_data(dataset: str, image_size: int, gan_seeds: int, replicates: int, keep: bool,
                   more_real: list[int] | None) -> Path:
    """A temporary repository with the pipeline run up to `synthesize` and `corrupt`."""
    repo = Path(tempfile.mkdtemp(prefix="synthmix-budget-"))
    doc = yaml.safe_load((ROOT / "params.yaml").read_text())
    if (dataset, image_size) != (doc["data"]["name"], doc["data"]["image_size"]):
        doc["gan"]["steps"] = "auto"      # this data's GAN budget; the shipped demo keeps its own (1000 at 8x8)
    doc["data"].update(name=dataset, image_size=image_size)
    doc["gan"]["seeds"] = list(range(gan_seeds))
    doc["classifier"]["replicates"] = replicates
    if more_real is not None:
        doc["data"]["more_real"] = more_real
    make_repo(repo, doc)
    env = dict(os.environ, DVC_NO_ANALYTICS="1", PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    out = subprocess.run([sys.executable, "-m", "dvc", "repro", "synthesize", "corrupt"], cwd=repo, env=env,
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"dvc repro synthesize failed:\n{out.stdout}\n{out.stderr}")
    if keep:
        print(f"kept {repo}")
    return repo


def test_accuracy(model, data, device) -> float:
    pred = predict_logits(model, to_model(data.test_images, device)).argmax(1).cpu().numpy()
    return float((pred == data.test_labels).mean())


def run_budget(variant: Variant, steps: int, data, synthetic: dict, params, replicates: int, device) -> list[float]:
    """The test accuracies of `replicates` replicates of `variant` at `steps` steps, side by side as
    the stage runs them."""
    p = replace(params.classifier, steps=steps)

    def one(s: int) -> float:
        fake = (SyntheticImages(synthetic[gan_seed(s, params.gan.seeds)], params.mix.mode, params.filter.min_unique)
                if variant.uses_synthetic else None)
        r = train_replicate(variant, s, data, fake, p, params.augment.for_dataset(params.data.name), Runtime(device))
        assert r.info["steps"] == steps
        return test_accuracy(r.model, data, device)

    return map_one_thread_each(one, range(replicates), os.cpu_count() or 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="mnist_sample")
    ap.add_argument("--image-size", type=int, default=28)
    ap.add_argument("--replicates", type=int, default=6)
    ap.add_argument("--gan-seeds", type=int, default=3, help="GAN seeds trained (replicate s uses seed s %% K)")
    ap.add_argument("--multiples", default="1,4", help="budgets as multiples of the shipped classifier.steps")
    ap.add_argument("--keep", action="store_true", help="keep the temporary repository")
    ap.add_argument("--variants", help="comma-separated variant names to train (default: every variant)")
    ap.add_argument("--more-real", help="data.more_real counts, comma-separated (default: params.yaml's)")
    ap.add_argument("--cpu-bf16", action=argparse.BooleanOptionalAction, help="classifier.cpu_bf16 true (bf16 "
                    "autocast on a CPU with native bf16) or, --no-cpu-bf16, false (default: params.yaml's)")
    ap.add_argument("--out", type=Path, help="also write the table as this docs fragment (docs/results/...)")
    ap.add_argument("--repo", type=Path, help="reuse a repository kept by an earlier run (--keep) of this dataset: "
                    "its prepared data and synthetic images; the classifier params are this checkout's")
    args = ap.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    device = torch.device("cpu")
    t0 = time.perf_counter()
    more_real = None if args.more_real is None else [int(n) for n in args.more_real.split(",") if n]
    repo = args.repo or synthetic_data(args.dataset, args.image_size, args.gan_seeds, args.replicates, args.keep,
                                       more_real)
    params = load_params(repo / "params.yaml")
    if args.repo:       # this checkout's classifier params; the repo's data and GAN seeds
        params = replace(params, classifier=replace(load_params(ROOT / "params.yaml").classifier,
                                                    replicates=args.replicates))
        if more_real is not None:       # counts the repo's prepare wrote (its data/more_real/<n>)
            missing = [n for n in more_real if not (repo / "data/more_real" / str(n)).is_dir()]
            if missing:
                raise SystemExit(f"--more-real {missing}: {repo} has no data/more_real/<n> for them; run its prepare "
                                 f"with data.more_real including them, or leave them out")
            params = replace(params, data=replace(params.data, more_real=more_real))
    if args.cpu_bf16 is not None:
        params = replace(params, classifier=replace(params.classifier, cpu_bf16=args.cpu_bf16))
    data = read_prepared(repo / "data/prepared")
    synthetic = {g: read_class_files(repo / "data/synthetic/filtered" / str(g), data.class_names) for g in params.gan.seeds}
    real_images = sum(len(x) for x in data.train.values())
    side = data.test_images.shape[1]
    shipped = params.classifier.budget(real_images, side)
    head = (f"{args.dataset} {args.image_size}x{args.image_size}: {real_images} real training images, "
            f"{len(data.test_labels)} test images; {args.replicates} replicates, GAN seeds {params.gan.seeds}; "
            f"shipped classifier.steps = {params.classifier.steps} -> {shipped} steps of "
            f"{params.classifier.batch_size}{precision(params.classifier.bf16_on_cpu(side))}; "
            f"pipeline up to synthesize {time.perf_counter() - t0:.0f} s")
    print(head + "\n")
    multiples = sorted({float(m) for m in args.multiples.split(",")} | {1.0, 4.0})   # the test compares 1x with 4x
    variants = all_variants(params.mix.ratios, params.mix.augmented) + more_real_variants(params.data.more_real)
    if args.variants:
        variants = [Variant.parse(name) for name in args.variants.split(",")]
    trains = {v.name: training_data(v, data, repo) for v in variants}
    trains = {v: d for v, d in trains.items() if d is not None}        # a real_<n> the data cannot fill: skipped
    own = {v: params.classifier.budget(sum(len(x) for x in d.train.values()), d.test_images.shape[1])
           for v, d in trains.items()}                                   # shipped for all but real_<n>
    acc = {(v.name, m): run_budget(v, max(1, int(round(m * own[v.name]))), trains[v.name], synthetic, params,
                                   args.replicates, device)
           for m in multiples for v in variants if v.name in trains}
    trained = [v for v in variants if v.name in trains]
    table = budget_table(trained, multiples, acc, own)
    print("\n".join(table))
    if args.out:
        fragments.write(args.out, "benchmarks/classifier_budget.py", rerun_command(sys.argv[1:]), [head.strip(), "", *table])
    mix = Variant("mix", max(params.mix.ratios)).name
    if (mix, 1.0) in acc and ("real", 1.0) in acc:
        interval_replicates(np.asarray(acc[mix, 1.0]) - np.asarray(acc["real", 1.0]), mix)
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")


def precision(bf16_on_cpu: bool) -> str:
    """The training precision, for the table's head line: '' for float32 (as every table before
    classifier.cpu_bf16 says nothing)."""
    if not bf16_on_cpu:
        return ""
    return ", bf16 autocast on the CPU" if native_cpu_bf16() else ", float32 (cpu_bf16 on; this CPU has no native bf16)"


def rerun_command(argv: list[str], script: str = "benchmarks/classifier_budget.py") -> str:
    """The command line of `script` as it can be run again: quoted, without --out, a --repo folder
    as a placeholder (no machine path in a committed fragment)."""
    words, skip = ["python", script], None
    for word in argv:
        if skip:
            words += [] if skip == "--out" else ["<kept repo>"]
            skip = None
        elif word in ("--out", "--repo"):
            skip = word
            words += [] if word == "--out" else [word]
        elif word.startswith("--repo="):
            words += ["--repo", "<kept repo>"]
        elif not word.startswith("--out="):
            words.append(word)
    return shlex.join(words).replace("'<kept repo>'", "<kept repo>")


def budget_table(variants: list[Variant], multiples: list[float], acc: dict, own: dict) -> list[str]:
    """Accuracy (mean ± std over replicates) per variant and budget, the 4x - 1x gain and whether it
    is within PLATEAU_POINTS, as markdown rows."""
    rows = ["| variant | 1x steps | " + " | ".join(f"{m:g}x" for m in multiples) + " | 4x - 1x (points) | on its plateau |",
            "|---|---|" + "---|" * (len(multiples) + 2)]
    for v in variants:
        gain = 100 * (np.mean(acc[v.name, 4.0]) - np.mean(acc[v.name, 1.0]))
        cells = " | ".join("{:.4f} ± {:.4f}".format(*mean_std(acc[v.name, m])) for m in multiples)
        rows.append(f"| {v} | {own[v.name]} | {cells} | {gain:+.2f} | {'yes' if gain <= PLATEAU_POINTS else 'NO'} |")
    return rows


def training_data(variant: Variant, data, repo: Path):
    """The prepared data a variant trains on: real_<n>'s larger real set in place of the scarce one
    (None when the data could not fill it), the prepared data for every other variant."""
    if variant.kind != "more_real":
        return data
    larger = with_more_real(data, repo / "data/more_real" / str(variant.count))
    if isinstance(larger, str):
        print(larger)
        return None
    return larger


def interval_replicates(diff: np.ndarray, mix: str) -> None:
    """The replicates a +-0.75-point 95% interval of the paired difference `diff` (mix - real) needs."""
    sd = float(diff.std(ddof=1)) if len(diff) > 1 else float("nan")
    need = units_for_half_width(sd, 0.0075, 0.05, most=200)
    print(f"paired sd of {mix} - real at the shipped budget: {100 * sd:.2f} points over {len(diff)} replicates; "
          f"a 95% interval of +-0.75 points needs {need} replicates (if the spread holds)")


if __name__ == "__main__":
    main()
