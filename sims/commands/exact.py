"""``dssl exact``: representability of the exact linear-model optima (Track B).

Builds the per-client targets of one method on the paper's data model (population, or a finite
sample with ``--samples``), solves for the local, FL and DecL optima exactly and reports their
representability vectors (Def. 4.1 of arXiv 2607.02447) and sensitivities.
"""

from __future__ import annotations

import numpy as np

from sims.commands import _common
from theory import _validate as v
from theory import objectives as ob
from theory import solve as so
from theory import spectral, topology

NAME = "exact"
HELP = "exact linear-model optima (local / FL / DecL) and their representability vectors"

N_EIGENVALUES = 10


def add_arguments(parser) -> None:
    parser.add_argument("--method", default="mim", help="one of " + ", ".join(ob.METHODS))
    _common.add_model_arguments(parser)
    parser.add_argument(
        "--transform", default="identity", help="H for cl-dissimilar: " + ", ".join(ob.TRANSFORMS)
    )
    parser.add_argument("--transform-seed", type=int, default=0, help="seed of a random H")
    _common.add_graph_arguments(parser, graph="ring")
    parser.add_argument("--mixing", default="uniform", help="DecL mixing rule")
    parser.add_argument(
        "--samples",
        type=int,
        default=None,
        help="finite sample: M samples per client (default: population)",
    )


def _graph_weights(args, n: int) -> dict:
    """π (Eq. 1 column sums / N), stationary π and |Ā| of the requested graph and mixing."""
    adjacency = topology.make_graph(args.graph, n, **_common.graph_kwargs(args))
    if not topology.is_connected(adjacency):
        v.fail("graph", "connected (DecL needs a connected graph)", args.graph)
    sizes = np.ones(n) if args.mixing == "data_size" else None  # equal |D_i| (paper §3.2)
    W = topology.mixing_matrix(args.mixing, adjacency, sizes=sizes)
    return {
        "pi": np.asarray(spectral.objective_weights(W)),
        "stationary": np.asarray(spectral.stationary_weights(W)),
        "abar": float(spectral.avg_connectivity(adjacency)),
    }


def _degenerate(eigenvalues: np.ndarray, c: int) -> bool:
    """True when λ_c = λ_{c+1} (relative 1e-9) and λ_c > 0: the rank-c optimum is not unique."""
    if c >= eigenvalues.size:
        return False
    lc, lnext = eigenvalues[c - 1], eigenvalues[c]
    scale = max(abs(eigenvalues[0]), 1e-300)
    return bool(lc > so.EY_REL_TOL * scale and abs(lc - lnext) <= 1e-9 * scale)


