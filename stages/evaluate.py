"""Stage evaluate: every classifier's measurements (scored once by the stage that trained it)
aggregated over seeds: mean +- std, each variant against `real` (paired t-test over seeds, McNemar,
Holm-corrected over the variants), train-on-real / test-on-synthetic, the files `dvc plots`
draws, and SmoothGrad saliency maps of `real` and the best mix."""
import argparse
from pathlib import Path

from synthmix.core import runtime
from synthmix.core.images import save_grid
from synthmix.core.io import load_json, save_json, write_bytes
from synthmix.core.stage import run
from synthmix.data.store import read_class_files, read_prepared
from synthmix.evaluate.aggregate import add_holm, aggregate, compare_with_real, mean_nested
from synthmix.evaluate.saliency import images_to_show, saliency_panel, smoothgrad, variants_to_show
from synthmix.evaluate.score import accuracy_per_class
from synthmix.evaluate.tables import confusion_csv
from synthmix.judge import load_cnn
from synthmix.params import load_params
from synthmix.variants import all_variants


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, required=True, help="prepared data directory")
    ap.add_argument("--runs", type=Path, required=True, help="directory of <variant>/<seed>/scores.json")
    ap.add_argument("--models", type=Path, required=True, help="directory of <variant>/<seed>.pt classifiers")
    ap.add_argument("--synthetic", type=Path, required=True, help="filtered synthetic directory (<class>.npy)")
    ap.add_argument("--out", type=Path, required=True, help="directory for <variant>.json and the plot files")
    args = ap.parse_args()
    params = load_params()
    device = runtime.setup(params.runtime)
    data = read_prepared(args.data)
    classes, seeds, y = data.class_names, params.classifier.seeds, data.test_labels
    load = lambda v, s: load_cnn(args.models / v / f"{s}.pt", device)  # noqa: E731
    runs = {v.name: [load_json(args.runs / v.name / str(s) / "scores.json") for s in seeds]
            for v in all_variants(params.mix.ratios)}      # exactly the declared variants and seeds, never stale files
    results = {v: aggregate(v, seeds, r, params.robustness.failure_fraction) for v, r in runs.items()}
    for v, m in results.items():
        if v != "real":
            m["vs_real"] = compare_with_real(runs[v], runs["real"], y)
        m["synthetic_counts"] = runs[v][0]["synthetic_counts"]
    add_holm(results, params.evaluate.alpha)
    fake = read_class_files(args.synthetic, classes)
    trts = [accuracy_per_class(load("real", s), fake, classes, device) for s in seeds]
    if trts[0] is not None:      # train on real, test on synthetic
        results["real"]["synthetic_accuracy"] = mean_nested(trts)
    for v, m in results.items():
        save_json(args.out / f"{v}.json", m)
        write_bytes(args.out / "confusion" / f"{v}.csv",
                    confusion_csv([r["predictions"] for r in runs[v]], y, classes).encode())
        vs = m.get("vs_real")
        print(f"evaluate {v}: accuracy {m['accuracy']:.4f} +- {m['accuracy_std']:.4f} over {len(seeds)} seed(s), "
              f"ECE {m['ece']:.4f}" + (f"; vs real {vs['accuracy_diff']:+.4f}, p = {vs['p_value']:.3g} "
                                       f"(Holm {vs['p_adjusted']:.3g})" if vs else ""))
    save_saliency(args.out, results, data, load, seeds[0], params.evaluate.saliency_per_class, device)


def save_saliency(out: Path, results: dict, data, load, seed: int, per_class: int, device) -> None:
    """SmoothGrad maps of `real` and the best mix (first seed) over the first test images of each class."""
    shown = variants_to_show({v: r["accuracy"] for v, r in results.items()})
    pick = images_to_show(data.test_labels, len(data.class_names), per_class)
    if len(pick):
        images, labels = data.test_images[pick], data.test_labels[pick]
        maps = [smoothgrad(load(v, seed), images, labels, device, seed=seed) for v in shown]
        save_grid(out / "saliency.png", saliency_panel(images, maps), nrow=(1 + len(shown)) * per_class)
    save_json(out / "saliency.json", {"variants": shown, "seed": seed, "per_class": per_class, "method": "SmoothGrad",
                                      "columns": ["image"] + shown, "test_indices": pick.tolist()})


if __name__ == "__main__":
    run(main)
