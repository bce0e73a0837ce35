"""Stage train_gan@<class>: train one GAN on one class's real images; save the generator and samples."""
import argparse
from dataclasses import asdict
from pathlib import Path

import torch

from synthmix.core import runtime
from synthmix.core.images import save_grid
from synthmix.core.io import load_npy, save_torch, sha256_file
from synthmix.core.resume import Resume, source_hash
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

    # Resumable state is keyed by everything that determines the result, so a changed param, input
    # or code never resumes stale state.
    resume = Resume.for_item("train_gan", args.class_name, params.gan.checkpoint_every,
                             images=sha256_file(args.images), gan=asdict(params.gan), seed=seed,
                             device=str(device), threads=torch.get_num_threads(), runtime=asdict(params.runtime),
                             code=source_hash("gan", "models", "core"))
    live = open_live(args.metrics)
    G, cfg = train_gan(images, params.gan, seed, device, log=live_logger(live), resume=resume,
                       amp=params.runtime.amp, compile=params.runtime.compile)
    live.summary["steps"] = params.gan.steps
    live.summary["real_images"] = len(images)
    live.end()
    save_torch(args.model, {"model": G.state_dict(), "config": asdict(cfg), "step": params.gan.steps,
                            "class_name": args.class_name})
    save_grid(args.metrics / "samples.png", sample(G, 64, seed, device))
    resume.clear()
    print(f"train_gan@{args.class_name}: {params.gan.steps} steps on {len(images)} images")


if __name__ == "__main__":
    run(main)
