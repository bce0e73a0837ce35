"""Known answers for McNemar and Holm, the k-NN sample-quality metrics, detectability, saliency, the
per-variant aggregation over replicates and the HTML report (the paired comparison: test_verdict.py)."""
import math
import re

import numpy as np
import pytest
import torch

from synthmix.evaluate.aggregate import add_holm, aggregate, compare_paired, evaluate_variants
from synthmix.evaluate.detect import detectability
from synthmix.evaluate.quality import manifold_metrics, sample_quality
from synthmix.evaluate.saliency import overlay, saliency_figure, smoothgrad
from synthmix.evaluate.stats import holm, mcnemar_test, mean_std
from synthmix.evaluate.worth import worth_in_real
from synthmix.report.html import SECTIONS, render_html
from synthmix.report.markdown import worth_lines
from synthmix.report.contents import build_report
from synthmix.report.figures import Figures
from synthmix.report.phrasing import answer as summary_answer
from synthmix.report.summary import summarize
from synthmix.report.svg import line_chart


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


def test_holm_adjustment_matches_a_hand_computed_example():
    # p sorted: 0.01 (x4 = 0.04), 0.02 (x3 = 0.06), 0.03 (x2 = 0.06), 0.04 (x1 = 0.04 -> 0.06, monotone)
    assert holm([0.03, 0.01, 0.04, 0.02]) == pytest.approx([0.06, 0.04, 0.06, 0.06])
    assert holm([0.5, 0.6]) == pytest.approx([1.0, 1.0])                        # capped at 1
    assert holm([0.001]) == pytest.approx([0.001])                              # one test: unchanged


def test_smoothgrad_finds_the_only_pixel_the_model_reads_and_overlays_it():
    images = np.random.default_rng(0).integers(1, 256, (3, 6, 6, 1), dtype=np.uint8)
    s = smoothgrad(OnePixel(), images, np.array([0, 1, 0]), torch.device("cpu"), samples=4)
    assert s.shape == (3, 6, 6)
    # the pixel, spread by the 3x3 mean over its neighbours, scaled to 1; nothing anywhere else
    assert (s[:, 1:4, 2:5] == 1.0).all() and s.sum() == 3 * 9.0
    images[1, 2, 3] = 0                                # no ink there: gradient x input gives it nothing
    assert smoothgrad(OnePixel(), images, np.array([0, 1, 0]), torch.device("cpu"), samples=4)[1].max() == 0.0
    o = overlay(images, s)
    assert o.shape == (3, 6, 6, 3) and o.dtype == np.uint8
    assert o[0, 2, 3].tolist() == [255, 255, 0]                                  # the salient pixel: yellow
    grey = (images[0, 0, 0, 0] / 255 * 0.7 * 255).round()
    assert o[0, 0, 0].tolist() == [grey] * 3                                     # elsewhere: the image, in grey


class OnePixel(torch.nn.Module):
    """Class score = 5 * pixel (2, 3) of channel 0: saliency must find that pixel and nothing else."""
    def forward(self, x):                          # x: (N, C, H, W) -> (N, 2)
        return torch.stack([5 * x[:, 0, 2, 3], -x[:, 0, 2, 3]], dim=1)


def test_smoothgrad_in_chunks_keeps_each_image_with_its_own_label_and_scales_sparse_maps():
    class TwoClasses(torch.nn.Module):
        def forward(self, x):                      # class 0 reads pixel (1, 1); class 1 pixels (8, 8) and (30, 30)
            return torch.stack([x[:, 0, 1, 1], 8 * x[:, 0, 8, 8] + x[:, 0, 30, 30]], dim=1)

    images = np.full((3, 48, 48, 1), 200, dtype=np.uint8)
    labels = np.array([0, 1, 0])
    whole = smoothgrad(TwoClasses(), images, labels, torch.device("cpu"), samples=5)
    chunked = smoothgrad(TwoClasses(), images, labels, torch.device("cpu"), samples=5, batch=4)  # 1 copy a pass
    np.testing.assert_allclose(chunked, whole, rtol=1e-6)
    assert whole[0, 1, 1] == 1.0 and whole[0, 8, 8] == 0.0 and whole[1, 8, 8] == 1.0 and whole[1, 1, 1] == 0.0
    # 18 of 2,304 pixels are non-zero, so the 99th percentile is 0 and alone would saturate both
    # spots; scaled to a quarter of the maximum, the weaker spot (1/8 of the stronger) reads 0.5
    assert whole[1, 30, 30] == pytest.approx(0.5, rel=1e-5)


