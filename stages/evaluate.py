"""Stage evaluate: every classifier variant on the real, untouched test split."""
import argparse
from pathlib import Path

from synthmix.core import runtime
from synthmix.core.images import to_model
from synthmix.core.io import load_torch, save_json, write_bytes
from synthmix.core.stage import run
from synthmix.data.store import read_prepared
from synthmix.evaluate.metrics import classification_metrics
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
    for variant in variant_names(params.mix):     # exactly the declared variants, never stale files
        model = load_cnn(load_torch(args.models / f"{variant}.pt"), device)
        pred = predict_logits(model, x).argmax(1).cpu().numpy()
        m = classification_metrics(y, pred, data.class_names)
        save_json(args.out / f"{variant}.json", {"variant": variant, "test_images": int(len(y)), **m})
        # one row per test image, read by `dvc plots` with the confusion template
        rows = "actual,predicted\n" + "".join(f"{data.class_names[a]},{data.class_names[b]}\n"
                                              for a, b in zip(y, pred))
        write_bytes(args.out / "confusion" / f"{variant}.csv", rows.encode())
        print(f"evaluate {variant}: accuracy {m['accuracy']:.4f}, macro F1 {m['f1_macro']:.4f}")


if __name__ == "__main__":
    run(main)
