"""The CNN used as judge and as every classifier variant; works for any image size and channels."""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class CnnConfig:
    channels: int
    num_classes: int
    width: int = 32
    arch: str = "cnn"          # cnn (this file) | mobilenet_v2 | resnet18 (models/pretrained.py)
    input_size: int = 0        # pretrained archs: the side images are resized to (0 = 224)


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True))


class Cnn(nn.Module):
    def __init__(self, cfg: CnnConfig):
        super().__init__()
        w = cfg.width
        self.features = nn.Sequential(
            _block(cfg.channels, w), _block(w, w), nn.MaxPool2d(2),     # w x S/2 x S/2
            _block(w, 2 * w), _block(2 * w, 2 * w), nn.MaxPool2d(2),     # 2w x S/4 x S/4
            _block(2 * w, 4 * w),                                        # 4w x S/4 x S/4
            nn.AdaptiveAvgPool2d(1), nn.Flatten())                       # 4w: the feature space for FID
        self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(4 * w, cfg.num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate features (N, 4 * width)."""
        return self.features(x)


def build_classifier(cfg: CnnConfig) -> nn.Module:
    """The classifier (or judge) a config describes; every one has forward (logits) and embed (features)."""
    if cfg.arch == "cnn":
        return Cnn(cfg)
    from synthmix.models.pretrained import PretrainedNet   # imports torchvision: only when asked for

    return PretrainedNet(cfg.arch, cfg.num_classes, cfg.input_size)
