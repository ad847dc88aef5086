"""The engine against DrJAX on identical FedAvg work (issue 41, item 1).

DrJAX (``pip install drjax``, Apache-2.0; Rush et al., arXiv 2403.07128) is the other maintained
JAX library that maps a client function over a placement axis with ``jax.vmap``. Its programming
model is broadcast / map / reduce: a FedAvg round is written, as its documentation writes one,

    @drjax.program(placements={"clients": N})
    def fedavg_round(server, data):
        models = drjax.broadcast(server)
        return drjax.reduce_mean(drjax.map_fn(client_update, (models, data)))

and the rounds are a Python loop over the jitted round. Here both sides train the same linear MIM
problem (Eq. 4 of arXiv 2607.02447, SGD): the same data (``timing._problem``), the
same starting encoder, every client in every round, the same minibatch rows and masks (both draw
them with :func:`sims.core.rounds.batch_indices` and :func:`sims.core.rounds.loss_key`, so the
final models agree to float32 rounding). DrJAX's client update is written two ways:

* ``drjax``: the way a DrJAX user writes it, ``jax.grad`` of the loss inside a ``lax.scan``
  over the local steps;
* ``drjax_closed_form``: the engine's own closed-form gradient
  (:meth:`sims.losses.methods.Method.value_and_grad`), so that the ratio is the orchestration
  alone (rounds as a Python loop of jitted calls, DrJAX's primitives) and not autodiff.

What DrJAX cannot express, and so is not timed against it: gossip (DecL's mixing matrix; its
reductions are over all clients), push-sum, and partial participation other than by zero
weights in ``reduce_weighted_mean`` (every client still computes).

Imported only by ``benchmarks/run_all.py`` (``make bench``); drjax is in the ``bench`` extra.
"""

from __future__ import annotations

import os
from dataclasses import replace

import baselines
import jax
import jax.numpy as jnp
import numpy as np
import timing as bench

from sims.core.config import key_tree, split_streams
from sims.core.engine import make_engine
from sims.core.rounds import batch_indices, loss_key
from sims.losses import methods

__all__ = ["drjax_runner", "head_to_head", "drjax_report", "SETTINGS"]

#: The two settings of the issue: the quick one (as FedAvg) and the efficiency cell.
SETTINGS = {
    "quick": dict(bench.QUICK),
    "efficiency": dict(n_clients=100, d=512, c=64, batch=128, local_steps=5, rounds=20),
}


def drjax_runner(config, problem, *, closed_form: bool = False):
    """``run(server0 (c, d), root) -> (c, d)``: ``config.rounds`` FedAvg rounds written with
    DrJAX's primitives, each a jitted call."""
    import drjax
    from absl import logging

    # with no device mesh DrJAX says, once per trace, that it falls back to plain vmap
    logging.set_verbosity(logging.ERROR)
    n, e, b, lr = config.n_clients, config.local_steps, config.batch, config.lr
    method = methods.get(config.method)
    ctx = methods.Context(p=config.p)
    loss = method.as_loss(ctx)

    def client_update(W, x_i, n_i, i, t, streams):
        def step(W, k):
            rows = batch_indices(streams["sampling"], t, i, k, n_i, b)
            key = loss_key(streams["masks"], t, i, k)
            if closed_form:
                g = method.value_and_grad(W, x_i[rows], ctx, key=key)[1]
            else:
                g = jax.grad(lambda w: loss(w, x_i[rows], key=key))(W)
            return W - lr * g, None

        return jax.lax.scan(step, W, jnp.arange(e, dtype=jnp.int32))[0]

    @jax.jit
    @drjax.program(placements={"clients": n})
    def fedavg_round(server, xs, sizes, ids, t, root):
        streams = split_streams(root)
        models = drjax.broadcast(server)
        new = drjax.map_fn(
            lambda W, x_i, n_i, i: client_update(W, x_i, n_i, i, t, streams),
            (models, xs, sizes, ids),
        )
        return drjax.reduce_mean(new)

    ids = jnp.arange(n, dtype=jnp.int32)
    ts = [jnp.asarray(t, jnp.int32) for t in range(config.rounds)]

    def run(server0, root):
        server = server0
        for t in ts:
            server = fedavg_round(server, problem.x, problem.sizes, ids, t, root)
        return jax.block_until_ready(server)

    return run


