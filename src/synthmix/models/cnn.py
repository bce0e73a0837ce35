"""The CNN shared by the judge and every classifier variant, in one place: the network (any image
size and channel count; torchvision's archs via models/pretrained.py), its checkpoint format,
batched prediction and the penultimate-layer features."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from synthmix.core.images import to_model
from synthmix.core.io import load_torch, save_torch
from synthmix.core.runtime import autocast


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


def save_cnn(path: str | Path, model: torch.nn.Module, cfg: CnnConfig, **meta) -> None:
    """Write a CNN checkpoint: weights, the config that rebuilds the model, and plain metadata."""
    save_torch(path, {"model": model.state_dict(), "config": asdict(cfg), **meta})


def load_cnn(source: str | Path | dict, device: torch.device | str) -> torch.nn.Module:
    """Rebuild a CNN in eval mode, in channels-last layout, from a checkpoint file (or its loaded dict)."""
    ckpt = source if isinstance(source, dict) else load_torch(source)
    model = build_classifier(CnnConfig(**ckpt["config"]))
    model.load_state_dict(ckpt["model"])
    # the layout oneDNN and cuDNN convolutions want (benchmarks/HISTORY.md, "Stage start-up")
    return model.to(device, memory_format=torch.channels_last).eval()


@torch.no_grad()
def predict_logits(model: torch.nn.Module, x: torch.Tensor, batch_size: int = 256, amp: bool = False) -> torch.Tensor:
    """float32 logits (N, K) of x (N, C, H, W): eval mode, batches of `batch_size` in channels-last
    layout (the layout the convolution kernels want; batches that stay in cache: 256 images ran
    ~2x faster than 1024 on CPU), bf16 autocast on CUDA if `amp`."""
    model.eval()
    if len(x) == 0:
        return _empty_logits(model, x)
    with autocast(x.device, amp):
        return torch.cat([model(x[i:i + batch_size].contiguous(memory_format=torch.channels_last)).float()
                          for i in range(0, len(x), batch_size)])


def _empty_logits(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    # the number of classes from the head's shape, without running the model on nothing
    head = [m for m in model.modules() if isinstance(m, torch.nn.Linear)][-1]
    return x.new_zeros((0, head.out_features))


@torch.no_grad()
def embed(model: torch.nn.Module, images: np.ndarray, device: torch.device, batch_size: int = 256) -> np.ndarray:
    """Penultimate features, float64 (N, d), of uint8 (N, H, W, C) images (batched as predict_logits)."""
    model.eval()
    x = to_model(images, device, channels_last=True)
    # an empty set still gives (0, d): one pass over the empty slice
    return torch.cat([model.embed(x[i:i + batch_size]) for i in range(0, max(len(x), 1), batch_size)]
                     ).double().cpu().numpy()


def cross_entropy_accuracy(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of a model on a tensor set: one host sync."""
    logits = predict_logits(model, x)
    loss, acc = torch.stack([F.cross_entropy(logits, y), (logits.argmax(1) == y).float().mean()]).tolist()
    return loss, acc
