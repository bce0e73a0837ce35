"""Real-vs-synthetic detectability: can a small CNN tell a class's synthetic images from its real ones?

The detector is trained on real training images against one half of the synthetic images and
scored on images it never saw: the real test split against the other half. The score is balanced
accuracy (mean of the accuracy on real and on synthetic), so 0.5 means indistinguishable whatever
the two sets' sizes, and 1.0 means every image is told apart.
"""
from __future__ import annotations

import numpy as np
import torch

from synthmix.core.images import to_model
from synthmix.core.runtime import Runtime
from synthmix.params import CnnParams
from synthmix.classifier.train import fit
from synthmix.models.cnn import predict_logits


def _split_for_selection(x: np.ndarray, rng: np.random.Generator, fraction: float = 0.2):
    perm = rng.permutation(len(x))
    n_val = max(1, round(fraction * len(x)))
    return x[perm[n_val:]], x[perm[:n_val]]


def detectability(real_train: np.ndarray, fake: np.ndarray, real_test: np.ndarray,
                  width: int, epochs: int, seed: int, device: torch.device) -> dict | None:
    """Balanced test accuracy of a real (0) vs synthetic (1) detector; None when there are too few
    images (fewer than 4 synthetic, or fewer than 2 real on either side)."""
    if len(fake) < 4 or len(real_train) < 2 or len(real_test) < 2:
        return None
    rng = np.random.default_rng(seed)
    fake = fake[rng.permutation(len(fake))]
    fake_train, fake_test = fake[: len(fake) // 2], fake[len(fake) // 2:]
    # equal numbers of each kind in training, so that "always say real" is not a shortcut
    n = min(len(real_train), len(fake_train))
    real_fit, real_val = _split_for_selection(real_train[rng.permutation(len(real_train))[:n]], rng)
    fake_fit, fake_val = _split_for_selection(fake_train[:n], rng)
    images = np.concatenate([real_fit, fake_fit])
    labels = np.concatenate([np.zeros(len(real_fit)), np.ones(len(fake_fit))]).astype(np.int64)
    val_images = np.concatenate([real_val, fake_val])
    val_labels = np.concatenate([np.zeros(len(real_val)), np.ones(len(fake_val))]).astype(np.int64)
    p = CnnParams(width=width, batch_size=32, lr=2e-3, weight_decay=5e-4)
    steps = epochs * -(-len(images) // p.batch_size)           # `epochs` passes over the detector's training set
    # a plain float32, uncompiled run whatever runtime.amp/compile say: a measurement, not a pipeline model
    model, _, _ = fit((images, labels), (val_images, val_labels), 2, p, steps, seed, Runtime(device))
    acc_real = float((predict_logits(model, to_model(real_test, device)).argmax(1) == 0).float().mean())
    acc_fake = float((predict_logits(model, to_model(fake_test, device)).argmax(1) == 1).float().mean())
    return {"accuracy": (acc_real + acc_fake) / 2, "accuracy_real": acc_real, "accuracy_synthetic": acc_fake,
            "train_images": int(len(images)), "test_images": int(len(real_test) + len(fake_test))}
