"""Every knob of the pipeline: one frozen dataclass per `params.yaml` section, validated on load.

Validation happens before any work: an unknown key, a wrong type, a value out of range or an
incompatible combination raises `ParamsError` naming the key, the value and what is allowed.
Constraints live next to each field (`metadata`), so the check and the documentation of what is
allowed cannot drift apart.
"""
from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from synthmix.sizes import factor_size
from synthmix.variants import check_ratio


class ParamsError(ValueError):
    """A params document that cannot be used: names the key, the value and what is allowed."""


def _f(default: Any, *, lo: float | None = None, hi: float | None = None,
       choices: tuple | None = None, lo_open: bool = False, hi_open: bool = False,
       item_lo: float | None = None, item_hi: float | None = None, item_choices: tuple | None = None,
       allow_empty: bool = False, doc: str = ""):
    """A dataclass field carrying its constraints. A field typed `int | str` takes an int or "auto"."""
    meta = {"lo": lo, "hi": hi, "choices": choices, "lo_open": lo_open, "hi_open": hi_open,
            "item_lo": item_lo, "item_hi": item_hi, "item_choices": item_choices, "allow_empty": allow_empty,
            "doc": doc}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta)


AUTO = "auto"
# classifier/judge `steps: auto` (CnnParams.budget), from benchmarks/classifier_budget.py
PASSES_OVER_REAL = 60
MIN_STEPS = 450     # 300 left `augmented` +0.53 points below its 4x accuracy on digits at 8x8 (benchmarks/README.md)
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
    name: str = _f("digits", choices=DATASETS, doc="dataset source")
    root: str = _f("data/downloads", doc="where raw files are looked for (offline copies) and downloaded to "
                   "(<root>/<name>/); for name 'folder', the image folder root/<class>/*.png")
    mirror: str = _f("", doc="base URL to download from instead of the official locations (\"\" = official)")
    classes: list[str] = _f([str(i) for i in range(10)],
                            doc="class names to keep, in label order (the per-class stages run over these)")
    per_class: int | dict[str, int] = _f(50, lo=1, doc="real training images per class (scarcity): one number, "
                                         "or a mapping class -> number for an imbalanced training set")
    val_per_class: int = _f(20, lo=1, doc="real validation images per class")
    test_fraction: float = _f(0.3, lo=0.0, hi=1.0, lo_open=True, hi_open=True,
                              doc="fraction of each class held out as the untouched real test split")
    image_size: int = _f(16, lo=8, hi=256, doc="images are resized to image_size x image_size")
    seed: int = _f(0, lo=0)
    more_real: list[int] = _f([100, 200], item_lo=1, item_hi=1_000_000, allow_empty=True,
                              doc="larger real training sets, images per class, each trained real-only (variant "
                              "real_<n>, stage train_more_real@<n>) to count what synthetic images are worth in real "
                              "images; drawn from the images the scarce split leaves unused, never seen by a GAN or "
                              "the judge; a count the dataset cannot fill, or not above data.per_class, is skipped "
                              "and said; [] = off")

    def per_class_of(self, name: str) -> int:
        return self.per_class[name] if isinstance(self.per_class, dict) else self.per_class


