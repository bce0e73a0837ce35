"""Training a classifier (or the judge): the fit loop and classic whole-batch augmentation. The
training sets come from synthmix.mix."""
