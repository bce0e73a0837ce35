import numpy as np
import pytest
import torch

from synthmix.core.runtime import generator
from synthmix.params import AugmentParams
from fakes import FixedLogits
from synthmix.classifier.augment import augment_batch
from synthmix.judge import Judge
from synthmix.mix import mix_counts, mix_real_synthetic, synthetic_only
from synthmix.params import FilterParams
from synthmix.synth.filter import keep_mask


@pytest.mark.parametrize("n_real,ratio,mode,expected", [
    (50, 0, "add", (50, 0)), (50, 25, "add", (50, 17)), (50, 50, "add", (50, 50)), (50, 75, "add", (50, 150)),
    (50, 0, "replace", (50, 0)), (50, 25, "replace", (38, 12)), (50, 50, "replace", (25, 25)),
    (50, 100, "replace", (0, 50)), (3, 50, "replace", (1, 2)),
])
def test_mix_counts(n_real, ratio, mode, expected):
    assert mix_counts(n_real, ratio, mode) == expected


def test_mix_counts_rejects_impossible():
    with pytest.raises(ValueError, match="cannot reach 100% synthetic"):
        mix_counts(10, 100, "add")
    with pytest.raises(ValueError, match="cannot reach 100% synthetic"):
        mix_counts(10, 100, "balance")
    with pytest.raises(ValueError, match="0..100"):
        mix_counts(10, 101, "replace")


def _class_sets(n_real, n_syn):
    # real images of class c are filled with value c, synthetic with 100 + c, so origin is visible
    real = {str(c): np.full((n_real, 4, 4, 1), c, np.uint8) for c in range(3)}
    syn = {str(c): np.full((n_syn, 4, 4, 1), 100 + c, np.uint8) + np.arange(n_syn, dtype=np.uint8)[:, None, None, None]
           for c in range(3)}
    return real, syn


def test_mix_real_synthetic_keeps_balance_and_fraction():
    real, syn = _class_sets(20, 40)
    images, labels, counts = mix_real_synthetic(real, syn, ["0", "1", "2"], 50, "add", seed=0)
    assert images.shape == (120, 4, 4, 1) and labels.shape == (120,)
    for c in range(3):
        mine = images[labels == c]
        assert (mine.reshape(len(mine), -1)[:, 0] == c).sum() == 20            # every real image kept
        assert (mine.reshape(len(mine), -1)[:, 0] >= 100 + c).sum() == 20      # ratio 50 -> as many synthetic
        assert counts[str(c)] == {"real": 20, "synthetic": 20, "synthetic_wanted": 20, "synthetic_unique": 20}
    # replace mode keeps the total
    images, labels, _ = mix_real_synthetic(real, syn, ["0", "1", "2"], 25, "replace", seed=0)
    assert len(images) == 60 and np.bincount(labels).tolist() == [20, 20, 20]
    assert (images.reshape(60, -1)[:, 0] >= 100).sum() == 15


def test_shortfall_repeats_synthetic_and_reports_it():
    real, syn = _class_sets(20, 5)
    images, labels, counts = mix_real_synthetic(real, syn, ["0", "1", "2"], 75, "add", seed=1)
    assert counts["0"] == {"real": 20, "synthetic": 60, "synthetic_wanted": 60, "synthetic_unique": 5}
    syn["2"] = syn["2"][:0]
    _, labels, counts = mix_real_synthetic(real, syn, ["0", "1", "2"], 50, "add", seed=1)
    assert counts["2"]["synthetic"] == 0 and counts["2"]["synthetic_unique"] == 0 and (labels == 2).sum() == 20


def test_synthetic_only_matches_real_size_and_is_deterministic():
    real, syn = _class_sets(10, 30)
    a, la, _ = synthetic_only(syn, real, ["0", "1", "2"], seed=3)
    b, lb, _ = synthetic_only(syn, real, ["0", "1", "2"], seed=3)
    assert len(a) == 30 and (a.reshape(30, -1)[:, 0] >= 100).all()
    assert np.array_equal(a, b) and np.array_equal(la, lb)


def test_threshold_filter_keeps_exactly_images_at_or_above_threshold():
    probs = np.array([[0.95, 0.05], [0.5, 0.5], [0.2, 0.8], [0.9, 0.1]])
    judge = Judge(FixedLogits(np.log(probs)))                  # temperature 1: the probabilities as given
    images = np.zeros((4, 4, 4, 1), np.uint8)
    conf = judge.confidence(images, label=0, device="cpu")
    np.testing.assert_allclose(conf, probs[:, 0], rtol=1e-6)
    rule = lambda t: FilterParams(mode="threshold", threshold=t)  # noqa: E731
    assert keep_mask(rule(0.5), conf, 0.5).tolist() == [True, True, False, True]
    assert keep_mask(rule(0.91), conf, 0.91).tolist() == [True, False, False, False]
    assert keep_mask(rule(0.0), conf, 0.0).all()
    assert judge.confidence(images[:0], 0, "cpu").shape == (0,)


def test_augmentation_keeps_shape_and_range_and_changes_images():
    x = torch.rand(16, 3, 16, 16) * 2 - 1
    p = AugmentParams(flip=True, brightness=0.3, zoom=0.2, rotation=30.0)
    y = augment_batch(x, p, generator(0))
    assert y.shape == x.shape and y.dtype == x.dtype
    assert y.min() >= -1 and y.max() <= 1
    assert not torch.allclose(x, y)
    assert torch.equal(y, augment_batch(x, p, generator(0)))          # seeded: reproducible
    off = AugmentParams(flip=False, brightness=0.0, zoom=0.0, rotation=0.0)
    assert torch.equal(augment_batch(x, off, generator(0)), x)        # all off: identity


def test_flip_only_mirrors():
    x = torch.arange(16.0).view(1, 1, 4, 4).repeat(64, 1, 1, 1) / 16 - 0.5
    y = augment_batch(x, AugmentParams(flip=True, brightness=0.0, zoom=0.0, rotation=0.0), generator(1))
    flipped = (y == x.flip(3)).flatten(1).all(1)
    same = (y == x).flatten(1).all(1)
    assert (flipped | same).all() and flipped.any() and same.any()


def test_balance_mode_fills_every_class_to_the_same_size():
    real = {"a": np.zeros((40, 4, 4, 1), np.uint8), "b": np.zeros((10, 4, 4, 1), np.uint8)}
    syn = {c: np.ones((100, 4, 4, 1), np.uint8) for c in real}
    _, labels, counts = mix_real_synthetic(real, syn, ["a", "b"], 0, "balance", seed=0)
    assert np.bincount(labels).tolist() == [40, 40]            # ratio 0: just balanced
    assert counts["a"]["synthetic"] == 0 and counts["b"]["synthetic"] == 30
    _, labels, counts = mix_real_synthetic(real, syn, ["a", "b"], 50, "balance", seed=0)
    assert np.bincount(labels).tolist() == [80, 80]            # the largest class is 50% synthetic
    assert counts["b"] == {"real": 10, "synthetic": 70, "synthetic_wanted": 70, "synthetic_unique": 70}
    assert mix_counts(30, 25, "balance") == mix_counts(30, 25, "add")  # equal classes: same as add
