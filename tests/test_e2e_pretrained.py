"""End to end with torchvision's MobileNetV2 as every classifier (random weights: the pretrained
download is tested against a local server in test_weights.py)."""
import json

import pytest
import torch

from test_e2e import TINY, make_repo, repro

pytestmark = pytest.mark.e2e


def test_whole_pipeline_with_mobilenet_v2_classifiers(tmp_path):
    params = {**TINY, "classifier": {**TINY["classifier"], "arch": "mobilenet_v2", "input_size": 32}}
    repo = make_repo(tmp_path, params)
    ran = repro(repo)
    assert {"train_real", "train_augmented", "train_synthetic", "train_mix@50", "evaluate", "report"} <= ran
    ckpt = torch.load(repo / "models/classifier/mix_50/0.pt", weights_only=True)
    assert ckpt["config"]["arch"] == "mobilenet_v2" and ckpt["config"]["input_size"] == 32
    assert any(k.startswith("backbone.") for k in ckpt["model"])
    summary = json.loads((repo / "metrics/summary.json").read_text())
    assert set(summary["variants"]) == {"real", "augmented", "synthetic", "mix_50"}
    assert all(0.0 <= v["accuracy"] <= 1.0 for v in summary["variants"].values())
    assert (repo / "metrics/evaluate/saliency.png").read_bytes()[:4] == b"\x89PNG"   # gradients through the resize
    # the judge stays the small CNN: its checkpoint and the GANs are untouched by the classifier's arch
    assert torch.load(repo / "models/judge.pt", weights_only=True)["config"]["arch"] == "cnn"
