"""Plain YAML data into frozen dataclasses: a strict fast path, and pydantic for everything it does not take.

The config's classes (config.py, flux_config.py) are stdlib dataclasses; their annotations are the schema, with
``Check`` and ``Pattern`` as the field rules. ``build`` reads data whose every value has exactly the declared type
(what YAML gives for a well-formed file) without importing pydantic, whose import and model building were the
largest part of every command's start-up (issue 17; ``benchmarks/bench_imports.py``). Anything else (a value
pydantic's lax mode would coerce, a wrong type, a missing or unknown key, a rule that fails) goes to pydantic's
``TypeAdapter`` over the same classes, which returns the instance or raises its ``ValidationError`` with the key
path. So pydantic decides every error, and the fast path only accepts what pydantic accepts, as the same value.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


class Check:
    """``Annotated`` metadata: ``func`` runs on the field's value once its type is right (it may normalise it;
    a ValueError is the field's error)."""

    def __init__(self, func: Callable[[Any], Any]) -> None:
        self.func = func

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_after_validator_function(self.func, handler(source))


class Pattern:
    """``Annotated`` metadata on a ``str``: the value must match ``regex`` (pydantic's own pattern error)."""

    def __init__(self, regex: str) -> None:
        self.regex = regex

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.str_schema(pattern=self.regex)


class _Fallback(Exception):
    """The fast path does not take this data: pydantic decides."""


# Every class's ``__pydantic_config__``: an unknown key is an error (the fast path refuses one too).
FORBID_EXTRA = {"extra": "forbid"}
_HINTS: dict[type, dict[str, Any]] = {}
_SCALARS = (str, bool, int, float)


def build(cls: type[T], data: Any) -> T:
    """``data`` as a ``cls`` instance; raises pydantic's ValidationError when it is not one."""
    try:
        return typing.cast(T, _value(cls, data))
    except _Fallback:
        pass
    from pydantic import TypeAdapter

    return TypeAdapter(cls).validate_python(data)


def hints(cls: type) -> dict[str, Any]:
    """The resolved field annotations of dataclass ``cls`` (with ``Annotated`` kept), read once."""
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls, include_extras=True)
    return _HINTS[cls]


def annotation_at(cls: type, path: Sequence[int | str]) -> Any:
    """The annotation of the value at key ``path`` (field names, list indexes, map keys) under dataclass ``cls``;
    None where the path leads nowhere."""
    current: Any = cls
    for part in path:
        current = bare(current)
        if isinstance(current, type) and dataclasses.is_dataclass(current):
            current = hints(current).get(str(part))
        elif typing.get_origin(current) in (tuple, dict):  # the part is an index or a key: to the items
            current = next(a for a in reversed(typing.get_args(current)) if a is not Ellipsis)
        else:
            return None
    return current


def bare(tp: Any) -> Any:
    """``tp`` without its ``Annotated`` rules and its ``| None``; None for a union of several types."""
    if typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        members = [m for m in typing.get_args(tp) if m is not type(None)]
        return members[0] if len(members) == 1 else None
    return tp


def _value(tp: Any, value: Any) -> Any:  # noqa: C901, PLR0911, PLR0912 - one branch per kind of annotation
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        base, *rules = typing.get_args(tp)
        out = _value(base, value)
        for rule in rules:
            if isinstance(rule, Check):
                try:
                    out = rule.func(out)
                except ValueError:
                    raise _Fallback from None
            elif isinstance(rule, Pattern) and not (type(out) is str and re.search(rule.regex, out)):
                raise _Fallback
        return out
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _instance(tp, value)
    if origin is typing.Literal:
        if type(value) is str and value in typing.get_args(tp):
            return value
        raise _Fallback
    if origin in (typing.Union, types.UnionType):
        members = typing.get_args(tp)
        if value is None and type(None) in members:
            return None
        for member in members:  # an exact scalar first, as pydantic's smart union picks it
            if member in _SCALARS and type(value) is member:
                return value
        for member in members:  # else the one container member of the value's kind (unions here hold one)
            if _container(member) is type(value):
                return _value(member, value)
        raise _Fallback
    if origin is tuple:
        item, _ellipsis = typing.get_args(tp)
        if type(value) in (list, tuple):
            return tuple(_value(item, v) for v in value)
        raise _Fallback
    if origin is dict:
        _key, item = typing.get_args(tp)
        if type(value) is dict and all(type(k) is str for k in value):
            return {k: _value(item, v) for k, v in value.items()}
        raise _Fallback
    if tp in _SCALARS and type(value) is tp:
        return value
    raise _Fallback


def _container(tp: Any) -> type | None:
    """The plain type a container annotation reads: dict for a dataclass or a dict, list for a tuple."""
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return dict
    return {tuple: list, dict: dict}.get(typing.get_origin(tp))


def _instance(cls: type, value: Any) -> Any:
    if type(value) is not dict:
        raise _Fallback
    annotations = hints(cls)
    names = {f.name for f in dataclasses.fields(cls) if f.init}
    if not all(type(k) is str and k in names for k in value):
        raise _Fallback
    kwargs = {k: _value(annotations[k], v) for k, v in value.items()}
    try:
        return cls(**kwargs)
    except (TypeError, ValueError):  # a required key missing, or a rule over several fields (__post_init__)
        raise _Fallback from None
