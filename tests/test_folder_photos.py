"""Own folders of phone photos: EXIF orientation, decompression bombs, macOS sidecars, bounded size."""
import numpy as np
import pytest
from PIL import Image

from synthmix.core.errors import DataError
from synthmix.data import folder
from synthmix.data.folder import read_image_folder


def _photo(path, array, **save):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path, **save)


def _two_classes(root, size=(12, 8)):
    rng = np.random.default_rng(0)
    for c in ("a", "b"):
        for i in range(2):
            _photo(root / c / f"{i}.png", rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))


def test_exif_orientation_is_applied(tmp_path):
    """A portrait photo stored sideways with orientation 6 is read upright and counted at its upright size."""
    root = tmp_path / "f"
    _two_classes(root, size=(12, 8))                      # upright: 12 wide, 8 high
    upright = np.zeros((8, 12, 3), np.uint8)
    upright[:, :6] = 255                                   # left half white
    sideways = np.ascontiguousarray(np.rot90(upright, k=-1))   # stored rotated: (12, 8, 3)
    exif = Image.Exif()
    exif[0x0112] = 8   # the viewer rotates it 90 degrees counter-clockwise: undoes the clockwise rotation above
    _photo(root / "a" / "rotated.png", sideways, exif=exif)
    images, _, _, notes = read_image_folder(root)
    assert notes["resized"] == 0 and images.shape[1:] == (8, 12, 3)
    assert np.array_equal(images[2], upright)            # a/0, a/1, a/rotated


def test_macos_sidecars_and_hidden_files_are_skipped(tmp_path):
    root = tmp_path / "f"
    _two_classes(root)
    (root / "a" / "._0.png").write_bytes(b"\x00\x05\x16\x07AppleDouble sidecar, not a PNG")
    (root / "b" / ".hidden.jpg").write_bytes(b"junk")
    images, labels, _, notes = read_image_folder(root)
    assert len(images) == 4 and labels.tolist() == [0, 0, 1, 1]
    assert notes["skipped"] == ["a/._0.png", "b/.hidden.jpg"]


def test_decompression_bomb_is_a_clear_error_naming_the_file(tmp_path, monkeypatch):
    root = tmp_path / "f"
    _two_classes(root, size=(12, 8))
    # PIL refuses images over twice MAX_IMAGE_PIXELS: a 96-pixel image against a limit of 40
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 40)
    with pytest.raises(DataError, match=r"a/0.png: .*decompression bomb; if it is a genuine photo, downscale it"):
        read_image_folder(root)


def test_large_photos_are_stored_scaled_down_one_at_a_time(tmp_path, monkeypatch):
    """Stored at a shorter side of MAX_SHORT_SIDE; never two full-size decodes alive together."""
    monkeypatch.setattr(folder, "MAX_SHORT_SIDE", 20)
    root = tmp_path / "f"
    rng = np.random.default_rng(1)
    for c in ("a", "b"):
        for i in range(3):
            _photo(root / c / f"{i}.jpg", rng.integers(0, 255, (120, 160, 3), dtype=np.uint8), quality=90)
    alive, most = [], [0]
    real_decode = folder._decode

    def counting_decode(path, size):
        alive.append(path)
        most[0] = max(most[0], len(alive))
        try:
            return real_decode(path, size)
        finally:
            alive.pop()
    monkeypatch.setattr(folder, "_decode", counting_decode)
    images, _, _, notes = read_image_folder(root)
    assert images.shape == (6, 20, 27, 3) and notes["size"] == [20, 27] and notes["scaled_from"] == [120, 160]
    assert most[0] == 1
