"""Stage train_gan@<class>-<seed>: train one GAN (GAN seed <seed>, one of gan.seeds) on one class's
real images, from scratch or, with gan.base_steps > 0, from the shared base GAN of its seed
(train_gan_base) with D's first gan.freeze_d_blocks blocks frozen; save every generator snapshot
(taken every gan.eval_every steps: the refine stage chooses one with the judge, so this stage never
reads the judge), the discriminator and samples of the last snapshot."""
import argparse
import sys
from dataclasses import asdict
from pathlib import Path

import torch

from synthmix.core import runtime
from synthmix.core.images import save_grid
from synthmix.core.io import load_json, load_npy, sha256_file
from synthmix.core.resume import Resume, source_hash
from synthmix.core.stage import attach_values, open_run_log, run
from synthmix.gan.sample import load_gan, sample, save_gan
from synthmix.gan.train import GanRun, base_init, class_seed, train_gan
from synthmix.params import load_params


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__)
    # --class and --seed come from dvc.yaml's ${item}, which DVC shell-quotes: any class name a
    # folder can have arrives whole (attach_values: even one that starts with '-')
    ap.add_argument("--class", dest="class_name", required=True, help="class name (one of data.classes)")
    ap.add_argument("--seed", type=int, required=True, help="GAN seed (one of gan.seeds)")
    ap.add_argument("--prepared", type=Path, required=True, help="prepared data directory: train/<class>.npy")
    ap.add_argument("--base", type=Path, required=True, help="directory of base GANs, <seed>/base.json (and "
                    "base.pt when gan.base_steps > 0)")
    ap.add_argument("--models", type=Path, required=True, help="directory of GAN checkpoints, <seed>/<class>.pt")
    ap.add_argument("--metrics", type=Path, required=True, help="directory of run logs, <seed>/<class>/ (loss "
                    "curves in dvclive's layout, samples.png)")
    args = ap.parse_args(attach_values(sys.argv[1:], ["--class"]))
    args.images = args.prepared / "train" / f"{args.class_name}.npy"
    args.model = args.models / str(args.seed) / f"{args.class_name}.pt"
    args.metrics = args.metrics / str(args.seed) / args.class_name
    args.base = args.base / str(args.seed)
    return args


def main() -> None:
    args = parse_args()
    params = load_params()
    rt = runtime.start(params.runtime)
    images = load_npy(args.images)
    p = params.gan.for_image_size(images.shape[1])      # gan.steps 'auto' scales with the image area
    seed = class_seed(args.seed, args.class_name)
    base_steps = load_json(args.base / "base.json")["base_steps"]
    base_files = [args.base / "base.json"] + ([args.base / "base.pt"] if base_steps else [])

    # Resumable state is keyed by everything that determines the result, so a changed param, input
    # or code never resumes stale state; the code is the files this script imports (source_hash)
    resume = Resume.for_item("train_gan", f"{args.class_name}-{args.seed}", p.checkpoint_every,
                             images=sha256_file(args.images), base=[sha256_file(f) for f in base_files],
                             gan=asdict(p), seed=seed, device=str(rt.device), threads=torch.get_num_threads(),
                             runtime=asdict(params.runtime), code=source_hash(Path(__file__)))
    curves = open_run_log(args.metrics)
    result = train_gan(images, p, seed, rt.with_log(curves.log), GanRun(
        resume=resume, keep_snapshots=bool(p.eval_every), name=f"class {args.class_name!r}",
        init=base_init(load_gan(base_files[1])) if base_steps else None,
        freeze_d_blocks=p.freeze_d_blocks if base_steps else 0))
    snapshots = result.info["snapshots"]
    last = max((int(s) for s in snapshots), default=p.steps)
    curves.summary.update(steps=p.steps, real_images=len(images), snapshots=len(snapshots),
                          diverged_at=result.info["diverged_at"], **({"base_steps": base_steps} if base_steps else {}))
    curves.end()
    save_gan(args.model, result.G, result.D, result.cfg, last, class_name=args.class_name, snapshots=snapshots)
    save_grid(args.metrics / "samples.png", sample(result.G, 64, seed, rt.device))
    resume.clear()
    start = f"from the base ({base_steps} steps) " if base_steps else ""
    print(f"train_gan@{args.class_name}-{args.seed}: {p.steps} steps {start}on {len(images)} images; {len(snapshots)} "
          "snapshot(s) kept for the refine stage's choice")


if __name__ == "__main__":
    run(main)
