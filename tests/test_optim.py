"""Our Adam(W) and one-cycle schedule do what torch.optim's do (they exist only to spare each stage
process the import of torch._dynamo that torch.optim triggers)."""
import pytest
import torch

from synthmix.core.optim import Adam, one_cycle


def _model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Flatten(), torch.nn.Linear(16, 3))


@pytest.mark.parametrize("weight_decay", [0.0, 0.05])
def test_adam_matches_torch_adamw_step_for_step(weight_decay):
    ours, theirs = _model(), _model()
    opt_a = Adam(ours.parameters(), lr=0.01, betas=(0.5, 0.99), weight_decay=weight_decay)
    opt_b = torch.optim.AdamW(theirs.parameters(), lr=0.01, betas=(0.5, 0.99), weight_decay=weight_decay)
    x, y = torch.randn(8, 1, 4, 4), torch.randint(0, 3, (8,))
    for _ in range(25):
        for model, opt in ((ours, opt_a), (theirs, opt_b)):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
    for a, b in zip(ours.parameters(), theirs.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_adam_state_round_trips_to_the_same_next_step():
    model = _model()
    opt = Adam(model.parameters(), lr=0.01)
    x = torch.randn(8, 1, 4, 4)
    for _ in range(3):
        opt.zero_grad()
        model(x).square().mean().backward()
        opt.step()
    saved, weights = opt.state_dict(), {k: v.clone() for k, v in model.state_dict().items()}
    clone = _model()
    clone.load_state_dict(weights)
    opt2 = Adam(clone.parameters(), lr=0.5)
    opt2.load_state_dict(saved)
    for m, o in ((model, opt), (clone, opt2)):
        o.zero_grad()
        m(x).square().mean().backward()
        o.step()
    for a, b in zip(model.parameters(), clone.parameters()):
        assert torch.equal(a, b)


def test_one_cycle_matches_torchs_schedule():
    model = _model()
    opt = torch.optim.AdamW(model.parameters(), lr=0.002)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.002, total_steps=40)
    for step in range(40):
        lr, beta1 = one_cycle(step, 40, 0.002)
        assert lr == pytest.approx(opt.param_groups[0]["lr"], rel=1e-9)
        assert beta1 == pytest.approx(opt.param_groups[0]["betas"][0], rel=1e-9)
        opt.step()
        sched.step()
