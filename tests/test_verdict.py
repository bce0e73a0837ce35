"""The comparison the verdict rests on: equal budgets, paired replicates (the same initial weights,
the GAN draw inside), intervals and p-values that match scipy, no p of 0 from a tie, the power
statement, and the budget check."""
import math
from dataclasses import replace

import numpy as np
import pytest
import torch
from scipy import stats

from synthmix.classifier import train as train_module
from synthmix.classifier.replicate import SyntheticImages, train_replicate
from synthmix.core.runtime import Runtime
from synthmix.data.store import Prepared
from synthmix.evaluate.aggregate import budget_curve, compare_paired
from synthmix.evaluate.stats import clustered_difference, min_detectable, paired_difference, resolution_floor
from synthmix.params import AugmentParams, ClassifierParams, CnnParams, JudgeParams, parse_params
from synthmix.replicates import classifier_seed, gan_seed, gan_variance
from synthmix.report.numbers import round6
from synthmix.report.phrasing import answer, verdict
from synthmix.report.summary import (Design, Difference, FilterSummary, JudgeSummary, Summary, VariantSummary,
                                     headline)
from synthmix.variants import Variant


def comparison(**fields) -> Difference:
    """A comparison against real with no interval, unless `fields` say otherwise."""
    return Difference(**({"baseline": "real", "diff": 0.0, "ci_low": None, "ci_high": None, "p_value": None,
                          "p_adjusted": None, "min_detectable": None, "confidence": 0.95, "significant": False}
                         | fields))


def entry(accuracy: float = 0.9, vs: Difference | None = None, verdict: str = "") -> VariantSummary:
    return VariantSummary(accuracy=accuracy, accuracy_std=0.01, precision_macro=0.0, recall_macro=0.0,
                          f1_macro=0.0, f1_macro_std=0.0, ece=0.0, vs=vs, verdict=verdict, failure_level={},
                          unique_synthetic=None)


def summary_of(design: Design, variants: dict[str, VariantSummary], quality: dict | None = None) -> Summary:
    return Summary(design=design, variants=variants, best=None, worth=None,
                   filter=FilterSummary("relative", 0.47, 0, 0, 0, 0), judge=JudgeSummary(1.0, None, None),
                   quality=quality or {})


def test_interval_and_p_match_scipy_on_a_hand_made_example():
    a = [0.812, 0.826, 0.809, 0.831, 0.820]
    b = [0.800, 0.805, 0.806, 0.812, 0.801]
    out = paired_difference(a, b, alpha=0.05, test_images=10_000)
    ref = stats.ttest_rel(a, b)
    low, high = ref.confidence_interval(0.95)
    assert out["p_value"] == pytest.approx(ref.pvalue, rel=1e-12)
    assert (out["ci_low"], out["ci_high"]) == (pytest.approx(low, rel=1e-12), pytest.approx(high, rel=1e-12))
    assert out["diff"] == pytest.approx(np.mean(np.subtract(a, b))) and out["n"] == 5 and not out["floored"]
    wide = paired_difference(a, b, alpha=0.01, test_images=10_000)        # a 99% interval is wider
    assert wide["ci_low"] < out["ci_low"] and wide["ci_high"] > out["ci_high"]


def test_an_all_equal_difference_does_not_give_p_zero():
    n_test = 1500
    one_image = 1 / n_test
    # two replicates, each exactly one test image better: the observed spread is 0
    out = paired_difference([0.9 + one_image, 0.8 + one_image], [0.9, 0.8], alpha=0.05, test_images=n_test)
    assert out["floored"] and out["sd"] == pytest.approx(resolution_floor(n_test))
    t = one_image / (resolution_floor(n_test) / math.sqrt(2))       # = sqrt(12)
    assert out["p_value"] == pytest.approx(2 * stats.t.sf(t, 1)) and out["p_value"] > 0.1
    assert out["ci_low"] < 0 < out["ci_high"]                        # one image apart twice proves nothing
    same = paired_difference([0.7, 0.8, 0.9], [0.7, 0.8, 0.9], alpha=0.05, test_images=n_test)
    assert same["p_value"] == 1.0 and same["diff"] == 0.0 and same["ci_low"] == -same["ci_high"] < 0
    with pytest.raises(ValueError, match="at least 2 pairs"):
        paired_difference([1.0], [0.0], alpha=0.05, test_images=10)


