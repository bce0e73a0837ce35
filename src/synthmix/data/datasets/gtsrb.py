"""data.name gtsrb: the German Traffic Sign Recognition Benchmark (43 classes; signs of 15..250 px,
each cropped to its annotated box and resized to 48x48 RGB). Training images come as tracks of
about 30 frames of one physical sign: a track stays in one split (RawDataset.groups)."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from synthmix.core.errors import DataError
from synthmix.data.datasets.base import Dataset, Fetcher, RawDataset
from synthmix.data.fetch import Remote, extraction_dir, safe_extract

# The published zips and md5s. No content checksum is recorded yet: only the published bytes are
# accepted until someone records one (fetch.content_digest of a verified download).
GTSRB_BASE = "https://sid.erda.dk/public/archives/daaeac0d7ce1152aea9b61d9f1e19370/"
REMOTES = tuple(Remote(fn, md5, (GTSRB_BASE + fn,)) for fn, md5 in {
    "GTSRB-Training_fixed.zip": "513f3c79a4c5141765e10e952eaa2478",
    "GTSRB_Final_Test_Images.zip": "c7e4e6327067d32654124b0fe9e82185",
    "GTSRB_Final_Test_GT.zip": "fe31e9c9270bbcd7b84b7f21a9d9d9e5"}.items())

GTSRB_SIZE = 48   # signs are 15..250 px: each is cropped to its annotated box and resized to 48x48
GTSRB_CLASSES = 43

Row = tuple[Path, tuple[int, int, int, int] | None, int]   # an image, its region box (None: all of it), its class


def load_gtsrb(f: Fetcher) -> RawDataset:
    """GTSRB: training zip (a folder per class, CSV annotations) and test zip + ground-truth CSV zip."""
    remotes = f.remotes
    got = [f.get(r) for r in remotes]
    with extraction_dir() as tmp:
        tmp = Path(tmp)
        for g in got:
            safe_extract(g.path, tmp)
        rows = _annotated_rows(tmp)
        if not any("Training" in p.parts for p, _, _ in rows):
            rows += _folder_rows(tmp, got[0].path)
        if not rows:
            raise DataError(f"{', '.join(str(g.path) for g in got)}: no GTSRB images or annotations found")
        images = np.stack([_gtsrb_image(path, box) for path, box, _ in rows])
        labels = np.array([c for _, _, c in rows], dtype=np.int64)
        groups = np.array([gtsrb_track(path, c, tmp) for path, _, c in rows], dtype=np.int64)
    if labels.min() < 0 or labels.max() >= GTSRB_CLASSES:
        raise DataError(f"GTSRB annotations hold class ids outside 0..{GTSRB_CLASSES - 1}")
    return RawDataset(images, labels, [str(i) for i in range(GTSRB_CLASSES)], str(f.download_dir),
                      {r.filename: g.digest for g, r in zip(got, remotes)}, groups=groups,
                      notes={"groups": "physical tracks: a training image's track is the first number of its "
                                       "file name (<track>_<frame>.ppm); -1: the official test images"})


def _annotated_rows(tmp: Path) -> list[Row]:
    rows: list[Row] = []
    for csv_path in sorted(tmp.rglob("GT-*.csv")):
        if csv_path.name.endswith(".test.csv"):
            continue  # the test-images zip's CSV has no labels; GT-final_test.csv has them
        rows += _gtsrb_rows(csv_path, tmp)
    return rows


def _folder_rows(tmp: Path, training_zip: Path) -> list[Row]:
    """GTSRB-Training_fixed.zip may come without CSVs: the class is the folder name."""
    rows: list[Row] = []
    for ppm in sorted(tmp.glob("GTSRB/Training/*/*.ppm")):
        if not ppm.parent.name.isdigit():
            raise DataError(f"{training_zip}: folder {ppm.parent.relative_to(tmp)} is not a class id; GTSRB's "
                            "training folders are named 00000..00042")
        rows.append((ppm, None, int(ppm.parent.name)))
    return rows


def gtsrb_track(path: Path, class_id: int, tmp: Path) -> int:
    """The split group of a GTSRB image: its physical sign's track (~30 frames of one sign, named
    <track>_<frame>.ppm in the training set), unique over classes; -1 for the official test images,
    which share no track with the training set (the official split is by track)."""
    if "Training" not in path.relative_to(tmp).parts:
        return -1
    track = path.stem.split("_")[0]
    if not track.isdigit():
        raise DataError(f"{path.relative_to(tmp)}: a GTSRB training image is named <track>_<frame>.ppm")
    return class_id * 100_000 + int(track)


def _gtsrb_rows(csv_path: Path, tmp: Path) -> list[Row]:
    out = []
    with open(csv_path, newline="") as fh:
        reader = csv.DictReader(fh, delimiter=";", skipinitialspace=True)
        need = {"Filename", "Roi.X1", "Roi.Y1", "Roi.X2", "Roi.Y2", "ClassId"}
        if not need <= set(reader.fieldnames or ()):
            raise DataError(f"{csv_path.relative_to(tmp)}: expected columns {sorted(need)}, got {reader.fieldnames}")
        for i, row in enumerate(reader):
            image = _gtsrb_member(csv_path.parent, row["Filename"], f"{csv_path.relative_to(tmp)} row {i + 2}")
            test_image = _gtsrb_member(tmp / "GTSRB/Final_Test/Images", row["Filename"],
                                       f"{csv_path.relative_to(tmp)} row {i + 2}")
            if not image.is_file() and test_image.is_file():
                image = test_image
            if not image.is_file():
                raise DataError(f"{csv_path.relative_to(tmp)} row {i + 2}: image {row['Filename']} not in the archive")
            try:
                box = tuple(int(row[k]) for k in ("Roi.X1", "Roi.Y1", "Roi.X2", "Roi.Y2"))
                out.append((image, box, int(row["ClassId"])))
            except ValueError:
                raise DataError(f"{csv_path.relative_to(tmp)} row {i + 2}: non-integer box or class id") from None
    return out


def _gtsrb_member(folder: Path, filename: str, where: str) -> Path:
    """folder/filename, refused when the CSV's Filename would lead out of that folder (`..`, an
    absolute path): an annotation file decides nothing outside its own folder."""
    path = folder / filename
    if Path(filename).is_absolute() or not path.resolve().is_relative_to(folder.resolve()):
        raise DataError(f"{where}: Filename {filename!r} points outside its folder {folder.name}; refusing it")
    return path


def _gtsrb_image(path: Path, box: tuple[int, int, int, int] | None) -> np.ndarray:
    """The image as uint8 (48, 48, 3): cropped to `box` (inclusive corners), then resized."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            im = im.convert("RGB")
            if box is not None:
                x1, y1, x2, y2 = box
                if not (0 <= x1 <= x2 < im.width and 0 <= y1 <= y2 < im.height):
                    raise DataError(f"{path.name}: region box Roi.X1..Roi.Y2 = {box} does not lie in the "
                                    f"{im.width}x{im.height} image (0 <= X1 <= X2 < width, 0 <= Y1 <= Y2 < height)")
                im = im.crop((x1, y1, x2 + 1, y2 + 1))  # ROI corners are inclusive
            return np.asarray(im.resize((GTSRB_SIZE, GTSRB_SIZE), Image.Resampling.BILINEAR))
    except DataError:
        raise
    except (OSError, ValueError, SyntaxError) as e:    # PIL's errors for a corrupt or odd file
        raise DataError(f"{path.name}: not a readable image ({type(e).__name__}: {e})") from None


GTSRB = Dataset("gtsrb", load_gtsrb, REMOTES)
