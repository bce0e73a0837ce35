"""The report's images as PNG bytes, read once from the data: a grid of real and of synthetic
images per class, the memorisation audit's closest pairs, and the evaluate stage's saliency figure."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from synthmix.core.images import grid, png_bytes
from synthmix.core.io import load_json
from synthmix.data.store import Prepared, read_class_files


@dataclass(frozen=True)
class Figures:
    """samples: class -> (PNG of real training images, PNG of the first GAN seed's filtered images or
    None when none was kept); closest_pairs: class -> PNG of the closest synthetic/training pairs;
    saliency: (PNG, its description from the evaluate stage) or None when evaluate drew none."""
    samples: dict[str, tuple[bytes | None, bytes | None]] = field(default_factory=dict)
    closest_pairs: dict[str, bytes | None] = field(default_factory=dict)
    saliency: tuple[bytes, dict] | None = None


def class_grid(images) -> bytes | None:
    """Up to 32 images of one class as an 8-wide PNG, scaled so small images are visible; None if empty."""
    if len(images) == 0:
        return None
    return png_bytes(grid(images[:32], nrow=8, scale=max(1, 32 // images.shape[1])))


def pair_grids(memorisation: dict | None, data: Prepared, synthetic: Path) -> dict[str, bytes | None]:
    """Per class, the memorisation audit's closest pairs as a PNG: a row per pair, the synthetic
    image left of its nearest real training image."""
    if not memorisation:
        return {}
    seeds = {str(p["gan_seed"]) for pairs in memorisation["closest_pairs"].values() for p in pairs}
    kept = {g: read_class_files(synthetic / g, data.class_names) for g in sorted(seeds)}
    out = {}
    for c, pairs in memorisation["closest_pairs"].items():
        images = [x for p in pairs for x in (kept[str(p["gan_seed"])][c][p["synthetic"]], data.train[c][p["train"]])]
        out[c] = png_bytes(grid(np.stack(images), nrow=2, scale=max(1, 48 // images[0].shape[0]))) if images else None
    return out


def read_figures(data: Prepared, synthetic: Path, gan_seed: int, memorisation: dict | None,
                 evaluate: Path) -> Figures:
    """Every figure of the HTML report. synthetic: the filtered images, <gan seed>/<class>.npy (the
    samples show `gan_seed`'s, the pairs any seed's); evaluate: where saliency.png/json may be."""
    fake = read_class_files(synthetic / str(gan_seed), data.class_names)
    samples = {c: (class_grid(data.train[c]), class_grid(fake[c])) for c in data.class_names}
    png = evaluate / "saliency.png"
    saliency = (png.read_bytes(), load_json(evaluate / "saliency.json")) if png.exists() else None
    return Figures(samples, pair_grids(memorisation, data, synthetic), saliency)
