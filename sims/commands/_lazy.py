"""Modules imported on first use, so that ``dssl --help``, every subcommand's ``--help`` and
every argument error answer without importing JAX, SciPy or SymPy.

A subcommand names its heavy modules at the top as usual, through :func:`module`; the module
runs when the command first reads one of its attributes (in ``run``, after parsing). The
names its options offer at parse time come from :mod:`sims.commands._names`.

Example:
  >>> import sys
  >>> topology = module("theory.topology")
  >>> topology.GRAPHS[0]
  'complete'
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType


def module(name: str) -> ModuleType:
    """``name`` (a dotted module name), executed when one of its attributes is first read.

    Already imported: the module itself. Else a module object whose first attribute access runs
    it (:class:`importlib.util.LazyLoader`). Its parent packages are imported now, so name
    only modules whose packages are light (``theory``, ``theory.structured``'s parent,
    ``sims.trackd``; not ``sims.data``, whose ``__init__`` imports JAX)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:  # pragma: no cover - a misspelt name
        return importlib.import_module(name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    loader.exec_module(mod)
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, mod)
    return mod
