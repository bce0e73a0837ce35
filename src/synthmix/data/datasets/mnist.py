"""data.name mnist and fashion_mnist: the same four IDX files (60,000 training and 10,000 test
images, 28x28 gray), under the same names; only their checksums tell them apart. Every official
image is returned, train and test together: the split is ours (data/prepare.py)."""
from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path
from typing import Callable

import numpy as np

from synthmix.core.errors import DataError
from synthmix.data.datasets.base import Dataset, Fetcher, RawDataset
from synthmix.data.fetch import Remote


def _remotes(base_urls: tuple[str, ...], md5s: dict[str, str]) -> tuple[Remote, ...]:
    return tuple(Remote(fn, md5, tuple(u + fn for u in base_urls)) for fn, md5 in md5s.items())


# The published URLs and md5s (the ones torchvision uses; a test checks they agree). No content
# checksum is recorded yet: only the published bytes are accepted until someone records one
# (fetch.content_digest of a verified download).
MNIST_REMOTES = _remotes(("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"), {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c"})
FASHION_MNIST_REMOTES = _remotes(("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",), {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310"})

MNIST_CLASSES = [str(i) for i in range(10)]
# file- and stage-safe versions of the official names ("T-shirt/top" has a slash)
FASHION_MNIST_CLASSES = ["tshirt_top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker",
                         "bag", "ankle_boot"]


def _decompress(path: Path) -> bytes:
    data = path.read_bytes()
    if path.suffix != ".gz":
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"{path}: not a readable gzip file ({type(e).__name__}: {e})") from None


def read_idx(path: Path) -> np.ndarray:
    """An IDX file of unsigned bytes (MNIST's format), gzipped or not: magic 0 0 0x08 ndim, big-endian dims."""
    data = _decompress(path)
    if len(data) < 4 or data[:3] != b"\x00\x00\x08" or not 1 <= data[3] <= 4:
        raise DataError(f"{path}: not an IDX file of unsigned bytes (magic {data[:4].hex() or 'empty'})")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{path}: IDX header cut short")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    need = int(np.prod(dims))
    if len(data) - header != need:
        raise DataError(f"{path}: IDX header says shape {dims} ({need} bytes) but the file holds "
                        f"{len(data) - header} bytes")
    return np.frombuffer(data, np.uint8, offset=header).reshape(dims)


def _idx_pair(f: Fetcher, images: Remote, labels: Remote, n_classes: int) -> tuple[np.ndarray, np.ndarray, dict]:
    got_x, got_y = f.get(images), f.get(labels)
    x, y = read_idx(got_x.path), read_idx(got_y.path)
    if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
        raise DataError(f"{got_x.path}, {got_y.path}: expected (N, H, W) images and N labels, got "
                        f"{x.shape} and {y.shape}")
    if y.size and y.max() >= n_classes:
        raise DataError(f"{got_y.path}: label {int(y.max())} out of range 0..{n_classes - 1}")
    return x[..., None], y.astype(np.int64), {images.filename: got_x.digest, labels.filename: got_y.digest}


def _idx_loader(class_names: list[str]) -> Callable[[Fetcher], RawDataset]:
    def load(f: Fetcher) -> RawDataset:
        parts = [_idx_pair(f, f.remote(f"{s}-images-idx3-ubyte.gz"), f.remote(f"{s}-labels-idx1-ubyte.gz"),
                           len(class_names)) for s in ("train", "t10k")]
        images = np.concatenate([p[0] for p in parts])
        labels = np.concatenate([p[1] for p in parts])
        checksums = {k: v for p in parts for k, v in p[2].items()}
        return RawDataset(images, labels, list(class_names), str(f.download_dir), checksums)
    return load


MNIST = Dataset("mnist", _idx_loader(MNIST_CLASSES), MNIST_REMOTES, torchvision_dirs=("MNIST",))
FASHION_MNIST = Dataset("fashion_mnist", _idx_loader(FASHION_MNIST_CLASSES), FASHION_MNIST_REMOTES,
                        torchvision_dirs=("FashionMNIST",))
