"""No output depends on where the project, the data or Python live: `download` + `prepare` run
from two clones at different paths, each with a virtualenv of its own (the second holding its own
copy of scikit-learn, whose embedded digits file is the default dataset), give the same dvc.lock
hashes, so teammates share one run-cache."""
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

from test_e2e import TINY, make_repo, stage_env

pytestmark = pytest.mark.e2e


def own_venv(dest: Path) -> Path:
    """A virtualenv at `dest` whose scikit-learn is its own copy (another install path) and which
    sees the running environment's other packages through a .pth file; returns its bin directory."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(dest)], check=True)
    site = Path(subprocess.run([str(dest / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               check=True, capture_output=True, text=True).stdout.strip())
    ours = Path(sysconfig.get_path("purelib"))
    import sklearn
    shutil.copytree(Path(sklearn.__file__).parent, site / "sklearn")
    (site / "zz_shared.pth").write_text(f"{ours}\n{Path(__file__).resolve().parents[1] / 'src'}\n")
    return dest / "bin"


def lock_hashes(repo: Path, bin_dir: Path) -> dict:
    out = subprocess.run([sys.executable, "-m", "dvc", "repro", "prepare"], cwd=repo, capture_output=True, text=True,
                         env=stage_env(bin_dir))
    assert out.returncode == 0, out.stdout + out.stderr
    lock = yaml.safe_load((repo / "dvc.lock").read_text())["stages"]
    return {name: [o["md5"] for o in stage["outs"]] for name, stage in lock.items()}


def test_two_clones_with_two_virtualenvs_write_the_same_hashes(tmp_path):
    a = make_repo(_mk(tmp_path / "first"), TINY)
    b = make_repo(_mk(tmp_path / "elsewhere/deeper/second"), TINY)
    bin_b = own_venv(tmp_path / "venv-b")
    probe = subprocess.run([str(bin_b / "python"), "-c", "import importlib.util as u; print(u.find_spec('sklearn').origin)"],
                           capture_output=True, text=True, check=True).stdout
    assert str(tmp_path / "venv-b") in probe                  # the second clone's digits file lives elsewhere
    first, second = lock_hashes(a, Path(sys.executable).parent), lock_hashes(b, bin_b)
    assert set(first) == {"locate", "download", "prepare"} and first == second
    meta = (b / "data/raw/meta.json").read_text()
    assert str(tmp_path) not in meta and "sklearn/datasets/data/digits.csv.gz" in meta


def _mk(path: Path) -> Path:
    path.mkdir(parents=True)
    return path
