"""The shared base GAN (gan.base_steps): its checkpoint starts every class's GAN, D's first blocks stay
as the base left them (gan.freeze_d_blocks), and what a change re-runs (end to end, real dvc repro)."""
import numpy as np
import pytest
import torch

from synthmix.gan.sample import load_gan, save_gan
from synthmix.gan.train import GanRun, base_init, base_params, base_seed, class_seed, train_gan
from synthmix.models.gan import Discriminator, GanConfig
from synthmix.params import GanParams, ParamsError, parse_params

CPU = torch.device("cpu")
TINY_GAN = GanParams(z_dim=8, g_width=4, d_width=4, steps=6, batch_size=4, log_every=2, eval_every=3,
                     checkpoint_every=0, base_steps=6, freeze_d_blocks=1)


def two_classes(size: int = 16) -> dict[str, np.ndarray]:
    """Two classes of 8 uint8 (8, S, S, 1) images: bright squares and dark noise."""
    rng = np.random.default_rng(0)
    dark = rng.integers(0, 60, (8, size, size, 1), dtype=np.uint8)
    bright = dark.copy()
    bright[:, 4:12, 4:12] = 230
    return {"a": bright, "b": dark}


def trained_base(tmp_path, classes: dict) -> dict:
    """The base GAN trained on both classes as the train_gan_base stage trains it, through its file."""
    images = np.concatenate(list(classes.values()))
    base = train_gan(images, base_params(TINY_GAN), base_seed(0), GanRun(CPU))
    save_gan(tmp_path / "base.pt", base.G, base.D, base.cfg, TINY_GAN.base_steps)
    return load_gan(tmp_path / "base.pt")


def test_base_checkpoint_starts_every_class_and_frozen_blocks_stay_frozen(tmp_path):
    classes = two_classes()
    ckpt = trained_base(tmp_path, classes)
    assert ckpt["step"] == 6 and base_params(TINY_GAN).eval_every == 0      # the base's last weights, no snapshots
    frozen = [k for k in ckpt["discriminator"] if k.startswith("net.0.")]    # block 0: the first conv
    assert frozen
    for name, images in classes.items():
        out = train_gan(images, TINY_GAN, class_seed(0, name), GanRun(
            CPU, init=base_init(ckpt), freeze_d_blocks=TINY_GAN.freeze_d_blocks, keep_snapshots=True))
        g_state, d_state = out.G.state_dict(), out.D.state_dict()
        assert {k: v.shape for k, v in g_state.items()} == {k: v.shape for k, v in ckpt["model"].items()}
        for key in frozen:                                   # frozen: the base's bytes after 6 class steps
            assert torch.equal(d_state[key], ckpt["discriminator"][key]), key
        later = [k for k in d_state if k.startswith("net.2.weight")]
        assert later and not torch.equal(d_state[later[0]], ckpt["discriminator"][later[0]])   # block 1 trained
        assert not any(p.requires_grad for p in out.D.blocks()[0].parameters())
        assert all(p.requires_grad for p in out.D.blocks()[1].parameters())


def test_a_class_from_the_base_differs_from_one_from_scratch(tmp_path):
    classes = two_classes()
    ckpt = trained_base(tmp_path, classes)
    scratch = train_gan(classes["a"], TINY_GAN, class_seed(0, "a"), GanRun(CPU))
    tuned = train_gan(classes["a"], TINY_GAN, class_seed(0, "a"), GanRun(CPU, init=base_init(ckpt)))
    key = next(iter(scratch.G.state_dict()))
    assert not torch.equal(scratch.G.state_dict()[key], tuned.G.state_dict()[key])


@pytest.mark.parametrize("size,blocks", [(16, 2), (28, 2), (32, 3)])
def test_discriminator_blocks_and_freezing_beyond_them(size, blocks):
    D = Discriminator(GanConfig(image_size=size, channels=1, d_width=4))
    assert len(D.blocks()) == blocks
    with pytest.raises(ValueError, match=f"cannot freeze {blocks + 1} discriminator blocks: this one has {blocks}"):
        D.freeze_blocks(blocks + 1)


def test_freezing_without_a_base_or_past_the_blocks_is_refused_naming_the_key():
    with pytest.raises(ParamsError, match=r"gan.freeze_d_blocks = 1 with gan.base_steps = 0"):
        parse_params({"gan": {"freeze_d_blocks": 1}})
    with pytest.raises(ParamsError, match=r"gan.freeze_d_blocks = 3: .* at data.image_size 16 has 2 blocks"):
        parse_params({"gan": {"freeze_d_blocks": 3, "base_steps": 10}})
    assert parse_params({"gan": {"freeze_d_blocks": 3, "base_steps": 10}, "data": {"image_size": 32}}).gan.base_steps == 10
