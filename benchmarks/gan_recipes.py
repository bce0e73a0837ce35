"""GAN recipes side by side on a real 28x28 dataset: which one gives synthetic data worth testing?

For each candidate recipe (gan.* overrides of the shipped params.yaml), every class's GAN is trained
on the same real images with the same seeds and step budget, its checkpoint chosen as the pipeline
chooses it; then each class is filled exactly as the `synthesize` stage fills it (the shipped
filter rule, relative to the calibrated judge, generate until enough) and the `synthetic` variant
is trained as the pipeline trains it (as many synthetic images per class as real ones) over the
classifier seeds and tested on the real test split: train on synthetic, test on real (CAS). The
`real` variant trained and tested the same way, in the same run, is the baseline.

    python benchmarks/gan_recipes.py                        # mnist_sample, 28x28, every recipe below
    python benchmarks/gan_recipes.py --recipes ema color_ema --gan-seeds 3   # what chose the defaults
    python benchmarks/gan_recipes.py --recipes plain color_ema --steps 2000
    python benchmarks/gan_recipes.py --dataset digits --image-size 16 --steps 300
    python benchmarks/gan_recipes.py --recipe 'mine:family=hinge,lecam=0.1'   # any gan.* overrides

Prints one row per recipe and filter rule (the shipped one, and any given with --filters, applied
to the same trained GANs): kept images per class (the fewest, and the classes below
filter.min_unique), draws, the synthetic variant's test accuracy and its ratio to real, and the GAN
training time. The accuracy is the mean ± std over the classifier seeds with one GAN seed, and over
GAN seeds (each seed's mean over the classifier seeds) with --gan-seeds K > 1: one GAN run per
class is a noisy draw, so recipes closer than that std are not told apart.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import torch
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from synthmix.classifier.train import fit  # noqa: E402
from synthmix.core.images import to_model  # noqa: E402
from synthmix.core.runtime import seed_for  # noqa: E402
from synthmix.data.prepare import prepare  # noqa: E402
from synthmix.data.sources import load_source  # noqa: E402
from synthmix.evaluate.stats import mean_std  # noqa: E402
from synthmix.gan.sample import sample  # noqa: E402
from synthmix.gan.train import GanRun, train_gan  # noqa: E402
from synthmix.judge import Judge, calibrate, fid_scorer  # noqa: E402
from synthmix.models.cnn import predict_logits  # noqa: E402
from synthmix.mix import training_set  # noqa: E402
from synthmix.params import GanParams, parse_params  # noqa: E402
from synthmix.synth.generate import synthesize_class  # noqa: E402
from synthmix.replicates import classifier_seed  # noqa: E402
from synthmix.variants import Variant  # noqa: E402

# The candidates: each a set of gan.* overrides of the shipped params. DCGAN and WGAN-GP stay
# available in the pipeline whatever is chosen here.
RECIPES = {
    "plain": "diffaugment=,ema_decay=0",
    "ema": "diffaugment=",
    "color_ema": "diffaugment=color",
    "color_translation_ema": "diffaugment=color,translation",
    "hinge_sn_ema": "family=hinge,diffaugment=",
    "hinge_sn_color_ema": "family=hinge,diffaugment=color",
    "color_ema_lecam": "diffaugment=color,lecam=0.1",
    "wgan_gp_color_ema": "family=wgan_gp,diffaugment=color,n_critic=5,beta1=0.0,beta2=0.9",
}


def parse_overrides(base: GanParams, text: str) -> GanParams:
    """'key=value,key=value' (values in the field's type; a comma-separated DiffAugment policy is
    written with '+', e.g. diffaugment=color+translation, or as the last key)."""
    types = {f.name: type(getattr(base, f.name)) for f in fields(base)}
    changes, key = {}, None
    for part in filter(None, text.split(",")):
        if "=" not in part and key == "diffaugment":       # color,translation: the policy's own comma
            changes[key] += "," + part
            continue
        key, _, value = part.partition("=")
        if key not in types:
            raise SystemExit(f"unknown gan key {key!r}; valid: {', '.join(sorted(types))}")
        changes[key] = value.replace("+", ",") if types[key] is str else types[key](value)
    return replace(base, **changes)


def parse_filter(base, text: str):
    """'mode=top,fraction=0.5' over the shipped filter params."""
    from synthmix.params import FilterParams

    types = {f.name: type(getattr(base, f.name)) for f in fields(FilterParams)}
    changes = {k: types[k](v) for k, _, v in (part.partition("=") for part in text.split(",") if part)}
    return replace(base, **changes)


def accuracy(images, labels, data, params, replicates, device) -> list[float]:
    """Test accuracy of classifiers trained on (images, labels) as the pipeline trains them: the budget
    of the real training set, replicate s from its shared initial weights."""
    out = []
    steps = params.classifier.budget(sum(len(x) for x in data.train.values()), data.test_images.shape[1])
    for s in replicates:
        model, _, _ = fit(images, labels, data.val_images, data.val_labels, len(data.class_names), params.classifier,
                          steps, classifier_seed(params.classifier.seed, s), device)
        pred = predict_logits(model, to_model(data.test_images, device)).argmax(1).cpu().numpy()
        out.append(float((pred == data.test_labels).mean()))
    return out


def snapshot_reference(p: GanParams, data, c: str) -> np.ndarray:
    """The real images class c's GAN snapshots are scored against (gan.select_against), as train_gan does."""
    if p.select_against == "train":
        return data.train[c]
    return data.val_images[data.val_labels == data.class_names.index(c)]


def train_gans(p: GanParams, data, judge: Judge, device) -> tuple[dict, float, float]:
    """Every class's GAN, trained and its checkpoint chosen as the train_gan stage does:
    ({class: generator}, mean judge-space Fréchet distance of the chosen snapshots, seconds)."""
    t0 = time.perf_counter()
    generators, fids = {}, []
    for c in data.class_names:
        seed = seed_for(p.seeds[0], "gan", c)
        eval_seed = seed_for(seed, "eval")
        score = fid_scorer(judge, snapshot_reference(p, data, c), lambda G: sample(G, p.eval_samples, eval_seed, device),
                           device)
        result = train_gan(data.train[c], p, seed, GanRun(device, score=score if p.eval_every else None))
        generators[c] = result.G
        fids.append(result.info["best_score"])
    return generators, float(np.mean([f for f in fids if f is not None] or [np.nan])), time.perf_counter() - t0


def fill(generators: dict, rule, data, judge: Judge, params, device) -> tuple[dict, int]:
    """Each class filled as the synthesize stage fills it: ({class: kept images}, total draws)."""
    kept, draws = {}, 0
    for label, c in enumerate(data.class_names):
        out = synthesize_class(generators[c], judge, label, data.train[c], data.val_images[data.val_labels == label],
                               rule, params.generate, seed_for(params.generate.seed, "generate", c), device)
        kept[c], draws = out.kept, draws + out.stats["drawn"]
    return kept, draws


def score_kept(kept: dict, draws: int, data, params, device) -> dict:
    """The `synthetic` variant's test accuracy over the classifier seeds on the kept images (or the
    classes left with too few images)."""
    counts = {c: len(x) for c, x in kept.items()}
    short = [c for c, n in counts.items() if n < min(params.filter.min_unique, params.data.per_class_of(c))]
    row = {"kept": counts, "draws": draws, "short": short}
    if not short:
        accs = []
        for s in range(params.classifier.replicates):
            images, labels, _ = training_set(Variant("synthetic"), data.train, kept, data.class_names, params.mix.mode,
                                             params.filter.min_unique, classifier_seed(params.classifier.seed, s))
            accs += accuracy(images, labels, data, params, [s], device)
        row["synthetic"] = accs
    return row


def fill_and_score(generators: dict, rule, data, judge: Judge, params, device) -> dict:
    return score_kept(*fill(generators, rule, data, judge, params, device), data, params, device)


def summarize_seeds(seeds: list[dict]) -> dict:
    """One recipe and filter over GAN seeds: the synthetic accuracy as the mean ± std over GAN seeds of
    each seed's mean over classifier seeds (or the classes left short in any GAN seed)."""
    short = sorted({c for r in seeds for c in r["short"]})
    out = {"gan_seeds": seeds, "fewest_kept": min(min(r["kept"].values()) for r in seeds), "short": short,
           "draws": int(np.mean([r["draws"] for r in seeds])),
           "fid_judge_mean": float(np.mean([r["fid_judge_mean"] for r in seeds])),
           "gan_seconds": float(np.mean([r["gan_seconds"] for r in seeds]))}
    if short:
        return out | {"text": "too few kept: " + ", ".join(short), "ratio_text": lambda real: ""}
    per_seed = [float(np.mean(r["synthetic"])) for r in seeds]
    m, sd = mean_std(per_seed if len(seeds) > 1 else seeds[0]["synthetic"])
    return out | {"synthetic_mean": m, "synthetic_std": sd, "text": f"{m:.4f} ± {sd:.4f}",
                  "ratio_text": lambda real: f"{m / real:.3f}"}


