"""Device, threads, seeds and determinism: one place that sets them for every stage."""
from __future__ import annotations

import contextlib
import os

import torch

from synthmix.core.seeds import seed_for  # noqa: F401  (re-exported: runtime.seed_for)
from synthmix.params import RuntimeParams


def setup(runtime: RuntimeParams) -> torch.device:
    """Apply the runtime section and return the device to compute on."""
    torch.set_num_threads(cpu_threads(runtime))
    if runtime.device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("runtime.device = 'cuda' but torch sees no CUDA device; use 'auto' or 'cpu'")
    use_cuda = runtime.device == "cuda" or (runtime.device == "auto" and torch.cuda.is_available())
    # On CPU, seeded runs with the same thread count are already bit-identical (tests/test_e2e.py
    # checks it); the switch matters on CUDA, where atomics and cuDNN autotuning reorder sums.
    # (It is not set on CPU because it imports torch's compiler stack: ~1.5 s per stage.)
    if runtime.deterministic and use_cuda:
        # cuBLAS needs this set before its first use to be deterministic.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.benchmark = False
    return torch.device("cuda" if use_cuda else "cpu")


def cpu_threads(runtime: RuntimeParams) -> int:
    """runtime.threads, or 0 = all the machine's cores. (Never a share that depends on how many
    stages run at once: a stage's bytes depend on its thread count, so that count is a param.)"""
    return runtime.threads or available_cores()


def available_cores() -> int:
    """The cores this process may run on (its affinity, where the OS has one: Linux), else all."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else (os.cpu_count() or 1)


def generator(seed: int, device: torch.device | str = "cpu") -> torch.Generator:
    g = torch.Generator(device=device)
    g.manual_seed(seed)
    return g


def autocast(device: torch.device, amp: bool):
    """bf16 autocast for a training forward pass on a CUDA device that supports it; else a no-op.

    bf16 keeps fp32's exponent range, so no gradient scaler is needed.
    """
    if amp and device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def maybe_compile(module: torch.nn.Module, enabled: bool) -> torch.nn.Module:
    """torch.compile(module) when enabled; the compiled wrapper shares the module's parameters."""
    return torch.compile(module) if enabled else module


@contextlib.contextmanager
def full_precision():
    """float32 arithmetic inside: besides no autocast (the caller's part), no TF32, which cuDNN
    convolutions and CUDA matmuls use by default on Ampere and newer GPUs."""
    saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved
