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
from synthmix.classifier.train import fit
from synthmix.core.runtime import Runtime
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


@dataclass(frozen=True)
class SyntheticImages:
    """A synthetic or mix variant's synthetic images and the rules they join the real ones by
    (synthmix.mix); a real-only variant has none, and so reads neither key."""
    images: dict[str, np.ndarray]      # class -> uint8 (n, H, W, C) of this replicate's GAN seed
    mix_mode: str                      # mix.mode
    min_unique: int                    # filter.min_unique


def train_replicate(variant: Variant, replicate: int, data: Prepared, synthetic: SyntheticImages | None,
                    p: ClassifierParams, augment: AugmentParams, rt: Runtime) -> Replicate:
    """Train replicate `replicate` of `variant` on its training set (synthmix.mix; `synthetic`: the
    images of this replicate's GAN seed, None for a real-only variant), at the budget of the real
    training set."""
    seed = classifier_seed(p.seed, replicate)
    classes = data.class_names
    # without synthetic images the mixing rules never apply (training_set refuses a variant that needs them)
    images, labels, counts = (
        training_set(variant, data.train, None, classes, None, None, seed) if synthetic is None else
        training_set(variant, data.train, synthetic.images, classes, synthetic.mix_mode, synthetic.min_unique, seed))
    steps = p.budget(sum(len(data.train[c]) for c in classes), images.shape[1])     # of the real set: every variant
    augment_fn = (lambda x, gen: augment_batch(x, augment, gen)) if variant.augments else None
    model, cfg, info = fit((images, labels), (data.val_images, data.val_labels), len(classes), p, steps, seed, rt,
                           augment=augment_fn)
    return Replicate(model, cfg, info | {"train_images": int(len(images))}, counts)
