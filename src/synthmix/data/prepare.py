"""Scarcity, class selection, resizing and the stratified train/val/test split."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from synthmix.core.errors import DataError
from synthmix.data.store import Prepared
from synthmix.params import DataParams


def resize(images: np.ndarray, size: int) -> np.ndarray:
    """Resize uint8 (N, H, W, C) to (N, size, size, C) in one batched call (bilinear, antialiased)."""
    if images.shape[1] == size and images.shape[2] == size:
        return images
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float()          # (N, C, H, W)
    x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
    return x.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).contiguous().numpy()


def split_indices(labels: np.ndarray, n_classes: int, per_class: int | list[int], val_per_class: int,
                  test_fraction: float, seed: int, class_names: list[str],
                  groups: np.ndarray | None = None, more_real: list[int] = ()) -> dict[str, list]:
    """Per class: a test share first (untouched by scarcity), then val, then `per_class` for training.

    `per_class` is one count for every class or a list with one count per class (imbalance). The
    permutation of each class depends only on (seed, class index), so changing `per_class` keeps
    the same test and validation images. With `groups` (datasets.base.RawDataset.groups) whole groups are
    assigned instead of images (split_groups).

    For each n in `more_real`, out["more_<n>"] holds per class the first n images of the same
    training order (a superset of the scarce training images, disjoint from val and test), or None
    where the class has fewer than n images left after test and val.
    """
    counts = per_class if isinstance(per_class, list) else [per_class] * n_classes
    out: dict[str, list] = {"train": [], "val": [], "test": []} | {f"more_{n}": [] for n in more_real}
    for c, per_class in enumerate(counts):
        idx = np.flatnonzero(labels == c)
        rng = np.random.default_rng([seed, c])
        n_test = int(round(len(idx) * test_fraction))
        need = n_test + val_per_class + per_class
        if len(idx) == 0:
            raise DataError(f"class {class_names[c]!r} has no images in this dataset")
        if n_test < 1 or len(idx) < need:
            raise DataError(f"class {class_names[c]!r} has {len(idx)} images; it needs {need} "
                            f"({n_test} test + {val_per_class} val + {per_class} train): lower "
                            "data.per_class or data.val_per_class")
        if groups is not None:
            parts = split_groups(idx, groups[idx], rng, n_test, val_per_class, per_class, class_names[c], more_real)
        else:
            idx = idx[rng.permutation(len(idx))]
            start = n_test + val_per_class
            parts = {"test": idx[:n_test], "val": idx[n_test:start], "train": idx[start:need]}
            parts |= {f"more_{n}": idx[start:start + n] if start + n <= len(idx) else None for n in more_real}
        for split in out:
            out[split].append(parts[split])
    return out


def split_groups(idx: np.ndarray, groups: np.ndarray, rng: np.random.Generator, n_test: int, n_val: int,
                 n_train: int, class_name: str, more_real: list[int] = ()) -> dict[str, np.ndarray | None]:
    """One class's split when its images come in groups (GTSRB: ~30 frames of one physical sign per
    track) that must not span two splits. The test split takes the group -1 (official test images)
    and then whole groups in a seeded order until it holds at least `n_test`. The other groups are
    shared out between validation and training, as near the proportion n_val : n_train as lets both
    splits hold the images they ask for, and each of those splits takes its images round-robin over
    its groups (a frame of every group, then another...), so it holds as many physical signs as it
    can; frames not taken are used nowhere. "more_<n>" (n in `more_real`): the first n of the
    training groups' round-robin order (the training images and more), None where they hold fewer."""
    unique = np.unique(groups)
    order = [g for g in unique[rng.permutation(len(unique))] if g != -1]
    # frames in a seeded order within each track: a track runs from far (small) to near (large), and
    # taking its first frames would give every split only the most distant views
    members = {g: rng.permutation(idx[groups == g]) for g in order}
    test, queue = [idx[groups == -1]], list(order)
    while sum(map(len, test)) < n_test and queue:
        test.append(members[queue.pop(0)])
    out = {"test": np.concatenate(test)}
    n_val_groups = val_group_count([len(members[g]) for g in queue], n_val, n_train)
    for split, want, share in (("val", n_val, queue[:n_val_groups]), ("train", n_train, queue[n_val_groups:])):
        out[split] = round_robin([members[g] for g in share], want)
        if len(out[split]) < want:
            raise DataError(f"class {class_name!r}: its groups (physical tracks) give {len(out[split])} {split} "
                            f"images after {len(out['test'])} test images, fewer than the {want} asked for: "
                            "lower data.per_class or data.val_per_class")
    for n in more_real:
        more = round_robin([members[g] for g in queue[n_val_groups:]], n)
        out[f"more_{n}"] = more if len(more) == n else None
    return out


