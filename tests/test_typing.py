"""jaxtyping shape annotations of the public API, checked at call time with beartype
(``jaxtyped(typechecker=typechecked)``): right shapes pass, inconsistent shapes are rejected."""

from __future__ import annotations

import jax.numpy as jnp
import jax.random as jr
import pytest
from jaxtyping import jaxtyped

# beartype: jaxtyping's recommended checker (typeguard 4 cannot parse the "" scalar shape);
from sims import losses
from sims.core import client, recorded, rounds
from sims.losses import methods

# add it to the test extra of pyproject.toml
typechecked = pytest.importorskip("beartype").beartype

C, D, B, N = 2, 5, 4, 3


def checked(fn):
    return jaxtyped(typechecker=typechecked)(fn)


def test_annotated_functions_accept_their_shapes():
    W, x = jnp.ones((C, D)), jnp.ones((B, D))
    val, g = checked(methods.align_value_and_grad)(W, x, x)
    assert g.shape == (C, D)
    assert checked(client.population_loss)(W, jnp.eye(D)).shape == ()
    Xbar, Q = checked(recorded.target_stats)(jnp.ones((N, D, D)))
    assert Xbar.shape == Q.shape == (D, D)
    M = jnp.full((N, N), 1.0 / N)
    assert checked(rounds.mix_gossip)(M, jnp.ones((N, C))).shape == (N, C)
    assert checked(rounds.mix_average)(jnp.ones(N) / N, jnp.ones((N, C))).shape == (N, C)
    assert checked(rounds.batch_indices)(jr.key(0), 0, 1, 2, 7, B).shape == (B,)
    assert checked(rounds.participation)(jr.key(0), 0, N, 2, jnp.float64).shape == (N,)
    assert checked(losses.mask)(jr.key(0), 0.5, (B, D)).dtype == jnp.bool_
    assert checked(losses.random_bits32)(jr.key(0), (B, D)).dtype == jnp.uint32


@pytest.mark.parametrize(
    "call",
    [
        lambda: checked(methods.align_value_and_grad)(
            jnp.ones((C, D)), jnp.ones((B, D + 1)), jnp.ones((B, D + 1))
        ),
        lambda: checked(methods.align_value_and_grad)(
            jnp.ones((C, D)), jnp.ones((B, D)), jnp.ones((B + 1, D))
        ),
        lambda: checked(client.population_loss)(jnp.ones((C, D)), jnp.eye(D + 1)),
        lambda: checked(recorded.target_stats)(jnp.ones((N, D, D + 1))),
        lambda: checked(rounds.mix_gossip)(jnp.ones((N, N + 1)), jnp.ones((N, C))),
    ],
)
def test_inconsistent_shapes_are_rejected(call):
    with pytest.raises(Exception, match="(?i)type|shape|dimension"):
        call()
