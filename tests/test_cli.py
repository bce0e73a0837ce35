"""The parallel runner behind `synthmix train-gans`: GPUs round-robin, CPU share, failures reported."""
import os

from synthmix.cli import main, run_parallel


def test_gpus_round_robin_and_cpu_share(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not a DVC repository: every job fails fast, which is reported
    jobs = run_parallel(["s@a", "s@b", "s@c"], jobs=2, gpus=["0", "1"], log_dir=tmp_path / "logs")
    assert [jobs[t].env["CUDA_VISIBLE_DEVICES"] for t in ("s@a", "s@b", "s@c")] == ["0", "1", "0"]
    share = str(max(1, (os.cpu_count() or 1) // 2))
    assert all(j.env["SYNTHMIX_CPU_SHARE"] == share for j in jobs.values())
    assert all(j.returncode != 0 and j.attempts == 1 for j in jobs.values())
    assert (tmp_path / "logs" / "s_a.log").read_text()


def test_unknown_class_is_refused_before_any_work(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_text("data:\n  classes: ['0', '1']\n")
    assert main(["train-gans", "--classes", "7"]) == 2
    assert "classes ['7'] are not in data.classes" in capsys.readouterr().err
