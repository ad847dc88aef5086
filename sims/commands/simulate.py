"""``dssl simulate``: one FL / DecL training run of a linear CL / MIM / MAR encoder on the
paper's data model, with the final metrics (and per-round metrics with ``--trace``). The run
and what it measures are :func:`sims.trackc.simulate.simulate`; this module parses, checks
which flags apply, calls it and prints.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

from sims.commands import _common, _lazy
from sims.commands._names import (
    AGGREGATIONS,
    ALGORITHMS,
    DTYPES,
    EMBEDDING_METHODS,
    FRAMEWORKS,
    GRAPHS,
    LR_STABLE_FRACTION,
    MASKING_METHODS,
    MATRIX_FRAMEWORKS,
    MIXINGS,
    OPTIMIZERS,
    RULE_GRAPHS,
)
from sims.commands._names import (
    SIM_DEFAULTS as DEFAULTS,
)
from sims.commands._names import SIM_METHODS as METHODS
from theory import _validate as v
from theory.datamodel import DataModel

trackc_simulate = _lazy.module("sims.trackc.simulate")

NAME = "simulate"
HELP = "train a linear SSL encoder with FL or DecL on the paper's data model and report metrics"
#: the defaults of --n-clients and --d (the others: sims.trackc.simulate.DEFAULTS)
N_CLIENTS_DEFAULT, D_DEFAULT = 4, 64

MIXINGS = tuple(m for m in MIXINGS if m != "fedavg")  # DecL rules; FL has --framework fl


def add_arguments(p: argparse.ArgumentParser) -> None:
    pos_int = _common.integer(lo=1)
    p.add_argument("--method", default="mim", choices=METHODS)
    p.add_argument("--framework", default="decl", choices=FRAMEWORKS)
    p.add_argument(
        "--graph",
        default=None,
        choices=GRAPHS + RULE_GRAPHS,
        help="DecL graph (ring; the last three: no --mixing)",
    )
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
    p.add_argument("--n-clients", type=_common.integer(lo=2), default=N_CLIENTS_DEFAULT)
    p.add_argument("--d", type=_common.integer(lo=2), default=D_DEFAULT)
    p.add_argument("--c", type=pos_int, default=None, help="embedding width (default 2N)")
    p.add_argument(
        "--p",
        type=_common.real(0.0, 1.0, lo_open=True, hi_open=True),
        default=None,
        help="mask ratio, masking methods only (0.75)",
    )
    p.add_argument(
        "--rare-fraction", type=_common.real(0.0, 1.0, lo_open=True, hi_open=True), default=0.05
    )
    p.add_argument(
        "--lr",
        type=_common.real(0.0, 1e6, lo_open=True),
        default=None,
        help=f"> 0 (default: min({DEFAULTS['lr']}, {LR_STABLE_FRACTION}/λ_max(targets)))",
    )
    p.add_argument("--optimizer", default="sgd", choices=OPTIMIZERS)
    p.add_argument("--algorithm", default="none", choices=ALGORITHMS, help="client steps")
    p.add_argument("--mu", type=_common.real(0.0, 1e6), default=None,
                   help="FedProx: μ (default: 0.0)")  # fmt: skip
    p.add_argument("--local-steps", type=pos_int, default=DEFAULTS["local_steps"])
    p.add_argument(
        "--batch",
        type=_common.integer(lo=2),
        default=None,
        help=f"minibatch per local step ({DEFAULTS['batch']}; no --population)",
    )
    p.add_argument("--rounds", type=pos_int, default=DEFAULTS["rounds"])
    p.add_argument(
        "--samples-per-client",
        type=_common.integer(lo=2),
        default=DEFAULTS["samples_per_client"],
        help="M samples per client drawn before training (default: none; keyed minibatches)",
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
        help="seed of the run and of a random graph",
    )
    p.add_argument("--dtype", default="float64", choices=DTYPES)
    p.add_argument(
        "--population",
        action="store_true",
        help="full-batch population gradients (exact X_i)",
    )
    p.add_argument("--trace", action="store_true", help="also print per-round metrics")
    _common.add_devices_argument(p, "the clients (K divides --n-clients)")
    _common.add_compile_cache_argument(p)


HOST_DEVICES = _common.wants_host_devices


def _check_flags(args) -> tuple[str | None, str | None]:
    """Reject flags that do not apply; return the resolved (graph, mixing) of DecL."""
    na = _common.not_applicable
    if args.framework not in MATRIX_FRAMEWORKS:  # FL: no graph, no mixing matrix
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
            if graph in RULE_GRAPHS:
                if args.mixing is not None:
                    na("--mixing", f"with --graph {graph} (it holds its own weights)", args.mixing)
                mixing = None
            else:
                mixing = args.mixing or "uniform"
            _common.check_graph_flags(args, graph)
    if args.population and args.batch is not None:
        na("--batch", "with --population (full-batch population gradients)", args.batch)
    if args.method not in EMBEDDING_METHODS:
        for flag, value in (("--gamma-max", args.gamma_max), ("--gamma-min", args.gamma_min)):
            if value is not None:
                na(flag, f"with --method {args.method} (it applies to mar)", value)
    if args.mu is not None and args.algorithm != "fedprox":
        na("--mu", "without --algorithm fedprox (it is FedProx's proximal weight)", args.mu)
    if args.p is not None and args.method not in MASKING_METHODS:
        na("--p", f"with --method {args.method} (p enters only the masking methods)", args.p)
    return graph, mixing


def check(args) -> None:
    """Before JAX is imported (sims.cli): --devices against N (and, on a CPU, the cores), the
    sizes (--d >= 2N, --c <= d, as theory.datamodel.DataModel checks them), the flags that do
    not apply, the graph at N clients, --clients-per-round <= N and MAR's gammas (the run
    checks them again: sims.trackc.simulate, sims.trackc.engine_config)."""
    n = args.n_clients
    _devices(args.devices, n, _common.host_device_count() if args.devices > 1 else None)
    _common.n_within_d(n, {"--d": (args.d, D_DEFAULT)})
    DataModel(d=args.d, n_clients=n, rare_fraction=args.rare_fraction, c=args.c)
    graph, _ = _check_flags(args)
    if graph is not None:
        _common.check_graph_sizes(args, graph, n)
    elif args.mixing_file is not None:
        _common.check_mixing_path(args.mixing_file)
    if args.clients_per_round is not None:
        v.integer(args.clients_per_round, "clients_per_round", lo=1, hi=n)
    if args.method in EMBEDDING_METHODS:
        gamma_max = 0.1 if args.gamma_max is None else args.gamma_max
        gamma_min = 1e-3 if args.gamma_min is None else args.gamma_min
        if gamma_min > gamma_max:
            v.fail("gamma-min", f"<= --gamma-max = {gamma_max}", gamma_min)
    _check_budget(args, n)


#: sims.trackc.simulate.TIME_DEFAULTS, read before JAX is imported
TIME_DEFAULTS = {
    "--rounds": DEFAULTS["rounds"],
    "--local-steps": DEFAULTS["local_steps"],
    "--n-clients": N_CLIENTS_DEFAULT,
    "--d": D_DEFAULT,
    "--batch": DEFAULTS["batch"],
}


def _check_budget(args, n: int) -> None:
    """The run's memory and time budgets (:func:`sims.trackc.simulate_rounds.check_budget`) on
    the options' numbers, before JAX starts (``--rounds 1e9`` or ``--d 1e8`` used to be refused
    after 2 s of importing it): the memory is a lower bound of the run's own estimate and the
    time is estimated at the faster rate where an accelerator may be JAX's backend, so nothing
    refused here would have been accepted by the run, which checks again."""
    from sims.core.environ import runs_on_cpu
    from sims.trackc import simulate_rounds as plan

    m = args.samples_per_client
    shape = plan.RunShape(
        n_clients=n, d=args.d, c=2 * n if args.c is None else args.c,
        local_steps=args.local_steps,
        batch=DEFAULTS["batch"] if args.batch is None else args.batch, rounds=args.rounds,
        population=bool(args.population),
        # S clients trained per round: --clients-per-round (refused above but with FL), else N
        n_sampled=n if args.clients_per_round is None else args.clients_per_round,
        keyed=m is None and not args.population,
    )  # fmt: skip
    with v.sizes_forced(bool(getattr(args, "force_size", False))):
        plan.check_budget(
            shape, samples=m, dtype=args.dtype, backend="cpu" if runs_on_cpu() else "gpu",
            time_field=plan.longest_option(shape, TIME_DEFAULTS),
        )  # fmt: skip


def _devices(devices: int, n: int, have: int | None) -> None:
    """--devices K: at most the ``have`` devices JAX sees (None: not known yet), a divisor
    of N."""
    if have is not None and devices > have:
        v.fail(
            "devices",
            f"at most the {have} device(s) JAX sees here (on a CPU dssl makes one per core)",
            devices,
        )
    if n % devices:
        v.fail("devices", f"a divisor of --n-clients = {n}", devices)


def _mesh(devices: int, n: int):
    """The one-axis mesh of ``--devices`` K (None for 1): the first K devices."""
    import jax

    from sims.core.sharding import client_mesh

    _devices(devices, n, len(jax.devices()))
    return None if devices == 1 else client_mesh(jax.devices()[:devices])


def _settings(args):
    """The run's :class:`sims.trackc.simulate.SimulateSettings`: every setting from its option
    (an option not given: the setting's default); ``--csv`` records the trace too."""
    names = [f.name for f in dataclasses.fields(trackc_simulate.SimulateSettings)]
    given = {k: getattr(args, k) for k in names if k != "trace" and getattr(args, k) is not None}
    trace = args.trace or getattr(args, "csv", None) is not None
    return trackc_simulate.SimulateSettings(**given, trace=trace)


def run(args) -> dict:
    """The command: parse-checked ``args`` -> result dict (:func:`sims.trackc.simulate.simulate`,
    then the warnings on what the run could not give). Runs under a scoped x64 (the engine
    draws 64-bit mask bits and float64 minibatch indices for either --dtype; the caller's JAX
    setting is restored afterwards)."""
    from sims.reproduce.pipeline import compile_cache
    from theory._precision import x64

    n = v.integer(args.n_clients, "n_clients", lo=2)
    with x64():
        mesh = _mesh(args.devices, n)
        settings = _settings(args)  # the sizes before the flags: the order errors come in
        graph, mixing_rule = _check_flags(args)
        # the compiled programs of earlier runs, read back (once the arguments passed)
        cache = compile_cache.persistent_cache(compile_cache.resolve(args.compile_cache))
        with cache:
            result = trackc_simulate.simulate(
                settings,
                graph=graph,
                mixing_rule=mixing_rule,
                load_mixing=_common.load_mixing_file,
                mesh=mesh,
                progress=not args.json,
            )
    _warn_undefined(result)
    # an interrupted run is partial by choice, a diverged one has its own warning
    if not result["interrupted"] and result["diverged"] is None:
        _warn_not_converged(result)
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


def format_text(result: dict, width: int | None = None) -> str:
    """The result as ``key value`` lines; the c RVs of ``global_rv[:c]`` wrapped to ``width``
    (default: the terminal's, ``COLUMNS``, else 120)."""
    import textwrap

    width = _common.terminal_width(width)
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
    rvs = " ".join(f"{r:.3f}" for r in result["global_rv"])
    lines += textwrap.wrap(rvs, width=width, initial_indent=f"{'global_rv[:c]':28s} ",
                           subsequent_indent=" " * 29)  # fmt: skip
    return "\n".join(lines)
