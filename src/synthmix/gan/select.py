"""Automatic checkpoint choice: generator snapshots are scored during training (lower is better; the
pipeline's score is the Fréchet distance, in the judge's feature space, between the snapshot's
samples and the class's real images) and the best one is kept."""
from __future__ import annotations

import math
from typing import Callable

import torch

ScoreFn = Callable[[torch.nn.Module], float]


def choose(scores: list[list[float]]) -> tuple[int, float]:
    """(step, score) of the lowest score; ties go to the earliest step."""
    if not scores:
        raise ValueError("no scored snapshots to choose from")
    step, value = min(scores, key=lambda s: (s[1], s[0]))
    return int(step), float(value)


class SnapshotSelector:
    """Scores the sampled generator when asked and keeps a copy of the best weights so far."""

    def __init__(self, score: ScoreFn | None):
        self.score = score
        self.scores: list[list[float]] = []          # [step, score] rows, the checkpoint-score curve
        self.best: dict = {"score": math.inf, "step": 0, "state": None}

    def consider(self, step: int, model: torch.nn.Module) -> None:
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

    def state_dict(self) -> dict:
        return {"scores": self.scores, "best": self.best}

    def load_state_dict(self, state: dict) -> None:
        self.scores, self.best = state["scores"], state["best"]