def test_saliency_figure_shows_real_and_the_best_mix_over_the_first_images_of_each_class():
    images = np.random.default_rng(0).integers(1, 256, (8, 6, 6, 1), dtype=np.uint8)
    labels = np.array([1, 0, 1, 0, 1, 0, 1, 1])
    loaded = []

    def load(variant, replicate):
        loaded.append((variant, replicate))
        return OnePixel()

    accuracy = {"real": 0.9, "augmented": 0.99, "synthetic": 0.5, "mix_25": 0.91, "mix_50": 0.93}
    panel, info = saliency_figure(accuracy, images, labels, 2, load, per_class=2, device=torch.device("cpu"))
    assert info["variants"] == ["real", "mix_50"] and loaded == [("real", 0), ("mix_50", 0)]
    assert info["test_indices"] == [1, 3, 0, 2]                   # the first 2 of class 0, then of class 1
    assert info["columns"] == ["image", "real", "mix_50"] and info["method"] == "SmoothGrad x input"
    assert panel.shape == (4 * 3, 6, 6, 3) and panel.dtype == np.uint8     # per image: it, then 2 overlays
    none, info = saliency_figure(accuracy, images[:0], labels[:0], 2, load, per_class=2, device=torch.device("cpu"))
    assert none is None and info["test_indices"] == []


def test_evaluate_variants_compares_every_variant_with_real_under_one_holm_family():
    y = np.arange(100) % 2
    counts = {"0": 10, "1": 10}
    runs = {"real": [_run(np.arange(100) < n, y) for n in (80, 82, 84)],
            "mix_50": [_run(np.arange(100) < n, y) for n in (95, 96, 98)],
            "synthetic": [_run(np.arange(100) < n, y) for n in (80, 83, 83)]}
    for v, reps in runs.items():
        for r in reps:
            r["synthetic_counts"] = {} if v == "real" else counts
    results = evaluate_variants(runs, y, alpha=0.05, failure_fraction=0.8)
    assert "vs_baseline" not in results["real"] and results["real"]["synthetic_counts"] == {}
    assert results["mix_50"]["synthetic_counts"] == counts
    better, same = results["mix_50"]["vs_baseline"], results["synthetic"]["vs_baseline"]
    assert better["correction"] == same["correction"] == "Holm over 2 tests"
    alone = compare_paired(runs["mix_50"], runs["real"], y, alpha=0.05, family=2)
    # the family is the 2 variants besides real: its power (alpha / 2) sets the detectable size
    assert better["min_detectable"] == alone["min_detectable"] != compare_paired(
        runs["mix_50"], runs["real"], y, alpha=0.05, family=1)["min_detectable"]
    assert better["p_value"] == alone["p_value"] and better["p_adjusted"] >= better["p_value"]
    assert better["significant"] and not same["significant"]
    assert results["mix_50"]["accuracy"] == pytest.approx(0.9633333)


