r"""Sweeps of the exact optimum over d (and :math:`N = C_N d^{1/20}`): pure functions, any d."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from theory import _validate as v
from theory.datamodel import DataModel
from theory.frameworks import FRAMEWORK_NAMES, framework_of
from theory.structured.optimum import StructuredOptimum, rank_scan, solve
from theory.structured.targets import METHODS

FRAMEWORKS = FRAMEWORK_NAMES


def d_grid(lo: float = 1e2, hi: float = 1e20, num: int = 37) -> list[int]:
    """Log-spaced grid of Python-int dimensions from ``lo`` to ``hi`` (distinct, ascending).

    Example:
      >>> d_grid(1e4, 1e20, 5)
      [10000, 100000000, 1000000000000, 10000000000000000, 100000000000000000000]
    """
    lo = v.real(lo, "lo", lo=1.0)
    hi = v.real(hi, "hi", lo=lo)
    num = v.integer(num, "num", lo=1)
    exps = np.linspace(math.log10(lo), math.log10(hi), num)
    out = []
    for x in exps:
        k = int(round(x))
        val = 10**k if abs(x - k) < 1e-12 else int(round(10.0**x))
        if not out or val > out[-1]:
            out.append(val)
    return out


def n_of_d(d: int, c_n: float) -> int:
    r""":math:`N = C_N d^{1/20}` rounded to the nearest integer, at least 2 (the paper's
    :math:`N = \Theta(d^{1/20})`).

    Example:
      >>> n_of_d(10**20, 1.0), n_of_d(10**4, 1.0)
      (10, 2)
    """
    c_n = v.real(c_n, "c_n", lo=0.0, lo_open=True)
    return max(2, int(round(c_n * float(d) ** 0.05)))


_PI_CACHE: dict = {}


def decl_weights(graph: str, n: int, mixing: str = "uniform") -> np.ndarray:
    r"""Eq. (1) DecL weights π (column sums / N of the mixing matrix) of a named graph on n nodes.

    Graphs that need more nodes than n (e.g. a ring or a star on 2 nodes) are the complete graph
    there (the only connected graph on 2 nodes), so :math:`\pi = 1/n`.
    """
    key = (graph, n, mixing)
    if key not in _PI_CACHE:
        from theory import spectral, topology

        try:
            A = topology.make_graph(graph, n)
        except ValueError:
            if n > 2:
                raise
            A = np.ones((n, n)) - np.eye(n)
        W = topology.mixing_matrix(mixing, A, any_graph=True)
        _PI_CACHE[key] = (
            np.asarray(spectral.objective_weights(W), dtype=np.float64),
            float(spectral.avg_connectivity(A)),
        )
    return _PI_CACHE[key][0]


def decl_abar(graph: str, n: int, mixing: str = "uniform") -> float:
    r""":math:`\lvert\bar A\rvert` of the graph used by :func:`decl_weights`."""
    decl_weights(graph, n, mixing)
    return _PI_CACHE[(graph, n, mixing)][1]


def solve_framework(
    model: DataModel,
    method: str,
    framework: str,
    *,
    client: int = 0,
    graph: str = "ring",
    H=None,
    p: float | None = None,
) -> StructuredOptimum:
    """:func:`solve` for ``framework`` in ``FRAMEWORKS`` (local = one client, DecL on ``graph``)."""
    fw = framework_of(framework)
    if fw.per_client:
        return solve(model, method, client=client, H=H, p=p)
    if fw.has_graph:
        return solve(model, method, weights=decl_weights(graph, model.n_clients), H=H, p=p)
    return solve(model, method, weights="fl", H=H, p=p)


def d_sweep(
    method: str,
    ds: Sequence[int] | None = None,
    *,
    framework: str = "fl",
    n_clients: int = 4,
    c_n: float | None = None,
    c: int | None = None,
    rare_axis="class-index",
    p: float | None = None,
    H=None,
    graph: str = "ring",
    client: int = 0,
) -> dict:
    r"""Exact optimum over a d grid (default :math:`10^2, \dots, 10^{20}`, 37 points), N fixed or
    :math:`N = C_N d^{1/20}`.

    Args:
      method: one of ``METHODS``; framework: one of ``FRAMEWORKS``.
      ds: dimensions (Python ints or integer-valued floats); ``None`` means :func:`d_grid`.
      n_clients: N when ``c_n`` is None; c_n: joint sweep
        :math:`N = \max(2, \operatorname{round}(C_N d^{1/20}))`.
      c: embedding width (``None``: 2N); rare_axis, p, H, graph, client: as in :func:`solve`.

    Returns:
      dict of lists over the grid: ``d``, ``n``, ``c``, ``rank``, ``a5_met``, ``tied``,
      ``exact``, ``rv_min_N`` (min over the gap coordinates of the smallest RV in the set),
      ``s_N``, ``s_c``, ``gap`` ((min, max) pairs), ``lambda_c`` and ``seconds``.

    Example:
      >>> out = d_sweep("mim", [10**6, 10**20], framework="local")
      >>> [round(g[0], 12) for g in out["gap"]]
      [0.666666666667, 0.666666666667]
    """
    import time

    start = time.perf_counter()
    v.choice(method, "method", METHODS)
    v.choice(framework, "framework", FRAMEWORKS)
    ds = d_grid() if ds is None else [v.integer(x, "ds", lo=1) for x in ds]
    out = {
        k: []
        for k in (
            "d",
            "n",
            "c",
            "rank",
            "a5_met",
            "tied",
            "exact",
            "rv_min_N",
            "s_N",
            "s_c",
            "gap",
            "lambda_c",
        )
    }
    for d in ds:
        n = n_of_d(d, c_n) if c_n is not None else v.integer(n_clients, "n_clients", lo=2)
        model = DataModel(d=d, n_clients=n, rare_axis=rare_axis, c=c)
        r = solve_framework(model, method, framework, client=client, graph=graph, H=H, p=p)
        out["d"].append(d)
        out["n"].append(n)
        out["c"].append(model.c)
        out["rank"].append(r.rank)
        out["a5_met"].append(r.a5_met)
        out["tied"].append(r.tied)
        out["exact"].append(r.exact)
        out["rv_min_N"].append(1.0 - r.gap[1])
        out["s_N"].append(r.s_N)
        out["s_c"].append(r.s_c)
        out["gap"].append(r.gap)
        out["lambda_c"].append(rank_scan(r.eigenvalues, r.multiplicities, min(model.c, d)))
    out["seconds"] = time.perf_counter() - start
    out["n_rule"] = (
        f"N = max(2, round({c_n:g}·d^(1/20)))" if c_n is not None else f"N = {n_clients} fixed"
    )
    return out
