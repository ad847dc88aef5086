"""Frozen-dataclass configurations with JSON round trips and validation in one place.

A configuration subclasses :class:`JsonConfig` and is declared with
``@dataclasses.dataclass(frozen=True)``. On construction every field is checked against its
annotation (``int``, ``float``, ``str``, ``bool``, ``tuple``, ``dict``, ``X | None``, a nested
dataclass) and against the bounds in its metadata (:func:`field`); lists become tuples and
dicts read-only mappings, so a configuration is immutable and hashable. ``to_json()`` gives the
plain JSON form and ``from_json`` builds the configuration back from it (unknown keys and bad
values are one-line ``ValueError``s naming the field). :func:`to_json` and :func:`from_json`
do the same for any frozen dataclass whose own ``__post_init__`` validates it.

:class:`StageConfig` (the stages of ``dssl reproduce`` and the experiment presets of
``sims.trackc.presets``) and ``sims.trackc.evidence.EvidenceSettings`` build on
:class:`JsonConfig`; ``theory.claims`` uses :func:`to_json` / :func:`from_json` for
``VerifyConfig``.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar

from theory import _validate as v


def field(default: Any = dataclasses.MISSING, **limits: Any) -> Any:
    """A dataclass field with validation limits: ``lo``/``hi`` (numbers, or every entry of a
    tuple) and ``choices`` (strings, or every entry of a tuple)."""
    if isinstance(default, list):
        raise TypeError("field: give a tuple as default, not a list")
    if isinstance(default, Mapping):  # unhashable: a factory returning one read-only copy
        frozen = freeze(default)
        return dataclasses.field(default_factory=lambda: frozen, metadata={"limits": limits})
    return dataclasses.field(default=default, metadata={"limits": limits})


def freeze(obj: Any) -> Any:
    """Recursively: mappings to read-only mappings (keys as str), lists to tuples."""
    if isinstance(obj, Mapping):
        return MappingProxyType({str(k): freeze(val) for k, val in obj.items()})
    if isinstance(obj, (list, tuple)):
        return tuple(freeze(val) for val in obj)
    return obj


def thaw(obj: Any) -> Any:
    """Inverse of :func:`freeze` for JSON: mappings to dicts, tuples to lists, dataclasses to
    their JSON form."""
    if isinstance(obj, JsonConfig):
        return obj.to_json()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: thaw(getattr(obj, f.name)) for f in _json_fields(obj)}
    if isinstance(obj, Mapping):
        return {k: thaw(val) for k, val in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [thaw(val) for val in obj]
    return obj


@functools.cache
def _hints(cls: type) -> dict:
    return typing.get_type_hints(cls)


def _options(tp: Any) -> tuple:
    """The alternatives of a union annotation (``int | None`` -> (int, NoneType))."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return typing.get_args(tp)
    return (tp,)


def _coerce(value: Any, tp: Any, name: str) -> Any:
    """``value`` checked against the annotation ``tp`` (ints accepted for floats)."""
    options = _options(tp)
    if value is None:
        if type(None) in options:
            return None
        v.fail(name, f"a value of type {_type_name(tp)}", None)
    for opt in options:
        base = typing.get_origin(opt) or opt
        if dataclasses.is_dataclass(base) and isinstance(base, type):
            if isinstance(value, base):
                return value
            if isinstance(value, Mapping):
                return _build(base, value)
        elif base is bool and isinstance(value, bool):
            return value
        elif base is int and isinstance(value, int) and not isinstance(value, bool):
            return value
        elif base is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        elif base is str and isinstance(value, str):
            return value
        elif base is tuple and isinstance(value, (list, tuple)):
            return freeze(value)
        elif base in (dict, Mapping) and isinstance(value, Mapping):
            return freeze(value)
        elif base is Any:
            return freeze(value)
    return v.fail(name, f"a value of type {_type_name(tp)}", value)


def _type_name(tp: Any) -> str:
    return " | ".join(getattr(o, "__name__", str(o)) for o in _options(tp))


