"""Every knob of the pipeline: one frozen dataclass per `params.yaml` section, validated on load.

Validation happens before any work: an unknown key, a wrong type, a value out of range or an
incompatible combination raises `ParamsError` naming the key, the value and what is allowed.
Constraints live next to each field (`metadata`), so the check and the documentation of what is
allowed cannot drift apart.

The package, one job a module: `schema` is what a user reads (the sections, their fields and docs),
`check` the engine that checks one field against its constraints, `rules` the checks that involve
several keys; this module loads a file through them and re-exports every public name, so
`from synthmix.params import load_params, GanParams, ParamsError` works as it always did.
"""
from __future__ import annotations

import dataclasses
import typing
from pathlib import Path
from typing import Any

import yaml

from synthmix.params.check import AUTO, ParamsError, build_section
from synthmix.params.rules import check_combination, class_name_problem
from synthmix.params.schema import (
    CLASSIFIER_ARCHS, CLASSIFIER_MIN_STEPS, CORRUPTION_KINDS, DATASETS, DEVICES, DIFFAUGMENT_POLICIES,
    FILTER_MODES, GAN_FAMILIES, KEEP_WEIGHTS, MIN_STEPS, MIRROR_INVARIANT, MIX_MODES, ON_DIVERGENCE,
    PASSES_OVER_REAL, SELECT_AGAINST, TRAIN_LAYERS,
    AugmentParams, ClassifierParams, CnnParams, DataParams, EvaluateParams, FilterParams, GanParams,
    GenerateParams, JudgeParams, MixParams, Params, QualityParams, RefineParams, RobustnessParams, RuntimeParams,
)

__all__ = [
    "AUTO", "CLASSIFIER_ARCHS", "CLASSIFIER_MIN_STEPS", "CORRUPTION_KINDS", "DATASETS", "DEVICES",
    "DIFFAUGMENT_POLICIES", "FILTER_MODES", "GAN_FAMILIES", "KEEP_WEIGHTS", "MIN_STEPS", "MIRROR_INVARIANT",
    "MIX_MODES", "ON_DIVERGENCE", "PASSES_OVER_REAL",
    "SELECT_AGAINST", "TRAIN_LAYERS", "AugmentParams", "ClassifierParams", "CnnParams", "DataParams",
    "EvaluateParams", "FilterParams", "GanParams", "GenerateParams", "JudgeParams", "MixParams", "Params",
    "ParamsError", "QualityParams", "RefineParams", "RobustnessParams", "RuntimeParams",
    "check_class_names_read_alike", "class_name_problem", "load_params", "parse_params",
]


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
    built = {name: build_section(typing.get_type_hints(Params)[name], doc.get(name), name)
             for name in sections}
    params = Params(**built)
    check_combination(params)
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
