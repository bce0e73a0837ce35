import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from synthmix.core.errors import DataError
from synthmix.data.prepare import prepare, resize
from synthmix.data.datasets.digits import load_digits
from synthmix.data.datasets.registry import load_source
from synthmix.params import DataParams


def test_digits_loads_with_checksum():
    raw = load_digits()
    assert raw.images.shape == (1797, 8, 8, 1) and raw.images.dtype == np.uint8
    assert raw.labels.dtype == np.int64 and set(raw.labels.tolist()) == set(range(10))
    assert raw.images.max() == 255


def digits_copy(tmp_path: Path) -> Path:
    import sklearn.datasets
    src = Path(sklearn.datasets.__file__).parent / "data" / "digits.csv.gz"
    shutil.copy(src, tmp_path / "digits.csv.gz")
    return tmp_path / "digits.csv.gz"


def test_recompressed_copy_is_accepted_with_warning(tmp_path):
    path = digits_copy(tmp_path)
    content = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(content, compresslevel=1, mtime=0))
    with pytest.warns(UserWarning, match="decoded content matches"):
        raw = load_digits(tmp_path)
    assert np.array_equal(raw.images, load_digits().images)


def test_corrupt_or_changed_file_fails_naming_it(tmp_path):
    path = digits_copy(tmp_path)
    path.write_bytes(path.read_bytes()[:1000])  # truncated
    with pytest.raises(DataError, match=str(path)):
        load_digits(tmp_path)
    content = gzip.decompress(digits_copy(tmp_path).read_bytes()).replace(b"0,0,5,13,9", b"0,0,5,12,9", 1)
    path.write_bytes(gzip.compress(content))
    with pytest.raises(DataError, match="decoded content checksum"):
        load_digits(tmp_path)
    path.unlink()
    with pytest.raises(DataError, match="missing"):
        load_digits(tmp_path)
    with pytest.raises(DataError, match="valid: cifar10, digits, fashion_mnist, fer2013, folder, gtsrb, mnist"):
        load_source("mnistt")


def test_resize_is_batched_and_exact_for_same_size():
    x = np.random.default_rng(0).integers(0, 256, (5, 8, 8, 3), dtype=np.uint8)
    assert resize(x, 8) is x
    y = resize(x, 16)
    assert y.shape == (5, 16, 16, 3) and y.dtype == np.uint8
    flat = np.full((2, 8, 8, 1), 77, np.uint8)
    assert (resize(flat, 16) == 77).all()


def test_prepare_split_is_disjoint_stratified_and_stable():
    raw = load_digits()
    meta = {"name": "digits", "classes": [str(i) for i in range(10)]}
    p = DataParams(classes=["3", "7", "1"], per_class=30, val_per_class=10, test_fraction=0.3, image_size=16, seed=0)
    out = prepare(raw.images, raw.labels, meta, p)
    assert list(out.train) == ["3", "7", "1"]
    assert all(v.shape == (30, 16, 16, 1) for v in out.train.values())
    assert np.bincount(out.val_labels).tolist() == [10, 10, 10]
    assert set(out.test_labels.tolist()) == {0, 1, 2}
    # no image appears in two splits (pixel rows identify images well enough on digits)
    seen = [set(map(bytes, a.reshape(len(a), -1))) for a in (np.concatenate(list(out.train.values())),
                                                          out.val_images, out.test_images)]
    assert not (seen[0] & seen[2])
    # more training images per class keeps the same test split (scarcity never touches the test set)
    more = prepare(raw.images, raw.labels, meta, DataParams(classes=["3", "7", "1"], per_class=60,
                                                             val_per_class=10, image_size=16))
    assert np.array_equal(more.test_images, out.test_images)


def test_prepare_errors_are_clear():
    raw = load_digits()
    meta = {"name": "digits", "classes": [str(i) for i in range(10)]}
    with pytest.raises(DataError, match=r"\['cat'\] not in dataset 'digits'"):
        prepare(raw.images, raw.labels, meta, DataParams(classes=["1", "cat"]))
    with pytest.raises(DataError, match="class '1' has .* images; it needs"):
        prepare(raw.images, raw.labels, meta, DataParams(classes=["1", "2"], per_class=500))


def test_prepare_imbalanced_per_class_mapping():
    raw = load_digits()
    meta = {"name": "digits", "classes": [str(i) for i in range(10)]}
    p = DataParams(classes=["0", "1", "2"], per_class={"0": 40, "1": 5, "2": 12}, val_per_class=5, image_size=16)
    out = prepare(raw.images, raw.labels, meta, p)
    assert {c: len(v) for c, v in out.train.items()} == {"0": 40, "1": 5, "2": 12}
    assert out.meta["counts"]["train"] == {"0": 40, "1": 5, "2": 12}
    # the test split does not depend on the training counts
    even = prepare(raw.images, raw.labels, meta, DataParams(classes=["0", "1", "2"], per_class=20,
                                                             val_per_class=5, image_size=16))
    assert np.array_equal(even.test_images, out.test_images)


def test_prepare_keeps_colour_and_resizes():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (60, 20, 20, 3), dtype=np.uint8)
    labels = np.arange(60) % 2
    out = prepare(images, labels, {"name": "folder", "classes": ["u", "v"]},
                  DataParams(name="folder", classes=["v", "u"], per_class=10, val_per_class=5, image_size=32))
    assert out.train["v"].shape == (10, 32, 32, 3) and out.meta["image_shape"] == [32, 32, 3]
    assert set(out.test_labels.tolist()) == {0, 1}


def test_sources_are_written_without_machine_paths(tmp_path):
    from synthmix.data.datasets.base import installed_package_dir
    from synthmix.data.datasets.registry import portable_source

    root = tmp_path / "downloads"
    assert portable_source(root / "mnist" / "x.gz", root) == "data.root/mnist/x.gz"
    assert portable_source(root, root) == "data.root"
    assert portable_source(tmp_path / "elsewhere" / "file.csv", root) == "file.csv"
    digits = installed_package_dir("sklearn") / "datasets" / "data" / "digits.csv.gz"
    assert portable_source(digits, root) == "sklearn/datasets/data/digits.csv.gz"
    assert load_source("digits", root.resolve()).source == "sklearn/datasets/data/digits.csv.gz"
