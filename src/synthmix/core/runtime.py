"""Device, threads, seeds and determinism: one place that sets them for every stage, and the
`Runtime` value that carries them into every training function."""
from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
from dataclasses import dataclass, field
from typing import Callable

import torch

from synthmix.core.seeds import seed_for  # noqa: F401  (re-exported: runtime.seed_for)
from synthmix.params import RuntimeParams

LogFn = Callable[[int, dict[str, float]], None]     # log(step, {name: value}): a run log's curves


@dataclass(frozen=True)
class Runtime:
    """Where a training runs and what it reports to, passed whole to every training function:
    classifier and judge (`classifier.train.fit`, `classifier.replicate.train_replicate`) and GAN
    (`gan.train.train_gan`, `synth.refine.refine_class`) alike.

    Why one value: a training function then states its dependencies, the data, its params, its seed
    and this, the way torchvision's `train_one_epoch(model, criterion, optimizer, data_loader,
    device, ...)` does, instead of trailing loose `device, amp, compile, log` arguments that every
    caller must thread through in its own order (fit took 13 parameters, refine_class 12). What a
    run computes is fixed by its data, params and seed; `amp` and `compile` change how the training
    forward pass runs on CUDA, `log` only what is reported.
    """
    device: torch.device
    # the cores the stage computes with (runtime.threads, 0 resolved to all available): torch's
    # threads, or in the classifier stages that many replicates side by side, one thread each
    threads: int = field(default_factory=torch.get_num_threads)
    amp: bool = False                   # bf16 autocast of training forward passes (CUDA only, see `autocast`)
    compile: bool = False               # torch.compile the models for training
    log: LogFn | None = None            # log(step, values) at each log or validation step

    def with_log(self, log: LogFn | None) -> "Runtime":
        """This runtime reporting to `log` (each run of a stage has a run log of its own)."""
        return dataclasses.replace(self, log=log)


def start(p: RuntimeParams) -> Runtime:
    """Apply the runtime section (`setup`) and return the Runtime the training functions take."""
    return Runtime(setup(p), threads=cpu_threads(p), amp=p.amp, compile=p.compile)


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


def autocast(device: torch.device, amp: bool, cpu_bf16: bool = False):
    """bf16 autocast for a training forward pass: on a CUDA device that supports it when `amp`, on a
    CPU with native bf16 instructions when `cpu_bf16` (`native_cpu_bf16`); else a no-op.

    bf16 keeps fp32's exponent range, so no gradient scaler is needed.
    """
    if amp and device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.autocast("cuda", dtype=torch.bfloat16)
    if cpu_bf16 and device.type == "cpu" and native_cpu_bf16():
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()


@functools.cache
def native_cpu_bf16() -> bool:
    """Whether this x86 CPU computes bf16 natively: AMX tiles (Intel Sapphire Rapids and later) or
    AVX512-BF16 (Cooper Lake, AMD Zen 4). Elsewhere `cpu_bf16` trains in float32: oneDNN emulates
    bf16 there, which is slower (ARM CPUs with bf16 instructions count as without: not measured).
    Measured only on AMX (benchmarks/HISTORY.md). torch's own checks, private, hence the getattr
    (tests/test_fit_recipe.py fails if both go)."""
    checks = [getattr(torch.cpu, name, None) for name in ("_is_amx_tile_supported", "_is_avx512_bf16_supported")]
    return any(check() for check in checks if check is not None)


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
