"""``dssl verify``: the claims table — each claim of arXiv 2607.02447 with a verdict per track.

Track A evaluates the paper's formulas, Track B the exact linear model; Track C (simulation,
:mod:`sims.evidence`) is ``not-run`` unless ``--simulate fast|full`` is given. Verdict words:
holds, violated, vacuous, mismatch, not-run (see :mod:`theory.claims`).
"""

from __future__ import annotations

from sims.commands import _common
from theory import claims as cl

NAME = "verify"
HELP = "verdict on every claim of the paper from Track A (formulas) and Track B (exact model)"


def add_arguments(parser) -> None:
    _common.add_model_arguments(parser)
    _common.add_graph_arguments(parser, graph="star")
    parser.add_argument(
        "--claims", default=",".join(cl.CLAIM_IDS), help="comma-separated claim ids (default all)"
    )
    parser.add_argument("--transform", default="identity", help="H of CL-dissimilar")
    parser.add_argument("--transform-seed", type=int, default=0)
    parser.add_argument(
        "--d-sweep", default="100,200,400", help="dimensions for the Thm 4.4 look at d -> oo"
    )
    parser.add_argument("--c-num", type=float, default=1.0, help="numerator O(.) constant")
    parser.add_argument("--c-den", type=float, default=1.0, help="denominator O(.) constant")
    parser.add_argument("--c-f", type=float, default=1.0, help="Θ(d^7/20) constant (theta mode)")
    parser.add_argument("--c-n", type=float, default=1.0, help="N = C_N d^(1/20) constant")
    parser.add_argument("--sign", default="+", choices=("+", "-"), help="± O in Eqs. 63-64")
    parser.add_argument("--fl-term", default="eq37", choices=("eq37", "theta"))
    parser.add_argument(
        "--simulate",
        choices=("off", "fast", "full"),
        default="off",
        help="Track C: train the linear models (sims.evidence); 'fast' takes ~1 min on 2 cores",
    )
    parser.add_argument("--sim-seed", type=int, default=0, help="seed of the Track C runs")


def _ints(text: str, field: str) -> tuple:
    try:
        return tuple(int(t) for t in text.split(","))
    except ValueError:
        from theory import _validate as v

        v.fail(field, "comma-separated integers", text)


def config_from_args(args) -> cl.VerifyConfig:
    return cl.VerifyConfig(
        d=args.d,
        n_clients=args.n_clients,
        p=args.p,
        c=args.c,
        rare_fraction=args.rare_fraction,
        rare_axis=_common.rare_axis(args.rare_axis),
        tau=args.tau,
        mu=args.mu,
        graph=args.graph,
        degree=args.degree,
        avg_degree=args.avg_degree,
        prob=args.prob,
        rows=args.rows,
        cols=args.cols,
        graph_seed=args.seed,
        transform=args.transform,
        transform_seed=args.transform_seed,
        d_sweep=_ints(args.d_sweep, "d-sweep"),
        c_num=args.c_num,
        c_den=args.c_den,
        c_f=args.c_f,
        c_n=args.c_n,
        sign=args.sign,
        fl_term=args.fl_term,
    )


def run(args) -> dict:
    cfg = config_from_args(args)
    ids = tuple(t.strip() for t in args.claims.split(",") if t.strip())
    track_c = None
    if args.simulate != "off":
        from sims.evidence import track_c_evidence

        track_c = track_c_evidence(cfg, fast=args.simulate == "fast", seed=args.sim_seed)
    rows = cl.evaluate(cfg, claims=ids, track_c=track_c)
    return {"config": cl.config_dict(cfg), "claims": rows}


def format_text(result: dict) -> str:
    return cl.format_table(result["claims"])
