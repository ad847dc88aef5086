"""Chunking the client axis (lax.map over chunks of clients) gives the unchunked results."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sims.core.client import auto_client_chunk, client_bytes
from sims.core.config import key_tree
from sims.core.engine import make_engine
from sims.core.problem import make_problem
from sims.trackc.engine_config import EngineConfig
from theory import topology

N, D, C = 7, 6, 2


def test_forced_small_chunk_equals_unchunked(framework="fl"):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(N, 10, D))
    targets = np.einsum("nmd,nme->nde", x, x) / 10
    mix = topology.mixing_matrix("metropolis", topology.make_graph("ring", N))
    base = EngineConfig(
        method="mim",
        framework=framework,
        n_clients=N,
        d=D,
        c=C,
        rounds=3,
        batch=4,
        local_steps=2,
        clients_per_round=3 if framework == "fl" else None,
    )
    runs = []
    for chunk in (None, 3):  # 3 does not divide 7: the remainder chunk is exercised too
        cfg = dataclasses.replace(base, client_chunk=chunk)
        prob = make_problem(cfg, targets, x=x, mixing=mix if framework == "decl" else None)
        runs.append(make_engine(cfg).run(prob, key=key_tree(2)["root"]))
    assert auto_client_chunk(base) == N
    for state, trace in runs[1:]:
        np.testing.assert_allclose(
            np.asarray(state.params), np.asarray(runs[0][0].params), rtol=1e-12, atol=1e-14
        )
        np.testing.assert_allclose(
            np.asarray(trace["loss"]), np.asarray(runs[0][1]["loss"]), rtol=1e-12
        )


def test_auto_chunk_from_memory_estimate(monkeypatch):
    import jax

    monkeypatch.setattr(jax, "default_backend", lambda: "cpu")  # the CPU budgets, on any machine
    cfg = EngineConfig(n_clients=10_000, d=64, c=16, batch=32, local_steps=5, dtype="float32")
    per = client_bytes(cfg)
    assert per > 0
    assert auto_client_chunk(cfg, budget_bytes=per * 123, cache_bytes=per * 1000) == 123
    assert auto_client_chunk(cfg, budget_bytes=per * 1000, cache_bytes=per * 45) == 45
    assert auto_client_chunk(cfg) == (8 << 20) // per  # the cache budget binds by default
    assert auto_client_chunk(cfg, budget_bytes=1) == 1
    # two clients per chunk at least, where two fit the memory budget
    assert auto_client_chunk(cfg, budget_bytes=per * 1000, cache_bytes=per) == 2
    assert auto_client_chunk(cfg, budget_bytes=2 * per - 1, cache_bytes=per * 1000) == 1
    assert auto_client_chunk(dataclasses.replace(cfg, client_chunk=50)) == 50
    with pytest.raises(ValueError, match="^client_chunk:"):
        EngineConfig(client_chunk=0)
    with pytest.raises(ValueError, match="^budget_bytes:"):
        auto_client_chunk(cfg, budget_bytes=0)


def test_auto_chunk_on_an_accelerator_uses_a_quarter_of_its_memory(monkeypatch):
    """On a GPU the CPU cache budget does not apply: the chunk is what a quarter of the device's
    memory holds (the CPU defaults would cut N = 1000, d = 4096 into chunks of one client)."""
    import jax

    from sims.core import rounds

    class _Dev:
        def memory_stats(self):
            return {"bytes_limit": 80 << 30}

    cfg = EngineConfig(n_clients=1000, d=4096, c=64, batch=128, dtype="float32")
    per = client_bytes(cfg)
    monkeypatch.setattr(jax, "default_backend", lambda: "cpu")
    # CPU: one client's working set is over 8 MiB, and chunks of one ran slower than of two
    assert per > 8 << 20 and auto_client_chunk(cfg) == 2
    monkeypatch.setattr(jax, "default_backend", lambda: "gpu")
    monkeypatch.setattr(jax, "devices", lambda *a: [_Dev()])
    assert rounds._backend_budgets() == (20 << 30, 20 << 30)
    assert auto_client_chunk(cfg) == min(1000, (20 << 30) // per)
    monkeypatch.setattr(_Dev, "memory_stats", lambda self: None)
    assert auto_client_chunk(cfg) == (1 << 30) // per