def _run(acc_correct: np.ndarray, y: np.ndarray, steps: int = 100) -> dict:
    pred = np.where(acc_correct, y, (y + 1) % 2)
    acc = float(acc_correct.mean())
    return {"accuracy": acc, "precision_macro": acc, "recall_macro": acc, "f1_macro": acc, "ece": 0.1,
            "per_class": {"a": {"f1": acc}, "b": {"f1": acc}}, "confusion_matrix": [[1, 0], [0, 1]],
            "reliability": {"count": [0, 100], "confidence_sum": [0.0, 90.0], "correct_sum": [0.0, acc * 100]},
            "predictions": pred.tolist(), "robustness": {"blur": {"0.0": acc, "0.5": acc / 2}},
            "best_step": steps, "steps": steps, "gan_seed": None,
            "val_curve": [[s, 0.9] for s in range(steps // 10, steps + 1, steps // 10)]}


def test_aggregate_over_replicates_gives_mean_std_and_the_paired_comparison():
    y = np.arange(100) % 2
    real = [_run(np.arange(100) < n, y) for n in (80, 82, 84)]
    same = aggregate("mix_50", real, failure_fraction=0.8)
    vs = compare_paired(real, real, y, alpha=0.05, family=1)
    assert vs["p_value"] == 1.0 and vs["diff"] == 0.0 and vs["ci_low"] < 0 < vs["ci_high"]
    assert same["accuracy"] == pytest.approx(0.82) and same["accuracy_std"] == pytest.approx(0.02)
    assert same["confusion_matrix"] == [[3, 0], [0, 3]]           # summed over replicates
    assert same["reliability"]["count"] == [0, 300]               # pooled over replicates
    assert same["robustness"]["blur"] == {"0.0": pytest.approx(0.82), "0.5": pytest.approx(0.41)}
    assert same["failure_level"] == {"blur": 0.5}
    assert same["budget"]["steps"] == 100 and same["budget"]["checks"] == 10
    assert same["budget"]["val_curve"][-1] == [100, pytest.approx(0.9)]
    better = [_run(np.arange(100) < n, y) for n in (95, 96, 98)]
    vs = compare_paired(better, real, y, alpha=0.05, family=1)
    assert vs["diff"] == pytest.approx(0.1433333) and vs["p_value"] < 0.05 and vs["ci_low"] > 0
    assert vs["test"] == "paired t-test over replicates"
    single = compare_paired(better[:1], real[:1], y, alpha=0.05, family=1)
    assert single["test"].startswith("McNemar") and single["ci_low"] is None
    assert single["p_value"] == pytest.approx(2 * 0.5 ** 15)      # 15 discordant, all one way


def test_holm_decides_the_verdict():
    results = {"real": {}, "a": {"vs_baseline": {"p_value": 0.03}}, "b": {"vs_baseline": {"p_value": 0.01}},
               "c": {"vs_baseline": {"p_value": 0.5}}}
    add_holm(results, alpha=0.05)
    assert results["b"]["vs_baseline"]["p_adjusted"] == pytest.approx(0.03) and results["b"]["vs_baseline"]["significant"]
    # raw p = 0.03 would pass alone; after the correction (x2 = 0.06) it does not
    assert results["a"]["vs_baseline"]["p_adjusted"] == pytest.approx(0.06) and not results["a"]["vs_baseline"]["significant"]
    assert results["c"]["vs_baseline"]["correction"] == "Holm over 3 tests"


def _filtering():
    per_class = {c: {"kept": 5, "target": 5, "drawn": 10, "passed": 5, "unique_drawn": 10, "acceptance": 0.5, "cut": 0.7,
                     "mean_confidence": 0.8, "reached": True} for c in "ab"}
    judge = {"temperature": 1.5, "val": {"ece_before": 0.2, "ece_after": 0.05}, "test": {"ece_before": 0.25, "ece_after": 0.06}}
    return {"mode": "relative", "kept": 10, "drawn": 20, "passed": 10, "acceptance": 0.5, "target_per_class": 5,
            "max_draws": 50, "judge": judge, "gan_seeds": [0], "per_seed": {"0": per_class}}


SETTINGS = {"dataset": "digits", "image_size": "16x16x1", "per_class": "50", "val_images": 40, "test_images": 100,
            "gan_steps": 300, "mix_mode": "add"}


def test_html_report_has_every_section_and_embeds_its_images():
    y = np.arange(100) % 2
    real = [_run(np.arange(100) < n, y) for n in (80, 82)]
    results = {v: aggregate(v, real, 0.8) for v in ("real", "augmented", "synthetic", "mix_50")}
    for v in ("augmented", "synthetic", "mix_50"):
        results[v]["vs_baseline"] = compare_paired(real, real, y, 0.05, 3) | {"baseline": "real"}
    add_holm(results, 0.05)
    counts = {c: {"real": 0, "synthetic": 50, "synthetic_wanted": 50, "synthetic_unique": 50} for c in "ab"}
    results["synthetic"]["synthetic_counts"] = counts
    q = {"fid": 1.0, "kid": 0.1, "kid_std": 0.01, "precision": 0.5, "recall": 0.5, "density": 0.9, "coverage": 0.6,
         "n_real": 10, "n_synthetic": 10}
    audit = {"copy_rate": 0.8, "copy_threshold": 2.0, "authenticity": 0.1, "heldout_authenticity": 0.6,
             "median_distance_ratio": 0.3, "synthetic": 50, "heldout": 20}
    memorisation = {"spaces": {"pixel": "pixels", "judge": "judge"}, "copy_percentile": 5, "mostly_copies_above": 0.5,
                    "mostly_copies": ["every GAN seed"], "overall": {s: {"copy_rate": 0.8, "authenticity": 0.1,
                                                                 "heldout_authenticity": 0.6,
                                                                 "median_distance_ratio": 0.3, "synthetic": 100}
                                                             for s in ("pixel", "judge")},
                    "per_class": {c: {"pixel": audit, "judge": audit} for c in "ab"},
                    "closest_pairs": {c: [{"synthetic": 0, "train": 1, "distance": 1.0, "gan_seed": 0}] for c in "ab"}}
    quality = {"gan_seed": 0, "overall": {"filtered": q, "raw": q, "real_heldout": q, "detectability": {"accuracy": 0.7}},
               "feature_space": "judge penultimate layer", "reference": "half of the test images",
               "images_per_class": {"a": 10, "b": 10}, "memorisation": memorisation,
               "inception_score": {"real_reference": 1.9, "filtered": 1.7},
               "per_class": {c: {"filtered": q, "raw": None, "real_heldout": q, "detectability": {"accuracy": 0.7}}
                             for c in ("a", "b")},
               "inception": {"feature_space": "Inception", "reference": "real test images",
                             "filtered": {"fid": 42.5, "kid": 0.03, "kid_std": 0.002, "n_real": 100, "n_synthetic": 10}}}
    curve = {"rising": True, "points": [
        {"count": 50.0, "variant": "real", "accuracy": 0.81, "gain": 0.0, "gain_low": None, "gain_high": None},
        {"count": 100, "variant": "real_100", "accuracy": 0.85, "gain": 0.04, "gain_low": 0.03, "gain_high": 0.05}]}
    worth = worth_in_real(curve, {"mix_50": {"diff": 0.01, "ci_low": -0.01, "ci_high": 0.05}}, [])
    summary = summarize(results, _filtering(), quality, [0], 0.05, "digits", 16, worth=worth)
    assert summary.quality["inception_fid"] == 42.5 and summary.quality["inception_images"] == [10, 100]
    assert summary.variants["mix_50"].vs.p_value == 1.0 and summary.variants["real"].vs is None
    assert summary.variants["synthetic"].unique_synthetic == {"total": 100, "min_per_class": 50, "used": 100}
    assert summary.best is None                        # nothing is better than real here
    assert summary.design.replicates == 2 and summary.design.steps == 100
    # summary.json's document: the judge on the test split; a baseline's comparison fields all None
    doc = summary.to_json()
    assert doc["judge"] == {"temperature": 1.5, "test_ece_before": 0.25, "test_ece_after": 0.06}
    real = doc["variants"]["real"]
    assert doc["best"] is None and real["p_value"] is None and real["units"] is None and real["baseline"] is None
    assert doc["variants"]["mix_50"]["baseline"] == "real" and doc["variants"]["mix_50"]["units"] == 2
    assert "family" not in doc["variants"]["mix_50"] and doc["design"]["gan_seeds"] == [0]
    png = b"\x89PNG fake"
    figures = Figures(samples={"a": (png, png), "b": (png, None)}, closest_pairs={"a": png, "b": None},
                      saliency=(png, {"per_class": 2, "replicate": 0, "columns": ["image", "real", "mix_50"]}))
    html = render_html(build_report(summary, results, quality, _filtering(), ["a", "b"], SETTINGS, 0.05, figures))
    # mostly copies: every variant trained on synthetic images is flagged, the others are not
    assert all(summary.variants[v].verdict.startswith("FLAGGED") for v in ("synthetic", "mix_50"))
    assert not any(summary.variants[v].verdict.startswith("FLAGGED") for v in ("real", "augmented"))
    assert summary.quality["copy_rate"] == 0.8 and summary.quality["mostly_copies"] == ["every GAN seed"]
    assert "mostly near-copies" in summary_answer(summary) and "closest pairs a" in html
    for key in SECTIONS:
        assert f'<section id="{key}">' in html
    srcs = re.findall(r'src="([^"]*)"', html)
    assert len(srcs) == 5 and all(s.startswith("data:image/png;base64,") for s in srcs)
    assert "no difference detected" in html and "no synthetic image kept" in html and "filtered 1.700" in html
    assert "FID (judge)" in html and "FID (Inception)" in html and "test ECE 0.2500 → 0.0600" in html
    assert "100 (≥ 50 per class)" in html and "Holm-adjusted" in html and "0.1000 ± 0.0100" in html
    assert "Standard FID/KID" in html and "42.50" in html and "95% interval" in html
    assert "GAN variance is not inside the replicates" in html and "digits" in html
    # the worth section: the curve, and mix_50's +1 point a quarter of the way (in log count) to 100 per class
    assert "<td>real_100</td><td>0.8500</td><td>+4.00</td><td>[+3.00, +5.00]</td>" in html
    assert "<td>mix_50</td><td>+1.00</td><td>[-1.00, +5.00]</td><td>59</td><td>[≤ 50, &gt; 100]</td><td>25%</td>" in html
    assert "| mix_50 | +1.00 | [-1.00, +5.00] | 59 | [≤ 50, > 100] | 25% | [-33%, 167%] |" in worth_lines(worth)
    assert "the best variant with synthetic images and no augmentation, mix_50, is worth 59 real images per class" in summary_answer(summary)
    assert html.count("<svg") == 3                     # accuracy vs ratio, one robustness chart (blur), reliability


def test_line_chart_draws_error_bars_and_escapes_names():
    svg = line_chart([{"name": "a<b", "x": [0, 50, 100], "y": [0.5, 0.7, 0.95], "err": [0.1, 0.0, 0.1]}],
                     "t", "x", "y", y_range=(0.0, 1.0))
    assert svg.startswith("<svg") and svg.endswith("</svg>") and "a&lt;b" in svg and "± 0.1000" in svg
    # frame: x from 56 over 254 px, y from 28 over 228 px (1.0 at the top)
    assert '<line x1="56.0" x2="56.0" y1="164.8" y2="119.2"' in svg          # 0.5 +- 0.1 at x = 0
    assert 'x1="183.0" x2="183.0"' not in svg                                  # no bar where err = 0
    assert '<line x1="310.0" x2="310.0" y1="62.2" y2="28.0"' in svg            # 0.95 + 0.1 cut at the frame


def test_inception_score_known_answers():
    from synthmix.evaluate.quality import inception_score

    assert inception_score(np.eye(4)[[0, 1, 2, 3] * 5]) == pytest.approx(4.0)      # sure, all classes used evenly
    assert inception_score(np.eye(4)[[2] * 20]) == pytest.approx(1.0)              # one class for everything
    assert inception_score(np.full((10, 4), 0.25)) == pytest.approx(1.0)           # never sure
    assert 1.0 < inception_score(np.eye(4)[[0, 0, 0, 1]]) < 2.0                     # two classes, unevenly
