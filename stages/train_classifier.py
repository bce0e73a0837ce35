"""Stage train_classifier / train_synthetic / train_mix: one classifier variant and seed, trained on
its training set, then scored once on the real test split and the corrupted test sets.

Variants (synthmix.variants): real, augmented (real + classic augmentation), synthetic (filtered
synthetic only, as many per class as real), mix_<pct> (pct percent synthetic, see synthmix.mix).
A variant whose training set would hold too few unique synthetic images of a class is refused.
"""
import argparse
from pathlib import Path

from synthmix.classifier.augment import augment_batch
from synthmix.classifier.train import fit
from synthmix.core import runtime
from synthmix.core.io import save_json
from synthmix.core.stage import open_run_log, run
from synthmix.data.store import read_class_files, read_prepared, read_robustness
from synthmix.evaluate.score import score_run
from synthmix.judge import save_cnn
from synthmix.mix import training_set
from synthmix.params import load_params
from synthmix.variants import Variant


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--variant", required=True, help="real, augmented, synthetic or mix_<pct>")
    ap.add_argument("--seed", type=int, required=True, help="training seed (one of classifier.seeds)")
    ap.add_argument("--data", type=Path, required=True, help="prepared data directory")
    ap.add_argument("--synthetic", type=Path, help="filtered synthetic directory (synthetic and mix_ variants)")
    ap.add_argument("--robustness", type=Path, required=True, help="corrupted test sets (the corrupt stage)")
    ap.add_argument("--model", type=Path, required=True, help="checkpoint to write")
    ap.add_argument("--metrics", type=Path, required=True, help="run-log directory (curves in dvclive's layout)")
    ap.add_argument("--scores", type=Path, required=True, help="this run's test measurements (JSON)")
    args = ap.parse_args()
    params = load_params()
    device = runtime.setup(params.runtime)
    variant = Variant.parse(args.variant)
    data = read_prepared(args.data)
    classes = data.class_names
    seed = runtime.seed_for(args.seed, "classifier", variant.name)
    synthetic = read_class_files(args.synthetic, classes) if variant.uses_synthetic and args.synthetic else None
    images, labels, counts = training_set(variant, data.train, synthetic, classes, params.mix.mode,
                                          params.filter.min_unique, seed)
    augment = (lambda x, gen: augment_batch(x, params.augment, gen)) if variant.kind == "augmented" else None

    curves = open_run_log(args.metrics)
    model, cfg, info = fit(images, labels, data.val_images, data.val_labels, len(classes), params.classifier, seed,
                           device, augment=augment, log=curves.log, amp=params.runtime.amp,
                           compile=params.runtime.compile)
    curves.summary.update(info | {"train_images": int(len(images))})
    curves.end()
    if counts is not None:
        save_json(args.metrics / "mix_counts.json", counts)
    save_cnn(args.model, model, cfg, step=info["best_epoch"], variant=variant.name, seed=args.seed, classes=classes)
    scores = score_run(model, data.test_images, data.test_labels, read_robustness(args.robustness), classes, device,
                       amp=params.runtime.amp)
    save_json(args.scores, scores | {"variant": variant.name, "seed": args.seed, "train_images": int(len(images)),
                                     "synthetic_counts": counts})
    print(f"{variant} seed {args.seed}: {len(images)} training images, best val accuracy {info['best_val_acc']:.3f}, "
          f"test accuracy {scores['accuracy']:.4f}")


if __name__ == "__main__":
    run(main)
