"""The supervised loop shared by the judge and every classifier variant."""
from __future__ import annotations

import copy
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from synthmix.core.images import to_model
from synthmix.core.optim import Adam, one_cycle
from synthmix.core.progress import progress
from synthmix.core.runtime import autocast, maybe_compile
from synthmix.core.runtime import generator as make_generator
from synthmix.judge import cross_entropy_accuracy
from synthmix.models.cnn import CnnConfig, build_classifier
from synthmix.models.weights import load_weights
from synthmix.params import CnnParams

AugmentFn = Callable[[torch.Tensor, torch.Generator], torch.Tensor]
LogFn = Callable[[int, dict[str, float]], None]


def fit(images: np.ndarray, labels: np.ndarray, val_images: np.ndarray, val_labels: np.ndarray,
        num_classes: int, p: CnnParams, seed: int, device: torch.device,
        augment: AugmentFn | None = None, log: LogFn | None = None, amp: bool = False,
        compile: bool = False) -> tuple[torch.nn.Module, CnnConfig, dict]:
    """Train a classifier (p.arch; pretrained ImageNet weights when p.pretrained); returns the weights
    of the epoch with the best validation accuracy.

    The whole training set is one tensor on the device; each epoch is a random permutation sliced
    into batches, and `augment` (if given) transforms a whole batch at once. `amp` (bf16 autocast
    on CUDA) and `compile` (torch.compile) only change how the training forward pass runs.
    """
    torch.manual_seed(seed)
    cfg = CnnConfig(channels=images.shape[3], num_classes=num_classes, width=p.width, arch=p.arch,
                    input_size=p.input_size)
    model = build_classifier(cfg)
    if p.pretrained:
        model.load_imagenet(load_weights(p.arch))
    if p.arch != "cnn" and p.train_layers == "head":
        model.freeze_backbone()
    model = model.to(device, memory_format=torch.channels_last)
    params = model.parameters() if p.arch == "cnn" else model.parameter_groups(p.backbone_lr)
    x, y = to_model(images, device, channels_last=True), torch.from_numpy(labels).to(device)
    vx, vy = to_model(val_images, device, channels_last=True), torch.from_numpy(val_labels).to(device)
    gen = make_generator(seed, device)
    n = len(x)
    steps_per_epoch = max(1, -(-n // p.batch_size))
    opt = Adam(params, lr=p.lr, weight_decay=p.weight_decay)      # AdamW: decoupled decay
    total_steps = p.epochs * steps_per_epoch

    run_model = maybe_compile(model, compile)
    best = {"val_acc": -1.0, "epoch": 0, "state": None}
    epochs = progress(range(1, p.epochs + 1), desc="classifier", unit="epoch")
    for epoch in epochs:
        model.train()
        perm = torch.randperm(n, generator=gen, device=device)
        total = torch.zeros(2, device=device)               # summed loss, correct count
        for start in range(0, n, p.batch_size):
            idx = perm[start:start + p.batch_size]
            xb, yb = x[idx], y[idx]
            if augment is not None:
                xb = augment(xb, gen)
            with autocast(device, amp):
                logits = run_model(xb).float()
                loss = F.cross_entropy(logits, yb)
            opt.zero_grad()
            loss.backward()
            opt.lr, opt.beta1 = one_cycle(opt.steps, total_steps, p.lr)
            opt.step()
            total += torch.stack([loss.detach() * len(idx), (logits.argmax(1) == yb).sum().float()])
        train_loss, train_acc = (total / n).tolist()
        val_loss, val_acc = cross_entropy_accuracy(model, vx, vy)
        # ">" keeps the earliest epoch among ties: the least fitted model with that accuracy
        if val_acc > best["val_acc"]:
            best = {"val_acc": val_acc, "epoch": epoch, "state": copy.deepcopy(model.state_dict())}
        if log is not None:
            log(epoch, {"train_loss": train_loss, "train_acc": train_acc, "val_loss": val_loss, "val_acc": val_acc})
        epochs.set_postfix(train_loss=f"{train_loss:.3f}", val_acc=f"{val_acc:.3f}")
    model.load_state_dict(best["state"])
    return model.eval(), cfg, {"best_epoch": best["epoch"], "best_val_acc": best["val_acc"]}
