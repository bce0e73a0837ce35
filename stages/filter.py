"""Stage filter: keep each synthetic image whose judge confidence for its intended class >= filter.threshold."""
import argparse
from pathlib import Path


from synthmix.core import runtime
from synthmix.core.io import load_json, load_torch, save_json, save_npy
from synthmix.core.stage import run
from synthmix.data.store import read_class_files
from synthmix.params import load_params
from synthmix.synth.filter import judge_confidence, keep_confident
from synthmix.train.loop import load_cnn


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--meta", type=Path, required=True, help="prepared meta.json (class names)")
    ap.add_argument("--synthetic", type=Path, required=True, help="directory of <class>.npy generated images")
    ap.add_argument("--judge", type=Path, required=True, help="judge checkpoint")
    ap.add_argument("--out", type=Path, required=True, help="directory for the kept <class>.npy images")
    ap.add_argument("--metrics", type=Path, required=True, help="acceptance rates (JSON)")
    args = ap.parse_args()
    params = load_params()
    device = runtime.setup(params.runtime)
    classes = load_json(args.meta)["classes"]
    judge = load_cnn(load_torch(args.judge), device)
    generated = read_class_files(args.synthetic, classes)
    per_class = {}
    for label, name in enumerate(classes):  # one batched judge call per class
        confidence = judge_confidence(judge, generated[name], label, device)
        keep = keep_confident(confidence, params.filter.threshold)
        save_npy(args.out / f"{name}.npy", generated[name][keep])
        per_class[name] = {"generated": len(keep), "kept": int(keep.sum()),
                           "acceptance": float(keep.mean()) if len(keep) else 0.0,
                           "mean_confidence": float(confidence.mean()) if len(keep) else 0.0}
    total = sum(c["generated"] for c in per_class.values())
    kept = sum(c["kept"] for c in per_class.values())
    save_json(args.metrics, {"threshold": params.filter.threshold, "acceptance": kept / max(total, 1),
                             "kept": kept, "generated": total, "per_class": per_class})
    rates = ", ".join(f"{n}: {c['acceptance']:.2f}" for n, c in per_class.items())
    print(f"filter: kept {kept}/{total} at threshold {params.filter.threshold} ({rates})")


if __name__ == "__main__":
    run(main)
