"""Stage refine: classifier-guided refinement of every class's GAN of every GAN seed (refine.rounds).

With refine.rounds = 0 each checkpoint is copied unchanged (byte-identical, so nothing downstream
re-runs) without importing torch. Its own stage, so the filter settings it uses never retrain the
base GANs.
"""
import argparse
import shutil
from pathlib import Path

from synthmix.core.io import atomic_path, load_json, save_json
from synthmix.core.stage import run
from synthmix.params import load_params


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, required=True, help="prepared data directory")
    ap.add_argument("--gans", type=Path, required=True, help="directory of base <gan seed>/<class>.pt checkpoints")
    ap.add_argument("--judge", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True, help="directory for refined <gan seed>/<class>.pt checkpoints")
    ap.add_argument("--metrics", type=Path, required=True, help="acceptance per GAN seed, class and round (JSON)")
    args = ap.parse_args()
    params = load_params()
    classes, seeds = load_json(args.data / "meta.json")["classes"], params.gan.seeds
    log = {"rounds": params.refine.rounds, "filter_mode": params.filter.mode, "per_seed": {}}
    if params.refine.rounds == 0:
        for g in seeds:
            for name in classes:
                with atomic_path(args.out / str(g) / f"{name}.pt") as tmp:
                    shutil.copyfile(args.gans / str(g) / f"{name}.pt", tmp)
        save_json(args.metrics, log)
        print("refine: 0 rounds, checkpoints copied unchanged")
        return
    log["per_seed"] = refine_all(args, params, seeds)
    save_json(args.metrics, log)
    print(f"refine: {params.refine.rounds} round(s) for {len(classes)} classes x {len(seeds)} GAN seed(s)")


def refine_all(args, params, seeds: list[int]) -> dict:
    """Every class's generator of every GAN seed refined; returns the per-round acceptance."""
    from synthmix.core import runtime
    from synthmix.data.store import read_prepared
    from synthmix.gan.sample import load_gan, write_gan
    from synthmix.judge import load_judge
    from synthmix.synth.filter import class_cut
    from synthmix.synth.refine import refine_class

    device = runtime.setup(params.runtime)
    data = read_prepared(args.data)
    judge = load_judge(args.judge, device)
    out: dict = {}
    for label, name in enumerate(data.class_names):
        cut = class_cut(params.filter, judge.confidence(data.val_images[data.val_labels == label], label, device))
        for g in seeds:
            seed = runtime.seed_for(params.refine.seed, "refine", name, str(g))
            ckpt, rounds = refine_class(load_gan(args.gans / str(g) / f"{name}.pt"), data.train[name], judge, label,
                                        params.gan, params.refine, params.filter, cut, seed, device,
                                        name=f"class {name!r}, GAN seed {g}", amp=params.runtime.amp)
            write_gan(args.out / str(g) / f"{name}.pt", ckpt)
            out.setdefault(str(g), {})[name] = rounds
    return out


if __name__ == "__main__":
    run(main)
