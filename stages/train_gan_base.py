"""Stage train_gan_base@<seed>: the shared base GAN of GAN seed <seed>, trained for gan.base_steps on
every class's real training images together (unconditional: it learns the strokes, textures and
backgrounds the classes share); each class's GAN (train_gan@<class>-<seed>) starts from it and
fine-tunes on its own class, D's first gan.freeze_d_blocks blocks kept as the base left them.

Out: <out>/base.json (always: the base's steps, 0 = off, and what it trained on) and, when on,
<out>/base.pt (a GAN checkpoint) and <out>/samples.png. Off, the stage imports no torch and writes
the same base.json whatever the data, so the class stages never re-run because of it.
"""
import argparse
from pathlib import Path

from synthmix.core.io import load_npy, save_json
from synthmix.core.stage import run
from synthmix.params import load_params


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seed", type=int, required=True, help="GAN seed (one of gan.seeds)")
    ap.add_argument("--prepared", type=Path, required=True, help="prepared data directory: train/<class>.npy")
    ap.add_argument("--out", type=Path, required=True, help="directory for base.json (and base.pt, samples.png)")
    args = ap.parse_args()
    params = load_params()
    if not params.gan.base_steps:
        save_json(args.out / "base.json", {"base_steps": 0})
        print(f"train_gan_base@{args.seed}: off (gan.base_steps 0): each class's GAN trains from scratch")
        return
    train = {c: load_npy(args.prepared / "train" / f"{c}.npy") for c in params.data.classes}
    info = train_and_save(train, params, args.seed, args.out)
    save_json(args.out / "base.json", info)
    print(f"train_gan_base@{args.seed}: {info['base_steps']} steps on {info['images']} images of "
          f"{len(train)} classes")


def train_and_save(train: dict, params, gan_seed: int, out: Path) -> dict:
    """Train the base on the classes' (n_c, S, S, C) images concatenated; save base.pt and samples.png."""
    import hashlib
    from dataclasses import asdict

    import numpy as np
    import torch

    from synthmix.core import runtime
    from synthmix.core.images import save_grid
    from synthmix.core.resume import Resume, source_hash
    from synthmix.gan.sample import sample, save_gan
    from synthmix.gan.train import GanRun, base_params, base_seed, train_gan

    rt = runtime.start(params.runtime)
    images = np.concatenate(list(train.values()))              # (N, S, S, C), classes in label order
    p, seed = base_params(params.gan), base_seed(gan_seed)
    # keyed by everything that determines the result, as train_gan's (a changed input never resumes)
    resume = Resume.for_item("train_gan_base", str(gan_seed), p.checkpoint_every, classes=list(train),
                             images=hashlib.sha256(images.tobytes()).hexdigest(), gan=asdict(p), seed=seed,
                             device=str(rt.device),
                             threads=torch.get_num_threads(), runtime=asdict(params.runtime),
                             code=source_hash(Path(__file__)))
    result = train_gan(images, p, seed, rt, GanRun(resume=resume, name=f"base GAN of seed {gan_seed}"))
    save_gan(out / "base.pt", result.G, result.D, result.cfg, p.steps, classes=list(train))
    save_grid(out / "samples.png", sample(result.G, 64, seed, rt.device))
    resume.clear()
    return {"base_steps": p.steps, "images": len(images), "classes": list(train),
            "per_class": {c: len(x) for c, x in train.items()}, "diverged_at": result.info["diverged_at"]}


if __name__ == "__main__":
    run(main)
