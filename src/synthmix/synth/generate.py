"""Generate until enough: draw from a class's generator until `target` distinct images pass the
filter, or until `max_draws` images were drawn, and record what it took. "Distinct" means not a
near-duplicate: an image within the class's near-duplicate radius (pixel space, calibrated on its
real training images, see synthmix.evaluate.memorisation) of an image already kept is not kept."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

import torch

from synthmix.evaluate.memorisation import flat_pixels, greedy_distinct, near_duplicate_radius
from synthmix.gan.sample import latent_stream
from synthmix.judge import Judge
from synthmix.params import FilterParams, GenerateParams
from synthmix.synth.filter import class_cut, keep_mask

CHUNK = 256   # images drawn per judge call; part of what the draws are (see gan.sample.latent_stream)


@dataclass
class Synthesis:
    kept: np.ndarray       # uint8 (k, H, W, C): distinct images that passed, in draw order, k <= target
    drawn: np.ndarray      # uint8 (n, H, W, C): every image drawn
    stats: dict            # drawn, passed, acceptance (passed / drawn), unique_drawn, kept, target, reached,
                           # cut, mean_confidence, duplicate_radius


def _add_distinct(kept: np.ndarray | None, passed: np.ndarray, radius: float) -> np.ndarray:
    """kept followed by the images of `passed` that are no near-duplicate of a kept one or of an
    earlier one of `passed` (uint8 (n, H, W, C) each)."""
    taken = None if kept is None else flat_pixels(kept)
    new = passed[greedy_distinct(flat_pixels(passed), radius, taken)]
    return new if kept is None else np.concatenate([kept, new])


def generate_until_enough(chunks: Iterator[np.ndarray], confidence: Callable[[np.ndarray], np.ndarray],
                          rule: FilterParams, cut: float | None, target: int, max_draws: int,
                          radius: float = 0.0) -> Synthesis:
    """Draw chunks of images and keep what the filter rule passes until `target` distinct images are
    kept or `max_draws` were drawn.

    chunks: endless uint8 (CHUNK, H, W, C) batches of one class's generator; confidence(images):
    the judge's probability of the class, float (N,). In top mode the number of draws is fixed in
    advance, ceil(target / fraction) capped at max_draws, and the most convincing share of them is
    kept (near-duplicates are dropped after that choice, so top mode may keep fewer than `target`).
    An image within `radius` (pixel space) of a kept image is not kept (0: exact repeats only).
    `unique_drawn` counts the draws that are no near-duplicate of an earlier draw; greedy counts of a
    subset and of the whole need not be ordered, so `kept` may exceed it.
    """
    if rule.mode == "top":
        max_draws = min(max_draws, math.ceil(target / rule.fraction - 1e-9))
    drawn, scores, kept = [], [], None
    n, passed = 0, 0
    while n < max_draws and (rule.mode == "top" or kept is None or len(kept) < target):
        chunk = next(chunks)[:max_draws - n]
        drawn.append(chunk)
        scores.append(confidence(chunk))
        n += len(chunk)
        if rule.mode != "top":
            passing = keep_mask(rule, scores[-1], cut)
            passed += int(passing.sum())
            kept = _add_distinct(kept, chunk[passing], radius)
    images, conf = np.concatenate(drawn), np.concatenate(scores)
    if rule.mode == "top":
        passing = keep_mask(rule, conf, None)
        passed = int(passing.sum())
        kept = _add_distinct(None, images[passing], radius)
    kept = kept[:target]
    # acceptance: the filter's pass rate over what was drawn; `kept` is after near-duplicates and the target
    stats = {"drawn": int(n), "passed": passed, "acceptance": float(passed / n) if n else 0.0,
             "unique_drawn": int(len(greedy_distinct(flat_pixels(images), radius))),
             "kept": int(len(kept)), "target": int(target), "reached": bool(len(kept) >= target), "cut": cut,
             "mean_confidence": float(conf.mean()) if n else 0.0, "duplicate_radius": float(radius)}
    return Synthesis(kept, images, stats)


def synthesize_class(G: torch.nn.Module, judge: Judge, label: int, real_train: np.ndarray, real_val: np.ndarray,
                     rule: FilterParams, p: GenerateParams, seed: int, device: torch.device) -> Synthesis:
    """One class: the filter's cut from the judge's view of the class's real validation images and
    the near-duplicate radius from its real training images (uint8 (n, H, W, C) each), then generate
    until `p.per_class` distinct images pass or `p.max_draws`."""
    cut = class_cut(rule, judge.confidence(real_val, label, device))
    radius = near_duplicate_radius(flat_pixels(real_train)) if len(real_train) >= 2 else 0.0
    chunks = latent_stream(G, seed, device, CHUNK)
    return generate_until_enough(chunks, lambda x: judge.confidence(x, label, device), rule, cut,
                                 p.per_class, p.max_draws, radius)
