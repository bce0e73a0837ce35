"""The memorisation audit, near-duplicate uniqueness, size-matched quality sets and KID's spread."""
import numpy as np
import pytest

from synthmix.data.store import Prepared
from synthmix.evaluate.memorisation import (audit_space, authenticity, closest_pairs, flat_pixels, greedy_distinct,
                                            near_duplicate_radius, nearest)
from synthmix.evaluate.quality import kid_subsets
from synthmix.evaluate.synthetic_quality import matched_sets


def _class_images(rng: np.random.Generator, n: int, size: int = 8) -> np.ndarray:
    """n images of one 'class': a shared smooth template plus strong per-image variation, uint8 (n, S, S, 1)."""
    template = np.linspace(60, 190, size * size).reshape(size, size)
    noise = rng.normal(0, 35, (n, size, size))
    return np.clip(template + noise, 0, 255).astype(np.uint8)[..., None]


def test_copy_rate_is_one_for_jittered_copies_and_near_zero_for_new_images():
    rng = np.random.default_rng(0)
    train, heldout, fresh = _class_images(rng, 50), _class_images(rng, 200), _class_images(rng, 200)
    copies = train[rng.integers(0, 50, 200)].astype(np.int16) + rng.integers(-2, 3, (200, 8, 8, 1))
    copies = np.clip(copies, 0, 255).astype(np.uint8)
    t, h = flat_pixels(train), flat_pixels(heldout)
    copied = audit_space(flat_pixels(copies), t, h)
    new = audit_space(flat_pixels(fresh), t, h)
    assert copied["copy_rate"] == 1.0 and copied["authenticity"] < 0.05 and copied["median_distance_ratio"] < 0.1
    assert new["copy_rate"] < 0.12                      # about 0.05 by construction of the threshold
    assert abs(new["authenticity"] - new["heldout_authenticity"]) < 0.1 and new["authenticity"] > 0.5
    assert 0.8 < new["median_distance_ratio"] < 1.2


def test_authenticity_against_a_hand_made_set():
    train = np.array([[0.0], [1.0], [10.0]])           # own nearest-neighbour distances: 1, 1, 9
    queries = np.array([[0.5], [10.5], [5.0], [13.0]])
    # 0.5: 0.5 from 0 (radius 1) -> copy; 10.5: 0.5 from 10 (radius 9) -> copy; 5: 4 from 1 (radius 1)
    # -> authentic; 13: 3 from 10 (radius 9) -> copy
    assert authenticity(queries, train) == pytest.approx(0.25)


def test_nearest_excludes_self_and_works_in_blocks(monkeypatch):
    import synthmix.evaluate.memorisation as m

    monkeypatch.setattr(m, "CHUNK", 3)                  # several blocks over 7 rows
    x = np.array([[0.0], [0.1], [5.0], [5.3], [9.0], [20.0], [20.5]])
    dist, index = nearest(x, x, exclude_self=True)
    assert index.tolist() == [1, 0, 3, 2, 3, 6, 5]
    assert dist == pytest.approx([0.1, 0.1, 0.3, 0.3, 3.7, 0.5, 0.5])
    pairs = closest_pairs(np.array([[4.9], [19.0], [0.05]]), x, 2)
    assert [(p["synthetic"], p["train"]) for p in pairs] == [(2, 0), (0, 2)]


def test_near_duplicates_count_once():
    rng = np.random.default_rng(1)
    base = _class_images(rng, 10)
    # 10 distinct images, each followed by 4 near-duplicates (a pixel or two changed by a few levels)
    changed = rng.random((50, 8, 8, 1)) < 0.05
    jitter = np.clip(np.repeat(base, 5, 0).astype(np.int16) + rng.integers(-3, 4, (50, 8, 8, 1)) * changed, 0, 255)
    images = flat_pixels(jitter.astype(np.uint8))
    radius = near_duplicate_radius(flat_pixels(_class_images(rng, 50)))
    assert len(greedy_distinct(images, radius)) == 10
    assert greedy_distinct(images, radius).tolist() == list(range(0, 50, 5))      # the first of each, in order
    assert len(greedy_distinct(np.concatenate([images, images]), 0.0)) == 50         # radius 0: exact repeats only
    assert len(greedy_distinct(images[1:5], radius, taken=images[:1])) == 0          # all near one already taken
    assert greedy_distinct(images[5:10], radius, taken=images[:1]).tolist() == [0]   # another image's group
    real = flat_pixels(_class_images(rng, 60))
    assert len(greedy_distinct(real, near_duplicate_radius(real))) >= 54              # real images: few near-dups


def test_byte_identical_repeats_are_dropped_at_radius_zero():
    x = np.array([[1.0, 2.0], [1.0, 2.0], [1.0, 2.5]])
    assert greedy_distinct(x, 0.0).tolist() == [0, 2]
    # rounding noise of a.a + b.b - 2a.b on real images does not make a repeat distinct
    images = flat_pixels(np.random.default_rng(4).integers(0, 256, (50, 32, 32, 3), dtype=np.uint8))
    assert greedy_distinct(np.concatenate([images, images]), 0.0).tolist() == list(range(50))


