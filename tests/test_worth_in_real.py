"""What synthetic images are worth to a practitioner: augmented mixes against `augmented`, the
real-data learning curve (real_<n>) and each variant's worth in real images per class."""
import numpy as np
import pytest
import torch

import synthmix.classifier.train as train_module
from synthmix.classifier.replicate import SyntheticImages, train_replicate
from synthmix.core.runtime import Runtime
from synthmix.data.prepare import prepare, split_indices
from synthmix.data.datasets.digits import load_digits
from synthmix.data.store import read_more_real, write_more_real
from synthmix.evaluate.aggregate import evaluate_variants
from synthmix.evaluate.stats import holm
from synthmix.evaluate.worth import learning_curve, place_on_curve, worth_in_real
from synthmix.mix import training_set
from synthmix.params import AugmentParams, ClassifierParams, DataParams
from synthmix.variants import Variant, all_variants, more_real_variants
from test_verdict import _tiny_data


def test_variant_names_round_trip_and_know_their_baseline():
    for name in ("real", "augmented", "synthetic", "mix_25", "augmented_mix_25", "augmented_mix_0", "real_100"):
        assert Variant.parse(name).name == name
    assert Variant.parse("augmented_mix_50").baseline == "augmented" and Variant.parse("mix_50").baseline == "real"
    assert Variant.parse("real_100").baseline is None and Variant.parse("real").baseline is None
    assert Variant.parse("augmented_mix_50").augments and Variant.parse("augmented_mix_50").uses_synthetic
    assert not Variant.parse("real_100").uses_synthetic and not Variant.parse("mix_50").augments
    for bad in ("augmented_mix_101", "real_0", "real_05", "augmented_mix_", "more_real_100"):
        with pytest.raises(ValueError, match="unknown variant"):
            Variant.parse(bad)
    assert [v.name for v in more_real_variants([200, 100])] == ["real_100", "real_200"]


def test_augmented_mix_trains_on_the_mix_set_augmented_from_augmented_weights(monkeypatch):
    data, fake = _tiny_data()        # the tiny prepared data and GAN images of the paired-design tests
    plain = training_set(Variant("mix", 50), data.train, fake, ["a", "b"], "add", 1, seed=7)
    on_top = training_set(Variant("augmented_mix", 50), data.train, fake, ["a", "b"], "add", 1, seed=7)
    assert np.array_equal(plain[0], on_top[0]) and np.array_equal(plain[1], on_top[1]) and plain[2] == on_top[2]
    starts, augments = [], []
    build, fit = train_module.build_model, train_module.fit

    def recording_build(cfg, p, seed, device):
        model = build(cfg, p, seed, device)
        starts.append({k: v.clone() for k, v in model.state_dict().items()})
        return model

    def recording_fit(*args, **kwargs):
        augments.append(kwargs["augment"])
        return fit(*args, **kwargs)

    monkeypatch.setattr(train_module, "build_model", recording_build)
    monkeypatch.setattr("synthmix.classifier.replicate.fit", recording_fit)
    p = ClassifierParams(width=4, steps=2, batch_size=8)
    for name in ("augmented", "augmented_mix_50", "mix_50"):
        v = Variant.parse(name)
        synthetic = SyntheticImages(fake, "add", 1) if v.uses_synthetic else None
        train_replicate(v, 3, data, synthetic, p, AugmentParams(flip=False), Runtime(torch.device("cpu")))
    assert all(torch.equal(starts[0][k], starts[1][k]) for k in starts[0])     # replicate 3 of both: one start
    assert augments[0] is not None and augments[1] is not None and augments[2] is None
    # the augmentation applied is augmented's own (same params, same draws for the same generator)
    x = torch.rand(4, 1, 8, 8) * 2 - 1
    same = [f(x, torch.Generator().manual_seed(0)) for f in augments[:2]]
    assert torch.equal(same[0], same[1]) and not torch.equal(same[0], x)


