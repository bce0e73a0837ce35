"""The supervised loop shared by the judge and every classifier variant: a fixed number of optimizer
steps, whatever the size of the training set, so variants that differ in their data get the same
training budget (a 4x larger mix must not get 4x the steps)."""
from __future__ import annotations

import copy
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from synthmix.core.batches import IndexSampler
from synthmix.core.images import to_model
from synthmix.core.optim import Adam, one_cycle
from synthmix.core.progress import progress
from synthmix.core.runtime import autocast, maybe_compile
from synthmix.core.runtime import generator as make_generator
from synthmix.models.cnn import CnnConfig, build_classifier, cross_entropy_accuracy
from synthmix.models.weights import load_weights
from synthmix.params import CnnParams

AugmentFn = Callable[[torch.Tensor, torch.Generator], torch.Tensor]
LogFn = Callable[[int, dict[str, float]], None]


def build_model(cfg: CnnConfig, p: CnnParams, seed: int, device: torch.device) -> torch.nn.Module:
    """The network a replicate starts from: the same `seed` gives the same initial weights, whatever
    the training data (replicate s of every variant starts here)."""
    torch.manual_seed(seed)
    model = build_classifier(cfg)
    if p.pretrained:
        model.load_imagenet(load_weights(p.arch))
    if p.arch != "cnn" and p.train_layers == "head":
        model.freeze_backbone()
    return model.to(device, memory_format=torch.channels_last)


def fit(images: np.ndarray, labels: np.ndarray, val_images: np.ndarray, val_labels: np.ndarray,
        num_classes: int, p: CnnParams, steps: int, seed: int, device: torch.device,
        augment: AugmentFn | None = None, log: LogFn | None = None, amp: bool = False,
        compile: bool = False) -> tuple[torch.nn.Module, CnnConfig, dict]:
    """Train for exactly `steps` optimizer steps of `p.batch_size` images (p.arch; pretrained
    ImageNet weights when p.pretrained) and return the weights with the best validation accuracy,
    checked every `p.eval_interval(steps)` steps and at the last one.

    The whole training set is one tensor on the device; batches are index slices of a fresh
    permutation per pass (`IndexSampler`), and `augment` (if given) transforms a whole batch at
    once. `seed` fixes the initial weights and the random stream (batch order, augmentation,
    dropout). `amp` (bf16 autocast on CUDA) and `compile` (torch.compile) only change how the
    training forward pass runs. info: best_step, best_val_acc, steps, and the validation curve.
    """
    if steps < 1:
        raise ValueError(f"a classifier needs at least 1 training step, got {steps}")
    cfg = CnnConfig(channels=images.shape[3], num_classes=num_classes, width=p.width, arch=p.arch,
                    input_size=p.input_size)
    model = build_model(cfg, p, seed, device)
    params = model.parameters() if p.arch == "cnn" else model.parameter_groups(p.backbone_lr)
    x, y = to_model(images, device, channels_last=True), torch.from_numpy(labels).to(device)
    vx, vy = to_model(val_images, device, channels_last=True), torch.from_numpy(val_labels).to(device)
    gen = make_generator(seed, device)
    sampler = IndexSampler(len(x), p.batch_size, gen, device)
    opt = Adam(params, lr=p.lr, weight_decay=p.weight_decay)      # AdamW: decoupled decay
    every = p.eval_interval(steps)
    run_model = maybe_compile(model, compile)
    best = {"val_acc": -1.0, "step": 0, "state": None}
    curve: list[list] = []
    total, seen = torch.zeros(2, device=device), 0                # summed loss and correct count; images
    bar = progress(total=steps, desc="classifier", unit="step")
    model.train()
    for step in range(1, steps + 1):
        idx = sampler.next()
        xb, yb = x[idx], y[idx]
        if augment is not None:
            xb = augment(xb, gen)
        with autocast(device, amp):
            logits = run_model(xb).float()                        # (B, K)
            loss = F.cross_entropy(logits, yb)
        opt.zero_grad()
        loss.backward()
        opt.lr, opt.beta1 = one_cycle(opt.steps, steps, p.lr)
        opt.step()
        total += torch.stack([loss.detach() * len(idx), (logits.argmax(1) == yb).sum().float()])
        seen += len(idx)                                          # a host int: no tensor made per step
        if step % every and step != steps:
            continue
        train_loss, train_acc = (total / seen).tolist()           # means since the last check: one host sync
        total.zero_()
        seen = 0
        val_loss, val_acc = cross_entropy_accuracy(model, vx, vy)
        model.train()
        # ">" keeps the earliest step among ties: the least fitted model with that accuracy
        if val_acc > best["val_acc"]:
            best = {"val_acc": val_acc, "step": step, "state": copy.deepcopy(model.state_dict())}
        curve.append([step, val_acc])
        if log is not None:
            log(step, {"train_loss": train_loss, "train_acc": train_acc, "val_loss": val_loss, "val_acc": val_acc})
        bar.update(step - bar.n)
        bar.set_postfix(train_loss=f"{train_loss:.3f}", val_acc=f"{val_acc:.3f}")
    bar.close()
    model.load_state_dict(best["state"])
    return model.eval(), cfg, {"best_step": best["step"], "best_val_acc": best["val_acc"], "steps": steps,
                               "val_curve": curve}
