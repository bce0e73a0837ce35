"""GAN recipes side by side on a real 28x28 dataset: which one gives synthetic data worth testing,
and does a shared base GAN fine-tuned per class beat one GAN per class at the same budget?

For each candidate recipe (gan.* overrides of the shipped params.yaml), every class's GAN is trained
on the same real images with the same seeds, for each of K GAN seeds, its snapshot chosen as the
refine stage chooses it (Fréchet distance to the class's validation images in judge features);
recipes with a base (gan.base_steps) first train the shared base GAN of that seed on every class's
images, as the train_gan_base stage does, and each class fine-tunes from it. The built-in base
recipes spend the same total GAN steps as the per-class one (half on the base, half on the
classes). Each class is then filled exactly as the `synthesize` stage fills it, and the
`synthetic` variant and every mix of mix.ratios are trained as the pipeline trains them on
paired replicates (replicate s on GAN seed s % K, from the same initial weights as `real`'s s),
tested on the real test split. `real`, trained the same way in the same run, is the baseline.

    python benchmarks/gan_recipes.py                        # mnist_sample 28x28: per_class vs base_freeze1, 3 GAN seeds
    python benchmarks/gan_recipes.py --dataset digits --image-size 16 --recipes per_class base_freeze0 base_freeze1
    python benchmarks/gan_recipes.py --recipes ema color_ema --gan-seeds 3 --replicates 6
    python benchmarks/gan_recipes.py --recipe 'mine:family=hinge,lecam=0.1'   # any gan.* overrides

Prints one row per recipe and filter rule (the shipped one, and any given with --filters, applied
to the same trained GANs): the GAN steps summed over classes (the base's included), the fewest
kept images of a class, the synthetic variant's accuracy (mean ± std over GAN seeds) and its ratio
to real, the best mix's paired difference to real with its interval over GAN seeds (the GAN draw is
part of each replicate's error: clustered_difference), the memorisation audit (copy rate and
authenticity of the kept images against the training images, pixel space) and the GAN time.
The best mix is chosen after seeing the results: its interval is not corrected for that choice.
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
from synthmix.core.runtime import Runtime, seed_for  # noqa: E402
from synthmix.data.prepare import prepare  # noqa: E402
from synthmix.data.datasets.registry import load_source  # noqa: E402
from synthmix.evaluate.stats import clustered_difference, mean_std  # noqa: E402
from synthmix.evaluate.synthetic_quality import memorisation_audit  # noqa: E402
from synthmix.gan.sample import sample  # noqa: E402
from synthmix.gan.train import GanRun, base_init, base_params, base_seed, class_seed, train_gan  # noqa: E402
from synthmix.judge import Judge, calibrate, fid_scorer  # noqa: E402
from synthmix.models.cnn import predict_logits  # noqa: E402
from synthmix.mix import training_set  # noqa: E402
from synthmix.params import GanParams, parse_params  # noqa: E402
from synthmix.synth.choose import eval_seed  # noqa: E402
from synthmix.synth.generate import synthesize_class  # noqa: E402
from synthmix.replicates import classifier_seed  # noqa: E402
from synthmix.variants import Variant  # noqa: E402

# The candidates: each a set of gan.* overrides of the shipped params. DCGAN and WGAN-GP stay
# available in the pipeline whatever is chosen here.
RECIPES = {
    "per_class": "",                                            # shipped: one GAN per class from scratch
    # a shared base GAN (train_gan_base) on half the total budget, each class fine-tuned for the other
    # half of its steps; with D's first block frozen (FreezeD) or not
    "base_freeze0": "base_steps={half_total},steps={half}",
    "base_freeze1": "base_steps={half_total},steps={half},freeze_d_blocks=1",
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
        model, _, _ = fit((images, labels), (data.val_images, data.val_labels), len(data.class_names),
                          params.classifier, steps, classifier_seed(params.classifier.seed, s), Runtime(device))
        pred = predict_logits(model, to_model(data.test_images, device)).argmax(1).cpu().numpy()
        out.append(float((pred == data.test_labels).mean()))
    return out


def snapshot_reference(p: GanParams, data, c: str) -> np.ndarray:
    """The real images class c's GAN snapshots are scored against (gan.select_against), as train_gan does."""
    if p.select_against == "train":
        return data.train[c]
    return data.val_images[data.val_labels == data.class_names.index(c)]


def train_base(p: GanParams, data, gan_seed: int, device) -> dict | None:
    """GanRun.init from the shared base GAN of `gan_seed` (trained as the train_gan_base stage trains
    it, on every class's images), or None when p.base_steps is 0."""
    if not p.base_steps:
        return None
    images, _ = data.train_arrays()
    base = train_gan(images, base_params(p), base_seed(gan_seed), Runtime(device),
                     GanRun(name=f"base, seed {gan_seed}"))
    return base_init({"model": base.G.state_dict(), "discriminator": base.D.state_dict()})


def train_gans(p: GanParams, data, judge: Judge, gan_seed: int, device) -> tuple[dict, float, float]:
    """Every class's GAN of GAN seed `gan_seed`, from scratch or from the base (p.base_steps), its
    snapshot chosen as the refine stage chooses it: ({class: generator}, mean judge-space Fréchet
    distance of the chosen snapshots, seconds of GAN training, the base's included)."""
    t0 = time.perf_counter()
    init = train_base(p, data, gan_seed, device)
    generators, fids = {}, []
    for c in data.class_names:
        latents = eval_seed(gan_seed, c)
        score = fid_scorer(judge, snapshot_reference(p, data, c), lambda G: sample(G, p.eval_samples, latents, device),
                           device)
        result = train_gan(data.train[c], p, class_seed(gan_seed, c), Runtime(device), GanRun(
            score=score if p.eval_every else None, init=init,
            freeze_d_blocks=p.freeze_d_blocks if init else 0, name=f"class {c!r}"))
        generators[c] = result.G
        fids.append(result.info["best_score"])
    return generators, float(np.mean([f for f in fids if f is not None] or [np.nan])), time.perf_counter() - t0


def fill(generators: dict, rule, data, judge: Judge, params, device, gan_seed: int) -> tuple[dict, int]:
    """Each class filled as the synthesize stage fills it, with the latents it draws for GAN seed
    `gan_seed`: ({class: kept images}, total draws)."""
    kept, draws = {}, 0
    for label, c in enumerate(data.class_names):
        latents = seed_for(params.generate.seed, "generate", c, str(gan_seed))
        out = synthesize_class(generators[c], judge, label, data.train[c], data.val_images[data.val_labels == label],
                               rule, params.generate, latents, device)
        kept[c], draws = out.kept, draws + out.stats["drawn"]
    return kept, draws


def score_kept(kept: dict, draws: int, data, params, device, variants: tuple[str, ...] = ("synthetic",),
               replicates: list[int] | None = None) -> dict:
    """Each variant's test accuracy on the kept images, one per replicate (default: all of
    classifier.replicates), replicate s from the same initial weights as every variant's s (or the
    classes left with too few images)."""
    counts = {c: len(x) for c, x in kept.items()}
    short = [c for c, n in counts.items() if n < min(params.filter.min_unique, params.data.per_class_of(c))]
    replicates = list(range(params.classifier.replicates)) if replicates is None else replicates
    row = {"kept": counts, "draws": draws, "short": short, "replicates": replicates}
    for name in variants if not short else ():
        accs = []
        for s in replicates:
            images, labels, _ = training_set(Variant.parse(name), data.train, kept, data.class_names, params.mix.mode,
                                             params.filter.min_unique, classifier_seed(params.classifier.seed, s))
            accs += accuracy(images, labels, data, params, [s], device)
        row[name] = accs
    return row


def audit(kept: dict, data, judge, device) -> dict:
    """The quality stage's memorisation audit of the kept images, pixel space, every class pooled."""
    pooled = memorisation_audit(judge, data, {"0": kept}, device)["overall"]["pixel"]
    nan = float("nan")
    return {k: nan if pooled is None or pooled[k] is None else pooled[k]
            for k in ("copy_rate", "authenticity", "heldout_authenticity", "median_distance_ratio")}


