"""Stage evaluate: every classifier variant on the real, untouched test split: classification
metrics, calibration (ECE), and accuracy under each corruption type at each level (robustness).

The corrupted test sets are computed once, vectorised and seeded, and shared by every variant."""
import argparse
from pathlib import Path

from synthmix.core import runtime
from synthmix.core.images import to_model
from synthmix.core.io import load_torch, save_json, write_bytes
from synthmix.core.stage import run
from synthmix.data.store import read_prepared
from synthmix.evaluate.corruptions import corrupt
from synthmix.evaluate.metrics import classification_metrics, expected_calibration_error, failure_level
from synthmix.params import CORRUPTION_KINDS as KINDS
from synthmix.params import load_params, variant_names
from synthmix.train.loop import load_cnn, predict_logits


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, required=True, help="prepared data directory")
    ap.add_argument("--models", type=Path, required=True, help="directory of <variant>.pt classifiers")
    ap.add_argument("--out", type=Path, required=True, help="directory for <variant>.json and confusion/")
    args = ap.parse_args()
    params = load_params()
    device = runtime.setup(params.runtime)
    data = read_prepared(args.data)
    x = to_model(data.test_images, device)          # converted once, shared by every variant
    y = data.test_labels
    r = params.robustness
    corrupted = {kind: {level: to_model(corrupt(data.test_images, kind, level,
                                                runtime.seed_for(r.seed, "corrupt", kind, str(level))), device)
                        for level in sorted(r.levels)} for kind in r.kinds}
    for variant in variant_names(params.mix):     # exactly the declared variants, never stale files
        model = load_cnn(load_torch(args.models / f"{variant}.pt"), device)
        probs = predict_logits(model, x).softmax(1)
        pred = probs.argmax(1).cpu().numpy()
        m = classification_metrics(y, pred, data.class_names)
        m["ece"] = expected_calibration_error(probs.max(1).values.cpu().numpy(), pred == y)
        curves = {kind: {level: float((predict_logits(model, xc).argmax(1).cpu().numpy() == y).mean())
                         for level, xc in levels.items()} for kind, levels in corrupted.items()}
        m["robustness"] = {kind: {str(level): acc for level, acc in curve.items()} for kind, curve in curves.items()}
        m["failure_level"] = {kind: failure_level(curve, m["accuracy"], r.failure_fraction)
                              for kind, curve in curves.items()}
        save_json(args.out / f"{variant}.json", {"variant": variant, "test_images": int(len(y)), **m})
        # accuracy against corruption level, one column per type, for `dvc plots`
        table = "level\t" + "\t".join(KINDS) + "\n" + "".join(
            f"{level}\t" + "\t".join(f"{curves[k][level]:.6f}" if k in curves else "" for k in KINDS) + "\n"
            for level in sorted(r.levels))
        write_bytes(args.out / "robustness" / f"{variant}.tsv", table.encode())
        # one row per test image, read by `dvc plots` with the confusion template
        rows = "actual,predicted\n" + "".join(f"{data.class_names[a]},{data.class_names[b]}\n"
                                              for a, b in zip(y, pred))
        write_bytes(args.out / "confusion" / f"{variant}.csv", rows.encode())
        fails = ", ".join(f"{k} {v}" for k, v in m["failure_level"].items() if v is not None) or "none"
        print(f"evaluate {variant}: accuracy {m['accuracy']:.4f}, macro F1 {m['f1_macro']:.4f}, "
              f"ECE {m['ece']:.4f}; fails at: {fails}")


if __name__ == "__main__":
    run(main)
