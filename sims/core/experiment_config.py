"""One config style: stage configurations are frozen JSON-able dataclasses (:class:`StageConfig`).

A stage's configuration subclasses :class:`StageConfig` and is declared with
``@dataclasses.dataclass(frozen=True)``. Validation on construction, ``to_json()`` /
``from_json`` and the field limits of :func:`field` come from the theory package's config
base (the same base as ``sims.trackc.evidence.EvidenceSettings``); the cache key of a stage is
a hash of the JSON form. Each stage module sets ``Config.DEFAULT`` and ``Config.FAST`` (``--fast``).
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from theory._config import JsonConfig, field, freeze, thaw

__all__ = ["StageConfig", "field", "freeze", "thaw"]


@dataclasses.dataclass(frozen=True)
class StageConfig(JsonConfig):
    """Base of every stage configuration (frozen dataclass; validated on construction)."""

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
