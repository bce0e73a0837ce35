"""data.name digits: the UCI optical digits test set (1797 images, 8x8, values 0..16) that
scikit-learn ships inside its package; no network needed."""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Callable

import numpy as np

from synthmix.core.errors import DataError
from synthmix.core.io import sha256_file
from synthmix.data.datasets.base import Dataset, RawDataset, content_sha256, installed_package_dir

PACKAGE = "sklearn"
# sklearn/datasets/data/digits.csv.gz: its bytes, and its decoded content (a re-compressed copy)
DIGITS_SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"
DIGITS_CONTENT_SHA256 = "5daa7457d2493c509a67f0f4ba0c9fa6bf4279d0e71640d6d253cb302b84087b"


def _parse_digits(path: Path) -> tuple[np.ndarray, np.ndarray]:
    table = np.loadtxt(path, delimiter=",", dtype=np.float64)
    if table.ndim != 2 or table.shape[1] != 65:
        raise DataError(f"{path}: expected rows of 64 pixel values and a label, got shape {table.shape}")
    pixels, labels = table[:, :64], table[:, 64].astype(np.int64)
    if pixels.min() < 0 or pixels.max() > 16 or labels.min() < 0 or labels.max() > 9:
        raise DataError(f"{path}: pixel values must be 0..16 and labels 0..9")
    # 0..16 -> 0..255, rounded once here so every later stage sees the same uint8 bytes.
    images = np.rint(pixels * (255.0 / 16.0)).astype(np.uint8).reshape(-1, 8, 8, 1)
    return images, labels


def verify(path: Path, expected_sha256: str, content_sha256: str | None = None,
           content: Callable[[], str] | None = None) -> str:
    """Check `path` against its published sha256; fall back to a content checksum (with a warning)."""
    if not path.exists():
        raise DataError(f"{path}: missing; expected a file with sha256 {expected_sha256}")
    got = sha256_file(path)
    if got == expected_sha256:
        return got
    if content is not None and content_sha256 is not None:
        try:
            got_content = content()
        except Exception as e:
            raise DataError(f"{path}: sha256 {got} does not match the published {expected_sha256}, "
                            f"and its content does not parse ({type(e).__name__}: {e})") from None
        if got_content == content_sha256:
            warnings.warn(f"{path}: bytes differ from the published archive (sha256 {got}, expected "
                          f"{expected_sha256}) but the decoded content matches; using it", stacklevel=2)
            return got
        raise DataError(f"{path}: sha256 {got} does not match the published {expected_sha256}, and its "
                        f"decoded content checksum {got_content} does not match {content_sha256}")
    raise DataError(f"{path}: sha256 {got} does not match the expected {expected_sha256}")


def load_digits(root: Path | None = None) -> RawDataset:
    """scikit-learn's embedded digits (`root`: a folder holding a copy of digits.csv.gz)."""
    if root is None:
        root = installed_package_dir(PACKAGE) / "datasets" / "data"
    path = Path(root) / "digits.csv.gz"
    parsed: dict = {}

    def content() -> str:
        parsed["data"] = _parse_digits(path)
        return content_sha256(*parsed["data"])

    file_sha = verify(path, DIGITS_SHA256, DIGITS_CONTENT_SHA256, content)
    images, labels = parsed.get("data") or _parse_digits(path)
    return RawDataset(images, labels, [str(i) for i in range(10)], source=str(path),
                      checksums={"digits.csv.gz": file_sha,
                                 "content": content_sha256(images, labels)})


DIGITS = Dataset("digits", lambda f: load_digits(), package=PACKAGE)
