"""Odd dataset inputs: each gets a clear error or a documented, logged handling, never a silent drop."""
import logging

import numpy as np
import pytest
from PIL import Image

import fakes
from synthmix.core.errors import DataError
from synthmix.data.folder import read_image_folder
from synthmix.data.prepare import prepare
from synthmix.data.datasets.registry import load_source
from synthmix.params import DataParams


def _png(path, array, mode=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    im = Image.fromarray(array)
    (im.convert(mode) if mode else im).save(path)


def test_empty_class_folder_is_an_error(tmp_path):
    root = fakes.write_folder(tmp_path / "f", classes=2, per_class=2, size=8)
    (root / "class_c").mkdir()
    (root / "class_c" / "desktop.ini").write_text("x")
    with pytest.raises(DataError, match=r"class_c: class 'class_c' has no image files"):
        read_image_folder(root)


def test_class_named_but_without_images_in_dataset_is_an_error():
    images = np.zeros((30, 8, 8, 1), np.uint8)
    labels = np.zeros(30, np.int64)  # every image is class "a"; "b" exists by name only
    with pytest.raises(DataError, match="class 'b' has no images"):
        prepare(images, labels, {"name": "folder", "classes": ["a", "b"]},
                DataParams(name="folder", classes=["a", "b"], per_class=5, val_per_class=2))


def test_class_with_fewer_images_than_per_class_is_an_error_naming_counts(tmp_path):
    root = fakes.write_folder(tmp_path / "f", classes=2, per_class=10, size=8)
    raw = load_source("folder", root)
    p = DataParams(name="folder", root=str(root), classes=["class_a", "class_b"], per_class=20,
                   val_per_class=2, image_size=8)
    with pytest.raises(DataError, match=r"class 'class_a' has 10 images; it needs 25 \(3 test \+ 2 val \+ 20 train\)"):
        prepare(raw.images, raw.labels, {"name": "folder", "classes": raw.class_names}, p)


def test_single_class_folder_is_an_error(tmp_path):
    root = fakes.write_folder(tmp_path / "f", classes=1, per_class=3, size=8)
    with pytest.raises(DataError, match=r"found 1 class folder\(s\) \(class_a\); a classifier needs at least 2"):
        read_image_folder(root)


def test_mixed_sizes_and_modes_are_converted_and_recorded(tmp_path, caplog):
    root = tmp_path / "f"
    rng = np.random.default_rng(0)
    _png(root / "a/gray.png", rng.integers(0, 255, (16, 16), dtype=np.uint8))                       # L
    _png(root / "a/rgb.png", rng.integers(0, 255, (16, 16, 3), dtype=np.uint8))                     # RGB
    rgba = rng.integers(0, 255, (16, 16, 4), dtype=np.uint8)
    rgba[..., 3] = 0                                                                                # fully transparent
    _png(root / "b/rgba.png", rgba)                                                                 # RGBA
    _png(root / "b/palette.png", rng.integers(0, 255, (16, 16, 3), dtype=np.uint8), mode="P")        # P
    _png(root / "b/big.png", rng.integers(0, 255, (24, 20, 3), dtype=np.uint8))                     # other size
    with caplog.at_level(logging.WARNING):
        images, labels, names, notes = read_image_folder(root)
    assert images.shape == (5, 16, 16, 3) and labels.tolist() == [0, 0, 1, 1, 1]
    assert notes["modes"] == {"L": 1, "P": 1, "RGB": 2, "RGBA": 1}
    assert notes["channels"] == 3 and notes["resized"] == 1
    assert "1 images were not 16x16 and were resized" in caplog.text
    # the transparent image was composited onto black; the gray one became three equal channels
    assert (images[4] == 0).all()  # files sorted: a/gray, a/rgb, b/big, b/palette, b/rgba
    assert (images[0, ..., 0] == images[0, ..., 1]).all()


def test_corrupt_image_file_is_an_error_naming_it(tmp_path):
    root = fakes.write_folder(tmp_path / "f", classes=2, per_class=3, size=8)
    bad = root / "class_b" / "001.png"
    bad.write_bytes(bad.read_bytes()[:30])  # truncated PNG
    with pytest.raises(DataError, match=f"{bad}: not a readable image"):
        read_image_folder(root)
    bad.write_bytes(b"this is text with a .png name")
    with pytest.raises(DataError, match=f"{bad}: not a readable image"):
        read_image_folder(root)


def test_non_image_files_are_skipped_listed_and_logged(tmp_path, caplog):
    root = fakes.write_folder(tmp_path / "f", classes=2, per_class=3, size=8)
    (root / "class_a" / "labels.csv").write_text("x")
    (root / "class_a" / ".DS_Store").write_bytes(b"\0")
    (root / "class_b" / "nested").mkdir()
    with caplog.at_level(logging.WARNING):
        images, labels, names, notes = read_image_folder(root)
    assert len(images) == 6
    assert notes["skipped"] == ["class_a/.DS_Store", "class_a/labels.csv", "class_b/nested"]
    assert "skipped 3 non-image entries" in caplog.text and "class_a/labels.csv" in caplog.text


def test_missing_folder_root_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="data.root is not a directory"):
        load_source("folder", tmp_path / "nope")


def test_a_full_disk_while_downloading_or_extracting_is_said_as_such(tmp_path, monkeypatch):
    """ENOSPC is not a bad mirror nor a corrupt archive: the error names the path and the space left."""
    import errno
    import io as stdio
    import zipfile

    import synthmix.data.fetch as fetch
    from synthmix.core.errors import DiskFullError

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    class Response(stdio.BytesIO):
        headers = {"Content-Length": "3"}

    monkeypatch.setattr(fetch.urllib.request, "urlopen", lambda url, timeout: Response(b"abc"))
    monkeypatch.setattr(fetch, "open", full, raising=False)
    with pytest.raises(DiskFullError, match=r"x\.gz: no space left on device while writing it \(.* free of "):
        fetch._download("http://127.0.0.1:1/x.gz", tmp_path / "x.gz", 1.0)
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("a.txt", "x")
    monkeypatch.setattr(zipfile.ZipFile, "extractall", full)
    with pytest.raises(DiskFullError, match="out: no space left on device"):
        fetch.safe_extract(archive, tmp_path / "out")
