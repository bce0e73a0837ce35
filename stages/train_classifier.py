"""Stage train_classifier / train_synthetic / train_mix: one classifier variant and seed on its training set.

Variants: real (real images only), augmented (real + classic augmentation), synthetic (filtered
synthetic only, as many per class as real), mix_<pct> (pct percent synthetic, see synthmix.train.mix).
"""
import argparse
from dataclasses import asdict
from pathlib import Path

from synthmix.core import runtime
from synthmix.core.io import save_json, save_torch
from synthmix.core.stage import live_logger, open_live, run
from synthmix.data.store import read_class_files, read_prepared
from synthmix.params import load_params
from synthmix.train.augment import augment_batch
from synthmix.train.loop import fit
from synthmix.train.mix import mix_real_synthetic, synthetic_only


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--variant", required=True, help="real, augmented, synthetic or mix_<pct>")
    ap.add_argument("--seed", type=int, required=True, help="training seed (one of classifier.seeds)")
    ap.add_argument("--data", type=Path, required=True, help="prepared data directory")
    ap.add_argument("--synthetic", type=Path, help="filtered synthetic directory (synthetic and mix_ variants)")
    ap.add_argument("--model", type=Path, required=True, help="checkpoint to write")
    ap.add_argument("--metrics", type=Path, required=True, help="dvclive directory")
    args = ap.parse_args()
    params = load_params()
    device = runtime.setup(params.runtime)
    data = read_prepared(args.data)
    classes = data.class_names
    seed = runtime.seed_for(args.seed, "classifier", args.variant)
    augment = None
    counts = None
    if args.variant in ("real", "augmented"):
        images, labels = data.train_arrays()
        if args.variant == "augmented":
            augment = lambda x, gen: augment_batch(x, params.augment, gen)  # noqa: E731
    elif args.variant == "synthetic" or args.variant.startswith("mix_"):
        if args.synthetic is None:
            raise SystemExit(f"variant {args.variant} needs --synthetic")
        synthetic = read_class_files(args.synthetic, classes)
        if args.variant == "synthetic":
            images, labels, counts = synthetic_only(synthetic, data.train, classes, seed)
        else:
            ratio = int(args.variant.removeprefix("mix_"))
            images, labels, counts = mix_real_synthetic(data.train, synthetic, classes, ratio, params.mix.mode, seed)
    else:
        raise SystemExit(f"unknown variant {args.variant!r}; valid: real, augmented, synthetic, mix_<pct>")
    if len(images) == 0:
        raise SystemExit(f"variant {args.variant}: the training set is empty (no synthetic image passed the "
                         "filter); lower filter.threshold or train the GANs longer")

    live = open_live(args.metrics)
    model, cfg, info = fit(images, labels, data.val_images, data.val_labels, len(classes),
                           params.classifier, seed, device, augment=augment, log=live_logger(live),
                           amp=params.runtime.amp, compile=params.runtime.compile)
    live.summary.update(info | {"train_images": int(len(images))})
    live.end()
    if counts is not None:
        save_json(args.metrics / "mix_counts.json", counts)
    save_torch(args.model, {"model": model.state_dict(), "config": asdict(cfg), "step": info["best_epoch"],
                            "variant": args.variant, "seed": args.seed, "classes": classes})
    print(f"{args.variant} seed {args.seed}: {len(images)} training images, best val accuracy {info['best_val_acc']:.3f}")


if __name__ == "__main__":
    run(main)
