"""Stage evaluate: every classifier's measurements (scored once by the stage that trained it)
aggregated over replicates: mean +- std, the budget check, each variant against its baseline (`augmented`
for an augmented mix, `real` for the others) replicate by replicate (mean difference, 1 - evaluate.alpha
interval, paired t-test, Holm over the variants, the smallest detectable difference), the real-data
learning curve and each variant's worth in real images (worth.json), train-on-real / test-on-synthetic,
the files `dvc plots` draws, and SmoothGrad x input saliency maps of `real` and the best mix."""
import argparse
from pathlib import Path

import numpy as np

from synthmix.core import runtime
from synthmix.core.images import save_grid
from synthmix.core.io import load_json, save_json, write_bytes
from synthmix.core.stage import run
from synthmix.data.store import read_class_files, read_prepared
from synthmix.evaluate.aggregate import compare_paired, evaluate_variants, mean_nested
from synthmix.evaluate.saliency import saliency_figure
from synthmix.evaluate.score import accuracy_per_class
from synthmix.evaluate.tables import confusion_csv
from synthmix.evaluate.worth import learning_curve, worth_in_real
from synthmix.models.cnn import load_cnn
from synthmix.params import load_params
from synthmix.replicates import gan_seed
from synthmix.variants import all_variants, more_real_variants


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, required=True, help="prepared data directory")
    ap.add_argument("--runs", type=Path, required=True, help="directory of <variant>/<replicate>/scores.json")
    ap.add_argument("--models", type=Path, required=True, help="directory of <variant>/<replicate>.pt classifiers")
    ap.add_argument("--synthetic", type=Path, required=True, help="filtered synthetic images, <gan seed>/<class>.npy")
    ap.add_argument("--out", type=Path, required=True, help="directory for <variant>.json and the plot files")
    args = ap.parse_args()
    params = load_params()
    device = runtime.setup(params.runtime)
    data = read_prepared(args.data)
    classes, replicates, y = data.class_names, range(params.classifier.replicates), data.test_labels
    load = lambda v, s: load_cnn(args.models / v / f"{s}.pt", device)  # noqa: E731
    variants = all_variants(params.mix.ratios, params.mix.augmented)
    read_runs = lambda v: [load_json(args.runs / v / str(s) / "scores.json") for s in replicates]  # noqa: E731
    runs = {v.name: read_runs(v.name) for v in variants}  # exactly the declared variants and replicates, never stale files
    results = evaluate_variants(runs, y, params.evaluate.alpha, params.robustness.failure_fraction)
    worth = evaluate_worth(args.runs, params, data, runs, results, read_runs)
    save_json(args.out / "worth.json", worth)
    fakes = {g: read_class_files(args.synthetic / str(g), classes) for g in params.gan.seeds}
    trts = [accuracy_per_class(load("real", s), fakes[gan_seed(s, params.gan.seeds)], classes, device)
            for s in replicates]
    if trts[0] is not None:      # train on real, test on synthetic (replicate s on its GAN seed's images)
        results["real"]["synthetic_accuracy"] = mean_nested(trts)
    for v, m in results.items():
        save_json(args.out / f"{v}.json", m)
        write_bytes(args.out / "confusion" / f"{v}.csv",
                    confusion_csv([r["predictions"] for r in runs[v]], y, classes).encode())
        vs = m.get("vs_baseline")
        print(f"evaluate {v}: accuracy {m['accuracy']:.4f} +- {m['accuracy_std']:.4f} over {len(replicates)} "
              f"replicate(s) at {m['budget']['steps']} steps" + ("" if not vs else (
                  f"; vs {vs['baseline']} {signed(vs['diff'])}" + (f" [{signed(vs['ci_low'])}, {signed(vs['ci_high'])}]"
                                                    if vs["ci_low"] is not None else "")
                  + f", p = {vs['p_value']:.3g} (Holm {vs['p_adjusted']:.3g})")))
    save_saliency(args.out, results, data, load, params.evaluate.saliency_per_class, device)


def evaluate_worth(runs_dir: Path, params, data, runs: dict[str, list[dict]], results: dict[str, dict],
                   read_runs) -> dict:
    """The real-data learning curve (real and each trained real_<n>) and every tested variant's
    worth in real images per class (synthmix.evaluate.worth); a real_<n> the data could not fill is
    listed with its reason."""
    trained, skipped = {}, []
    for v in more_real_variants(params.data.more_real):
        marker = runs_dir / v.name / "skipped.json"
        if marker.exists():
            skipped.append(load_json(marker)["skipped"])
        else:
            trained[v.count] = read_runs(v.name)
    y, alpha = data.test_labels, params.evaluate.alpha
    scarce = float(np.mean(list(data.meta["counts"]["train"].values())))     # per class (the mean if imbalanced)
    curve = learning_curve(runs["real"], scarce, trained, alpha, len(y)) if trained else None
    # against real for every variant: an augmented mix's test is against augmented, so it is computed anew
    vs_real = {v: results[v]["vs_baseline"] if results[v]["vs_baseline"]["baseline"] == "real"
               else compare_paired(r, runs["real"], y, alpha, 1) for v, r in runs.items() if v != "real"}
    return worth_in_real(curve, vs_real, skipped)


def signed(x: float) -> str:
    """+0.0123; a difference that rounds to zero reads +0.0000, never -0.0000."""
    return f"{x + 0.0:+.4f}".replace("-0.0000", "+0.0000")


def save_saliency(out: Path, results: dict, data, load, per_class: int, device) -> None:
    """saliency.png (absent with no image to show) and saliency.json: saliency_figure."""
    panel, info = saliency_figure({v: r["accuracy"] for v, r in results.items()}, data.test_images,
                                  data.test_labels, len(data.class_names), load, per_class, device)
    if panel is not None:
        save_grid(out / "saliency.png", panel, nrow=(1 + len(info["variants"])) * per_class)
    save_json(out / "saliency.json", info)


if __name__ == "__main__":
    run(main)
