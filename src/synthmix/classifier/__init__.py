"""Classifier training on a real/synthetic mix, classic augmentation, the shared fit loop."""
