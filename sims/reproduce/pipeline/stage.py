"""A pipeline stage: a name, a typed configuration, a pure computation, its files.

``Stage(name, Config, compute, figures, summarize)``:

* ``Config``: a :class:`theory._config.StageConfig` subclass with ``Config.DEFAULT``
  and ``Config.FAST`` instances (``dssl reproduce`` and ``dssl reproduce --fast``);
* ``compute(cfg, **rows) -> dict``: the JSON-able results; ``rows`` holds the rows (name,
  config, result, files, ...) of the stages named in ``needs`` (``runs``: every earlier row)
  and ``uses`` (``None`` when not run), so a stage that reads another's results says so; a
  stage with ``catalogue`` in ``uses`` (never cached) receives every Stage of the run order
  that the runner was handed, so that it can list what was not run;
* ``figures``: ``{file: make_<name>_figure(results) -> Figure}``;
* ``summarize(results) -> dict``: a few headline numbers for the report;
* ``json_files`` / ``texts``: the JSON and text files written from the results (default: the
  whole results as ``<name>.json``).

The runner (:mod:`sims.reproduce.pipeline.runner`) hashes the config, caches the results with
content hashes of every file, writes atomically and selects; it never imports stages by side effect.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType

from theory._config import StageConfig

#: the ``needs`` entry that passes every earlier row to ``compute``
RUNS = "runs"
#: the ``uses`` entry that passes the runner's catalogue (every Stage of the run order)
CATALOGUE = "catalogue"


def overall_hash(rows: Iterable[dict]) -> str:
    """12 hex digits of SHA-256 over the config hashes of the cached stages (the report's
    stage has no results of its own to identify)."""
    text = "".join(r["config_hash"] for r in rows if r["cache"])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _whole(results: Mapping) -> Mapping:
    return results


@dataclasses.dataclass(frozen=True)
class Stage:
    """One named step of ``dssl reproduce`` (see the module docstring)."""

    name: str
    Config: type[StageConfig]
    compute: Callable[..., dict]
    figures: Mapping[str, Callable] = dataclasses.field(default_factory=dict)
    summarize: Callable[[Mapping], dict] | None = None
    #: {file: view(results) -> JSON content}; ``None`` means ``{"<name>.json": results}``
    json_files: Mapping[str, Callable[[Mapping], object]] | None = None
    texts: Mapping[str, Callable[[Mapping], str]] = dataclasses.field(default_factory=dict)
    #: earlier stages whose rows ``compute`` receives as keyword arguments (``runs``: all rows);
    #: selecting this stage without them is an error
    needs: tuple[str, ...] = ()
    #: earlier stages whose rows ``compute`` receives when they ran before it (else ``None``)
    uses: tuple[str, ...] = ()
    #: cache the results on disk (the report is cheap and depends on every stage: no)
    cache: bool = True

    def __post_init__(self) -> None:
        if not (isinstance(self.Config, type) and issubclass(self.Config, StageConfig)):
            raise TypeError(f"Config: must be a StageConfig subclass, got {self.Config!r}")
        for attr in ("DEFAULT", "FAST"):
            if not isinstance(getattr(self.Config, attr, None), self.Config):
                raise TypeError(f"Config.{attr}: must be a {self.Config.__name__} instance")
        files = self.json_files
        if files is None:
            files = {f"{self.name}.json": _whole}
        object.__setattr__(self, "json_files", MappingProxyType(dict(files)))
        object.__setattr__(self, "figures", MappingProxyType(dict(self.figures)))
        if CATALOGUE in self.uses and self.cache:
            raise TypeError(f"{self.name}: a stage that uses the catalogue must not be cached")
        object.__setattr__(self, "texts", MappingProxyType(dict(self.texts)))

    def config(self, fast: bool = False) -> StageConfig:
        """``Config.FAST`` or ``Config.DEFAULT``."""
        return self.Config.FAST if fast else self.Config.DEFAULT

    @property
    def files(self) -> tuple[str, ...]:
        """Every file this stage writes, relative to the output folder, in write order."""
        return (*self.json_files, *self.texts, *self.figures)
