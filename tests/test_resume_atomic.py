"""Resumable GAN training and outputs that never survive a failed stage."""
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from synthmix.core import io, stage
from synthmix.core.errors import DataError
from synthmix.core.resume import Resume
from synthmix.core.runtime import Runtime
from synthmix.gan.train import GanRun, train_gan
from synthmix.params import GanParams

P = GanParams(z_dim=8, g_width=4, d_width=4, steps=40, batch_size=8, log_every=5, checkpoint_every=10,
              eval_every=10)


def score(G) -> float:  # any deterministic function of the weights: the best snapshot must survive a resume
    return float(sum(p.double().sin().sum() for p in G.parameters()))


class Interrupt(Exception):
    pass


def _images():
    return np.random.default_rng(0).integers(0, 256, (24, 16, 16, 1), dtype=np.uint8)


def test_resumed_training_equals_uninterrupted(tmp_path):
    torch.set_num_threads(1)
    logged_full = []
    full = train_gan(_images(), P, 3, Runtime(torch.device("cpu"), log=lambda s, v: logged_full.append((s, v))),
                     GanRun(score=score))

    resume = Resume(tmp_path, "k", P.checkpoint_every)
    logged_a = []

    def crash_at_25(step, values):
        logged_a.append((step, values))
        if step == 25:
            raise Interrupt  # like a kill between checkpoints 20 and 30
    with pytest.raises(Interrupt):
        train_gan(_images(), P, 3, Runtime(torch.device("cpu"), log=crash_at_25), GanRun(resume=resume, score=score))
    assert torch.load(resume.path, weights_only=True)["step"] == 20

    logged_b = []
    res = train_gan(_images(), P, 3, Runtime(torch.device("cpu"), log=lambda s, v: logged_b.append((s, v))),
                    GanRun(resume=resume, score=score))
    for (name, a), b in zip(full.G.state_dict().items(), res.G.state_dict().values()):
        assert torch.equal(a, b), name
    assert res.info == full.info and len(full.info["scores"]) == 4
    assert logged_b == logged_full  # the curve up to the checkpoint is replayed, then continues


def test_resume_key_changes_with_params(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNTHMIX_RESUME_DIR", str(tmp_path))
    a = Resume.for_item("train_gan", "3", 10, gan={"lr": 1})
    b = Resume.for_item("train_gan", "3", 10, gan={"lr": 2})
    assert a.dir == b.dir == tmp_path / "train_gan" / "3" and a.path != b.path
    a.save({"step": 1})
    b.save({"step": 2})
    # each key resumes only its own state; another key's (another experiment on this class) is kept
    assert a.load() == {"step": 1} and b.load() == {"step": 2}
    b.path.write_bytes(b"garbage")
    assert b.load() is None                                   # unreadable: start over


def test_failed_stage_removes_its_outputs(tmp_path, capsys):
    out = tmp_path / "out.npy"

    def main_user_error():
        io.save_npy(out, np.zeros(3))
        curves = stage.open_run_log(tmp_path / "live")
        curves.log(1, {"loss": 0.5})
        curves.end()                                  # written, then the stage fails: removed too
        raise DataError("bad.csv: broken")
    with pytest.raises(SystemExit) as e:
        stage.run(main_user_error)
    assert e.value.code == 2 and "error: bad.csv: broken" in capsys.readouterr().err
    assert not out.exists() and not (tmp_path / "live").exists()

    def main_crash():
        io.save_npy(out, np.zeros(3))
        raise RuntimeError("boom")
    with pytest.raises(RuntimeError):
        stage.run(main_crash)
    assert not out.exists()

    def main_ok():
        io.save_npy(out, np.zeros(3))
    stage.run(main_ok)
    assert out.exists()
    io.WRITTEN.clear()


def stage_signalled_midway(tmp_path, signame: str) -> subprocess.CompletedProcess:
    """A stage that writes a.npy, receives `signame`, then would write b.npy."""
    code = f"""
import os, signal, numpy as np
from synthmix.core import io, stage
def main():
    io.save_npy({str(tmp_path / 'a.npy')!r}, np.zeros(3))
    os.kill(os.getpid(), signal.{signame})
    io.save_npy({str(tmp_path / 'b.npy')!r}, np.zeros(3))
stage.run(main)
"""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def test_sigterm_removes_partial_outputs(tmp_path):
    r = stage_signalled_midway(tmp_path, "SIGTERM")
    assert r.returncode == 128 + 15, r.stderr
    assert not (tmp_path / "a.npy").exists() and not (tmp_path / "b.npy").exists()


def test_stale_temp_files_from_a_killed_writer_are_cleaned(tmp_path):
    stale = tmp_path / ".x.npy.abc123.tmp"
    stale.write_bytes(b"half")
    io.save_npy(tmp_path / "x.npy", np.ones(2))
    assert not stale.exists() and np.load(tmp_path / "x.npy").tolist() == [1, 1]
    io.WRITTEN.clear()


def test_checkpoints_load_weights_only(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo owned",))
    torch.save({"x": Evil()}, tmp_path / "evil.pt")
    with pytest.raises(DataError, match="evil.pt: not a readable checkpoint"):
        io.load_torch(tmp_path / "evil.pt")


def test_ctrl_c_removes_partial_outputs_and_says_one_line(tmp_path):
    r = stage_signalled_midway(tmp_path, "SIGINT")
    assert r.returncode == 130, r.stderr
    assert not (tmp_path / "a.npy").exists() and not (tmp_path / "b.npy").exists()
    assert "Traceback" not in r.stderr and "interrupted:" in r.stderr and len(r.stderr.strip().splitlines()) <= 2
