"""Known answers for the significance tests, the k-NN sample-quality metrics, detectability,
saliency, the per-variant aggregation over seeds and the HTML report."""
import math
import re

import numpy as np
import pytest
import torch

from synthmix.evaluate.detect import detectability
from synthmix.evaluate.html import SECTIONS, render_html
from synthmix.evaluate.quality import manifold_metrics, sample_quality
from synthmix.evaluate.report import summarize
from synthmix.evaluate.runs import aggregate
from synthmix.evaluate.saliency import gradient_saliency, heat
from synthmix.evaluate.stats import mcnemar_test, mean_std, paired_t_test
from synthmix.evaluate.svg import line_chart


def test_paired_t_test_known_answers():
    a = [0.91, 0.93, 0.90, 0.95]
    assert paired_t_test(a, a) == 1.0                          # identical inputs
    # differences 1, 2, 3: t = 2 / (1 / sqrt 3); with 2 degrees of freedom p = 1 - t / sqrt(2 + t^2)
    t = 2 * math.sqrt(3)
    assert paired_t_test([1, 2, 3], [0, 0, 0]) == pytest.approx(1 - t / math.sqrt(2 + t * t), rel=1e-9)
    assert paired_t_test([1, 2, 3], [0, 0, 0]) == paired_t_test([0, 0, 0], [1, 2, 3])   # two-sided
    assert paired_t_test([0.5, 0.6], [0.4, 0.5]) == 0.0        # the same shift every seed
    with pytest.raises(ValueError, match="at least 2 pairs"):
        paired_t_test([1.0], [0.0])


def test_mcnemar_known_answers():
    right = np.array([True, False, True, True, False])
    assert mcnemar_test(right, right) == 1.0
    # 10 images only b gets right, none only a: p = 2 * 0.5^10
    a = np.zeros(30, bool)
    b = np.r_[np.ones(10, bool), np.zeros(20, bool)]
    assert mcnemar_test(a, b) == pytest.approx(2 * 0.5 ** 10)
    # 5 vs 5 discordant pairs: no evidence of a difference
    assert mcnemar_test(np.r_[np.ones(5, bool), np.zeros(5, bool)], np.r_[np.zeros(5, bool), np.ones(5, bool)]) == 1.0


def test_mean_std_uses_the_sample_std():
    assert mean_std([1.0, 3.0]) == (2.0, pytest.approx(math.sqrt(2)))
    assert mean_std([0.7]) == (0.7, 0.0)


def test_manifold_metrics_on_identical_overlapping_and_disjoint_sets():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(200, 8))
    same = manifold_metrics(real, real.copy(), k=3)
    assert same["precision"] == same["recall"] == same["coverage"] == 1.0
    far = manifold_metrics(real, real + 100.0, k=3)
    assert far == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}
    # fakes collapsed onto one small region: realistic (high precision) but without variety (low recall)
    collapsed = real[:1] + 0.01 * rng.normal(size=(200, 8))
    m = manifold_metrics(real, collapsed, k=3)
    assert m["precision"] > 0.9 and m["recall"] < 0.1 and m["coverage"] < 0.1
    fresh = manifold_metrics(real, rng.normal(size=(200, 8)), k=3)   # another sample of one distribution
    assert 0.6 < fresh["precision"] and 0.6 < fresh["recall"] and 0.6 < fresh["density"] < 1.5


def test_sample_quality_grows_with_a_shift_and_needs_more_than_k_vectors():
    rng = np.random.default_rng(1)
    real = rng.normal(size=(300, 6))
    near, far = sample_quality(real, rng.normal(size=(300, 6)), 3), sample_quality(real, rng.normal(size=(300, 6)) + 1, 3)
    assert near["fid"] < 0.2 < far["fid"] and near["kid"] < far["kid"] and near["precision"] > far["precision"]
    assert sample_quality(real, real[:3], k=3) is None


def test_detector_separates_different_images_and_not_identical_ones():
    rng = np.random.default_rng(0)
    dark = lambda n: rng.integers(0, 100, (n, 8, 8, 1), dtype=np.uint8)      # noqa: E731
    bright = lambda n: rng.integers(156, 256, (n, 8, 8, 1), dtype=np.uint8)  # noqa: E731
    dev = torch.device("cpu")
    easy = detectability(dark(40), bright(80), dark(40), width=4, epochs=10, seed=0, device=dev)
    assert easy["accuracy"] == 1.0
    same = detectability(dark(40), dark(80), dark(40), width=4, epochs=10, seed=0, device=dev)
    assert 0.2 < same["accuracy"] < 0.8          # chance, give or take a small test set
    assert detectability(dark(40), dark(3), dark(40), width=4, epochs=1, seed=0, device=dev) is None


def test_saliency_finds_the_only_pixel_the_model_reads():
    class OnePixel(torch.nn.Module):
        def forward(self, x):                     # class score = 5 * pixel (2, 3) of channel 0
            return torch.stack([5 * x[:, 0, 2, 3], -x[:, 0, 2, 3]], dim=1)

    images = np.random.default_rng(0).integers(0, 256, (3, 6, 6, 1), dtype=np.uint8)
    s = gradient_saliency(OnePixel(), images, np.array([0, 1, 0]), torch.device("cpu"))
    assert s.shape == (3, 6, 6)
    assert (s[:, 2, 3] == 1.0).all() and s.sum() == 3.0
    assert heat(np.array([[[0.0, 1.0]]])).tolist() == [[[[0, 0, 0], [255, 255, 255]]]]


