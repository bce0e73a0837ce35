"""Stage corrupt: the robustness test sets, computed once for every classifier.

A stratified, seeded subset of the real test split (at most robustness.max_images images; clean
metrics still use the whole test split), corrupted by each of robustness.kinds at each of
robustness.levels (vectorised, seeded per type and level)."""
import argparse
from pathlib import Path

from synthmix.core.seeds import seed_for
from synthmix.core.stage import run
from synthmix.data.store import RobustnessSets, read_prepared, write_robustness
from synthmix.evaluate.corruptions import corrupted_sets, stratified_subset
from synthmix.params import load_params


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, required=True, help="prepared data directory")
    ap.add_argument("--out", type=Path, required=True, help="directory for the corrupted test sets")
    args = ap.parse_args()
    r = load_params().robustness
    data = read_prepared(args.data)
    pick = stratified_subset(data.test_labels, r.max_images, seed_for(r.seed, "subset"))
    images = corrupted_sets(data.test_images[pick], r.kinds, r.levels,
                            lambda kind, level: seed_for(r.seed, "corrupt", kind, str(level)))
    write_robustness(args.out, RobustnessSets(list(r.kinds), sorted(r.levels), pick.tolist(),
                                              data.test_labels[pick], images))
    print(f"corrupt: {len(pick)} of {len(data.test_labels)} test images x {len(r.kinds)} types x {len(r.levels)} levels")


if __name__ == "__main__":
    run(main)
