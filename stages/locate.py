"""Stage locate: check that data.root is an existing folder before `download`, which depends on it,
runs (DVC would stop on a missing dependency path without naming the key); write data/root.json."""
import argparse
from pathlib import Path

from synthmix.core.io import save_json
from synthmix.core.stage import run
from synthmix.data.root import check_root
from synthmix.params import load_params


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, required=True, help="the record download depends on (JSON)")
    args = ap.parse_args()
    params = load_params()  # validates the whole file: a bad key fails here, before any work
    save_json(args.out, check_root(params.data.name, params.data.root))
    print(f"locate: data.root {params.data.root!r} is a folder")


if __name__ == "__main__":
    run(main)
