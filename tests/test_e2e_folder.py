"""End to end on your own images: `dvc repro` on a generated ImageFolder of 3 colour classes at 32x32,
whose folder names are what people name folders: spaces, quotes, '&', '|', parentheses, a leading
'-', commas and non-ASCII letters."""
import csv
import html
import json

import numpy as np
import pytest

import fakes
from test_e2e import dvc, make_repo, repro

pytestmark = pytest.mark.e2e

# in the folder reader's (sorted) order
A, B, C = "-dash, comma", "golden retriever", "Ünï \"q\" & (it's) | x"
FOLDER = {
    "data": {"name": "folder", "root": "images", "classes": [A, B, C],
             "per_class": {A: 16, B: 8, C: 12}, "val_per_class": 6,
             "image_size": 32, "more_real": [30]},   # 40 images a class leave 22 beyond test + val: skipped
    "gan": {"steps": 20, "batch_size": 8, "g_width": 8, "d_width": 8, "z_dim": 16, "log_every": 10, "seeds": [0]},
    "generate": {"per_class": 24},
    "judge": {"steps": 30, "width": 8, "batch_size": 8},
    "classifier": {"steps": 40, "width": 8, "batch_size": 8, "replicates": 1},
    "robustness": {"levels": [0.0, 0.5]},
    "quality": {"detector_epochs": 3},
    "filter": {"mode": "threshold", "threshold": 0.0, "min_unique": 1},   # tiny GANs: near-duplicates
    "mix": {"ratios": [0, 50], "mode": "balance", "augmented": False},
    "runtime": {"threads": 1},
}


def test_whole_pipeline_on_a_colour_image_folder(tmp_path):
    repo = make_repo(tmp_path, FOLDER)
    fakes.write_folder(repo / "images", classes=3, per_class=40, size=32, names=[A, B, C])
    (repo / "images" / B / "Thumbs.db").write_bytes(b"\0\1")  # skipped, and recorded as such
    ran = repro(repo)
    assert {"download", "prepare", f"train_gan@{A}-0", f"train_gan@{C}-0", "synthesize", "train_mix@0", "quality",
            "report"} <= ran

    meta = json.loads((repo / "data/prepared/meta.json").read_text())
    assert meta["image_shape"] == [32, 32, 3] and meta["classes"] == [A, B, C]
    assert meta["counts"]["train"] == {A: 16, B: 8, C: 12}
    assert meta["notes"]["skipped"] == [f"{B}/Thumbs.db"]
    assert (repo / f"models/gan/0/{A}.pt").is_file() and (repo / f"metrics/gan/0/{C}/samples.png").is_file()
    syn = np.load(repo / f"data/synthetic/filtered/0/{B}.npy")
    # at most generate.per_class kept, none a near-duplicate of another (tiny GANs make few distinct images)
    assert syn.shape[1:] == (32, 32, 3) and 1 <= len(syn) <= 24 and syn.dtype == np.uint8
    counts = json.loads((repo / "metrics/classifier/mix_0/0/scores.json").read_text())["synthetic_counts"]
    assert {c: v["real"] + v["synthetic"] for c, v in counts.items()} == {A: 16, B: 16, C: 16}
    # the names survive CSV (a comma, quotes) and Markdown (a '|') whole, and are escaped in HTML
    with open(repo / "metrics/evaluate/confusion/real.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["actual", "predicted"] and {r[0] for r in rows[1:]} == {A, B, C}
    assert "| Ünï \"q\" & (it's) \\| x |" in (repo / "metrics/report.md").read_text()
    page = (repo / "metrics/report.html").read_text()
    assert html.escape(C) in page and C not in page
    summary = json.loads((repo / "metrics/summary.json").read_text())
    assert set(summary["variants"]) == {"real", "augmented", "synthetic", "mix_0", "mix_50"}
    # a folder without spare images: real_30 is skipped, and the report says why no worth is given
    assert "real_30 skipped" in summary["worth"]["why_none"] and summary["worth"]["variants"] == {}
    assert "No worth in real images is given: real_30 skipped" in (repo / "metrics/report.md").read_text()
    # the blobs are easy: the real classifier beats chance after a few steps
    assert summary["variants"]["real"]["accuracy"] > 0.5

    # adding images to the folder re-runs download (the folder is a dependency) and what follows
    fakes.write_folder(repo / "images", classes=3, per_class=41, size=32, seed=1, names=[A, B, C])
    assert "download" in dvc(repo, "status").stdout
