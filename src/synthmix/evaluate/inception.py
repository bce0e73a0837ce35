"""The standard FID/KID feature extractor (quality.inception): the Inception-v3 network of the original
TensorFlow FID code (Heusel et al., 2017) with its weights ported to PyTorch (pt_inception-2015-12-05,
the file published FIDs are computed with), fetched and verified by `synthmix.models.weights`.

Images are made what the network was trained on: 3 channels (grayscale repeated), resized to 299x299
(bilinear), scaled to [-1, 1]; the features are the 2048 average-pooled activations before the
classifier. At this project's image sizes (8-64 px upsampled to 299) and for grayscale digits the
features are far from the natural photographs the network knows, so the numbers compare runs and
datasets with the literature's scale, not the judge's (docs/gans.md: "Pretrained classifiers and the standard FID").

The TF graph differs from torchvision's Inception-v3 in its pooling: the average pools of the
Mixed_5*, Mixed_6* and Mixed_7b blocks do not count the padding, and the pool branch of Mixed_7c is a
max pool. The blocks below are torchvision's with those forwards, so the weight names match.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from synthmix.core.images import to_model
from synthmix.models.weights import load_weights

Pool = Callable[[torch.Tensor], torch.Tensor]
FID_SIZE = 299


def avg_pool_no_padding(x: torch.Tensor) -> torch.Tensor:
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


def max_pool(x: torch.Tensor) -> torch.Tensor:
    return F.max_pool2d(x, kernel_size=3, stride=1, padding=1)


def fid_inception() -> nn.Module:
    """The network with random weights; `load_fid_inception` fills in the published ones."""
    import torchvision.models as tv
    from torchvision.models import inception as blocks

    class BlockA(blocks.InceptionA):
        def _forward(self, x):   # 35x35: 1x1, 5x5, double 3x3, pool
            return [self.branch1x1(x), self.branch5x5_2(self.branch5x5_1(x)),
                    self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
                    self.branch_pool(avg_pool_no_padding(x))]

    class BlockC(blocks.InceptionC):
        def _forward(self, x):   # 17x17: 1x1, factorised 7x7, double factorised 7x7, pool
            b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
            d7 = x
            for conv in (self.branch7x7dbl_1, self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4,
                         self.branch7x7dbl_5):
                d7 = conv(d7)
            return [self.branch1x1(x), b7, d7, self.branch_pool(avg_pool_no_padding(x))]

    class BlockE(blocks.InceptionE):
        def __init__(self, in_channels: int, pool: Pool):
            super().__init__(in_channels)
            self.pool = pool

        def _forward(self, x):   # 8x8: 1x1, split 3x3, split double 3x3, pool
            b3 = self.branch3x3_1(x)
            d3 = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
            return [self.branch1x1(x), torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1),
                    torch.cat([self.branch3x3dbl_3a(d3), self.branch3x3dbl_3b(d3)], 1),
                    self.branch_pool(self.pool(x))]

    net = tv.inception_v3(weights=None, aux_logits=False, init_weights=False, num_classes=1008)
    for name in ("Mixed_5b", "Mixed_5c", "Mixed_5d"):
        old = getattr(net, name)
        setattr(net, name, BlockA(old.branch1x1.conv.in_channels, old.branch_pool.conv.out_channels))
    for name in ("Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e"):
        old = getattr(net, name)
        setattr(net, name, BlockC(old.branch1x1.conv.in_channels, old.branch7x7_1.conv.out_channels))
    net.Mixed_7b = BlockE(net.Mixed_7b.branch1x1.conv.in_channels, avg_pool_no_padding)
    net.Mixed_7c = BlockE(net.Mixed_7c.branch1x1.conv.in_channels, max_pool)
    return net


def load_fid_inception(device: torch.device) -> nn.Module:
    """The FID network with the published weights (strictly loaded), classifier removed: (N, 2048)."""
    net = fid_inception()
    net.load_state_dict(load_weights("fid_inception"))
    net.fc = nn.Identity()
    return net.to(device).eval()


@torch.no_grad()
def inception_features(net: nn.Module, images: np.ndarray, device: torch.device, batch_size: int = 64) -> np.ndarray:
    """float64 (N, 2048) pool features of uint8 (N, H, W, C) images."""
    out = []
    for i in range(0, len(images), batch_size):
        x = (to_model(images[i:i + batch_size], device) + 1) / 2                  # (B, C, S, S) in [0, 1]
        x = x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x
        x = F.interpolate(x, size=(FID_SIZE, FID_SIZE), mode="bilinear", align_corners=False)
        out.append(net(2 * x - 1).double().cpu())                                # the network's input range
    return torch.cat(out).numpy() if out else np.zeros((0, 2048))
