"""End to end: real `dvc repro` in a temporary copy of the repository, on tiny params.

Checks what DVC re-runs after each one-key change, that a second repro runs nothing, and that
re-running a stage with the same inputs and seed gives byte-identical outputs.
"""
import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.e2e

TINY = {
    # 16x16: at the demo's 8x8 the barely trained tiny GANs draw so few distinct images that the
    # quality stage's k-NN measures have nothing to compare
    "data": {"classes": ["0", "1"], "per_class": 12, "val_per_class": 6, "image_size": 16, "more_real": [20]},
    "gan": {"steps": 30, "batch_size": 8, "g_width": 8, "d_width": 8, "z_dim": 16, "log_every": 10, "seeds": [0]},
    "generate": {"per_class": 40, "max_draws": 80},
    "judge": {"steps": 30, "width": 8, "batch_size": 8},
    "classifier": {"steps": 6, "width": 8, "batch_size": 16, "replicates": 2},
    # keep all: the tiny GANs are barely trained, so their images are near-duplicates of each other
    # and few count as unique; min_unique 1 lets the plumbing run on them
    "filter": {"mode": "threshold", "threshold": 0.0, "min_unique": 1},
    "mix": {"ratios": [50]},
    "robustness": {"levels": [0.0, 0.25, 0.85], "max_images": 10},
    "quality": {"detector_epochs": 3},
    "runtime": {"threads": 1},
}


def stage_env(bin_dir: Path | None = None) -> dict:
    """The environment DVC runs the stages in: this (or `bin_dir`'s) python first on PATH, so a
    stage's `python` is the one with synthmix installed; no analytics; a git identity for commits."""
    return dict(os.environ, PATH=f"{bin_dir or Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                DVC_NO_ANALYTICS="1", GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
                GIT_COMMITTER_EMAIL="t@t")


def run(cmd: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    out = subprocess.run(cmd, cwd=cwd, env=stage_env(), capture_output=True, text=True)
    if check and out.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    return out


def dvc(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return run([sys.executable, "-m", "dvc", *args], repo, check)


def repro(repo: Path, *args: str) -> set[str]:
    """Run `dvc repro` and return the names of the stages that actually ran."""
    out = dvc(repo, "repro", *args)
    return set(re.findall(r"^Running stage '(.+)':$", out.stdout, re.MULTILINE))


def set_params(repo: Path, changes: dict) -> None:
    path = repo / "params.yaml"
    doc = yaml.safe_load(path.read_text())
    for section, values in changes.items():
        doc[section].update(values)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def make_repo(dest: Path, params: dict | None = None, source: Path = ROOT) -> Path:
    """A fresh git + dvc repository holding the tracked files of `source` (this checkout, or
    another one a benchmark compares with) and tiny params."""
    files = [f for f in run(["git", "ls-files", "-z"], source).stdout.split("\0") if f and (source / f).is_file()]
    # the plot templates and the config (the offline plots page); the rest is dvc init's
    own_dvc = [f for f in files if f.startswith(".dvc/plots/") or f == ".dvc/config"]
    for name in files:
        if not name.startswith((".dvc/", "tests/")):
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, dest / name)
    for leftover in ("dvc.lock",):
        (dest / leftover).unlink(missing_ok=True)
    run(["git", "init", "-q"], dest)
    dvc(dest, "init", "-q")
    for name in own_dvc:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / name, dest / name)
    set_params(dest, params or TINY)
    run(["git", "add", "-A"], dest)
    run(["git", "commit", "-qm", "init"], dest)  # dvc exp needs a commit
    return dest


