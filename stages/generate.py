"""Stage generate@<class>: draw generate.per_class images from the class's generator."""
import argparse
from pathlib import Path

from synthmix.core import runtime
from synthmix.core.io import load_torch, save_npy
from synthmix.core.stage import run
from synthmix.gan.train import load_generator, sample
from synthmix.params import load_params


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--class-name", required=True)
    ap.add_argument("--model", type=Path, required=True, help="generator checkpoint")
    ap.add_argument("--out", type=Path, required=True, help="uint8 (N, H, W, C) .npy to write")
    args = ap.parse_args()
    params = load_params()
    device = runtime.setup(params.runtime)
    G = load_generator(load_torch(args.model), device)
    seed = runtime.seed_for(params.generate.seed, "generate", args.class_name)
    images = sample(G, params.generate.per_class, seed, device)
    save_npy(args.out, images)
    print(f"generate@{args.class_name}: {len(images)} images")


if __name__ == "__main__":
    run(main)
