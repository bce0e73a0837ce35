"""Classifier-guided refinement: each round generates images, keeps those the filter rule accepts
(the same rule, relative to the judge, as the `synthesize` stage), and fine-tunes the class's GAN on
the real images plus the kept ones, so the generator is pulled towards what the judge recognises."""
from __future__ import annotations

import logging
from dataclasses import replace
from typing import Callable

import numpy as np
import torch

from synthmix.core.runtime import Runtime
from synthmix.core.seeds import seed_for
from synthmix.gan.sample import load_generator, sample
from synthmix.gan.train import GanRun, train_gan
from synthmix.judge import Judge
from synthmix.params import FilterParams, GanParams, RefineParams
from synthmix.synth.filter import keep_mask

logger = logging.getLogger(__name__)

KeepFn = Callable[[np.ndarray], np.ndarray]      # uint8 images (N, H, W, C) -> bool (N,): kept by the filter


def judge_filter(judge: Judge, label: int, rule: FilterParams, cut: float | None,
                 device: torch.device) -> KeepFn:
    """The filter rule of class `label` (the same as the synthesize stage's), as refine_class takes
    it; `cut` is the class's cut (`synth.filter.class_cut`)."""
    return lambda images: keep_mask(rule, judge.confidence(images, label, device), cut)


def refine_class(ckpt: dict, real: np.ndarray, keep: KeepFn, gan: GanParams, refine: RefineParams, seed: int,
                 rt: Runtime, name: str = "") -> tuple[dict, list[dict]]:
    """Run `refine.rounds` rounds from a trained GAN checkpoint; returns (checkpoint, per-round log).

    The returned checkpoint has the layout of `synthmix.gan.sample.save_gan`; with 0 rounds it is
    the input checkpoint unchanged. `keep` is the class's filter (`judge_filter`).
    """
    rounds: list[dict] = []
    if refine.rounds == 0:
        return ckpt, rounds
    G = load_generator(ckpt, rt.device)
    state = {"G": ckpt["model"], "D": ckpt["discriminator"]}
    # fine-tuning: the same loop and loss, a short budget, no warm-up, keep the last weights
    p = replace(gan, steps=refine.steps, warmup_steps=0, eval_every=0)
    # rounds have never been compiled (short runs, each a fresh model torch.compile would compile
    # anew; runtime.compile is for the long trainings) nor logged (each round's steps 1..N would
    # repeat in the caller's run log)
    rt = replace(rt, compile=False, log=None)
    for r in range(1, refine.rounds + 1):
        images = sample(G, refine.samples, seed_for(seed, "refine-sample", str(r)), rt.device)
        mask = keep(images)
        kept = images[mask]
        rounds.append({"round": r, "generated": int(len(images)), "kept": int(mask.sum()),
                       "acceptance": float(mask.mean())})
        logger.info("%s round %d: judge accepted %d/%d (%.2f)", name, r, len(kept), len(images), mask.mean())
        result = train_gan(np.concatenate([real, kept]), p, seed_for(seed, "refine-train", str(r)), rt,
                           GanRun(init=state, name=name))
        G = result.G
        state = {"G": result.G.state_dict(), "D": result.D.state_dict()}
    out = dict(ckpt, model=state["G"], discriminator=state["D"], refine_rounds=rounds)
    return out, rounds
