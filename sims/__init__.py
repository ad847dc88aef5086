"""Sampling, stochastic losses, the vmapped FL/DecL training engine, metrics, sweeps,
the verification report and the ``dssl`` command line. Uses :mod:`theory` for every closed
form it is checked against; :mod:`theory` never imports this package.

The plug-in API for users' own losses, data and mixing matrices is :func:`sims.run` (with
:func:`sims.partition` for label-skewed splits of users' labelled data, :class:`sims.KeyedData` for
data drawn from keys inside the round, and the mixing rules
:func:`sims.fedavg`, :func:`sims.gossip`, :func:`sims.push_sum`; :func:`sims.sizes_forced` lets
a call go past the memory and time budgets the entry points check); see
:mod:`sims.core.trainer` and :mod:`sims.core.mixing`. The claims table of ``dssl verify``
with the user's own mixing matrix is :func:`sims.verify` (:func:`sims.api.verify`). They are
imported on first use, so ``import sims`` stays cheap for the command line.
"""

from __future__ import annotations

__all__ = [
    "run",
    "KeyedData",
    "partition",
    "Result",
    "check_mixing",
    "verify",
    "fedavg",
    "gossip",
    "push_sum",
    "sizes_forced",
]


def __getattr__(name: str):
    if name in __all__:
        from sims import api

        return getattr(api, name)
    raise AttributeError(f"module 'sims' has no attribute {name!r}")
