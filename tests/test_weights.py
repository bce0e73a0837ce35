"""Pretrained weights fetched safely, against a local HTTP server on 127.0.0.1 serving weight files
built from randomly initialised torchvision models: verified download, wrong hash, truncated
transfer, offline copy, mirror; and what loads them (the pretrained classifiers, the FID network)."""
import dataclasses
import hashlib

import numpy as np
import pytest
import torch

import fakes
from synthmix.classifier.train import fit
from synthmix.core.errors import DataError
from synthmix.models import weights
from synthmix.models.pretrained import PretrainedNet
from synthmix.params import CnnParams


def test_our_urls_and_hashes_are_torchvisions():
    import torchvision.models as tv

    for name, published in (("mobilenet_v2", tv.MobileNet_V2_Weights.IMAGENET1K_V1),
                            ("resnet18", tv.ResNet18_Weights.IMAGENET1K_V1)):
        remote = weights.WEIGHTS[name]
        assert remote.urls == (published.url,)
        assert published.url.endswith(f"/{remote.filename}") and remote.filename.endswith(f"-{remote.sha256_prefix}.pth")
    fid = weights.WEIGHTS["fid_inception"]
    assert fid.urls[0].endswith("/" + fid.filename) and fid.filename.endswith(f"-{fid.sha256_prefix}.pth")


@pytest.fixture
def served(tmp_path, monkeypatch):
    """A random resnet18 state dict under its published name, served from 127.0.0.1; WEIGHTS points
    there with the file's real sha256 prefix; SYNTHMIX_WEIGHTS is an empty folder."""
    import torchvision.models as tv

    torch.manual_seed(0)
    state = tv.resnet18(weights=None).state_dict()
    root = tmp_path / "server"
    root.mkdir()
    remote = weights.WEIGHTS["resnet18"]
    path = root / remote.filename
    torch.save(state, path)
    prefix = hashlib.sha256(path.read_bytes()).hexdigest()[:8]
    cache = tmp_path / "weights"
    monkeypatch.setenv("SYNTHMIX_WEIGHTS", str(cache))
    monkeypatch.delenv("SYNTHMIX_WEIGHTS_MIRROR", raising=False)
    with fakes.serve(root) as url:
        monkeypatch.setitem(weights.WEIGHTS, "resnet18",
                            dataclasses.replace(remote, urls=(url + remote.filename,), sha256_prefix=prefix))
        yield {"state": state, "cache": cache, "url": url, "root": root, "prefix": prefix, "remote": remote}


def test_download_is_verified_cached_and_loads(served):
    path = weights.fetch_weights("resnet18")
    assert path == served["cache"] / served["remote"].filename
    state = weights.load_weights("resnet18")
    assert all(torch.equal(state[k], served["state"][k]) for k in served["state"])
    net = PretrainedNet("resnet18", 3)
    net.load_imagenet(state)
    assert torch.equal(net.backbone.conv1.weight, served["state"]["conv1.weight"])
    (served["root"] / served["remote"].filename).unlink()       # the server loses it: the cached copy is used
    assert weights.fetch_weights("resnet18") == path


def test_wrong_hash_names_the_file_and_both_hashes_and_leaves_nothing(served, monkeypatch):
    remote = weights.WEIGHTS["resnet18"]
    monkeypatch.setitem(weights.WEIGHTS, "resnet18", dataclasses.replace(remote, sha256_prefix="00000000"))
    with pytest.raises(DataError) as e:
        weights.fetch_weights("resnet18")
    message = str(e.value)
    found = hashlib.sha256((served["root"] / remote.filename).read_bytes()).hexdigest()
    assert remote.filename in message and "00000000" in message and found in message
    assert "For offline use, put resnet18-f37072fd.pth" in message
    assert not served["cache"].exists() or not any(served["cache"].iterdir())   # no file, no .part


def test_truncated_download_fails_and_leaves_nothing(served, monkeypatch):
    remote = weights.WEIGHTS["resnet18"]
    monkeypatch.setitem(weights.WEIGHTS, "resnet18",
                        dataclasses.replace(remote, urls=(served["url"] + "truncated/" + remote.filename,)))
    with pytest.raises(DataError, match="truncated download"):
        weights.fetch_weights("resnet18")
    assert not served["cache"].exists() or not any(served["cache"].iterdir())


