"""What every dataset shares: the parsed result, finding or downloading a published file, and the
check that a local copy is the dataset's own.

A file that merely parses is never enough (`check_identity`): MNIST's and Fashion-MNIST's files share
their names and their format. A local copy is accepted when its bytes have the published checksum,
or, packed differently (re-compressed by a distribution, say), when its content has the checksum
synthmix records; anything else fails naming the file and what was expected.
"""
from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

import numpy as np

from synthmix.core.errors import DataError
from synthmix.core.io import sha256_array
from synthmix.data.fetch import Obtained, Remote, content_digest, obtain


@dataclass
class RawDataset:
    images: np.ndarray        # uint8 (N, H, W, C)
    labels: np.ndarray        # int64 (N,), indices into class_names
    class_names: list[str]
    source: str               # where the bytes came from, for meta.json
    checksums: dict[str, str]
    notes: dict = field(default_factory=dict)   # what loading did (skipped files, conversions)
    # images that must stay in one split (frames of one physical object), int64 (N,); -1: an image of
    # the official test set, which only the test split takes. None: every image is its own group.
    groups: np.ndarray | None = None


@dataclass(frozen=True)
class Dataset:
    """One data.name: the function that turns its raw files into a RawDataset, and the published
    files it reads (looked up at load time, so a test can publish its own)."""
    name: str
    load: Callable[[Fetcher], RawDataset]
    remotes: tuple[Remote, ...] = ()
    torchvision_dirs: tuple[str, ...] = ()   # torchvision's root/<Class>/raw folders holding the same files
    package: str = ""                        # an installed package whose files it reads


@dataclass
class Fetcher:
    """Where a dataset's raw files are looked for (`roots`), and where downloads go. `known` holds
    every dataset's published files, to name the dataset a wrong local copy belongs to."""
    dataset: Dataset
    root: Path
    mirror: str = ""
    known: Mapping[str, tuple[Remote, ...]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.dataset.name

    @property
    def roots(self) -> list[Path]:
        # the dataset's own folders first (root/<name>: our downloads; torchvision's root/<Class>/raw),
        # then root itself (offline copies): MNIST and Fashion-MNIST share their four file names
        return [self.root / self.name] + [self.root / d / "raw" for d in self.dataset.torchvision_dirs] + [self.root]

    @property
    def download_dir(self) -> Path:
        return self.root / self.name

    @property
    def remotes(self) -> tuple[Remote, ...]:
        return self.dataset.remotes

    def remote(self, filename: str) -> Remote:
        return next(r for r in self.remotes if r.filename == filename)

    def get(self, remote: Remote, check_content: bool = True) -> Obtained:
        """The file, checked to be this dataset's (`check_identity`); `check_content=False` for a source
        that verifies the content itself (CIFAR-10 checks every member's published md5)."""
        got = obtain(remote, self.roots, self.download_dir, self.mirror)
        if check_content:
            check_identity(got, remote, self.name, self.known)
        return got


def check_identity(got: Obtained, remote: Remote, dataset: str, known: Mapping[str, tuple[Remote, ...]]) -> None:
    """Accept a local copy only when it is `dataset`'s file: its published checksum, or, for a copy
    packed differently (re-compressed by a distribution, say), the content checksum synthmix records.
    Parsing is no test: MNIST's files parse as Fashion-MNIST's. Otherwise one line that names the
    file, the dataset asked for and, where its checksums are `known`, the dataset it is."""
    if got.matches:
        return
    mismatch = f"{remote.algorithm} {got.digest}, not the published {remote.expected}"
    try:
        content = content_digest(got.path)
    except DataError as e:
        raise DataError(f"{got.path}: not data.name {dataset}'s {remote.filename} ({mismatch}), and its "
                        f"content cannot be read: {e}") from None
    if remote.content_sha256 and content == remote.content_sha256:
        warnings.warn(f"{got.path}: bytes differ from the published file ({mismatch}) but the content matches "
                      f"{dataset}'s (sha256 {content}); using it", stacklevel=3)
        return
    it_is = identify(got.digest, content, known)
    recorded = (f"content sha256 {content}, not {remote.content_sha256}" if remote.content_sha256 else
                "and synthmix records no content checksum for it, so only the published bytes are accepted")
    raise DataError(f"{got.path}: not data.name {dataset}'s {remote.filename} ({mismatch}; {recorded})"
                    + (f"; it is {it_is}" if it_is else "")
                    + f". Remove it, or set data.root to a folder that holds {dataset}'s own files"
                    + (", or delete it so that the published one is downloaded" if remote.urls else ""))


def identify(digest: str, content: str, known: Mapping[str, tuple[Remote, ...]]) -> str:
    """Which published file has this checksum or content ("data.name fashion_mnist's
    train-images-idx3-ubyte.gz"), or "" when none of `known`'s."""
    for name, remotes in known.items():
        for r in remotes:
            if digest in (r.md5, r.sha256) or (r.content_sha256 and content == r.content_sha256):
                return f"data.name {name}'s {r.filename}"
    return ""


def content_sha256(images: np.ndarray, labels: np.ndarray) -> str:
    """Checksum of decoded content, independent of how the raw file was compressed."""
    return hashlib.sha256((sha256_array(images) + sha256_array(labels)).encode()).hexdigest()


def installed_package_dir(name: str) -> Path | None:
    """Where an installed package lives, found without importing it (None: not installed)."""
    import importlib.util

    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))