def test_min_detectable_has_the_stated_power():
    sd, n, alpha = 0.01, 10, 0.05
    mde = min_detectable(sd, n, alpha)
    crit = stats.t.ppf(1 - alpha / 2, n - 1)
    nc = mde * math.sqrt(n) / sd
    assert stats.nct.sf(crit, n - 1, nc) + stats.nct.cdf(-crit, n - 1, nc) == pytest.approx(0.8, abs=1e-6)
    # the large-sample rule of thumb: (z_0.975 + z_0.8) sd / sqrt(n)
    assert min_detectable(sd, 400, alpha) == pytest.approx((1.95996 + 0.84162) * sd / 20, rel=0.01)
    assert min_detectable(sd, 20, alpha) < mde < min_detectable(sd, 5, alpha)
    assert min_detectable(sd, n, alpha / 5) > mde                   # a stricter level needs a larger effect


def test_verdict_states_the_interval_and_only_what_it_supports():
    vs = {"baseline": "real", "diff": 0.004, "ci_low": -0.003, "ci_high": 0.011, "p_value": 0.2, "p_adjusted": 0.6,
          "significant": False, "confidence": 0.95, "correction": "Holm over 5 tests", "n": 10, "unit": "replicate"}
    text = verdict(Difference.of(vs), 0.05)
    assert "+0.40 points, 95% interval [-0.30, +1.10]" in text and "larger than 1.10 points" in text
    better = verdict(Difference.of(vs | {"ci_low": 0.002, "p_value": 0.001, "p_adjusted": 0.003, "significant": True}),
                     0.05)
    assert better.startswith("better:") and "larger than" not in better
    # the interval alone excludes 0 but Holm does not confirm it: no "rules out", no "no difference"
    suggestive = verdict(Difference.of(vs | {"ci_low": 0.001, "p_value": 0.03, "p_adjusted": 0.12}), 0.05)
    assert suggestive.startswith("not significant after Holm") and "rules out" not in suggestive
    assert "5 tests" in suggestive
    tie = verdict(Difference.of(vs | {"diff": -0.0, "ci_low": -0.001, "ci_high": 0.001, "p_value": 1.0,
                                      "p_adjusted": 1.0}), 0.05)
    assert "+0.00 points" in tie and "-0.00" not in tie
    assert "99% interval" in verdict(Difference.of(vs | {"confidence": 0.99}), 0.01)   # the level follows alpha
    clustered = verdict(Difference.of(vs | {"unit": "GAN draw", "n": 3}), 0.05)
    assert "3 GAN draws as units" in clustered
    single = verdict(Difference.of(vs | {"ci_low": None, "ci_high": None}), 0.05)
    assert single.startswith("not significant:") and "(no interval)" in single
    # summary.json's rounded copy keeps the unrounded verdict's numbers to 6 decimals
    rounded = Difference.of(vs | {"diff": 0.00412345678}, round6)
    assert rounded.diff == 0.004123 and rounded.min_detectable is None and rounded.family == 5
    assert Difference.of(vs | {"correction": None}).family is None


