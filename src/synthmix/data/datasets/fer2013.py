"""data.name fer2013: the Kaggle facial-expression set (35,887 faces, 48x48 gray, 7 emotions) as one
CSV. It cannot be downloaded without a Kaggle account: data.root (or data.mirror) must hold it."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from synthmix.core.errors import DataError
from synthmix.data.datasets.base import Dataset, Fetcher, RawDataset
from synthmix.data.fetch import Remote

FER2013_CLASSES = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
FER2013_MANUAL = ("FER2013 cannot be downloaded without a Kaggle account: sign in at https://www.kaggle.com/c/"
                  "challenges-in-representation-learning-facial-expression-recognition-challenge/data, "
                  "download fer2013.csv (inside fer2013.tar.gz) and put it at {where}, or set data.root "
                  "to the folder that holds it.")
# The published md5 (torchvision's; a test checks they agree). No content checksum is recorded yet:
# only the published bytes are accepted until someone records one.
REMOTE = Remote("fer2013.csv", "f8428a1edbd21e88f42c73edd2a14f95", (), manual=FER2013_MANUAL)


def read_fer2013(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """fer2013.csv: emotion,pixels,Usage; pixels are 2304 space-separated values (48x48 grayscale)."""
    import pandas as pd

    try:
        table = pd.read_csv(path, dtype={"emotion": "Int64", "pixels": str})
    except Exception as e:
        raise DataError(f"{path}: not a readable CSV ({type(e).__name__}: {e})") from None
    if not {"emotion", "pixels"} <= set(table.columns):
        raise DataError(f"{path}: expected columns emotion,pixels,Usage; got {','.join(table.columns)}")
    if table["emotion"].isna().any() or table["pixels"].isna().any():
        raise DataError(f"{path}: row {int(table.isna().any(axis=1).argmax()) + 2} has an empty field")
    counts = table["pixels"].str.count(" ") + 1
    if (counts != 48 * 48).any():
        bad = int((counts != 48 * 48).to_numpy().argmax())
        raise DataError(f"{path}: row {bad + 2} has {int(counts.iloc[bad])} pixel values, expected 2304")
    pixels = np.fromstring(" ".join(table["pixels"]), dtype=np.int64, sep=" ")  # one C-level parse
    if pixels.size != len(table) * 2304 or pixels.min() < 0 or pixels.max() > 255:
        raise DataError(f"{path}: pixel values must be 2304 integers 0..255 per row")
    labels = table["emotion"].to_numpy(np.int64)
    if labels.min() < 0 or labels.max() >= len(FER2013_CLASSES):
        raise DataError(f"{path}: emotion labels must be 0..{len(FER2013_CLASSES) - 1}")
    return pixels.astype(np.uint8).reshape(-1, 48, 48, 1), labels


def load_fer2013(f: Fetcher) -> RawDataset:
    remote = f.remote("fer2013.csv")
    got = f.get(remote)
    images, labels = read_fer2013(got.path)
    return RawDataset(images, labels, list(FER2013_CLASSES), str(got.path), {remote.filename: got.digest})


FER2013 = Dataset("fer2013", load_fer2013, (REMOTE,))
