"""sims.run (the plug-in API) against hand-written FedAvg, gossip and push-sum loops in float64
(NumPy, closed-form least-squares gradients), jitted and un-jitted; ragged data; validation."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import optax
import pytest

import sims
from sims.core.mixing import check_mixing
from sims.core.rounds import batch_indices, loss_key, participation
from theory import topology

N, D = 4, 3
W_TRUE = np.array([1.0, -2.0, 0.5])
NOISE = 0.1  # input noise drawn from the loss key (exercises the per-step keys)


def _data(sizes=(12, 12, 12, 12), seed=0):
    rng = np.random.default_rng(seed)
    xs = [rng.standard_normal((m, D)) + 0.3 * k for k, m in enumerate(sizes)]
    ys = [x @ W_TRUE + 0.05 * rng.standard_normal(len(x)) for x in xs]
    return xs, ys


def _loss(w, batch, *, key):
    x, y = batch
    x = x + NOISE * jr.normal(key, x.shape, x.dtype)
    return 0.5 * jnp.mean((x @ w - y) ** 2)


def _local(w, x, y, key, t, i, steps, b, lr):
    """E SGD steps of client i in NumPy with the closed-form gradient xᵀ(xw − y)/B."""
    for s in range(steps):
        rows = np.asarray(batch_indices(key, t, i, s, len(x), b))
        xb = x[rows] + NOISE * np.asarray(jr.normal(loss_key(key, t, i, s), (b, D), jnp.float64))
        g = xb.T @ (xb @ w - y[rows]) / b
        w = w - lr * g
    return w


def _oracle(xs, ys, rule, M, *, rounds, steps, b, lr, key, sampled=None, agg=None):
    n = len(xs)
    ws = [np.zeros(D) for _ in range(n)]
    weights = np.ones(n)
    for t in range(rounds):
        new = [_local(ws[i], xs[i], ys[i], key, t, i, steps, b, lr) for i in range(n)]
        if rule == "fedavg":
            act = np.ones(n)
            if sampled is not None:
                act = np.asarray(participation(key, t, n, sampled, jnp.float64))
            s = act * (np.ones(n) if agg is None else agg)
            s = s / s.sum()
            server = sum(s[j] * new[j] for j in range(n))
            ws = [server.copy() for _ in range(n)]
        elif rule == "gossip":
            ws = [sum(M[i, j] * new[j] for j in range(n)) for i in range(n)]
        else:
            num = [sum(M[i, j] * weights[j] * new[j] for j in range(n)) for i in range(n)]
            weights = M @ weights
            ws = [num[i] / weights[i] for i in range(n)]
    return np.stack(ws), weights


def _run(xs, ys, mixing, **kw):
    kw.setdefault("rounds", 6)
    kw.setdefault("local_steps", 3)
    kw.setdefault("batch_size", 5)
    kw.setdefault("lr", 0.05)
    kw.setdefault("key", jr.key(3))
    return sims.run(_loss, jnp.zeros(D), (xs, ys), mixing=mixing, **kw)


def _directed_mixing(n):
    """Column-stochastic A of a directed ring with self-loops and one chord (not row-stochastic)."""
    A = np.zeros((n, n))
    for j in range(n):
        A[j, j] += 0.5
        A[(j + 1) % n, j] += 0.5
    A[:, 0] = 0
    A[0, 0], A[1, 0], A[2, 0] = 0.2, 0.3, 0.5
    return A


@pytest.mark.parametrize("jit", [True, False])
def test_fedavg_equals_hand_written_fedavg(jit):
    xs, ys = _data()
    key = jr.key(3)
    want, _ = _oracle(xs, ys, "fedavg", None, rounds=6, steps=3, b=5, lr=0.05, key=key)
    if jit:
        res = _run(np.stack(xs), np.stack(ys), "fedavg")
    else:
        with jax.disable_jit():
            res = _run(np.stack(xs), np.stack(ys), "fedavg")
    np.testing.assert_allclose(np.asarray(res.params), want, rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.asarray(res.global_params), want[0], rtol=0, atol=1e-12)
    assert res.trace["loss"].shape == (6,) and res.trace["client_loss"].shape == (6, N)
    assert res.params.dtype == jnp.float64


@pytest.mark.parametrize("jit", [True, False])
def test_gossip_equals_hand_written_gossip_ragged(jit):
    xs, ys = _data(sizes=(7, 12, 3, 9))
    M = topology.mixing_matrix("metropolis", topology.make_graph("ring", N))
    want, _ = _oracle(xs, ys, "gossip", M, rounds=6, steps=3, b=5, lr=0.05, key=jr.key(3))
    if jit:
        res = _run(xs, ys, M)
    else:
        with jax.disable_jit():
            res = _run(xs, ys, M)
    np.testing.assert_allclose(np.asarray(res.params), want, rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.asarray(res.global_params), want.mean(0), rtol=0, atol=1e-12)
    cd = np.mean(np.sum((want - want.mean(0)) ** 2, axis=1))
    np.testing.assert_allclose(float(res.trace["consensus_distance"][-1]), cd, rtol=1e-10)


def test_push_sum_equals_hand_written_push_sum():
    xs, ys = _data(sizes=(7, 12, 3, 9))
    A = _directed_mixing(N)
    assert not np.allclose(A.sum(1), 1)  # not row-stochastic: plain gossip would be biased
    want, w = _oracle(xs, ys, "push-sum", A, rounds=6, steps=3, b=5, lr=0.05, key=jr.key(3))
    res = _run(xs, ys, ("push-sum", A))
    np.testing.assert_allclose(np.asarray(res.params), want, rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.asarray(res.weights), w, rtol=0, atol=1e-12)
    glob = (w[:, None] * want).sum(0) / w.sum()
    np.testing.assert_allclose(np.asarray(res.global_params), glob, rtol=0, atol=1e-12)


def test_push_sum_reaches_the_average_on_a_directed_graph():
    """Pure averaging (lr → no local progress): push-sum's de-biased models all converge to the
    plain average of the initial models, which gossip with the same matrix would miss."""
    A = _directed_mixing(N)
    x0 = np.arange(N, dtype=np.float64)[:, None] * np.ones((N, 2))
    state = x0.copy()
    w = np.ones(N)
    for _ in range(200):
        state = (A @ (w[:, None] * state)) / (A @ w)[:, None]
        w = A @ w
    np.testing.assert_allclose(state, np.full((N, 2), x0.mean()), atol=1e-10)


def test_fedavg_partial_participation_and_size_weights():
    xs, ys = _data(sizes=(7, 12, 3, 9))
    agg = np.array([7.0, 12, 3, 9])
    want, _ = _oracle(
        xs, ys, "fedavg", None, rounds=5, steps=2, b=4, lr=0.05, key=jr.key(3), sampled=2, agg=agg
    )
    res = _run(
        xs, ys, "fedavg", rounds=5, local_steps=2, batch_size=4, clients_per_round=2, weights="size"
    )
    np.testing.assert_allclose(np.asarray(res.params), want, rtol=0, atol=1e-12)
    key, n = jr.key(3), len(xs)
    act = np.stack([np.asarray(participation(key, t, n, 2, jnp.float64)) for t in range(5)])
    cl = np.asarray(res.trace["client_loss"])
    assert np.array_equal(np.isnan(cl), act == 0)  # non-participants are not trained
    np.testing.assert_allclose(
        np.asarray(res.trace["loss"]), np.nanmean(cl, axis=1), rtol=1e-12, atol=0
    )


def test_fedavg_partial_participation_trains_only_the_sampled_clients():
    """A client whose local training overflows leaves FedAvg untouched in a round that does
    not sample it: it is not trained (training it and weighting it by 0 gives 0·inf = NaN)."""
    xs, ys = _data()
    n = len(xs)
    key = next(
        jr.key(s) for s in range(100)
        if np.asarray(participation(jr.key(s), 0, n, 2, jnp.float64))[3] == 0
    )  # fmt: skip
    xs[3] = xs[3] * 1e200
    res = _run(xs, ys, "fedavg", rounds=1, clients_per_round=2, key=key)
    assert np.all(np.isfinite(np.asarray(res.global_params)))
    cl = np.asarray(res.trace["client_loss"])[0]
    assert np.isnan(cl[3]) and np.isfinite(cl).sum() == 2


def test_raw_and_new_keys_agree_and_chunking_is_bit_identical():
    xs, ys = _data()
    a = _run(xs, ys, "fedavg", rounds=7, key=jr.key(5))
    b = _run(xs, ys, "fedavg", rounds=7, key=jr.PRNGKey(5))
    np.testing.assert_array_equal(np.asarray(a.params), np.asarray(b.params))
    calls = []
    c = _run(
        xs,
        ys,
        "fedavg",
        rounds=7,
        key=jr.key(5),
        rounds_per_call=3,
        on_chunk=lambda done, r: calls.append(done),
    )
    assert calls == [3, 6]
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(c), strict=True):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
    # client chunks (lax.map): same per-client results up to the batching of reductions
    d = _run(xs, ys, "fedavg", rounds=7, key=jr.key(5), chunk=3)
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(d), strict=True):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-14, atol=1e-15)


def test_compiler_options_are_handed_to_the_training_program():
    """A run compiled with other options (Track D's ``long_training_options``) is a program of
    its own and trains the same model up to rounding."""
    from sims.core.environ import long_training_options

    xs, ys = _data()
    a = _run(xs, ys, "fedavg", rounds=5, key=jr.key(5))
    b = _run(xs, ys, "fedavg", rounds=5, key=jr.key(5), compiler_options=long_training_options())
    c = _run(xs, ys, "fedavg", rounds=5, key=jr.key(5), compiler_options={})
    for other in (b, c):
        for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(other), strict=True):
            np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-12, atol=1e-14)


def test_on_chunk_can_stop_and_record_runs_per_round():
    xs, ys = _data()
    res = _run(
        xs,
        ys,
        "fedavg",
        rounds=9,
        rounds_per_call=2,
        on_chunk=lambda done, r: done >= 4,
        record=lambda w: {"err": jnp.sum((w - jnp.asarray(W_TRUE)) ** 2)},
    )
    assert res.trace["loss"].shape == (4,)
    full = _run(xs, ys, "fedavg", rounds=4)
    np.testing.assert_array_equal(np.asarray(res.params), np.asarray(full.params))
    err = np.sum((np.asarray(full.global_params) - W_TRUE) ** 2)
    np.testing.assert_allclose(float(res.trace["record"]["err"][-1]), err, rtol=1e-12)


def test_pytree_params_and_optax_optimizer_float32():
    xs, ys = _data()
    x32 = jnp.asarray(np.stack(xs), jnp.float32)
    y32 = jnp.asarray(np.stack(ys), jnp.float32)

    def loss(p, batch, *, key):
        x, y = batch
        return 0.5 * jnp.mean((x @ p["w"] + p["b"] - y) ** 2)

    p0 = {"w": jnp.zeros(D, jnp.float32), "b": jnp.zeros((), jnp.float32)}
    res = sims.run(
        loss,
        p0,
        (x32, y32),
        rounds=40,
        local_steps=2,
        batch_size=6,
        optimizer=optax.adam(0.05),
        key=jr.key(0),
    )
    assert res.params["w"].shape == (N, D) and res.params["w"].dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(res.global_params["w"]), W_TRUE, atol=0.1)


def test_partition_calls_the_dirichlet_partitioner():
    from sims.data import dirichlet_partition

    y = np.repeat(np.arange(5), 20)
    x = np.arange(100.0)[:, None] * np.ones((1, 2))
    xs, ys = sims.partition(x, y, 4, alpha=0.3, key=jr.key(2))
    parts = dirichlet_partition(y, 4, 0.3, key=jr.key(2))
    for xk, yk, p in zip(xs, ys, parts, strict=True):
        np.testing.assert_array_equal(xk[:, 0], p.astype(float))
        np.testing.assert_array_equal(yk, y[p])
    res = sims.run(
        _loss_2d,
        jnp.zeros(2),
        (xs, [yk.astype(float) for yk in ys]),
        rounds=1,
        batch_size=2,
        lr=1e-6,
        key=jr.key(0),
    )
    assert res.params.shape == (4, 2)


def _loss_2d(w, batch, *, key):
    x, y = batch
    return jnp.mean((x @ w - y) ** 2)


@pytest.mark.parametrize(
    "mixing, match",
    [
        (np.ones((3, 4)) / 4, "mixing: must be a square"),
        (np.ones((3, 3)) / 3, r"mixing: must be an \(4, 4\)"),
        (np.full((4, 4), 0.3), "mixing: must be row-stochastic"),
        (np.eye(4), "mixing: must be irreducible"),
        (np.full((4, 4), np.nan), "mixing: must be finite"),
        (-np.eye(4) + 0.5, "mixing: must be entrywise >= 0"),
        ("ring", "mixing: must be one of"),
        (("push-sum", np.full((4, 4), 0.3)), "mixing: must be column-stochastic"),
        (("gossip", np.full((4, 4), 0.25)), "mixing: must be one of"),
    ],
)
def test_bad_mixing_one_line(mixing, match):
    xs, ys = _data()
    with pytest.raises(ValueError, match=match) as err:
        _run(xs, ys, mixing)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    "kw, field",
    [
        ({"rounds": 0}, "rounds"),
        ({"batch_size": 0}, "batch_size"),
        ({"local_steps": 1.5}, "local_steps"),
        ({"lr": -1.0}, "lr"),
        ({"optimizer": optax.sgd(0.1)}, "optimizer"),  # both lr and optimizer
        ({"clients_per_round": 5}, "clients_per_round"),
        ({"key": 3}, "key"),
        ({"weights": np.array([1.0, 0, 1, 1])}, "weights"),
        ({"chunk": 0}, "chunk"),
        ({"compiler_options": ["xla_backend_optimization_level"]}, "compiler_options"),
        ({"compiler_options": {"xla_backend_optimization_level": None}}, "compiler_options"),
        # an option this XLA does not define: refused before compiling, as the sweep does
        ({"compiler_options": {"xla_no_such_option_here": True}}, "compiler_options"),
    ],
)
def test_bad_arguments_name_the_field(kw, field):
    xs, ys = _data()
    with pytest.raises(ValueError, match=f"^{field}: must be"):
        _run(xs, ys, "fedavg", **kw)


def test_bad_data_and_params():
    with pytest.raises(ValueError, match="^data: must be"):
        sims.run(_loss, jnp.zeros(D), np.ones(3), rounds=1, batch_size=1, lr=0.1, key=jr.key(0))
    xs, ys = _data(sizes=(3, 4, 5, 6))
    with pytest.raises(ValueError, match="^data: must be leaves with the same clients"):
        _run(xs, ys[:3], "fedavg")
    with pytest.raises(ValueError, match="^params: must be a pytree of float"):
        sims.run(
            _loss, jnp.zeros(D, jnp.int32), (xs, ys), rounds=1, batch_size=1, lr=0.1, key=jr.key(0)
        )
    with pytest.raises(ValueError, match="^weights: must be None unless"):
        _run(xs, ys, np.full((4, 4), 0.25), weights="size")


@pytest.mark.parametrize(
    "data, field",
    [
        ("hello", "data: must be numeric or boolean arrays"),
        (np.full((2, 3, 4), "x"), "data: must be numeric or boolean arrays"),
        ([np.full((3, 4), "x"), np.full((2, 4), "y")], "data: must be per-client numeric"),
        (np.ones((4, 20, 5)), "loss: must be a function .* JAX can trace .*dot_general"),
    ],
    ids=["string", "string-array", "string-lists", "rows-do-not-fit-params"],
)
def test_data_the_loss_cannot_read_fails_in_one_line(data, field):
    """Data JAX cannot hold, or rows the loss cannot multiply by the parameters (a user's
    shape mistake), fail in one line naming ``data`` or ``loss`` (they raised JAX's own
    TypeError, naming neither)."""

    def loss(w, x, *, key):
        return jnp.mean((x @ w.T) ** 2)

    with pytest.raises(ValueError, match=f"^{field}") as err:
        sims.run(loss, jnp.zeros((3, 8)), data, rounds=1, batch_size=2, lr=0.1, key=jr.key(0))
    assert len(str(err.value).splitlines()) == 1


def test_check_mixing_accepts_paper_mixings():
    for rule in ("uniform", "metropolis", "max_degree"):
        W = topology.mixing_matrix(rule, topology.make_graph("star", 5))
        np.testing.assert_array_equal(check_mixing(W, 5), W)
    with pytest.raises(ValueError, match="^W: must be column-stochastic"):
        check_mixing(np.array([[0.5, 0.5], [0.9, 0.1]]), stochastic="column", field="W")


def test_a_diverging_run_names_its_divergence():
    """``sims.run`` with a step far too large returns NaN/inf parameters and says so with a
    DivergenceWarning naming the first non-finite round (issue 40: it returned them silently);
    a run that stays finite warns nothing."""
    import warnings

    from sims.core.trainer import DivergenceWarning, run

    xs = jr.normal(jr.key(1), (3, 20, 2))
    data = (xs, xs @ jnp.array([1.0, -2.0]))

    def loss(w, batch, *, key):
        x, y = batch
        return 0.5 * jnp.mean((x @ w - y) ** 2)

    kw = dict(rounds=5, local_steps=2, batch_size=8, key=jr.key(0))
    with pytest.warns(DivergenceWarning, match=r"non-finite loss from round \d+ of 5"):
        res = run(loss, jnp.zeros(2), data, lr=1e30, **kw)
    assert not np.all(np.isfinite(np.asarray(res.trace["loss"])))
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergenceWarning)
        run(loss, jnp.zeros(2), data, lr=0.1, **kw)


# ---------------------------------------------------------------------------------------------
# sims.verify: the claims table with the user's own mixing matrix

#: a non-uniform, non-symmetric row-stochastic W on a path of 4 clients (not the paper's rule)
W_PATH = np.array(
    [[0.6, 0.4, 0.0, 0.0], [0.2, 0.5, 0.3, 0.0], [0.0, 0.1, 0.7, 0.2], [0.0, 0.0, 0.5, 0.5]]
)
VERIFY_CLAIMS = ("eq17", "thm4.2.decl", "cor4.5", "thm4.6", "thm4.6.eq89")


def test_verify_table_equals_the_cli_mixing_file_json(tmp_path, capsys):
    """sims.verify(mixing=W) returns the config and rows `dssl verify --mixing-file --json`
    prints for the same W (the command adds the file's path, and the Track D entry it reads
    from a results folder, which is no part of the claims table)."""
    import json

    from sims.cli import main

    path = tmp_path / "W.npy"
    np.save(path, W_PATH)
    argv = ["verify", "--d", "40", "--d-sweep", "20,40", "--claims", ",".join(VERIFY_CLAIMS)]
    argv += ["--transform", "rotation", "--mixing-file", str(path), "--json"]
    assert main(argv) == 0
    cli = json.loads(capsys.readouterr().out)
    got = sims.verify(n_clients=4, d=40, mixing=W_PATH, claims=VERIFY_CLAIMS,
                      d_sweep=(20, 40), transform="rotation")  # fmt: skip
    got = json.loads(json.dumps(got))  # the JSON form, as the command writes it
    assert cli["config"]["mixing_file"].pop("path") == str(path)
    assert got["config"] == cli["config"]
    for r in cli["claims"]:
        r.pop("track_d")
    assert got["claims"] == cli["claims"]
    scope = {r["id"]: r["mixing_file"] for r in got["claims"]}
    assert scope["thm4.6"] == scope["thm4.2.decl"] == "enters"
    assert all(scope[c].startswith("does not enter: ") for c in ("eq17", "cor4.5", "thm4.6.eq89"))
    assert got["config"]["mixing_file"]["uniform_rule"] is False
    # the oracle for abar: W's support has degrees 1, 2, 2, 1, so |Ā| = 1 + 6 / 4
    assert got["config"]["mixing_file"]["abar"] == 2.5


def test_verify_without_mixing_is_the_graph_table():
    """Without a W: no mixing_file field, and the graph named in the configuration."""
    got = sims.verify(n_clients=4, d=40, claims=["thm4.6"], d_sweep=(40,), graph="ring")
    assert got["config"]["graph"] == "ring" and "mixing_file" not in got["config"]
    assert "mixing_file" not in got["claims"][0]


def test_verify_hands_the_configuration_to_track_c():
    """track_c is called with the configuration that carries W, and its words fill Track C."""
    from theory.claims import Evidence

    seen = []

    def track_c(cfg):
        seen.append(cfg.mixing())
        return {"thm4.6": Evidence("holds", {"x": 1.0}, "stub")}

    got = sims.verify(n_clients=4, d=40, mixing=W_PATH, claims=["thm4.6"], d_sweep=(40,),
                      track_c=track_c)  # fmt: skip
    np.testing.assert_array_equal(seen[0], W_PATH)
    assert got["claims"][0]["track_c"] == "holds"


@pytest.mark.parametrize(
    "kw, field",
    [
        ({"mixing": [[0.5, 0.5, 0.0], [0.5, 0.5, 0.0]]}, "mixing"),  # not square
        ({"mixing": np.full((3, 3), 1 / 3)}, "mixing"),  # 3 x 3 but n_clients 4
        ({"mixing": W_PATH + 0.1}, "mixing"),  # rows do not sum to 1
        ({"mixing": np.where(W_PATH == 0.6, np.nan, W_PATH)}, "mixing"),  # not finite
        ({"mixing": np.array([[1.2, -0.2, 0, 0], *W_PATH[1:]])}, "mixing"),  # negative
        ({"mixing": np.eye(4)}, "mixing"),  # reducible
        ({"mixing": "ring"}, "mixing"),  # not a matrix
        ({"mixing": W_PATH, "graph": "ring"}, "graph"),  # W replaces the graph
        ({"mixing": W_PATH, "degree": 2}, "degree"),
        ({"n_clients": 1}, "n_clients"),
        ({"claims": ["thm9"]}, "claims"),
        ({"claims": []}, "claims"),
        ({"graphs": "ring"}, "config"),  # not a VerifyConfig field
        ({"track_c": "fast"}, "track_c"),
        ({"transform": "spin"}, "transform"),
    ],
)
def test_verify_bad_inputs_one_line(kw, field):
    kw = {"n_clients": 4, "d": 40, "d_sweep": (40,), "claims": ["thm4.6"], **kw}
    with pytest.raises(ValueError) as err:
        sims.verify(**kw)
    msg = str(err.value)
    assert msg.startswith(f"{field}: ") and "\n" not in msg, msg


def test_compiler_options_key_keeps_equal_values_of_other_types_apart():
    """The cached training programs are keyed by ``compiler_options_key``: ``True``, ``1`` and
    ``1.0`` (equal in Python, and one key as (name, value) pairs) are three keys, so a program
    compiled with one is never served for another."""
    from sims.core.environ import compiler_options_key, compiler_options_of

    name = "xla_backend_optimization_level"
    keys = {compiler_options_key({name: value}) for value in (True, 1, 1.0)}
    assert len(keys) == 3
    assert compiler_options_of(compiler_options_key({name: 1})) == {name: 1}
    assert compiler_options_key(None) is None and compiler_options_key({}) == ()


_AT_ONCE = """
import jax, jax.numpy as jnp, numpy as np
from sims.core import trainer
from sims.core.sharding import client_mesh

class Stop(Exception):
    pass

seen = []

def spy(batch, params, n, clients, *args, **kwargs):
    seen.append(clients)
    raise Stop

trainer._check_round_memory = spy
mesh = client_mesh(jax.devices()[:4])
data = np.zeros((8, 16, 3), np.float32)
loss = lambda p, b, *, key: jnp.sum((b @ p) ** 2)
for cpr in (None, 4, 3):
    try:
        trainer.run(loss, jnp.zeros(3), data, rounds=1, batch_size=2, lr=0.1,
                    clients_per_round=cpr, chunk=1, mesh=mesh, key=jax.random.key(0))
    except Stop:
        pass
print(seen)
"""


def test_the_memory_check_counts_the_clients_trained_at_once_on_a_mesh():
    """sims.run's memory check before a run on a mesh of 4 devices, chunk=1: a round's
    clients train one on each device where they split evenly over the devices (8 or 4 of 8),
    else one at a time in all (3 of 8: no shard_map, sims.core.rounds.per_device)."""
    from tests._helpers import fresh_python

    r = fresh_python(["-c", _AT_ONCE], devices=4)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.split() == ["[4,", "4,", "1]"]
