"""Generator/discriminator families and classifier CNNs: a config in, an nn.Module out."""
