"""One replicate of one classifier variant: its training set, its seed, its equal budget, trained.

Replicate s of every variant starts from the same weights and seed
(`synthmix.replicates.classifier_seed`) and trains for the same number of optimizer steps
(`CnnParams.budget` of the real training images) on the same schedule, so two variants'
replicate-s classifiers differ in what they were trained on (and in the batch order drawn from it).
A real_<n> variant is given `data` whose `train` is its larger real set, so its budget is that of
its own size (with classifier.steps auto): it is another training set, not another treatment of one.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from synthmix.classifier.augment import augment_batch
from synthmix.classifier.train import LogFn, fit
from synthmix.data.store import Prepared
from synthmix.mix import training_set
from synthmix.models.cnn import CnnConfig
from synthmix.params import AugmentParams, ClassifierParams
from synthmix.replicates import classifier_seed
from synthmix.variants import Variant


@dataclass
class Replicate:
    model: torch.nn.Module
    cfg: CnnConfig
    info: dict                 # best_step, best_val_acc, steps, val_curve [[step, val_acc]], train_images
    counts: dict | None        # per class: real, synthetic, synthetic_wanted, synthetic_unique (None: real only)


def train_replicate(variant: Variant, replicate: int, data: Prepared, synthetic: dict[str, np.ndarray] | None,
                    p: ClassifierParams, augment: AugmentParams, mix_mode: str, min_unique: int,
                    device: torch.device, log: LogFn | None = None, amp: bool = False,
                    compile: bool = False) -> Replicate:
    """Train replicate `replicate` of `variant` on its training set (synthmix.mix; `synthetic`:
    class -> uint8 images of this replicate's GAN seed), at the budget of the real training set."""
    seed = classifier_seed(p.seed, replicate)
    classes = data.class_names
    images, labels, counts = training_set(variant, data.train, synthetic, classes, mix_mode, min_unique, seed)
    steps = p.budget(sum(len(data.train[c]) for c in classes), images.shape[1])     # of the real set: every variant
    augment_fn = (lambda x, gen: augment_batch(x, augment, gen)) if variant.augments else None
    model, cfg, info = fit(images, labels, data.val_images, data.val_labels, len(classes), p, steps, seed, device,
                           augment=augment_fn, log=log, amp=amp, compile=compile)
    return Replicate(model, cfg, info | {"train_images": int(len(images))}, counts)
