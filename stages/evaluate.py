"""Stage evaluate: every classifier variant and seed on the real, untouched test split.

Per variant (mean +- std over seeds): classification metrics, calibration (ECE), accuracy under
each corruption type at each level (robustness) with failure levels, accuracy on the filtered
synthetic images (train-on-real / test-on-synthetic for `real`), and the difference against `real`
with its p-value. Also gradient saliency maps of `real` and the best `mix_` classifier.
The corrupted test sets are computed once, vectorised and seeded, and shared by every run."""
import argparse
from pathlib import Path

import numpy as np

from synthmix.core import runtime
from synthmix.core.images import save_grid, to_model
from synthmix.core.io import load_torch, save_json, write_bytes
from synthmix.core.stage import run
from synthmix.data.store import read_class_files, read_prepared
from synthmix.evaluate.corruptions import corrupt
from synthmix.evaluate.runs import aggregate, score_run
from synthmix.evaluate.saliency import gradient_saliency, saliency_panel
from synthmix.params import CORRUPTION_KINDS as KINDS
from synthmix.params import load_params, variant_names
from synthmix.train.loop import load_cnn


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, required=True, help="prepared data directory")
    ap.add_argument("--models", type=Path, required=True, help="directory of <variant>/<seed>.pt classifiers")
    ap.add_argument("--synthetic", type=Path, required=True, help="filtered synthetic directory (<class>.npy)")
    ap.add_argument("--out", type=Path, required=True, help="directory for <variant>.json, confusion/, robustness/")
    args = ap.parse_args()
    params = load_params()
    device = runtime.setup(params.runtime)
    data = read_prepared(args.data)
    classes, seeds, r = data.class_names, params.classifier.seeds, params.robustness
    x, y = to_model(data.test_images, device), data.test_labels       # converted once, shared by every run
    corrupted = {kind: {level: to_model(corrupt(data.test_images, kind, level,
                                                runtime.seed_for(r.seed, "corrupt", kind, str(level))), device)
                        for level in sorted(r.levels)} for kind in r.kinds}
    fake = read_class_files(args.synthetic, classes)
    synthetic = (to_model(np.concatenate(list(fake.values())), device),
                 np.concatenate([np.full(len(v), i) for i, v in enumerate(fake.values())]))
    load = lambda v, s: load_cnn(load_torch(args.models / v / f"{s}.pt"), device)  # noqa: E731
    results, real_runs = {}, None
    for variant in variant_names(params.mix):     # exactly the declared variants and seeds, never stale files
        runs = [score_run(load(variant, s), x, y, classes, corrupted, synthetic) for s in seeds]
        real_runs = real_runs or runs
        m = results[variant] = aggregate(variant, seeds, runs, real_runs, y, r.failure_fraction, params.evaluate.alpha)
        save_json(args.out / f"{variant}.json", m)
        # mean accuracy over seeds against corruption level, one column per type, for `dvc plots`
        table = "level\t" + "\t".join(KINDS) + "\n" + "".join(
            f"{level}\t" + "\t".join(f"{m['robustness'][k][str(level)]:.6f}" if k in m["robustness"] else ""
                                     for k in KINDS) + "\n" for level in sorted(r.levels))
        write_bytes(args.out / "robustness" / f"{variant}.tsv", table.encode())
        # one row per test image and seed, read by `dvc plots` with the confusion template
        rows = "actual,predicted\n" + "".join(f"{classes[a]},{classes[b]}\n"
                                              for run_ in runs for a, b in zip(y, run_["predictions"]))
        write_bytes(args.out / "confusion" / f"{variant}.csv", rows.encode())
        vs = m.get("vs_real")
        print(f"evaluate {variant}: accuracy {m['accuracy']:.4f} +- {m['accuracy_std']:.4f} over {len(seeds)} "
              f"seed(s), ECE {m['ece']:.4f}" + (f"; vs real {vs['accuracy_diff']:+.4f}, p = {vs['p_value']:.3g}"
                                               if vs else ""))

    # saliency of the first seed's `real` and best mix classifiers on the first test images of each class
    mixes = [v for v in results if v.startswith("mix_")]
    shown = ["real"] + ([max(mixes, key=lambda v: (results[v]["accuracy"], v))] if mixes else [])
    n = params.evaluate.saliency_per_class
    pick = np.concatenate([np.flatnonzero(y == i)[:n] for i in range(len(classes))]).astype(np.int64)
    if len(pick):
        maps = [gradient_saliency(load(v, seeds[0]), data.test_images[pick], y[pick], device) for v in shown]
        save_grid(args.out / "saliency.png", saliency_panel(data.test_images[pick], maps), nrow=(1 + len(shown)) * n)
    save_json(args.out / "saliency.json", {"variants": shown, "seed": seeds[0], "per_class": n,
                                           "columns": ["image"] + shown, "test_indices": pick.tolist()})


if __name__ == "__main__":
    run(main)
