"""Known answers for the evaluation measures: corruptions, calibration, failure level, KID."""
import numpy as np
import pytest

from synthmix.evaluate.corruptions import CORRUPTIONS, corrupt
from synthmix.evaluate.metrics import expected_calibration_error, failure_level
from synthmix.evaluate.quality import kernel_distance


@pytest.mark.parametrize("kind", sorted(CORRUPTIONS))
def test_corruption_is_identity_at_zero_and_grows_with_level(kind):
    x = np.random.default_rng(0).integers(40, 216, (64, 16, 16, 3), dtype=np.uint8)
    assert corrupt(x, kind, 0.0, seed=1) is x
    change = [np.abs(corrupt(x, kind, level, seed=1).astype(int) - x).mean() for level in (0.1, 0.25, 0.5, 0.85)]
    assert 0 < change[0] < change[1] < change[2] < change[3], change
    y = corrupt(x, kind, 0.5, seed=1)
    assert y.shape == x.shape and y.dtype == np.uint8
    assert np.array_equal(y, corrupt(x, kind, 0.5, seed=1))          # seeded
    with pytest.raises(ValueError, match="level 1.5"):
        corrupt(x, kind, 1.5, seed=1)


def test_unknown_corruption_lists_valid_ones():
    with pytest.raises(ValueError, match="unknown corruption 'fog'; valid: gaussian, salt_pepper"):
        corrupt(np.zeros((1, 4, 4, 1), np.uint8), "fog", 0.5, 0)


def test_ece_of_a_calibrated_and_an_overconfident_predictor():
    rng = np.random.default_rng(0)
    conf = rng.uniform(0.2, 1.0, 200_000)
    correct = rng.uniform(size=conf.size) < conf        # right exactly as often as it claims
    assert expected_calibration_error(conf, correct) < 0.01
    always_sure = np.full(1000, 0.99)
    half_right = np.arange(1000) % 2 == 0
    assert expected_calibration_error(always_sure, half_right) == pytest.approx(0.49)


def test_failure_level_is_the_first_level_below_the_fraction():
    curve = {0.0: 0.9, 0.1: 0.85, 0.25: 0.7, 0.5: 0.75, 0.85: 0.2}
    assert failure_level(curve, 0.9, 0.8) == 0.25        # 0.7 < 0.72
    assert failure_level(curve, 0.9, 0.1) is None


def test_kid_is_zero_for_one_distribution_and_grows_with_a_shift():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(400, 8)), rng.normal(size=(400, 8))
    same = kernel_distance(a, b)
    shifts = [kernel_distance(a, b + s) for s in (0.25, 0.5, 1.0)]
    # sampling noise only: an order of magnitude below even the smallest shift
    assert abs(same) < 0.1 * shifts[0]
    assert shifts[0] < shifts[1] < shifts[2]


@pytest.mark.parametrize("counts,cap,expected", [
    ([40, 33, 33], 100, [38, 31, 31]),                   # 1 each + 97 x (39, 32, 32) / 103: 36.7, 30.1, 30.1
    ([2] * 40 + [5, 7, 9], 50, [2] * 4 + [1] * 36 + [2, 2, 2]),   # 43 + the 7 largest remainders
    ([30] * 43, 43, [1] * 43),
    ([500, 3, 1], 10, [8, 1, 1])])
def test_stratified_subset_keeps_its_cap_and_every_class(counts, cap, expected):
    from synthmix.evaluate.corruptions import stratified_subset

    labels = np.repeat(np.arange(len(counts)), counts)
    picked = stratified_subset(labels, cap, seed=0)
    assert len(picked) == cap and len(np.unique(picked)) == cap
    assert np.bincount(labels[picked], minlength=len(counts)).tolist() == expected


def test_failure_level_compares_with_the_clean_accuracy_of_the_same_subset():
    import torch

    from synthmix.data.store import RobustnessSets
    from synthmix.evaluate.score import robustness_curves

    class Fixed(torch.nn.Module):        # always predicts class 1
        def forward(self, x):
            return torch.stack([x.flatten(1)[:, 0] * 0, torch.ones(len(x))], 1)

    labels = np.array([1, 1, 1, 1])
    sets = RobustnessSets(kinds=["blur"], levels=[0.5], indices=[0, 1], labels=labels[:2],
                          images={"blur": np.zeros((1, 2, 2, 2, 1), np.uint8)})
    pred = np.array([1, 0, 1, 1])               # the subset's clean accuracy is 0.5, the full split's 0.75
    curves = robustness_curves(Fixed(), pred, sets, torch.device("cpu"))
    assert curves["blur"] == {"0.0": 0.5, "0.5": 1.0}    # level 0 is there although not in the levels


def test_the_test_split_is_scored_in_float32_whatever_runtime_amp(monkeypatch):
    """runtime.amp is for training: scoring never asks for autocast (on CUDA it would be bf16), and
    runs with TF32 off (cuDNN's default on Ampere and newer), the robustness sets included."""
    import torch

    import synthmix.evaluate.score as score
    from synthmix.data.store import RobustnessSets

    calls = []
    real = score.predict_logits

    def spy(*args, **kwargs):
        calls.append((len(args), kwargs.get("amp", False), torch.backends.cudnn.allow_tf32,
                      torch.backends.cuda.matmul.allow_tf32))
        return real(*args, **kwargs)

    monkeypatch.setattr(score, "predict_logits", spy)
    torch.backends.cudnn.allow_tf32 = True
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 2))
    images, labels = np.zeros((3, 2, 2, 1), np.uint8), np.array([0, 1, 0])
    sets = RobustnessSets(kinds=["blur"], levels=[0.5], indices=[0, 2], labels=labels[[0, 2]],
                          images={"blur": np.zeros((1, 2, 2, 2, 1), np.uint8)})
    score.score_run(model, images, labels, sets, ["a", "b"], torch.device("cpu"))
    assert len(calls) == 2                               # the test split, then the one corrupted set
    assert all(n_args <= 3 and not amp and not tf32_conv and not tf32_mm for n_args, amp, tf32_conv, tf32_mm in calls)
    assert torch.backends.cudnn.allow_tf32                # restored after scoring
