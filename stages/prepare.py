"""Stage prepare: class selection, resize, scarcity and the train/val/test split, one file per class;
and, apart, the larger real training sets of data.more_real (the real-data learning curve)."""
import argparse
from pathlib import Path

from synthmix.core.stage import run
from synthmix.data.prepare import prepare
from synthmix.data.store import read_groups, read_raw, write_more_real, write_prepared
from synthmix.params import load_params


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--raw", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--more-real", type=Path, required=True, help="directory for <n>/<class>.npy per data.more_real")
    args = ap.parse_args()
    params = load_params()
    images, labels, meta = read_raw(args.raw)
    prepared = prepare(images, labels, meta, params.data, groups=read_groups(args.raw, len(labels)))
    write_prepared(args.out, prepared)
    write_more_real(args.more_real, prepared.more_real)
    c = prepared.meta["counts"]
    print(f"prepare: {sum(c['train'].values())} train, {c['val']} val, {c['test']} test images, "
          f"shape {prepared.meta['image_shape']}")
    for n, sets in prepared.more_real.items():
        print(sets if isinstance(sets, str) else f"prepare: real_{n}: {sum(map(len, sets.values()))} real images")


if __name__ == "__main__":
    run(main)
