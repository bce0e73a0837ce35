"""synthmix: does GAN-made synthetic data help a classifier trained on scarce images?"""
__version__ = "0.2.0"