@dataclass(frozen=True)
class GanParams:
    family: str = _f("dcgan", choices=GAN_FAMILIES)
    z_dim: int = _f(64, lo=1)
    g_width: int = _f(32, lo=4, doc="generator channels at the last upsampling block")
    d_width: int = _f(32, lo=4, doc="discriminator channels at the first block")
    steps: int | str = _f(AUTO, lo=1, doc="GAN steps per class, or 'auto': 300 at 16x16, scaled with the image "
                          "area (28x28: 900, 32x32: 1200, 64x64: 4800), rounded to a multiple of 50")
    batch_size: int = _f(32, lo=2)
    lr_g: float = _f(2e-4, lo=0.0, lo_open=True)
    lr_d: float = _f(2e-4, lo=0.0, lo_open=True)
    beta1: float = _f(0.5, lo=0.0, hi=1.0, hi_open=True)
    beta2: float = _f(0.999, lo=0.0, hi=1.0, hi_open=True)
    n_critic: int = _f(1, lo=1, doc="D (critic) updates per G update; WGAN-GP usually uses 5")
    gp_lambda: float = _f(10.0, lo=0.0, doc="gradient-penalty weight (wgan_gp only)")
    diffaugment: str = _f("", doc="DiffAugment policies applied to real and fake "
                          "images in D and G steps, comma-separated from color, translation, cutout; '' = off")
    ema_decay: float = _f(0.99, lo=0.0, hi=1.0, hi_open=True,
                          doc="EMA of generator weights used for sampling; 0 = off (use the raw weights)")
    lecam: float = _f(0.0, lo=0.0, doc="LeCam regularisation weight in the D loss (Tseng et al., 2021); 0 = off")
    warmup_steps: int = _f(0, lo=0, doc="generator warm-up steps matching the real class's feature statistics "
                           "under a fixed random-weight discriminator body before adversarial training")
    eval_every: int = _f(50, lo=0, doc="keep a snapshot every N steps; the refine stage keeps the one "
                         "closest to the class (Fréchet distance in the judge's feature space); 0 = the last step")
    select_against: str = _f("validation", choices=SELECT_AGAINST, doc="the real images a snapshot's samples are "
                             "scored against: the class's validation images, which no GAN trains on, or its training "
                             "images (rewards a snapshot that reproduces them)")
    eval_samples: int = _f(256, lo=2, doc="generated images per checkpoint score")
    on_divergence: str = _f("stop", choices=ON_DIVERGENCE, doc="NaN/inf or exploding D loss: stop with an "
                            "error, or restore the best snapshot so far and end training there")
    max_d_loss: float = _f(1e4, lo=0.0, lo_open=True, doc="|D loss| above this counts as divergence")
    log_every: int = _f(20, lo=1)
    checkpoint_every: int = _f(100, lo=0, doc="save the full training state every N steps so a killed stage "
                               "resumes (0 = never); kept in .synthmix/resume, outside DVC's outputs")
    base_steps: int = _f(0, lo=0, doc="steps of a shared base GAN per GAN seed (stage train_gan_base), trained on "
                         "every class's training images; each class's GAN then starts from it and fine-tunes "
                         "for gan.steps on its own class; 0 = off (each class's GAN from scratch)")
    freeze_d_blocks: int = _f(0, lo=0, doc="with a base (gan.base_steps > 0): the discriminator's first N blocks "
                              "keep the base's weights while a class fine-tunes (FreezeD, Mo et al. 2020); 0 = none")
    seeds: list[int] = _f([0, 1, 2], item_lo=0, item_hi=2**31 - 1,
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
    per_class: int = _f(200, lo=1, doc="synthetic images per class that must pass the filter: each class's "
                        "generator is drawn from until this many are kept (or generate.max_draws is reached)")
    max_draws: int = _f(2000, lo=1, doc="cap on the images drawn per class while filling generate.per_class")
    seed: int = _f(0, lo=0)


@dataclass(frozen=True)
class FilterParams:
    mode: str = _f("relative", choices=FILTER_MODES,
                   doc="relative: keep an image whose judge probability of its class is at least the "
                       "filter.quantile of that probability over the class's real validation images; "
                       "top: keep the filter.fraction most convincing draws of each class; "
                       "threshold: keep an image whose (calibrated) probability is >= filter.threshold")
    quantile: float = _f(0.5, lo=0.0, hi=1.0, doc="relative mode: the quantile of the real validation "
                         "images' probabilities a synthetic image must reach")
    fraction: float = _f(0.5, lo=0.0, hi=1.0, lo_open=True, doc="top mode: the share of each class's draws kept")
    threshold: float = _f(0.9, lo=0.0, hi=1.0,
                          doc="threshold mode: keep a synthetic image when the judge's calibrated probability "
                              "of its intended class is >= this")
    min_unique: int = _f(50, lo=1, doc="a classifier variant whose training set holds fewer unique synthetic "
                         "images of a class than this (or than it asks for, when fewer) fails instead of "
                         "training on a handful of images repeated; unique = no near-duplicate of another kept "
                         "image (within the class's near-duplicate radius in pixels)")


@dataclass(frozen=True)
class RefineParams:
    rounds: int = _f(0, lo=0, doc="classifier-guided refinement rounds; 0 = off (costs nothing)")
    samples: int = _f(200, lo=1, doc="images generated per round, kept by the filter rule (filter.*)")
    steps: int = _f(100, lo=1, doc="GAN fine-tuning steps per round on real + kept images")
    seed: int = _f(0, lo=0)


CLASSIFIER_ARCHS = ("cnn", "mobilenet_v2", "resnet18")
TRAIN_LAYERS = ("all", "head")


@dataclass(frozen=True)
class CnnParams:
    """Shared by the judge and the classifiers: the network and how it is trained."""
    arch: str = _f("cnn", choices=CLASSIFIER_ARCHS, doc="cnn: a small CNN sized to the images; mobilenet_v2, "
                   "resnet18: torchvision's, fed 3-channel images resized to input_size")
    pretrained: bool = _f(False, doc="start mobilenet_v2/resnet18 from torchvision's ImageNet weights (fetched once "
                          "and verified, see SYNTHMIX_WEIGHTS)")
    input_size: int = _f(0, lo=0, doc="mobilenet_v2/resnet18: the side images are resized to; 0 = 224, what the "
                         "ImageNet weights expect (smaller, e.g. 64, trains much faster on a CPU)")
    backbone_lr: float = _f(0.1, lo=0.0, doc="mobilenet_v2/resnet18: the backbone's learning rate as a fraction "
                            "of lr (the new head trains at lr)")
    train_layers: str = _f("all", choices=TRAIN_LAYERS, doc="mobilenet_v2/resnet18: all, or head (the backbone "
                           "stays as loaded)")
    width: int = _f(16, lo=4, doc="cnn: channels of the first block")
    steps: int | str = _f(AUTO, lo=1, doc="optimizer steps, the same for every variant whatever its training-set "
                          "size; 'auto': 60 passes' worth of batches over the real training images, times the "
                          "image side / 16, at least 450, rounded to 50 (the measured plateau, "
                          "benchmarks/classifier_budget.py)")
    eval_every: int | str = _f(AUTO, lo=1, doc="check the validation accuracy every N steps (and at the last) "
                               "and keep the best weights; 'auto': 20 checks per run")
    batch_size: int = _f(64, lo=2)
    lr: float = _f(2e-3, lo=0.0, lo_open=True)
    weight_decay: float = _f(5e-4, lo=0.0)

    def budget(self, real_images: int, image_size: int) -> int:
        """`steps` resolved: 'auto' is PASSES_OVER_REAL passes' worth of batches over the real
        training images, times image_size / 16 (at least MIN_STEPS, a multiple of 50): 450 steps for
        500 real images at 16x16, 800 at 28x28. It counts real images only, so every variant of a
        comparison, a 4x larger mix included, trains for the same number of steps."""
        if self.steps != AUTO:
            return int(self.steps)
        passes = PASSES_OVER_REAL * real_images / self.batch_size * image_size / 16
        return max(MIN_STEPS, 50 * round(passes / 50))

    def eval_interval(self, steps: int) -> int:
        """Steps between validation checks: `eval_every`, or 'auto' = steps / 20 (at least 1)."""
        return max(1, steps // 20) if self.eval_every == AUTO else int(self.eval_every)


@dataclass(frozen=True)
class JudgeParams(CnnParams):
    seed: int = _f(0, lo=0)


@dataclass(frozen=True)
class ClassifierParams(CnnParams):
    lr: float = _f(5e-3, lo=0.0, lo_open=True, doc="peak learning rate of the one-cycle schedule")
    replicates: int = _f(15, lo=1, doc="classifiers per variant; replicate s of every variant starts from the "
                         "same weights and random stream, so variants are compared replicate by replicate")
    seed: int = _f(0, lo=0)


# Datasets whose classes stay the same class when mirrored left-right; digits, road signs and
# unknown folders are not assumed to be (a mirrored 2 or a mirrored "keep right" sign is another thing).
MIRROR_INVARIANT = ("fashion_mnist", "cifar10", "fer2013")


@dataclass(frozen=True)
class AugmentParams:
    flip: bool | str = _f(AUTO, doc="random horizontal flips: true, false, or 'auto' = on for datasets whose "
                          "classes are mirror-invariant (" + ", ".join(MIRROR_INVARIANT) + "), off otherwise")
    brightness: float = _f(0.2, lo=0.0, hi=1.0, doc="max relative brightness change")
    zoom: float = _f(0.1, lo=0.0, hi=0.9, doc="max relative zoom in or out")
    rotation: float = _f(15.0, lo=0.0, hi=180.0, doc="max rotation in degrees")

    def for_dataset(self, name: str) -> "AugmentParams":
        """These params with `flip` resolved for dataset `name` ('auto': on where classes are mirror-invariant)."""
        if self.flip != AUTO:
            return self
        return dataclasses.replace(self, flip=name in MIRROR_INVARIANT)


@dataclass(frozen=True)
class MixParams:
    ratios: list[int] = _f([25, 50, 75], item_lo=0, item_hi=100,
                           doc="percent of synthetic images in the training set, one classifier each")
    mode: str = _f("add", choices=MIX_MODES,
                   doc="add: keep every real image and add synthetic ones; replace: fixed total size; "
                       "balance: fill every class up to the same size with synthetic ones")
    augmented: bool = _f(True, doc="also train every ratio on top of classic augmentation (augmented_mix_<pct>, "
                         "tested against `augmented`); false: those stages train nothing")


@dataclass(frozen=True)
class RobustnessParams:
    kinds: list[str] = _f(list(CORRUPTION_KINDS), item_choices=CORRUPTION_KINDS,
                          doc="noise types applied to the real test images")
    levels: list[float] = _f([0.0, 0.1, 0.25, 0.5, 0.85], item_lo=0.0, item_hi=1.0,
                             doc="fractions of each type's range; accuracy is reported at each")
    max_images: int = _f(2000, lo=1, doc="the corrupted sets are made from a stratified, seeded subset of the "
                         "test split of at most this many images (clean metrics use the whole test split)")
    replicates: int = _f(3, lo=1, doc="the first N replicates of each variant are scored on the corrupted sets "
                         "(the curves are their mean); every replicate is scored on the clean test split")
    failure_fraction: float = _f(0.8, lo=0.0, hi=1.0, lo_open=True,
                                 doc="a classifier fails at the lowest level where accuracy < this x clean accuracy")
    seed: int = _f(0, lo=0)


@dataclass(frozen=True)
class EvaluateParams:
    alpha: float = _f(0.05, lo=0.0, hi=1.0, lo_open=True, hi_open=True,
                      doc="significance level: a difference against `real` with p >= alpha is reported as not significant")
    saliency_per_class: int = _f(2, lo=0, hi=16, doc="test images per class shown with gradient saliency maps")


@dataclass(frozen=True)
class QualityParams:
    k: int = _f(3, lo=1, doc="nearest neighbours for precision/recall and density/coverage")
    detector_epochs: int = _f(30, lo=1, doc="epochs of the per-class real-vs-synthetic detector")
    detector_width: int = _f(8, lo=4)
    inception: bool = _f(False, doc="also the standard FID/KID in Inception-v3 features (downloads the FID "
                         "network's weights once, see SYNTHMIX_WEIGHTS; slow on a CPU: images are resized to 299)")
    seed: int = _f(0, lo=0)


@dataclass(frozen=True)
class RuntimeParams:
    device: str = _f("auto", choices=DEVICES)
    threads: int = _f(0, lo=0, doc="CPU cores a stage uses (0 = all): torch threads, or in the classifier "
                      "stages that many replicates side by side with one thread each")
    deterministic: bool = _f(True, doc="bit-identical outputs on CPU for the same inputs and seed")
    amp: bool = _f(True, doc="bf16 autocast for training on CUDA devices that support it (ignored on CPU)")
    compile: bool = _f(False, doc="torch.compile the models for training (worth it for long GPU runs)")


@dataclass(frozen=True)
class Params:
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


def _describe(meta: dict, typ: Any) -> str:
    """What is allowed for a field, in words."""
    if meta.get("choices"):
        return "one of " + ", ".join(repr(c) for c in meta["choices"])
    name = getattr(typ, "__name__", str(typ))
    if typing.get_origin(typ) is list:
        (inner,) = typing.get_args(typ)
        s = f"a list of {inner.__name__}"
        if meta.get("item_choices"):
            return s + " from " + ", ".join(repr(c) for c in meta["item_choices"]) + ", without repeats"
        if meta.get("item_lo") is not None:
            s += f" each in {meta['item_lo']}..{meta['item_hi']}, without repeats"
        return s
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is not None and hi is not None:
        left = "(" if meta["lo_open"] else "["
        right = ")" if meta["hi_open"] else "]"
        return f"{'an' if name == 'int' else 'a'} {name} in {left}{lo}, {hi}{right}"
    if lo is not None:
        return f"{'an' if name == 'int' else 'a'} {name} {'>' if meta['lo_open'] else '>='} {lo}"
    return f"a {name}"


def _check_scalar(value: Any, typ: type, key: str, meta: dict) -> Any:
    allowed = _describe(meta, typ)
    # bool is a subclass of int in Python; `steps: true` must not pass as 1.
    if typ is bool:
        ok = isinstance(value, bool)
    elif typ is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif typ is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
        if ok and not math.isfinite(value):  # NaN passes no range check; inf is never meant
            ok = False
    elif typ is str:
        ok = isinstance(value, str)
    else:  # pragma: no cover - every field type is listed above
        raise TypeError(typ)
    if not ok:
        raise ParamsError(f"params: {key} = {value!r}: must be {allowed}")
    if meta.get("choices") and value not in meta["choices"]:
        raise ParamsError(f"params: {key} = {value!r}: must be {allowed}")
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is not None and (value < lo or (meta["lo_open"] and value == lo)):
        raise ParamsError(f"params: {key} = {value!r}: must be {allowed}")
    if hi is not None and (value > hi or (meta["hi_open"] and value == hi)):
        raise ParamsError(f"params: {key} = {value!r}: must be {allowed}")
    return value


def _check_field(value: Any, typ: Any, key: str, meta: dict) -> Any:
    if typing.get_origin(typ) in (typing.Union, types.UnionType) and typing.get_args(typ)[1] is str:  # int | "auto"
        scalar = typing.get_args(typ)[0]
        if value == AUTO:
            return value
        if isinstance(value, str):
            raise ParamsError(f"params: {key} = {value!r}: must be {_describe(meta, scalar)}, or {AUTO!r}")
        return _check_scalar(value, scalar, key, meta)
    if typing.get_origin(typ) in (typing.Union, types.UnionType):  # int | dict[str, int]
        scalar, mapping = typing.get_args(typ)
        if not isinstance(value, dict):
            if not isinstance(value, scalar) or isinstance(value, bool):
                raise ParamsError(f"params: {key} = {value!r}: must be {_describe(meta, scalar)}, or a mapping "
                                  f"of class name to {_describe(meta, scalar)}")
            return _check_scalar(value, scalar, key, meta)
        if not value:
            raise ParamsError(f"params: {key} = {{}}: a mapping must name at least one class")
        _, inner = typing.get_args(mapping)
        return {str(k): _check_scalar(v, inner, f"{key}.{k}", meta) for k, v in value.items()}
    if typing.get_origin(typ) is list:
        (inner,) = typing.get_args(typ)
        if not isinstance(value, list) or not (value or meta.get("allow_empty")):
            empty = "" if meta.get("allow_empty") else "non-empty "
            raise ParamsError(f"params: {key} = {value!r}: must be a {empty}list of {inner.__name__}")
        item_meta = dict(meta, lo=meta.get("item_lo"), hi=meta.get("item_hi"), choices=meta.get("item_choices"))
        items = []
        for i, item in enumerate(value):
            if inner is str and isinstance(item, int) and not isinstance(item, bool):
                item = str(item)  # `classes: [0, 1]` in YAML means the names "0" and "1"
            items.append(_check_scalar(item, inner, f"{key}[{i}]", item_meta))
        if len(set(items)) != len(items):
            dup = sorted({x for x in items if items.count(x) > 1})
            raise ParamsError(f"params: {key} = {value!r}: repeated entries {dup}; each must appear once")
        return items
    return _check_scalar(value, typ, key, meta)


def _build_section(cls: type, raw: Any, section: str):
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ParamsError(f"params: {section} = {raw!r}: must be a mapping of keys to values")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    unknown = sorted(set(map(str, raw)) - set(fields))
    if unknown:
        raise ParamsError(f"params: unknown key {section}.{unknown[0]}; allowed keys in {section}: "
                          + ", ".join(sorted(fields)))
    values = {name: _check_field(value, hints[name], f"{section}.{name}", fields[name].metadata)
              for name, value in raw.items()}
    return cls(**values)


def class_name_problem(name: str) -> str | None:
    """Why a class name cannot be used, or None. A name is a file name (data/prepared/train/<name>.npy)
    and part of a stage name (train_gan@<name>-<seed>); DVC passes it to the stage's command
    shell-quoted, so spaces, quotes, '&', commas, a leading '-' and any letter work. What cannot be
    made safe: '/' and '\\' (path separators), '@' (DVC's stage-name separator), a leading '.'
    (hidden files, '..'), control characters, and surrounding spaces (Git's ignore patterns drop
    trailing ones)."""
    if not name:
        return "a class name must not be empty"
    bad = [c for c in "/\\@" if c in name]
    if bad:
        return (f"it contains {' and '.join(map(repr, bad))}: a class name is a file name and part of a DVC stage "
                "name, where '/' and '\\' separate folders and '@' separates a stage from its item")
    if name.startswith("."):
        return "it starts with '.': a class name is a file name, and those are hidden files (or '..')"
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "it contains a control character (a newline, a tab...), which file names and commands cannot carry safely"
    if name != name.strip():
        return "it starts or ends with a space, which is easily lost when the name is typed or copied (and Git drops a trailing one in ignore files)"
    if len(name.encode()) > 200:
        return (f"it is {len(name.encode())} bytes long: a file name holds at most 255 bytes, and a class's files add "
                "suffixes and temporary-file marks to it (at most 200)")
    return None


def _check_gan(p: Params) -> None:
    """The rules of _check_combination that involve gan.* keys."""
    bad = [x.strip() for x in p.gan.diffaugment.split(",") if x.strip() and x.strip() not in DIFFAUGMENT_POLICIES]
    if bad:
        raise ParamsError(f"params: gan.diffaugment = {p.gan.diffaugment!r}: unknown policy {bad[0]!r}; must be "
                          f"'' or a comma-separated list of {', '.join(DIFFAUGMENT_POLICIES)}")
    if p.gan.select_against == "validation" and p.gan.eval_every and p.data.val_per_class < 2:
        raise ParamsError(f"params: data.val_per_class = {p.data.val_per_class} with gan.select_against = 'validation': "
                          "GAN snapshots are scored against each class's validation images, which needs at least 2; "
                          "raise data.val_per_class or set gan.select_against: train")
    d_blocks = factor_size(p.data.image_size)[1]        # the discriminator's blocks before its head (models.gan)
    if p.gan.freeze_d_blocks > d_blocks:
        raise ParamsError(f"params: gan.freeze_d_blocks = {p.gan.freeze_d_blocks}: the discriminator at "
                          f"data.image_size {p.data.image_size} has {d_blocks} blocks before its head; must be "
                          f"0 to {d_blocks}")
    if p.gan.freeze_d_blocks and not p.gan.base_steps:
        raise ParamsError(f"params: gan.freeze_d_blocks = {p.gan.freeze_d_blocks} with gan.base_steps = 0: freezing "
                          "keeps the base GAN's discriminator blocks, so it needs a base; set gan.base_steps > 0 "
                          "or gan.freeze_d_blocks: 0")


def _check_combination(p: Params) -> None:
    """Rules that involve more than one key."""
    for i, name in enumerate(p.data.classes):
        problem = class_name_problem(name)
        if problem:
            raise ParamsError(f"params: data.classes[{i}] = {name!r}: {problem}")
    folded = [name.casefold() for name in p.data.classes]
    twins = sorted({name for name in p.data.classes if folded.count(name.casefold()) > 1})
    if twins:
        raise ParamsError(f"params: data.classes = {twins}: names that differ only in case are one file on "
                          "case-insensitive file systems (macOS, Windows); rename one")
    if len(p.data.classes) < 2:
        raise ParamsError(f"params: data.classes = {p.data.classes!r}: a classifier needs at least 2 classes")
    if p.robustness.max_images < len(p.data.classes):
        raise ParamsError(f"params: robustness.max_images = {p.robustness.max_images}: the corrupted subset holds at "
                          f"least one image of every class, so it must be >= the {len(p.data.classes)} classes")
    for i, ratio in enumerate(p.mix.ratios):
        try:
            check_ratio(ratio, p.mix.mode)
        except ValueError as e:
            raise ParamsError(f"params: mix.ratios[{i}] = {ratio} with mix.mode = {p.mix.mode!r}: {e}") from None
    try:
        factor_size(p.data.image_size)
    except ValueError as e:
        raise ParamsError(f"params: data.image_size = {p.data.image_size}: {e}") from None
    if isinstance(p.data.per_class, dict):
        missing = [c for c in p.data.classes if c not in p.data.per_class]
        extra = [c for c in p.data.per_class if c not in p.data.classes]
        if missing or extra:
            raise ParamsError(f"params: data.per_class = {p.data.per_class!r}: a mapping must give a number "
                              f"for every class in data.classes and no other"
                              + (f"; missing {missing}" if missing else "") + (f"; not in data.classes {extra}" if extra else ""))
    _check_gan(p)
    for section in ("judge", "classifier"):
        c = getattr(p, section)
        if c.pretrained and c.arch == "cnn":
            raise ParamsError(f"params: {section}.pretrained = true needs {section}.arch mobilenet_v2 or resnet18 "
                              "(there are no pretrained weights for cnn)")
        if c.arch != "cnn" and 0 < c.input_size < 32:
            raise ParamsError(f"params: {section}.input_size = {c.input_size}: must be 0 (224) or >= 32 for "
                              f"{section}.arch {c.arch!r}, which halves the image 5 times")
    if p.generate.max_draws < p.generate.per_class:
        raise ParamsError(f"params: generate.max_draws = {p.generate.max_draws}: must be >= generate.per_class "
                          f"({p.generate.per_class}), the number of images each class must keep")
    if p.data.name == "folder" and not p.data.root:
        raise ParamsError("params: data.root = '': data.name = 'folder' needs data.root, the folder holding "
                          "one sub-folder of images per class")
    if p.data.mirror and not p.data.mirror.startswith(("http://", "https://", "file://")):
        raise ParamsError(f"params: data.mirror = {p.data.mirror!r}: must be empty or an http(s):// or "
                          "file:// base URL")


def parse_params(doc: Any) -> Params:
    """Validate a parsed params document (a dict) and return the frozen `Params`."""
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise ParamsError(f"params: the document must be a mapping of sections, got {type(doc).__name__}")
    sections = {f.name: f for f in dataclasses.fields(Params)}
    unknown = sorted(set(map(str, doc)) - set(sections))
    if unknown:
        raise ParamsError(f"params: unknown section {unknown[0]!r}; allowed sections: "
                          + ", ".join(sorted(sections)))
    built = {name: _build_section(typing.get_type_hints(Params)[name], doc.get(name), name)
             for name in sections}
    params = Params(**built)
    _check_combination(params)
    return params


def load_params(path: str | Path = "params.yaml") -> Params:
    """Read and validate `params.yaml`; raises `ParamsError` before any work is done."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ParamsError(f"params: {path} not found (run from the repository root)") from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        # one line: where, and what the parser expected
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        what = " ".join(str(getattr(e, "problem", None) or e).split())
        raise ParamsError(f"params: {path} is not valid YAML{where}: {what}") from None
    check_class_names_read_alike(text)
    return parse_params(doc)


def check_class_names_read_alike(text: str) -> None:
    """Refuse an unquoted class name that YAML turns into something else than its text: DVC reads
    params.yaml as YAML 1.2 (ruamel) to fill stage names and paths, this module as YAML 1.1, and
    `00008`, `08`, `1e3` or `yes` are numbers or booleans to one or both, so the GAN stage of class
    `00008` would look for `train/8.npy` while `prepare` wrote `train/00008.npy`."""
    raw = (yaml.load(text, Loader=yaml.BaseLoader) or {}).get("data", {})
    raw = raw.get("classes") if isinstance(raw, dict) else None
    if not isinstance(raw, list):
        return
    from ruamel.yaml import YAML                  # DVC's parser (installed with dvc)

    ours = (yaml.safe_load(text).get("data") or {}).get("classes")
    dvcs = (YAML(typ="safe", pure=True).load(text).get("data") or {}).get("classes")
    for i, (written, mine, theirs) in enumerate(zip(raw, ours, dvcs)):
        as_dvc = ("true" if theirs else "false") if isinstance(theirs, bool) else str(theirs)
        if written != str(mine) or written != as_dvc:
            raise ParamsError(f"params: data.classes[{i}] = {written!r}: unquoted, YAML reads it as {mine!r} here and "
                              f"{theirs!r} in DVC, not as the text {written!r}; write it quoted: \"{written}\"")
