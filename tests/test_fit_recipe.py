"""The classifier recipe's two choices in `fit`: which weights a run keeps (the schedule's end or
the best validation check) and label smoothing of its loss."""
import math

import numpy as np
import torch

from synthmix.classifier import train
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


def test_keep_best_returns_the_earliest_best_check(monkeypatch):
    """Scripted validation accuracies (rising, falling, tying the best): the weights of the first
    check at the maximum come back, not the end's."""
    scripted, seen = iter([0.5, 0.8, 0.6, 0.8, 0.7, 0.4, 0.6, 0.5]), []

    def check(model, x, y):
        seen.append(b"".join(v.numpy().tobytes() for v in model.state_dict().values()))    # the weights checked
        return 1.0, next(scripted)

    monkeypatch.setattr(train, "cross_entropy_accuracy", check)
    best, info, _ = run(keep="best", eval_every=2)
    assert (info["best_step"], info["best_val_acc"]) == (4, 0.8)
    assert best == seen[1] and best != seen[-1]                         # step 4's weights, not the end's


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


def test_the_reports_settings_name_the_classifiers_recipe():
    from synthmix.report.phrasing import recipe_text, settings_rows
    from synthmix.report.summary import Design, FilterSummary, JudgeSummary, Summary

    summary = Summary(design=Design("digits", 8, replicates=3, steps=300, gan_seeds=[0], gan_variance="-"),
                      variants={}, best=None, worth=None, filter=FilterSummary("relative", 0.5, 1, 1, 2, 1),
                      judge=JudgeSummary(1.0, None, None), quality={})
    settings = {"dataset": "digits", "image_size": "8x8x1", "per_class": "50", "val_images": 200, "test_images": 539,
                "gan_steps": 1000, "mix_mode": "add", "recipe": recipe_text(0.1, "last")}
    rows = dict(settings_rows(summary, settings))
    assert rows["classifier recipe"] == "one-cycle AdamW, label smoothing 0.1, the schedule's last weights"
    assert "classifier recipe" not in dict(settings_rows(summary, settings | {"recipe": ""}))
    assert "best validation check" in recipe_text(0.0, "best")


def test_cpu_bf16_trains_in_bf16_where_native_and_stays_deterministic(monkeypatch):
    """classifier.cpu_bf16: the training forward pass runs under bf16 autocast on a CPU with native
    bf16 (other bytes than float32's, the same bytes run after run; the validation checks stay
    float32), and in float32 on one without; 'auto' only over BF16_ABOVE."""
    from synthmix.core import runtime
    from synthmix.params import schema

    seen = []
    conv = torch.nn.Conv2d.forward
    monkeypatch.setattr(torch.nn.Conv2d, "forward", lambda self, x: seen.append(conv(self, x).dtype) or conv(self, x))
    fp32, _, _ = run(keep="last")
    assert set(seen) == {torch.float32}
    monkeypatch.setattr(runtime, "native_cpu_bf16", lambda: True)
    seen.clear()
    bf16, _, _ = run(keep="last", cpu_bf16=True, eval_every=16)
    # 16 training steps of 5 convolutions in bf16, then one check of 5 in float32
    assert seen.count(torch.bfloat16) == 16 * 5 and seen[-5:] == [torch.float32] * 5
    assert bf16 == run(keep="last", cpu_bf16=True)[0] and bf16 != fp32
    # auto: X is 8x8, so float32; with the threshold under 8, bf16
    assert run(keep="last", cpu_bf16="auto")[0] == fp32
    monkeypatch.setattr(schema, "BF16_ABOVE", 4)
    assert run(keep="last", cpu_bf16="auto")[0] == bf16
    monkeypatch.setattr(runtime, "native_cpu_bf16", lambda: False)       # emulated: float32, the same bytes
    assert run(keep="last", cpu_bf16=True)[0] == fp32
    monkeypatch.undo()
    c = ClassifierParams(cpu_bf16="auto")
    assert (c.bf16_on_cpu(8), c.bf16_on_cpu(16), c.bf16_on_cpu(28)) == (False, False, True)
    assert ClassifierParams().bf16_on_cpu(28) is False and ClassifierParams(cpu_bf16=True).bf16_on_cpu(8)
    assert JudgeParams().cpu_bf16 is False and JudgeParams().bf16_on_cpu(28) is False


def test_native_cpu_bf16_asks_torch_checks_that_exist():
    """torch's checks are private: if a torch release renames both, cpu_bf16 would silently train in
    float32 everywhere; this fails first."""
    from synthmix.core.runtime import native_cpu_bf16

    assert any(hasattr(torch.cpu, name) for name in ("_is_amx_tile_supported", "_is_avx512_bf16_supported"))
    assert isinstance(native_cpu_bf16(), bool)
