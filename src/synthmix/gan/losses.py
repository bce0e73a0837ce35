"""GAN losses as small pure functions of discriminator outputs, chosen by family name, and the
regularisers that are added to the D loss (gradient penalty, LeCam)."""
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


def hinge_d_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """E[max(0, 1 - D(x))] + E[max(0, 1 + D(G(z)))]: D stops pushing once a sample is past the
    margin (Lim & Ye, 2017; the SNGAN/BigGAN loss)."""
    return F.relu(1.0 - real_scores).mean() + F.relu(1.0 + fake_scores).mean()


def wgan_d_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """Critic loss E[C(G(z))] - E[C(x)]: minimising it widens the score gap (Wasserstein estimate)."""
    return fake_scores.mean() - real_scores.mean()


def wgan_g_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """-E[C(G(z))]: also the hinge family's generator loss."""
    return -fake_scores.mean()


def gradient_penalty(critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor, fake: torch.Tensor,
                     gen: torch.Generator) -> torch.Tensor:
    """WGAN-GP: E[(||grad_x C(x_hat)||_2 - 1)^2] at random points x_hat between real and fake images
    (Gulrajani et al., 2017); keeps the critic close to 1-Lipschitz without weight clipping."""
    eps = torch.rand(real.shape[0], 1, 1, 1, generator=gen, device=real.device, dtype=real.dtype)
    x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()


class LeCam:
    """LeCam regulariser (Tseng et al., 2021, "Regularizing GANs under limited data"):
    E[(D(x) - a_fake)^2] + E[(D(G(z)) - a_real)^2], where a_real and a_fake are moving averages of D's
    outputs on real and fake images. It keeps D's outputs for the two from drifting apart, which is
    how a discriminator that memorises a small real set shows itself."""

    def __init__(self, decay: float = 0.99):
        self.decay = decay
        self.anchors = torch.zeros(2)              # (a_real, a_fake), moved to the outputs' device on use

    def __call__(self, real_out: torch.Tensor, fake_out: torch.Tensor) -> torch.Tensor:
        means = torch.stack([real_out.detach().mean(), fake_out.detach().mean()]).float()
        self.anchors = self.anchors.to(means.device).lerp_(means, 1.0 - self.decay)
        a_real, a_fake = self.anchors[0], self.anchors[1]
        return ((real_out - a_fake) ** 2).mean() + ((fake_out - a_real) ** 2).mean()

    def state_dict(self) -> dict:
        return {"anchors": self.anchors.cpu()}

    def load_state_dict(self, state: dict) -> None:
        self.anchors = state["anchors"].clone()


class GanLoss(NamedTuple):
    d: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    g: Callable[[torch.Tensor], torch.Tensor]
    gradient_penalty: bool = False   # add gan.gp_lambda * gradient_penalty to the D loss
    d_norm: str = "batch"            # discriminator normalisation this loss is meant for
    probabilities: bool = True       # D outputs are logits of P(real) (sigmoid them for logging)


LOSSES: dict[str, GanLoss] = {
    "dcgan": GanLoss(dcgan_d_loss, dcgan_g_loss),
    # a spectrally normalised D, no batch norm: each layer is 1-Lipschitz, the margin does the rest
    "hinge": GanLoss(hinge_d_loss, wgan_g_loss, d_norm="spectral", probabilities=False),
    # the critic has no sigmoid and no batch norm (the penalty is per-sample: batch statistics would
    # couple the samples)
    "wgan_gp": GanLoss(wgan_d_loss, wgan_g_loss, gradient_penalty=True, d_norm="none", probabilities=False),
}


def get_loss(family: str) -> GanLoss:
    try:
        return LOSSES[family]
    except KeyError:
        raise ValueError(f"unknown gan.family {family!r}; valid: {', '.join(sorted(LOSSES))}") from None
