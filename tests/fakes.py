"""Small generated files in each dataset's real on-disk format, and a local HTTP server for them."""
from __future__ import annotations

import contextlib
import csv
import gzip
import hashlib
import http.server
import io
import pickle
import struct
import tarfile
import threading
import zipfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image


def md5(path: Path) -> str:
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


def idx_bytes(array: np.ndarray) -> bytes:
    """IDX format: 0 0 0x08 ndim, big-endian uint32 dims, then the bytes."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    return bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def write_mnist(dir: Path, n_train: int = 40, n_test: int = 20, seed: int = 0) -> dict[str, np.ndarray]:
    """The four MNIST .gz files with n images of 28x28 whose mean brightness encodes the label."""
    rng = np.random.default_rng(seed)
    dir.mkdir(parents=True, exist_ok=True)
    out = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        labels = (np.arange(n) % 10).astype(np.uint8)
        images = (rng.integers(0, 20, (n, 28, 28)) + labels[:, None, None] * 20).astype(np.uint8)
        (dir / f"{split}-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(images), mtime=0))
        (dir / f"{split}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(labels), mtime=0))
        out[split] = images
    return out


def _tar_add(t: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime = len(data), 0
    t.addfile(info, io.BytesIO(data))


def write_cifar10(dir: Path, per_batch: int = 10, seed: int = 0) -> dict[str, str]:
    """cifar-10-python.tar.gz with 5 train batches, a test batch and batches.meta; returns member md5s."""
    rng = np.random.default_rng(seed)
    dir.mkdir(parents=True, exist_ok=True)
    members = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        labels = [int(i % 10) for i in range(per_batch)]
        members[name] = pickle.dumps({"batch_label": name, "labels": labels,
                                      "data": rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8),
                                      "filenames": [f"{name}_{i}.png" for i in range(per_batch)]})
    members["batches.meta"] = pickle.dumps({"label_names": ["airplane", "automobile", "bird", "cat", "deer",
                                                            "dog", "frog", "horse", "ship", "truck"],
                                            "num_cases_per_batch": per_batch, "num_vis": 3072})
    with tarfile.open(dir / "cifar-10-python.tar.gz", "w:gz") as t:
        for name, data in members.items():
            _tar_add(t, f"cifar-10-batches-py/{name}", data)
    return {name: hashlib.md5(data).hexdigest() for name, data in members.items()}


def _ppm(rng: np.random.Generator, w: int, h: int, label: int) -> bytes:
    a = rng.integers(0, 40, (h, w, 3), dtype=np.uint8)
    a[..., label % 3] += np.uint8(150)
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="PPM")
    return buf.getvalue()


def _csv(rows: list[list]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, delimiter=";", lineterminator="\n").writerows(rows)
    return buf.getvalue().encode()


HEADER = ["Filename", "Width", "Height", "Roi.X1", "Roi.Y1", "Roi.X2", "Roi.Y2", "ClassId"]


def write_gtsrb(dir: Path, classes: int = 3, per_class: int = 4, n_test: int = 6, seed: int = 0,
                frames: int = 2) -> None:
    """The three GTSRB zips: training folders with GT-<class>.csv (images named <track>_<frame>.ppm,
    `frames` per track), test images, test ground truth."""
    rng = np.random.default_rng(seed)
    dir.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dir / "GTSRB-Training_fixed.zip", "w") as z:
        for c in range(classes):
            rows = [HEADER]
            for i in range(per_class):
                w, h = 30 + i, 32 + 2 * i
                name = f"{i // frames:05d}_{i % frames:05d}.ppm"
                z.writestr(f"GTSRB/Training/{c:05d}/{name}", _ppm(rng, w, h, c))
                rows.append([name, w, h, 2, 3, w - 3, h - 2, c])
            z.writestr(f"GTSRB/Training/{c:05d}/GT-{c:05d}.csv", _csv(rows))
    test_rows, gt_rows = [HEADER[:-1]], [HEADER]
    with zipfile.ZipFile(dir / "GTSRB_Final_Test_Images.zip", "w") as z:
        for i in range(n_test):
            c, w, h = i % classes, 40, 36
            z.writestr(f"GTSRB/Final_Test/Images/{i:05d}.ppm", _ppm(rng, w, h, c))
            test_rows.append([f"{i:05d}.ppm", w, h, 1, 1, w - 2, h - 2])
            gt_rows.append([f"{i:05d}.ppm", w, h, 1, 1, w - 2, h - 2, c])
        z.writestr("GTSRB/Final_Test/Images/GT-final_test.test.csv", _csv(test_rows))
    with zipfile.ZipFile(dir / "GTSRB_Final_Test_GT.zip", "w") as z:
        z.writestr("GT-final_test.csv", _csv(gt_rows))


def write_fer2013(path: Path, n: int = 21, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = rng.integers(0, 256, (n, 48 * 48))
    lines = ["emotion,pixels,Usage"]
    for i in range(n):
        usage = "Training" if i % 3 else "PublicTest"
        lines.append(f"{i % 7},{' '.join(map(str, pixels[i]))},{usage}")
    path.write_text("\n".join(lines) + "\n")
    return pixels.reshape(n, 48, 48).astype(np.uint8)


def write_folder(root: Path, classes: int = 3, per_class: int = 40, size: int = 32, seed: int = 0,
                 names: list[str] | None = None) -> Path:
    """An ImageFolder tree of colour PNGs: class k (folder names[k], default class_a, class_b...) is a
    bright blob in channel k on a dark background."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    names = names or [f"class_{'abc'[c] if c < 3 else c}" for c in range(classes)]
    for c in range(classes):
        d = root / names[c]
        d.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            cy, cx = rng.uniform(size * 0.3, size * 0.7, 2)
            blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * (size / 6) ** 2))
            a = rng.integers(0, 30, (size, size, 3)).astype(np.float64)
            a[..., c % 3] += 220 * blob
            Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).save(d / f"{i:03d}.png")
    return root


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves a directory; /truncated/<file> sends the full Content-Length but only half the bytes."""

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        if self.path.startswith("/truncated/"):
            data = (Path(self.directory) / self.path.removeprefix("/truncated/")).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        super().do_GET()


@contextlib.contextmanager
def serve(directory: Path):
    """An HTTP server on 127.0.0.1 (random port) serving `directory`; yields its base URL."""
    handler = lambda *a, **k: _Handler(*a, directory=str(directory), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class FixedLogits(torch.nn.Module):
    """A stand-in judge: returns preset logits, one row per input image, in order."""

    def __init__(self, logits):
        super().__init__()
        self.logits = torch.as_tensor(logits, dtype=torch.float32)

    def forward(self, x):
        return self.logits[: len(x)]
