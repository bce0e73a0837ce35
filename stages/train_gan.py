"""Stage train_gan@<class>-<seed>: train one GAN (GAN seed <seed>, one of gan.seeds) on one class's
real images; save every generator snapshot (taken every gan.eval_every steps: the refine stage
chooses one with the judge, so this stage never reads the judge), the discriminator and samples of
the last snapshot."""
import argparse
import sys
from dataclasses import asdict
from pathlib import Path

import torch

from synthmix.core import runtime
from synthmix.core.images import save_grid
from synthmix.core.io import load_npy, sha256_file
from synthmix.core.resume import Resume, source_hash
from synthmix.core.stage import attach_values, open_run_log, run
from synthmix.gan.sample import sample, save_gan
from synthmix.gan.train import GanRun, class_seed, train_gan
from synthmix.params import load_params


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    # --class and --seed come from dvc.yaml's ${item}, which DVC shell-quotes: any class name a
    # folder can have arrives whole (attach_values: even one that starts with '-')
    ap.add_argument("--class", dest="class_name", required=True, help="class name (one of data.classes)")
    ap.add_argument("--seed", type=int, required=True, help="GAN seed (one of gan.seeds)")
    ap.add_argument("--prepared", type=Path, required=True, help="prepared data directory: train/<class>.npy")
    ap.add_argument("--models", type=Path, required=True, help="directory of GAN checkpoints, <seed>/<class>.pt")
    ap.add_argument("--metrics", type=Path, required=True, help="directory of run logs, <seed>/<class>/ (loss "
                    "curves in dvclive's layout, samples.png)")
    args = ap.parse_args(attach_values(sys.argv[1:], ["--class"]))
    args.images = args.prepared / "train" / f"{args.class_name}.npy"
    args.model = args.models / str(args.seed) / f"{args.class_name}.pt"
    args.metrics = args.metrics / str(args.seed) / args.class_name
    params = load_params()
    device = runtime.setup(params.runtime)
    images = load_npy(args.images)
    p = params.gan.for_image_size(images.shape[1])      # gan.steps 'auto' scales with the image area
    seed = class_seed(args.seed, args.class_name)

    # Resumable state is keyed by everything that determines the result, so a changed param, input
    # or code never resumes stale state; the code is the files this script imports (source_hash)
    resume = Resume.for_item("train_gan", f"{args.class_name}-{args.seed}", p.checkpoint_every,
                             images=sha256_file(args.images), gan=asdict(p), seed=seed, device=str(device),
                             threads=torch.get_num_threads(), runtime=asdict(params.runtime),
                             code=source_hash(Path(__file__)))
    curves = open_run_log(args.metrics)
    result = train_gan(images, p, seed, GanRun(
        device, amp=params.runtime.amp, compile=params.runtime.compile, log=curves.log, resume=resume,
        keep_snapshots=bool(p.eval_every), name=f"class {args.class_name!r}"))
    snapshots = result.info["snapshots"]
    last = max((int(s) for s in snapshots), default=p.steps)
    curves.summary.update(steps=p.steps, real_images=len(images), snapshots=len(snapshots),
                          diverged_at=result.info["diverged_at"])
    curves.end()
    save_gan(args.model, result.G, result.D, result.cfg, last, class_name=args.class_name, snapshots=snapshots)
    save_grid(args.metrics / "samples.png", sample(result.G, 64, seed, device))
    resume.clear()
    print(f"train_gan@{args.class_name}-{args.seed}: {p.steps} steps on {len(images)} images; {len(snapshots)} "
          "snapshot(s) kept for the refine stage's choice")


if __name__ == "__main__":
    run(main)
