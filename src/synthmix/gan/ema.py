"""Exponential moving average of the generator's weights, used for sampling and checkpoint choice.

After each G update: shadow = decay * shadow + (1 - decay) * weights. Averaging over the last
~1/(1 - decay) steps smooths the oscillation of adversarial training, which is largest when the
real set is small. Buffers (batch-norm running statistics) are copied, not averaged; since
statistics of the live weights do not fit the averaged ones, `recalibrate` recomputes them for the
averaged weights before the shadow is sampled or scored.
"""
from __future__ import annotations

import copy

import torch
from torch import nn


class EMA:
    def __init__(self, model: nn.Module, decay: float):
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"EMA decay {decay} must be in [0, 1)")
        self.decay = decay
        self.shadow = copy.deepcopy(model).eval()
        for p in self.shadow.parameters():
            p.requires_grad_(False)

    def decay_at(self, step: int | None) -> float:
        """The decay, ramped up early in training ((1 + t) / (10 + t), capped at `decay`) so the
        average does not drag the untrained initial weights along; None = the constant decay."""
        return self.decay if step is None else min(self.decay, (1.0 + step) / (10.0 + step))

    @torch.no_grad()
    def update(self, model: nn.Module, step: int | None = None) -> None:
        decay = self.decay_at(step)
        for s, p in zip(self.shadow.parameters(), model.parameters()):
            s.lerp_(p.detach(), 1.0 - decay)
        for s, b in zip(self.shadow.buffers(), model.buffers()):
            s.copy_(b)

    def state_dict(self) -> dict:
        return self.shadow.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.shadow.load_state_dict(state)

    @torch.no_grad()
    def recalibrate(self, z_batches: list[torch.Tensor]) -> None:
        """Recompute the shadow's batch-norm running statistics from its own activations."""
        norms = [m for m in self.shadow.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
        if not norms:
            return
        saved = [m.momentum for m in norms]
        for m in norms:
            m.reset_running_stats()
            m.momentum = None            # cumulative average over the batches below
        self.shadow.train()
        for z in z_batches:
            self.shadow(z)
        self.shadow.eval()
        for m, momentum in zip(norms, saved):
            m.momentum = momentum


class IdentityEMA:
    """The EMA interface when averaging is off (decay 0): the shadow is the live model itself."""

    def __init__(self, model: nn.Module):
        self.shadow = model

    def update(self, model: nn.Module, step: int | None = None) -> None:
        pass

    def recalibrate(self, z_batches: list[torch.Tensor]) -> None:
        pass                         # the live model's batch-norm statistics are its own

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


def make_ema(model: nn.Module, decay: float) -> EMA | IdentityEMA:
    return EMA(model, decay) if decay > 0 else IdentityEMA(model)
