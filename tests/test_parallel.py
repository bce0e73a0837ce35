"""Replicates side by side: forked workers of one torch thread each give the bytes of a sequential
run, and a failing job fails the stage with its own error."""
import numpy as np
import pytest
import torch

from synthmix.core.errors import DataError
from synthmix.core.parallel import map_one_thread_each
from synthmix.classifier.train import fit
from synthmix.core.runtime import Runtime
from synthmix.params import CnnParams

X = np.random.default_rng(0).integers(0, 256, (40, 8, 8, 1), dtype=np.uint8)
Y = np.arange(40) % 2


def weights(seed: int) -> bytes:
    model, _, _ = fit((X, Y), (X[:8], Y[:8]), 2, CnnParams(width=4, batch_size=8), 12, seed, Runtime(torch.device("cpu")))
    return b"".join(v.numpy().tobytes() for v in model.state_dict().values())


def test_workers_give_the_bytes_of_a_sequential_run():
    threads = torch.get_num_threads()
    forked = map_one_thread_each(weights, range(3), workers=2)
    assert torch.get_num_threads() == threads                        # the parent's setting is untouched
    assert forked == map_one_thread_each(weights, range(3), workers=1)
    assert len(set(forked)) == 3                                      # three different seeds


def fail_on_two(i: int) -> int:
    if i == 2:
        raise DataError("class 'b' has 3 unique synthetic images")
    return i


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failing_job_raises_its_own_error(workers):
    with pytest.raises(DataError, match="class 'b' has 3 unique"):
        map_one_thread_each(fail_on_two, range(4), workers)
    assert map_one_thread_each(fail_on_two, [0, 1], workers) == [0, 1]


def fail_one_while_others_write(job: tuple) -> None:
    i, failing, folder = job
    if i == failing:
        raise DataError(f"replicate {i} failed")
    import time
    time.sleep(1.5)                                   # still running when the other replicate fails
    (folder / f"{i}.done").write_text("written after the failure")


@pytest.mark.parametrize("failing", [0, 1])
def test_a_failure_stops_the_running_jobs_before_it_is_raised(tmp_path, failing):
    # the stage removes its outputs when the error reaches it: no job may write after that; and a
    # failure of replicate 1 must not wait for replicate 0, before it in order, to finish
    with pytest.raises(DataError, match=f"replicate {failing} failed"):
        map_one_thread_each(fail_one_while_others_write, [(0, failing, tmp_path), (1, failing, tmp_path)], workers=2)
    import time
    time.sleep(2.0)
    assert list(tmp_path.iterdir()) == []
