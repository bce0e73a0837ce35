"""data.name cifar10: CIFAR-10's python tarball (50,000 training and 10,000 test images, 32x32 RGB,
as pickled batches). The pickles are unpickled only after each member's published md5 is verified:
unpickling runs code."""
from __future__ import annotations

import pickle
import warnings
from pathlib import Path

import numpy as np

from synthmix.core.errors import DataError
from synthmix.data.datasets.base import Dataset, Fetcher, RawDataset
from synthmix.data.fetch import Remote, extraction_dir, file_md5, safe_extract

# The published archive and md5 (torchvision's tgz_md5; a test checks they agree). A re-packed
# archive needs no content checksum: every member's published md5 (MEMBERS) is checked instead.
ARCHIVE = Remote("cifar-10-python.tar.gz", "c58f30108f718f92721af3b95e74349a",
                 ("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",))
MEMBERS = {
    "data_batch_1": "c99cafc152244af753f735de768cd75f", "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "54ebc095f3ab1f0389bbae665268c751", "data_batch_4": "634d18415352ddfa80567beed471001a",
    "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb", "test_batch": "40351d587109b95175f43aff81a1287e",
    "batches.meta": "5ff9c542aee3614f3951f8cda6e48888"}


def load_cifar10(f: Fetcher) -> RawDataset:
    """CIFAR-10's python tarball: pickled batches, unpickled only after their md5s are verified."""
    archive, members = f.remote("cifar-10-python.tar.gz"), MEMBERS
    got = f.get(archive, check_content=False)   # every member's md5 is checked below
    with extraction_dir() as tmp:
        safe_extract(got.path, Path(tmp))
        base = Path(tmp) / "cifar-10-batches-py"
        for member, md5 in members.items():
            path = base / member
            if not path.is_file():
                raise DataError(f"{got.path}: archive has no member cifar-10-batches-py/{member}")
            if file_md5(path) != md5:
                # Unpickling runs code: never on bytes whose checksum we cannot vouch for.
                raise DataError(f"{got.path}: member {member} has md5 {file_md5(path)}, not the published "
                                f"{md5}; refusing to unpickle unverified data")
        if not got.matches:
            warnings.warn(f"{got.path}: bytes differ from the published archive (md5 {got.digest}, expected "
                          f"{archive.md5}) but every member matches its published md5; using it", stacklevel=2)
        names = [str(n) for n in _unpickle(base / "batches.meta")["label_names"]]
        images, labels = [], []
        for member in [m for m in members if m != "batches.meta"]:
            batch = _unpickle(base / member)
            data = np.asarray(batch["data"], dtype=np.uint8)
            if data.ndim != 2 or data.shape[1] != 3072 or len(batch["labels"]) != len(data):
                raise DataError(f"{got.path}: member {member} is not a CIFAR batch (data {data.shape})")
            images.append(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))   # (N, 3, 32, 32) -> (N, 32, 32, 3)
            labels.append(np.asarray(batch["labels"], dtype=np.int64))
    return RawDataset(np.ascontiguousarray(np.concatenate(images)), np.concatenate(labels), names,
                      str(got.path), {archive.filename: got.digest} | dict(members))


def _unpickle(path: Path) -> dict:
    with open(path, "rb") as fh:
        try:
            return pickle.load(fh, encoding="latin1")  # CIFAR's documented format; md5-verified above
        except Exception as e:
            raise DataError(f"{path.name}: not a readable CIFAR pickle ({type(e).__name__}: {e})") from None


CIFAR10 = Dataset("cifar10", load_cifar10, (ARCHIVE,))
