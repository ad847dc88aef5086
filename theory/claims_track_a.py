"""Track A of the claims registry (:mod:`theory.claims`): the paper's bound of a claim at one
configuration with its denominator, evaluated in float64 (rule T4), and its word (R3:
informative, vacuous or invalid; docs/verdict_rules.md)."""

from __future__ import annotations

import functools

import numpy as np

from theory import verdicts as vd
from theory.claims_model import VerifyConfig


@functools.lru_cache(maxsize=8192)
def _bound_values(method, framework, d, p, abar, n, trh, c_num, c_den, c_f, c_n, sign, fl_term):
    import jax.numpy as jnp

    from theory import bounds
    from theory._precision import x64

    raw = (float(d), p, np.nan if abar is None else abar, float(n), trh, c_num, c_den, c_f, c_n)
    out = []
    with x64():  # the bounds are evaluated in float64 (T4), never in JAX's default float32
        args = tuple(jnp.asarray(x, dtype=jnp.float64) for x in raw)
        for kind in ("lower_bound", "denominator"):
            # bound_function is cached: each bound is built (lambdify + jit) once
            f = bounds.bound_function(
                method, framework, kind=kind, sign=sign, fl_term=fl_term, n_given=True
            )
            out.append(float(f(*args)))
    return tuple(out)


def _paper_bound(
    cfg: VerifyConfig, method: str, framework: str, abar: float | None, trh: float = 1.0
) -> tuple[float, float]:
    """(LB, denominator) of the paper's bound at the configuration, N = n_clients given."""
    return _bound_values(
        method,
        framework,
        cfg.d,
        cfg.p,
        abar,
        cfg.n_clients,
        trh,
        cfg.c_num,
        cfg.c_den,
        cfg.c_f,
        cfg.c_n,
        cfg.sign,
        cfg.fl_term,
    )


def _worst_a(words) -> str:
    for w in ("invalid", "vacuous", "informative"):
        if w in words:
            return w
    return "not-run"


def _bound_entry(cfg, ex, bmethod, framework, abar, transform) -> dict:
    trh = ex.trace_h(transform) if bmethod == "cl_dissimilar" else 1.0
    lb, den = _paper_bound(cfg, bmethod, framework, abar, trh)
    out = {"lower_bound": lb, "denominator": den, "track_a": vd.track_a(lb, den)}
    if bmethod == "cl_dissimilar":
        out["trH"] = trh
    return out