def digest(path: Path) -> dict[str, str]:
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return {str(p.relative_to(path.parent)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    repo = make_repo(tmp_path_factory.mktemp("e2e"))
    first = repro(repo)
    expected = {"locate", "download", "prepare", "train_judge", "refine", "synthesize", "corrupt", "train_real",
                "train_augmented", "train_synthetic", "train_mix@50", "train_augmented_mix@50", "train_more_real@20",
                "evaluate", "quality", "report"}
    expected |= {f"train_gan@{c}-0" for c in ("0", "1")} | {"train_gan_base@0"}
    assert first == expected
    return repo


@pytest.fixture(autouse=True)
def at_tiny(request):
    """Every test starts from the module repo at TINY with its outputs, whatever the tests before it
    changed (DVC restores most from the run-cache; a stage whose folder deps hold outputs an earlier
    test added, e.g. a removed ratio's classifier, re-runs): each test also runs alone."""
    if "repo" not in request.fixturenames:
        yield
        return
    repo = request.getfixturevalue("repo")
    tiny = (repo / "params.yaml").read_text()      # TINY: this fixture put it back after every test
    yield
    if (repo / "params.yaml").read_text() != tiny:
        (repo / "params.yaml").write_text(tiny)
        repro(repo)


def test_outputs_exist_and_make_sense(repo):
    import json

    summary = json.loads((repo / "metrics/summary.json").read_text())
    assert set(summary["variants"]) == {"real", "augmented", "synthetic", "mix_50", "augmented_mix_50"}
    assert summary["variants"]["augmented_mix_50"]["baseline"] == "augmented"
    assert [p["variant"] for p in summary["worth"]["curve"]["points"]] == ["real", "real_20"]
    for v in summary["variants"].values():
        assert 0.0 <= v["accuracy"] <= 1.0
    rows = (repo / "metrics/accuracy_vs_ratio.tsv").read_text().splitlines()
    assert rows[0].split("\t")[:4] == ["ratio", "variant", "series", "accuracy"]
    # the mix line, the augmented mixes' line, synthetic only at 100, and real and augmented as reference lines
    assert [r.split("\t")[:3] for r in rows[1:]] == [
        ["50", "mix_50", "mix (add mode)"], ["50", "augmented_mix_50", "mix + augmentation (add mode)"],
        ["100", "synthetic", "synthetic only"], ["0", "real", "real (reference)"],
        ["100", "real", "real (reference)"], ["0", "augmented", "augmented (reference)"],
        ["100", "augmented", "augmented (reference)"]]
    assert (repo / "metrics/gan/0/1/samples.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| mix_50 |" in (repo / "metrics/report.md").read_text()
    real = summary["variants"]["real"]
    assert 0.0 <= real["ece"] <= 1.0 and set(real["failure_level"]) == {
        "gaussian", "salt_pepper", "blur", "occlusion", "lines", "contrast"}
    rows = [r.split("\t") for r in (repo / "metrics/plots/robustness.tsv").read_text().splitlines()]
    assert rows[0] == ["level", "accuracy", "kind", "series"]
    assert {r[2] for r in rows[1:]} == {"gaussian", "salt_pepper", "blur", "occlusion", "lines", "contrast"}
    assert {r[3] for r in rows[1:]} == {"real", "augmented", "synthetic", "mix_50", "augmented_mix_50"}
    assert sorted({r[0] for r in rows[1:]}) == ["0.0", "0.25", "0.85"]
    clean = {float(r[1]) for r in rows[1:] if r[0] == "0.0" and r[3] == "real"}
    # level 0 is the clean robustness subset: a stratified sample of the test split (max_images)
    subset = json.loads((repo / "data/robustness/meta.json").read_text())["indices"]
    assert len(subset) == 10
    predictions = np.array(json.loads((repo / "metrics/classifier/real/0/scores.json").read_text())["predictions"])
    labels = np.load(repo / "data/prepared/test_labels.npy")
    assert len(predictions) == len(labels)                       # clean metrics use the whole test split
    assert clean == {round(float((predictions[subset] == labels[subset]).mean()), 6)}
    assert "## Robustness" in (repo / "metrics/report.md").read_text()
    quality = json.loads((repo / "metrics/quality.json").read_text())
    assert set(quality["per_class"]) == {"0", "1"}
    # the tiny GANs make a few distinct images per class (near-duplicates count once): a detector needs
    # at least 4 and a class's quality row more than quality.k, so those are None here by design
    kept = json.loads((repo / "metrics/filter.json").read_text())["per_seed"]["0"]
    for c in ("0", "1"):
        # every draw passes the filter here, so the kept set is the greedy near-duplicate-free set of the draws
        assert kept[c]["kept"] == min(kept[c]["unique_drawn"], 40) and kept[c]["duplicate_radius"] > 0
        detect = quality["per_class"][c]["detectability"]
        assert (detect is None) == (kept[c]["kept"] < 4) and (detect is None or 0.0 <= detect["accuracy"] <= 1.0)
    assert 0.0 <= summary["quality"]["train_real_test_synthetic"] <= 1.0
    assert 1.0 <= quality["inception_score"]["real_reference"] <= 2.0 + 1e-9      # 2 classes at most
    audit = quality["memorisation"]
    assert set(audit["per_class"]) == {"0", "1"} and set(audit["overall"]) == {"pixel", "judge"}
    for space in ("pixel", "judge"):
        assert 0.0 <= audit["overall"][space]["copy_rate"] <= 1.0
        assert 0.0 <= audit["overall"][space]["authenticity"] <= 1.0
    assert summary["quality"]["copy_rate"] == round(audit["overall"]["pixel"]["copy_rate"], 6)
    assert len(audit["closest_pairs"]["1"]) == min(4, kept["1"]["kept"]) and summary["quality"]["cas"] == summary["variants"]["synthetic"]["accuracy"]
    # every set of a class compared at one size (so the pooled sets are of one size too)
    sizes = {name: quality["overall"][name]["n_synthetic"] for name in ("filtered", "raw", "real_heldout")}
    assert len(set(sizes.values())) == 1 and sizes["filtered"] == sum(quality["images_per_class"].values())
    assert real["p_value"] is None and summary["variants"]["mix_50"]["p_value"] is not None
    conf = (repo / "metrics/evaluate/confusion/real.csv").read_text().splitlines()
    assert conf[0] == "actual,predicted" and len(conf) > 10
    # dvc sees the declared metrics and plots
    shown = json.loads(dvc(repo, "metrics", "show", "--json").stdout)[""]["data"]
    assert list(shown) == ["metrics/headline.json"]                       # the one metrics file
    assert shown["metrics/headline.json"]["data"] == json.loads((repo / "metrics/headline.json").read_text())
    assert set(shown["metrics/headline.json"]["data"]["acc"]) == {"real", "augmented", "synthetic", "mix_50",
                                                                  "augmented_mix_50", "real_20"}
    plots = json.loads(dvc(repo, "plots", "show", "--json").stdout)
    assert not plots.get("errors"), plots.get("errors")
    names = list(plots["data"])
    # the top-level plots come first, each overlaying every variant (or class) in one chart
    top = ["test accuracy vs percent synthetic", "validation accuracy per step", "GAN checkpoint score per step",
           "robustness to noise", "reliability diagram"]
    assert names[:len(top)] == top
    for name in top:
        (chart,) = plots["data"][name]
        values = chart["content"]["data"]["values"]
        assert values and not any("<DVC_" in str(v) for v in chart["content"].values()), name
    series = {v["series"] for v in plots["data"]["validation accuracy per step"][0]["content"]["data"]["values"]}
    assert series == {"real", "augmented", "synthetic", "mix_50", "augmented_mix_50"}
    classes = {v["series"] for v in plots["data"]["GAN checkpoint score per step"][0]["content"]["data"]["values"]}
    assert classes == {"0", "1"}
    assert "metrics/gan/0/1/samples.png" in names and "metrics/gan/0/1/plots/metrics/loss_d.tsv" in names
    assert "metrics/evaluate/confusion/mix_50.csv" in names


def browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"):
        if path := shutil.which(name):
            return path
    return None


# Appended to a copy of the report: after load, records what the page holds and any image that
# failed to decode, in an attribute that --dump-dom prints.
PROBE = """<script>window.addEventListener('load', () => {
  const broken = [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).length;
  document.body.setAttribute('data-probe', `images=${document.images.length};broken=${broken};` +
    `svg=${document.querySelectorAll('svg').length};` +
    `pairs=${[...document.querySelectorAll('#memorisation img')].filter(i => i.naturalWidth > 0).length};sections=` +
    [...document.querySelectorAll('section')].filter(s => s.offsetHeight > 0).map(s => s.id).join(','));
});</script></body>"""


def test_html_report_renders_in_headless_chromium(repo, tmp_path):
    exe = browser()
    if exe is None:
        if os.environ.get("SYNTHMIX_REQUIRE_BROWSER"):
            pytest.fail("no Chromium found, and SYNTHMIX_REQUIRE_BROWSER is set (apt-get install chromium)")
        pytest.skip("no Chromium on PATH (apt-get install chromium); .ci/run installs it")
    from synthmix.report.html import SECTIONS

    html = (repo / "metrics/report.html").read_text()
    # self-contained: no link or source outside the page except data: URIs
    refs = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert refs and all(r.startswith(("data:image/png;base64,", "#")) for r in refs), refs
    page = tmp_path / "report.html"            # alone in a folder: nothing beside it to load
    page.write_text(html.replace("</body>", PROBE))
    out = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                          f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000", "--dump-dom",
                          page.as_uri()], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    probe = dict(kv.split("=", 1) for kv in re.search(r'data-probe="([^"]*)"', out.stdout).group(1).split(";"))
    n_classes = len(TINY["data"]["classes"])
    # real + synthetic grids, closest synthetic/training pairs, saliency
    assert int(probe["images"]) == 3 * n_classes + 1 and probe["broken"] == "0"
    assert int(probe["pairs"]) == n_classes                        # the memorisation audit's pairs, drawn
    assert int(probe["svg"]) == 1 + 6 + 1                          # ratio chart, one per noise type, reliability
    assert probe["sections"].split(",") == list(SECTIONS)                          # every section, visible
    errors = [line for line in out.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert not errors, errors


# Appended to the plots page: once vega has drawn, records how many plots there are and how many
# drew a non-empty canvas, in an attribute that --dump-dom prints.
PLOTS_PROBE = """<script>window.addEventListener('load', () => setTimeout(() => {
  const drawn = [...document.querySelectorAll('canvas')].filter(c => c.width > 0 && c.height > 0).length;
  document.body.setAttribute('data-probe', `plots=${document.querySelectorAll('.vega-embed').length};drawn=${drawn}`);
}, 2000));</script></body>"""


def render_offline(exe: str, page: Path, tmp_path: Path) -> dict:
    """Open `page` in headless Chromium with every host unresolvable and no proxy to reach one;
    `divs`: the plots DVC put in the page (its `<div id = "...">`, each with a vegaEmbed call)."""
    html = page.read_text(encoding="utf-8")
    head, tail = html.rsplit("</body>", 1)          # the last one: vega-embed's code holds the string too
    page.write_text(head + PLOTS_PROBE + tail, encoding="utf-8")
    out = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--host-resolver-rules=MAP * ~NOTFOUND",
                          "--proxy-server=http://127.0.0.1:9", f"--user-data-dir={tmp_path / 'profile'}",
                          "--virtual-time-budget=15000", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    probe = {k: int(v) for k, v in (kv.split("=") for kv in re.search(r'data-probe="([^"]*)"', out.stdout).group(1).split(";"))}
    return probe | {"divs": html.count('<div id = "')}


def test_dvc_plots_draw_offline(repo, tmp_path):
    """`dvc plots show` with the project's page (.dvc/config: plots.html_template) draws every chart
    with no network; DVC's own page, which loads vega from a CDN, draws none of them here."""
    exe = browser()
    if exe is None:
        if os.environ.get("SYNTHMIX_REQUIRE_BROWSER"):
            pytest.fail("no Chromium found, and SYNTHMIX_REQUIRE_BROWSER is set (apt-get install chromium)")
        pytest.skip("no Chromium on PATH (apt-get install chromium); .ci/run installs it")
    ours = tmp_path / "ours"
    dvc(repo, "plots", "show", "-o", str(ours))
    probe = render_offline(exe, ours / "index.html", tmp_path / "a")
    assert probe["divs"] > 10 and probe["plots"] == probe["divs"] and probe["drawn"] >= probe["divs"], probe
    theirs = tmp_path / "theirs"
    (tmp_path / "dvc_page.html").write_text("<html><head>{scripts}</head><body>{plot_divs}</body></html>")
    dvc(repo, "plots", "show", "-o", str(theirs), "--html-template", str(tmp_path / "dvc_page.html"))
    assert render_offline(exe, theirs / "index.html", tmp_path / "b")["drawn"] == 0     # the network is off


def test_second_repro_runs_nothing(repo):
    assert repro(repo) == set()
    assert "up to date" in dvc(repo, "status").stdout


def test_same_inputs_and_seed_give_identical_bytes(repo):
    targets = [repo / "data/prepared", repo / "data/synthetic", repo / "models/gan/0/1.pt", repo / "data/robustness",
               repo / "models/classifier/real/0.pt", repo / "metrics/classifier/real/0/scores.json",
               repo / "metrics/quality.json", repo / "metrics/evaluate"]
    before = {str(t): digest(t) for t in targets}
    for stage in ("prepare", "train_gan@1-0", "synthesize", "corrupt", "train_real", "quality", "evaluate"):
        assert repro(repo, "-f", "-s", stage) == {stage}
    after = {str(t): digest(t) for t in targets}
    assert before == after
    assert repro(repo) == set()


def test_filter_change_reruns_synthesis_and_after_but_no_gan(repo):
    # keep the most convincing half of 80 draws instead of the first 40: a different kept set
    set_params(repo, {"filter": {"mode": "top", "fraction": 0.5}})
    # refine (the snapshot choice, 0 refinement rounds) re-runs because it reads the filter; the GANs do not
    assert repro(repo) == {"refine", "synthesize", "train_synthetic", "train_mix@50", "train_augmented_mix@50",
                           "evaluate", "quality", "report"}


def test_too_few_unique_synthetic_images_fail_naming_the_class(repo):
    set_params(repo, {"filter": {"min_unique": 50}, "generate": {"per_class": 5, "max_draws": 10}})
    out = dvc(repo, "repro", check=False)
    assert out.returncode != 0
    assert re.search(r"variant (synthetic|mix_50|augmented_mix_50): class '0' has [1-5] unique synthetic images after filtering, fewer "
                     r"than the 12 this variant needs", out.stderr + out.stdout)
    assert "Traceback" not in out.stderr + out.stdout
    set_params(repo, {"filter": {"min_unique": 1}, "generate": {"per_class": 40, "max_draws": 80}})
    repro(repo)                                          # back to the earlier params: everything runs again
    assert "up to date" in dvc(repo, "status").stdout


def test_new_ratio_trains_and_scores_only_that_classifier(repo):
    import json

    scores = {v: digest(repo / f"metrics/classifier/{v}/0/scores.json") for v in ("real", "synthetic", "mix_50")}
    set_params(repo, {"mix": {"ratios": [50, 25]}})
    # the new classifier is trained and scored in its own stage; the others' scores are reused
    assert repro(repo) == {"train_mix@25", "train_augmented_mix@25", "evaluate", "report"}
    assert scores == {v: digest(repo / f"metrics/classifier/{v}/0/scores.json") for v in scores}
    assert (repo / "metrics/classifier/mix_25/0/scores.json").exists()
    assert "mix_25" in json.loads((repo / "metrics/summary.json").read_text())["variants"]


def test_a_new_real_count_trains_only_its_stage_and_the_augmented_mixes_switch_off(repo):
    import json

    before = digest(repo / "data/prepared")
    set_params(repo, {"data": {"more_real": [20, 30]}})
    # prepare re-runs (it writes the larger sets) to the same data/prepared: no GAN, judge or other classifier
    assert repro(repo) == {"prepare", "train_more_real@30", "evaluate", "report"}
    assert digest(repo / "data/prepared") == before
    worth = json.loads((repo / "metrics/summary.json").read_text())["worth"]
    assert [p["count"] for p in worth["curve"]["points"]] == [12, 20, 30]
    set_params(repo, {"data": {"more_real": [20]}, "mix": {"augmented": False}})
    # prepare is back at its first params: DVC restores it from the run-cache instead of running it
    assert repro(repo) == {"train_augmented_mix@50", "evaluate", "report"}
    assert "skipped: mix.augmented is false" in (repo / "metrics/classifier/augmented_mix_50/skipped.json").read_text()
    summary = json.loads((repo / "metrics/summary.json").read_text())
    assert "augmented_mix_50" not in summary["variants"] and "augmented_mix_50" not in summary["worth"]["variants"]
    assert "On top of classic augmentation" not in (repo / "metrics/report.md").read_text()
    assert "On top of classic augmentation" not in json.dumps(summary)
    set_params(repo, {"data": {"more_real": []}})        # the learning curve off: prepare and what reads it
    assert repro(repo) == {"prepare", "evaluate", "report"}
    assert "No worth in real images is given: data.more_real is empty" in (repo / "metrics/report.md").read_text()


def test_robustness_change_recorrupts_once_and_never_retrains_a_gan(repo):
    # the corrupted sets are their own stage; each classifier stage scores on them
    assert dry_run(repo, {"robustness": {"levels": [0.0, 0.5]}}) == {"corrupt"}
    assert dry_run(repo, {"robustness": {"failure_fraction": 0.5}}) == {"evaluate"}


def dry_run(repo: Path, changes: dict, *targets: str) -> set[str]:
    """The stages a params change makes DVC run first (`dvc repro --dry`: stages downstream of them
    follow only if their outputs change), with params.yaml restored afterwards."""
    before = (repo / "params.yaml").read_text()
    set_params(repo, changes)
    try:
        return repro(repo, "--dry", *targets)
    finally:
        (repo / "params.yaml").write_text(before)


def test_judge_change_rechooses_snapshots_and_retrains_no_gan(repo):
    set_params(repo, {"judge": {"lr": 0.003}})
    ran = repro(repo)
    # the judge scores the snapshots train_gan kept (refine); the GANs and real-only classifiers stay
    assert {"train_judge", "refine", "synthesize"} <= ran
    assert not any(s.startswith("train_gan@") for s in ran) and not ran & {"train_real", "train_augmented"}


@pytest.mark.parametrize("source,stages", [("src/synthmix/data/datasets/digits.py", {"download"}),
                                            ("src/synthmix/report/html.py", {"report"})])
def test_a_code_edit_reruns_only_the_stages_that_import_it(repo, source, stages):
    # code deps are exactly the files each stage imports: a dataset parser edit re-runs download
    # alone (its output bytes are the same, so nothing after it runs); an HTML edit re-runs report
    path = repo / source
    before = path.read_text()
    path.write_text(before + "\n# an edit that changes no behaviour\n")
    try:
        assert repro(repo) == stages
    finally:
        path.write_text(before)
    assert repro(repo) == set()                          # back: restored from the run-cache


def test_gan_choice_param_rechooses_without_training(repo):
    assert dry_run(repo, {"gan": {"eval_samples": 128}}) == {"refine"}
    assert dry_run(repo, {"gan": {"select_against": "train"}}) == {"refine"}


def test_gan_param_reruns_gans_but_not_judge_or_real_classifiers(repo):
    # refine reads every gan key; generate, filter and what follows re-run because their inputs change;
    # the base stage reads the keys the base would train with (off here: it rewrites the same base.json)
    assert dry_run(repo, {"gan": {"lr_g": 0.0003}}) == {"train_gan_base@0", "train_gan@0-0", "train_gan@1-0", "refine"}
    assert repro(repo) == set()


def test_classifier_param_never_reruns_gans(repo):
    import yaml

    ratios = yaml.safe_load((repo / "params.yaml").read_text())["mix"]["ratios"]   # earlier tests may add one
    assert dry_run(repo, {"classifier": {"steps": 3}}) == {
        "train_real", "train_augmented", "train_synthetic", "train_more_real@20",
        *(f"train_{kind}@{r}" for r in ratios for kind in ("mix", "augmented_mix"))}
    assert dry_run(repo, {"augment": {"rotation": 5.0}}) == {"train_augmented", *(f"train_augmented_mix@{r}" for r in ratios)}
    assert dry_run(repo, {"judge": {"lr": 0.003}}) >= {"train_judge"}
    assert repro(repo) == set()


def metric_columns(shown: list[dict]) -> dict[str, set[str]]:
    """Per experiment row of `dvc exp show --json`, its metric columns (file:flattened key)."""
    def flat(x, prefix: str) -> set[str]:
        if isinstance(x, dict):
            return {c for k, v in x.items() for c in flat(v, f"{prefix}.{k}" if prefix else k)}
        return {prefix}
    rows = [r for row in shown for r in [row] + [e for ex in row.get("experiments") or [] for e in ex["revs"]]]
    return {r.get("name") or r["rev"]: {f"{f}:{c}" for f, m in (r["data"].get("metrics") or {}).items()
                                        for c in flat(m.get("data", {}), "")} for r in rows}


def test_sweep_then_metrics_diff_of_its_experiments_on_a_fresh_clone(repo, tmp_path, monkeypatch):
    """`synthmix sweep` runs its experiments' stages on a local cluster, records each with `dvc exp
    run` from the run-cache and prints the compact table; the team then compares them with `dvc
    metrics diff` on a fresh clone (git remote + DVC remote)."""
    import json

    monkeypatch.setenv("SYNTHMIX_PROGRESS", "1")          # the bar, although the output is no terminal
    monkeypatch.setenv("COLUMNS", "250")                  # a wide terminal's table (rich fits it to COLUMNS)
    # the team set-up: a git remote and a DVC remote (local folders here), the latter in .dvc/config
    run(["git", "init", "-q", "--bare", str(tmp_path / "origin.git")], tmp_path)
    run(["git", "remote", "add", "origin", str(tmp_path / "origin.git")], repo)
    dvc(repo, "remote", "add", "-d", "store", str(tmp_path / "store"))
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-qm", "before sweep", "--allow-empty"], repo)
    run(["git", "push", "-q", "origin", "HEAD"], repo)
    args = [sys.executable, "-m", "synthmix", "sweep", "--jobs", "1"]
    first = run(args + ["--name-prefix", "sweep-a", "25"], repo)
    second = run(args + ["--name-prefix", "sweep-b", "75"], repo)
    assert "sweep-a-25: Success" in first.stdout and "sweep-b-75: Success" in second.stdout
    # a sweep reports its own experiments only (the table after it lists every experiment)
    assert re.findall(r"^\S+: (?:Success|Failed).*$", second.stdout, re.MULTILINE) == ["sweep-b-75: Success"]
    assert "ran here" not in first.stdout + second.stdout      # every stage restored from the run-cache
    # the stages a new ratio needs, on the cluster: its classifier and what reads it, never a GAN
    submitted = set(re.findall(r"^\[(\S+)\] done in", second.stdout, re.MULTILINE))
    assert submitted == {"train_mix@75", "train_augmented_mix@75", "evaluate", "report"}, second.stdout
    assert f"{len(submitted)}/{len(submitted)}" in second.stderr           # the bar of stages done/total
    # the sweep ends with `synthmix show`: a block per run, the params it changed, a row per variant
    shown = run([sys.executable, "-m", "synthmix", "show"], repo).stdout
    assert shown in second.stdout and max(len(line) for line in shown.splitlines()) <= 100
    blocks = {b.split(":")[0]: b for b in shown.split("\n\n")}
    assert "changed: mix.ratios=[75]" in blocks["sweep-b-75"] and "changed: mix.ratios=[25]" in blocks["sweep-a-25"]
    row = re.search(r"^  mix_75 +(0\.\d{4})  real +([+-]\d+\.\d\d) \[", blocks["sweep-b-75"], re.MULTILINE)
    assert row and 0 < float(row[1]) <= 1 and "  mix_75 " not in blocks["sweep-a-25"]
    assert re.search(r"^  augmented_mix_75 +0\.\d{4}  augmented ", blocks["sweep-b-75"], re.MULTILINE)
    # a compact `dvc exp show`: the headline only (per-run files are outputs, not metrics)
    columns = metric_columns(json.loads(dvc(repo, "exp", "show", "--json").stdout))
    assert columns["sweep-a-25"] and max(len(c) for c in columns.values()) <= 60
    assert {f"metrics/headline.json:acc.{v}" for v in ("real", "augmented", "synthetic", "mix_75")} \
        <= columns["sweep-b-75"]
    dvc(repo, "exp", "push", "origin", "sweep-a-25", "sweep-b-75")      # git refs and DVC objects
    # a fresh clone with an empty DVC cache: DVC reads the headline of each experiment from the remote
    clone = tmp_path / "clone"
    run(["git", "clone", "-q", str(tmp_path / "origin.git"), str(clone)], tmp_path)
    dvc(clone, "exp", "pull", "origin", "sweep-a-25", "sweep-b-75", "--no-cache")
    assert not (clone / ".dvc/cache").exists()
    out = dvc(clone, "metrics", "diff", "--json", "sweep-a-25", "sweep-b-75")
    assert "failed to load" not in out.stderr + out.stdout
    diff = json.loads(out.stdout)["metrics/headline.json"]
    a, b = diff["acc.mix_25"], diff["acc.mix_75"]
    assert 0.0 <= a["old"] <= 1.0 and a["new"] is None      # only in the first experiment
    assert b["old"] is None and 0.0 <= b["new"] <= 1.0      # only in the second
    assert diff["verdict.mix_25"]["old"] in ("better", "worse", "not detected", "not significant")
    table = dvc(clone, "metrics", "diff", "sweep-a-25", "sweep-b-75").stdout
    assert "acc.mix_25" in table and "pts.mix_75" in table
    run(["git", "remote", "remove", "origin"], repo)     # the module repo as it was for the next test
    dvc(repo, "remote", "remove", "store")


def test_mobilenet_v2_classifiers_retrain_only_the_classifiers(repo):
    """torchvision's MobileNetV2 as every classifier (random weights: the pretrained download is
    tested against a local server in test_weights.py); the judge and the GANs stay as they were."""
    import json

    import torch

    # one replicate: the test is the arch's path through every classifier stage, evaluate and report
    set_params(repo, {"classifier": {**TINY["classifier"], "arch": "mobilenet_v2", "input_size": 32, "replicates": 1}})
    assert repro(repo) == {"train_real", "train_augmented", "train_synthetic", "train_mix@50", "train_augmented_mix@50",
                           "train_more_real@20", "evaluate", "report"}
    ckpt = torch.load(repo / "models/classifier/mix_50/0.pt", weights_only=True)
    assert ckpt["config"]["arch"] == "mobilenet_v2" and ckpt["config"]["input_size"] == 32
    assert any(k.startswith("backbone.") for k in ckpt["model"])
    summary = json.loads((repo / "metrics/summary.json").read_text())
    assert set(summary["variants"]) == {"real", "augmented", "synthetic", "mix_50", "augmented_mix_50"}
    assert summary["variants"]["augmented_mix_50"]["baseline"] == "augmented"
    assert [p["variant"] for p in summary["worth"]["curve"]["points"]] == ["real", "real_20"]
    assert all(0.0 <= v["accuracy"] <= 1.0 for v in summary["variants"].values())
    assert (repo / "metrics/evaluate/saliency.png").read_bytes()[:4] == b"\x89PNG"   # gradients through the resize
    assert torch.load(repo / "models/judge.pt", weights_only=True)["config"]["arch"] == "cnn"


def test_new_gan_seed_trains_only_the_new_gans_and_the_classifiers_that_use_them(repo):
    import json

    set_params(repo, {"gan": {"seeds": [0]}, "classifier": {"replicates": 2}})
    repro(repo)                                         # replicates 0 and 1 both use GAN seed 0
    before = {s: digest(repo / f"models/classifier/synthetic/{s}.pt") for s in (0, 1)}
    gan_before = digest(repo / "models/gan/0/1.pt")
    ratios = yaml.safe_load((repo / "params.yaml").read_text())["mix"]["ratios"]   # earlier tests may change them
    set_params(repo, {"gan": {"seeds": [0, 1]}})
    ran = repro(repo)
    # new GANs only; real and augmented never use a GAN; quality reads the synthetic sets
    assert ran == {"train_gan_base@1", "train_gan@0-1", "train_gan@1-1", "refine", "synthesize", "train_synthetic",
                   *(f"train_{kind}@{r}" for r in ratios for kind in ("mix", "augmented_mix")), "evaluate", "quality",
                   "report"}
    assert digest(repo / "models/gan/0/1.pt") == gan_before
    synthetic = [json.loads((repo / f"metrics/classifier/synthetic/{s}/scores.json").read_text()) for s in (0, 1)]
    assert [r["gan_seed"] for r in synthetic] == [0, 1]                   # replicate s uses gan.seeds[s % 2]
    # replicate 0 keeps GAN seed 0 and trains to the same bytes; replicate 1 now trains on GAN seed 1's images
    assert digest(repo / "models/classifier/synthetic/0.pt") == before[0]
    assert digest(repo / "models/classifier/synthetic/1.pt") != before[1]
    summary = json.loads((repo / "metrics/summary.json").read_text())
    assert summary["design"]["gan_variance"].startswith("inside the replicates")


def test_a_real_runs_answer_fragment_has_the_docs_committed_shape(repo, tmp_path):
    """scripts/answer_table.py on this run's summary.json writes the docs fragment's tables (the
    demo's and mnist_sample's committed answers, docs/results/): headers and widths, not numbers."""
    from test_fragments import committed

    from synthmix import fragments

    subprocess.run([sys.executable, str(ROOT / "scripts/answer_table.py"), str(repo), "--out", str(tmp_path / "a.md")],
                   check=True, capture_output=True)
    text = (tmp_path / "a.md").read_text()
    made, shown = fragments.shape(text), committed("demo-answer.md")
    assert made[:3] == shown[:3]            # the origin, the answer table's header, its rows' width
    # TINY's two-point curve may give no worth (the line then says why); where it gives one, its tables too
    assert made == shown or (len(made) == 3 and "No worth in real images: " in text), text


def test_replicates_are_paired_and_reported_with_intervals(repo):
    import json

    set_params(repo, {"classifier": {"replicates": 3}, "gan": {"seeds": [0, 1]}, "mix": {"ratios": [75]}})
    assert repro(repo) >= {"train_real", "train_augmented", "train_synthetic", "train_mix@75", "evaluate", "report"}
    mix = json.loads((repo / "metrics/evaluate/mix_75.json").read_text())
    real = json.loads((repo / "metrics/evaluate/real.json").read_text())
    runs = [mix["runs"][s]["accuracy"] for s in ("0", "1", "2")]
    assert mix["accuracy"] == pytest.approx(sum(runs) / 3)
    diffs = [mix["runs"][s]["accuracy"] - real["runs"][s]["accuracy"] for s in ("0", "1", "2")]
    assert [mix["runs"][s]["gan_seed"] for s in ("0", "1", "2")] == [0, 1, 0]
    # replicates 0 and 2 share GAN seed 0: the unit of the test is the GAN draw (2 of them)
    vs = mix["vs_baseline"]
    assert vs["unit"] == "GAN draw" and vs["n"] == 2 and vs["pairs"] == 3
    assert vs["diff"] == pytest.approx(((diffs[0] + diffs[2]) / 2 + diffs[1]) / 2)
    assert vs["ci_low"] <= vs["diff"] <= vs["ci_high"] and 0.0 < vs["p_value"] <= 1.0
    assert vs["given_these_gans"]["diff"] == pytest.approx(sum(diffs) / 3)      # per replicate, these GANs
    augmented = json.loads((repo / "metrics/evaluate/augmented.json").read_text())["vs_baseline"]
    assert augmented["unit"] == "replicate" and augmented["n"] == 3           # no GAN: replicates are the unit
    report = (repo / "metrics/report.md").read_text()
    assert "95% Student-t interval" in report and "3 paired replicates per variant" in report
    assert "2 GAN draws as units" in report and "interval, these GANs" in report


def test_missing_data_root_is_named_before_dvc_hashes_it(repo):
    set_params(repo, {"data": {"root": "no/such/folder"}})
    try:
        out = dvc(repo, "repro", check=False)
    finally:
        set_params(repo, {"data": {"root": "data/downloads"}})
    text = out.stdout + out.stderr
    assert out.returncode != 0 and "data.root = 'no/such/folder': no such folder" in text, text
    assert "Errno" not in text and "Running stage 'download'" not in text
    repro(repo)                     # the failed locate removed data/root.json: the next test finds it back


def test_invalid_params_fail_before_any_work(repo):
    set_params(repo, {"filter": {"threshold": 2}})
    out = dvc(repo, "repro", check=False)
    assert out.returncode != 0
    assert "filter.threshold = 2" in out.stderr + out.stdout
    assert "[0.0, 1.0]" in out.stderr + out.stdout


def test_a_shared_base_reruns_every_class_after_one_changes_and_fine_tune_keys_only_the_classes(repo):
    # off (gan.base_steps 0): one class's new images re-train its GAN only; the base stage runs, but
    # rewrites the same base.json, so the other class's GAN is not re-run
    set_params(repo, {"data": {"per_class": {"0": 12, "1": 11}}})
    assert repro(repo, "train_gan") == {"prepare", "train_gan_base@0", "train_gan@1-0"}
    scratch = digest(repo / "models/gan/0/0.pt")
    set_params(repo, {"gan": {"base_steps": 6, "freeze_d_blocks": 1}})
    assert repro(repo, "train_gan") == {"train_gan_base@0", "train_gan@0-0", "train_gan@1-0"}
    assert digest(repo / "models/gan/0/0.pt") != scratch
    import torch

    base = torch.load(repo / "models/gan_base/0/base.pt", weights_only=True)["discriminator"]
    for c in ("0", "1"):                  # D's first block (net.0, a conv) as the base left it
        d = torch.load(repo / f"models/gan/0/{c}.pt", weights_only=True)["discriminator"]
        assert torch.equal(d["net.0.weight"], base["net.0.weight"]) and torch.equal(d["net.0.bias"], base["net.0.bias"])
        assert not torch.equal(d["net.2.weight"], base["net.2.weight"])
    # on: the base saw every class's images, so one class's change re-trains the base and every class
    set_params(repo, {"data": {"per_class": {"0": 12, "1": 10}}})
    assert repro(repo, "train_gan") == {"prepare", "train_gan_base@0", "train_gan@0-0", "train_gan@1-0"}
    # fine-tune-only keys: the class stages (then refine, which reads every gan key), never the base
    for change in ({"steps": 20}, {"freeze_d_blocks": 0}):
        assert dry_run(repo, {"gan": change}, "train_gan") == {"train_gan@0-0", "train_gan@1-0"}
    # off again: the class's GAN trains from scratch to the bytes it had before any base existed
    set_params(repo, {"data": {"per_class": {"0": 12, "1": 11}}, "gan": {"base_steps": 0, "freeze_d_blocks": 0}})
    repro(repo, "train_gan")
    assert repro(repo, "-f", "-s", "train_gan@0-0") == {"train_gan@0-0"} and digest(repo / "models/gan/0/0.pt") == scratch
