"""Stage train_gan@<class>-<seed>: train one GAN (GAN seed <seed>, one of gan.seeds) on one class's
real images; save the chosen generator snapshot (scored by Fréchet distance in the judge's feature
space against the class's validation images, gan.select_against), the discriminator and samples."""
import argparse
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from synthmix.core import runtime
from synthmix.core.images import save_grid
from synthmix.core.io import load_json, load_npy, sha256_array, sha256_file
from synthmix.core.resume import Resume, source_hash
from synthmix.core.stage import attach_values, open_run_log, run
from synthmix.gan.sample import sample, save_gan
from synthmix.gan.train import GanRun, train_gan
from synthmix.judge import fid_scorer, load_judge
from synthmix.params import load_params


def class_validation(prepared: Path, class_name: str) -> np.ndarray:
    """The class's real validation images, uint8 (n, H, W, C): no GAN trains on them, so a snapshot
    that reproduces its training images gains nothing against them."""
    label = load_json(prepared / "meta.json")["classes"].index(class_name)
    images = load_npy(prepared / "val_images.npy")[load_npy(prepared / "val_labels.npy") == label]
    if len(images) < 2:
        raise ValueError(f"class {class_name!r} has {len(images)} validation image(s): scoring GAN snapshots against "
                         "them needs at least 2; raise data.val_per_class or set gan.select_against: train")
    return images


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    # --class and --seed come from dvc.yaml's ${item}, which DVC shell-quotes: any class name a
    # folder can have arrives whole (attach_values: even one that starts with '-')
    ap.add_argument("--class", dest="class_name", required=True, help="class name (one of data.classes)")
    ap.add_argument("--seed", type=int, required=True, help="GAN seed (one of gan.seeds)")
    ap.add_argument("--prepared", type=Path, required=True, help="prepared data directory: train/<class>.npy, "
                    "meta.json and the validation split (the class's validation images score the snapshots)")
    ap.add_argument("--judge", type=Path, required=True, help="judge checkpoint (features for scoring and warm-up)")
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
    seed = runtime.seed_for(args.seed, "gan", args.class_name)

    # Resumable state is keyed by everything that determines the result, so a changed param, input
    # or code never resumes stale state.
    reference = images if p.select_against == "train" else class_validation(args.prepared, args.class_name)
    resume = Resume.for_item("train_gan", f"{args.class_name}-{args.seed}", p.checkpoint_every,
                             images=sha256_file(args.images), judge=sha256_file(args.judge), gan=asdict(p), seed=seed,
                             reference=sha256_array(reference),
                             device=str(device), threads=torch.get_num_threads(), runtime=asdict(params.runtime),
                             code=source_hash("gan", "models", "core", "evaluate/frechet.py", "judge.py"))
    judge = load_judge(args.judge, device)
    eval_seed = runtime.seed_for(seed, "eval")
    score = fid_scorer(judge, reference, lambda G: sample(G, p.eval_samples, eval_seed, device), device)
    curves = open_run_log(args.metrics)
    result = train_gan(images, p, seed, GanRun(
        device, amp=params.runtime.amp, compile=params.runtime.compile, log=curves.log, resume=resume,
        score=score if p.eval_every else None, features=judge.model.embed, name=f"class {args.class_name!r}"))
    for step, value in result.info["scores"]:   # the checkpoint-score curve, next to the losses
        curves.log(step, {"fid_judge": value})
    curves.summary.update(steps=p.steps, real_images=len(images), chosen_step=result.info["chosen_step"],
                          best_fid_judge=result.info["best_score"], diverged_at=result.info["diverged_at"])
    curves.end()
    save_gan(args.model, result.G, result.D, result.cfg, result.info["chosen_step"], class_name=args.class_name)
    save_grid(args.metrics / "samples.png", sample(result.G, 64, seed, device))
    resume.clear()
    best = result.info["best_score"]
    print(f"train_gan@{args.class_name}-{args.seed}: {p.steps} steps on {len(images)} images; kept step "
          f"{result.info['chosen_step']}" + (f" (Fréchet distance {best:.3f} in judge features)" if best is not None else ""))


if __name__ == "__main__":
    run(main)
