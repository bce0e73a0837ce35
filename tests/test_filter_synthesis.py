"""The filter relative to the judge, temperature scaling, generate-until-enough and the rule that no
variant trains on a handful of synthetic images repeated."""
import numpy as np
import pytest

from fakes import FixedLogits
from synthmix.core.errors import TooFewImagesError
from synthmix.judge import Judge, calibration, fit_temperature, nll
from synthmix.mix import check_enough_unique, training_set
from synthmix.params import FilterParams
from synthmix.synth.filter import class_cut, keep_mask
from synthmix.synth.generate import generate_until_enough
from synthmix.variants import Variant


def test_relative_filter_keeps_exactly_the_images_at_or_above_the_real_validation_quantile():
    real_val = np.array([0.30, 0.90, 0.60, 0.75, 0.99])            # the class's real validation images
    rule = FilterParams(mode="relative", quantile=0.5)
    cut = class_cut(rule, real_val)
    assert cut == pytest.approx(0.75)                               # the median of the real images
    synthetic = np.array([0.74, 0.75, 0.751, 0.2, 0.99, 0.7499999])
    assert keep_mask(rule, synthetic, cut).tolist() == [False, True, True, False, True, False]
    # the cut follows the quantile: q = 0.25 of these five is 0.60, q = 1 is the most convincing real image
    assert class_cut(FilterParams(mode="relative", quantile=0.25), real_val) == pytest.approx(0.60)
    assert class_cut(FilterParams(mode="relative", quantile=1.0), real_val) == pytest.approx(0.99)
    # a weak judge (real images unconvincing) lowers the bar with them: relative, not absolute
    assert class_cut(rule, real_val * 0.1) == pytest.approx(0.075)
    assert class_cut(FilterParams(mode="threshold", threshold=0.8), real_val) == 0.8
    assert class_cut(FilterParams(mode="top"), real_val) is None


def test_top_filter_keeps_the_most_convincing_share():
    rule = FilterParams(mode="top", fraction=0.4)
    conf = np.array([0.1, 0.9, 0.5, 0.9, 0.3])
    assert keep_mask(rule, conf, None).tolist() == [False, True, False, True, False]   # 2 of 5
    assert keep_mask(FilterParams(mode="top", fraction=1.0), conf, None).all()


def test_temperature_scaling_lowers_the_nll_of_an_over_confident_model():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 5, 400)
    # a model right 70% of the time but with huge logits (near-certain every time)
    predicted = np.where(rng.random(400) < 0.7, labels, rng.integers(0, 5, 400))
    logits = rng.normal(0, 1, (400, 5))
    logits[np.arange(400), predicted] += 12.0
    t = fit_temperature(logits, labels)
    assert t > 2.0                                                    # softened
    assert nll(logits, labels, t) < 0.5 * nll(logits, labels, 1.0)
    report = calibration(logits, labels, t)
    assert report["ece_after"] < report["ece_before"] and report["nll_after"] < report["nll_before"]
    probs_before = np.exp(logits - logits.max(1, keepdims=True))
    assert np.array_equal(probs_before.argmax(1), (logits / t).argmax(1))   # accuracy unchanged
    # an under-confident model is sharpened (T < 1)
    assert fit_temperature(logits / 40.0, labels) < 1.0


def _chunks(chunk=4):
    """Endless (chunk, 1, 1, 1) uint8 'images' whose pixel is a running counter; confidence = value/100."""
    i = 0
    while True:
        yield (np.arange(i, i + chunk) % 256).astype(np.uint8).reshape(chunk, 1, 1, 1)
        i += chunk


def _confidence(images):
    return (images.reshape(-1).astype(np.float64) % 10) / 10.0      # 0.0 .. 0.9, one in ten >= 0.9


def test_generate_until_enough_stops_at_the_target():
    rule = FilterParams(mode="threshold", threshold=0.5)            # half of every 10 pass
    out = generate_until_enough(_chunks(), _confidence, rule, 0.5, target=7, max_draws=1000)
    assert out.stats["kept"] == 7 and out.stats["reached"]
    assert out.stats["drawn"] == 20                                  # 5 chunks of 4: the 7th passing is image 16
    assert out.stats["passed"] == 10 and out.stats["acceptance"] == 0.5  # 5..9 and 15..19 passed; 7 kept
    assert len(out.drawn) == 20 and (_confidence(out.kept) >= 0.5).all()
    assert out.kept.reshape(-1).tolist() == [5, 6, 7, 8, 9, 15, 16]  # the first passing ones, in draw order


