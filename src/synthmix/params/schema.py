"""The params a user reads: one frozen dataclass per `params.yaml` section, each field with its
default, what it allows (`knob`'s constraints) and what it does (`doc`).

Checking a document against these lives in `synthmix.params.check` (one key at a time) and
`synthmix.params.rules` (several keys); `synthmix.params` loads and validates the whole file.
The tuples of valid names are written here, not imported from their registries, so the params load
without importing torch (tests/test_params.py checks they are the registries' keys).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import ClassVar

from synthmix.params.check import AUTO, knob

# classifier/judge `steps: auto` (CnnParams.budget), from benchmarks/classifier_budget.py
PASSES_OVER_REAL = 60
# the judge's floor: at 300, the plain loss with the best check kept left `augmented` +0.53 points
# below its 4x accuracy on digits at 8x8 (benchmarks/HISTORY.md)
MIN_STEPS = 450
# the classifiers' floor, with their recipe (label smoothing, the last weights): every variant within
# 0.5 points of its 4x accuracy on digits at 8x8 (docs/results/budget-digits.md)
CLASSIFIER_MIN_STEPS = 300
DATASETS = ("digits", "mnist_sample", "mnist", "fashion_mnist", "cifar10", "gtsrb", "fer2013", "folder")
GAN_FAMILIES = ("dcgan", "hinge", "wgan_gp")
FILTER_MODES = ("relative", "top", "threshold")
DIFFAUGMENT_POLICIES = ("color", "translation", "cutout")
ON_DIVERGENCE = ("stop", "restore")
SELECT_AGAINST = ("validation", "train")
DEVICES = ("auto", "cpu", "cuda")
MIX_MODES = ("add", "replace", "balance")
CORRUPTION_KINDS = ("gaussian", "salt_pepper", "blur", "occlusion", "lines", "contrast")


@dataclass(frozen=True)
class DataParams:
    name: str = knob("digits", choices=DATASETS, doc="dataset source")
    root: str = knob("data/downloads", doc="where raw files are looked for (offline copies) and downloaded to "
                      "(<root>/<name>/); for name 'folder', the image folder root/<class>/*.png")
    mirror: str = knob("", doc="base URL to download from instead of the official locations (\"\" = official)")
    classes: list[str] = knob([str(i) for i in range(10)],
                               doc="class names to keep, in label order (the per-class stages run over these)")
    per_class: int | dict[str, int] = knob(50, lo=1, doc="real training images per class (scarcity): one number, "
                                            "or a mapping class -> number for an imbalanced training set")
    val_per_class: int = knob(20, lo=1, doc="real validation images per class")
    test_fraction: float = knob(0.3, lo=0.0, hi=1.0, lo_open=True, hi_open=True,
                                 doc="fraction of each class held out as the untouched real test split")
    image_size: int = knob(16, lo=8, hi=256, doc="images are resized to image_size x image_size")
    seed: int = knob(0, lo=0)
    more_real: list[int] = knob([100, 200], item_lo=1, item_hi=1_000_000, allow_empty=True,
                                 doc="larger real training sets, images per class, each trained real-only (variant "
                                 "real_<n>, stage train_more_real@<n>) to count what synthetic images are worth in real "
                                 "images; drawn from the images the scarce split leaves unused, never seen by a GAN or "
                                 "the judge; a count the dataset cannot fill, or not above data.per_class, is skipped "
                                 "and said; [] = off")

    def per_class_of(self, name: str) -> int:
        return self.per_class[name] if isinstance(self.per_class, dict) else self.per_class


@dataclass(frozen=True)
class GanParams:
    family: str = knob("dcgan", choices=GAN_FAMILIES)
    z_dim: int = knob(64, lo=1)
    g_width: int = knob(32, lo=4, doc="generator channels at the last upsampling block")
    d_width: int = knob(32, lo=4, doc="discriminator channels at the first block")
    steps: int | str = knob(AUTO, lo=1, doc="GAN steps per class, or 'auto': 300 at 16x16, scaled with the image "
                             "area (28x28: 900, 32x32: 1200, 64x64: 4800), rounded to a multiple of 50")
    batch_size: int = knob(32, lo=2)
    lr_g: float = knob(2e-4, lo=0.0, lo_open=True)
    lr_d: float = knob(2e-4, lo=0.0, lo_open=True)
    beta1: float = knob(0.5, lo=0.0, hi=1.0, hi_open=True)
    beta2: float = knob(0.999, lo=0.0, hi=1.0, hi_open=True)
    n_critic: int = knob(1, lo=1, doc="D (critic) updates per G update; WGAN-GP usually uses 5")
    gp_lambda: float = knob(10.0, lo=0.0, doc="gradient-penalty weight (wgan_gp only)")
    diffaugment: str = knob("", doc="DiffAugment policies applied to real and fake "
                             "images in D and G steps, comma-separated from color, translation, cutout; '' = off")
    ema_decay: float = knob(0.99, lo=0.0, hi=1.0, hi_open=True,
                             doc="EMA of generator weights used for sampling; 0 = off (use the raw weights)")
    lecam: float = knob(0.0, lo=0.0, doc="LeCam regularisation weight in the D loss (Tseng et al., 2021); 0 = off")
    warmup_steps: int = knob(0, lo=0, doc="generator warm-up steps matching the real class's feature statistics "
                              "under a fixed random-weight discriminator body before adversarial training")
    eval_every: int = knob(50, lo=0, doc="keep a snapshot every N steps; the refine stage keeps the one "
                            "closest to the class (Fréchet distance in the judge's feature space); 0 = the last step")
    select_against: str = knob("validation", choices=SELECT_AGAINST, doc="the real images a snapshot's samples are "
                                "scored against: the class's validation images, which no GAN trains on, or its training "
                                "images (rewards a snapshot that reproduces them)")
    eval_samples: int = knob(256, lo=2, doc="generated images per checkpoint score")
    on_divergence: str = knob("stop", choices=ON_DIVERGENCE, doc="NaN/inf or exploding D loss: stop with an "
                               "error, or restore the best snapshot so far and end training there")
    max_d_loss: float = knob(1e4, lo=0.0, lo_open=True, doc="|D loss| above this counts as divergence")
    log_every: int = knob(20, lo=1)
    checkpoint_every: int = knob(100, lo=0, doc="save the full training state every N steps so a killed stage "
                                  "resumes (0 = never); kept in .synthmix/resume, outside DVC's outputs")
    base_steps: int = knob(0, lo=0, doc="steps of a shared base GAN per GAN seed (stage train_gan_base), trained on "
                            "every class's training images; each class's GAN then starts from it and fine-tunes "
                            "for gan.steps on its own class; 0 = off (each class's GAN from scratch)")
    freeze_d_blocks: int = knob(0, lo=0, doc="with a base (gan.base_steps > 0): the discriminator's first N blocks "
                                 "keep the base's weights while a class fine-tunes (FreezeD, Mo et al. 2020); 0 = none")
    seeds: list[int] = knob([0, 1, 2], item_lo=0, item_hi=2**31 - 1,
                             doc="one GAN per class per seed, each its own stage; classifier replicate s of a "
                                 "synthetic or mix variant uses the images of GAN seed seeds[s % len(seeds)]")

    def for_image_size(self, size: int) -> "GanParams":
        """These params with `steps` resolved: 'auto' is 300 steps at 16x16, scaled with the image
        area and rounded to a multiple of 50 (larger images need a longer budget)."""
        if self.steps != AUTO:
            return self
        return dataclasses.replace(self, steps=max(50, 50 * round(300 * (size / 16) ** 2 / 50)))


@dataclass(frozen=True)
class GenerateParams:
    per_class: int = knob(200, lo=1, doc="synthetic images per class that must pass the filter: each class's "
                           "generator is drawn from until this many are kept (or generate.max_draws is reached)")
    max_draws: int = knob(2000, lo=1, doc="cap on the images drawn per class while filling generate.per_class")
    seed: int = knob(0, lo=0)


@dataclass(frozen=True)
class FilterParams:
    mode: str = knob("relative", choices=FILTER_MODES,
                      doc="relative: keep an image whose judge probability of its class is at least the "
                          "filter.quantile of that probability over the class's real validation images; "
                          "top: keep the filter.fraction most convincing draws of each class; "
                          "threshold: keep an image whose (calibrated) probability is >= filter.threshold")
    quantile: float = knob(0.5, lo=0.0, hi=1.0, doc="relative mode: the quantile of the real validation "
                            "images' probabilities a synthetic image must reach")
    fraction: float = knob(0.5, lo=0.0, hi=1.0, lo_open=True, doc="top mode: the share of each class's draws kept")
    threshold: float = knob(0.9, lo=0.0, hi=1.0,
                             doc="threshold mode: keep a synthetic image when the judge's calibrated probability "
                                 "of its intended class is >= this")
    min_unique: int = knob(50, lo=1, doc="a classifier variant whose training set holds fewer unique synthetic "
                            "images of a class than this (or than it asks for, when fewer) fails instead of "
                            "training on a handful of images repeated; unique = no near-duplicate of another kept "
                            "image (within the class's near-duplicate radius in pixels)")


@dataclass(frozen=True)
class RefineParams:
    rounds: int = knob(0, lo=0, doc="classifier-guided refinement rounds; 0 = off (costs nothing)")
    samples: int = knob(200, lo=1, doc="images generated per round, kept by the filter rule (filter.*)")
    steps: int = knob(100, lo=1, doc="GAN fine-tuning steps per round on real + kept images")
    seed: int = knob(0, lo=0)


CLASSIFIER_ARCHS = ("cnn", "mobilenet_v2", "resnet18")
TRAIN_LAYERS = ("all", "head")
KEEP_WEIGHTS = ("best", "last")
# cpu_bf16 auto: bf16 for images over this side. Measured at 8x8 (bf16 saves 8% of a step, not
# worth other numbers) and 28x28 (0.56x), not at 16x16; the image side, so for the cnn only (the
# pretrained archs compute at input_size: set true or false for them)
BF16_ABOVE = 16


@dataclass(frozen=True)
class CnnParams:
    """Shared by the judge and the classifiers: the network and how it is trained."""
    min_steps: ClassVar[int] = MIN_STEPS        # the floor of steps: auto (each recipe its own)
    arch: str = knob("cnn", choices=CLASSIFIER_ARCHS, doc="cnn: a small CNN sized to the images; mobilenet_v2, "
                      "resnet18: torchvision's, fed 3-channel images resized to input_size")
    pretrained: bool = knob(False, doc="start mobilenet_v2/resnet18 from torchvision's ImageNet weights (fetched once "
                             "and verified, see SYNTHMIX_WEIGHTS)")
    input_size: int = knob(0, lo=0, doc="mobilenet_v2/resnet18: the side images are resized to; 0 = 224, what the "
                            "ImageNet weights expect (smaller, e.g. 64, trains much faster on a CPU)")
    backbone_lr: float = knob(0.1, lo=0.0, doc="mobilenet_v2/resnet18: the backbone's learning rate as a fraction "
                               "of lr (the new head trains at lr)")
    train_layers: str = knob("all", choices=TRAIN_LAYERS, doc="mobilenet_v2/resnet18: all, or head (the backbone "
                              "stays as loaded)")
    width: int = knob(16, lo=4, doc="cnn: channels of the first block")
    steps: int | str = knob(AUTO, lo=1, doc="optimizer steps, the same for every variant whatever its training-set "
                             "size; 'auto': 60 passes' worth of batches over the real training images, times the "
                             "image side / 16, at least 300 (the judge: 450), rounded to 50 (the measured plateau, "
                             "benchmarks/classifier_budget.py)")
    eval_every: int | str = knob(AUTO, lo=1, doc="check the validation accuracy every N steps (and at the last): "
                                  "the validation curve, and the candidates of keep: best; 'auto': 20 checks per run")
    batch_size: int = knob(64, lo=2)
    lr: float = knob(2e-3, lo=0.0, lo_open=True)
    weight_decay: float = knob(5e-4, lo=0.0)
    label_smoothing: float = knob(0.0, lo=0.0, hi=0.5, doc="label smoothing of the training loss (0 = none)")
    cpu_bf16: bool | str = knob(False, doc="bf16 autocast of the training forward pass on a CPU with native "
                                "bf16 (AMX or AVX512-BF16; float32 on other CPUs, where bf16 is emulated and "
                                "slower): true, false, or 'auto' = on for images over "
                                f"{BF16_ABOVE}x{BF16_ABOVE} (a 28x28 step in 0.56x the time here; 8x8 0.92x). "
                                "It changes the numbers: CPUs with and without it give different results (on "
                                "CUDA, runtime.amp decides)")
    keep: str = knob("best", choices=KEEP_WEIGHTS, doc="the weights training returns: best (those of the "
                     "validation check with the highest accuracy) or last (the end of the schedule; the checks "
                     "only draw the curve)")

    def budget(self, real_images: int, image_size: int) -> int:
        """`steps` resolved: 'auto' is PASSES_OVER_REAL passes' worth of batches over the real
        training images, times image_size / 16 (at least `min_steps`, a multiple of 50): for 500 real
        images, 300 at 8x8 (the classifiers' floor; the judge's is 450), 450 at 16x16, 800 at 28x28.
        It counts real images only, so every variant of a comparison, a 4x larger mix included,
        trains for the same number of steps."""
        if self.steps != AUTO:
            return int(self.steps)
        passes = PASSES_OVER_REAL * real_images / self.batch_size * image_size / 16
        return max(self.min_steps, 50 * round(passes / 50))

    def bf16_on_cpu(self, image_size: int) -> bool:
        """`cpu_bf16` resolved for images of this side: 'auto' is on above BF16_ABOVE. (Whether the
        CPU has native bf16 is `core.runtime.autocast`'s to check: float32 where it has not.)"""
        return self.cpu_bf16 is True or (self.cpu_bf16 == AUTO and image_size > BF16_ABOVE)

    def eval_interval(self, steps: int) -> int:
        """Steps between validation checks: `eval_every`, or 'auto' = steps / 20 (at least 1)."""
        return max(1, steps // 20) if self.eval_every == AUTO else int(self.eval_every)


@dataclass(frozen=True)
class JudgeParams(CnnParams):
    seed: int = knob(0, lo=0)


@dataclass(frozen=True)
class ClassifierParams(CnnParams):
    min_steps: ClassVar[int] = CLASSIFIER_MIN_STEPS
    lr: float = knob(5e-3, lo=0.0, lo_open=True, doc="peak learning rate of the one-cycle schedule")
    # Measured on mnist_sample 28x28 (docs/statistics.md, "The recipe"): with the plain loss and the
    # best of 20 checks on 200 validation images kept, two augmented mixes gained more than 0.5
    # points from 4x the steps; with label smoothing and the schedule's last weights, 800 steps reach
    # more than the old recipe did in 3,200.
    label_smoothing: float = knob(0.1, lo=0.0, hi=0.5, doc="label smoothing of the training loss (0 = none)")
    keep: str = knob("last", choices=KEEP_WEIGHTS, doc="the weights a replicate keeps: last (the end of the "
                     "one-cycle schedule; the checks only draw the validation curve) or best (the check with the "
                     "highest validation accuracy)")
    replicates: int = knob(15, lo=1, doc="classifiers per variant; replicate s of every variant starts from the "
                            "same weights and random stream, so variants are compared replicate by replicate")
    seed: int = knob(0, lo=0)


# Datasets whose classes stay the same class when mirrored left-right; digits, road signs and
# unknown folders are not assumed to be (a mirrored 2 or a mirrored "keep right" sign is another thing).
MIRROR_INVARIANT = ("fashion_mnist", "cifar10", "fer2013")


@dataclass(frozen=True)
class AugmentParams:
    flip: bool | str = knob(AUTO, doc="random horizontal flips: true, false, or 'auto' = on for datasets whose "
                             "classes are mirror-invariant (" + ", ".join(MIRROR_INVARIANT) + "), off otherwise")
    brightness: float = knob(0.2, lo=0.0, hi=1.0, doc="max relative brightness change")
    zoom: float = knob(0.1, lo=0.0, hi=0.9, doc="max relative zoom in or out")
    rotation: float = knob(15.0, lo=0.0, hi=180.0, doc="max rotation in degrees")

    def for_dataset(self, name: str) -> "AugmentParams":
        """These params with `flip` resolved for dataset `name` ('auto': on where classes are mirror-invariant)."""
        if self.flip != AUTO:
            return self
        return dataclasses.replace(self, flip=name in MIRROR_INVARIANT)


@dataclass(frozen=True)
class MixParams:
    ratios: list[int] = knob([25, 50, 75], item_lo=0, item_hi=100,
                              doc="percent of synthetic images in the training set, one classifier each")
    mode: str = knob("add", choices=MIX_MODES,
                      doc="add: keep every real image and add synthetic ones; replace: fixed total size; "
                          "balance: fill every class up to the same size with synthetic ones")
    augmented: bool = knob(True, doc="also train every ratio on top of classic augmentation (augmented_mix_<pct>, "
                            "tested against `augmented`); false: those stages train nothing")


@dataclass(frozen=True)
class RobustnessParams:
    kinds: list[str] = knob(list(CORRUPTION_KINDS), item_choices=CORRUPTION_KINDS,
                             doc="noise types applied to the real test images")
    levels: list[float] = knob([0.0, 0.1, 0.25, 0.5, 0.85], item_lo=0.0, item_hi=1.0,
                                doc="fractions of each type's range; accuracy is reported at each")
    max_images: int = knob(2000, lo=1, doc="the corrupted sets are made from a stratified, seeded subset of the "
                            "test split of at most this many images (clean metrics use the whole test split)")
    replicates: int = knob(3, lo=1, doc="the first N replicates of each variant are scored on the corrupted sets "
                            "(the curves are their mean); every replicate is scored on the clean test split")
    failure_fraction: float = knob(0.8, lo=0.0, hi=1.0, lo_open=True,
                                    doc="a classifier fails at the lowest level where accuracy < this x clean accuracy")
    seed: int = knob(0, lo=0)


@dataclass(frozen=True)
class EvaluateParams:
    alpha: float = knob(0.05, lo=0.0, hi=1.0, lo_open=True, hi_open=True,
                         doc="significance level: a difference against `real` with p >= alpha is reported as not significant")
    saliency_per_class: int = knob(2, lo=0, hi=16, doc="test images per class shown with gradient saliency maps")


@dataclass(frozen=True)
class QualityParams:
    k: int = knob(3, lo=1, doc="nearest neighbours for precision/recall and density/coverage")
    detector_epochs: int = knob(30, lo=1, doc="epochs of the per-class real-vs-synthetic detector")
    detector_width: int = knob(8, lo=4)
    inception: bool = knob(False, doc="also the standard FID/KID in Inception-v3 features (downloads the FID "
                            "network's weights once, see SYNTHMIX_WEIGHTS; slow on a CPU: images are resized to 299)")
    seed: int = knob(0, lo=0)


@dataclass(frozen=True)
class RuntimeParams:
    device: str = knob("auto", choices=DEVICES)
    threads: int = knob(0, lo=0, doc="CPU cores a stage uses (0 = all): torch threads, or in the classifier "
                         "stages that many replicates side by side with one thread each")
    deterministic: bool = knob(True, doc="bit-identical outputs on CPU for the same inputs and seed")
    amp: bool = knob(True, doc="bf16 autocast for training on CUDA devices that support it (ignored on CPU)")
    compile: bool = knob(False, doc="torch.compile the models for training (worth it for long GPU runs)")


@dataclass(frozen=True)
class Params:
    """The whole `params.yaml`: one field per section."""
    data: DataParams = field(default_factory=DataParams)
    gan: GanParams = field(default_factory=GanParams)
    generate: GenerateParams = field(default_factory=GenerateParams)
    filter: FilterParams = field(default_factory=FilterParams)
    refine: RefineParams = field(default_factory=RefineParams)
    judge: JudgeParams = field(default_factory=JudgeParams)
    classifier: ClassifierParams = field(default_factory=ClassifierParams)
    augment: AugmentParams = field(default_factory=AugmentParams)
    mix: MixParams = field(default_factory=MixParams)
    robustness: RobustnessParams = field(default_factory=RobustnessParams)
    evaluate: EvaluateParams = field(default_factory=EvaluateParams)
    quality: QualityParams = field(default_factory=QualityParams)
    runtime: RuntimeParams = field(default_factory=RuntimeParams)
