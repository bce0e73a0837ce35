"""The paired-replicate design: what replicate s of a comparison shares, and what it draws anew.

Every variant (real, augmented, synthetic, mix_<pct>) is trained `classifier.replicates` times.
Replicate s of every variant starts from the same initial weights and seeds its random stream with
the same seed (`classifier_seed`): same architecture, same seed. Its draws (batch order, augmentation)
then follow the variant's own training set, whose size differs; the shared initialisation and
schedule are what the per-replicate difference cancels. Replicate s of a synthetic or mix variant trains on the images of GAN seed
`gan_seed(s, gan.seeds)`, so the spread the tests see includes the GAN draw. When replicates share
GAN draws (fewer GAN seeds than replicates) the unit of the test is the GAN draw
(evaluate.stats.clustered_difference): replicates of one GAN share its error and are not
independent draws of the recipe.

No torch or numpy here: params validation and the report import it.
"""
from __future__ import annotations

from synthmix.core.seeds import seed_for


def classifier_seed(base: int, replicate: int) -> int:
    """The seed of replicate `replicate`'s initial weights and random stream, the same for every
    variant (the variant's name is deliberately not part of it)."""
    return seed_for(base, "classifier", str(replicate))


def gan_seed(replicate: int, gan_seeds: list[int]) -> int:
    """The GAN seed whose synthetic images replicate `replicate` of a synthetic or mix variant uses."""
    if not gan_seeds:
        raise ValueError("gan.seeds is empty: a synthetic variant needs at least one GAN seed")
    return gan_seeds[replicate % len(gan_seeds)]


def gan_variance(replicates: int, gan_seeds: list[int]) -> str:
    """How much of the GAN draw's variance the replicates hold, in words for the report."""
    used = len(set(gan_seed(s, gan_seeds) for s in range(replicates)))
    if used >= replicates:
        return f"inside the replicates: each of the {replicates} replicates uses a GAN draw of its own"
    if used == 1:
        return (f"not inside the replicates: all {replicates} use the GANs of one seed, so the intervals "
                "say nothing about another GAN draw (add gan.seeds)")
    return (f"inside the tests through {used} GAN draws: {replicates} replicates share them, so a variant trained "
            f"on synthetic images is tested over the {used} GAN draws' mean paired differences ({used - 1} degrees "
            "of freedom); the per-replicate interval beside it holds for these GANs only (more gan.seeds narrow "
            "the test's interval)")
