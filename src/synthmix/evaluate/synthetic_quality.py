"""How good are the synthetic images, per class and overall (the `quality` stage)?

All in the judge's feature space (trained on this project's real data, so no download), against
the real *test* images, which no GAN saw:
  FID / KID                Fréchet and kernel distances (lower is closer to real; KID with its
                           std over subsets)
  inception score          exp E KL(p(y|x) || p(y)) of the judge's predictions, all classes pooled
  precision / recall       k-NN manifold overlap: realism / variety
  density / coverage       the same, robust to outliers
  detectability            a small CNN trained to tell real from synthetic, scored on held-out
                           images (balanced accuracy: 0.5 = indistinguishable)
for unfiltered draws and for the filtered images the classifiers train on, next to a reference:
the real training images against the same test images (what "as good as real" scores).
"""
from __future__ import annotations

import numpy as np
import torch

from synthmix.core.seeds import seed_for
from synthmix.data.store import Prepared
from synthmix.evaluate.detect import detectability
from synthmix.evaluate.frechet import frechet_distance
from synthmix.evaluate.quality import inception_score, kid_subsets, sample_quality
from synthmix.judge import Judge
from synthmix.params import QualityParams


def measure_quality(judge: Judge, data: Prepared, raw: dict[str, np.ndarray], filtered: dict[str, np.ndarray],
                    q: QualityParams, device: torch.device) -> dict:
    """raw: unfiltered draws per class; filtered: the kept images per class (uint8 (n, H, W, C))."""
    classes = data.class_names
    sets = {"real_train": data.train, "raw": raw, "filtered": filtered}
    test = {c: data.test_images[data.test_labels == i] for i, c in enumerate(classes)}
    test_feats = {c: judge.embed(test[c], device) for c in classes}
    feats = {name: {c: judge.embed(images[c], device) for c in classes} for name, images in sets.items()}
    per_class = {}
    for i, c in enumerate(classes):
        per_class[c] = {name: sample_quality(test_feats[c], feats[name][c], q.k) for name in feats}
        real_fit = np.concatenate([data.train[c], data.val_images[data.val_labels == i]])
        per_class[c]["detectability"] = detectability(real_fit, filtered[c], test[c], q.detector_width,
                                                      q.detector_epochs, seed_for(q.seed, "detect", c), device)
    pooled = lambda fs: np.concatenate([fs[c] for c in classes])  # noqa: E731
    overall = {name: sample_quality(pooled(test_feats), pooled(feats[name]), q.k) for name in feats}
    accuracies = [d["accuracy"] for d in (per_class[c]["detectability"] for c in classes) if d]
    overall["detectability"] = {"accuracy": float(np.mean(accuracies))} if accuracies else None
    pooled_images = {"real_test": data.test_images, **{name: pooled(images) for name, images in sets.items()}}
    scores = {name: inception_score(judge.probabilities(x, device)) if len(x) else None
              for name, x in pooled_images.items()}
    return {"feature_space": "judge penultimate layer", "reference": "real test images", "k": q.k,
            "images_per_class": {name: {c: int(len(images[c])) for c in classes} for name, images in sets.items()},
            "overall": overall, "inception_score": scores, "per_class": per_class}


def inception_quality(data: Prepared, raw: dict[str, np.ndarray], filtered: dict[str, np.ndarray],
                      device: torch.device) -> dict:
    """The standard FID and KID (Inception-v3 FID features, all classes pooled) of the real training,
    unfiltered and filtered images against the real test images, with the number of images used."""
    from synthmix.evaluate.inception import inception_features, load_fid_inception

    net = load_fid_inception(device)
    real = inception_features(net, data.test_images, device)
    out: dict = {"feature_space": "Inception-v3 pool features (FID weights pt_inception-2015-12-05), images "
                                  "resized to 299x299, grayscale repeated to 3 channels",
                 "reference": "real test images"}
    for name, images in (("real_train", data.train), ("raw", raw), ("filtered", filtered)):
        fake = inception_features(net, np.concatenate([images[c] for c in data.class_names]), device)
        if len(fake) < 2:
            out[name] = None
            continue
        kid, kid_std = kid_subsets(real, fake)
        out[name] = {"fid": frechet_distance(real, fake), "kid": kid, "kid_std": kid_std,
                     "n_real": int(len(real)), "n_synthetic": int(len(fake))}
    return out
