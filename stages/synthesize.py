"""Stage synthesize: for every GAN seed and class, draw from the class's (refined) generator until
generate.per_class distinct images pass the filter rule (filter.mode, relative to the calibrated
judge), or until generate.max_draws images were drawn; an image within the class's near-duplicate
radius of a kept one is not kept (synthmix.evaluate.memorisation). Writes every drawn image (for the
sample-quality measures), the kept ones (what the classifiers train on), both as
<gan seed>/<class>.npy, and what it took per seed and class."""
import argparse
from pathlib import Path

from synthmix.core import runtime
from synthmix.core.io import save_json, save_npy
from synthmix.core.stage import run
from synthmix.data.store import read_prepared
from synthmix.gan.sample import load_gan, load_generator
from synthmix.judge import load_judge
from synthmix.params import load_params
from synthmix.synth.generate import synthesize_class


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, required=True, help="prepared data directory (class names, validation split)")
    ap.add_argument("--gans", type=Path, required=True, help="directory of refined <gan seed>/<class>.pt checkpoints")
    ap.add_argument("--judge", type=Path, required=True, help="judge checkpoint")
    ap.add_argument("--raw", type=Path, required=True, help="directory for every drawn <gan seed>/<class>.npy")
    ap.add_argument("--out", type=Path, required=True, help="directory for the kept <gan seed>/<class>.npy images")
    ap.add_argument("--metrics", type=Path, required=True, help="per seed and class: draws, the filter's pass rate, "
                    "kept (JSON)")
    args = ap.parse_args()
    params = load_params()
    rule, gen_p = params.filter, params.generate
    device = runtime.setup(params.runtime)
    data = read_prepared(args.data)
    judge = load_judge(args.judge, device)
    per_seed: dict[str, dict] = {}
    for g in params.gan.seeds:
        per_class = per_seed[str(g)] = {}
        for label, name in enumerate(data.class_names):
            G = load_generator(load_gan(args.gans / str(g) / f"{name}.pt"), device)
            result = synthesize_class(G, judge, label, data.train[name], data.val_images[data.val_labels == label],
                                      rule, gen_p, runtime.seed_for(gen_p.seed, "generate", name, str(g)), device)
            save_npy(args.raw / str(g) / f"{name}.npy", result.drawn)
            save_npy(args.out / str(g) / f"{name}.npy", result.kept)
            per_class[name] = result.stats
            if not result.stats["reached"]:
                print(f"warning: class {name!r}, GAN seed {g}: {result.stats['kept']} of the {gen_p.per_class} wanted "
                      f"images passed the filter in {result.stats['drawn']} draws (generate.max_draws)")
    stats = [c for per_class in per_seed.values() for c in per_class.values()]
    drawn, passed, kept = (sum(c[k] for c in stats) for k in ("drawn", "passed", "kept"))
    save_json(args.metrics, {"mode": rule.mode, "quantile": rule.quantile, "fraction": rule.fraction,
                             "threshold": rule.threshold, "judge": judge.calibration,
                             "target_per_class": gen_p.per_class, "max_draws": gen_p.max_draws, "gan_seeds": params.gan.seeds,
                             "drawn": drawn, "passed": passed, "acceptance": passed / max(drawn, 1), "kept": kept,
                             "per_seed": per_seed})
    print(f"synthesize: kept {kept} of {drawn} drawn ({rule.mode} filter) over {len(per_seed)} GAN seed(s); "
          f"fewest kept in a class: {min(c['kept'] for c in stats)}")


if __name__ == "__main__":
    run(main)
