"""Per-class GANs: losses (pure functions), DiffAugment, EMA, the training step and loop,
checkpoint choice, sampling and the GAN checkpoint format."""
