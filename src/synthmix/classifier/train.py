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
from synthmix.core.runtime import Runtime, autocast, maybe_compile
from synthmix.core.runtime import generator as make_generator
from synthmix.models.cnn import CnnConfig, build_classifier, cross_entropy_accuracy
from synthmix.models.weights import load_weights
from synthmix.params import CnnParams

AugmentFn = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


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


def fit(train: tuple[np.ndarray, np.ndarray], val: tuple[np.ndarray, np.ndarray], num_classes: int,
        p: CnnParams, steps: int, seed: int, rt: Runtime,
        augment: AugmentFn | None = None) -> tuple[torch.nn.Module, CnnConfig, dict]:
    """Train on `train` (uint8 images (N, H, W, C), int64 labels (N,)) for exactly `steps` optimizer
    steps of `p.batch_size` images (p.arch; pretrained ImageNet weights when p.pretrained) on the
    cross-entropy with `p.label_smoothing`, checking the accuracy on `val` every
    `p.eval_interval(steps)` steps and at the last one, and return the weights `p.keep` names: the
    last (the end of the one-cycle schedule) or the best check's.

    The whole training set is one tensor on rt.device; batches are index slices of a fresh
    permutation per pass (`IndexSampler`), and `augment` (if given) transforms a whole batch at
    once. `seed` fixes the initial weights and the random stream (batch order, augmentation,
    dropout). rt.amp (bf16 autocast on CUDA), p.cpu_bf16 (bf16 autocast on a CPU with native
    bf16, resolved for the image side by p.bf16_on_cpu) and rt.compile (torch.compile) only change
    how the training forward pass runs; rt.log gets the means at each check. info: best_step and
    best_val_acc (those of the kept weights), steps, and the validation curve.
    """
    if steps < 1:
        raise ValueError(f"a classifier needs at least 1 training step, got {steps}")
    images, labels = train
    device = rt.device
    cfg = CnnConfig(channels=images.shape[3], num_classes=num_classes, width=p.width, arch=p.arch,
                    input_size=p.input_size)
    model = build_model(cfg, p, seed, device)
    params = model.parameters() if p.arch == "cnn" else model.parameter_groups(p.backbone_lr)
    x, y = to_model(images, device, channels_last=True), torch.from_numpy(labels).to(device)
    checks = _Validation(model, val, device, keep_best=p.keep == "best")
    gen = make_generator(seed, device)
    sampler = IndexSampler(len(x), p.batch_size, gen, device)
    opt = Adam(params, lr=p.lr, weight_decay=p.weight_decay)      # AdamW: decoupled decay
    every, bf16_on_cpu = p.eval_interval(steps), p.bf16_on_cpu(images.shape[1])
    run_model = maybe_compile(model, rt.compile)
    total, seen = torch.zeros(2, device=device), 0                # summed loss and correct count; images
    bar = progress(total=steps, desc="classifier", unit="step")
    model.train()
    for step in range(1, steps + 1):
        idx = sampler.next()
        xb, yb = x[idx], y[idx]
        if augment is not None:
            xb = augment(xb, gen)
        with autocast(device, rt.amp, bf16_on_cpu):
            logits = run_model(xb).float()                        # (B, K)
            loss = F.cross_entropy(logits, yb, label_smoothing=p.label_smoothing)
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
        val_loss, val_acc = checks.check(step)
        if rt.log is not None:
            rt.log(step, {"train_loss": train_loss, "train_acc": train_acc, "val_loss": val_loss, "val_acc": val_acc})
        bar.update(step - bar.n)
        bar.set_postfix(train_loss=f"{train_loss:.3f}", val_acc=f"{val_acc:.3f}")
    bar.close()
    if checks.keep_best:                                          # back to the chosen check's weights
        model.load_state_dict(checks.best["state"])
    return model.eval(), cfg, {"best_step": checks.best["step"], "best_val_acc": checks.best["val_acc"],
                               "steps": steps, "val_curve": checks.curve}


class _Validation:
    """fit's validation checks: the curve [[step, val_acc]] and the kept check: with keep_best, the
    best so far and a copy of its weights; otherwise the latest (the weights stay the live ones)."""

    def __init__(self, model: torch.nn.Module, val: tuple[np.ndarray, np.ndarray], device: torch.device,
                 keep_best: bool = True):
        self.model, self.keep_best = model, keep_best
        self.x, self.y = to_model(val[0], device, channels_last=True), torch.from_numpy(val[1]).to(device)
        self.best = {"val_acc": -1.0, "step": 0, "state": None}
        self.curve: list[list] = []

    def check(self, step: int) -> tuple[float, float]:
        """(val_loss, val_acc) of the model now; it goes back to training mode after."""
        val_loss, val_acc = cross_entropy_accuracy(self.model, self.x, self.y)
        self.model.train()
        if not self.keep_best:
            self.best = {"val_acc": val_acc, "step": step, "state": None}
        # ">" keeps the earliest step among ties: the least fitted model with that accuracy
        elif val_acc > self.best["val_acc"]:
            self.best = {"val_acc": val_acc, "step": step, "state": copy.deepcopy(self.model.state_dict())}
        self.curve.append([step, val_acc])
        return val_loss, val_acc
