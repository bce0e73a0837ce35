"""Adam with decoupled weight decay, and the one-cycle learning-rate schedule: the update rules of
every training loop here, written out.

Why not torch.optim: building or stepping a torch.optim optimizer imports torch._dynamo (its
methods are wrapped for torch.compile), about 0.9 s per process on the project's 2-core CPU when
it was measured (benchmarks/HISTORY.md, "Stage start-up": then 37 stages, 144.5 s from scratch),
and most stages train something. The update is the same arithmetic as torch's Adam/AdamW and
measured as fast as its fused kernel on the GAN step (7.7 vs 7.6 ms); `runtime.compile` imports
torch._dynamo anyway, and these plain in-place tensor ops compile like any others.
"""
from __future__ import annotations

import math
from typing import Iterable

import torch


class Adam:
    """Adam (Kingma & Ba, 2015); with weight_decay > 0, the decoupled decay of AdamW (Loshchilov &
    Hutter, 2019): p <- p (1 - lr wd) - lr m_hat / (sqrt(v_hat) + eps).

    `params` is an iterable of tensors, or of (tensors, learning-rate scale) pairs: e.g. a
    pretrained backbone at a tenth of the rate of a new head.
    """

    def __init__(self, params: Iterable, lr: float, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0):
        groups = list(params)
        pairs = groups if groups and isinstance(groups[0], tuple) else [(groups, 1.0)]
        chosen = [(p, scale) for ps, scale in pairs for p in ps if p.requires_grad]
        self.params, self.lr_scale = [p for p, _ in chosen], [scale for _, scale in chosen]
        self.lr, (self.beta1, self.beta2), self.eps, self.weight_decay = lr, betas, eps, weight_decay
        self.steps = 0
        self.exp_avg = [torch.zeros_like(p) for p in self.params]       # first moment m
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]    # second moment v

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        self.steps += 1
        correction1 = 1 - self.beta1 ** self.steps                      # bias corrections of m and v
        root_correction2 = math.sqrt(1 - self.beta2 ** self.steps)
        for p, m, v, scale in zip(self.params, self.exp_avg, self.exp_avg_sq, self.lr_scale):
            if p.grad is None:
                continue
            g, lr = p.grad, self.lr * scale
            if self.weight_decay:
                p.mul_(1 - lr * self.weight_decay)
            m.lerp_(g, 1 - self.beta1)
            v.mul_(self.beta2).addcmul_(g, g, value=1 - self.beta2)
            p.addcdiv_(m, v.sqrt().div_(root_correction2).add_(self.eps), value=-lr / correction1)

    def state_dict(self) -> dict:
        return {"steps": self.steps, "lr": self.lr, "beta1": self.beta1,
                "exp_avg": [t.clone() for t in self.exp_avg], "exp_avg_sq": [t.clone() for t in self.exp_avg_sq]}

    def load_state_dict(self, state: dict) -> None:
        self.steps, self.lr, self.beta1 = int(state["steps"]), float(state["lr"]), float(state["beta1"])
        for mine, saved in zip(self.exp_avg + self.exp_avg_sq, state["exp_avg"] + state["exp_avg_sq"]):
            mine.copy_(saved)


def _cos(start: float, end: float, fraction: float) -> float:
    return end + (start - end) / 2 * (1 + math.cos(math.pi * fraction))


def one_cycle(step: int, total: int, max_lr: float, warm_fraction: float = 0.3, div: float = 25.0,
              final_div: float = 1e4, beta1_range: tuple[float, float] = (0.85, 0.95)) -> tuple[float, float]:
    """(learning rate, Adam beta1) at `step` (0-based) of `total` (Smith & Topin, 2019): the rate rises
    from max_lr / div to max_lr over the first `warm_fraction` of the steps and falls to
    max_lr / div / final_div, both on cosines, while beta1 moves the opposite way."""
    low, high = beta1_range
    warm = max(1.0, warm_fraction * total - 1)
    if step <= warm:
        f = step / warm
        return _cos(max_lr / div, max_lr, f), _cos(high, low, f)
    f = min(1.0, (step - warm) / max(1.0, total - 1 - warm))
    return _cos(max_lr, max_lr / div / final_div, f), _cos(low, high, f)
