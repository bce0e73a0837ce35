"""Pretrained weights, fetched safely: torchvision's ImageNet weights for the pretrained classifiers
and the FID Inception weights for the standard FID/KID.

- A file is looked for first in the weights cache (`SYNTHMIX_WEIGHTS`, default
  `$XDG_CACHE_HOME/synthmix/weights`, i.e. `~/.cache/synthmix/weights`): on an offline machine, put the
  files there. The cache is a machine's, outside the project: never inside data.root, which the
  `download` stage depends on (a file added there would mark `download` changed).
- Otherwise it is downloaded once, from its published URL or from `SYNTHMIX_WEIGHTS_MIRROR` (a base
  URL, e.g. an internal mirror), to `<file>.part`, checked against the file's full published sha256
  and only then renamed. Only https:// (or file://) URLs are used: a plain http:// mirror is refused
  unless `SYNTHMIX_WEIGHTS_ALLOW_HTTP=1` says the network in between is trusted (the sha256 is still
  checked).
- A wrong hash or a cut-short download fails naming the file, the expected and the found hash, and
  leaves nothing behind; a local copy with another hash fails the same way (and is left alone).
- It is loaded with `torch.load(weights_only=True)` (torch >= 2.6: the earlier loader had a
  code-execution bypass): tensors and plain containers, never code.

Where the file lives is a machine setting (environment variables), not an experiment param: its
content is pinned by its hash, so where it came from cannot change a result.
"""
from __future__ import annotations

import os
from pathlib import Path

from synthmix.core.errors import DataError
from synthmix.core.io import load_torch
from synthmix.data.fetch import Remote, obtain

# Full sha256s of the published files (their names carry only the first 8 hex digits, 32 bits).
WEIGHTS: dict[str, Remote] = {
    "mobilenet_v2": Remote("mobilenet_v2-b0353104.pth",
                           sha256="b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889",
                           urls=("https://download.pytorch.org/models/mobilenet_v2-b0353104.pth",)),
    "resnet18": Remote("resnet18-f37072fd.pth",
                       sha256="f37072fd47e89c5e827621c5baffa7500819f7896bbacec160b1a16c560e07ec",
                       urls=("https://download.pytorch.org/models/resnet18-f37072fd.pth",)),
    # the TensorFlow FID network's weights ported to PyTorch: what published FIDs are computed with
    "fid_inception": Remote("pt_inception-2015-12-05-6726825d.pth",
                            sha256="6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2",
                            urls=("https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/"
                                  "pt_inception-2015-12-05-6726825d.pth",)),
}
ALLOW_HTTP = "SYNTHMIX_WEIGHTS_ALLOW_HTTP"


def weights_dir() -> Path:
    """`$SYNTHMIX_WEIGHTS`, else `$XDG_CACHE_HOME/synthmix/weights` (default `~/.cache/...`)."""
    if os.environ.get("SYNTHMIX_WEIGHTS"):
        return Path(os.environ["SYNTHMIX_WEIGHTS"])
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "synthmix" / "weights"


def check_urls(urls: list[str], name: str) -> None:
    """Refuse a weights URL that is not https:// or file://, unless SYNTHMIX_WEIGHTS_ALLOW_HTTP=1."""
    for url in urls:
        scheme = url.split("://", 1)[0].lower() if "://" in url else ""
        if scheme in ("https", "file") or (scheme == "http" and os.environ.get(ALLOW_HTTP) == "1"):
            continue
        raise DataError(f"{url}: the {name} weights may only be downloaded over https:// (or from a file:// "
                        f"path); set SYNTHMIX_WEIGHTS_MIRROR to an https:// mirror, or {ALLOW_HTTP}=1 to allow "
                        "plain http on a network you trust (the file's sha256 is checked either way)")


def fetch_weights(name: str) -> Path:
    """The verified local path of weights `name`, downloading them if they are not there yet."""
    try:
        remote = WEIGHTS[name]
    except KeyError:
        raise DataError(f"no pretrained weights named {name!r}; known: {', '.join(sorted(WEIGHTS))}") from None
    where = weights_dir() / remote.filename
    mirror = os.environ.get("SYNTHMIX_WEIGHTS_MIRROR", "")
    if not where.is_file():       # only a download uses a URL
        check_urls([mirror] if mirror else list(remote.urls), name)
    try:
        got = obtain(remote, [weights_dir()], weights_dir(), mirror)
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
