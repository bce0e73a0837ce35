"""DCGAN-style generator and discriminator that adapt to the image size and channel count.

An image side S is factored as S = base * 2**k with base the smallest value >= 3 reachable by
halving (16 -> 4*2^2, 28 -> 7*2^2, 32 -> 4*2^3, 48 -> 3*2^4, 64 -> 4*2^4): the generator projects z to a
base x base map and doubles it k times; the discriminator mirrors that.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from synthmix.sizes import factor_size


@dataclass(frozen=True)
class GanConfig:
    image_size: int
    channels: int
    z_dim: int = 64
    g_width: int = 32
    d_width: int = 32
    d_norm: str = "batch"   # "batch" (DCGAN), "spectral" (hinge), "none" (WGAN-GP: per-sample penalty)


class Generator(nn.Module):
    def __init__(self, cfg: GanConfig):
        super().__init__()
        base, k = factor_size(cfg.image_size)
        ch = cfg.g_width * 2 ** (k - 1)
        layers: list[nn.Module] = [
            # z: (z_dim) x 1 x 1 -> (g_width * 2^(k-1)) x base x base
            nn.ConvTranspose2d(cfg.z_dim, ch, base, 1, 0, bias=False), nn.BatchNorm2d(ch), nn.ReLU(True)]
        for _ in range(k - 1):
            # (ch) x s x s -> (ch/2) x 2s x 2s
            layers += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch // 2), nn.ReLU(True)]
            ch //= 2
        # (g_width) x S/2 x S/2 -> (channels) x S x S, in [-1, 1]
        layers += [nn.ConvTranspose2d(ch, cfg.channels, 4, 2, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.z_dim = cfg.z_dim
        self.apply(_dcgan_init)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z.view(z.shape[0], self.z_dim, 1, 1))


class Discriminator(nn.Module):
    """Returns one logit per image (no sigmoid: the loss decides how to read it)."""

    def __init__(self, cfg: GanConfig):
        super().__init__()
        base, k = factor_size(cfg.image_size)
        if cfg.d_norm not in ("batch", "spectral", "none"):
            raise ValueError(f"unknown discriminator norm {cfg.d_norm!r}; valid: batch, spectral, none")
        ch = cfg.d_width
        # (channels) x S x S -> (d_width) x S/2 x S/2; no norm on the first layer, as in DCGAN
        layers: list[nn.Module] = [nn.Conv2d(cfg.channels, ch, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        for _ in range(k - 1):
            # (ch) x s x s -> (2ch) x s/2 x s/2
            norm = nn.BatchNorm2d(ch * 2) if cfg.d_norm == "batch" else nn.Identity()
            layers += [nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=cfg.d_norm != "batch"), norm, nn.LeakyReLU(0.2, True)]
            ch *= 2
        # (ch) x base x base -> 1 x 1 x 1
        layers += [nn.Conv2d(ch, 1, base, 1, 0)]
        self.net = nn.Sequential(*layers)
        self.apply(_dcgan_init)
        if cfg.d_norm == "spectral":
            # every conv's weight divided by its largest singular value (one power iteration per
            # training forward pass; Miyato et al., 2018): D is 1-Lipschitz per layer
            for m in self.net:
                if isinstance(m, nn.Conv2d):
                    nn.utils.parametrizations.spectral_norm(m)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).flatten()

    def blocks(self) -> list[nn.Sequential]:
        """The layers before the head, one block per resolution (conv [+ norm] + LeakyReLU), the
        first (the image's own) first: k blocks for an image side base * 2**k."""
        out, current = [], []
        for m in self.net[:-1]:
            current.append(m)
            if isinstance(m, nn.LeakyReLU):
                out.append(nn.Sequential(*current))
                current = []
        return out

    def freeze_blocks(self, n: int) -> None:
        """Keep the first n blocks' parameters as they are (FreezeD: fine-tuning keeps the low-level
        filters a base GAN learnt): no gradient, so no optimizer step. Buffers still move: batch-norm
        running statistics (unused while D trains on batch statistics) and, with spectral norm, the
        power iteration's vectors, which refine the estimate of the frozen weight's norm."""
        blocks = self.blocks()
        if not 0 <= n <= len(blocks):
            raise ValueError(f"cannot freeze {n} discriminator blocks: this one has {len(blocks)} before its head")
        for block in blocks[:n]:
            block.requires_grad_(False)


def _dcgan_init(m: nn.Module) -> None:
    # DCGAN paper: weights from N(0, 0.02); batch-norm scales from N(1, 0.02).
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)
