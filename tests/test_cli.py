"""The `synthmix` command: the parallel runner behind `train-gans` (GPUs round-robin, CPU share,
failures reported), and bad input answered with one `error:` line and exit status 2."""
import os
import subprocess
import sys

import pytest

from synthmix.cli import main, run_parallel


def test_gpus_round_robin_and_no_thread_share(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not a DVC repository: every job fails fast, which is reported
    jobs = run_parallel(["s@a", "s@b", "s@c"], jobs=2, gpus=["0", "1"], log_dir=tmp_path / "logs")
    assert [jobs[t].env["CUDA_VISIBLE_DEVICES"] for t in ("s@a", "s@b", "s@c")] == ["0", "1", "0"]
    # the thread count is runtime.threads, as under `dvc repro`: --jobs does not change a stage's bytes
    assert all({k: v for k, v in j.env.items() if k != "CUDA_VISIBLE_DEVICES"} == dict(os.environ)
               for j in jobs.values())
    assert all(j.returncode != 0 and j.attempts == 1 for j in jobs.values())
    assert (tmp_path / "logs" / "s_a.log").read_text()


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
])
def test_bad_input_is_one_error_line_and_exit_status_2(tmp_path, params, args, message):
    if params is not None:
        (tmp_path / "params.yaml").write_text(params)
    out = synthmix(tmp_path, *args)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""


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


STATUS = """Task     Name        Created    Status
a1b2c3d  old-50      Nov 30, 2026  Success
e4f5a6b  ratios-25   10:01 PM   {first}
c7d8e9f  ratios-75   10:01 PM   {second}
"""


def fake_dvc(statuses: list):
    """`dvc queue status` answering from `statuses` in turn (None: the call fails), as the sweep sees it."""
    calls = iter(statuses)

    def dvc(*args, capture=False):
        assert args == ("queue", "status") and capture
        answer = next(calls)
        return subprocess.CompletedProcess(args, 1 if answer is None else 0, answer or "", "")
    return dvc


def test_queue_table_is_read_per_task_and_counted_for_this_sweep_only():
    from synthmix.cli import queue_counts, queue_tasks

    tasks = queue_tasks(STATUS.format(first="Running", second="Queued"))
    assert tasks == {"a1b2c3d": ("old-50", "Success"), "e4f5a6b": ("ratios-25", "Running"),
                     "c7d8e9f": ("ratios-75", "Queued")}                     # the header is not a task
    counts = queue_counts(tasks, {"e4f5a6b", "c7d8e9f"})
    assert counts == {"Queued": 1, "Running": 1, "Success": 0, "Failed": 0}   # old-50 is not ours


def test_sweep_waits_until_each_of_its_tasks_has_ended(monkeypatch):
    import synthmix.cli as cli

    ours = {"e4f5a6b", "c7d8e9f"}
    running = STATUS.format(first="Running", second="Queued")
    # a failed status call and a poll where a task is between states neither end the wait early
    between = "Task Name Created Status\ne4f5a6b  ratios-25  10:01 PM  Success\n"
    done = STATUS.format(first="Success", second="Failed")
    monkeypatch.setattr(cli, "dvc", fake_dvc([running, None, between, done]))
    tasks = cli.wait_for_tasks(ours, poll=0)
    assert tasks["e4f5a6b"][1] == "Success" and tasks["c7d8e9f"][1] == "Failed"
    # a task gone from the queue for `patience` polls in a row ends it, not forever
    monkeypatch.setattr(cli, "dvc", fake_dvc([between] * 3))
    assert "c7d8e9f" not in cli.wait_for_tasks(ours, poll=0, patience=3)
    # and so does a `dvc queue status` that keeps failing
    monkeypatch.setattr(cli, "dvc", fake_dvc([running] + [None] * 3))
    assert cli.wait_for_tasks(ours, poll=0, patience=3)["c7d8e9f"][1] == "Queued"
