"""WGAN-GP, DiffAugment, EMA, warm-up, checkpoint choice, divergence handling and refinement."""
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from synthmix.core.optim import Adam
from synthmix.core.runtime import Runtime
from synthmix.evaluate.frechet import frechet_distance
from synthmix.gan.diffaugment import POLICIES, diff_augment, parse_policy
from synthmix.gan.ema import EMA
from synthmix.gan.losses import get_loss, gradient_penalty
from synthmix.gan.select import choose
from synthmix.gan.train import DivergenceError, GanRun, train_gan, warm_up
from synthmix.models.cnn import Cnn, CnnConfig
from synthmix.models.gan import Generator, GanConfig
from synthmix.judge import Judge
from synthmix.params import FilterParams, GanParams, RefineParams
from synthmix.synth.refine import judge_filter, refine_class

P = GanParams(z_dim=8, g_width=4, d_width=4, steps=12, batch_size=8, log_every=4, eval_every=0,
              checkpoint_every=0)


def images(n=24, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, 16, 16, 1), dtype=np.uint8)


def test_gradient_penalty_of_a_linear_critic():
    w = torch.zeros(1, 1, 4, 4)
    w[0, 0, 0, :3] = torch.tensor([1.0, 2.0, 2.0])            # ||w|| = 3 everywhere
    critic = lambda x: (x * w).flatten(1).sum(1)              # noqa: E731
    real, fake = torch.randn(6, 1, 4, 4), torch.randn(6, 1, 4, 4)
    gp = gradient_penalty(critic, real, fake, torch.Generator().manual_seed(0))
    assert gp.item() == pytest.approx((3.0 - 1.0) ** 2)
    w2 = w / 3                                                 # a 1-Lipschitz critic: no penalty
    assert gradient_penalty(lambda x: (x * w2).flatten(1).sum(1), real, fake,
                            torch.Generator().manual_seed(0)).item() == pytest.approx(0.0, abs=1e-10)


def test_wgan_gp_critic_has_no_batch_norm_and_trains():
    assert get_loss("wgan_gp").d_norm == "none" and not get_loss("wgan_gp").probabilities
    logged = []
    res = train_gan(images(), replace(P, family="wgan_gp", n_critic=2), 0,
                    Runtime(torch.device("cpu"), log=lambda s, v: logged.append(v)))
    assert not any(isinstance(m, nn.BatchNorm2d) for m in res.D.modules())
    assert all(np.isfinite(list(v.values())).all() for v in logged) and len(logged) == 3
    with pytest.raises(ValueError, match="unknown gan.family 'wgan'; valid: dcgan, hinge, wgan_gp"):
        get_loss("wgan")


def test_diffaugment_keeps_shape_is_differentiable_and_changes_images():
    x = torch.rand(5, 3, 16, 16, requires_grad=True)
    gen = torch.Generator().manual_seed(0)
    for name in POLICIES:
        y = diff_augment(x, [name], gen)
        assert y.shape == x.shape and not torch.equal(y, x), name
    y = diff_augment(x, parse_policy("color,translation,cutout"), gen)
    (y ** 2).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    # cutout zeroes a square of half the side (clipped at the border): at most a quarter of the pixels
    ones = torch.ones(64, 1, 16, 16)
    zeroed = (diff_augment(ones, ["cutout"], gen) == 0).flatten(1).sum(1)
    assert (zeroed > 0).all() and (zeroed <= 64).all() and (zeroed == 64).any()
    assert parse_policy("") == [] and parse_policy("none") == []
    with pytest.raises(ValueError, match="unknown DiffAugment policy 'flip'"):
        parse_policy("color,flip")


def test_ema_update_arithmetic():
    model = nn.Linear(1, 1, bias=False)
    nn.init.zeros_(model.weight)
    ema = EMA(model, decay=0.9)
    with torch.no_grad():
        model.weight.fill_(1.0)
    ema.update(model)
    assert ema.shadow.weight.item() == pytest.approx(0.1)
    ema.update(model)
    assert ema.shadow.weight.item() == pytest.approx(0.19)      # 0.9 * 0.1 + 0.1 * 1
    assert not ema.shadow.weight.requires_grad


def test_checkpoint_chooser_picks_the_minimum():
    assert choose([[10, 5.0], [20, 3.0], [30, 4.0], [40, 3.0]]) == (20, 3.0)
    scripted = iter([5.0, 2.0, 4.0])
    snapshots = []

    def score(G):
        snapshots.append({k: v.clone() for k, v in G.state_dict().items()})
        return next(scripted)
    res = train_gan(images(), replace(P, eval_every=4), 0, Runtime(torch.device("cpu")), GanRun(score=score))
    assert res.info["scores"] == [[4, 5.0], [8, 2.0], [12, 4.0]]
    assert res.info["chosen_step"] == 8 and res.info["best_score"] == 2.0
    for k, v in res.G.state_dict().items():
        assert torch.equal(v, snapshots[1][k]), k


