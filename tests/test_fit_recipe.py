"""The classifier recipe's two choices in `fit`: which weights a run keeps (the schedule's end or
the best validation check) and label smoothing of its loss."""
import math

import numpy as np
import torch

from synthmix.classifier.train import fit
from synthmix.core.runtime import Runtime
from synthmix.params import ClassifierParams, CnnParams, JudgeParams

X = np.random.default_rng(0).integers(0, 256, (48, 8, 8, 1), dtype=np.uint8)
Y = np.arange(48) % 3
CPU = torch.device("cpu")


def run(steps: int = 16, **knobs):
    """fit on X, validating on its first 12 images; (weights as bytes, info, logged train losses)."""
    losses = []
    rt = Runtime(CPU, log=lambda step, values: losses.append(values["train_loss"]))
    model, _, info = fit((X, Y), (X[:12], Y[:12]), 3, CnnParams(width=4, batch_size=8, **knobs), steps, 0, rt)
    return b"".join(v.numpy().tobytes() for v in model.state_dict().values()), info, losses


def test_keep_last_returns_the_weights_at_the_end_of_the_schedule():
    last, info, _ = run(keep="last", eval_every=2)
    # with one check, at the last step, "best" can only keep the end: the same run, the same bytes
    only_end, _, _ = run(keep="best", eval_every=16)
    assert last == only_end
    assert info["best_step"] == 16 and info["best_val_acc"] == info["val_curve"][-1][1]
    assert [s for s, _ in info["val_curve"]] == list(range(2, 17, 2))     # the checks still draw the curve


def test_keep_best_returns_the_earliest_best_check():
    best, info, _ = run(keep="best", eval_every=2)
    accs = [a for _, a in info["val_curve"]]
    assert info["best_val_acc"] == max(accs)
    assert info["best_step"] == info["val_curve"][accs.index(max(accs))][0]
    # random labels: the curve stays at chance, and the earliest of the tied checks is kept
    assert info["best_step"] == 2
    assert best != run(keep="last", eval_every=2)[0]


def test_label_smoothing_is_in_the_loss():
    """With smoothing eps over K classes the target puts 1 - eps + eps/K on the label and eps/K on the
    others, so no prediction scores below that target's entropy; the plain loss has no such floor."""
    eps, k = 0.3, 3
    target = [1 - eps + eps / k] + [eps / k] * (k - 1)
    floor = -sum(t * math.log(t) for t in target)
    _, _, smoothed = run(steps=48, label_smoothing=eps, eval_every=1, lr=0.02)
    _, _, plain = run(steps=48, label_smoothing=0.0, eval_every=1, lr=0.02)
    assert min(smoothed) >= floor - 1e-5
    assert min(plain) < floor                        # the same run fits below it without smoothing


def test_classifiers_ship_the_measured_recipe_and_the_judge_keeps_its_own():
    assert (ClassifierParams().label_smoothing, ClassifierParams().keep) == (0.1, "last")
    # the judge's probabilities decide the filter and are calibrated afterwards: the plain loss, best check
    assert (JudgeParams().label_smoothing, JudgeParams().keep) == (0.0, "best")
