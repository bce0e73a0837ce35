"""The `synthmix` command: bad input (params, ratios, --jobs, --cluster, a CPU thread count that
--jobs would share) answered before any work with one `error:` line and exit status 2. The runner
itself: tests/test_cluster.py and tests/test_e2e_cluster.py."""
import os
import subprocess
import sys

import pytest

from synthmix.cli import main


def test_unknown_class_is_refused_before_any_work(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_text("data:\n  classes: ['0', '1']\n")
    assert main(["train-gans", "--classes", "7"]) == 2
    assert "classes ['7'] are not in data.classes" in capsys.readouterr().err


def test_jobs_on_cpu_need_a_pinned_thread_count(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    (tmp_path / "params.yaml").write_text("data:\n  classes: ['0', '1']\nruntime:\n  threads: 0\n")
    assert main(["train-gans", "-j", "2"]) == 2
    err = capsys.readouterr().err
    assert "runtime.threads" in err and "--jobs 2" in err and "dvc" not in err.split("error:")[0]


def synthmix(cwd, *args):
    return subprocess.run([sys.executable, "-m", "synthmix", *args], cwd=cwd, capture_output=True, text=True)


def test_version_and_python_dash_m(tmp_path):
    from synthmix import __version__

    out = synthmix(tmp_path, "--version")
    assert out.returncode == 0 and out.stdout.strip() == f"synthmix {__version__}"


GOOD = "mix:\n  ratios: [25]\n  mode: add\n"


@pytest.mark.parametrize("params,args,message", [
    (None, ["sweep", "abc"], "error: sweep 'abc': ratio 'abc': each experiment is a comma-separated list"),
    (None, [], "error: the following arguments are required: command"),
    (None, ["sweep", "50", "--jobs", "0"], "error: --jobs 0: must be >= 1"),
    (None, ["train-gans"], "error: params: params.yaml not found"),
    ("gan: [unclosed\n", ["train-gans"], "error: params: params.yaml is not valid YAML at line 2, column 1"),
    ("gan:\n  steps: -3\n", ["train-gans"], "error: params: gan.steps = -3: must be an int >= 1"),
    (GOOD, ["sweep", "25", "100"], "error: sweep ratio 100 with mix.mode = 'add':"),
    (GOOD, ["sweep", "10,x5"], "error: sweep '10,x5': ratio 'x5'"),
    (GOOD, ["run", "--cluster", "local:0"], "error: --cluster 'local:0': local:N takes a worker count >= 1"),
    (GOOD, ["run", "--cluster", "ftp://h"], "error: --cluster 'ftp://h': use local:N, tcp://host:port"),
    (GOOD, ["train-gans", "-c", "slurm:gpu=1"], "error: --cluster 'slurm:gpu=1': 'gpu=1' is not key=value"),
    (GOOD, ["run", "--cluster", "local:1"], "error: "),          # not a git repository
])
def test_bad_input_is_one_error_line_and_exit_status_2(tmp_path, params, args, message):
    if params is not None:
        (tmp_path / "params.yaml").write_text(params)
    out = synthmix(tmp_path, *args)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""
    if args[:1] == ["run"] and "local:1" in args:
        assert "has no git commit to run" in out.stderr


def test_train_gans_takes_a_class_name_starting_with_a_dash(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_text("data:\n  classes: ['-lead', 'b']\n")
    # an unknown one is refused before any work: the parser took the names whole
    assert main(["train-gans", "--classes=-lead", "--classes", "zz"]) == 2
    assert "classes ['zz'] are not in data.classes" in capsys.readouterr().err


def test_jobs_with_gpus_visible_but_device_cpu_need_a_pinned_thread_count(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    (tmp_path / "params.yaml").write_text("data:\n  classes: ['0', '1']\nruntime:\n  device: cpu\n  threads: 0\n")
    assert main(["train-gans", "-j", "2"]) == 2
    assert "runtime.threads" in capsys.readouterr().err
