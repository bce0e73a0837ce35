import pytest
import torch

from synthmix.gan.losses import dcgan_d_loss, dcgan_g_loss, get_loss
from synthmix.models.cnn import Cnn, CnnConfig
from synthmix.models.gan import Discriminator, GanConfig, Generator
from synthmix.sizes import factor_size


def test_dcgan_losses_are_scalars_with_the_right_signs():
    confident_right = dcgan_d_loss(torch.full((8,), 10.0), torch.full((8,), -10.0))
    confident_wrong = dcgan_d_loss(torch.full((8,), -10.0), torch.full((8,), 10.0))
    assert confident_right.shape == () and confident_right.item() < 1e-3
    assert confident_wrong.item() > 19.0
    # at logit 0 (D undecided) each term is log 2
    assert dcgan_d_loss(torch.zeros(4), torch.zeros(4)).item() == pytest.approx(2 * torch.log(torch.tensor(2.0)).item())
    # the generator loss falls as D is fooled, and its gradient pushes fake logits up
    fake = torch.zeros(4, requires_grad=True)
    dcgan_g_loss(fake).backward()
    assert (fake.grad < 0).all()
    assert dcgan_g_loss(torch.full((4,), 5.0)) < dcgan_g_loss(torch.full((4,), -5.0))


def test_unknown_family_lists_valid_ones():
    with pytest.raises(ValueError, match="valid: dcgan"):
        get_loss("stylegan9")


@pytest.mark.parametrize("size,channels", [(16, 1), (28, 1), (32, 3), (48, 3), (64, 1)])
def test_models_adapt_to_size_and_channels(size, channels):
    cfg = GanConfig(image_size=size, channels=channels, z_dim=8, g_width=8, d_width=8)
    G, D = Generator(cfg), Discriminator(cfg)
    x = G(torch.randn(3, 8))
    assert x.shape == (3, channels, size, size)
    assert x.abs().max() <= 1.0
    assert D(x).shape == (3,)
    clf = Cnn(CnnConfig(channels=channels, num_classes=5, width=4))
    assert clf(x).shape == (3, 5)
    assert clf.embed(x).shape == (3, 16)


def test_factor_size():
    assert factor_size(16) == (4, 2) and factor_size(28) == (7, 2) and factor_size(48) == (3, 4)
    with pytest.raises(ValueError, match="cannot be halved"):
        factor_size(15)
