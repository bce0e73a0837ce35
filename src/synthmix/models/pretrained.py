"""torchvision's MobileNetV2 and ResNet-18 as classifiers (and judges) of our images, from scratch or
fine-tuned from ImageNet weights.

Our images arrive as (N, C, S, S) in [-1, 1] at the data's own size; the network sees what its
ImageNet weights expect: 3 channels (grayscale repeated), resized to `input_size` (bilinear), and
normalised with ImageNet's mean and std. The ImageNet head is replaced by one for our classes.
torchvision is imported only when one of these is built (it costs about a second of start-up).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

ARCHS = ("mobilenet_v2", "resnet18")
IMAGENET_SIZE = 224
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class PretrainedNet(nn.Module):
    """backbone (ImageNet layers) -> features (N, d) -> head (N, num_classes)."""

    def __init__(self, arch: str, num_classes: int, input_size: int = 0):
        super().__init__()
        import torchvision.models as tv

        if arch not in ARCHS:
            raise ValueError(f"unknown classifier arch {arch!r}; valid: cnn, {', '.join(ARCHS)}")
        self.arch, self.input_size = arch, input_size or IMAGENET_SIZE
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))
        if arch == "mobilenet_v2":
            net = tv.mobilenet_v2(weights=None)
            self.backbone = nn.Sequential(net.features, nn.AdaptiveAvgPool2d(1), nn.Flatten())   # (N, 1280)
            width = net.classifier[1].in_features
            self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(width, num_classes))
        else:
            net = tv.resnet18(weights=None)
            width = net.fc.in_features                                                     # (N, 512)
            net.fc = nn.Identity()
            self.backbone = net
            self.head = nn.Linear(width, num_classes)

    def preprocess(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, S, S) in [-1, 1] -> (N, 3, input_size, input_size), ImageNet-normalised."""
        x = (x + 1) / 2
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        if x.shape[-1] != self.input_size:
            x = F.interpolate(x, size=(self.input_size, self.input_size), mode="bilinear", align_corners=False)
        return (x - self.mean) / self.std

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate features (N, d): the judge's feature space when this net is the judge."""
        return self.backbone(self.preprocess(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(x))

    def load_imagenet(self, state: dict) -> None:
        """ImageNet weights (torchvision's state dict of the whole net) into the backbone; the head is ours.
        Strict: a file of another architecture fails naming what does not fit."""
        if self.arch == "mobilenet_v2":
            target, mine = self.backbone[0], {k.removeprefix("features."): v for k, v in state.items()
                                              if k.startswith("features.")}
        else:
            target, mine = self.backbone, {k: v for k, v in state.items() if not k.startswith("fc.")}
        target.load_state_dict(mine)

    def freeze_backbone(self) -> None:
        """Train the head only: the backbone's weights and batch-norm statistics stay as loaded."""
        self.frozen = True
        for q in self.backbone.parameters():
            q.requires_grad_(False)

    def train(self, mode: bool = True) -> "PretrainedNet":
        super().train(mode)
        if getattr(self, "frozen", False):
            self.backbone.eval()
        return self

    def parameter_groups(self, backbone_scale: float) -> list[tuple[list[torch.Tensor], float]]:
        """(parameters, learning-rate scale) pairs: the backbone slower than the new head."""
        return [(list(self.backbone.parameters()), backbone_scale), (list(self.head.parameters()), 1.0)]
