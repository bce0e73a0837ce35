"""The docs' tables of results are fragments written by the runs that make them (synthmix.fragments):
every page holds its fragments verbatim, and every script still writes its committed fragment's shape."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from synthmix import fragments

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "docs/results"
PAGES = [ROOT / "README.md", ROOT / "benchmarks/README.md", *sorted((ROOT / "docs").rglob("*.md"))]
PAGES = [p for p in PAGES if RESULTS not in p.parents]
sys.path.insert(0, str(ROOT / "benchmarks"))


def committed(name: str) -> list[tuple]:
    return fragments.shape((RESULTS / name).read_text())


def test_every_page_holds_its_fragments_verbatim_and_every_fragment_is_shown():
    shown = set()
    for page in PAGES:
        text = page.read_text()
        assert fragments.include(text) == text, f"{page.relative_to(ROOT)}: run python -m synthmix.fragments include"
        shown |= set(fragments.included(text))
    assert shown == {f"docs/results/{p.name}" for p in RESULTS.glob("*.md")}


def test_every_fragment_says_which_script_command_code_and_machine_wrote_it():
    for path in RESULTS.glob("*.md"):
        first = path.read_text().splitlines()[0]
        m = fragments.ORIGIN.match(first)
        assert m, f"{path.name}: first line is not an origin line: {first}"
        assert (ROOT / m["script"]).is_file() and m["command"] and m["code"] != "unknown"


def test_include_fills_stale_copies_and_names_a_missing_fragment(tmp_path):
    (tmp_path / "docs/results").mkdir(parents=True)
    (tmp_path / "docs/results/a.md").write_text("<!-- written by x.py: `x`, code 1, cpu -->\n| a |\n|---|\n| 1 |\n")
    page = "intro\n<!-- begin docs/results/a.md -->\nold table\n<!-- end docs/results/a.md -->\nafter\n"
    filled = fragments.include(page, tmp_path)
    assert filled == page.replace("old table\n", (tmp_path / "docs/results/a.md").read_text())
    assert fragments.include(filled, tmp_path) == filled
    with pytest.raises(FileNotFoundError, match="docs/results/b.md"):
        fragments.include(page.replace("a.md", "b.md"), tmp_path)


def test_shape_sees_a_new_column_but_not_new_numbers_or_rows():
    table = "<!-- written by s.py: `s`, code 1, cpu -->\n| v | acc |\n|---|---|\n| real | 0.9 |\n"
    assert fragments.shape(table) == fragments.shape(table.replace("0.9", "0.8") + "| mix_25 | 0.7 |\n")
    assert fragments.shape(table) != fragments.shape(table.replace("| v | acc |", "| v | acc | std |"))
    assert fragments.shape(table) != fragments.shape(table + "| mix_25 | 0.7 | 0.1 |\n")


@pytest.mark.parametrize("name", ["pipeline-demo.md", "pipeline-demo-before.md", "pipeline-mnist_sample.md",
                                  "pipeline-mnist_sample-before.md", "pipeline-mnist_sample-after.md"])
def test_the_pipeline_benchmark_writes_the_committed_cost_fragments_shape(tmp_path, name):
    import pipeline

    rows = [{"argv": ["stages/train_gan.py", "--class", "0"], "seconds": 3.0, "peak_rss_mib": 700},
            {"argv": ["stages/train_classifier.py", "--variant", "mix_25"], "seconds": 17.0, "peak_rss_mib": 500}]
    text = fragments.write(tmp_path / "f.md", "benchmarks/pipeline.py", "python benchmarks/pipeline.py",
                           pipeline.cost_body(280.0, 2, 1.5, 1.6, rows), "abc")
    assert fragments.shape(text) == committed(name)
    assert "| train_classifier mix_25 | 1 | 17.0 |" in text


@pytest.mark.parametrize("name,multiples", [
    *[(name, [1.0, 4.0]) for name in ("budget-digits.md", "budget-mnist_sample.md", "budget-mnist_sample-real_200.md",
                                      "budget-mnist_sample-synthetic.md", "budget-mnist_sample-bf16.md",
                                      "budget-mnist_sample-synthetic-bf16.md")],
    ("budget-mnist_sample-synthetic-curve-bf16.md", [1.0, 2.0, 4.0, 8.0])])
def test_the_budget_benchmark_writes_the_committed_plateau_fragments_shape(tmp_path, name, multiples):
    if not (RESULTS / name).exists():
        pytest.skip(f"{name} not written yet")
    import classifier_budget
    from synthmix.variants import Variant

    variants = [Variant.parse(n) for n in ("real", "augmented_mix_50", "real_100")]
    acc = {(v.name, m): [0.95, 0.96] for v in variants for m in multiples}
    table = classifier_budget.budget_table(variants, multiples, acc, {v.name: 800 for v in variants})
    text = fragments.write(tmp_path / "f.md", "benchmarks/classifier_budget.py", "python benchmarks/classifier_budget.py",
                           ["head", "", *table], "abc")
    assert fragments.shape(text) == committed(name)
    cells = " | ".join(["0.9550 ± 0.0071"] * len(multiples))
    assert f"| augmented_mix_50 | 800 | {cells} | +0.00 | yes |" in text


def test_the_recipe_benchmark_writes_the_committed_recipe_fragments_shape(tmp_path):
    name = "recipe-augmented_mix_50.md"
    if not (RESULTS / name).exists():
        pytest.skip(f"{name} not written yet")
    import classifier_recipe

    runs = {("before", 800): [0.96, 0.97], ("shipped", 800): [0.97, 0.98], ("shipped", 3200): [0.98, 0.98]}
    text = fragments.write(tmp_path / "f.md", "benchmarks/classifier_recipe.py", "python benchmarks/classifier_recipe.py",
                           ["head", "", *classifier_recipe.recipe_table(runs)], "abc")
    assert fragments.shape(text) == committed(name)
    assert "| shipped | 800 | 0.9750 ± 0.0071 | +1.00 | 0.00 | 0.9700 0.9800 |" in text


def test_the_suite_benchmark_reads_pytests_summary_and_durations(tmp_path):
    import suite_time

    output = ("....\n============ slowest 6 durations ============\n83.12s call     tests/test_e2e.py::test_sweep\n"
              "2.50s setup    tests/test_e2e.py::test_report\n0.01s call     tests/test_a.py::test_b[a b]\n"
              "3 failed, 380 passed, 2 skipped, 109 warnings in 91.63s (0:01:31)\n")
    assert suite_time.summary_counts(output) == {"failed": 3, "passed": 380, "skipped": 2}
    assert suite_time.slowest(output, 2) == [(83.12, "call", "tests/test_e2e.py::test_sweep"),
                                             (2.5, "setup", "tests/test_e2e.py::test_report")]
    assert suite_time.slowest(output)[-1] == (0.01, "call", "tests/test_a.py::test_b[a b]")   # an id with a space
    lines = suite_time.report(450.0, 15.0, {"passed": 425}, suite_time.slowest(output), "python -m pytest -q")
    assert lines[0].startswith("`python -m pytest -q`: **450.0 s** (425 passed); pytest start-up and collection "
                               "alone 15.0 s")
    if (RESULTS / "suite.md").exists():
        text = fragments.write(tmp_path / "f.md", "benchmarks/suite_time.py", "python benchmarks/suite_time.py",
                               lines, "a")
        assert fragments.shape(text) == committed("suite.md")


def test_the_benchmarks_rerun_commands_hold_no_machine_path():
    import classifier_budget

    argv = ["--repo=/tmp/x", "--variant", "real", "--recipe", "a:keep=best", "--out", "docs/results/r.md"]
    assert (classifier_budget.rerun_command(argv, "benchmarks/classifier_recipe.py")
            == "python benchmarks/classifier_recipe.py --repo <kept repo> --variant real --recipe a:keep=best")
    assert classifier_budget.rerun_command(["--repo", "/tmp/x", "--replicates", "6"]) == (
        "python benchmarks/classifier_budget.py --repo <kept repo> --replicates 6")


def test_the_answer_script_writes_the_committed_answer_fragments_shape(tmp_path):
    """From a run's summary.json (the e2e tests check it on a real run: test_e2e.py)."""
    answer_body = answer_script().answer_body
    summary = json.loads((ROOT / "tests/data/summary.json").read_text())
    text = fragments.write(tmp_path / "f.md", "scripts/answer_table.py", "dvc repro", answer_body(summary), "abc")
    assert fragments.shape(text) == committed("demo-answer.md") == committed("mnist-answer.md")


def answer_script():
    import importlib.util

    spec = importlib.util.spec_from_file_location("answer_table", ROOT / "scripts/answer_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
