"""``dssl simulate``: one FL / DecL training run of a linear CL / MIM / MAR encoder on the
paper's data model, with the final metrics (and per-round metrics with ``--trace``).

"Optimum" here is Track B's exact optimum of the *population* objective: the top-c PSD part of
X_π = Σ_j π_j X_j with the population targets of ``theory.objectives.population_targets``
(π uniform for FL and for doubly-stochastic mixing; the stationary weights of the mixing matrix
otherwise, docs/theory/consensus.md §3 D7). ``principal_angle_to_exact`` is the largest principal
angle between
the top-r singular space of the averaged model and the top-r eigenspace of X_π, where r is the
identifiable rank (``sims.core.metrics.identifiable_rank``: the eigenspace separated by a gap).
``principal_angle_to_empirical`` compares with the optimum of the pooled samples' own target.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

import jax.numpy as jnp
import jax.random as jr
import numpy as np

from sims.commands import _common
from sims.core import metrics as mt
from sims.core.config import AGGREGATIONS, DTYPES, METHODS, OPTIMIZERS, EngineConfig, key_tree
from sims.core.engine import divergence, encoder, make_engine, make_problem, where_diverged
from sims.core.sharding import shard_clients
from sims.trackc.simulate_rounds import (  # noqa: F401 - CHUNK_FLOPS etc. re-exported
    CHUNK_FLOPS,
    STEP_OVERHEAD_FLOPS,
    _StopFlag,
    check_run_time,
    estimate_bytes,
    rounds_per_chunk,
    run_rounds,
)
from theory import _validate as v
from theory.topology import GRAPHS, MIXINGS

NAME = "simulate"
HELP = "train a linear SSL encoder with FL or DecL on the paper's data model and report metrics"

MIXINGS = tuple(m for m in MIXINGS if m != "fedavg")  # DecL rules; FL has --framework fl

# Defaults, measured (see tests/test_cli_simulate.py): with only --method, --framework,
# --n-clients 4 and --d 64 the averaged model lands within 0.05 rad of the population optimum.
DEFAULTS = dict(rounds=300, lr=0.01, local_steps=5, batch=256, samples_per_client=8000)

#: Without --lr the step is min(DEFAULTS["lr"], LR_STABLE_FRACTION / λ_max), λ_max the largest
#: eigenvalue of any client's target X_i: near the optimum the Hessian of
#: −tr(W X Wᵀ) + ½‖WWᵀ‖² has eigenvalues up to about 4·λ_max, so gradient steps are stable below
#: 1/(2·λ_max); a quarter of λ_max⁻¹ leaves room for minibatch noise. At the default sizes
#: (λ_max ≤ 5) this is DEFAULTS["lr"]; at the paper's FL size (CL, N = 100, d = 256,
#: λ_max ≈ 218) it is 1.1e-3, where 0.01 diverges in the first rounds.
LR_STABLE_FRACTION = 0.25


def default_lr(targets) -> tuple[float, float]:
    """``(lr, λ_max)``: the step used when --lr is not given (see :data:`LR_STABLE_FRACTION`).

    Example:
      >>> default_lr(np.stack([np.eye(3), 400.0 * np.eye(3)]))
      (0.000625, 400.0)
    """
    lam = float(max(np.linalg.eigvalsh(np.asarray(x, dtype=np.float64)).max() for x in targets))
    return min(DEFAULTS["lr"], LR_STABLE_FRACTION / lam) if lam > 0 else DEFAULTS["lr"], lam


#: Pairs per client pair of the Monte Carlo uniformity estimate (``client_uniformity_mc``).
UNIFORMITY_PAIRS = 1024


def add_arguments(p: argparse.ArgumentParser) -> None:
    pos_int = _common.integer(lo=1)
    p.add_argument("--method", default="mim", choices=METHODS)
    p.add_argument("--framework", default="decl", choices=("fl", "decl"))
    p.add_argument("--graph", default=None, choices=GRAPHS, help="DecL communication graph (ring)")
    p.add_argument("--mixing", default=None, choices=MIXINGS, help="DecL mixing rule (uniform)")
    _common.add_mixing_file_argument(p)
    p.add_argument("--degree", type=_common.integer(lo=2), default=None, help="random_regular")
    p.add_argument(
        "--avg-degree",
        type=_common.real(0.0, lo_open=True),
        default=None,
        help="erdos_renyi / paper_code average degree",
    )
    p.add_argument(
        "--prob", type=_common.real(0.0, 1.0, lo_open=True), default=None, help="erdos_renyi"
    )
    p.add_argument("--rows", type=_common.integer(lo=3), default=None, help="torus rows")
    p.add_argument("--cols", type=_common.integer(lo=3), default=None, help="torus columns")
    p.add_argument("--n-clients", type=_common.integer(lo=2), default=4)
    p.add_argument("--d", type=_common.integer(lo=2), default=64)
    p.add_argument("--c", type=pos_int, default=None, help="embedding width (default 2N)")
    p.add_argument(
        "--p", type=_common.real(0.0, 1.0, lo_open=True, hi_open=True), default=0.75, help="mask"
    )
    p.add_argument(
        "--rare-fraction", type=_common.real(0.0, 1.0, lo_open=True, hi_open=True), default=0.05
    )
    p.add_argument(
        "--lr",
        type=_common.real(0.0, 1e6, lo_open=True),
        default=None,
        help=f"> 0 (default: min({DEFAULTS['lr']}, {LR_STABLE_FRACTION}/λ_max), λ_max the largest "
        "eigenvalue of the clients' targets: a stable gradient step)",
    )
    p.add_argument("--optimizer", default="sgd", choices=OPTIMIZERS)
    p.add_argument("--local-steps", type=pos_int, default=DEFAULTS["local_steps"])
    p.add_argument(
        "--batch",
        type=_common.integer(lo=2),
        default=None,
        help=f"minibatch per local step ({DEFAULTS['batch']}; not with --population)",
    )
    p.add_argument("--rounds", type=pos_int, default=DEFAULTS["rounds"])
    p.add_argument(
        "--samples-per-client", type=_common.integer(lo=2), default=DEFAULTS["samples_per_client"]
    )
    p.add_argument("--clients-per-round", type=pos_int, default=None, help="FL: S (default N)")
    p.add_argument("--aggregation", default=None, choices=AGGREGATIONS, help="FL (uniform)")
    p.add_argument(
        "--gamma-max", type=_common.real(0.0, 1e6), default=None, help="MAR: γ_max (0.1)"
    )
    p.add_argument(
        "--gamma-min", type=_common.real(0.0, 1e6), default=None, help="MAR: γ_min (1e-3)"
    )
    p.add_argument(
        "--seed",
        type=_common.integer(0, 2**32 - 1),
        default=0,
        help="seed of the run's key tree (data, init, sampling, masks) and of a random graph "
        "(the graph dssl topology, exact and verify draw with the same --seed)",
    )
    p.add_argument("--dtype", default="float64", choices=DTYPES)
    p.add_argument(
        "--population",
        action="store_true",
        help="full-batch population gradients (exact X_i, no sampling noise)",
    )
    p.add_argument("--trace", action="store_true", help="also print per-round metrics")
    _common.add_devices_argument(p, "the clients (K a divisor of --n-clients)")


HOST_DEVICES = _common.wants_host_devices


def _check_flags(args) -> tuple[str | None, str | None]:
    """Reject flags that do not apply; return the resolved (graph, mixing) of DecL."""
    na = _common.not_applicable
    if args.framework == "fl":
        for flag, value in (
            ("--graph", args.graph),
            ("--mixing", args.mixing),
            ("--mixing-file", args.mixing_file),
        ):
            if value is not None:
                na(flag, "with --framework fl (it applies to decl)", value)
        _common.check_graph_flags(args, None)
        graph = mixing = None
    else:
        for flag, value in (
            ("--clients-per-round", args.clients_per_round),
            ("--aggregation", args.aggregation),
        ):
            if value is not None:
                na(flag, "with --framework decl (it applies to fl)", value)
        if args.mixing_file is not None:
            for flag, value in (("--graph", args.graph), ("--mixing", args.mixing)):
                if value is not None:
                    na(flag, "with --mixing-file (the file gives the mixing matrix)", value)
            _common.check_graph_flags(args, None)
            graph = mixing = None
        else:
            graph = args.graph or "ring"
            mixing = args.mixing or "uniform"
            _common.check_graph_flags(args, graph)
    if args.population and args.batch is not None:
        na("--batch", "with --population (full-batch population gradients)", args.batch)
    args.batch = DEFAULTS["batch"] if args.batch is None else args.batch
    if args.method != "mar":
        for flag, value in (("--gamma-max", args.gamma_max), ("--gamma-min", args.gamma_min)):
            if value is not None:
                na(flag, f"with --method {args.method} (it applies to mar)", value)
    return graph, mixing


def _targets(model, method: str, p: float, H):
    from theory.objectives import population_targets

    return population_targets(model, method, p=p, H=H)


def _moment_root(x) -> np.ndarray:
    """A (d, d) sample with the same second moment as x (M, d): R = √d·Λ^½Vᵀ for
    xᵀx/M = VΛVᵀ, so RᵀR/d = xᵀx/M. The empirical targets depend on the sample only through
    that moment (``theory.objectives.empirical_target``), and this computes it with one BLAS
    product instead of an M·d² einsum per client."""
    x = np.asarray(x, dtype=np.float64)
    S = x.T @ x / x.shape[0]
    lam, V = np.linalg.eigh((S + S.T) / 2)
    return np.sqrt(x.shape[1]) * (np.sqrt(np.maximum(lam, 0.0))[:, None] * V.T)


def _empirical(x_pooled, method: str, p: float, H):
    from theory.objectives import empirical_target

    return empirical_target(x_pooled, method, p=p, H=H)


def _mesh(devices: int, n: int):
    """The one-axis mesh of ``--devices`` K (None for 1): the first K devices."""
    import jax

    from sims.core.sharding import client_mesh

    have = len(jax.devices())
    if devices > have:
        v.fail(
            "devices",
            f"at most the {have} device(s) JAX sees here (on a CPU dssl makes one per core)",
            devices,
        )
    if n % devices:
        v.fail("devices", f"a divisor of --n-clients = {n}", devices)
    return None if devices == 1 else client_mesh(jax.devices()[:devices])


def run(args) -> dict:
    """The command: parse-checked ``args`` -> result dict. Runs under a scoped x64 (the engine
    draws 64-bit mask bits and float64 minibatch indices for either --dtype; the caller's JAX
    setting is restored afterwards)."""
    from theory._precision import x64

    with x64():
        return _run(args)


def _run(args) -> dict:
    from sims.data import sample_paper_model
    from theory import spectral, topology
    from theory.datamodel import DataModel

    n = v.integer(args.n_clients, "n_clients", lo=2)
    mesh = _mesh(args.devices, n)
    d = v.integer(args.d, "d", lo=2 * n, why="2·n_clients")
    c = 2 * n if args.c is None else v.integer(args.c, "c", lo=1, hi=d)
    m = v.integer(args.samples_per_client, "samples_per_client", lo=2)
    graph, mixing_rule = _check_flags(args)
    gamma_max = 0.1 if args.gamma_max is None else args.gamma_max
    gamma_min = 1e-3 if args.gamma_min is None else args.gamma_min
    if args.method == "mar" and gamma_min > gamma_max:
        v.fail("gamma-min", f"<= --gamma-max = {gamma_max}", gamma_min)
    aggregation = args.aggregation or "uniform"
    keys = key_tree(args.seed)
    model = DataModel(d=d, n_clients=n, rare_fraction=args.rare_fraction, c=c)
    method = args.method
    target_method = {"mar": "mim", "mim-recon": "mim"}.get(method, method)
    config = EngineConfig(
        method=method,
        framework=args.framework,
        n_clients=n,
        d=d,
        c=c,
        p=args.p,
        lr=DEFAULTS["lr"] if args.lr is None else args.lr,
        optimizer=args.optimizer,
        local_steps=args.local_steps,
        batch=args.batch,
        rounds=args.rounds,
        clients_per_round=args.clients_per_round,
        population=args.population,
        dtype=args.dtype,
    )
    if not args.population and args.batch > m:
        v.fail("batch", f"at most --samples-per-client = {m}", args.batch)
    m_test = max(m // 4, 50)
    est = estimate_bytes(n=n, d=d, c=c, m=m, m_test=m_test, dtype=args.dtype, config=config)
    field = max(("samples_per_client", "d", "n_clients", "local_steps"), key=lambda k: est[k])
    _common.check_fits("--" + field.replace("_", "-"), getattr(args, field), est["total"])
    check_run_time(config, "--rounds", args.rounds)
    mixing_file = _common.mixing_from_args(args, n) if args.framework == "decl" else None
    H = None
    if method == "cl-dissimilar":
        from theory.objectives import transform

        H = transform("rotation", d, seed=args.seed)
    dt = jnp.float64 if args.dtype == "float64" else jnp.float32
    targets = _targets(model, target_method, args.p, H)
    if args.lr is None:
        lr, _ = default_lr(targets)
        config = dataclasses.replace(config, lr=lr)
        args.lr = lr
    x, y = sample_paper_model(model, m, key=keys["data"], dtype=dt)
    sizes = np.full(n, m)
    mixing = None
    graph_info = {}
    if args.framework == "decl":
        if mixing_file is not None:
            mixing = mixing_file
            adj = ((mixing + mixing.T) > 0).astype(np.float64)
            np.fill_diagonal(adj, 0.0)
            graph_info = {"graph": None, "mixing": "file", "mixing_file": args.mixing_file}
        else:
            adj = topology.make_graph(
                graph,
                n,
                rows=args.rows,
                cols=args.cols,
                degree=args.degree,
                avg_degree=args.avg_degree,
                prob=args.prob,
                seed=args.seed,  # the graph seed of every command (sims.core.config)
            )
            mixing = topology.mixing_matrix(mixing_rule, adj, sizes=sizes)
            graph_info = {"graph": graph, "mixing": mixing_rule}
        lam, gap, _ = spectral.lambda_gap_pi(mixing)
        abar = float(spectral.avg_connectivity(adj))
        graph_info |= {
            "contraction": float(lam),
            "spectral_gap": float(gap),
            "avg_connectivity": abar,
        }
    agg = sizes.astype(np.float64) if aggregation == "data-size" else None
    problem = make_problem(
        config,
        targets,
        x=None if args.population else x,
        mixing=mixing,
        agg=agg,
        gamma_max=gamma_max,
        gamma_min=gamma_min,
        H=H,
    )
    engine = make_engine(config, mesh=mesh)
    if mesh is not None:  # placed once, not re-split at every jitted chunk of rounds
        problem = shard_clients(problem, mesh)
    state, trace, interrupted = run_rounds(engine, problem, keys["root"], progress=not args.json)
    done = int(np.asarray(trace["loss"]).shape[0]) if trace else 0
    if interrupted and done == 0:
        raise KeyboardInterrupt
    diverged = divergence(trace)
    if diverged is not None:
        # the state is that of the last finite round; keep the trace up to it
        t_bad = diverged["round"]
        if t_bad == 0:
            v.fail("lr", "a learning rate for which the first round stays finite", args.lr)
        sys.stderr.write(
            f"dssl simulate: warning: diverged at round {t_bad} (0-based), "
            f"{where_diverged(diverged)}; results are "
            f"those of the last finite round ({t_bad - 1}); a smaller --lr may help\n"
        )
        trace = {k: val[:t_bad] for k, val in trace.items()}
        done = t_bad  # the rounds whose results are reported (the trace's rows)
    if interrupted:
        sys.stderr.write(
            f"dssl simulate: interrupted: results up to round {done} of {config.rounds} "
            '(marked "interrupted": true)\n'
        )

    W_local = np.asarray(encoder(state.params), dtype=np.float64)
    W_bar = W_local.mean(0)
    pi = np.asarray(problem.pi, dtype=np.float64)
    X_pi = np.einsum("n,nde->de", pi, np.asarray(targets, dtype=np.float64))
    angle, rank = mt.principal_angle_to_optimum(W_bar, X_pi, c)
    emp = sum(
        pi[i] * _empirical(_moment_root(np.asarray(x[i])), target_method, args.p, H)
        for i in range(n)
    )
    angle_emp, rank_emp = mt.principal_angle_to_optimum(W_bar, emp, c)
    x_te, y_te = sample_paper_model(model, m_test, key=keys["probe"], dtype=dt)
    probe = mt.probe_accuracy(
        W_bar,
        np.asarray(x).reshape(-1, d),
        np.asarray(y).reshape(-1),
        np.asarray(x_te).reshape(-1, d),
        np.asarray(y_te).reshape(-1),
        n_classes=2 * n,
    )
    del x
    rv = np.asarray(mt.representability_vector(jnp.asarray(W_bar)))
    erv = np.asarray(mt.energy_rv(jnp.asarray(W_bar)))
    local_rv = np.stack([np.asarray(mt.representability_vector(jnp.asarray(w))) for w in W_local])
    x_te64 = np.asarray(x_te, dtype=np.float64)
    z_te = jnp.asarray(x_te64 @ W_bar.T)
    unif = mt.client_uniformity_mc(z_te, key=jr.fold_in(keys["probe"], 1), pairs=UNIFORMITY_PAIRS)
    inter, inter_se = np.asarray(unif["inter"]), np.asarray(unif["inter_se"])
    off = ~np.eye(n, dtype=bool)
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
            "aggregation": aggregation,
            "rounds_per_chunk": rounds_per_chunk(config),
            "devices": args.devices,
        }
        | ({"gamma_max": gamma_max, "gamma_min": gamma_min} if method == "mar" else {})
        | graph_info,
        "rounds_done": done,
        "interrupted": bool(interrupted),
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
        "uniformity_intra": np.asarray(unif["intra"]).tolist(),
        "uniformity_intra_se": np.asarray(unif["intra_se"]).tolist(),
        "alignment_per_client": align.tolist(),
        "alignment": float(align.mean()),
        "uniformity_inter_mean": float(inter[off].mean()),
        "uniformity_inter_mean_se": float(np.sqrt(np.sum(inter_se[off] ** 2)) / off.sum()),
        "uniformity_estimator": (
            f"Monte Carlo over {UNIFORMITY_PAIRS} random pairs per client pair of the held-out "
            "embeddings (sims.core.metrics.client_uniformity_mc); *_se: its standard error"
        ),
        "diverged": diverged,
        "weight_distance": np.asarray(
            mt.weight_distance(jnp.asarray(W_local), jnp.asarray(W_bar))
        ).tolist(),
    }
    _warn_undefined(result)
    # an interrupted run is partial by choice, a diverged one has its own warning
    if not interrupted and diverged is None:
        _warn_not_converged(result)
    if args.trace or getattr(args, "csv", None) is not None:
        result["trace"] = {
            k: np.asarray(val).tolist()
            for k, val in trace.items()
            if k not in ("local_iterates", "local_grads")
        }
    return result


def _warn_undefined(result: dict) -> None:
    """One stderr line for each number the run cannot give: the angle to the exact optimum
    where that optimum has no identifiable subspace (e.g. MIM at N = 2, whose exact Eq. 4
    target is zero), and consensus where the mixing matrix never contracts (λ = 1: periodic)."""
    if result["identifiable_rank"] == 0:
        sys.stderr.write(
            "dssl simulate: warning: principal_angle_to_exact is null: the exact optimum has "
            "no identifiable subspace (the population target X_pi has no eigenvalue gap among "
            "its top c; e.g. MIM at N = 2, whose exact Eq. (4) target is zero)\n"
        )
    lam = result["config"].get("contraction")
    if lam is not None and lam >= 1.0 - 1e-12:
        sys.stderr.write(
            f"dssl simulate: warning: the mixing matrix does not contract (lambda = {lam:.6g}, "
            "spectral gap 0: periodic): the clients never reach consensus, and the averaged "
            "model is not what any client holds\n"
        )


def _warn_not_converged(result: dict) -> None:
    """One stderr line when training has not converged: principal angle to the Track B
    optimum above ``sims.glossary.ANGLE_WARN_RAD`` or loss gap above
    ``LOSS_GAP_WARN``·|optimal_loss|."""
    import math

    from sims.glossary import ANGLE_WARN_RAD, LOSS_GAP_WARN

    angle = float(result["principal_angle_to_exact"])
    gap = float(result["loss"]) - float(result["optimal_loss"])
    gap_tol = LOSS_GAP_WARN * abs(float(result["optimal_loss"]))
    reasons = []
    if math.isfinite(angle) and angle > ANGLE_WARN_RAD:
        reasons.append(f"principal angle to the exact optimum {angle:.3g} rad > {ANGLE_WARN_RAD}")
    if math.isfinite(gap) and gap > gap_tol:
        reasons.append(f"loss gap {gap:.3g} > {LOSS_GAP_WARN} x |optimal_loss| = {gap_tol:.3g}")
    if reasons:
        sys.stderr.write(
            "dssl simulate: warning: not converged: "
            + "; ".join(reasons)
            + " (more --rounds or a larger --lr may help)\n"
        )


def _alignment(W, x, method: str, p: float, H, *, key) -> np.ndarray:
    """Per-client alignment E‖ẑ − ẑ⁺‖² (docs/theory/ssd.md §1) of the averaged model on held-out
    data, with
    the method's own positive pair: complementary masked views (MIM) or two noisy views (CL;
    x + ξ and Hx for dissimilar augmentations)."""
    rng = np.random.default_rng(np.asarray(jr.key_data(key)).ravel().tolist())
    out = []
    for xi in x:  # one client at a time: views and embeddings of one client in memory
        if method.startswith("mim"):
            m = rng.random(xi.shape) >= p
            a, b = xi * m, xi * ~m
        else:
            a = xi + rng.standard_normal(xi.shape)
            b = xi @ H.T if method == "cl-dissimilar" else xi + rng.standard_normal(xi.shape)
        out.append(float(mt.alignment(jnp.asarray(a @ W.T), jnp.asarray(b @ W.T))))
    return np.asarray(out)


def _optimum(X, c):
    from theory.solve import eckart_young

    return np.asarray(eckart_young(X, c))


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
    lines = [f"{'config.' + k:28s} {val}" for k, val in result["config"].items()]
    lines += [f"{k:28s} {result[k]}" for k in keys]
    if result.get("interrupted"):
        done, total = result.get("rounds_done"), result["config"]["rounds"]
        lines.insert(0, f"{'interrupted':28s} True (results after round {done} of {total})")
    lines.append(f"{'global_rv[:c]':28s} " + " ".join(f"{r:.3f}" for r in result["global_rv"]))
    return "\n".join(lines)