def _run(acc_correct: np.ndarray, y: np.ndarray) -> dict:
    pred = np.where(acc_correct, y, (y + 1) % 2)
    acc = float(acc_correct.mean())
    return {"accuracy": acc, "precision_macro": acc, "recall_macro": acc, "f1_macro": acc, "ece": 0.1,
            "per_class": {"a": {"f1": acc}, "b": {"f1": acc}}, "confusion_matrix": [[1, 0], [0, 1]],
            "predictions": pred, "robustness": {"blur": {0.0: acc, 0.5: acc / 2}},
            "synthetic_accuracy": {"overall": 0.9, "per_class": {"a": 0.9, "b": None}}}


def test_aggregate_over_seeds_gives_mean_std_and_p_values():
    y = np.arange(100) % 2
    real = [_run(np.arange(100) < n, y) for n in (80, 82, 84)]
    same = aggregate("mix_50", [0, 1, 2], real, real, y, failure_fraction=0.8, alpha=0.05)
    assert same["vs_real"]["paired_t_p"] == 1.0 and same["vs_real"]["mcnemar_p"] == 1.0
    assert same["vs_real"]["significant"] is False
    assert same["accuracy"] == pytest.approx(0.82) and same["accuracy_std"] == pytest.approx(0.02)
    assert same["confusion_matrix"] == [[3, 0], [0, 3]]           # summed over seeds
    assert same["robustness"]["blur"] == {"0.0": pytest.approx(0.82), "0.5": pytest.approx(0.41)}
    assert same["failure_level"] == {"blur": 0.5}
    assert same["synthetic_accuracy"]["per_class"] == {"a": pytest.approx(0.9), "b": None}
    better = [_run(np.arange(100) < n, y) for n in (95, 96, 98)]
    m = aggregate("mix_50", [0, 1, 2], better, real, y, 0.8, 0.05)
    assert m["vs_real"]["accuracy_diff"] == pytest.approx(0.1433333)
    assert m["vs_real"]["p_value"] == m["vs_real"]["paired_t_p"] < 0.05 and m["vs_real"]["significant"]
    single = aggregate("mix_50", [0], better[:1], real[:1], y, 0.8, 0.05)
    assert single["vs_real"]["test"].startswith("McNemar") and single["vs_real"]["paired_t_p"] is None
    assert single["vs_real"]["p_value"] == pytest.approx(2 * 0.5 ** 15)      # 15 discordant, all one way
    assert "vs_real" not in aggregate("real", [0, 1, 2], real, real, y, 0.8, 0.05)


def test_html_report_has_every_section_and_embeds_its_images():
    y = np.arange(100) % 2
    real = [_run(np.arange(100) < n, y) for n in (80, 82)]
    results = {v: aggregate(v, [0, 1], real, real, y, 0.8, 0.05) for v in ("real", "augmented", "synthetic", "mix_50")}
    q = {"fid": 1.0, "kid": 0.1, "precision": 0.5, "recall": 0.5, "density": 0.9, "coverage": 0.6,
         "n_real": 10, "n_synthetic": 10}
    quality = {"overall": {"filtered": q, "raw": q, "real_train": q, "detectability": {"accuracy": 0.7}},
               "inception_score": {"real_test": 1.9, "filtered": 1.7},
               "per_class": {c: {"filtered": q, "raw": None, "real_train": q, "detectability": {"accuracy": 0.7}}
                             for c in ("a", "b")}}
    filtering = {"threshold": 0.9, "kept": 5, "generated": 10, "acceptance": 0.5,
                 "per_class": {c: {"kept": 5, "generated": 10, "acceptance": 0.5, "mean_confidence": 0.8} for c in "ab"}}
    summary = summarize(results, filtering, quality)
    assert summary["variants"]["mix_50"]["p_value"] == 1.0 and summary["variants"]["real"]["p_value"] is None
    png = b"\x89PNG fake"
    html = render_html(summary, results, quality, filtering, ["a", "b"], {"a": (png, png), "b": (png, None)},
                       (png, {"per_class": 2, "seed": 0, "columns": ["image", "real", "mix_50"]}), "add", 0.05)
    for key in SECTIONS:
        assert f'<section id="{key}">' in html
    srcs = re.findall(r'src="([^"]*)"', html)
    assert len(srcs) == 4 and all(s.startswith("data:image/png;base64,") for s in srcs)
    assert "not significant" in html and "no synthetic image kept" in html and "filtered 1.700" in html
    assert html.count("<svg") == 2                     # accuracy vs ratio, one robustness chart (blur)


def test_line_chart_draws_error_bars_and_escapes_names():
    svg = line_chart([{"name": "a<b", "x": [0, 50], "y": [0.5, 0.7], "err": [0.1, 0.0]}], "t", "x", "y")
    assert svg.startswith("<svg") and svg.endswith("</svg>") and "a&lt;b" in svg
    assert svg.count("<line x1=") >= 1 and "± 0.1000" in svg


def test_inception_score_known_answers():
    from synthmix.evaluate.quality import inception_score

    assert inception_score(np.eye(4)[[0, 1, 2, 3] * 5]) == pytest.approx(4.0)      # sure, all classes used evenly
    assert inception_score(np.eye(4)[[2] * 20]) == pytest.approx(1.0)              # one class for everything
    assert inception_score(np.full((10, 4), 0.25)) == pytest.approx(1.0)           # never sure
    assert 1.0 < inception_score(np.eye(4)[[0, 0, 0, 1]]) < 2.0                     # two classes, unevenly