def test_more_real_sets_extend_the_scarce_split_and_leave_it_byte_identical(tmp_path):
    raw = load_digits()
    meta = {"name": "digits", "classes": [str(i) for i in range(10)]}
    kw = dict(classes=["3", "7", "1"], per_class=30, val_per_class=10, image_size=8)
    without = prepare(raw.images, raw.labels, meta, DataParams(**kw, more_real=[]))
    out = prepare(raw.images, raw.labels, meta, DataParams(**kw, more_real=[60, 100, 150]))
    assert without.more_real == {}
    for split in ("val_images", "val_labels", "test_images", "test_labels"):
        assert getattr(out, split).tobytes() == getattr(without, split).tobytes()
    assert all(out.train[c].tobytes() == without.train[c].tobytes() for c in kw["classes"])
    rows = lambda a: set(map(bytes, a.reshape(len(a), -1)))  # noqa: E731
    held_out = rows(out.val_images) | rows(out.test_images)
    for n in (60, 100):
        for c in kw["classes"]:
            more = out.more_real[n][c]
            assert len(more) == n and more[:30].tobytes() == out.train[c].tobytes()     # the scarce images first
            assert not rows(more) & held_out
    assert out.more_real[100]["3"][:60].tobytes() == out.more_real[60]["3"].tobytes()   # a curve of supersets
    # digits has about 180 images a class: 150 more than test + val leave is skipped, with the reason
    assert isinstance(out.more_real[150], str) and "fewer than 150 images beyond the test and validation" in out.more_real[150]
    # a count not above the scarce set adds nothing: skipped with the reason, never a failure
    small = prepare(raw.images, raw.labels, meta, DataParams(**kw, more_real=[30])).more_real[30]
    assert "30 images per class are not more than data.per_class (30" in small
    write_more_real(tmp_path, out.more_real)
    assert read_more_real(tmp_path / "150") == out.more_real[150]
    assert np.array_equal(read_more_real(tmp_path / "60")["7"], out.more_real[60]["7"])


def test_more_real_with_groups_keeps_whole_groups_out_of_val_and_test():
    labels = np.zeros(400, np.int64)
    groups = np.repeat(np.arange(40), 10)                      # 40 tracks of 10 frames, one class
    parts = split_indices(labels, 1, 20, 20, 0.25, 0, ["a"], groups=groups, more_real=[60, 500])
    train, more = parts["train"][0], parts["more_60"][0]
    assert len(more) == 60 and set(train) <= set(more) and parts["more_500"][0] is None
    held_out = set(groups[np.concatenate([parts["val"][0], parts["test"][0]])])
    assert not set(groups[more]) & held_out


