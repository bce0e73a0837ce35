"""Classifier-guided refinement: each round generates images, keeps those the judge labels as the
intended class with confidence >= filter.threshold, and fine-tunes the class's GAN on the real
images plus the kept ones, so the generator is pulled towards what the judge recognises."""
from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np
import torch

from synthmix.core.runtime import seed_for
from synthmix.gan.train import GanResult, load_generator, sample, train_gan
from synthmix.params import GanParams, RefineParams
from synthmix.synth.filter import judge_confidence, keep_confident

logger = logging.getLogger(__name__)


def refine_class(ckpt: dict, real: np.ndarray, judge: torch.nn.Module, label: int, gan: GanParams,
                 refine: RefineParams, threshold: float, seed: int, device: torch.device,
                 name: str = "", amp: bool = False) -> tuple[dict, list[dict]]:
    """Run `refine.rounds` rounds from a trained GAN checkpoint; returns (checkpoint, per-round log).

    The returned checkpoint has the same layout as train_gan's ({"model", "discriminator",
    "config", ...}); with 0 rounds it is the input checkpoint unchanged.
    """
    rounds: list[dict] = []
    if refine.rounds == 0:
        return ckpt, rounds
    G = load_generator(ckpt, device)
    state = {"G": ckpt["model"], "D": ckpt["discriminator"]}
    # fine-tuning: the same loop and loss, a short budget, no warm-up, keep the last weights
    p = replace(gan, steps=refine.steps, warmup_steps=0, eval_every=0)
    for r in range(1, refine.rounds + 1):
        images = sample(G, refine.samples, seed_for(seed, "refine-sample", str(r)), device)
        keep = keep_confident(judge_confidence(judge, images, label, device), threshold)
        kept = images[keep]
        rounds.append({"round": r, "generated": int(len(images)), "kept": int(keep.sum()),
                       "acceptance": float(keep.mean())})
        logger.info("%s round %d: judge accepted %d/%d (%.2f)", name, r, len(kept), len(images), keep.mean())
        result: GanResult = train_gan(np.concatenate([real, kept]), p, seed_for(seed, "refine-train", str(r)),
                                      device, init=state, amp=amp, name=name)
        G = result.G
        state = {"G": result.G.state_dict(), "D": result.D.state_dict()}
    out = dict(ckpt, model=state["G"], discriminator=state["D"], refine_rounds=rounds)
    return out, rounds
