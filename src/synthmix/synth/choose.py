"""The GAN checkpoint choice, by the judge, after training: the `train_gan` stage keeps every
snapshot of the (EMA) generator and the `refine` stage keeps the one whose samples are closest, by
the Fréchet distance in the judge's feature space, to the class's real validation images (or its
training images, gan.select_against: train). Training never reads the judge, so a judge change
re-scores the snapshots (seconds) and re-trains no GAN."""
from __future__ import annotations

import numpy as np
import torch

from synthmix.core.seeds import seed_for
from synthmix.data.store import Prepared
from synthmix.gan.sample import sample
from synthmix.gan.select import choose, score_snapshots
from synthmix.gan.train import class_seed
from synthmix.judge import Judge, fid_scorer
from synthmix.models.gan import Discriminator, GanConfig, Generator


def snapshot_reference(data: Prepared, class_name: str, select_against: str) -> np.ndarray:
    """The real images a class's snapshots are scored against, uint8 (n, H, W, C): its validation
    images, which no GAN trains on (a snapshot that reproduces its training images gains nothing
    against them), or its training images."""
    if select_against == "train":
        return data.train[class_name]
    images = data.val_images[data.val_labels == data.class_names.index(class_name)]
    if len(images) < 2:
        raise ValueError(f"class {class_name!r} has {len(images)} validation image(s): scoring GAN snapshots against "
                         "them needs at least 2; raise data.val_per_class or set gan.select_against: train")
    return images


def eval_seed(gan_seed: int, class_name: str) -> int:
    """The seed of the fixed latents every snapshot of one GAN is sampled from (comparable scores)."""
    return seed_for(class_seed(gan_seed, class_name), "eval")


def choose_snapshot(ckpt: dict, judge: Judge, reference: np.ndarray, eval_samples: int, seed: int,
                    device: torch.device) -> tuple[dict, list[list[float]]]:
    """(checkpoint of the best snapshot, [[step, score]] of every one) from a train_gan checkpoint.

    The returned checkpoint has save_gan's layout (model, discriminator, config, step, metadata),
    without the snapshots; a checkpoint without snapshots (gan.eval_every: 0) comes back as it is.
    """
    snapshots = ckpt.get("snapshots") or {}
    rest = {k: v for k, v in ckpt.items() if k not in ("model", "discriminator", "config", "step", "snapshots")}
    cfg = GanConfig(**ckpt["config"])
    # channels-last, as the models trained: the saved tensors keep the layout they were trained in
    G = Generator(cfg).to(device, memory_format=torch.channels_last).eval()
    D = Discriminator(cfg).to(device, memory_format=torch.channels_last).eval()
    D.load_state_dict(ckpt["discriminator"])
    scores: list[list[float]] = []
    step, state = ckpt["step"], ckpt["model"]
    if snapshots:
        score = fid_scorer(judge, reference, lambda model: sample(model, eval_samples, seed, device), device)
        scores = score_snapshots(G, snapshots, score)
        step, _ = choose(scores)
        state = snapshots[str(step)]
    G.load_state_dict(state)
    return {"model": G.state_dict(), "discriminator": D.state_dict(), "config": ckpt["config"], "step": step,
            **rest}, scores