def head_to_head(
    setting: str = "quick", repeats: int = 5, *, overrides: dict | None = None, samples: int = 256
) -> dict:
    """Engine (all metrics, and ``metrics="loss"``) against the two DrJAX rounds on one setting
    of :data:`SETTINGS` (FedAvg, all clients, float32, ``samples`` per client; ``overrides``
    replace fields of the setting, for small checks): each compiled and run once, then timed
    in turn (:func:`timing.best_interleaved`); the final server models compared
    with the engine's."""
    import drjax

    load_before = list(os.getloadavg())
    fields = SETTINGS[setting] | (overrides or {})
    config = bench.bench_config(**fields, framework="fl")
    problem = bench._problem(config, m=samples)
    root = key_tree(0)["root"]
    engine = make_engine(config)
    loss_only = make_engine(replace(config, metrics="loss"))

    def engine_run(eng):
        return lambda: jax.block_until_ready(eng.run(problem, key=root)[0].params)

    server0 = jnp.asarray(baselines.starting_params(engine, config, problem, root)[0])
    runs = {"engine": engine_run(engine), "loss_only": engine_run(loss_only)}
    for name, closed in (("drjax", False), ("drjax_closed_form", True)):
        r = drjax_runner(config, problem, closed_form=closed)
        runs[name] = lambda r=r: r(server0, root)
    finals = {name: np.asarray(fn()) for name, fn in runs.items()}  # compile + check
    ref = finals["engine"][0]
    res = {
        "setting": setting,
        "config": {k: getattr(config, k) for k in fields}
        | {"framework": "fl (all clients)", "dtype": config.dtype, "method": config.method},
        "drjax_version": drjax.__version__,
        "clients_identical_in_engine": bool(np.all(finals["engine"] == ref)),
        "max_abs_diff_vs_engine": {
            name: float(np.max(np.abs((out[0] if out.ndim == 3 else out) - ref)))
            for name, out in finals.items()
            if name != "engine"
        },
        "scale_of_model": float(np.max(np.abs(ref))),
    }
    best = bench.best_interleaved({name: (fn, repeats) for name, fn in runs.items()})
    res["seconds"] = best
    res["engine_speedup_vs_drjax"] = best["drjax"] / best["engine"]
    res["loss_only_speedup_vs_drjax"] = best["drjax"] / best["loss_only"]
    res["engine_speedup_vs_drjax_closed_form"] = best["drjax_closed_form"] / best["engine"]
    res["loss_only_speedup_vs_drjax_closed_form"] = best["drjax_closed_form"] / best["loss_only"]
    res["timing"] = (
        f"best of {repeats}, the four in turn, each timed call after an untimed one of its own"
    )
    res["load_average_before"] = load_before
    res["load_average_after"] = list(os.getloadavg())
    return res


def drjax_report(rows: list | None) -> list[str]:
    """The DrJAX section of bench.md (``benchmarks/drjax_fedavg.py``'s records)."""
    if not rows:
        return []
    lines = [
        "## Against DrJAX (FedAvg, every client every round, float32, 20 rounds)",
        "",
        "Same data, starting encoder, minibatch rows and masks on both sides; DrJAX "
        f"{rows[0]['drjax_version']}, its round written as its docs write one (broadcast, "
        "`map_fn`, `reduce_mean`; a jitted round per Python iteration). Seconds for 20 rounds; "
        "the ratios are DrJAX's time over the engine's.",
        "",
        '| setting | engine | engine, `metrics="loss"` | DrJAX, `jax.grad` client update | '
        "DrJAX, the engine's closed-form gradient | engine vs DrJAX | loss-only vs DrJAX | "
        "max abs difference of the final model | load before / after |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        s, c = r["seconds"], r["config"]
        diff = max(r["max_abs_diff_vs_engine"].values())
        lb, la = r["load_average_before"][0], r["load_average_after"][0]
        lines.append(
            f"| {r['setting']} (N={c['n_clients']}, d={c['d']}, c={c['c']}, B={c['batch']}, "
            f"E={c['local_steps']}) | {s['engine']:.3f} | {s['loss_only']:.3f} | "
            f"{s['drjax']:.3f} | {s['drjax_closed_form']:.3f} | "
            f"{r['engine_speedup_vs_drjax']:.2f}x ({r['engine_speedup_vs_drjax_closed_form']:.2f}x)"
            f" | {r['loss_only_speedup_vs_drjax']:.2f}x "
            f"({r['loss_only_speedup_vs_drjax_closed_form']:.2f}x) | {diff:.1e} (model max "
            f"{r['scale_of_model']:.3f}) | {lb:.2f} / {la:.2f} |"
        )
    lines += [
        "",
        "In brackets: against DrJAX with the engine's closed-form gradient (the orchestration "
        f"alone). Timing: {rows[0]['timing']}. Not expressible in DrJAX, so not timed against "
        "it: DecL gossip with a mixing matrix (its reductions are over all clients), push-sum, "
        "and participation by a sampled subset (only zero weights in `reduce_weighted_mean`, "
        "every client still computing).",
        "",
    ]
    return lines
