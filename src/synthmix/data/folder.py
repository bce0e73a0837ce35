"""Your own images: an ImageFolder-style tree `root/<class>/<image>`.

What happens to odd inputs (each is logged and recorded in data/raw/meta.json under "notes"):
- class = each sub-directory of root, sorted by name; files directly in root are listed and skipped.
- files without an image extension (README.txt, .DS_Store, ...) are listed and skipped; nested
  directories inside a class are listed and skipped.
- a file with an image extension that cannot be decoded is an error naming it: nothing is dropped
  silently.
- a class directory with no image, or a tree with fewer than 2 classes, is an error.
- modes: if every image is grayscale (L, 1, I, or a palette/RGB whose channels are equal) the
  dataset is stored with 1 channel, otherwise every image is converted to RGB. Transparent pixels
  (RGBA, LA, palette with transparency) are composited onto black.
- sizes: images whose size differs from the most common one are resized to it (bilinear); prepare
  later resizes everything to data.image_size x data.image_size.
"""
from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import numpy as np

from synthmix.core.errors import DataError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".pgm", ".gif", ".tif", ".tiff", ".webp")
log = logging.getLogger(__name__)


def _decode(path: Path):
    from PIL import Image

    try:
        with Image.open(path) as im:
            im.load()
            if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
                rgba = im.convert("RGBA")
                black = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
                return Image.alpha_composite(black, rgba).convert("RGB"), im.mode
            if im.mode in ("L", "1"):
                return im.convert("L"), im.mode
            if im.mode.startswith("I") or im.mode == "F":
                arr = np.asarray(im, dtype=np.float64)
                scale = 255.0 / max(float(arr.max()), 1.0) if arr.max() > 255 else 1.0
                return Image.fromarray(np.clip(arr * scale, 0, 255).astype(np.uint8)), im.mode
            return im.convert("RGB"), im.mode
    except (OSError, ValueError, SyntaxError) as e:   # PIL raises these for truncated/corrupt files
        raise DataError(f"{path}: not a readable image ({type(e).__name__}: {e})") from None


def read_image_folder(root: Path) -> tuple[np.ndarray, np.ndarray, list[str], dict]:
    """Decode every image under root/<class>/; returns uint8 (N, H, W, C), labels, class names, notes."""
    from PIL import Image

    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: data.name is 'folder' but data.root is not a directory; point data.root "
                        "at a folder holding one sub-folder of images per class")
    class_dirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    skipped = sorted(str(p.relative_to(root)) for p in root.iterdir() if p.is_file())
    if len(class_dirs) < 2:
        raise DataError(f"{root}: found {len(class_dirs)} class folder(s) "
                        f"({', '.join(p.name for p in class_dirs) or 'none'}); a classifier needs at least 2: "
                        "put each class's images in root/<class>/")
    decoded, labels, modes = [], [], Counter()
    for label, d in enumerate(class_dirs):
        files = sorted(d.iterdir())
        images = [p for p in files if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS]
        skipped += [str(p.relative_to(root)) for p in files if p not in images]
        if not images:
            raise DataError(f"{d}: class {d.name!r} has no image files ({', '.join(IMAGE_EXTENSIONS)})")
        for p in images:
            im, mode = _decode(p)
            decoded.append(im)
            modes[mode] += 1
            labels.append(label)
    sizes = Counter(im.size for im in decoded)
    size = max(sizes, key=lambda s: (sizes[s], s))  # most common (w, h); ties: the larger
    n_resized = sum(n for s, n in sizes.items() if s != size)
    arrays = []
    colour = any(im.mode == "RGB" and not _is_gray(np.asarray(im)) for im in decoded)
    for im in decoded:
        if im.size != size:
            im = im.resize(size, Image.Resampling.BILINEAR)
        a = np.asarray(im.convert("RGB") if colour else im.convert("L"))
        arrays.append(a if colour else a[..., None])
    notes = {"modes": dict(sorted(modes.items())), "channels": 3 if colour else 1,
             "size": [size[1], size[0]], "resized": n_resized, "skipped": skipped}
    if skipped:
        log.warning("folder %s: skipped %d non-image entries: %s", root, len(skipped),
                    ", ".join(skipped[:10]) + (" ..." if len(skipped) > 10 else ""))
    if n_resized:
        log.warning("folder %s: %d images were not %dx%d and were resized to it", root, n_resized, *size)
    log.info("folder %s: %d images, modes %s, stored with %d channel(s)", root, len(arrays),
             dict(modes), notes["channels"])
    return np.stack(arrays), np.array(labels, np.int64), [d.name for d in class_dirs], notes


def _is_gray(a: np.ndarray) -> bool:
    return bool((a[..., 0] == a[..., 1]).all() and (a[..., 1] == a[..., 2]).all())
