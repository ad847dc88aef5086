"""The plug-in API under the name earlier releases documented (``sims.api.run``): the same
objects as :func:`sims.run`, implemented in :mod:`sims.core.trainer`."""

from __future__ import annotations

from sims.core.trainer import DivergenceWarning, Result, check_mixing, partition, run

__all__ = ["run", "partition", "Result", "check_mixing", "DivergenceWarning"]
