"""Evaluation at real-dataset scale: what scoring every classifier of the shipped design costs on a
21,000-image test split, and what adding one ratio afterwards costs.

Generated data of the shape of a real 28x28, 10-class dataset (class templates plus noise): a
21,000-image test split (30% of 70,000), 50 training images per class, filtered synthetic images,
and 6 variants x classifier.replicates trained classifiers. Measured, each as the pipeline runs it:
  - the `corrupt` stage (a subprocess: the stratified subset of robustness.max_images, corrupted once),
  - scoring each classifier (`synthmix.evaluate.score.score_run`, what each classifier stage adds
    after training: the whole clean test split, plus the corrupted subset for the first
    robustness.replicates replicates),
  - the `evaluate` stage (a subprocess: aggregation over replicates, tests, TRTS, saliency),
  - then one more ratio: its classifiers scored and `evaluate` again.
The baseline, measured in the same run, is the first design's cost for one classifier: the whole
test split corrupted by every type at every level and scored in full, as one `evaluate` stage once
did for every classifier.

    python benchmarks/evaluation_scale.py [--test-images 21000] [--image-size 28] [--keep]
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from synthmix.classifier.train import fit  # noqa: E402
from synthmix.core.io import save_json, save_npy  # noqa: E402
from synthmix.core.runtime import Runtime  # noqa: E402
from synthmix.core.seeds import seed_for  # noqa: E402
from synthmix.data.store import Prepared, RobustnessSets, read_robustness, write_prepared  # noqa: E402
from synthmix.evaluate.corruptions import corrupted_sets  # noqa: E402
from synthmix.evaluate.score import score_run  # noqa: E402
from synthmix.models.cnn import save_cnn  # noqa: E402
from synthmix.params import parse_params  # noqa: E402
from synthmix.replicates import classifier_seed, gan_seed  # noqa: E402
from synthmix.variants import all_variants  # noqa: E402


def fake_images(n: int, labels: np.ndarray, templates: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """uint8 (n, S, S, 1): each image its class template, shifted by up to 2 px, plus noise."""
    shifts = rng.integers(-2, 3, (n, 2))
    out = np.empty((n, *templates.shape[1:]), np.float32)
    for dy in range(-2, 3):          # 25 groups of vectorised rolls, not a loop over images
        for dx in range(-2, 3):
            pick = (shifts[:, 0] == dy) & (shifts[:, 1] == dx)
            out[pick] = np.roll(templates[labels[pick]], (dy, dx), axis=(1, 2))
    out += rng.normal(0, 30, out.shape)
    return np.clip(out, 0, 255).astype(np.uint8)[..., None]


def make_data(root: Path, n_test: int, size: int, classes: list[str], per_class: int, gan_seeds: list[int]) -> Prepared:
    rng = np.random.default_rng(0)
    coarse = rng.uniform(0, 255, (len(classes), 7, 7)).astype(np.float32)
    templates = torch.nn.functional.interpolate(torch.from_numpy(coarse)[:, None], size=(size, size),
                                                mode="bilinear", align_corners=False)[:, 0].numpy()
    k = len(classes)
    test_y, val_y = np.arange(n_test) % k, np.arange(20 * k) % k
    train = {c: fake_images(per_class, np.full(per_class, i), templates, rng) for i, c in enumerate(classes)}
    data = Prepared(train, fake_images(len(val_y), val_y, templates, rng), val_y, fake_images(n_test, test_y, templates, rng),
                    test_y, {"classes": classes, "name": "generated", "image_shape": [size, size, 1]})
    write_prepared(root / "data/prepared", data)
    for g in gan_seeds:
        for i, c in enumerate(classes):
            save_npy(root / f"data/synthetic/filtered/{g}/{c}.npy", fake_images(200, np.full(200, i), templates, rng))
    return data


def timed(fn) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def stage(root: Path, script: str, *args: str) -> float:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    seconds, out = timed(lambda: subprocess.run([sys.executable, str(ROOT / "stages" / script), *args], cwd=root,
                                                env=env, capture_output=True, text=True))
    if out.returncode != 0:
        raise SystemExit(f"{script} failed:\n{out.stdout}\n{out.stderr}")
    return seconds


def train_and_score(root: Path, variants, data: Prepared, params, device) -> float:
    """Train each (variant, replicate) briefly (not timed: the scores, not the models, are measured)
    and score it as its stage does; returns the scoring seconds."""
    robustness = read_robustness(root / "data/robustness")
    images, labels = data.train_arrays()
    quick, steps = params.classifier, 20
    total = 0.0
    for v in variants:
        for s in range(params.classifier.replicates):
            model, cfg, info = fit((images, labels), (data.val_images, data.val_labels), len(data.class_names), quick,
                                   steps, classifier_seed(quick.seed, s), Runtime(device))
            save_cnn(root / f"models/classifier/{v}/{s}.pt", model, cfg)
            scored = robustness if s < params.robustness.replicates else None
            seconds, scores = timed(lambda: score_run(model, data.test_images, data.test_labels, scored,
                                                      data.class_names, device))
            total += seconds
            counts = {c: {"real": 50, "synthetic": 50, "synthetic_wanted": 50, "synthetic_unique": 50}
                      for c in data.class_names} if v.uses_synthetic else None
            save_json(root / f"metrics/classifier/{v}/{s}/scores.json", scores | info | {
                "synthetic_counts": counts, "gan_seed": gan_seed(s, params.gan.seeds) if v.uses_synthetic else None})
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--test-images", type=int, default=21000)
    ap.add_argument("--image-size", type=int, default=28)
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="synthmix-evalbench-"))
    doc = yaml.safe_load((ROOT / "params.yaml").read_text())
    doc["data"]["image_size"] = args.image_size
    (root / "params.yaml").write_text(yaml.safe_dump(doc))
    params = parse_params(doc)
    device = torch.device("cpu")
    torch.set_num_threads(os.cpu_count() or 1)
    classes, r, replicates = params.data.classes, params.robustness, params.classifier.replicates
    data = make_data(root, args.test_images, args.image_size, classes, params.data.per_class, params.gan.seeds)

    # the baseline: the previous design, one classifier on the whole test split corrupted in full
    images, labels = data.train_arrays()
    model, _, _ = fit((images, labels), (data.val_images, data.val_labels), len(classes), params.classifier, 20, 0,
                      Runtime(device))
    seed_of = lambda kind, level: seed_for(r.seed, "corrupt", kind, str(level))  # noqa: E731
    corrupt_full, full = timed(lambda: corrupted_sets(data.test_images, r.kinds, r.levels, seed_of))
    full_sets = RobustnessSets(list(r.kinds), sorted(r.levels), list(range(len(data.test_labels))), data.test_labels, full)
    baseline, _ = timed(lambda: score_run(model, data.test_images, data.test_labels, full_sets, classes, device))
    del full, full_sets

    corrupt = stage(root, "corrupt.py", "--data", "data/prepared", "--out", "data/robustness")
    variants = all_variants(params.mix.ratios)
    scoring = train_and_score(root, variants, data, params, device)
    evaluate_args = ("--data", "data/prepared", "--runs", "metrics/classifier", "--models", "models/classifier",
                     "--synthetic", "data/synthetic/filtered", "--out", "metrics/evaluate")
    aggregate = stage(root, "evaluate.py", *evaluate_args)
    n_runs = len(variants) * replicates

    # one more ratio after the full run: its classifiers are scored, the others' scores are reused
    doc["mix"]["ratios"] = [10] + list(params.mix.ratios)
    (root / "params.yaml").write_text(yaml.safe_dump(doc))
    add_scoring = train_and_score(root, all_variants([10])[-1:], data, params, device)
    add_aggregate = stage(root, "evaluate.py", *evaluate_args)

    old_total = corrupt_full + n_runs * baseline
    new_total = corrupt + scoring + aggregate
    print(f"cpu cores {os.cpu_count()}, torch threads {torch.get_num_threads()}; test split {args.test_images} images "
          f"{args.image_size}x{args.image_size}, {len(classes)} classes; robustness {len(r.kinds)} types x "
          f"{len(r.levels)} levels on {min(r.max_images, args.test_images)} images (robustness.max_images), scored by "
          f"{r.replicates} of the {replicates} replicates of each variant (robustness.replicates)")
    print(f"baseline (previous design): corrupt the whole test split {corrupt_full:.1f} s, then per classifier "
          f"{baseline:.1f} s; for {n_runs} classifiers {old_total:.0f} s")
    print(f"now: corrupt stage {corrupt:.1f} s + scoring {n_runs} classifiers {scoring:.1f} s "
          f"({scoring / n_runs:.2f} s each) + evaluate stage {aggregate:.1f} s = {new_total:.1f} s "
          f"= {old_total / new_total:.1f}x faster than the baseline")
    print(f"adding one ratio afterwards: scoring {replicates} classifiers {add_scoring:.1f} s + evaluate stage "
          f"{add_aggregate:.1f} s = {add_scoring + add_aggregate:.1f} s (the baseline re-scored all "
          f"{n_runs + replicates}: {corrupt_full + (n_runs + replicates) * baseline:.0f} s)")
    if args.keep:
        print(f"kept {root}")
    else:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