def test_divergence_stops_naming_class_and_step_or_restores():
    tiny = replace(P, max_d_loss=1e-9)                          # every D loss "explodes"
    with pytest.raises(DivergenceError, match=r"class '7': GAN diverged at step 4"):
        train_gan(images(), tiny, 0, Runtime(torch.device("cpu")), GanRun(name="class '7'"))
    res = train_gan(images(), replace(tiny, on_divergence="restore", eval_every=2), 0,
                    Runtime(torch.device("cpu")), GanRun(score=lambda G: 1.0))
    assert res.info["diverged_at"] == 4 and res.info["chosen_step"] == 2


def test_choice_after_training_equals_choice_during_training():
    """train_gan keeps every snapshot and refine scores them with the judge afterwards: the same
    snapshot, to the byte, as scoring each one during training (the rule before 2026-12-02)."""
    from synthmix.gan.sample import sample
    from synthmix.judge import fid_scorer
    from synthmix.synth.choose import choose_snapshot

    torch.manual_seed(0)
    judge = Judge(Cnn(CnnConfig(1, 3, 4)).eval())
    reference, cpu, p = images(10, seed=1), torch.device("cpu"), replace(P, eval_every=4)
    score = fid_scorer(judge, reference, lambda G: sample(G, 32, 5, cpu), cpu)
    during = train_gan(images(), p, 0, Runtime(cpu), GanRun(score=score))
    kept = train_gan(images(), p, 0, Runtime(cpu), GanRun(keep_snapshots=True))
    assert sorted(kept.info["snapshots"], key=int) == ["4", "8", "12"] and kept.info["chosen_step"] is None
    ckpt = {"model": kept.G.state_dict(), "discriminator": kept.D.state_dict(), "config": kept.cfg.__dict__,
            "step": 12, "class_name": "7", "snapshots": kept.info["snapshots"]}
    chosen, scores = choose_snapshot(ckpt, judge, reference, 32, 5, cpu)
    assert scores == during.info["scores"] and chosen["step"] == during.info["chosen_step"]
    assert list(chosen) == ["model", "discriminator", "config", "step", "class_name"]     # no snapshots left
    for k, v in during.G.state_dict().items():
        assert torch.equal(v, chosen["model"][k]), k
    for k, v in kept.D.state_dict().items():
        assert torch.equal(v, chosen["discriminator"][k]), k


def test_divergence_with_kept_snapshots_ends_on_the_last_one():
    tiny = replace(P, max_d_loss=1e-9, on_divergence="restore", eval_every=2)
    res = train_gan(images(), tiny, 0, Runtime(torch.device("cpu")), GanRun(keep_snapshots=True))
    assert res.info["diverged_at"] == 4 and list(res.info["snapshots"]) == ["2"]
    for k, v in res.G.state_dict().items():
        assert torch.equal(v, res.info["snapshots"]["2"][k]), k


def test_warm_up_without_the_judge_uses_fixed_random_features():
    """gan.warmup_steps needs no judge: the default feature network is a frozen random-weight
    discriminator body, the same for the same seed, and it leaves the training stream as it was."""
    from synthmix.gan.train import random_features

    cfg = GanConfig(16, 1, 8, 4, 4)
    x = torch.rand(6, 1, 16, 16) * 2 - 1
    torch.manual_seed(3)
    f = random_features(cfg, 0, torch.device("cpu"))
    after = torch.rand(1)
    torch.manual_seed(3)
    assert torch.equal(torch.rand(1), after)                     # fork_rng: the global stream untouched
    again = random_features(cfg, 0, torch.device("cpu"))
    assert torch.equal(f(x), again(x)) and f(x).shape == (6, 4 * 2 * 4 * 4)   # d_width 4, doubled once, at 4x4
    warm = train_gan(images(), replace(P, warmup_steps=3), 0, Runtime(torch.device("cpu")))
    again = train_gan(images(), replace(P, warmup_steps=3), 0, Runtime(torch.device("cpu")))
    plain = train_gan(images(), P, 0, Runtime(torch.device("cpu")))
    assert torch.equal(warm.G.net[0].weight, again.G.net[0].weight)
    assert not torch.equal(warm.G.net[0].weight, plain.G.net[0].weight)


def test_warm_up_moves_generator_towards_real_feature_statistics():
    torch.manual_seed(0)
    G = Generator(GanConfig(16, 1, 8, 4, 4))
    judge = Cnn(CnnConfig(1, 3, 4)).eval()
    x = torch.rand(24, 1, 16, 16) * 2 - 1
    losses = warm_up(G, Adam(G.parameters(), 1e-2), x, judge.embed, 40, 8,
                     torch.Generator().manual_seed(0))
    assert len(losses) == 40 and np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])


