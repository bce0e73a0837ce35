"""The on-disk formats passed between stages: `.npy` arrays (deterministic bytes) and a meta.json.

raw dir:       images.npy uint8 (N, H, W, C), labels.npy int64 (N,), meta.json
prepared dir:  train/<class>.npy uint8 (n_c, S, S, C) one file per class (a GAN stage reads only its
               own class's bytes), val_images.npy, val_labels.npy, test_images.npy, test_labels.npy,
               meta.json (class names in label order, shape, counts, source, checksums)
class-file dir: <class>.npy per class (synthetic images, raw and filtered)
more-real dir: <n>/<class>.npy per data.more_real count and <n>/meta.json (write_more_real)
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from synthmix.core.errors import DataError
from synthmix.core.io import load_json, load_npy, save_json, save_npy


def write_raw(dir: Path, images: np.ndarray, labels: np.ndarray, meta: dict, groups: np.ndarray | None = None) -> None:
    """data/raw; groups.npy only for a dataset whose images come in groups that must stay in one split
    (datasets.base.RawDataset.groups)."""
    dir = Path(dir)
    save_npy(dir / "images.npy", images)
    save_npy(dir / "labels.npy", labels)
    if groups is not None:
        save_npy(dir / "groups.npy", groups)
    save_json(dir / "meta.json", meta)


def read_groups(dir: Path, n: int) -> np.ndarray | None:
    """data/raw's split groups, int64 (n,), or None when the dataset has none."""
    path = Path(dir) / "groups.npy"
    if not path.exists():
        return None
    groups = load_npy(path)
    if groups.shape != (n,) or groups.dtype != np.int64:
        raise DataError(f"{path}: expected int64 ({n},), got {groups.dtype} {groups.shape}")
    return groups


def read_raw(dir: Path) -> tuple[np.ndarray, np.ndarray, dict]:
    dir = Path(dir)
    images, labels, meta = load_npy(dir / "images.npy"), load_npy(dir / "labels.npy"), load_json(dir / "meta.json")
    if images.dtype != np.uint8 or images.ndim != 4 or labels.shape != (len(images),):
        raise ValueError(f"{dir}: images.npy must be uint8 (N, H, W, C) with one label each; got "
                         f"{images.dtype} {images.shape} and labels {labels.shape}")
    return images, labels, meta


@dataclass
class Prepared:
    train: dict[str, np.ndarray]   # class name -> uint8 (n_c, S, S, C)
    val_images: np.ndarray
    val_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    meta: dict
    # data.more_real count -> class -> uint8 (n, S, S, C), or the reason the data cannot fill it;
    # written apart from the prepared dir (write_more_real) so no GAN or judge stage depends on it
    more_real: dict[int, dict[str, np.ndarray] | str] = field(default_factory=dict)

    @property
    def class_names(self) -> list[str]:
        return list(self.meta["classes"])

    def train_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """All real training images and their labels, classes in label order."""
        images = np.concatenate([self.train[c] for c in self.class_names])
        labels = np.concatenate([np.full(len(self.train[c]), i, np.int64)
                                 for i, c in enumerate(self.class_names)])
        return images, labels


def write_prepared(dir: Path, p: Prepared) -> None:
    dir = Path(dir)
    for name, images in p.train.items():
        save_npy(dir / "train" / f"{name}.npy", images)
    for split in ("val", "test"):
        save_npy(dir / f"{split}_images.npy", getattr(p, f"{split}_images"))
        save_npy(dir / f"{split}_labels.npy", getattr(p, f"{split}_labels"))
    save_json(dir / "meta.json", p.meta)


def read_prepared(dir: Path) -> Prepared:
    dir = Path(dir)
    meta = load_json(dir / "meta.json")
    train = {c: load_npy(dir / "train" / f"{c}.npy") for c in meta["classes"]}
    return Prepared(train, load_npy(dir / "val_images.npy"), load_npy(dir / "val_labels.npy"),
                    load_npy(dir / "test_images.npy"), load_npy(dir / "test_labels.npy"), meta)


def write_more_real(dir: Path, more_real: dict[int, dict[str, np.ndarray] | str]) -> None:
    """<dir>/<n>/: <class>.npy per class and meta.json {"count", "skipped": null}, or only meta.json
    with "skipped": the reason. A folder per count, so stage train_more_real@<n> depends on its own;
    counts.json lists them (the folder exists, an output DVC can save, with data.more_real empty)."""
    save_json(Path(dir) / "counts.json", {"counts": sorted(more_real)})
    for n, sets in more_real.items():
        sub = Path(dir) / str(n)
        if isinstance(sets, str):
            save_json(sub / "meta.json", {"count": n, "skipped": sets})
            continue
        for name, images in sets.items():
            save_npy(sub / f"{name}.npy", images)
        save_json(sub / "meta.json", {"count": n, "skipped": None, "classes": list(sets)})


def read_more_real(dir: Path) -> dict[str, np.ndarray] | str:
    """One count's folder (write_more_real): class -> images, or the reason it was skipped."""
    meta = load_json(Path(dir) / "meta.json")
    if meta["skipped"]:
        return meta["skipped"]
    return read_class_files(dir, meta["classes"])


def with_more_real(data: Prepared, dir: Path) -> Prepared | str:
    """The prepared data with one data.more_real count's larger real set (write_more_real's folder
    `dir`) as its training set, or the reason the data could not fill it."""
    sets = read_more_real(dir)
    if isinstance(sets, str):
        return sets
    if list(sets) != data.class_names:
        raise DataError(f"{dir}: classes {list(sets)} are not the prepared data's {data.class_names}")
    return dataclasses.replace(data, train=sets)


def read_class_files(dir: Path, class_names: list[str]) -> dict[str, np.ndarray]:
    return {c: load_npy(Path(dir) / f"{c}.npy") for c in class_names}


@dataclass
class RobustnessSets:
    """Corrupted copies of a stratified subset of the real test split (the `corrupt` stage).

    dir: meta.json (kinds, levels, test-split indices), labels.npy int64 (n,), <kind>.npy uint8
    (L, n, H, W, C) for the L levels above 0 in sorted order. Level 0 is the clean subset itself,
    so it is not stored: its accuracy comes from the clean predictions at `indices`.
    """
    kinds: list[str]
    levels: list[float]              # sorted, possibly with 0.0
    indices: list[int]               # into the test split
    labels: np.ndarray
    images: dict[str, np.ndarray]    # kind -> (levels above 0, n, H, W, C)

    @property
    def corrupted_levels(self) -> list[float]:
        return [level for level in self.levels if level > 0]


def write_robustness(dir: Path, sets: RobustnessSets) -> None:
    dir = Path(dir)
    for kind, images in sets.images.items():
        save_npy(dir / f"{kind}.npy", images)
    save_npy(dir / "labels.npy", sets.labels)
    save_json(dir / "meta.json", {"kinds": sets.kinds, "levels": sets.levels, "indices": sets.indices})


def read_robustness(dir: Path) -> RobustnessSets:
    dir = Path(dir)
    meta = load_json(dir / "meta.json")
    images = {kind: load_npy(dir / f"{kind}.npy") for kind in meta["kinds"]}
    return RobustnessSets(meta["kinds"], meta["levels"], meta["indices"], load_npy(dir / "labels.npy"), images)
