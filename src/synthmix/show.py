"""`synthmix show`: the answer of the workspace and of each experiment, one block each, at 100 columns.

Plain `dvc exp show` prints every param and metric as a column (about a hundred of each): unreadable
in a terminal. This reads the same data from DVC (`dvc exp show --json`: the workspace, the commit it
stands on and that commit's experiments) and prints, per run, the params it changed against the
commit and one row per variant from `metrics/headline.json`: test accuracy, the variant it is tested
against, the paired difference with its 95% interval, the Holm-adjusted p and the verdict's words.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from synthmix.variants import Variant

HEADLINE = "metrics/headline.json"
WIDTH = 100


def runs_of(exp_show: list[dict]) -> list[tuple[str, dict, dict]]:
    """(name, params, headline) of the workspace, its commit and each of the commit's experiments, in
    `dvc exp show`'s order. `exp_show` is `dvc exp show --json`'s list; a run without metrics has {}."""
    runs = []
    for entry in exp_show:
        runs.append((entry.get("name") or short(entry["rev"]), *_params_and_headline(entry)))
        for exp in entry.get("experiments") or []:
            for rev in exp.get("revs") or []:
                runs.append((rev.get("name") or exp.get("name") or short(rev["rev"]), *_params_and_headline(rev)))
    return runs


def short(rev: str) -> str:
    """A commit's first 7 hex digits; 'workspace' as it is."""
    return rev if rev == "workspace" else rev[:7]


def _params_and_headline(entry: dict) -> tuple[dict, dict]:
    data = entry.get("data") or {}
    params = ((data.get("params") or {}).get("params.yaml") or {}).get("data") or {}
    headline = ((data.get("metrics") or {}).get(HEADLINE) or {}).get("data") or {}
    return params, headline


def flatten(doc: dict, prefix: str = "") -> dict[str, object]:
    """{'gan': {'seeds': [0]}} -> {'gan.seeds': [0]}: the dotted keys `dvc exp run -S` takes."""
    flat: dict[str, object] = {}
    for key, value in doc.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def changed(params: dict, base: dict) -> list[str]:
    """`key=value` for every param that differs from `base` (the commit's params.yaml), the value as
    `-S` takes it (`mix.ratios=[25,50]`)."""
    mine, theirs = flatten(params), flatten(base)
    return [f"{k}={json.dumps(mine.get(k), separators=(',', ':'))}" for k in sorted(set(mine) | set(theirs)) if mine.get(k) != theirs.get(k)]


def answer_lines(headline: dict) -> list[str]:
    """One line per variant of a run's headline.json, the columns fitted to WIDTH."""
    if not headline.get("acc"):
        return ["  (no metrics: the run has not reached the report stage)"]
    lines = [f"  {'variant':<20} {'accuracy':>8}  {'against':<10} {'difference, points [95% interval]':<33} "
             f"{'Holm p':>7}  verdict"]
    for name, acc in headline["acc"].items():
        diff, against = "-", "-"
        if headline.get("pts", {}).get(name) is not None:
            against = Variant.parse(name).baseline or "-"
            low, high = headline.get("pts_low", {}).get(name), headline.get("pts_high", {}).get(name)
            # one replicate has no interval (the exact McNemar test on its test images instead)
            diff = f"{headline['pts'][name]:+.2f} " + ("(no interval)" if low is None else f"[{low:+.2f}, {high:+.2f}]")
        p = headline.get("p_holm", {}).get(name)
        lines.append(f"  {name:<20} {acc:>8.4f}  {against:<10} {diff:<33} {p_cell(p):>7}  "
                     f"{headline.get('verdict', {}).get(name, '-')}"[:WIDTH])
    return lines


def p_cell(p: float | None) -> str:
    return "-" if p is None else "<0.001" if p < 0.001 else f"{p:.3f}"


def wrap(words: list[str], indent: str = "  ") -> list[str]:
    """Words joined by spaces into lines of at most WIDTH characters (a longer word stands alone, cut
    to the width with '...')."""
    lines, line = [], indent
    for word in words:
        if len(indent) + len(word) > WIDTH:
            word = word[:WIDTH - len(indent) - 3] + "..."
        if line.strip() and len(line) + 1 + len(word) > WIDTH:
            lines.append(line)
            line = indent
        line += ("" if not line.strip() else " ") + word
    return lines + ([line] if line.strip() else [])


def render(runs: list[tuple[str, dict, dict]]) -> str:
    """Every run as a block: its name, the params it changed against the commit, its answer."""
    base = runs[1][1] if len(runs) > 1 else runs[0][1]        # [0] is the workspace, [1] its commit
    blocks = []
    for name, params, headline in runs:
        design = headline.get("design", {})
        title = f"{name}: " + (", ".join(f"{k} {v}" for k, v in design.items()) if design else "no design")
        diff = changed(params, base)
        blocks.append("\n".join([title[:WIDTH], *wrap(["changed:", *diff] if diff else ["params as committed"]),
                                 *answer_lines(headline)]))
    return "\n\n".join(blocks) + "\n"


def main(repo: Path = Path(".")) -> int:
    out = subprocess.run([sys.executable, "-m", "dvc", "exp", "show", "--json"], cwd=repo, capture_output=True,
                         text=True)
    if out.returncode != 0:
        print(f"error: dvc exp show: {out.stderr.strip() or out.stdout.strip()}", file=sys.stderr)
        return 2
    sys.stdout.write(render(runs_of(json.loads(out.stdout))))
    return 0
