"""The compile counter itself must count: a new shape recompiles, a repeated shape does not."""

import jax
import jax.numpy as jnp

from tests.conftest import count_compiles


def test_counter_counts_new_shapes_only():
    def doubled_sine(x):
        return jnp.sin(x) * 2.0

    f = jax.jit(doubled_sine)
    with count_compiles("doubled_sine") as c:
        f(jnp.ones(3))
        f(jnp.ones(3))
        f(jnp.ones(4))
    assert c.count == 2
