"""GAN losses as small pure functions of discriminator logits, chosen by family name."""
from __future__ import annotations

from typing import Callable, NamedTuple

import torch
import torch.nn.functional as F


def dcgan_d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """-[log D(x) + log(1 - D(G(z)))] with D = sigmoid(logit); softplus form is stable for large logits."""
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def dcgan_g_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating generator loss: -log D(G(z)), strong gradients when D rejects the fakes."""
    return F.softplus(-fake_logits).mean()


class GanLoss(NamedTuple):
    d: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    g: Callable[[torch.Tensor], torch.Tensor]


LOSSES: dict[str, GanLoss] = {"dcgan": GanLoss(dcgan_d_loss, dcgan_g_loss)}


def get_loss(family: str) -> GanLoss:
    try:
        return LOSSES[family]
    except KeyError:
        raise ValueError(f"unknown gan.family {family!r}; valid: {', '.join(sorted(LOSSES))}") from None
