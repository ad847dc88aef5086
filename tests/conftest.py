"""Shared test configuration.

* float64 on (theory is double precision) and strict dtype promotion, so that an accidental
  float32/float64 or int/float mix is an error rather than a silent cast;
* ``TOL``: one dtype-keyed tolerance table;
* ``DSSL_COMPILE_CACHE=none``: no persistent compilation cache in the tests;
* XLA's LLVM at level 0 without its expensive passes (``tests/_xla_flags.py``): compiling is
  most of the suite's time;
* ``count_compiles``: counts XLA backend compilations inside a ``with`` block, so tests can
  assert that a batch or a sweep compiles once.
"""

from __future__ import annotations

import contextlib
import os
import sys

os.environ.setdefault("JAX_PLATFORMS", "cpu")
# `dssl reproduce` run by the tests (in process or as a subprocess) keeps no compiled programs:
# a cache hit would skip the compilations that tests count (tests/test_compile_cache.py
# covers the cache itself)
os.environ["DSSL_COMPILE_CACHE"] = "none"

from tests._xla_flags import with_test_flags  # noqa: E402

os.environ["XLA_FLAGS"] = with_test_flags(os.environ.get("XLA_FLAGS"))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_dtype_promotion", "strict")
# start JAX's backend now, with the tests' flags: XLA reads them once, and a test that runs a
# dssl command in this process would otherwise start it inside
# sims.core.environ.cpu_xla_flags, giving every later test of the worker the commands' flags
# (measured: the tests' LLVM level 0 with the commands' older fusion code generator made
# tests/test_determinism.py's chunked float64 run differ from the single scan in the last bit)
jax.devices()

settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
settings.load_profile("ci")

# rtol/atol per dtype, for comparisons against an independent oracle.
TOL = {
    np.dtype(np.float64): {"rtol": 1e-10, "atol": 1e-12},
    np.dtype(np.float32): {"rtol": 1e-4, "atol": 1e-5},
}


def tol(dtype) -> dict:
    """Tolerance keywords for ``np.testing.assert_allclose`` at ``dtype``."""
    return TOL[np.dtype(dtype)]


class _CompileCounter:
    def __init__(self, name: str | None) -> None:
        self.name = name
        self.names: list[str] = []

    @property
    def count(self) -> int:
        return len(self.names)

    def __call__(self, event: str, duration: float, **kwargs) -> None:
        if event != "/jax/core/compile/backend_compile_duration":
            return
        fun_name = str(kwargs.get("fun_name", ""))
        if self.name is None or self.name in fun_name:
            self.names.append(fun_name)


@contextlib.contextmanager
def count_compiles(name: str | None = None):
    """Context manager yielding a counter of XLA compilations performed inside the block.

    With ``name``, only compilations of functions whose name contains ``name`` are counted
    (helper ops such as ``jnp.ones`` compile too). ``counter.names`` lists what compiled.
    """
    counter = _CompileCounter(name)
    jax.monitoring.register_event_duration_secs_listener(counter)
    try:
        yield counter
    finally:
        jax.monitoring.unregister_event_duration_listener(counter)


@pytest.fixture(autouse=True)
def _terminal_width(monkeypatch):
    """Every test sees a 120-column terminal, the width the text output falls back to when
    stdout is not a terminal: a CI runner's own ``COLUMNS`` must not rewrap what a test reads.
    A test about another width sets ``COLUMNS`` itself."""
    monkeypatch.setenv("COLUMNS", "120")


@pytest.fixture(autouse=True)
def _close_figures():
    """Close every pyplot figure a test left open (a worker runs a whole module's figure
    tests: matplotlib warned of more than 20 open figures)."""
    yield
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close("all")


@pytest.fixture
def compile_counter():
    """Fixture form of :func:`count_compiles`."""
    return count_compiles


__all__ = ["TOL", "tol", "count_compiles", "jnp"]
