"""data.name -> its dataset, and `load_source`, the one entry the download stage calls."""
from __future__ import annotations

from pathlib import Path

from synthmix.core.errors import DataError
from synthmix.data.datasets.base import Dataset, Fetcher, RawDataset, installed_package_dir
from synthmix.data.datasets.cifar10 import CIFAR10
from synthmix.data.datasets.digits import DIGITS
from synthmix.data.datasets.fer2013 import FER2013
from synthmix.data.datasets.folder import FOLDER
from synthmix.data.datasets.gtsrb import GTSRB
from synthmix.data.datasets.mnist import FASHION_MNIST, MNIST
from synthmix.data.datasets.mnist_sample import MNIST_SAMPLE

# Read at load time, not copied: a test publishes its own files by replacing an entry. The order is
# the one a wrong local copy's owner is searched in (base.identify).
DATASETS: dict[str, Dataset] = {d.name: d for d in (DIGITS, MNIST, FASHION_MNIST, CIFAR10, GTSRB, FER2013,
                                                     MNIST_SAMPLE, FOLDER)}


def load_source(name: str, root: Path | str = "data/downloads", mirror: str = "") -> RawDataset:
    """Load dataset `name` from `root` (downloading into root/<name> when needed).

    An unknown name fails listing the valid ones.
    """
    try:
        dataset = DATASETS[name]
    except KeyError:
        raise DataError(f"unknown dataset {name!r}; valid: {', '.join(sorted(DATASETS))}") from None
    known = {d.name: d.remotes for d in DATASETS.values()}
    raw = dataset.load(Fetcher(dataset, Path(root), mirror, known))
    raw.source = portable_source(Path(raw.source), Path(root))
    return raw


def portable_source(path: Path, root: Path) -> str:
    """Where the raw bytes came from, written so that it does not depend on where the project, the
    data or Python live (meta.json is an output: a machine path in it would change every hash
    downstream per machine): "data.root/<relative>" under data.root, "<package>/<relative>" inside an
    installed package a dataset reads (the embedded digits, the mnist sample), else the file's name."""
    packages = [d.package for d in DATASETS.values() if d.package]
    resolved = path.resolve()
    for anchor, prefix in [(root.resolve(), "data.root")] + [
            (d.resolve(), d.name) for d in map(installed_package_dir, packages) if d is not None]:
        if resolved == anchor or anchor in resolved.parents:
            relative = resolved.relative_to(anchor).as_posix()
            return prefix if relative == "." else f"{prefix}/{relative}"
    return path.name
