"""Independent jobs of one stage (the replicates of a classifier variant) on several CPU cores.

Small CNNs use two cores poorly from one process: on this project's 2-core CPU, 6 digits-sized
classifiers trained in 52.1 s with two torch threads, 61.2 s with one, and 30.6 s in two forked
processes of one thread each (benchmarks/replicate_workers.py, figures in benchmarks/HISTORY.md). So the jobs run in forked worker processes
with one torch thread each. Every job then computes with one thread, whatever the number of workers, so its
bytes do not depend on the core count (the sequential path uses one thread too). Forking happens
before the stage has run any torch computation, and never on CUDA (one process owns the device).
"""
from __future__ import annotations

import multiprocessing
import signal
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from typing import Callable, Iterable, TypeVar

import torch

T = TypeVar("T")
_JOB: Callable | None = None           # the forked workers inherit it: nothing but items and results is pickled


def _call(item):
    return _JOB(item)


def _one_thread() -> None:
    torch.set_num_threads(1)
    # Ctrl-C reaches the whole process group: the stage process stops the workers (_stop_workers),
    # so a worker must not die of it on its own, printing a traceback per worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def map_one_thread_each(fn: Callable[[object], T], items: Iterable, workers: int) -> list[T]:
    """[fn(i) for i in items], each call computing with one torch thread, `workers` calls at a time
    in forked processes (workers <= 1: in this process, in order). A job's exception is raised
    here as soon as it happens; a worker that dies (killed, out of memory) raises BrokenProcessPool;
    either way the jobs still running are stopped and those not yet started cancelled."""
    global _JOB
    items = list(items)
    if workers <= 1 or len(items) <= 1:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return [fn(i) for i in items]
        finally:
            torch.set_num_threads(threads)
    _JOB = fn
    pool = ProcessPoolExecutor(min(workers, len(items)), mp_context=multiprocessing.get_context("fork"),
                               initializer=_one_thread)
    try:
        futures = [pool.submit(_call, item) for item in items]
        # the first failure ends the stage now, not when the jobs before it in order have finished
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        failed = next((f for f in futures if f in done and f.exception() is not None), None)
        if failed is not None:
            raise failed.exception()
        results = [f.result() for f in futures]
    except BaseException:
        _stop_workers(pool)
        raise
    pool.shutdown()
    return results


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Kill the jobs still running and wait for them: cancelling only stops the jobs not yet
    started, and a job left running would write its replicate into the output directories after
    the failed stage has removed them (a half-written output DVC could take as valid)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())   # before shutdown, which drops them
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join()
