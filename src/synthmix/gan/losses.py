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


def wgan_d_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """Critic loss E[C(G(z))] - E[C(x)]: minimising it widens the score gap (Wasserstein estimate)."""
    return fake_scores.mean() - real_scores.mean()


def wgan_g_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    return -fake_scores.mean()


def gradient_penalty(critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor, fake: torch.Tensor,
                     gen: torch.Generator) -> torch.Tensor:
    """WGAN-GP: E[(||grad_x C(x_hat)||_2 - 1)^2] at random points x_hat between real and fake images
    (Gulrajani et al., 2017); keeps the critic close to 1-Lipschitz without weight clipping."""
    eps = torch.rand(real.shape[0], 1, 1, 1, generator=gen, device=real.device, dtype=real.dtype)
    x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()


class GanLoss(NamedTuple):
    d: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    g: Callable[[torch.Tensor], torch.Tensor]
    gradient_penalty: bool = False   # add gan.gp_lambda * gradient_penalty to the D loss
    d_norm: str = "batch"            # discriminator normalisation this loss is meant for
    probabilities: bool = True       # D outputs are logits of P(real) (sigmoid them for logging)


LOSSES: dict[str, GanLoss] = {
    "dcgan": GanLoss(dcgan_d_loss, dcgan_g_loss),
    # the critic has no sigmoid and no batch norm (the penalty is per-sample: batch statistics would
    # couple the samples)
    "wgan_gp": GanLoss(wgan_d_loss, wgan_g_loss, gradient_penalty=True, d_norm="none", probabilities=False),
}


def get_loss(family: str) -> GanLoss:
    try:
        return LOSSES[family]
    except KeyError:
        raise ValueError(f"unknown gan.family {family!r}; valid: {', '.join(sorted(LOSSES))}") from None