def run(args) -> dict:
    method = v.choice(args.method, "method", ob.METHODS)
    model = _common.model_from_args(args)
    n, d, c = model.n_clients, model.d, model.c
    p = v.real(args.p, "p", lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    H = ob.transform(args.transform, d, seed=args.transform_seed)
    if args.samples is not None:
        m = v.integer(args.samples, "samples", lo=1)
        import jax.random as jr

        from sims.data import sample_paper_model

        x, _ = sample_paper_model(model, m, key=jr.key(v.integer(args.seed, "seed", lo=0)))
        data = np.asarray(x)
    else:
        data = None
    notes = []
    graph = _graph_weights(args, n)

    k = min(d, max(c, 2 * n))
    w_decl, w_stat = graph["pi"], graph["stationary"]
    if method == "mim-recon":
        uu, vu = ob.recon_moments(model if data is None else data, p=p)
        opt = so.recon_optima(uu, vu, c, decl_weights=w_decl, stationary_weights=w_stat)
        full = opt["sv_fl"] ** 2
        eig = full[:N_EIGENVALUES]
        notes.append(
            "mim-recon: optima are the encoders W_e of the reduced-rank regression; "
            "eigenvalues are those of Σ_vu Σ_uu⁺ Σ_uv; paper_decl does not apply"
        )
        paper = None
        degenerate = _degenerate(full, c)
    else:
        targets = (
            ob.population_targets(model, method, p=p, H=H)
            if data is None
            else ob.empirical_target(data, method, p=p, H=H)
        )
        opt = so.optima(targets, c, decl_weights=w_decl, stationary_weights=w_stat)
        full = np.linalg.eigvalsh(opt["target_fl"])[::-1]
        eig = full[:N_EIGENVALUES]
        degenerate = _degenerate(full, c)
        paper = None
        if method == "mim":
            notes.append(
                "paper_decl keeps only the diagonal of the targets (as Eqs. 27-30 "
                "do); for the hollow mim target it is zero: compare mim-paper"
            )
        Xp = so.paper_decl_target(targets, graph["abar"])
        Wp = np.asarray(so.eckart_young(Xp, c))
        rp = so.representability_vector(Wp)
        paper = {
            "rv": rp[:k],
            "sensitivity_N": so.sensitivity_N(rp, n),
            "sensitivity_c": so.sensitivity_c(rp, c),
            "eigenvalues": np.sort(np.diagonal(Xp))[::-1][:N_EIGENVALUES],
        }

    local = [so.representability_vector(W) for W in opt["local"]]
    result = {
        "method": method,
        "d": d,
        "n_clients": n,
        "c": c,
        "p": p,
        "tau": model.tau,
        "mu": model.mu,
        "rare_fraction": model.rare_fraction,
        "rare_axis": args.rare_axis,
        "samples": args.samples,
        "rv_coords": f"first max(c, 2N) = {k} coordinates e_1..e_{k} (index 0 is e_1)",
        "local_rv": [r[:k] for r in local],
        "fl_rv": None,
        "decl_rv": None,
        "decl_stationary_rv": None,
        "sensitivity_N": {"local": [so.sensitivity_N(r, n) for r in local]},
        "sensitivity_c": {"local": [so.sensitivity_c(r, c) for r in local]},
        "rank": {"local": [int(np.sum(np.any(W != 0, axis=1))) for W in opt["local"]]},
        "eigenvalues": eig,
        "fl_degenerate_at_c": degenerate,
        "paper_decl": paper,
        "graph": {
            "name": args.graph,
            "mixing": args.mixing,
            "abar": graph["abar"],
            "decl_weights": graph["pi"],
            "stationary_weights": graph["stationary"],
        },
        "notes": notes,
    }
    for key in ("fl", "decl", "decl_stationary"):
        if key in opt:
            r = so.representability_vector(opt[key])
            result[key + "_rv"] = r[:k]
            result["sensitivity_N"][key] = so.sensitivity_N(r, n)
            result["sensitivity_c"][key] = so.sensitivity_c(r, c)
            result["rank"][key] = int(np.sum(np.any(np.asarray(opt[key]) != 0, axis=1)))
    return result


def format_text(result: dict) -> str:
    def fmt(xs):
        return " ".join(f"{x:.3f}" for x in xs)

    lines = [
        f"method {result['method']}  d={result['d']} N={result['n_clients']} "
        f"c={result['c']} p={result['p']}  ({result['rv_coords']})"
    ]
    for i, r in enumerate(result["local_rv"]):
        lines.append(f"local {i + 1:<3} rv {fmt(r)}")
    for key in ("fl", "decl", "decl_stationary"):
        if result.get(key + "_rv") is not None:
            lines.append(
                f"{key:<9} rv {fmt(result[key + '_rv'])}  "
                f"s_N={result['sensitivity_N'][key]:.4f} "
                f"s_c={result['sensitivity_c'][key]:.4f}"
            )
    if result.get("paper_decl"):
        pd = result["paper_decl"]
        lines.append(
            f"paper-DecL rv {fmt(pd['rv'])}  s_N={pd['sensitivity_N']:.4f} "
            f"s_c={pd['sensitivity_c']:.4f}"
        )
    lines.append("FL target eigenvalues " + fmt(result["eigenvalues"]))
    lines.extend("note: " + n for n in result["notes"])
    return "\n".join(lines)
