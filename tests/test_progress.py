"""Progress bars show on a terminal and are absent when the output is not one (DVC logs, CI)."""
import subprocess
import sys

import pytest

# A tiny GAN and classifier run, as a stage would run them, in a child process whose output is piped.
SCRIPT = """
import numpy as np, torch
from synthmix.classifier.train import fit
from synthmix.core.runtime import Runtime
from synthmix.gan.train import GanRun, train_gan
from synthmix.params import CnnParams, GanParams
x = np.random.default_rng(0).integers(0, 256, (16, 16, 16, 1), dtype=np.uint8)
cpu = Runtime(torch.device("cpu"))
train_gan(x, GanParams(z_dim=4, g_width=4, d_width=4, steps=6, batch_size=4, log_every=2, eval_every=0,
                       checkpoint_every=0), 0, cpu, GanRun(name="class '0'"))
fit((x, np.arange(16) % 2), (x[:4], np.arange(4) % 2), 2, CnnParams(width=4, batch_size=8), 4, 0, cpu)
print("done")
"""


@pytest.mark.parametrize("forced,shown", [(None, False), ("1", True), ("0", False)])
def test_progress_only_on_a_terminal(forced, shown):
    env = {"SYNTHMIX_PROGRESS": forced} if forced else {}
    import os

    env = {k: v for k, v in os.environ.items() if k != "SYNTHMIX_PROGRESS"} | env
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "done\n"
    bars = ("GAN class '0'" in out.stderr) and ("classifier" in out.stderr) and ("step" in out.stderr)
    assert bars == shown, out.stderr
    if not shown:
        assert "\r" not in out.stderr and "%|" not in out.stderr
