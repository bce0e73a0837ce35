"""data.name folder: your own images, an ImageFolder-style tree data.root/<class>/<image>, read by
synthmix.data.folder (its docstring says what happens to odd files)."""
from __future__ import annotations

from synthmix.data.datasets.base import Dataset, Fetcher, RawDataset, content_sha256
from synthmix.data.folder import read_image_folder


def load_folder(f: Fetcher) -> RawDataset:
    images, labels, names, report = read_image_folder(f.root)
    return RawDataset(images, labels, names, str(f.root), {"content": content_sha256(images, labels)},
                      notes=report)


FOLDER = Dataset("folder", load_folder)