def val_group_count(sizes: list[int], n_val: int, n_train: int) -> int:
    """How many of the groups (in order, of these sizes) go to validation: of the counts that leave
    both splits enough images, the one nearest the proportion n_val : n_train; with none, that
    proportion (the caller then names the split that is short)."""
    if not n_train:
        return len(sizes)
    proportional = min(len(sizes) - 1, max(1, round(len(sizes) * n_val / (n_val + n_train))))
    fits = [k for k in range(1, len(sizes)) if sum(sizes[:k]) >= n_val and sum(sizes[k:]) >= n_train]
    return min(fits, key=lambda k: (abs(k - proportional), k)) if fits else proportional


def round_robin(groups: list[np.ndarray], n: int) -> np.ndarray:
    """The first `n` of: every group's first item, then every group's second..."""
    longest = max(map(len, groups), default=0)
    grid = np.full((longest, len(groups)), -1, np.int64)          # (position in group, group)
    for j, g in enumerate(groups):
        grid[:len(g), j] = g
    flat = grid.reshape(-1)
    return flat[flat >= 0][:n]


def prepare(images: np.ndarray, labels: np.ndarray, raw_meta: dict, p: DataParams,
            groups: np.ndarray | None = None) -> Prepared:
    """Select `p.classes`, resize, and split into per-class train files and val/test arrays (whole
    `groups` per split when given: split_groups)."""
    raw_names = [str(c) for c in raw_meta["classes"]]
    missing = [c for c in p.classes if c not in raw_names]
    if missing:
        raise DataError(f"data.classes names {missing} not in dataset {raw_meta['name']!r}; "
                        f"its classes are: {', '.join(raw_names)}")
    # Relabel: class i of the prepared data is p.classes[i].
    remap = np.full(len(raw_names), -1, np.int64)
    for new, name in enumerate(p.classes):
        remap[raw_names.index(name)] = new
    new_labels = remap[labels]
    keep = new_labels >= 0
    images, new_labels = resize(images[keep], p.image_size), new_labels[keep]

    parts = split_indices(new_labels, len(p.classes), [p.per_class_of(c) for c in p.classes], p.val_per_class,
                          p.test_fraction, p.seed, p.classes, None if groups is None else groups[keep], p.more_real)
    val = np.concatenate(parts["val"])
    test = np.concatenate(parts["test"])
    meta = {
        "name": raw_meta["name"],
        "source": raw_meta.get("source"),
        "notes": raw_meta.get("notes", {}),
        "raw_checksums": raw_meta.get("checksums", {}),
        "classes": list(p.classes),
        "image_shape": [p.image_size, p.image_size, int(images.shape[3])],
        "counts": {"train": {c: len(i) for c, i in zip(p.classes, parts["train"])},
                   "val": int(len(val)), "test": int(len(test))},
    }
    return Prepared(
        train={c: images[i] for c, i in zip(p.classes, parts["train"])},
        val_images=images[val], val_labels=new_labels[val],
        test_images=images[test], test_labels=new_labels[test], meta=meta,
        more_real={n: more_real_set(images, parts[f"more_{n}"], p.classes, n, max(map(len, parts["train"])))
                   for n in p.more_real})


def more_real_set(images: np.ndarray, per_class: list[np.ndarray | None], classes: list[str], n: int,
                  scarce: int) -> dict[str, np.ndarray] | str:
    """One larger real training set (class -> uint8 (n, S, S, C)), or why there is none: the data
    cannot fill it, or n is not above the scarce set's largest class (`scarce`), so it adds nothing."""
    if n <= scarce:
        return (f"real_{n} skipped: {n} images per class are not more than data.per_class ({scarce} for the "
                "largest class), so this count adds no real image; use data.more_real counts above it")
    short = [c for c, i in zip(classes, per_class) if i is None]
    if short:
        return (f"real_{n} skipped: class {short[0]!r}{f' and {len(short) - 1} more' if len(short) > 1 else ''} "
                f"{'has' if len(short) == 1 else 'have'} fewer than {n} images beyond the test and validation "
                f"images (data.more_real asks for {n} per class); no worth in real images is counted on this count")
    return {c: images[i] for c, i in zip(classes, per_class)}
