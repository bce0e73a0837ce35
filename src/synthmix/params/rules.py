"""The cross-key rules: checks that involve several keys or sections (or a key's meaning beyond its
type and range, such as a class name that must be a safe file name), run once every section has
passed its own field checks (`synthmix.params.check`). Each refusal is a `ParamsError` that names the
keys, their values and what to change.
"""
from __future__ import annotations

from synthmix.params.check import ParamsError
from synthmix.params.schema import DIFFAUGMENT_POLICIES, Params
from synthmix.sizes import factor_size
from synthmix.variants import check_ratio


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
    """The rules of check_combination that involve gan.* keys."""
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


def check_combination(p: Params) -> None:
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
