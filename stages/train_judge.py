"""Stage train_judge: a CNN trained on the real training images; the epoch with best val accuracy is kept."""
import argparse
from dataclasses import asdict
from pathlib import Path

from synthmix.core import runtime
from synthmix.core.io import save_torch
from synthmix.core.stage import live_logger, open_live, run
from synthmix.data.store import read_prepared
from synthmix.params import load_params
from synthmix.train.loop import fit


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, required=True, help="prepared data directory")
    ap.add_argument("--model", type=Path, required=True, help="judge checkpoint to write")
    ap.add_argument("--metrics", type=Path, required=True, help="dvclive directory")
    args = ap.parse_args()
    params = load_params()
    device = runtime.setup(params.runtime)
    data = read_prepared(args.data)
    images, labels = data.train_arrays()
    live = open_live(args.metrics)
    model, cfg, info = fit(images, labels, data.val_images, data.val_labels, len(data.class_names),
                           params.judge, runtime.seed_for(params.judge.seed, "judge"), device,
                           log=live_logger(live), amp=params.runtime.amp, compile=params.runtime.compile)
    live.summary.update(info)
    live.end()
    save_torch(args.model, {"model": model.state_dict(), "config": asdict(cfg), "step": info["best_epoch"],
                            "classes": data.class_names})
    print(f"train_judge: best val accuracy {info['best_val_acc']:.3f} at epoch {info['best_epoch']}")


if __name__ == "__main__":
    run(main)
