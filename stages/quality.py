"""Stage quality: how good are the synthetic images, per class and overall?

All in the judge's feature space (trained on this project's real data, so no download), against
the real *test* images, which no GAN saw:
  FID / KID                Fréchet and kernel distances (lower is closer to real)
  inception score          exp E KL(p(y|x) || p(y)) of the judge's predictions, all classes pooled
  precision / recall       k-NN manifold overlap: realism / variety
  density / coverage       the same, robust to outliers
  detectability            a small CNN trained to tell real from synthetic, scored on held-out
                           images (balanced accuracy: 0.5 = indistinguishable)
for the raw generated images and for the filtered ones the classifiers train on, next to a
reference: the real training images against the same test images (what "as good as real" scores).
"""
import argparse
from pathlib import Path

import numpy as np

from synthmix.core import runtime
from synthmix.core.images import to_model
from synthmix.core.io import load_torch, save_json
from synthmix.core.stage import run
from synthmix.data.store import read_class_files, read_prepared
from synthmix.evaluate.detect import detectability
from synthmix.evaluate.quality import inception_score, sample_quality
from synthmix.gan.select import embed
from synthmix.params import load_params
from synthmix.train.loop import load_cnn, predict_logits


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, required=True, help="prepared data directory")
    ap.add_argument("--raw", type=Path, required=True, help="generated <class>.npy directory")
    ap.add_argument("--filtered", type=Path, required=True, help="filtered <class>.npy directory")
    ap.add_argument("--judge", type=Path, required=True, help="judge checkpoint (the feature space)")
    ap.add_argument("--out", type=Path, required=True, help="quality metrics (JSON)")
    args = ap.parse_args()
    params = load_params()
    q = params.quality
    device = runtime.setup(params.runtime)
    data = read_prepared(args.data)
    classes = data.class_names
    judge = load_cnn(load_torch(args.judge), device)
    sets = {"raw": read_class_files(args.raw, classes), "filtered": read_class_files(args.filtered, classes)}
    real_fit = {c: np.concatenate([data.train[c], data.val_images[data.val_labels == i]])
                for i, c in enumerate(classes)}
    feats = {name: {c: embed(judge, images[c], device) for c in classes} for name, images in
             (("real_train", data.train), *sets.items())}
    test = {c: data.test_images[data.test_labels == i] for i, c in enumerate(classes)}
    test_feats = {c: embed(judge, test[c], device) for c in classes}
    per_class = {}
    for c in classes:
        per_class[c] = {name: sample_quality(test_feats[c], feats[name][c], q.k) for name in feats}
        per_class[c]["detectability"] = detectability(
            real_fit[c], sets["filtered"][c], test[c], q.detector_width, q.detector_epochs,
            runtime.seed_for(q.seed, "detect", c), device)
    pooled = lambda fs: np.concatenate([fs[c] for c in classes])  # noqa: E731
    overall = {name: sample_quality(pooled(test_feats), pooled(feats[name]), q.k) for name in feats}
    accuracies = [d["accuracy"] for d in (per_class[c]["detectability"] for c in classes) if d]
    overall["detectability"] = {"accuracy": float(np.mean(accuracies))} if accuracies else None
    pooled_images = {"real_test": data.test_images, "real_train": np.concatenate(list(data.train.values())),
                     **{name: np.concatenate(list(images.values())) for name, images in sets.items()}}
    scores = {name: inception_score(predict_logits(judge, to_model(x, device)).softmax(1).cpu().numpy())
              if len(x) else None for name, x in pooled_images.items()}
    save_json(args.out, {"feature_space": "judge penultimate layer", "reference": "real test images",
                         "k": q.k, "overall": overall, "inception_score": scores, "per_class": per_class})
    for name in feats:
        s = overall[name]
        print(f"quality {name}: " + (f"FID {s['fid']:.3f}, KID {s['kid']:.4f}, precision {s['precision']:.3f}, "
                                     f"recall {s['recall']:.3f}" if s else "too few images"))
    print("quality: judge inception score " + ", ".join(f"{n} {v:.3f}" for n, v in scores.items() if v is not None))
    if overall["detectability"]:
        print(f"quality: real-vs-synthetic detector accuracy {overall['detectability']['accuracy']:.3f} "
              "(0.5 = indistinguishable)")


if __name__ == "__main__":
    run(main)
