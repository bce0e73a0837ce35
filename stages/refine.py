"""Stage refine: classifier-guided refinement of every class's GAN (refine.rounds rounds).

With refine.rounds = 0 each checkpoint is copied unchanged (byte-identical, so nothing downstream
re-runs). Its own stage, so the filter threshold it uses never retrains the base GANs.
"""
import argparse
import shutil
from pathlib import Path

from synthmix.core import runtime
from synthmix.core.io import atomic_path, load_json, load_npy, load_torch, save_json, save_torch
from synthmix.core.stage import run
from synthmix.params import load_params
from synthmix.synth.refine import refine_class
from synthmix.train.loop import load_cnn


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, required=True, help="prepared data directory")
    ap.add_argument("--gans", type=Path, required=True, help="directory of base <class>.pt checkpoints")
    ap.add_argument("--judge", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True, help="directory for refined <class>.pt checkpoints")
    ap.add_argument("--metrics", type=Path, required=True, help="acceptance per class and round (JSON)")
    args = ap.parse_args()
    params = load_params()
    device = runtime.setup(params.runtime)
    classes = load_json(args.data / "meta.json")["classes"]
    log = {"rounds": params.refine.rounds, "threshold": params.filter.threshold, "per_class": {}}
    judge = load_cnn(load_torch(args.judge), device) if params.refine.rounds else None
    for label, name in enumerate(classes):
        src, dst = args.gans / f"{name}.pt", args.out / f"{name}.pt"
        if params.refine.rounds == 0:
            with atomic_path(dst) as tmp:
                shutil.copyfile(src, tmp)
            continue
        seed = runtime.seed_for(params.refine.seed, "refine", name)
        ckpt, rounds = refine_class(load_torch(src), load_npy(args.data / "train" / f"{name}.npy"), judge, label,
                                    params.gan, params.refine, params.filter.threshold, seed, device,
                                    name=f"class {name!r}", amp=params.runtime.amp)
        save_torch(dst, ckpt)
        log["per_class"][name] = rounds
    save_json(args.metrics, log)
    print(f"refine: {params.refine.rounds} round(s) for {len(classes)} classes")


if __name__ == "__main__":
    run(main)
