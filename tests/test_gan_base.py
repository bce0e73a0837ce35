"""The shared base GAN (gan.base_steps): its checkpoint starts every class's GAN, D's first blocks stay
as the base left them (gan.freeze_d_blocks), and what a change re-runs (end to end, real dvc repro)."""
from dataclasses import replace

import numpy as np
import pytest
import torch

from synthmix.core.runtime import Runtime
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


def trained_base(tmp_path, classes: dict, p: GanParams = TINY_GAN) -> dict:
    """The base GAN trained on both classes as the train_gan_base stage trains it, through its file."""
    images = np.concatenate(list(classes.values()))
    base = train_gan(images, base_params(p), base_seed(0), Runtime(CPU))
    save_gan(tmp_path / "base.pt", base.G, base.D, base.cfg, p.base_steps)
    return load_gan(tmp_path / "base.pt")


@pytest.mark.parametrize("family", ["dcgan", "hinge", "wgan_gp"])
def test_base_checkpoint_starts_every_class_and_frozen_blocks_stay_frozen(tmp_path, family):
    classes, p = two_classes(), replace(TINY_GAN, family=family)
    ckpt = trained_base(tmp_path, classes, p)
    assert ckpt["step"] == 6 and base_params(p).eval_every == 0             # the base's last weights, no snapshots
    for name, images in classes.items():
        out = train_gan(images, p, class_seed(0, name), Runtime(CPU), GanRun(
            init=base_init(ckpt), freeze_d_blocks=p.freeze_d_blocks, keep_snapshots=True))
        assert {k: v.shape for k, v in out.G.state_dict().items()} == {k: v.shape for k, v in ckpt["model"].items()}
        d_state = out.D.state_dict()
        frozen, trained = ({f"net.{i}.{n}" for i, m in enumerate(out.D.net) if m in set(block)
                            for n, _ in m.named_parameters()} for block in out.D.blocks()[:2])
        assert frozen and trained
        for key in frozen:                                   # parameters (not buffers): the base's bytes
            assert torch.equal(d_state[key], ckpt["discriminator"][key]), key
        assert any(not torch.equal(d_state[k], ckpt["discriminator"][k]) for k in trained)   # block 1 trained
        assert not any(q.requires_grad for q in out.D.blocks()[0].parameters())
        assert all(q.requires_grad for q in out.D.blocks()[1].parameters())


def test_freezing_needs_a_base_to_keep():
    with pytest.raises(ValueError, match="needs run.init"):
        train_gan(two_classes()["a"], TINY_GAN, 0, Runtime(CPU), GanRun(freeze_d_blocks=1))


def test_a_class_from_the_base_differs_from_one_from_scratch(tmp_path):
    classes = two_classes()
    ckpt = trained_base(tmp_path, classes)
    scratch = train_gan(classes["a"], TINY_GAN, class_seed(0, "a"), Runtime(CPU))
    tuned = train_gan(classes["a"], TINY_GAN, class_seed(0, "a"), Runtime(CPU), GanRun(init=base_init(ckpt)))
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


def test_base_off_writes_only_base_json_without_importing_torch(tmp_path):
    """Off (the default), the stage costs a Python start-up: one class's new images re-run it, it
    writes the same base.json and the class stages stay cached."""
    import json
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    shutil.copy(root / "params.yaml", tmp_path / "params.yaml")          # gan.base_steps: 0
    probe = ("import runpy, sys\nsys.argv = ['train_gan_base.py', '--seed', '1', '--prepared', 'absent', '--out', 'o']\n"
             f"try:\n    runpy.run_path({str(root / 'stages/train_gan_base.py')!r}, run_name='__main__')\n"
             "except SystemExit as e:\n    assert not e.code, e.code\nprint('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False", out.stdout + out.stderr
    assert json.loads((tmp_path / "o/base.json").read_text()) == {"base_steps": 0}
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["base.json"]