def test_exact_copies_count_even_when_the_threshold_is_zero():
    train = np.array([[0.0], [1.0], [2.0]])
    heldout = np.array([[0.0], [1.0], [2.0], [5.0]])     # held-out images repeat training ones: threshold 0
    out = audit_space(np.array([[1.0], [1.5]]), train, heldout)
    assert out["copy_threshold"] == 0.0 and out["copy_rate"] == 0.5
    assert audit_space(np.array([[1.0]]), train[:1], heldout)["authenticity"] is None   # one training image


def test_kid_spread_is_not_zero_for_equal_size_sets():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(60, 5)), rng.normal(0.3, 1.0, size=(60, 5))
    mean, std = kid_subsets(a, b, subsets=20)
    assert std > 0 and mean > 0


def test_quality_sets_are_size_matched_and_the_reference_is_held_out():
    rng = np.random.default_rng(3)
    classes = ["a", "b"]
    test_images = rng.integers(0, 255, (70, 4, 4, 1), dtype=np.uint8)
    test_labels = np.array([0] * 40 + [1] * 30)
    data = Prepared({c: rng.integers(0, 255, (5, 4, 4, 1), dtype=np.uint8) for c in classes},
                    test_images[:0], test_labels[:0], test_images, test_labels, {"classes": classes})
    raw = {"a": rng.integers(0, 255, (50, 4, 4, 1), dtype=np.uint8), "b": rng.integers(0, 255, (12, 4, 4, 1), dtype=np.uint8)}
    filtered = {"a": raw["a"][:33], "b": raw["b"][:9]}
    reference, sets = matched_sets(data, raw, filtered, seed=0)
    assert {c: len(x) for c, x in reference.items()} == {"a": 20, "b": 15}
    assert {name: {c: len(x) for c, x in s.items()} for name, s in sets.items()} == {
        "real_heldout": {"a": 20, "b": 9}, "raw": {"a": 20, "b": 9}, "filtered": {"a": 20, "b": 9}}
    # the held-out row and the reference are disjoint halves of the class's test images
    ref_rows = {r.tobytes() for r in reference["a"]}
    assert not ref_rows & {r.tobytes() for r in sets["real_heldout"]["a"]}
    assert ref_rows | {r.tobytes() for r in test_images[:40]} == {r.tobytes() for r in test_images[:40]}


class _PixelJudge:
    """A stand-in judge whose features are the flattened pixels."""
    def embed(self, images, device):
        return flat_pixels(images)


def _prepared(rng, classes=("a", "b"), train=20, heldout=30):
    images = {c: _class_images(rng, train + heldout) for c in classes}
    val = np.concatenate([images[c][train:train + 10] for c in classes])
    test = np.concatenate([images[c][train + 10:] for c in classes])
    labels = lambda n: np.repeat(np.arange(len(classes)), n)  # noqa: E731
    return Prepared({c: images[c][:train] for c in classes}, val, labels(10), test, labels(heldout - 10),
                    {"classes": list(classes)})


def test_memorisation_audit_flags_a_copying_gan_seed_and_finds_its_pairs():
    from synthmix.evaluate.synthetic_quality import memorisation_audit

    rng = np.random.default_rng(5)
    data = _prepared(rng)
    fresh = {c: _class_images(rng, 60) for c in "ab"}
    copied = {c: data.train[c][[3, 7] * 20] for c in "ab"}        # GAN seed 1 repeats two training images
    audit = memorisation_audit(_PixelJudge(), data, {"0": fresh, "1": copied}, "cpu")
    assert audit["mostly_copies"] == ["GAN seed 1"]               # pooled, 40% of the images are copies: not flagged
    assert audit["per_class"]["a"]["pixel_per_seed"]["1"]["copy_rate"] == 1.0
    assert audit["per_class"]["a"]["pixel_per_seed"]["0"]["copy_rate"] < 0.15
    assert audit["overall"]["pixel"]["copy_rate"] == pytest.approx(0.4, abs=0.05)
    pairs = audit["closest_pairs"]["b"]
    assert len(pairs) == 4 and all(p["gan_seed"] == 1 and p["distance"] == 0.0 for p in pairs)
    for p in pairs:                                               # indices within the seed's own file
        assert np.array_equal(copied["b"][p["synthetic"]], data.train["b"][p["train"]])


def test_a_balance_mix_at_zero_percent_is_flagged_too():
    from synthmix.report.phrasing import copies_warning
    from synthmix.variants import Variant

    assert Variant.parse("mix_0").uses_synthetic       # mode balance fills classes with synthetic images
    warning = copies_warning({"memorisation": {"mostly_copies": ["GAN seed 2"], "mostly_copies_above": 0.5}})
    assert warning.startswith("FLAGGED") and "GAN seed 2" in warning
    assert copies_warning({"memorisation": {"mostly_copies": [], "mostly_copies_above": 0.5}}) is None