def test_generate_until_enough_stops_at_the_cap_and_records_the_shortfall():
    rule = FilterParams(mode="threshold", threshold=0.9)            # one in ten passes
    out = generate_until_enough(_chunks(), _confidence, rule, 0.9, target=50, max_draws=30)
    assert out.stats["drawn"] == 30 and len(out.drawn) == 30           # the last chunk is cut at the cap
    assert out.stats["kept"] == 3 and not out.stats["reached"]       # images 9, 19, 29
    assert out.stats["acceptance"] == pytest.approx(0.1)


def test_generate_until_enough_never_keeps_a_repeat():
    def repeating():
        while True:
            yield np.full((4, 1, 1, 1), 9, np.uint8)                   # a collapsed generator
    out = generate_until_enough(repeating(), _confidence, FilterParams(mode="threshold", threshold=0.5), 0.5,
                                target=5, max_draws=40)
    assert out.stats["kept"] == 1 and out.stats["drawn"] == 40 and out.stats["unique_drawn"] == 1
    assert out.stats["acceptance"] == 1.0                            # every draw passed; repeats are not kept


def test_top_mode_draws_a_fixed_number_and_keeps_the_best_share():
    rule = FilterParams(mode="top", fraction=0.5)
    out = generate_until_enough(_chunks(), _confidence, rule, None, target=5, max_draws=1000)
    assert out.stats["drawn"] == 10 and out.stats["kept"] == 5       # ceil(5 / 0.5) draws, the best half kept
    assert sorted(out.kept.reshape(-1).tolist()) == [5, 6, 7, 8, 9]


def _sets(n_real, n_unique):
    real = {c: np.full((n_real, 2, 2, 1), i, np.uint8) for i, c in enumerate("ab")}
    syn = {c: (100 + np.arange(n_unique[c])).astype(np.uint8).reshape(-1, 1, 1, 1).repeat(2, 1).repeat(2, 2)
           for c in "ab"}
    return real, syn


def test_minimum_unique_rule_refuses_a_handful_of_repeated_images_naming_the_class():
    real, syn = _sets(50, {"a": 80, "b": 8})
    with pytest.raises(TooFewImagesError, match=r"variant synthetic: class 'b' has 8 unique synthetic images.*"
                                                r"fewer than the 50.*filter.min_unique = 50.*generate.max_draws"):
        training_set(Variant("synthetic"), real, syn, ["a", "b"], "add", 50, seed=0)
    # a mix asking for fewer than the minimum needs only what it asks for: mix_10 adds round(50/9) = 6
    images, labels, counts = training_set(Variant("mix", 10), real, syn, ["a", "b"], "add", 50, seed=0)
    assert counts["b"] == {"real": 50, "synthetic": 6, "synthetic_wanted": 6, "synthetic_unique": 6}
    with pytest.raises(TooFewImagesError, match="class 'b' has 8 unique.*fewer than the 17"):
        training_set(Variant("mix", 25), real, syn, ["a", "b"], "add", 50, seed=0)
    # enough unique images but fewer than wanted: repeats are allowed above the minimum
    real, syn = _sets(50, {"a": 80, "b": 60})
    _, _, counts = training_set(Variant("mix", 75), real, syn, ["a", "b"], "add", 50, seed=0)
    assert counts["b"] == {"real": 50, "synthetic": 150, "synthetic_wanted": 150, "synthetic_unique": 60}
    check_enough_unique(counts, 60, "mix_75")                          # exactly at the minimum: fine
    with pytest.raises(TooFewImagesError, match="mix_75: class 'b' has 60"):
        check_enough_unique(counts, 61, "mix_75")


def test_real_variants_ignore_synthetic_images():
    real, _ = _sets(5, {"a": 0, "b": 0})
    images, labels, counts = training_set(Variant("augmented"), real, None, ["a", "b"], "add", 50, seed=0)
    assert counts is None and images.shape == (10, 2, 2, 1) and labels.tolist() == [0] * 5 + [1] * 5


def test_judge_confidence_uses_the_temperature():
    logits = np.array([[4.0, 0.0], [0.0, 4.0]])
    images = np.zeros((2, 2, 2, 1), np.uint8)
    sharp = Judge(FixedLogits(logits), temperature=1.0).confidence(images, 0, "cpu")
    soft = Judge(FixedLogits(logits), temperature=4.0).confidence(images, 0, "cpu")
    np.testing.assert_allclose(sharp, [1 / (1 + np.exp(-4)), 1 / (1 + np.exp(4))])
    np.testing.assert_allclose(soft, [1 / (1 + np.exp(-1)), 1 / (1 + np.exp(1))])
