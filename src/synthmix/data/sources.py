"""Dataset sources: each turns its raw files into `uint8 (N, H, W, C)` images and `int64` labels.

A source verifies what it reads against a published checksum. When the raw bytes differ but the
decoded content matches the known content checksum (a re-compressed copy), it is accepted with a
warning; anything else fails naming the file and what was expected.
"""
from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from synthmix.core.errors import DataError
from synthmix.core.io import sha256_array, sha256_file


@dataclass
class RawDataset:
    images: np.ndarray        # uint8 (N, H, W, C)
    labels: np.ndarray        # int64 (N,), indices into class_names
    class_names: list[str]
    source: str               # where the bytes came from, for meta.json
    checksums: dict[str, str]


def content_sha256(images: np.ndarray, labels: np.ndarray) -> str:
    """Checksum of decoded content, independent of how the raw file was compressed."""
    return hashlib.sha256((sha256_array(images) + sha256_array(labels)).encode()).hexdigest()


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


# scikit-learn ships the UCI optical digits test set (1797 images, 8x8, values 0..16) inside the package.
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


def load_digits(root: Path | None = None) -> RawDataset:
    """scikit-learn's embedded digits: no network needed."""
    if root is None:
        import sklearn.datasets

        root = Path(sklearn.datasets.__file__).parent / "data"
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


SOURCES: dict[str, Callable[..., RawDataset]] = {"digits": load_digits}


def load_source(name: str, root: Path | None = None) -> RawDataset:
    """Load dataset `name`; an unknown name fails listing the valid ones."""
    try:
        loader = SOURCES[name]
    except KeyError:
        raise DataError(f"unknown dataset {name!r}; valid: {', '.join(sorted(SOURCES))}") from None
    return loader(root)
