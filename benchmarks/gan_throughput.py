"""GAN training throughput: our loop vs a straightforward per-item Dataset + DataLoader loop.

Both train the same per-class DCGAN (same config, loss, optimiser and step budget) on the same real
digits of one class, prepared exactly as the pipeline's defaults do. Ours keeps the class as one
tensor on the device, draws batches by slicing a random permutation and syncs once per log
interval; the baseline is the usual tutorial loop: a Dataset that converts one image per
__getitem__, a shuffling DataLoader, and `.item()` on the losses every step.

    python benchmarks/gan_throughput.py [--steps 300] [--repeats 3] [--device cpu]

Prints images/s for both and the ratio (ours / baseline), measured in the same run.
"""
from __future__ import annotations

import argparse
from dataclasses import replace
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from synthmix.core.runtime import Runtime, seed_for  # noqa: E402
from synthmix.data.prepare import prepare  # noqa: E402
from synthmix.data.datasets.digits import load_digits  # noqa: E402
from synthmix.gan.losses import get_loss  # noqa: E402
from synthmix.gan.train import model_config, train_gan  # noqa: E402
from synthmix.models.gan import Discriminator, Generator  # noqa: E402
from synthmix.params import load_params  # noqa: E402


class PerItem(Dataset):
    """The common pattern: one uint8 HWC image converted to a [-1, 1] CHW float tensor per item."""

    def __init__(self, images: np.ndarray):
        self.images = images

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> torch.Tensor:
        x = torch.from_numpy(self.images[i]).permute(2, 0, 1).float()
        return x / 127.5 - 1.0


def naive_train(images: np.ndarray, p, seed: int, device: torch.device) -> None:
    torch.manual_seed(seed)
    cfg = model_config(p, images.shape[1], images.shape[3])
    G, D = Generator(cfg).to(device), Discriminator(cfg).to(device)
    opt_g = torch.optim.Adam(G.parameters(), lr=p.lr_g, betas=(p.beta1, p.beta2))
    opt_d = torch.optim.Adam(D.parameters(), lr=p.lr_d, betas=(p.beta1, p.beta2))
    loss = get_loss(p.family)
    loader = DataLoader(PerItem(images), batch_size=p.batch_size, shuffle=True, drop_last=True)
    step = 0
    while step < p.steps:
        for real in loader:
            real = real.to(device)
            z = torch.randn(real.shape[0], p.z_dim, device=device)
            fake = G(z)
            loss_d = loss.d(D(real), D(fake.detach()))
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
            loss_g = loss.g(D(fake))
            opt_g.zero_grad()
            loss_g.backward()
            opt_g.step()
            _ = loss_d.item(), loss_g.item()   # per-step logging, as tutorials do
            step += 1
            if step == p.steps:
                break


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--class-name", default="3")
    args = ap.parse_args()
    device = torch.device(args.device)
    params = load_params(Path(__file__).resolve().parents[1] / "params.yaml")
    p = replace(params.gan, steps=args.steps)
    raw = load_digits()
    data = prepare(raw.images, raw.labels, {"name": "digits", "classes": raw.class_names}, params.data)
    images = data.train[args.class_name]
    seed = seed_for(p.seeds[0], "gan", args.class_name)
    print(f"device {device}, threads {torch.get_num_threads()}, class {args.class_name!r}: {len(images)} images "
          f"{images.shape[1:]}, batch {p.batch_size}, {p.steps} steps, best of {args.repeats}")

    def timed(fn) -> float:
        times = []
        for _ in range(args.repeats):
            if device.type == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            fn()
            if device.type == "cuda":
                torch.cuda.synchronize()
            times.append(time.perf_counter() - t0)
        return min(times), statistics.median(times)

    # the same work as the baseline: no DiffAugment, no EMA, no checkpoint scoring
    same = replace(p, diffaugment="", ema_decay=0.0, eval_every=0)
    ours = timed(lambda: train_gan(images, same, seed, Runtime(device)))
    naive = timed(lambda: naive_train(images, same, seed, device))
    shipped = timed(lambda: train_gan(images, replace(p, eval_every=0), seed, Runtime(device)))
    n = p.steps * p.batch_size
    print(f"ours:     {n / ours[0]:9.0f} images/s  (best {ours[0]:.2f} s, median {ours[1]:.2f} s)")
    print(f"baseline: {n / naive[0]:9.0f} images/s  (best {naive[0]:.2f} s, median {naive[1]:.2f} s)")
    print(f"ratio ours/baseline: {naive[0] / ours[0]:.2f}x")
    print(f"ours with the shipped DiffAugment ({p.diffaugment or 'off'}) and EMA ({p.ema_decay}): "
          f"{n / shipped[0]:.0f} images/s = {ours[0] / shipped[0]:.2f}x the plain loop's speed")


if __name__ == "__main__":
    main()