def setup(dataset: str, image_size: int, overrides: list[str]):
    """(params, prepared data, calibrated judge, the judge's training info) for a benchmark run:
    the shipped params.yaml with data.name/image_size and `section.key=YAML value` overrides."""
    doc = yaml.safe_load((ROOT / "params.yaml").read_text())
    doc["data"].update(name=dataset, image_size=image_size)
    for item in overrides:
        key, _, value = item.partition("=")
        section, _, name = key.partition(".")
        doc[section][name] = yaml.safe_load(value)
    params = parse_params(doc)
    device = torch.device("cpu")
    raw = load_source(dataset, params.data.root, params.data.mirror)
    data = prepare(raw.images, raw.labels, {"name": dataset, "classes": raw.class_names}, params.data)
    images, labels = data.train_arrays()
    model, _, info = fit(images, labels, data.val_images, data.val_labels, len(data.class_names), params.judge,
                         params.judge.budget(len(images), images.shape[1]), seed_for(params.judge.seed, "judge"), device)
    calib = calibrate(model, (data.val_images, data.val_labels), (data.test_images, data.test_labels), device)
    return params, data, Judge(model.requires_grad_(False), calib["temperature"], calib), info


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="mnist_sample")
    ap.add_argument("--image-size", type=int, default=28)
    ap.add_argument("--steps", type=int, help="gan.steps for every recipe (default: params.yaml)")
    ap.add_argument("--recipes", nargs="*", default=list(RECIPES), help=f"built-in names: {', '.join(RECIPES)}")
    ap.add_argument("--recipe", action="append", default=[], help="name:key=value,... (gan.* overrides)")
    ap.add_argument("--set", action="append", default=[], help="section.key=YAML value, e.g. filter.quantile=0.25")
    ap.add_argument("--filters", nargs="*", default=[], help="more filter rules to fill each recipe's classes with, "
                    "name:key=value,... over filter.*, e.g. none:mode=threshold,threshold=0 top:mode=top")
    ap.add_argument("--gan-seeds", type=int, default=1, help="train every recipe's GANs with GAN seeds 0..K-1 and "
                    "report the mean ± std over them (one GAN run per class is a noisy draw)")
    ap.add_argument("--json", type=Path, help="also write the rows here")
    args = ap.parse_args()
    params, data, judge, info = setup(args.dataset, args.image_size, args.set)
    calib, device = judge.calibration, torch.device("cpu")
    images, labels = data.train_arrays()
    real = accuracy(images, labels, data, params, range(params.classifier.replicates), device)
    real_mean, real_std = mean_std(real)
    base = params.gan.for_image_size(args.image_size) if args.steps is None else replace(params.gan, steps=args.steps)
    recipes = {r: RECIPES[r] for r in args.recipes} | dict(r.split(":", 1) for r in args.recipe)
    print(f"{args.dataset} {args.image_size}x{args.image_size}, {params.data.per_class} real images per class, "
          f"{base.steps} GAN steps, {args.gan_seeds} GAN seed(s), filter {params.filter.mode} (quantile {params.filter.quantile}), "
          f"{params.generate.per_class} kept per class wanted (at most {params.generate.max_draws} draws), "
          f"{params.classifier.replicates} classifier replicates; judge val accuracy {info['best_val_acc']:.3f}, "
          f"temperature {calib['temperature']:.3f}, val ECE {calib['val']['ece_before']:.3f} -> "
          f"{calib['val']['ece_after']:.3f}")
    print(f"real: test accuracy {real_mean:.4f} ± {real_std:.4f}\n")
    filters = {"shipped": params.filter} | {name: parse_filter(params.filter, spec) for name, spec in
                                             (f.split(":", 1) for f in args.filters)}
    print("| recipe | gan.* overrides | filter | kept per class (fewest) | draws | synthetic accuracy | x real | "
          "judge FID | GAN s |")
    print("|---|---|---|---|---|---|---|---|---|")
    rows = []
    for name, overrides in recipes.items():
        recipe = parse_overrides(base, overrides)
        runs = {f: [] for f in filters}                 # per filter: one row per GAN seed
        for k in range(args.gan_seeds):
            generators, fid, seconds = train_gans(replace(recipe, seeds=[recipe.seeds[0] + k]), data, judge, device)
            for filter_name, rule in filters.items():
                runs[filter_name].append(fill_and_score(generators, rule, data, judge, params, device)
                                         | {"fid_judge_mean": fid, "gan_seconds": round(seconds, 1)})
        for filter_name, seeds in runs.items():
            row = summarize_seeds(seeds) | {"recipe": name, "overrides": overrides, "filter": filter_name}
            rows.append(row)
            print(f"| {name} | `{overrides}` | {filter_name} | {row['fewest_kept']} | {row['draws']} | {row['text']} | "
                  f"{row['ratio_text'](real_mean)} | {row['fid_judge_mean']:.3f} | {row['gan_seconds']:.0f} |", flush=True)
            del row["ratio_text"]
    if args.json:
        args.json.write_text(json.dumps({"real": real, "steps": base.steps, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
