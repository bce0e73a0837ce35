"""Stage train_gan@<class>: train one GAN on one class's real images; save the generator and samples."""
import argparse
from dataclasses import asdict
from pathlib import Path

from synthmix.core import runtime
from synthmix.core.images import save_grid
from synthmix.core.io import load_npy, save_torch
from synthmix.core.stage import live_logger, open_live, run
from synthmix.gan.train import sample, train_gan
from synthmix.params import load_params


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--class-name", required=True)
    ap.add_argument("--images", type=Path, required=True, help="this class's prepared training images (.npy)")
    ap.add_argument("--model", type=Path, required=True, help="generator checkpoint to write")
    ap.add_argument("--metrics", type=Path, required=True, help="dvclive directory (loss curves, samples.png)")
    args = ap.parse_args()
    params = load_params()
    device = runtime.setup(params.runtime)
    images = load_npy(args.images)
    seed = runtime.seed_for(params.gan.seed, "gan", args.class_name)

    live = open_live(args.metrics)
    G, cfg = train_gan(images, params.gan, seed, device, log=live_logger(live))
    live.summary["steps"] = params.gan.steps
    live.summary["real_images"] = len(images)
    live.end()
    save_torch(args.model, {"model": G.state_dict(), "config": asdict(cfg), "step": params.gan.steps,
                            "class_name": args.class_name})
    save_grid(args.metrics / "samples.png", sample(G, 64, seed, device))
    print(f"train_gan@{args.class_name}: {params.gan.steps} steps on {len(images)} images")


if __name__ == "__main__":
    run(main)
