"""A GAN stage killed with SIGKILL part way through: DVC never takes its outputs as valid, and the
next `dvc repro` resumes from the last checkpoint to exactly the bytes of an uninterrupted run."""
import hashlib
import os
import signal
import subprocess
import sys
import time

import pytest

from test_e2e import TINY, dvc, make_repo, repro, stage_env

pytestmark = pytest.mark.e2e

PARAMS = {**TINY, "gan": {**TINY["gan"], "steps": 800, "checkpoint_every": 100, "log_every": 50}}


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_sigkill_then_repro_resumes_to_identical_output(tmp_path):
    repo = make_repo(tmp_path, PARAMS)
    repro(repo, "prepare")
    ckpt_dir = repo / ".synthmix/resume/train_gan/0-0"
    env = stage_env()
    proc = subprocess.Popen([sys.executable, "-m", "dvc", "repro", "train_gan@0-0"], cwd=repo, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while not list(ckpt_dir.glob("*.pt")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # dvc and the stage's python, mid-training
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "training finished before it could be killed"
    assert list(ckpt_dir.glob("*.pt")), "no checkpoint was written before the kill"

    # nothing half-written is taken as valid: the output is absent and DVC says the stage changed
    assert not (repo / "models/gan/0/0.pt").exists()
    status = dvc(repo, "status", "train_gan@0-0").stdout
    assert "train_gan@0-0" in status and "up to date" not in status

    out = dvc(repo, "repro", "train_gan@0-0")
    assert "resumed from step" in out.stderr + out.stdout
    resumed = sha(repo / "models/gan/0/0.pt")
    assert not list(ckpt_dir.glob("*.pt"))  # cleared after success
    assert "up to date" in dvc(repo, "status", "train_gan@0-0").stdout

    # the same stage run from scratch, uninterrupted, gives the same bytes
    out = dvc(repo, "repro", "-f", "-s", "train_gan@0-0")
    assert "resumed" not in out.stderr + out.stdout
    assert sha(repo / "models/gan/0/0.pt") == resumed
