"""Stage download: find or fetch the dataset named by data.name, verify checksums, write data/raw.

Raw files are looked for in data.root (offline copies) and otherwise downloaded to data.root/<name>/.
"""
import argparse
from pathlib import Path

from synthmix.core.stage import run
from synthmix.data.datasets.registry import load_source
from synthmix.data.store import write_raw
from synthmix.params import load_params


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, required=True, help="raw data directory")
    args = ap.parse_args()
    params = load_params()  # validates the whole file: a bad key fails here, before any work
    raw = load_source(params.data.name, params.data.root, params.data.mirror)
    write_raw(args.out, raw.images, raw.labels, {
        "name": params.data.name, "classes": raw.class_names, "source": raw.source,
        "checksums": raw.checksums, "shape": list(raw.images.shape), "notes": raw.notes}, groups=raw.groups)
    print(f"download: {len(raw.images)} images {raw.images.shape[1:]} in {len(raw.class_names)} classes "
          f"from {raw.source}")


if __name__ == "__main__":
    run(main)
