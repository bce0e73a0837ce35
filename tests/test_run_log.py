"""The run log writes dvclive's layout, which DVC reads as plots and metrics."""
import json
import os

from synthmix.core.live import RunLog


def test_run_log_writes_curves_and_summary_in_dvclives_layout(tmp_path):
    log = RunLog(tmp_path / "run")
    log.log(1, {"loss": 0.5, "acc": 0.25})
    log.log(2, {"loss": 0.125})
    log.log(3, {"fid_judge": 1.5})
    log.summary.update(best_epoch=2)
    log.end()
    assert (tmp_path / "run/plots/metrics/loss.tsv").read_text() == "step\tloss\n1\t0.5\n2\t0.125\n"
    assert (tmp_path / "run/plots/metrics/acc.tsv").read_text() == "step\tacc\n1\t0.25\n"
    summary = json.loads((tmp_path / "run/metrics.json").read_text())
    assert summary == {"loss": 0.125, "acc": 0.25, "fid_judge": 1.5, "step": 3, "best_epoch": 2}


def test_dvc_reads_the_run_log_exactly_as_it_reads_dvclives_files(tmp_path, monkeypatch):
    """synthmix keeps its own writer (dvclive's import and set-up cost a stage process a noticeable
    share of its start-up, docs/outputs.md: "Run logs and dvclive"); this pins that the files are dvclive's: the same
    curves logged through dvclive and through RunLog give byte-identical TSVs, the same metrics, and
    the same `dvc plots` and `dvc metrics` data."""
    import subprocess
    import sys

    import dvclive
    from dvc.repo import Repo

    monkeypatch.chdir(tmp_path)           # dvclive attaches to the repository it runs in: this one, not ours
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    for cmd in (["git", "init", "-q"], ["git", "commit", "-q", "--allow-empty", "-m", "init"],
                [sys.executable, "-m", "dvc", "init", "-q"]):
        subprocess.run(cmd, cwd=tmp_path, check=True, env=env | {"PATH": os.environ["PATH"], "DVC_NO_ANALYTICS": "1"})
    rows = [(1, {"loss": 0.5, "acc": 0.25}), (2, {"loss": 0.125}), (3, {"fid_judge": 1.0 / 3.0})]
    with dvclive.Live(str(tmp_path / "theirs"), save_dvc_exp=False, dvcyaml=False) as live:
        for step, values in rows:
            live.step = step
            for name, value in values.items():
                live.log_metric(name, value)
        live.summary["best_step"] = 2
    ours = RunLog(tmp_path / "ours")
    for step, values in rows:
        ours.log(step, values)
    ours.summary["best_step"] = 2
    ours.end()
    for name in ("loss", "acc", "fid_judge"):
        tsv = f"plots/metrics/{name}.tsv"
        assert (tmp_path / "ours" / tsv).read_bytes() == (tmp_path / "theirs" / tsv).read_bytes()
    # the same keys and values (dvclive writes "step" after the summary's own keys, we before them)
    assert json.loads((tmp_path / "ours/metrics.json").read_text()) == json.loads(
        (tmp_path / "theirs/metrics.json").read_text())
    (tmp_path / "dvc.yaml").write_text("metrics: [ours/metrics.json, theirs/metrics.json]\n"
                                       "plots: [ours/plots/metrics, theirs/plots/metrics]\n")
    repo = Repo(str(tmp_path))
    metrics = repo.metrics.show()[""]["data"]
    assert metrics["ours/metrics.json"]["data"] == metrics["theirs/metrics.json"]["data"]
    sources = repo.plots.show()["workspace"]["sources"]["data"]
    for name in ("loss", "acc", "fid_judge"):
        assert sources[f"ours/plots/metrics/{name}.tsv"]["data"] == sources[f"theirs/plots/metrics/{name}.tsv"]["data"]
