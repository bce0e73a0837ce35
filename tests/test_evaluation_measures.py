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