def test_worth_is_interpolated_on_the_curve_inside_below_and_above():
    counts, gains = [50.0, 100.0, 200.0], [0.0, 0.04, 0.06]
    # linear in log(count): half way from 50 to 100 is sqrt(50 * 100)
    assert place_on_curve(0.02, counts, gains) == {"position": "inside", "count": pytest.approx(70.7107, abs=1e-4)}
    assert place_on_curve(0.05, counts, gains)["count"] == pytest.approx(141.4214, abs=1e-4)
    assert place_on_curve(0.04, counts, [0.0, 0.04, 0.04])["position"] == "above"    # a flat curve cannot be read
    assert place_on_curve(-0.01, counts, gains) == {"position": "below", "count": 50.0}
    assert place_on_curve(0.0, counts, gains)["position"] == "below"
    assert place_on_curve(0.07, counts, gains) == {"position": "above", "count": 200.0}
    real = [{"accuracy": a} for a in (0.80, 0.82, 0.81)]
    more = {100: [{"accuracy": a + 0.04} for a in (0.80, 0.82, 0.81)], 200: [{"accuracy": a + 0.06} for a in (0.80, 0.82, 0.81)]}
    curve = learning_curve(real, 50.0, more, 0.05, 1000)
    assert curve["rising"] and [p["count"] for p in curve["points"]] == [50.0, 100, 200]
    assert curve["points"][2]["gain"] == pytest.approx(0.06) and curve["points"][0]["gain_low"] is None
    worth = worth_in_real(curve, {"mix_50": {"diff": 0.02, "ci_low": -0.01, "ci_high": 0.07}}, ["real_400 skipped: x"])
    w = worth["variants"]["mix_50"]
    assert w["worth"]["count"] == pytest.approx(70.7107, abs=1e-4) and w["headroom_share"] == pytest.approx(1 / 3)
    assert w["worth_low"]["position"] == "below" and w["worth_high"]["position"] == "above"
    # the interval joins the curve's: a gain interval inside the curve widens on its bounds
    inner = worth_in_real(curve, {"v": {"diff": 0.03, "ci_low": 0.02, "ci_high": 0.04}}, [])["variants"]["v"]
    assert inner["worth_low"]["count"] < place_on_curve(0.02, [50.0, 100, 200], [0.0, 0.04, 0.06])["count"]
    assert inner["worth_high"]["count"] > place_on_curve(0.04, [50.0, 100, 200], [0.0, 0.04, 0.06])["count"]
    assert inner["headroom_low"] < 0.02 / 0.06 < 0.04 / 0.06 < inner["headroom_high"]
    assert worth["skipped"] == ["real_400 skipped: x"] and worth["why_none"] is None
    flat = learning_curve(real, 50.0, {100: more[100], 200: more[100]}, 0.05, 1000)
    assert not flat["rising"] and "does not rise" in worth_in_real(flat, {}, [])["why_none"]
    none = worth_in_real(None, {}, ["real_100 skipped: class 'a' hold fewer than 100 images"])
    assert none["variants"] == {} and "class 'a'" in none["why_none"]


def test_holm_runs_over_the_enlarged_family_each_against_its_baseline():
    y = np.zeros(1000, np.int64)
    rng = np.random.default_rng(0)

    def runs(mean: float, gan: bool) -> list[dict]:
        acc = mean + rng.normal(0, 0.002, 6)
        return [{"accuracy": float(a), "precision_macro": 0.5, "recall_macro": 0.5, "f1_macro": 0.5, "ece": 0.1,
                 "predictions": [0] * 1000, "per_class": {}, "confusion_matrix": [[1]], "robustness": {"blur": {"0.0": float(a)}},
                 "reliability": {"count": [1], "confidence_sum": [0.5], "correct_sum": [0.5]},
                 "val_curve": [[10, 0.5]], "best_step": 10,
                 "gan_seed": s if gan else None, "synthetic_counts": None} for s, a in enumerate(acc)]

    names = [v.name for v in all_variants([50])]
    means = {"real": 0.80, "augmented": 0.85, "synthetic": 0.70, "mix_50": 0.80, "augmented_mix_50": 0.85}
    results = evaluate_variants({v: runs(means[v], "mix" in v or v == "synthetic") for v in names}, y, 0.05, 0.8)
    vs = {v: r.get("vs_baseline") for v, r in results.items()}
    assert vs["real"] is None and {v: s["baseline"] for v, s in vs.items() if s} == {
        "augmented": "real", "synthetic": "real", "mix_50": "real", "augmented_mix_50": "augmented"}
    assert all(s["correction"] == "Holm over 4 tests" for s in vs.values() if s)
    tested = [v for v in names if vs[v]]
    assert [vs[v]["p_adjusted"] for v in tested] == pytest.approx(holm([vs[v]["p_value"] for v in tested]))
    # augmented_mix_50 equals augmented on average: its test is against augmented, not real (+5 points)
    assert abs(vs["augmented_mix_50"]["diff"]) < 0.01 and vs["augmented"]["diff"] > 0.04
    assert vs["augmented"]["significant"] and vs["synthetic"]["significant"]
