"""Your own images: an ImageFolder-style tree `root/<class>/<image>`.

What happens to odd inputs (each is logged and recorded in data/raw/meta.json under "notes"):
- class = each sub-directory of root, sorted by name; files directly in root are listed and skipped.
- files without an image extension (README.txt, ...) and hidden files (.DS_Store, and macOS's `._name.jpg`
  AppleDouble sidecars, which carry an image extension but hold no image) are listed and skipped;
  nested directories inside a class are listed and skipped.
- a file with an image extension that cannot be decoded is an error naming it: nothing is dropped
  silently. So is an image larger than PIL's decompression-bomb limit (a file that claims a huge size
  to exhaust memory; a genuine one must be downscaled first).
- a class directory with no image, or a tree with fewer than 2 classes, is an error.
- orientation: a photo's EXIF orientation tag is applied (PIL.ImageOps.exif_transpose), so a portrait
  shot stored sideways is read upright, and its size is counted upright.
- modes: if every image is grayscale (L, 1, I, or a palette/RGB whose channels are equal) the
  dataset is stored with 1 channel, otherwise every image is converted to RGB. Transparent pixels
  (RGBA, LA, palette with transparency) are composited onto black.
- sizes: every image is resized (bilinear) to the most common size, scaled down (aspect kept) so that
  its shorter side is at most MAX_SHORT_SIDE (the largest data.image_size: prepare, which resizes to
  data.image_size later, never has to enlarge) and its longer side at most MAX_LONG_SIDE.

Memory: photos are never held at full resolution together. A first pass reads headers only (size,
mode, orientation); the second decodes one image at a time (a JPEG at a reduced DCT scale when that
still covers the stored size, Image.draft), resizes it and writes it into one preallocated uint8
array. 3,000 photos of 4000x3000 need about 0.8 GB (benchmarks/folder_memory.py), not 100 GB.
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synthmix.core.errors import DataError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".pgm", ".gif", ".tif", ".tiff", ".webp")
MAX_SHORT_SIDE = 256   # params' upper bound of data.image_size
MAX_LONG_SIDE = 512    # a panorama's stored row stays bounded too
EXIF_ORIENTATION = 0x0112
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Header:
    path: Path
    label: int
    mode: str                 # the file's own mode, as PIL reports it (recorded in notes["modes"])
    size: tuple[int, int]     # (w, h) after the EXIF orientation is applied


def _unreadable(path: Path, e: BaseException) -> DataError:
    from PIL import Image

    if isinstance(e, Image.DecompressionBombError):
        return DataError(f"{path}: {e} PIL refuses it as a possible decompression bomb; if it is a genuine "
                         "photo, downscale it (e.g. to 4000 px on its longer side) or remove it from the folder")
    return DataError(f"{path}: not a readable image ({type(e).__name__}: {e})")


def _read_header(path: Path, label: int) -> _Header:
    """Size, mode and orientation without decoding the pixels."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            w, h = im.size
            # orientations 5..8 are rotations by 90 degrees: width and height swap
            upright = (h, w) if im.getexif().get(EXIF_ORIENTATION, 1) in (5, 6, 7, 8) else (w, h)
            return _Header(path, label, im.mode, upright)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as e:
        raise _unreadable(path, e) from None


def _decode(path: Path, size: tuple[int, int]) -> np.ndarray:
    """One image, upright, as uint8 (h, w) (gray) or (h, w, 3) (colour) at `size` = (w, h)."""
    from PIL import Image, ImageOps

    try:
        with Image.open(path) as im:
            if im.format == "JPEG":
                # the JPEG decoder scales by 1/2, 1/4 or 1/8 for free, never below the size asked for
                sideways = im.getexif().get(EXIF_ORIENTATION, 1) in (5, 6, 7, 8)
                im.draft(None, size[::-1] if sideways else size)   # None: keep the file's mode
            im.load()
            im = _to_l_or_rgb(ImageOps.exif_transpose(im))
            if im.size != size:
                im = im.resize(size, Image.Resampling.BILINEAR)
            return np.asarray(im)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as e:
        raise _unreadable(path, e) from None