def summarize_seeds(seeds: list[dict], real: dict[int, float], mixes: list[str], alpha: float,
                    test_images: int) -> dict:
    """One recipe and filter over GAN seeds (one row per seed, holding its replicates' accuracies):
    synthetic-only accuracy as the mean ± std over GAN seeds of each seed's mean over its replicates;
    each mix against `real` ({replicate: accuracy}) paired by replicate with the GAN seed as the
    unit (clustered_difference: a replicate's GAN draw is part of its error), its interval at
    1 - alpha / len(mixes); the best mix by mean difference; copy rate and authenticity as the mean
    over GAN seeds."""
    short = sorted({c for r in seeds for c in r["short"]})
    mean = lambda key: float(np.mean([r[key] for r in seeds]))  # noqa: E731
    out = {"gan_seeds": seeds, "fewest_kept": min(min(r["kept"].values()) for r in seeds), "short": short,
           "draws": int(mean("draws")), "fid_judge_mean": mean("fid_judge_mean"), "gan_seconds": mean("gan_seconds"),
           "copy_rate": mean("copy_rate"), "authenticity": mean("authenticity")}
    if short:
        return out
    per_seed = [float(np.mean(r["synthetic"])) for r in seeds]
    out["synthetic_mean"], out["synthetic_std"] = mean_std(per_seed if len(seeds) > 1 else seeds[0]["synthetic"])
    reps = [s for r in seeds for s in r["replicates"]]
    clusters = [k for k, r in enumerate(seeds) for _ in r["replicates"]]
    # the best mix is chosen after seeing every mix's result: its interval is Bonferroni-wide over them
    out["mixes"] = {m: clustered_difference([a for r in seeds for a in r[m]], [real[s] for s in reps], clusters,
                                            alpha / len(mixes), test_images) for m in mixes} if len(seeds) > 1 else {}
    if out["mixes"]:
        out["best_mix"] = max(out["mixes"], key=lambda m: out["mixes"][m]["diff"])
    return out


def row_text(name: str, filter_name: str, row: dict, real_mean: float, budget: str) -> str:
    """One markdown table row of `main`'s table."""
    if row["short"]:
        result = f"too few kept: {', '.join(row['short'])} | |"
    else:
        cas = f"{row['synthetic_mean']:.4f} ± {row['synthetic_std']:.4f} | {row['synthetic_mean'] / real_mean:.3f}"
        best = row.get("best_mix")
        d = row["mixes"][best] if best else None
        result = cas + (f" | {best} {100 * d['diff']:+.2f} [{100 * d['ci_low']:+.2f}, {100 * d['ci_high']:+.2f}]"
                        if best else " | (one GAN seed: no interval)")
    return (f"| {name} | {budget} | {filter_name} | {row['fewest_kept']} | {result} | {row['copy_rate']:.3f} | "
            f"{row['authenticity']:.3f} | {row['fid_judge_mean']:.3f} | {row['gan_seconds']:.0f} |")


def setup_data(dataset: str, image_size: int, overrides: list[str]):
    """(params, prepared data): the shipped params.yaml with data.name/image_size and
    `section.key=YAML value` overrides, and the data prepared as the prepare stage prepares it."""
    doc = yaml.safe_load((ROOT / "params.yaml").read_text())
    doc["data"].update(name=dataset, image_size=image_size)
    doc["gan"]["steps"] = "auto"        # the GAN budget for this image size, not the 8x8 demo's 1,000 steps
    for item in overrides:
        key, _, value = item.partition("=")
        section, _, name = key.partition(".")
        doc[section][name] = yaml.safe_load(value)
    params = parse_params(doc)
    raw = load_source(dataset, params.data.root, params.data.mirror)
    return params, prepare(raw.images, raw.labels, {"name": dataset, "classes": raw.class_names}, params.data)


def setup(dataset: str, image_size: int, overrides: list[str]):
    """(params, prepared data, calibrated judge, the judge's training info) for a benchmark run."""
    params, data = setup_data(dataset, image_size, overrides)
    device = torch.device("cpu")
    images, labels = data.train_arrays()
    model, _, info = fit((images, labels), (data.val_images, data.val_labels), len(data.class_names), params.judge,
                         params.judge.budget(len(images), images.shape[1]), seed_for(params.judge.seed, "judge"),
                         Runtime(device))
    calib = calibrate(model, (data.val_images, data.val_labels), (data.test_images, data.test_labels), device)
    return params, data, Judge(model.requires_grad_(False), calib["temperature"], calib), info


def recipe_params(base: GanParams, overrides: str, classes: int) -> GanParams:
    """A recipe's gan params: its overrides, where {half} is half the per-class budget and
    {half_total} the other half summed over the classes (the base's steps at the same total)."""
    half = base.steps // 2
    return parse_overrides(base, overrides.format(half=half, half_total=classes * (base.steps - half)))


