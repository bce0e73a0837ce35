"""Stage refine: every class's GAN of every GAN seed gets its snapshot chosen by the judge, then
refine.rounds rounds of classifier-guided refinement (0 = none).

The choice: train_gan keeps every snapshot of the (EMA) generator; here each is sampled from fixed
latents and scored by the Fréchet distance, in the judge's feature space, to the class's real
validation images (gan.select_against), and the lowest wins (synth.choose). It is here, not in
training, so a judge change re-scores snapshots and re-trains no GAN; its own stage, so the filter
settings the refinement uses never retrain the base GANs either.
"""
import argparse
from pathlib import Path

from synthmix.core import runtime
from synthmix.core.io import save_json
from synthmix.core.stage import open_run_log, run
from synthmix.data.store import read_prepared
from synthmix.gan.sample import load_gan, write_gan
from synthmix.judge import load_judge
from synthmix.params import load_params
from synthmix.synth.choose import choose_snapshot, eval_seed, snapshot_reference
from synthmix.synth.filter import class_cut
from synthmix.synth.refine import judge_filter, refine_class


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, required=True, help="prepared data directory")
    ap.add_argument("--gans", type=Path, required=True, help="directory of trained <gan seed>/<class>.pt checkpoints")
    ap.add_argument("--judge", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True, help="directory for chosen (and refined) <gan seed>/<class>.pt")
    ap.add_argument("--choice", type=Path, required=True, help="directory of <gan seed>/<class>/ run logs: the "
                    "snapshot scores (fid_judge) and the chosen step")
    ap.add_argument("--metrics", type=Path, required=True, help="acceptance per GAN seed, class and round (JSON)")
    args = ap.parse_args()
    params = load_params()
    p, seeds = params.gan, params.gan.seeds
    rt = runtime.start(params.runtime)
    device = rt.device
    data = read_prepared(args.data)
    judge = load_judge(args.judge, device)
    log = {"rounds": params.refine.rounds, "filter_mode": params.filter.mode, "per_seed": {}}
    for label, name in enumerate(data.class_names):
        reference = snapshot_reference(data, name, p.select_against)
        cut = (class_cut(params.filter, judge.confidence(data.val_images[data.val_labels == label], label, device))
               if params.refine.rounds else None)
        for g in seeds:
            ckpt, scores = choose_snapshot(load_gan(args.gans / str(g) / f"{name}.pt"), judge, reference,
                                           p.eval_samples, eval_seed(g, name), device)
            steps = p.for_image_size(data.train[name].shape[1]).steps      # 'auto' resolved, for the report
            write_choice(args.choice / str(g) / name, ckpt["step"], scores, steps)
            if params.refine.rounds:
                seed = runtime.seed_for(params.refine.seed, "refine", name, str(g))
                keep = judge_filter(judge, label, params.filter, cut, device)
                ckpt, rounds = refine_class(ckpt, data.train[name], keep, p, params.refine, seed, rt,
                                            name=f"class {name!r}, GAN seed {g}")
                log["per_seed"].setdefault(str(g), {})[name] = rounds
            write_gan(args.out / str(g) / f"{name}.pt", ckpt)
    save_json(args.metrics, log)
    print(f"refine: snapshots chosen, {params.refine.rounds} refinement round(s), for {len(data.class_names)} "
          f"classes x {len(seeds)} GAN seed(s)")


def write_choice(dir: Path, step: int, scores: list[list[float]], steps: int) -> None:
    """The snapshot scores as a curve (fid_judge per step, dvclive's layout), the chosen step and the
    GAN's training budget (`steps`, which the report shows)."""
    curves = open_run_log(dir)
    for s, value in scores:
        curves.log(int(s), {"fid_judge": value})
    best = min((v for s, v in scores if s == step), default=None)
    curves.summary.update(steps=steps, chosen_step=int(step), best_fid_judge=best, snapshots=len(scores))
    curves.end()


if __name__ == "__main__":
    run(main)