def test_offline_copy_is_used_and_a_missing_one_says_where_to_put_it(served, monkeypatch, tmp_path):
    remote = weights.WEIGHTS["resnet18"]
    unreachable = dataclasses.replace(remote, urls=("http://127.0.0.1:9/" + remote.filename,))
    monkeypatch.setitem(weights.WEIGHTS, "resnet18", unreachable)
    with pytest.raises(DataError, match=r"put resnet18-f37072fd.pth \(from http://127.0.0.1:9/.*\) at .*weights"):
        weights.fetch_weights("resnet18")
    served["cache"].mkdir(parents=True, exist_ok=True)
    (served["cache"] / remote.filename).write_bytes((served["root"] / remote.filename).read_bytes())
    assert weights.fetch_weights("resnet18") == served["cache"] / remote.filename      # no network needed
    (served["cache"] / remote.filename).write_bytes(b"not the weights")                # a bad local copy
    with pytest.raises(DataError, match=r"sha256 [0-9a-f]{64} does not match the published " + served["prefix"]):
        weights.fetch_weights("resnet18")
    assert (served["cache"] / remote.filename).read_bytes() == b"not the weights"    # yours: left alone


def test_mirror_serves_when_the_official_host_is_unreachable(served, monkeypatch):
    remote = weights.WEIGHTS["resnet18"]
    monkeypatch.setitem(weights.WEIGHTS, "resnet18",
                        dataclasses.replace(remote, urls=("http://127.0.0.1:9/" + remote.filename,)))
    monkeypatch.setenv("SYNTHMIX_WEIGHTS_MIRROR", served["url"])
    assert weights.fetch_weights("resnet18").read_bytes() == (served["root"] / remote.filename).read_bytes()


def test_pretrained_classifier_starts_from_the_weights_and_can_train_its_head_only(served):
    x = np.random.default_rng(0).integers(0, 256, (24, 16, 16, 1), dtype=np.uint8)
    y = np.arange(24) % 3
    p = CnnParams(arch="resnet18", pretrained=True, input_size=32, train_layers="head", batch_size=8)
    model, cfg, _ = fit(x, y, x[:6], y[:6], 3, p, 6, 0, torch.device("cpu"))
    assert cfg.arch == "resnet18" and cfg.input_size == 32
    backbone = model.backbone.state_dict()
    for key, value in served["state"].items():       # the head trained; the backbone is the file's, to the bit
        if not key.startswith("fc."):
            assert torch.equal(backbone[key], value), key
    assert model(torch.zeros(2, 1, 16, 16)).shape == (2, 3) and model.embed(torch.zeros(2, 1, 16, 16)).shape == (2, 512)


def test_fid_network_loads_verified_weights_and_gives_2048_features(tmp_path, monkeypatch):
    from synthmix.evaluate.inception import fid_inception, inception_features, load_fid_inception

    torch.manual_seed(0)
    root = tmp_path / "server"
    root.mkdir()
    remote = weights.WEIGHTS["fid_inception"]
    torch.save(fid_inception().state_dict(), root / remote.filename)
    prefix = hashlib.sha256((root / remote.filename).read_bytes()).hexdigest()[:8]
    monkeypatch.setenv("SYNTHMIX_WEIGHTS", str(tmp_path / "weights"))
    monkeypatch.delenv("SYNTHMIX_WEIGHTS_MIRROR", raising=False)
    with fakes.serve(root) as url:
        monkeypatch.setitem(weights.WEIGHTS, "fid_inception",
                            dataclasses.replace(remote, urls=(url + remote.filename,), sha256_prefix=prefix))
        net = load_fid_inception(torch.device("cpu"))
    images = np.random.default_rng(1).integers(0, 256, (3, 16, 16, 1), dtype=np.uint8)
    a = inception_features(net, images, torch.device("cpu"))
    assert a.shape == (3, 2048) and np.isfinite(a).all()
    assert np.array_equal(a, inception_features(net, images, torch.device("cpu"), batch_size=2))
