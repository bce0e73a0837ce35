"""Peak memory of reading a folder dataset of phone-sized photos: `load_source("folder")` followed by
the `download` stage's `write_raw`, on 3,000 JPEGs of 4000x3000 (two classes).

The photos cost almost nothing to make: two JPEGs are written once, a landscape one and a portrait
one stored sideways with EXIF orientation 6 (upright it is 4000x3000 too, so the reader must apply
the tag to count one size), and hard-linked 1,500 times each.

The baseline, measured in the same run, is the same child process reading a folder of 2 x 2 such
photos: Python, numpy, PIL and synthmix loaded, four photos decoded. The figure that matters is the
3,000-photo peak, and how far it rises over the baseline. Each measurement is its own process
(peak RSS: VmHWM), so one cannot inherit the other's peak.

    python benchmarks/folder_memory.py [--images 3000] [--limit-gib 2] [--dir /tmp]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
W, H = 4000, 3000


def write_photos(root: Path, n: int) -> None:
    """root/landscape/*.jpg and root/portrait/*.jpg, n in all, hard links of two JPEGs."""
    from PIL import Image

    rng = np.random.default_rng(0)
    # a smooth gradient plus noise: a JPEG of realistic size (a few MB), not a flat colour
    y, x = np.mgrid[0:H, 0:W]
    base = np.stack([x * 255 // W, y * 255 // H, (x + y) * 255 // (W + H)], axis=-1).astype(np.int16)
    pixels = np.clip(base + rng.integers(-20, 21, base.shape), 0, 255).astype(np.uint8)
    masters = root / "masters"
    masters.mkdir(parents=True)
    Image.fromarray(pixels).save(masters / "landscape.jpg", quality=90)
    exif = Image.Exif()
    exif[0x0112] = 6   # stored 3000x4000, shown rotated by 90 degrees: 4000x3000 upright
    Image.fromarray(np.ascontiguousarray(pixels.transpose(1, 0, 2))).save(masters / "portrait.jpg", quality=90,
                                                                         exif=exif)
    for kind in ("landscape", "portrait"):
        (root / "photos" / kind).mkdir(parents=True)
    for i in range(n):
        kind = ("landscape", "portrait")[i % 2]
        os.link(masters / f"{kind}.jpg", root / "photos" / kind / f"{i:05d}.jpg")


def child(folder: Path, out: Path) -> None:
    """Read the folder as the download stage does and write data/raw; print peak RSS and timings."""
    from synthmix.data.datasets.registry import load_source
    from synthmix.data.store import write_raw

    t0 = time.perf_counter()
    raw = load_source("folder", folder)
    t1 = time.perf_counter()
    write_raw(out, raw.images, raw.labels, {"name": "folder", "notes": raw.notes})
    t2 = time.perf_counter()
    peak_kib = peak_rss_kib()
    print(json.dumps({"images": len(raw.images), "shape": list(raw.images.shape), "peak_mib": peak_kib / 1024,
                      "read_s": round(t1 - t0, 1), "write_s": round(t2 - t1, 1), "notes_size": raw.notes["size"],
                      "resized": raw.notes["resized"]}))


def peak_rss_kib() -> int:
    """This process's peak resident memory. VmHWM belongs to the process image since its exec;
    getrusage's ru_maxrss would also count the parent's memory at the fork (Linux keeps the old
    image's peak across execve), and the parent has just drawn a 4000x3000 photo."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss   # not Linux: an upper bound


def measure(folder: Path, out: Path) -> dict:
    cmd = [sys.executable, __file__, "--child", str(folder), str(out)]
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=3000)
    ap.add_argument("--limit-gib", type=float, default=2.0)
    ap.add_argument("--dir", type=Path, default=None, help="where the temporary photos go (default: $TMPDIR)")
    ap.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(*args.child)
    tmp = Path(tempfile.mkdtemp(prefix="folder_memory.", dir=args.dir))
    try:
        write_photos(tmp / "small", 4)
        write_photos(tmp / "big", args.images)
        base = measure(tmp / "small/photos", tmp / "out_small")
        big = measure(tmp / "big/photos", tmp / "out_big")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    for name, r in (("baseline (4 photos)", base), (f"{args.images} photos", big)):
        print(f"{name:>22}: peak RSS {r['peak_mib']:8.1f} MiB, stored {r['shape']}, read {r['read_s']} s, "
              f"write {r['write_s']} s, not of the common upright size: {r['resized']}")
    rise = big["peak_mib"] - base["peak_mib"]
    ok = big["peak_mib"] <= args.limit_gib * 1024
    print(f"rise over the baseline: {rise:.1f} MiB; array stored: {np.prod(big['shape']) / 2**20:.1f} MiB; "
          f"limit {args.limit_gib} GiB: {'within' if ok else 'EXCEEDED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
