"""The checking engine: how a field states what it allows, and the generic check of a value against it.

A field of a params dataclass is made with `knob`, which stores its constraints in the field's
`metadata`; `build_section` checks a raw `params.yaml` section against them, so the check and the
description of what is allowed (`describe`) come from one place and cannot drift apart. Every
refusal is a `ParamsError` that names the key, the value and what is allowed. Nothing here knows a
section or a key: those are `schema`'s; rules that involve several keys are `rules`'.
"""
from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import field
from typing import Any


class ParamsError(ValueError):
    """A params document that cannot be used: names the key, the value and what is allowed."""


AUTO = "auto"      # the one string a field typed `int | str` takes besides an int


# What a field may constrain, each with its default: a range [lo, hi] (open at an end with
# lo_open/hi_open), a set of choices; for a list, its items' range or choices and whether it may be empty.
CONSTRAINTS = {"lo": None, "hi": None, "choices": None, "lo_open": False, "hi_open": False,
               "item_lo": None, "item_hi": None, "item_choices": None, "allow_empty": False}


def knob(default: Any, *, doc: str = "", **constraints: Any):
    """A dataclass field carrying its constraints (keys of CONSTRAINTS) and its `doc`. A field typed
    `int | str` takes an int or "auto"."""
    unknown = sorted(set(constraints) - set(CONSTRAINTS))
    if unknown:
        raise TypeError(f"knob: unknown constraint {unknown[0]!r}; valid: {', '.join(CONSTRAINTS)}")
    meta = CONSTRAINTS | constraints | {"doc": doc}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta)


def describe(meta: dict, typ: Any) -> str:
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
    allowed = describe(meta, typ)
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


def _check_union(value: Any, typ: Any, key: str, meta: dict) -> Any:
    """A field typed `int | str` (an int or "auto") or `int | dict[str, int]` (one number, or one per class)."""
    scalar, other = typing.get_args(typ)
    if other is str:
        if value == AUTO:
            return value
        if isinstance(value, str):
            raise ParamsError(f"params: {key} = {value!r}: must be {describe(meta, scalar)}, or {AUTO!r}")
        return _check_scalar(value, scalar, key, meta)
    if not isinstance(value, dict):
        if not isinstance(value, scalar) or isinstance(value, bool):
            raise ParamsError(f"params: {key} = {value!r}: must be {describe(meta, scalar)}, or a mapping "
                              f"of class name to {describe(meta, scalar)}")
        return _check_scalar(value, scalar, key, meta)
    if not value:
        raise ParamsError(f"params: {key} = {{}}: a mapping must name at least one class")
    _, inner = typing.get_args(other)
    return {str(k): _check_scalar(v, inner, f"{key}.{k}", meta) for k, v in value.items()}


def _check_list(value: Any, typ: Any, key: str, meta: dict) -> list:
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


def check_field(value: Any, typ: Any, key: str, meta: dict) -> Any:
    """`value` checked against a field's type and constraints (a float field's int made a float);
    raises ParamsError naming `key`, the value and what is allowed."""
    if typing.get_origin(typ) in (typing.Union, types.UnionType):
        return _check_union(value, typ, key, meta)
    if typing.get_origin(typ) is list:
        return _check_list(value, typ, key, meta)
    return _check_scalar(value, typ, key, meta)


def build_section(cls: type, raw: Any, section: str):
    """The frozen dataclass `cls` of one section from its raw mapping (None: every default);
    refuses an unknown key, listing the allowed ones."""
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
    values = {name: check_field(value, hints[name], f"{section}.{name}", fields[name].metadata)
              for name, value in raw.items()}
    return cls(**values)
