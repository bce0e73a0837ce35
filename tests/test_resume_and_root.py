"""Resume checkpoints of two experiments on one item coexist; an empty data.root is refused."""
import os
import time

import pytest

from synthmix.core import resume as resume_mod
from synthmix.core.resume import Resume
from synthmix.data.root import check_root
from synthmix.params import ParamsError


def test_saving_one_key_keeps_another_experiments_checkpoint(tmp_path):
    a = Resume(tmp_path / "train_gan/3", "key_of_experiment_a", every=10)
    b = Resume(tmp_path / "train_gan/3", "key_of_experiment_b", every=10)
    a.save({"step": 10})
    b.save({"step": 20})
    a.save({"step": 20})
    assert a.load() == {"step": 20} and b.load() == {"step": 20}


def test_abandoned_checkpoints_are_pruned_after_stale_days(tmp_path):
    a = Resume(tmp_path, "current", every=10)
    old = Resume(tmp_path, "abandoned", every=10)
    old.save({"step": 5})
    month_ago = time.time() - (resume_mod.STALE_DAYS + 1) * 86400
    os.utime(old.path, (month_ago, month_ago))
    a.save({"step": 10})
    assert a.path.exists() and not old.path.exists()


def test_checkpoints_are_saved_durably(tmp_path, monkeypatch):
    synced = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd))[1])
    Resume(tmp_path, "k", every=10).save({"step": 10})
    assert len(synced) == 2          # the checkpoint file before its rename, then its folder


@pytest.mark.parametrize("root", ["", "   "])
def test_empty_data_root_is_refused_naming_the_key(root):
    with pytest.raises(ParamsError, match=r"data.root = .*: empty; it must be the folder"):
        check_root("mnist", root)
