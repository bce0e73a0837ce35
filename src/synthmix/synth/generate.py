"""Generate until enough: draw from a class's generator until `target` distinct images pass the
filter, or until `max_draws` images were drawn, and record what it took."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

import torch

from synthmix.gan.sample import latent_stream
from synthmix.judge import Judge
from synthmix.params import FilterParams, GenerateParams
from synthmix.synth.filter import class_cut, keep_mask

CHUNK = 256   # images drawn per judge call; part of what the draws are (see gan.sample.latent_stream)


@dataclass
class Synthesis:
    kept: np.ndarray       # uint8 (k, H, W, C): distinct images that passed, in draw order, k <= target
    drawn: np.ndarray      # uint8 (n, H, W, C): every image drawn
    stats: dict            # drawn, unique_drawn, kept, target, reached, acceptance, cut, mean_confidence


def distinct(images: np.ndarray) -> np.ndarray:
    """Indices of the first occurrence of each distinct image, in their original order."""
    if len(images) == 0:
        return np.zeros(0, np.int64)
    _, first = np.unique(images.reshape(len(images), -1), axis=0, return_index=True)
    return np.sort(first)


def generate_until_enough(chunks: Iterator[np.ndarray], confidence: Callable[[np.ndarray], np.ndarray],
                          rule: FilterParams, cut: float | None, target: int, max_draws: int) -> Synthesis:
    """Draw chunks of images and keep what the filter rule passes until `target` distinct images are
    kept or `max_draws` were drawn.

    chunks: endless uint8 (CHUNK, H, W, C) batches of one class's generator; confidence(images):
    the judge's probability of the class, float (N,). In top mode the number of draws is fixed in
    advance, ceil(target / fraction) capped at max_draws, and the most convincing share of them is
    kept. A byte-identical repeat of a kept image is not kept twice.
    """
    if rule.mode == "top":
        max_draws = min(max_draws, math.ceil(target / rule.fraction - 1e-9))
    drawn, scores, kept = [], [], None
    n = 0
    while n < max_draws and (rule.mode == "top" or kept is None or len(kept) < target):
        chunk = next(chunks)[:max_draws - n]
        drawn.append(chunk)
        scores.append(confidence(chunk))
        n += len(chunk)
        if rule.mode != "top":
            passed = chunk[keep_mask(rule, scores[-1], cut)]
            pool = passed if kept is None else np.concatenate([kept, passed])
            kept = pool[distinct(pool)]
    images, conf = np.concatenate(drawn), np.concatenate(scores)
    if rule.mode == "top":
        passed = images[keep_mask(rule, conf, None)]
        kept = passed[distinct(passed)]
    kept = kept[:target]
    stats = {"drawn": int(n), "unique_drawn": int(len(distinct(images))), "kept": int(len(kept)), "target": int(target), "reached": bool(len(kept) >= target),
             "acceptance": float(len(kept) / n) if n else 0.0, "cut": cut,
             "mean_confidence": float(conf.mean()) if n else 0.0}
    return Synthesis(kept, images, stats)


def synthesize_class(G: torch.nn.Module, judge: Judge, label: int, real_val: np.ndarray, rule: FilterParams,
                     p: GenerateParams, seed: int, device: torch.device) -> Synthesis:
    """One class: the filter's cut from the judge's view of the class's real validation images
    (uint8 (n, H, W, C)), then generate until `p.per_class` distinct images pass or `p.max_draws`."""
    cut = class_cut(rule, judge.confidence(real_val, label, device))
    chunks = latent_stream(G, seed, device, CHUNK)
    return generate_until_enough(chunks, lambda x: judge.confidence(x, label, device), rule, cut,
                                 p.per_class, p.max_draws)
