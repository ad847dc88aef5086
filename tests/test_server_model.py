"""FedAvg with one server model (``EngineConfig.server_model``) against the engine's N-copy
round, the oracle: the same models and the same per-round metrics (summed in another order),
with keyed minibatches and with a materialised sample."""

from __future__ import annotations

import dataclasses

import jax.random as jr
import numpy as np
import pytest

from sims.core.engine import make_engine
from sims.core.problem import make_problem
from sims.data import sample_paper_model
from sims.data.paper_model import KeyedPaperSampler
from sims.trackc.engine_config import EngineConfig
from theory import datamodel as dm
from theory.objectives import population_targets

MODEL = dm.DataModel(d=16, n_clients=6)


def _both(keyed: bool, **kw):
    base = dict(
        method="cl", framework="fl", n_clients=6, clients_per_round=2, d=16, c=4, rounds=6,
        lr=0.02, batch=8, local_steps=2,
    )  # fmt: skip
    cfg = EngineConfig(**(base | kw), sampler=KeyedPaperSampler(MODEL) if keyed else None)
    targets = population_targets(MODEL, "cl")
    x = None if keyed else np.asarray(sample_paper_model(MODEL, 20, key=jr.key(1))[0])
    out = []
    for c in (cfg, dataclasses.replace(cfg, server_model=True)):
        out.append(make_engine(c).run(make_problem(c, targets, x=x), key=jr.PRNGKey(3)))
    return out


@pytest.mark.parametrize("keyed", [True, False])
@pytest.mark.parametrize("s", [2, None], ids=["S=2", "S=N"])
def test_server_model_equals_the_n_copy_round(keyed, s):
    (full, tf), (server, ts) = _both(keyed, clients_per_round=s)
    assert np.asarray(server.params).shape == (1, 4, 16)
    # every client of the N-copy round holds the server model
    np.testing.assert_allclose(np.asarray(full.params), np.broadcast_to(server.params, (6, 4, 16)),
                               rtol=1e-12, atol=1e-14)  # fmt: skip
    np.testing.assert_array_equal(np.asarray(full.counts), np.asarray(server.counts))
    assert set(tf) == set(ts)
    for k in tf:
        np.testing.assert_allclose(np.asarray(ts[k], dtype=np.float64),
                                   np.asarray(tf[k], dtype=np.float64), rtol=1e-10, atol=1e-14,
                                   err_msg=k)  # fmt: skip


def test_server_model_loss_level():
    (full, tf), (server, ts) = _both(True, metrics="loss")
    np.testing.assert_allclose(np.asarray(ts["loss_global"]), np.asarray(tf["loss_global"]),
                               rtol=1e-12)  # fmt: skip


@pytest.mark.parametrize(
    "kw",
    [
        dict(framework="decl"),
        dict(persist_opt_state=True),
        dict(record_local=True),
        dict(method="mar"),
        dict(algorithm="fedprox"),
    ],
)
def test_server_model_refused_where_clients_keep_state(kw):
    base = dict(framework="fl", n_clients=6, clients_per_round=2, d=16, c=4, server_model=True)
    with pytest.raises(ValueError, match="^server_model"):
        EngineConfig(**(base | kw))