def _check_limits(value: Any, name: str, limits: Mapping) -> None:
    items = value if isinstance(value, tuple) else (value,)
    for item in items:
        if "choices" in limits:
            v.choice(item, name, limits["choices"])
        if "lo" in limits or "hi" in limits:
            if isinstance(item, int) and not isinstance(item, bool):
                v.integer(item, name, lo=limits.get("lo"), hi=limits.get("hi"))
            else:
                v.real(item, name, lo=limits.get("lo"), hi=limits.get("hi"))


def _build(cls: type, data: Mapping) -> Any:
    """Instance of dataclass ``cls`` from a JSON mapping (unknown keys are an error)."""
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        v.fail(unknown[0], f"a field of {cls.__name__} ({', '.join(sorted(names))})", "unknown")
    hints = _hints(cls)
    kw = {k: _coerce(val, hints[k], k) for k, val in data.items()}
    return cls(**kw)


def to_json(obj: Any) -> dict:
    """The plain JSON form (dicts, lists, numbers, strings) of a dataclass instance."""
    if not (dataclasses.is_dataclass(obj) and not isinstance(obj, type)):
        v.fail("config", "a dataclass instance", type(obj).__name__)
    return {f.name: thaw(getattr(obj, f.name)) for f in _json_fields(obj)}


def _json_fields(obj: Any) -> list:
    """The fields of a dataclass that its JSON form holds: all but those declared with
    ``metadata={"json": False}`` (a rule chosen for one evaluation, not a configuration)."""
    return [f for f in dataclasses.fields(obj) if f.metadata.get("json", True)]


def from_json(cls: type, data: Mapping) -> Any:
    """The instance of dataclass ``cls`` whose :func:`to_json` is ``data`` (fields checked
    against their annotations; unknown keys are an error; ``cls`` validates the rest)."""
    if not isinstance(data, Mapping):
        v.fail(cls.__name__, "a JSON object", type(data).__name__)
    return _build(cls, data)


@dataclasses.dataclass(frozen=True)
class JsonConfig:
    """Base of a frozen configuration: validated on construction, round-trips through JSON.

    Example:
      >>> @dataclasses.dataclass(frozen=True)
      ... class Toy(JsonConfig):
      ...     steps: int = field(10, lo=1)
      ...     name: str = field("a", choices=("a", "b"))
      >>> Toy.from_json(Toy(steps=3).to_json()) == Toy(steps=3)
      True
      >>> Toy(steps=0)
      Traceback (most recent call last):
      ...
      ValueError: steps: must be an integer >= 1, got 0
    """

    def __post_init__(self) -> None:
        hints = _hints(type(self))
        for f in dataclasses.fields(self):
            value = _coerce(getattr(self, f.name), hints[f.name], f.name)
            _check_limits(value, f.name, f.metadata.get("limits", {}))
            object.__setattr__(self, f.name, value)
        self.validate()

    def validate(self) -> None:
        """Checks across fields (override; raise ValueError via ``theory._validate.fail``)."""

    def to_json(self) -> dict:
        """The plain JSON form (dicts, lists, numbers, strings)."""
        return to_json(self)

    @classmethod
    def from_json(cls, data: Mapping) -> Any:
        """The configuration whose :meth:`to_json` is ``data`` (validated)."""
        return from_json(cls, data)

    def replace(self, **changes: Any) -> Any:
        """A copy with ``changes`` applied (validated)."""
        return dataclasses.replace(self, **changes)


@dataclasses.dataclass(frozen=True)
class StageConfig(JsonConfig):
    """Base of every stage and experiment configuration (a frozen :class:`JsonConfig`): each
    stage module of ``dssl reproduce`` declares its ``Config`` as a subclass and sets
    ``Config.DEFAULT`` and ``Config.FAST`` (``--fast``); the stage's cache key is a hash of the
    JSON form."""

    DEFAULT: ClassVar[StageConfig]
    FAST: ClassVar[StageConfig]

    # read like a mapping of its fields, so that functions taking a plain ``config`` mapping
    # (``theory.sweeps``) accept a stage config as well
    def __getitem__(self, name: str) -> Any:
        if name not in self.keys():
            raise KeyError(name)
        return getattr(self, name)

    def keys(self) -> tuple[str, ...]:
        """The field names, in declaration order."""
        return tuple(f.name for f in dataclasses.fields(self))
