"""Team workflow: per-class GANs trained in parallel with `synthmix train-gans` (a local Dask
cluster of 2 workers), then the results
shared through a DVC remote so a second clone restores every stage without running any."""
import hashlib
import sys

import pytest

from test_e2e import TINY, dvc, make_repo, repro, run

pytestmark = pytest.mark.e2e


def digest(repo, paths):
    return {p: hashlib.sha256((repo / p).read_bytes()).hexdigest() for p in paths}


def test_parallel_gans_then_share_through_remote_and_run_cache(tmp_path):
    a = tmp_path / "a"
    a.mkdir()
    make_repo(a, TINY)

    out = run([sys.executable, "-m", "synthmix.cli", "train-gans", "--jobs", "2", "--generate"], a)
    # the GANs and what they need (locate, download, prepare, the judge, the base), then refine and synthesize,
    # on a local cluster of 2 workers; restored here from the run-cache without running again
    assert "9 stages done on the cluster" in out.stdout and "[train_gan@1-0] done in" in out.stdout, out.stdout
    assert "ran here" not in out.stdout
    for c in ("0", "1"):
        assert (a / f"models/gan/0/{c}.pt").exists() and (a / f"data/synthetic/raw/0/{c}.npy").exists()
        assert f"train_gan@{c}-0" in (a / "dvc.lock").read_text()
    status = dvc(a, "status").stdout
    assert "train_gan@" not in status and "synthesize" not in status  # dvc.lock is correct for each
    ran = repro(a)
    assert ran and not any(s.startswith(("train_gan@", "refine", "synthesize")) for s in ran)
    assert "train_synthetic" in ran and "report" in ran

    # clone A pushes data, models and the run-cache to a shared remote (a local directory here)
    dvc(a, "remote", "add", "-d", "shared", str(tmp_path / "remote"))
    dvc(a, "push", "--run-cache")
    run(["git", "add", "-A"], a)
    run(["git", "commit", "-qm", "results"], a)

    # clone B has the code and params but no dvc.lock: only the run-cache can tell it what was run
    b = tmp_path / "b"
    run(["git", "clone", "-q", str(a), str(b)], tmp_path)
    (b / "dvc.lock").unlink()
    out = dvc(b, "repro", "--pull")  # each stage's run-cache entry and outputs come from the remote
    assert "Running stage" not in out.stdout, out.stdout
    # every stage: those run by repro, plus locate, download, prepare, train_judge, the base, 2 GANs, refine,
    # synthesize
    assert out.stdout.count("skipping run") == len(ran) + 9, out.stdout
    files = ["models/gan/0/1.pt", "data/synthetic/filtered/0/1.npy", "models/classifier/mix_50/0.pt",
             "metrics/summary.json"]
    assert digest(b, files) == digest(a, files)
    assert "up to date" in dvc(b, "status").stdout

    # a third clone with the committed dvc.lock just pulls: nothing to run either
    c = tmp_path / "c"
    run(["git", "clone", "-q", str(a), str(c)], tmp_path)
    dvc(c, "pull")
    assert "up to date" in dvc(c, "status").stdout
    assert repro(c) == set()
    assert digest(c, files) == digest(a, files)
