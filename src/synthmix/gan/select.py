"""Checkpoint choice: generator snapshots, taken every `gan.eval_every` steps, scored (lower is
better; the pipeline's score is the Fréchet distance, in the judge's feature space, between the
snapshot's samples and the class's real validation images) and the best one kept.

Two ways, one rule (`choose`): in one process a `SnapshotSelector` with a score keeps the best
snapshot as training goes (the benchmarks); the pipeline's `train_gan` stage keeps every snapshot
(`keep_all`) without a score, and the `refine` stage scores them with the judge afterwards
(`score_snapshots`), so a judge change re-scores snapshots and never re-trains a GAN.
"""
from __future__ import annotations

import math
from typing import Callable

import torch

ScoreFn = Callable[[torch.nn.Module], float]


def choose(scores: list[list[float]]) -> tuple[int, float]:
    """(step, score) of the lowest score; ties go to the earliest step."""
    if not scores:
        raise ValueError("no scored snapshots to choose from")
    # a NaN score (a broken snapshot) never wins, as with the selector's strict "<" during training
    step, value = min(scores, key=lambda s: (math.inf if math.isnan(s[1]) else s[1], s[0]))
    return int(step), float(value)


def score_snapshots(model: torch.nn.Module, snapshots: dict[str, dict], score: ScoreFn) -> list[list[float]]:
    """[[step, score]] of every snapshot ({str(step): state_dict}, as train_gan keeps them), each
    loaded into `model` and scored, in step order."""
    rows = []
    for step in sorted(snapshots, key=int):
        model.load_state_dict(snapshots[step])
        rows.append([int(step), float(score(model))])
    return rows


class SnapshotSelector:
    """Takes the snapshots of the sampled generator: scores each (with `score`) and keeps a copy of
    the best so far, and/or keeps a copy of every one (`keep_all`) for a later choice."""

    def __init__(self, score: ScoreFn | None, keep_all: bool = False):
        self.score, self.keep_all = score, keep_all
        self.scores: list[list[float]] = []          # [step, score] rows, the checkpoint-score curve
        self.best: dict = {"score": math.inf, "step": 0, "state": None}
        self.kept: dict[str, dict] = {}              # str(step) -> state dict (keep_all)

    @property
    def active(self) -> bool:
        """Whether snapshots are taken at all."""
        return self.score is not None or self.keep_all

    def consider(self, step: int, model: torch.nn.Module) -> None:
        if self.keep_all:
            # on the CPU, as a resumed run loads them (core.resume): a GPU run then saves the same
            # bytes whether or not it was resumed, and the snapshots hold no GPU memory
            self.kept[str(step)] = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
        if self.score is None:
            return
        was_training = model.training
        value = float(self.score(model))
        model.train(was_training)                    # sampling switched it to eval mode
        self.scores.append([step, value])
        if value < self.best["score"]:
            self.best = {"score": value, "step": step,
                         "state": {k: v.detach().clone() for k, v in model.state_dict().items()}}

    @property
    def has_best(self) -> bool:
        return self.best["state"] is not None

    @property
    def has_snapshot(self) -> bool:
        """Whether a snapshot to end on exists (the best one, or any kept one)."""
        return self.has_best or bool(self.kept)

    def state_dict(self) -> dict:
        return {"scores": self.scores, "best": self.best, "kept": self.kept}

    def load_state_dict(self, state: dict) -> None:
        self.scores, self.best, self.kept = state["scores"], state["best"], state["kept"]
