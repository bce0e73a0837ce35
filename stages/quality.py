"""Stage quality: how good, and how new, are the synthetic images, per class and overall? (See
synthmix.evaluate.synthetic_quality: FID/KID, precision/recall, density/coverage, an inception-style
score and real-vs-synthetic detectability of the first GAN seed's images (gan.seeds[0]), size-matched,
against half of the real test images; and the memorisation audit of every GAN seed's filtered
images: copy rate, authenticity and the closest synthetic/training pairs.) The unfiltered set is
each class's first generate.per_class draws."""
import argparse
from pathlib import Path

from synthmix.core import runtime
from synthmix.core.io import save_json
from synthmix.core.stage import run
from synthmix.data.store import read_class_files, read_prepared
from synthmix.evaluate.synthetic_quality import inception_quality, measure_quality, memorisation_audit
from synthmix.judge import load_judge
from synthmix.params import load_params


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, required=True, help="prepared data directory")
    ap.add_argument("--raw", type=Path, required=True, help="every drawn <gan seed>/<class>.npy (synthesize stage)")
    ap.add_argument("--filtered", type=Path, required=True, help="kept <gan seed>/<class>.npy directory")
    ap.add_argument("--judge", type=Path, required=True, help="judge checkpoint (the feature space)")
    ap.add_argument("--out", type=Path, required=True, help="quality metrics (JSON)")
    args = ap.parse_args()
    params = load_params()
    device = runtime.setup(params.runtime)
    data = read_prepared(args.data)
    g = str(params.gan.seeds[0])
    raw = {c: x[:params.generate.per_class] for c, x in read_class_files(args.raw / g, data.class_names).items()}
    every_seed = {str(s): read_class_files(args.filtered / str(s), data.class_names) for s in params.gan.seeds}
    filtered = every_seed[g]
    judge = load_judge(args.judge, device)
    report = {"gan_seed": int(g)} | measure_quality(judge, data, raw, filtered, params.quality, device)
    report["memorisation"] = memorisation_audit(judge, data, every_seed, device)
    if params.quality.inception:        # downloads (once) and verifies the FID network's weights
        report["inception"] = inception_quality(data, raw, filtered, device, params.quality.seed)
    save_json(args.out, report)
    for name, s in report["overall"].items():
        if name != "detectability":
            print(f"quality {name}: " + (f"FID {s['fid']:.3f}, KID {s['kid']:.4f} ± {s['kid_std']:.4f}, precision "
                                         f"{s['precision']:.3f}, recall {s['recall']:.3f}" if s else "too few images"))
    print("quality: judge inception score " + ", ".join(f"{n} {v:.3f}" for n, v in report["inception_score"].items()
                                                         if v is not None))
    for name, s in report.get("inception", {}).items():
        if isinstance(s, dict):
            print(f"quality {name} (Inception features): FID {s['fid']:.2f}, KID {s['kid']:.4f} ± {s['kid_std']:.4f} "
                  f"({s['n_synthetic']} vs {s['n_real']} real test images)")
    for space, o in report["memorisation"]["overall"].items():
        if o is None:
            print(f"memorisation ({space} space): no synthetic image kept")
            continue
        print(f"memorisation ({space} space, every GAN seed): copy rate {o['copy_rate']:.3f}, authenticity "
              f"{o['authenticity']:.3f} (held-out real images: {o['heldout_authenticity']:.3f})")
    if report["overall"]["detectability"]:
        print(f"quality: real-vs-synthetic detector accuracy {report['overall']['detectability']['accuracy']:.3f} "
              "(0.5 = indistinguishable)")


if __name__ == "__main__":
    run(main)