def gan_budget(params, args) -> GanParams:
    """The per-class recipe's gan params: params.yaml's, with gan.steps resolved or --steps."""
    if args.steps is None:
        return params.gan.for_image_size(args.image_size)
    return replace(params.gan, steps=args.steps)


def budget_text(p: GanParams, classes: int) -> str:
    total = p.base_steps + classes * p.steps
    return (f"base {p.base_steps} + {classes} x {p.steps}" if p.base_steps else f"{classes} x {p.steps}") + f" = {total}"


def run_recipe(recipe: GanParams, filters: dict, data, judge, params, args, device) -> dict[str, list[dict]]:
    """Per filter rule, one row per GAN seed: the GANs trained once per seed, each rule filling the
    classes from them, the synthetic and mix variants trained on that seed's replicates."""
    mixes = tuple(f"mix_{r}" for r in params.mix.ratios)
    runs = {f: [] for f in filters}
    for k in range(args.gan_seeds):
        generators, fid, seconds = train_gans(recipe, data, judge, k, device)
        replicates = [s for s in range(args.replicates) if s % args.gan_seeds == k]     # replicate s: GAN seed s % K
        for filter_name, rule in filters.items():
            kept, draws = fill(generators, rule, data, judge, params, device, k)
            runs[filter_name].append(score_kept(kept, draws, data, params, device, ("synthetic", *mixes), replicates)
                                     | audit(kept, data, judge, device)
                                     | {"fid_judge_mean": fid, "gan_seconds": round(seconds, 1)})
    return runs


def compare_to_first(rows: list[dict], alpha: float, test_images: int) -> list[str]:
    """Each recipe against the first (per_class) under the same filter, replicate by replicate (the
    same replicate indices and GAN seed indices in both), GAN seed as the unit: synthetic-only and
    every mix, recipe minus the first, in points with the 1 - alpha interval."""
    lines, first = [], {}
    for row in rows:
        ref = first.setdefault(row["filter"], row)
        if ref is row or row["short"] or ref["short"]:
            continue
        parts = []
        for v in ["synthetic", *row["mixes"]]:
            a, b = ([x for r in one["gan_seeds"] for x in r[v]] for one in (row, ref))
            clusters = [k for k, r in enumerate(row["gan_seeds"]) for _ in r[v]]
            d = clustered_difference(a, b, clusters, alpha, test_images)
            parts.append(f"{v} {100 * d['diff']:+.2f} [{100 * d['ci_low']:+.2f}, {100 * d['ci_high']:+.2f}]")
        lines.append(f"{row['recipe']} - {ref['recipe']} ({row['filter']} filter), points "
                     f"[{1 - alpha:.0%} interval over GAN seeds]: " + "; ".join(parts))
    return lines


def print_report(rows: list[dict], real: dict, mixes: list[str], alpha: float, test_images: int) -> None:
    real_mean = float(np.mean(list(real.values())))
    print("| recipe | GAN steps (summed over classes) | filter | fewest kept | synthetic accuracy | x real | "
          f"best mix - real, points [{1 - alpha / len(mixes):.1%} interval] | copy rate | authenticity | "
          "judge FID | GAN s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(row_text(row["recipe"], row["filter"], row, real_mean, row["budget"]))
    print(f"\n(synthetic accuracy: mean ± std over GAN seeds of each seed's mean over its replicates; best mix: the "
          f"mix of {', '.join(mixes)} with the largest mean paired difference to real, its interval over GAN seeds "
          f"Bonferroni-wide over the {len(mixes)} mixes it was chosen from; copy rate, authenticity: pixel space, mean "
          "over GAN seeds)\n")
    print("\n".join(compare_to_first(rows, alpha, test_images)))


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="mnist_sample")
    ap.add_argument("--image-size", type=int, default=28)
    ap.add_argument("--steps", type=int, help="gan.steps per class of the per-class recipes (default: params.yaml)")
    ap.add_argument("--recipes", nargs="*", default=["per_class", "base_freeze1"],
                    help=f"built-in names: {', '.join(RECIPES)}")
    ap.add_argument("--recipe", action="append", default=[], help="name:key=value,... (gan.* overrides)")
    ap.add_argument("--set", action="append", default=[], help="section.key=YAML value, e.g. filter.quantile=0.25")
    ap.add_argument("--filters", nargs="*", default=[], help="more filter rules to fill each recipe's classes with, "
                    "name:key=value,... over filter.*, e.g. none:mode=threshold,threshold=0 top:mode=top")
    ap.add_argument("--gan-seeds", type=int, default=3, help="GAN seeds 0..K-1 per recipe (one GAN run per class "
                    "is a noisy draw; the intervals take the GAN seed as their unit)")
    ap.add_argument("--replicates", type=int, help="classifier replicates, replicate s on GAN seed s %% K "
                    "(default: one per GAN seed)")
    ap.add_argument("--threads", type=int, help="torch threads (default: torch's; 1 to run two recipes side by side)")
    ap.add_argument("--json", type=Path, help="also write the per-seed results here")
    ap.add_argument("--from-json", type=Path, nargs="*", default=[], help="train nothing: report the --json files of "
                    "earlier runs (same dataset, --set and replicates; e.g. one recipe each, run side by side)")
    args = ap.parse_args()
    args.replicates = args.replicates or args.gan_seeds
    if args.replicates % args.gan_seeds:
        raise SystemExit(f"--replicates {args.replicates} must be a multiple of --gan-seeds {args.gan_seeds}: "
                         "every GAN seed gets the same number of paired replicates")
    return args


