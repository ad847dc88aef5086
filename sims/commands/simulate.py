"""``dssl simulate``: one FL / DecL training run of a linear CL / MIM / MAR encoder on the
paper's data model, with the final metrics (and per-round metrics with ``--trace``).

"Optimum" here is Track B's exact optimum of the *population* objective: the top-c PSD part of
X_π = Σ_j π_j X_j with the population targets of ``theory.objectives.population_targets``
(π uniform for FL and for doubly-stochastic mixing; the stationary weights of the mixing matrix
otherwise, consensus.md D7). ``principal_angle_to_exact`` is the largest principal angle between
the top-r singular space of the averaged model and the top-r eigenspace of X_π, where r is the
identifiable rank (``sims.metrics.identifiable_rank``: the eigenspace separated by a gap).
``principal_angle_to_empirical`` compares with the optimum of the pooled samples' own target.
"""

from __future__ import annotations

import argparse
import sys

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from sims import metrics as mt
from sims.config import AGGREGATIONS, DTYPES, METHODS, OPTIMIZERS, EngineConfig, key_tree
from sims.engine import divergence, encoder, make_engine, make_problem, target_stats
from theory import _validate as v
from theory.topology import GRAPHS, MIXINGS

NAME = "simulate"
HELP = "train a linear SSL encoder with FL or DecL on the paper's data model and report metrics"

MIXINGS = tuple(m for m in MIXINGS if m != "fedavg")  # DecL rules; FL has --framework fl