def _to_l_or_rgb(im):
    """L for gray sources, RGB otherwise; transparency composited onto black, 16/32-bit scaled to 8."""
    from PIL import Image

    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        black = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        return Image.alpha_composite(black, rgba).convert("RGB")
    if im.mode in ("L", "1"):
        return im.convert("L")
    if im.mode.startswith("I") or im.mode == "F":
        arr = np.asarray(im, dtype=np.float64)
        scale = 255.0 / max(float(arr.max()), 1.0) if arr.max() > 255 else 1.0
        return Image.fromarray(np.clip(arr * scale, 0, 255).astype(np.uint8))
    return im.convert("RGB")


def stored_size(size: tuple[int, int]) -> tuple[int, int]:
    """The (w, h) images are stored at: `size`, scaled down to the MAX_SHORT_SIDE/MAX_LONG_SIDE bounds."""
    factor = min(1.0, MAX_SHORT_SIDE / min(size), MAX_LONG_SIDE / max(size))
    return (max(1, round(size[0] * factor)), max(1, round(size[1] * factor)))


def _list_classes(root: Path) -> tuple[list[Path], list[_Header], list[str]]:
    """Class folders, a header per image (in label, then file-name order) and the skipped entries."""
    if not root.is_dir():
        raise DataError(f"{root}: data.name is 'folder' but data.root is not a directory; point data.root "
                        "at a folder holding one sub-folder of images per class")
    class_dirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    skipped = sorted(str(p.relative_to(root)) for p in root.iterdir() if p.is_file())
    if len(class_dirs) < 2:
        raise DataError(f"{root}: found {len(class_dirs)} class folder(s) "
                        f"({', '.join(p.name for p in class_dirs) or 'none'}); a classifier needs at least 2: "
                        "put each class's images in root/<class>/")
    headers: list[_Header] = []
    for label, d in enumerate(class_dirs):
        files = sorted(d.iterdir())
        images = [p for p in files if p.is_file() and not p.name.startswith(".")
                  and p.suffix.lower() in IMAGE_EXTENSIONS]
        skipped += [str(p.relative_to(root)) for p in files if p not in images]
        if not images:
            raise DataError(f"{d}: class {d.name!r} has no image files ({', '.join(IMAGE_EXTENSIONS)})")
        headers += [_read_header(p, label) for p in images]
    return class_dirs, headers, skipped


def read_image_folder(root: Path) -> tuple[np.ndarray, np.ndarray, list[str], dict]:
    """Decode every image under root/<class>/; returns uint8 (N, H, W, C), labels, class names, notes."""
    root = Path(root)
    class_dirs, headers, skipped = _list_classes(root)
    sizes = Counter(h.size for h in headers)
    common = max(sizes, key=lambda s: (sizes[s], s))  # most common upright (w, h); ties: the larger
    size = stored_size(common)
    n_resized = sum(n for s, n in sizes.items() if s != common)
    # one array for all images, filled one decoded image at a time: (N, h, w, 3)
    images = np.empty((len(headers), size[1], size[0], 3), np.uint8)
    colour = False
    for i, h in enumerate(headers):
        a = _decode(h.path, size)
        images[i] = a[..., None] if a.ndim == 2 else a
        colour = colour or (a.ndim == 3 and not _is_gray(a))
    if not colour:
        images = np.ascontiguousarray(images[..., :1])
    modes = Counter(h.mode for h in headers)
    notes = {"modes": dict(sorted(modes.items())), "channels": 3 if colour else 1,
             "size": [size[1], size[0]], "resized": n_resized, "skipped": skipped}
    if size != common:
        notes["scaled_from"] = [common[1], common[0]]
    _log_notes(root, notes, common, len(images))
    return images, np.array([h.label for h in headers], np.int64), [d.name for d in class_dirs], notes


def _log_notes(root: Path, notes: dict, common: tuple[int, int], n: int) -> None:
    skipped = notes["skipped"]
    if skipped:
        log.warning("folder %s: skipped %d non-image entries: %s", root, len(skipped),
                    ", ".join(skipped[:10]) + (" ..." if len(skipped) > 10 else ""))
    if notes["resized"]:
        log.warning("folder %s: %d images were not %dx%d and were resized to it", root, notes["resized"], *common)
    if "scaled_from" in notes:
        log.info("folder %s: stored at %dx%d (scaled down from %dx%d)", root, notes["size"][1], notes["size"][0],
                 *common)
    log.info("folder %s: %d images, modes %s, stored with %d channel(s)", root, n, notes["modes"],
             notes["channels"])


def _is_gray(a: np.ndarray) -> bool:
    return bool((a[..., 0] == a[..., 1]).all() and (a[..., 1] == a[..., 2]).all())