def train_recipes(args, params, base: GanParams, data, judge, info) -> tuple[dict, list[dict]]:
    """Train and score every recipe over `base` (the per-class recipe's gan params): (real
    {replicate: accuracy}, one unsummarised row per recipe and filter)."""
    device = torch.device("cpu")
    images, labels = data.train_arrays()
    real = dict(enumerate(accuracy(images, labels, data, params, range(args.replicates), device)))
    classes = len(data.class_names)
    print(f"{args.dataset} {args.image_size}x{args.image_size}, {params.data.per_class} real images per class, "
          f"GAN budget {classes} x {base.steps} steps per GAN seed, {args.gan_seeds} GAN seed(s), "
          f"{args.replicates} paired classifier replicates (replicate s on GAN seed s % {args.gan_seeds}), "
          f"{params.classifier.budget(len(images), args.image_size)} classifier steps; filter {params.filter.mode}; "
          f"judge val accuracy {info['best_val_acc']:.3f}", flush=True)
    filters = {"shipped": params.filter} | {name: parse_filter(params.filter, spec) for name, spec in
                                             (f.split(":", 1) for f in args.filters)}
    rows = []
    for name, overrides in ({r: RECIPES[r] for r in args.recipes} | dict(r.split(":", 1) for r in args.recipe)).items():
        recipe = recipe_params(base, overrides, classes)
        for filter_name, seeds in run_recipe(recipe, filters, data, judge, params, args, device).items():
            rows.append({"recipe": name, "overrides": overrides, "filter": filter_name,
                         "budget": budget_text(recipe, classes), "gan_seeds": seeds})
    return real, rows


def main() -> None:
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    if args.from_json:
        params, data = setup_data(args.dataset, args.image_size, args.set)
        docs = [json.loads(f.read_text()) for f in args.from_json]
        if any(d["real"] != docs[0]["real"] for d in docs):
            raise SystemExit("the --from-json files trained different `real` replicates: not one comparison")
        real, rows = {int(k): v for k, v in docs[0]["real"].items()}, [r for d in docs for r in d["rows"]]
    else:
        params, data, judge, info = setup(args.dataset, args.image_size, args.set)
        real, rows = train_recipes(args, params, gan_budget(params, args), data, judge, info)
        if args.json:
            args.json.write_text(json.dumps({"real": real, "rows": rows}, indent=2, default=float))
    mixes = [f"mix_{r}" for r in params.mix.ratios]
    alpha, test_images, classes = params.evaluate.alpha, len(data.test_labels), len(data.class_names)
    base = gan_budget(params, args)
    summarized = [r | summarize_seeds(r["gan_seeds"], real, mixes, alpha, test_images)
                  | {"budget": r.get("budget") or budget_text(recipe_params(base, r["overrides"], classes), classes)}
                  for r in rows]
    real_mean, real_std = mean_std(list(real.values()))
    print(f"real: test accuracy {real_mean:.4f} ± {real_std:.4f}\n")
    print_report(summarized, real, mixes, alpha, test_images)
    print(f"\n(total {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