# Defaults, measured (see tests/test_cli_simulate.py): with only --method, --framework,
# --n-clients 4 and --d 64 the averaged model lands within 0.05 rad of the population optimum.
DEFAULTS = dict(rounds=300, lr=0.01, local_steps=5, batch=256, samples_per_client=8000)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--method", default="mim", choices=METHODS)
    p.add_argument("--framework", default="decl", choices=("fl", "decl"))
    p.add_argument("--graph", default="ring", choices=GRAPHS, help="DecL communication graph")
    p.add_argument("--mixing", default="uniform", choices=MIXINGS, help="DecL mixing rule")
    p.add_argument("--degree", type=int, default=None, help="random_regular degree")
    p.add_argument("--avg-degree", type=float, default=None, help="erdos_renyi / paper_code")
    p.add_argument("--prob", type=float, default=None, help="erdos_renyi edge probability")
    p.add_argument("--rows", type=int, default=None, help="torus rows")
    p.add_argument("--cols", type=int, default=None, help="torus columns")
    p.add_argument("--n-clients", type=int, default=4)
    p.add_argument("--d", type=int, default=64)
    p.add_argument("--c", type=int, default=None, help="embedding width (default 2N)")
    p.add_argument("--p", type=float, default=0.75, help="mask ratio")
    p.add_argument("--rare-fraction", type=float, default=0.05)
    p.add_argument("--lr", type=float, default=DEFAULTS["lr"])
    p.add_argument("--optimizer", default="sgd", choices=OPTIMIZERS)
    p.add_argument("--local-steps", type=int, default=DEFAULTS["local_steps"])
    p.add_argument("--batch", type=int, default=DEFAULTS["batch"])
    p.add_argument("--rounds", type=int, default=DEFAULTS["rounds"])
    p.add_argument("--samples-per-client", type=int, default=DEFAULTS["samples_per_client"])
    p.add_argument("--clients-per-round", type=int, default=None, help="FL: S (default N)")
    p.add_argument("--aggregation", default="uniform", choices=AGGREGATIONS)
    p.add_argument("--gamma-max", type=float, default=0.1)
    p.add_argument("--gamma-min", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dtype", default="float64", choices=DTYPES)
    p.add_argument(
        "--population",
        action="store_true",
        help="full-batch population gradients (exact X_i, no sampling noise)",
    )
    p.add_argument("--trace", action="store_true", help="also print per-round metrics")


def _targets(model, method: str, p: float, H):
    from theory.objectives import population_targets

    return population_targets(model, method, p=p, H=H)


def _empirical(x_pooled, method: str, p: float, H):
    from theory.objectives import empirical_target

    return empirical_target(x_pooled, method, p=p, H=H)


def run(args) -> dict:
    from sims.data import sample_paper_model
    from theory import spectral, topology
    from theory.datamodel import DataModel

    n = v.integer(args.n_clients, "n_clients", lo=2)
    d = v.integer(args.d, "d", lo=2 * n)
    c = 2 * n if args.c is None else v.integer(args.c, "c", lo=1, hi=d)
    m = v.integer(args.samples_per_client, "samples_per_client", lo=2)
    keys = key_tree(args.seed)
    model = DataModel(d=d, n_clients=n, rare_fraction=args.rare_fraction, c=c)
    method = args.method
    target_method = {"mar": "mim", "mim-recon": "mim"}.get(method, method)
    H = None
    if method == "cl-dissimilar":
        from theory.objectives import transform

        H = transform("rotation", d, seed=args.seed)
    config = EngineConfig(
        method=method,
        framework=args.framework,
        n_clients=n,
        d=d,
        c=c,
        p=args.p,
        lr=args.lr,
        optimizer=args.optimizer,
        local_steps=args.local_steps,
        batch=args.batch,
        rounds=args.rounds,
        clients_per_round=args.clients_per_round,
        population=args.population,
        dtype=args.dtype,
    )
    dt = jnp.float64 if args.dtype == "float64" else jnp.float32
    targets = _targets(model, target_method, args.p, H)
    sampler = jax.jit(sample_paper_model, static_argnums=(0, 1), static_argnames=("dtype",))
    x, y = sampler(model, m, key=keys["data"], dtype=dt)
    sizes = np.full(n, m)
    mixing = None
    graph_info = {}
    if args.framework == "decl":
        gseed = int(jr.randint(keys["graph"], (), 0, 2**31 - 1))
        adj = topology.make_graph(
            args.graph,
            n,
            rows=args.rows,
            cols=args.cols,
            degree=args.degree,
            avg_degree=args.avg_degree,
            prob=args.prob,
            seed=gseed,
        )
        mixing = topology.mixing_matrix(args.mixing, adj, sizes=sizes)
        with jax.numpy_dtype_promotion("standard"):  # theory.spectral mixes int widths
            lam, gap, _ = spectral.lambda_gap_pi(mixing)
            abar = float(spectral.avg_connectivity(adj))
        graph_info = {
            "graph": args.graph,
            "mixing": args.mixing,
            "contraction": float(lam),
            "spectral_gap": float(gap),
            "avg_connectivity": abar,
        }
    agg = sizes.astype(np.float64) if args.aggregation == "data-size" else None
    problem = make_problem(
        config,
        targets,
        x=None if args.population else x,
        mixing=mixing,
        agg=agg,
        gamma_max=args.gamma_max,
        gamma_min=args.gamma_min,
        H=H,
    )
    engine = make_engine(config)
    state, trace = _run_with_progress(engine, problem, keys["root"], quiet=args.json)
    diverged = divergence(trace)
    if diverged is not None:
        # the state is that of the last finite round; keep the trace up to it
        t_bad = diverged["round"]
        sys.stderr.write(
            f"dssl simulate: warning: diverged at round {t_bad} (0-based), client "
            f"{diverged['client']}: local loss {diverged['loss']}; results are those of the "
            f"last finite round ({t_bad - 1})\n"
        )
        if t_bad == 0:
            v.fail("lr", "a learning rate for which the first round stays finite", args.lr)
        trace = {k: val[:t_bad] for k, val in trace.items()}

    W_local = np.asarray(encoder(state.params), dtype=np.float64)
    W_bar = W_local.mean(0)
    pi = np.asarray(problem.pi, dtype=np.float64)
    X_pi = np.einsum("n,nde->de", pi, np.asarray(targets, dtype=np.float64))
    angle, rank = mt.principal_angle_to_optimum(W_bar, X_pi, c)
    x_np = np.asarray(x, dtype=np.float64)
    emp = np.einsum(
        "n,nde->de", pi, np.stack([_empirical(x_np[i], target_method, args.p, H) for i in range(n)])
    )
    angle_emp, rank_emp = mt.principal_angle_to_optimum(W_bar, emp, c)
    x_te, y_te = sampler(model, max(m // 4, 50), key=keys["probe"], dtype=dt)
    probe = mt.probe_accuracy(
        W_bar,
        x_np.reshape(-1, d),
        np.asarray(y).reshape(-1),
        np.asarray(x_te).reshape(-1, d),
        np.asarray(y_te).reshape(-1),
        n_classes=2 * n,
    )
    rv = np.asarray(mt.representability_vector(jnp.asarray(W_bar)))
    erv = np.asarray(mt.energy_rv(jnp.asarray(W_bar)))
    local_rv = np.stack([np.asarray(mt.representability_vector(jnp.asarray(w))) for w in W_local])
    x_te64 = np.asarray(x_te, dtype=np.float64)
    z_te = jnp.asarray(x_te64 @ W_bar.T)
    intra, inter = mt.client_uniformity(z_te)
    align = _alignment(W_bar, x_te64, target_method, args.p, H, key=keys["probe"])
    result = {
        "config": {
            k: getattr(config, k)
            for k in (
                "method",
                "framework",
                "n_clients",
                "d",
                "c",
                "p",
                "lr",
                "optimizer",
                "local_steps",
                "batch",
                "rounds",
                "population",
                "dtype",
            )
        }
        | {
            "samples_per_client": m,
            "seed": args.seed,
            "clients_per_round": config.n_sampled,
            "aggregation": args.aggregation,
        }
        | graph_info,
        "global_rv": rv[:c].tolist(),
        "global_rv_energy": erv[:c].tolist(),
        "local_rv": local_rv[:, :c].tolist(),
        "sensitivity_N": float(rv[:n].max() - rv[:n].min()),
        "sensitivity_c": float(rv[:c].max() - rv[:c].min()),
        "sensitivity_N_energy": float(erv[:n].max() - erv[:n].min()),
        "local_sensitivity_N": (local_rv[:, :n].max(1) - local_rv[:, :n].min(1)).tolist(),
        "principal_angle_to_exact": angle,
        "identifiable_rank": rank,
        "principal_angle_to_empirical": angle_emp,
        "identifiable_rank_empirical": rank_emp,
        "consensus_distance": float(trace["consensus_distance"][-1]),
        "zeta_sq": float(trace["zeta_sq"][-1]),
        "loss": float(trace["loss_global"][-1]),
        "optimal_loss": float(
            mt.global_loss(jnp.asarray(_optimum(X_pi, c)), jnp.asarray(targets, dtype=jnp.float64))
        ),
        "probe_accuracy": probe,
        "uniformity_intra": np.asarray(intra).tolist(),
        "alignment_per_client": align.tolist(),
        "alignment": float(align.mean()),
        "uniformity_inter_mean": float(np.asarray(inter)[~np.eye(n, dtype=bool)].mean()),
        "diverged": diverged,
        "weight_distance": np.asarray(
            mt.weight_distance(jnp.asarray(W_local), jnp.asarray(W_bar))
        ).tolist(),
    }
    if args.trace:
        result["trace"] = {
            k: np.asarray(val).tolist()
            for k, val in trace.items()
            if k not in ("local_iterates", "local_grads")
        }
    return result


def _alignment(W, x, method: str, p: float, H, *, key) -> np.ndarray:
    """Per-client alignment E‖ẑ − ẑ⁺‖² (ssd.md §1) of the averaged model on held-out data, with
    the method's own positive pair: complementary masked views (MIM) or two noisy views (CL;
    x + ξ and Hx for dissimilar augmentations)."""
    rng = np.random.default_rng(np.asarray(jr.key_data(key)).ravel().tolist())
    if method.startswith("mim"):
        m = rng.random(x.shape) >= p
        a, b = x * m, x * ~m
    else:
        a = x + rng.standard_normal(x.shape)
        b = x @ H.T if method == "cl-dissimilar" else x + rng.standard_normal(x.shape)
    za, zb = jnp.asarray(a @ W.T), jnp.asarray(b @ W.T)
    return np.asarray(jax.vmap(mt.alignment)(za, zb))


def _optimum(X, c):
    from theory.solve import eckart_young

    return np.asarray(eckart_young(X, c))


def _run_with_progress(engine, problem, key, *, quiet: bool):
    """Run in chunks of rounds so a tqdm bar (stderr) can advance; one chunk when quiet."""
    if quiet:
        return engine.run(problem, key=key)
    from tqdm import tqdm

    config = engine.config
    chunk = max(1, config.rounds // 20)
    step = jax.jit(
        lambda s, p: jax.lax.scan(
            lambda st, _: engine.round_step(st, p, target_stats(p.targets)), s, None, length=chunk
        )
    )
    last = jax.jit(
        lambda s, p, k: jax.lax.scan(
            lambda st, _: engine.round_step(st, p, target_stats(p.targets)), s, None, length=k
        ),
        static_argnums=2,
    )
    state = engine.init(problem, key=key)
    traces = []
    done = 0
    with tqdm(total=config.rounds, file=sys.stderr, desc="rounds") as bar:
        while done < config.rounds:
            k = min(chunk, config.rounds - done)
            state, tr = step(state, problem) if k == chunk else last(state, problem, k)
            traces.append(tr)
            done += k
            bar.update(k)
    trace = jax.tree.map(lambda *a: jnp.concatenate(a), *traces)
    return state, trace


def format_text(result: dict) -> str:
    keys = (
        "principal_angle_to_exact",
        "identifiable_rank",
        "principal_angle_to_empirical",
        "sensitivity_N",
        "sensitivity_c",
        "consensus_distance",
        "zeta_sq",
        "loss",
        "optimal_loss",
        "probe_accuracy",
        "alignment",
        "uniformity_inter_mean",
    )
    lines = [f"{k:28s} {result[k]}" for k in keys]
    lines.append(f"{'global_rv[:c]':28s} " + " ".join(f"{r:.3f}" for r in result["global_rv"]))
    return "\n".join(lines)