def test_frechet_distance_known_answers():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(500, 4))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)
    near = frechet_distance(a, a + 0.1)
    far = frechet_distance(a, a + 1.0)
    assert near == pytest.approx(4 * 0.01, rel=1e-6) and far == pytest.approx(4.0, rel=1e-6)


@pytest.mark.parametrize("threshold,expect_all", [(1.0, False), (0.0, True)])
def test_refinement_threshold_one_keeps_nothing_zero_keeps_everything(threshold, expect_all):
    res = train_gan(images(), P, 0, Runtime(torch.device("cpu")))
    ckpt = {"model": res.G.state_dict(), "discriminator": res.D.state_dict(), "config": res.cfg.__dict__}
    torch.manual_seed(0)
    judge = Judge(Cnn(CnnConfig(1, 3, 4)).eval())
    rule = FilterParams(mode="threshold", threshold=threshold)
    keep, cpu = judge_filter(judge, 1, rule, threshold, torch.device("cpu")), Runtime(torch.device("cpu"))
    refined, rounds = refine_class(ckpt, images(), keep, P, RefineParams(rounds=2, samples=30, steps=4), 0, cpu)
    assert [r["kept"] for r in rounds] == ([30, 30] if expect_all else [0, 0])
    assert refined["refine_rounds"] == rounds
    assert not torch.equal(refined["model"]["net.0.weight"], ckpt["model"]["net.0.weight"])
    same, none = refine_class(ckpt, images(), keep, P, RefineParams(rounds=0), 0, cpu)
    assert same is ckpt and none == []


def test_hinge_loss_margins_and_spectral_norm_discriminator():
    from synthmix.gan.losses import hinge_d_loss

    # past the margin (real >= 1, fake <= -1) D has nothing left to push: zero loss
    assert hinge_d_loss(torch.tensor([1.5, 2.0]), torch.tensor([-1.0, -3.0])).item() == 0.0
    assert hinge_d_loss(torch.tensor([0.0]), torch.tensor([0.0])).item() == 2.0
    loss = get_loss("hinge")
    assert loss.d_norm == "spectral" and not loss.probabilities
    assert loss.g(torch.tensor([2.0, 4.0])).item() == -3.0
    from synthmix.models.gan import Discriminator
    D = Discriminator(GanConfig(16, 1, 8, 4, 8, d_norm="spectral"))
    assert not any(isinstance(m, nn.BatchNorm2d) for m in D.modules())
    convs = [m for m in D.modules() if isinstance(m, nn.Conv2d)]
    assert convs and all(nn.utils.parametrize.is_parametrized(m, "weight") for m in convs)
    for _ in range(30):                       # power iterations converge in training-mode forwards
        D(torch.randn(4, 1, 16, 16))
    top = torch.linalg.matrix_norm(convs[1].weight.flatten(1), ord=2).item()
    assert top == pytest.approx(1.0, rel=0.05)   # each layer's weight has spectral norm ~1
    res = train_gan(images(), replace(P, family="hinge"), 0, Runtime(torch.device("cpu")))
    assert all(torch.isfinite(v).all() for v in res.G.state_dict().values())


def test_lecam_anchors_follow_d_outputs_and_penalise_the_gap():
    from synthmix.gan.losses import LeCam

    reg = LeCam(decay=0.0)                     # anchors = the latest means
    real, fake = torch.tensor([2.0, 2.0]), torch.tensor([-1.0, -1.0])
    # (D(x) - a_fake)^2 + (D(G(z)) - a_real)^2 with a_real = 2, a_fake = -1: 9 + 9
    assert reg(real, fake).item() == pytest.approx(18.0)
    assert reg.state_dict()["anchors"].tolist() == [2.0, -1.0]
    slow = LeCam(decay=0.9)
    slow(real, fake)
    assert slow.anchors.tolist() == pytest.approx([0.2, -0.1])
    logged = []
    train_gan(images(), replace(P, lecam=0.3), 0, Runtime(torch.device("cpu"), log=lambda s, v: logged.append(v)))
    assert logged and all(np.isfinite(list(v.values())).all() for v in logged)


def test_identity_ema_is_the_live_model():
    from synthmix.gan.ema import IdentityEMA, make_ema

    model = nn.Linear(2, 2)
    ema = make_ema(model, 0.0)
    assert isinstance(ema, IdentityEMA) and ema.shadow is model and ema.state_dict() == {}
    assert isinstance(make_ema(model, 0.99), EMA) and make_ema(model, 0.99).shadow is not model
