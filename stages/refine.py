"""Stage refine: classifier-guided refinement of every class's GAN (refine.rounds rounds).

With refine.rounds = 0 each checkpoint is copied unchanged (byte-identical, so nothing downstream
re-runs). Its own stage, so the filter settings it uses never retrain the base GANs.
"""
import argparse
import shutil
from pathlib import Path

from synthmix.core import runtime
from synthmix.core.io import atomic_path, load_json, save_json
from synthmix.core.stage import run
from synthmix.data.store import read_prepared
from synthmix.gan.sample import load_gan, write_gan
from synthmix.judge import load_judge
from synthmix.params import load_params
from synthmix.synth.filter import class_cut
from synthmix.synth.refine import refine_class


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
    log = {"rounds": params.refine.rounds, "filter_mode": params.filter.mode, "per_class": {}}
    if params.refine.rounds == 0:
        for name in load_json(args.data / "meta.json")["classes"]:
            with atomic_path(args.out / f"{name}.pt") as tmp:
                shutil.copyfile(args.gans / f"{name}.pt", tmp)
        save_json(args.metrics, log)
        print("refine: 0 rounds, checkpoints copied unchanged")
        return
    data = read_prepared(args.data)
    judge = load_judge(args.judge, device)
    for label, name in enumerate(data.class_names):
        cut = class_cut(params.filter, judge.confidence(data.val_images[data.val_labels == label], label, device))
        seed = runtime.seed_for(params.refine.seed, "refine", name)
        ckpt, rounds = refine_class(load_gan(args.gans / f"{name}.pt"), data.train[name], judge, label, params.gan,
                                    params.refine, params.filter, cut, seed, device, name=f"class {name!r}",
                                    amp=params.runtime.amp)
        write_gan(args.out / f"{name}.pt", ckpt)
        log["per_class"][name] = rounds
    save_json(args.metrics, log)
    print(f"refine: {params.refine.rounds} round(s) for {len(data.class_names)} classes")


if __name__ == "__main__":
    run(main)
