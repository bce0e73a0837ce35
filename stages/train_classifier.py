"""Stage train_real / train_augmented / train_synthetic / train_mix@<pct> / train_augmented_mix@<pct> /
train_more_real@<n>: every replicate of one classifier variant, each trained at the same step budget
and then scored once on the real test split (and, for the first robustness.replicates, on the
corrupted test sets).

Variants (synthmix.variants): real, augmented (real + classic augmentation), synthetic (filtered
synthetic only, as many per class as real), mix_<pct> (pct percent synthetic, see synthmix.mix),
augmented_mix_<pct> (mix_<pct>'s images with augmented's augmentation), real_<n> (n real images per
class, the learning curve). Replicate s (synthmix.replicates) starts from the same weights in every
variant and, for the synthetic and mix variants, uses the images of GAN seed
gan.seeds[s % len(gan.seeds)]. A variant whose training set would hold too few unique synthetic
images of a class is refused. An augmented mix with mix.augmented off, or a real_<n> the data
cannot fill, trains nothing and writes skipped.json (why) in both output folders. On a CPU the
replicates run side by side, one torch thread each (synthmix.core.parallel).
"""
import argparse
from pathlib import Path

from synthmix.classifier.replicate import SyntheticImages, train_replicate
from synthmix.core import runtime
from synthmix.core.io import save_json
from synthmix.core.parallel import map_one_thread_each
from synthmix.core.stage import open_run_log, output_dir, run
from synthmix.data.store import read_class_files, read_prepared, read_robustness, with_more_real
from synthmix.evaluate.score import score_run
from synthmix.models.cnn import save_cnn
from synthmix.params import load_params
from synthmix.replicates import gan_seed
from synthmix.variants import Variant


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--variant", required=True,
                    help="real, augmented, synthetic, mix_<pct>, augmented_mix_<pct> or real_<n>")
    ap.add_argument("--data", type=Path, required=True, help="prepared data directory")
    ap.add_argument("--synthetic", type=Path, help="filtered synthetic images, <gan seed>/<class>.npy (synthetic, mix_)")
    ap.add_argument("--more-real", type=Path, help="real_<n>: its larger real training set (<class>.npy, meta.json)")
    ap.add_argument("--robustness", type=Path, required=True, help="corrupted test sets (the corrupt stage)")
    ap.add_argument("--models", type=Path, required=True, help="directory for <replicate>.pt")
    ap.add_argument("--runs", type=Path, required=True, help="directory for <replicate>/ scores.json and curves")
    args = ap.parse_args()
    params = load_params()
    rt = runtime.start(params.runtime)
    variant, p = Variant.parse(args.variant), params.classifier
    data, robustness = read_prepared(args.data), read_robustness(args.robustness)
    augment = params.augment.for_dataset(params.data.name) if variant.augments else params.augment
    models, runs = output_dir(args.models), output_dir(args.runs)      # removed whole if any replicate fails
    if variant.kind == "more_real" and args.more_real is None:
        raise ValueError(f"variant {variant} needs --more-real, its real training set")
    # real_<n>: its larger real set stands in for the scarce one (or the reason there is none)
    trained_on = with_more_real(data, args.more_real) if variant.kind == "more_real" else data
    skipped = trained_on if isinstance(trained_on, str) else skip_reason(variant, params.mix.augmented)
    if skipped:
        for out in (models, runs):
            save_json(out / "skipped.json", {"variant": variant.name, "skipped": skipped})
        print(f"{variant}: {skipped}")
        return
    data = trained_on

    def replicate(s: int) -> str:
        g = gan_seed(s, params.gan.seeds) if variant.uses_synthetic else None
        synthetic = None if g is None else SyntheticImages(read_class_files(args.synthetic / str(g), data.class_names),
                                                           params.mix.mode, params.filter.min_unique)
        curves = open_run_log(runs / str(s))
        result = train_replicate(variant, s, data, synthetic, p, augment, rt.with_log(curves.log))
        curves.summary.update({k: v for k, v in result.info.items() if k != "val_curve"})
        curves.end()
        save_cnn(models / f"{s}.pt", result.model, result.cfg, step=result.info["best_step"], variant=variant.name,
                 replicate=s, classes=data.class_names)
        scored = robustness if s < params.robustness.replicates else None     # the costly curves: first N only
        scores = score_run(result.model, data.test_images, data.test_labels, scored, data.class_names, rt.device)
        save_json(runs / str(s) / "scores.json", scores | result.info | {
            "variant": variant.name, "replicate": s, "gan_seed": g, "synthetic_counts": result.counts})
        return (f"{variant} replicate {s}{'' if g is None else f' (GAN seed {g})'}: {result.info['train_images']} "
                f"training images, {result.info['steps']} steps, kept step {result.info['best_step']} "
                f"(val accuracy {result.info['best_val_acc']:.3f}), test accuracy {scores['accuracy']:.4f}")

    workers = rt.threads if rt.device.type == "cpu" else 1
    for line in map_one_thread_each(replicate, range(p.replicates), workers):
        print(line)


def skip_reason(variant: Variant, augmented_mixes: bool) -> str | None:
    """Why a variant the pipeline declares trains nothing in this run, or None."""
    if variant.kind == "augmented_mix" and not augmented_mixes:
        return f"{variant} skipped: mix.augmented is false (the augmented mixes are switched off)"
    return None


if __name__ == "__main__":
    run(main)
