"""GAN losses (pure functions), the per-class training loop and sampling."""
