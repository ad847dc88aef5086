"""Double precision on request, never as an import side effect.

Theory code computes in float64. Rather than switching on ``jax_enable_x64`` for the whole
process when :mod:`theory` is imported (which would change a user's own JAX code in the same
notebook), every public theory routine that uses JAX runs inside :func:`x64`, a scoped
``jax.enable_x64(True)``; the user's setting is restored on exit.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

import jax

F = TypeVar("F", bound=Callable)


def x64() -> object:
    """Context manager: float64 JAX inside the block, the caller's setting after it.

    >>> import jax, jax.numpy as jnp
    >>> with x64():
    ...     print(jnp.ones(1).dtype)
    float64
    """
    return jax.enable_x64(True)


def float64(fn: F) -> F:
    """Decorator: run ``fn`` inside :func:`x64` (outputs are float64 JAX/NumPy arrays)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with jax.enable_x64(True):
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def float32(fn: F) -> F:
    """Decorator: run ``fn`` with JAX's x64 mode off (the caller's setting after it), for
    float32 simulations whose results must not depend on whether the caller switched x64 on:
    under x64, Python scalars and NumPy float64 arrays would enter the computation as float64
    and change its rounding.

    >>> import jax.numpy as jnp
    >>> with x64():
    ...     print(float32(lambda: jnp.ones(1).dtype)())
    float32
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with jax.enable_x64(False):
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