def test_replicates_sharing_gan_draws_are_tested_over_the_gan_draws():
    # 6 replicates on 3 GAN seeds: each GAN draw shifts its two replicates alike; the test's unit is the draw
    real = [0.90, 0.91, 0.92, 0.90, 0.91, 0.92]
    gan_shift = {0: 0.02, 1: -0.01, 2: 0.005}
    runs = [{"accuracy": r + gan_shift[s % 3] + 0.001 * (s // 3), "gan_seed": s % 3} for s, r in enumerate(real)]
    real_runs = [{"accuracy": r} for r in real]
    vs = compare_paired(runs, real_runs, np.zeros(1000), 0.05, family=1)
    d = np.array([r["accuracy"] for r in runs]) - np.array(real)
    per_seed = [d[[s % 3 == g for s in range(6)]].mean() for g in range(3)]
    expected = stats.ttest_1samp(per_seed, 0.0)
    ci = expected.confidence_interval(0.95)
    assert vs["unit"] == "GAN draw" and vs["n"] == 3 and vs["pairs"] == 6
    groups = [d[[s % 3 == g for s in range(6)]] for g in range(3)]
    assert vs["gan_draws_differ_p"] == pytest.approx(stats.f_oneway(*groups).pvalue)
    assert math.isclose(vs["p_value"], expected.pvalue, rel_tol=1e-9)
    assert math.isclose(vs["ci_low"], ci.low, rel_tol=1e-9) and math.isclose(vs["ci_high"], ci.high, rel_tol=1e-9)
    naive = stats.ttest_rel([r["accuracy"] for r in runs], real)
    assert math.isclose(vs["given_these_gans"]["p_value"], naive.pvalue, rel_tol=1e-9)
    assert vs["ci_high"] - vs["ci_low"] > vs["given_these_gans"]["ci_high"] - vs["given_these_gans"]["ci_low"]
    # GAN draws whose means agree by chance better than classifier noise allows: the spread of the
    # means is floored at the pooled within-seed spread / sqrt(replicates per seed)
    lucky = [0.01, -0.01, 0.011, -0.009, 0.0095, -0.0105]          # seeds 0, 1, 2, 0, 1, 2: means ~0
    floored = clustered_difference(lucky, np.zeros(6), [s % 3 for s in range(6)], 0.05, 1000)
    within = math.sqrt(sum(2 * 0.01 ** 2 for _ in range(3)) / 3)    # each seed: +-0.01 around ~0
    assert floored["within_sd"] == pytest.approx(within, rel=1e-2)
    assert floored["sd"] == pytest.approx(floored["within_sd"] / math.sqrt(2)) and floored["floored"]
    # one GAN seed per replicate, or no GAN at all: the replicate is the unit
    own = compare_paired([r | {"gan_seed": s} for s, r in enumerate(runs)], real_runs, np.zeros(1000), 0.05, 1)
    assert own["unit"] == "replicate and GAN draw" and own["n"] == 6 and "given_these_gans" not in own
    one = compare_paired([r | {"gan_seed": 0} for r in runs], real_runs, np.zeros(1000), 0.05, 1)
    assert one["unit"] == "replicate, one GAN draw"


def test_gan_seeds_map_replicates_as_stated():
    assert [gan_seed(s, [0, 1, 2]) for s in range(7)] == [0, 1, 2, 0, 1, 2, 0]
    assert [gan_seed(s, [5, 9]) for s in range(4)] == [5, 9, 5, 9]          # the values, in list order
    assert gan_variance(3, [0, 1, 2]).startswith("inside")
    assert gan_variance(10, [0, 1, 2]).startswith("inside the tests through 3 GAN draws")
    assert gan_variance(4, [7]).startswith("not inside")
    assert classifier_seed(0, 3) == classifier_seed(0, 3) != classifier_seed(0, 4)


@pytest.mark.parametrize("dataset, flip", [("digits", False), ("mnist", False), ("mnist_sample", False),
                                           ("gtsrb", False), ("folder", False), ("fashion_mnist", True),
                                           ("cifar10", True), ("fer2013", True)])
def test_augment_flip_auto_resolves_per_dataset(dataset, flip):
    assert AugmentParams().flip == "auto" and AugmentParams().for_dataset(dataset).flip is flip
    assert AugmentParams(flip=True).for_dataset("digits").flip is True          # true/false still override
    assert AugmentParams(flip=False).for_dataset("cifar10").flip is False
    assert parse_params({"augment": {"flip": "auto"}}).augment.flip == "auto"


def test_budget_auto_counts_real_images_only_and_checks_are_regular():
    p = CnnParams()
    assert (p.budget(500, 16), p.budget(500, 28)) == (450, 800)          # the measured plateaus
    assert p.budget(5000, 16) > p.budget(500, 16) and p.budget(20, 16) == 450 and p.budget(500, 8) == 450 and p.budget(1234, 32) % 50 == 0
    assert CnnParams(steps=123).budget(500, 16) == 123
    # the classifiers' recipe reaches its plateau sooner at 8x8 (docs/results/budget-digits.md); the judge keeps 450
    c = ClassifierParams()
    assert (c.budget(500, 8), c.budget(500, 16), c.budget(500, 28), JudgeParams().budget(500, 8)) == (300, 450, 800, 450)
    assert p.eval_interval(400) == 20 and CnnParams(eval_every=7).eval_interval(400) == 7


def _tiny_data(seed: int = 0) -> tuple[Prepared, dict]:
    rng = np.random.default_rng(seed)
    img = lambda n: rng.integers(0, 256, (n, 8, 8, 1), dtype=np.uint8)  # noqa: E731
    data = Prepared({"a": img(12), "b": img(12)}, img(6), np.arange(6) % 2, img(6), np.arange(6) % 2,
                    {"classes": ["a", "b"]})
    return data, {"a": img(40), "b": img(40)}


def test_replicate_s_of_two_variants_starts_from_identical_weights(monkeypatch):
    starts = []
    build = train_module.build_model

    def recording(cfg, p, seed, device):
        model = build(cfg, p, seed, device)
        starts.append({k: v.clone() for k, v in model.state_dict().items()})
        return model

    monkeypatch.setattr(train_module, "build_model", recording)
    data, fake = _tiny_data()
    p = ClassifierParams(width=4, steps=3, batch_size=8)
    runs = {}
    for variant, replicate in (("real", 0), ("mix_50", 0), ("augmented", 0), ("real", 1)):
        v = Variant.parse(variant)
        synthetic = SyntheticImages(fake, "add", 1) if v.uses_synthetic else None
        runs[variant, replicate] = train_replicate(v, replicate, data, synthetic, p, AugmentParams(flip=False),
                                                   Runtime(torch.device("cpu")))
    same = lambda x, y: all(torch.equal(x[k], y[k]) for k in x)  # noqa: E731
    assert same(starts[0], starts[1]) and same(starts[0], starts[2])      # replicate 0: real, mix_50, augmented
    assert not same(starts[0], starts[3])                                 # replicate 1 starts elsewhere
    # equal budgets: the mix has twice the images and the same number of steps
    assert runs["mix_50", 0].info["train_images"] == 2 * runs["real", 0].info["train_images"]
    assert {r.info["steps"] for r in runs.values()} == {3}


def test_budget_curve_is_the_mean_curve_and_refuses_unequal_budgets():
    steps = list(range(10, 201, 10))
    curves = [[[s, 0.9 + 0.01 * r] for s in steps] for r in range(3)]
    budget = budget_curve(curves)
    assert budget["steps"] == 200 and budget["checks"] == 20
    assert budget["val_curve"][0] == [10, pytest.approx(0.91)]
    with pytest.raises(ValueError, match="different steps"):
        budget_curve([curves[0], [[s + 1, 0.9] for s in steps]])


def test_answer_paragraph_reads_from_the_numbers():
    design = Design(replicates=10, steps=450, gan_seeds=[0, 1], gan_variance="partly inside the replicates",
                    dataset="mnist_sample", image_size=28)
    by_gan = {"min_detectable": 0.006, "unit": "GAN draw", "units": 2}
    mix_75 = comparison(diff=0.002, ci_low=-0.004, ci_high=0.008, p_adjusted=0.5, **by_gan | {"min_detectable": 0.009})
    variants = {"real": entry(),
                "mix_50": entry(vs=comparison(diff=0.008, ci_low=0.003, ci_high=0.013, p_adjusted=0.01,
                                              significant=True, **by_gan)),
                "mix_75": entry(vs=mix_75, verdict="no difference detected: ...")}
    text = answer(summary_of(design, variants))
    assert not text.startswith("Demo") and "mix_50 +0.80 points [+0.30, +1.30], Holm p 0.01" in text
    assert "larger than 0.80 points for the others (mix_75)" in text and "10 paired replicates" in text
    assert "450 optimizer steps" in text and "benchmarks/classifier_budget.py" in text
    assert "about 0.60 to 0.90 points between the mixes and their baselines with 80% power" in text
    # half-widths 0.50 and 0.60 points over 2 GAN draws (t(0.975, 1) = 12.71: sd = 0.6 * sqrt(2) / 12.71
    # = 0.0668 points); +-0.5 points needs the smallest m with t(0.975, m - 1) * sd / sqrt(m) <= 0.5:
    # m = 2 gives 0.60, m = 3 gives 4.30 * 0.0668 / 1.73 = 0.17
    assert "intervals of mix_50, mix_75 are ±0.50 to ±0.60 points wide, over 2 GAN seeds" in text
    assert "±0.5 points would need about 3 GAN seeds (15 replicates)" in text
    assert "On top of classic augmentation" not in text       # no augmented mix: the real-only answer alone
    # with augmented mixes the practitioner's question comes first, against augmented, not real
    aug = comparison(diff=0.01, ci_low=0.004, ci_high=0.016, p_adjusted=0.01, significant=True)
    practice = variants | {"augmented": entry(0.91, aug),
                           "augmented_mix_50": entry(vs=replace(mix_75, baseline="augmented", diff=-0.003),
                                                     verdict="no difference detected: ...")}
    text = answer(summary_of(design, practice))
    assert text.startswith("On top of classic augmentation (augmented: 0.9100 ± 0.0100), adding synthetic images "
                           "changes test accuracy by: augmented_mix_50 -0.30 points [-0.40, +0.80], Holm p 0.5 "
                           "(not detected). Against real-only training (0.9000")
    assert "augmented +1.00 points [+0.40, +1.60], Holm p 0.01 (better)" in text
    assert "intervals of mix_50, mix_75, augmented_mix_50 are" in text
    demo = answer(summary_of(replace(design, dataset="digits", image_size=8), variants))
    assert demo.startswith("Demo: digits") and "dvc exp run -S data.name=mnist_sample" in demo
    assert "(8x8 images, 2 GAN seeds)" in demo and "real-only training classifies at 90.0%" in demo


def test_narrow_intervals_of_one_gan_draw_say_they_hold_for_these_gans():
    from synthmix.report.phrasing import width_sentence

    vs = comparison(ci_low=-0.003, ci_high=0.004, units=15, unit="replicate, one GAN draw")
    design = Design("digits", 8, replicates=15, steps=300, gan_seeds=[0], gan_variance="")
    text = width_sentence(design, {"mix_50": vs})
    assert "intervals of mix_50 are ±0.35 points wide, over 15 replicates" in text
    assert "narrow enough to decide differences of 0.5 points (for these GANs only: one GAN seed" in text
    wide = width_sentence(design, {"mix_50": replace(vs, ci_low=-0.01, ci_high=0.01)})
    assert "would need about" in wide and "replicates (for these GANs only" in wide


def test_interval_widths_are_the_mixes_in_their_own_unit():
    from synthmix.report.phrasing import width_sentence

    # augmented (no GAN: per replicate) and synthetic (already decided, widest) must not set the
    # unit or the design: the mixes are tested over 3 GAN draws
    per_replicate = comparison(ci_low=-0.004, ci_high=0.006, units=15, unit="replicate")
    mix = comparison(ci_low=-0.012, ci_high=0.010, units=3, unit="GAN draw")
    tested = {"augmented": per_replicate, "synthetic": replace(mix, ci_low=-0.09, ci_high=-0.03), "mix_50": mix}
    text = width_sentence(Design("mnist_sample", 28, 15, 800, [0, 1, 2], ""), tested)
    assert "intervals of mix_50 are ±1.10 points wide, over 3 GAN seeds" in text
    # sd = 1.1 * sqrt(3) / t(0.975, 2) = 0.443 points; t(0.975, m - 1) * 0.443 / sqrt(m) <= 0.5 first at m = 6
    assert "±0.5 points would need about 6 GAN seeds (30 replicates)." in text


def test_a_p_value_rounded_to_zero_reads_as_a_bound():
    from synthmix.report.format import p_text

    assert p_text(0.0) == "< 1e-06" and p_text(0.01234) == "0.0123"


def test_units_needed_follows_the_t_distribution():
    # sd 1 point over 5 units: 95% half-width t(0.975, 4) / sqrt(5) = 1.2417 points
    vs = comparison(ci_low=-0.012417, ci_high=0.012417, units=5)
    assert vs.units_needed(0.005) == 18          # t(0.975, 17) / sqrt(18) = 0.4973 <= 0.5 < 0.5142 at 17
    assert vs.units_needed(0.013) == 5
    assert replace(vs, ci_low=None).units_needed(0.005) is None
    assert vs.largest_supported() == 0.012417 and replace(vs, ci_low=0.001).largest_supported() is None


def test_class_names_read_as_written_in_markdown():
    from synthmix.report.markdown import md_cell, md_text

    assert md_cell("golden | retriever") == "golden \\| retriever"
    assert md_text("a_b *c* `d` <e>") == "a\\_b \\*c\\* \\`d\\` \\<e\\>"


def test_headline_columns_and_the_verdict_labels():
    def tested(diff, low, high, p, significant, verdict_text):
        vs = comparison(diff=diff, ci_low=low, ci_high=high, p_adjusted=p, significant=significant)
        return entry(0.9 + diff, vs, verdict_text)
    summary = summary_of(Design("digits", 8, replicates=5, steps=450, gan_seeds=[0, 1], gan_variance=""),
                         {"real": entry(0.912345),
                          "mix_25": tested(0.0123, 0.004, 0.02, 0.012345, True, "better: ..."),
                          "mix_50": tested(-0.001, -0.1, 0.098, 1.0, False, "no difference detected: ..."),
                          "mix_75": tested(0.02, 0.001, 0.04, 0.09, False, "not significant after Holm: ..."),
                          "synthetic": tested(-0.05, None, None, None, False, "not significant: ..."),
                          "augmented": tested(0.0, -0.01, 0.01, 1.0, False, "FLAGGED: copies ...")},
                         quality={"cas_to_real": 0.9512345, "copy_rate": 0.25})
    h = headline(summary)
    assert h["acc"]["real"] == 0.9123 and h["pts"]["mix_25"] == 1.23 and h["pts_low"]["mix_25"] == 0.4
    assert h["p_holm"] == {"mix_25": 0.0123, "mix_50": 1.0, "mix_75": 0.09, "synthetic": None, "augmented": 1.0}
    # a wide interval holding 0 is "not detected", never "no difference"; no interval or one that
    # fails Holm is "not significant"
    assert h["verdict"] == {"mix_25": "better", "mix_50": "not detected", "mix_75": "not significant",
                            "synthetic": "not significant", "augmented": "flagged: copies"}
    assert h["design"] == {"steps": 450, "replicates": 5, "gan_seeds": 2}
    assert h["synthetic"] == {"cas_to_real": 0.951234, "copy_rate": 0.25, "filter_pass_rate": 0.47}
    assert "real" not in h["pts"] and sum(len(g) for g in h.values()) == 6 + 5 * 5 + 3 + 3   # 37 columns
