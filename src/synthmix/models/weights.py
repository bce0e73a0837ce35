"""Pretrained weights, fetched safely: torchvision's ImageNet weights for the pretrained classifiers
and the FID Inception weights for the standard FID/KID.

- A file is looked for first in the weights directory (`SYNTHMIX_WEIGHTS`, default
  `data/downloads/weights`): on an offline machine, put the files there.
- Otherwise it is downloaded once, from its published URL or from `SYNTHMIX_WEIGHTS_MIRROR` (a base
  URL, e.g. an internal mirror), to `<file>.part`, checked against the published hash (the sha256
  prefix in the file name, which torchvision publishes and torch.hub checks) and only then renamed.
- A wrong hash or a cut-short download fails naming the file, the expected and the found hash, and
  leaves nothing behind; a local copy with another hash fails the same way (and is left alone).
- It is loaded with `torch.load(weights_only=True)`: tensors and plain containers, never code.

Where the file lives is a machine setting (environment variables), not an experiment param: its
content is pinned by its hash, so where it came from cannot change a result.
"""
from __future__ import annotations

import os
from pathlib import Path

from synthmix.core.errors import DataError
from synthmix.core.io import load_torch
from synthmix.data.fetch import Remote, obtain

WEIGHTS: dict[str, Remote] = {
    "mobilenet_v2": Remote("mobilenet_v2-b0353104.pth", sha256_prefix="b0353104",
                           urls=("https://download.pytorch.org/models/mobilenet_v2-b0353104.pth",)),
    "resnet18": Remote("resnet18-f37072fd.pth", sha256_prefix="f37072fd",
                       urls=("https://download.pytorch.org/models/resnet18-f37072fd.pth",)),
    # the TensorFlow FID network's weights ported to PyTorch: what published FIDs are computed with
    "fid_inception": Remote("pt_inception-2015-12-05-6726825d.pth", sha256_prefix="6726825d",
                            urls=("https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/"
                                  "pt_inception-2015-12-05-6726825d.pth",)),
}


def weights_dir() -> Path:
    return Path(os.environ.get("SYNTHMIX_WEIGHTS", "data/downloads/weights"))


def fetch_weights(name: str) -> Path:
    """The verified local path of weights `name`, downloading them if they are not there yet."""
    try:
        remote = WEIGHTS[name]
    except KeyError:
        raise DataError(f"no pretrained weights named {name!r}; known: {', '.join(sorted(WEIGHTS))}") from None
    where = weights_dir() / remote.filename
    try:
        got = obtain(remote, [weights_dir()], weights_dir(), os.environ.get("SYNTHMIX_WEIGHTS_MIRROR", ""))
    except DataError as e:
        raise DataError(f"{e}\n  For offline use, put {remote.filename} (from {remote.urls[0]}) at {where}, "
                        "or set SYNTHMIX_WEIGHTS to the folder that holds it") from None
    if not got.matches:
        raise DataError(f"{got.path}: sha256 {got.digest} does not match the published {remote.expected} of the "
                        f"{name} weights; replace it with {remote.urls[0]}")
    return got.path


def load_weights(name: str) -> dict:
    """The state dict of weights `name` (fetched and verified first)."""
    return load_torch(fetch_weights(name))
