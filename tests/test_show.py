"""`synthmix show`: a block per run (workspace, commit, experiments) that fits 100 columns."""
from __future__ import annotations

from synthmix.show import WIDTH, render, runs_of


def headline(mix_acc: float) -> dict:
    return {"acc": {"real": 0.95, "augmented": 0.96, "mix_50": mix_acc, "augmented_mix_50": 0.955, "real_100": 0.97},
            "pts": {"augmented": 1.0, "mix_50": 100 * (mix_acc - 0.95), "augmented_mix_50": -0.5},
            "pts_low": {"augmented": 0.2, "mix_50": -1.0, "augmented_mix_50": -1.5},
            "pts_high": {"augmented": 1.8, "mix_50": 2.0, "augmented_mix_50": 0.5},
            "p_holm": {"augmented": 0.0004, "mix_50": 0.5, "augmented_mix_50": 1.0},
            "verdict": {"augmented": "better", "mix_50": "not detected", "augmented_mix_50": "not detected"},
            "design": {"steps": 800, "replicates": 15, "gan_seeds": 3}}


def entry(rev: str, params: dict, metrics: dict | None, name: str | None = None, **more) -> dict:
    data = {"params": {"params.yaml": {"data": params}},
            "metrics": {"metrics/headline.json": {"data": metrics}} if metrics else {}}
    return {"rev": rev, "name": name, "data": data, **more}


BASE = {"mix": {"ratios": [50], "mode": "add"}, "data": {"name": "digits", "more_real": [100]}}
LONG = {"mix": {"ratios": list(range(1, 40)), "mode": "add"}, "data": {"name": "mnist_sample", "more_real": [100]}}


def exp_show() -> list[dict]:
    exps = [{"name": "ratios-25", "revs": [entry("a" * 40, {**BASE, "mix": {"ratios": [25], "mode": "add"}},
                                               headline(0.961), name="ratios-25")]},
            {"name": "wide", "revs": [entry("b" * 40, LONG, None, name="wide")]}]
    return [entry("workspace", BASE, headline(0.94)), entry("c" * 40, BASE, None, name="main", experiments=exps)]


def test_every_run_is_a_block_with_its_changed_params_and_its_answer():
    text = render(runs_of(exp_show()))
    blocks = {b.split(":")[0]: b for b in text.strip().split("\n\n")}
    assert list(blocks) == ["workspace", "main", "ratios-25", "wide"]
    assert "params as committed" in blocks["workspace"]
    assert "changed: mix.ratios=[25]" in blocks["ratios-25"]
    assert "mix.ratios=[1,2," in blocks["wide"] and 'data.name="mnist_sample"' in blocks["wide"]
    assert "no metrics" in blocks["main"] and "no metrics" in blocks["wide"]
    rows = {line.split()[0]: line.split() for line in blocks["ratios-25"].splitlines()[3:]}
    assert rows["mix_50"][:5] == ["mix_50", "0.9610", "real", "+1.10", "[-1.00,"]
    assert rows["augmented_mix_50"][2] == "augmented"                # tested against augmented
    assert rows["augmented"][-2:] == ["<0.001", "better"]
    assert rows["real_100"][1:] == ["0.9700", "-", "-", "-", "-"]     # the yardstick: no test
    assert rows["real"][1] == "0.9500"


def test_a_variant_without_an_interval_says_so():
    """One replicate: the headline has the difference but no interval bounds (None)."""
    one = headline(0.96)
    one["pts_low"] = {k: None for k in one["pts_low"]}
    one["pts_high"] = {k: None for k in one["pts_high"]}
    text = render(runs_of([entry("workspace", BASE, one)]))
    assert "  mix_50 " in text and "+1.00 (no interval)" in text


def test_it_fits_100_columns_however_many_params_changed():
    lines = render(runs_of(exp_show())).splitlines()
    assert max(len(line) for line in lines) <= WIDTH
    ratios = next(line for line in lines if "mix.ratios=[1,2," in line)
    assert ratios.endswith("...") and len(ratios) == WIDTH             # a value too long for a line is cut
    assert lines[lines.index(ratios) - 1] == '  changed: data.name="mnist_sample"'   # a line of its own
