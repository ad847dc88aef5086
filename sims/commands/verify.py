"""``dssl verify``: the claims table — each claim of arXiv 2607.02447 with a verdict per track.

Track A evaluates the paper's formulas (informative / vacuous / invalid), Track B the exact
linear model (holds / violated / degenerate / not-unique, under every reading); Track C
(simulation, :mod:`sims.evidence`) is ``not-run`` unless ``--simulate fast|full`` is given.
Rules: docs/verdict_rules.md.

``--map`` writes the verdict map instead (:mod:`sims.verdict_map`: every claim × reading ×
configuration; under ``--out`` the compact ``verdict_map.json``, every cell's words in
``verdict_cells.json``, ``verdict_map.png`` and ``verdict_finding.md``, each drawn from the
compact map); ``--atlas`` adds
the graph atlas study (:mod:`theory.atlas`, ``atlas.json`` and ``verdict_worst_pair.png``).
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
        "--d-sweep",
        default="400,1000000,1000000000000",
        help="dimensions at which Thm 4.4 is also reported (a limit d -> oo; any d is cheap)",
    )
    parser.add_argument(
        "--c-num", type=_common.real(0.0, lo_open=True), default=1.0, help="numerator O(.) constant"
    )
    parser.add_argument(
        "--c-den",
        type=_common.real(0.0, lo_open=True),
        default=1.0,
        help="denominator O(.) constant",
    )
    parser.add_argument(
        "--c-f",
        type=_common.real(0.0, lo_open=True),
        default=1.0,
        help="Θ(d^7/20) constant (theta mode)",
    )
    parser.add_argument(
        "--c-n", type=_common.real(0.0, lo_open=True), default=1.0, help="N = C_N d^(1/20) constant"
    )
    parser.add_argument("--sign", default="+", choices=("+", "-"), help="± O in Eqs. 63-64")
    parser.add_argument("--fl-term", default="eq37", choices=("eq37", "theta"))
    parser.add_argument(
        "--simulate",
        choices=("off", "fast", "full"),
        default="off",
        help="Track C: train the linear models (sims.evidence); 'fast' takes ~1 min on 2 cores",
    )
    parser.add_argument("--sim-seed", type=int, default=0, help="seed of the Track C runs")
    parser.add_argument(
        "--map",
        action="store_true",
        help="write the verdict map (every claim x reading x configuration) to --out",
    )
    parser.add_argument(
        "--map-preset",
        choices=("default", "fast"),
        default="default",
        help="configurations of the map: default (p in 4 values, N = 2..20, 2 rare axes) or fast",
    )
    parser.add_argument("--atlas", action="store_true", help="with --map: also the graph atlas")
    parser.add_argument("--out", default=".", help="folder of the --map files (default .)")
    parser.add_argument("--workers", type=int, default=2, help="processes for --map (default 2)")


def _ints(text: str, field: str) -> tuple:
    try:
        return tuple(int(t) for t in text.split(","))
    except ValueError:
        from theory import _validate as v

        v.fail(field, "comma-separated integers", text)


def config_from_args(args) -> cl.VerifyConfig:
    _common.check_graph_flags(args, args.graph)
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


def _run_map(args) -> dict:
    from pathlib import Path

    from sims import verdict_map as vm
    from sims.figures import verdicts as fv
    from sims.pipeline.jsonio import savefig, write_json, write_text

    cfg = vm.FAST if args.map_preset == "fast" else vm.DEFAULT
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        from theory import _validate as v

        v.fail("out", "a folder", str(out))
    out.mkdir(parents=True, exist_ok=True)
    full = vm.compute_map(cfg, workers=args.workers)
    result = vm.compact_map(full)
    files = [
        write_json(out / "verdict_map.json", result),
        write_json(out / "verdict_cells.json", vm.encode_cells(full)),
        savefig(fv.make_verdict_map_figure(result), out / "verdict_map.png"),
        write_text(out / "verdict_finding.md", vm.finding_paragraph(result) + "\n"),
    ]
    if args.atlas:
        from theory.atlas import AtlasConfig, atlas_study

        acfg = AtlasConfig(max_n=5, families=False) if args.map_preset == "fast" else AtlasConfig()
        atlas = atlas_study(acfg)
        files.append(write_json(out / "atlas.json", atlas))
        fig = fv.make_worst_pair_figure(atlas, n=str(acfg.max_n))
        files.append(savefig(fig, out / "verdict_worst_pair.png"))
    rows = {
        cid: {"headline": r["headline"], "counts": r["counts"]} for cid, r in result["rows"].items()
    }
    return {
        "map": True,
        "files": [str(f) for f in files],
        "rows": rows,
        "finding": result["finding"],
        "cells": result["n_cells"],
        "seconds": result["seconds"],
    }


def run(args) -> dict:
    if args.map:
        return _run_map(args)
    cfg = config_from_args(args)
    ids = tuple(t.strip() for t in args.claims.split(","))
    if not ids or any(not t for t in ids):
        from theory import _validate as v

        v.fail("claims", "comma-separated claim ids: " + ", ".join(cl.CLAIM_IDS), args.claims)
    track_c = None
    if args.simulate != "off":
        from sims.evidence import track_c_evidence

        track_c = track_c_evidence(cfg, fast=args.simulate == "fast", seed=args.sim_seed)
    rows = cl.evaluate(cfg, claims=ids, track_c=track_c)
    return {"config": cl.config_dict(cfg), "claims": rows}


def format_text(result: dict) -> str:
    if result.get("map"):
        lines = [f"{cid:<13}{r['headline']}" for cid, r in result["rows"].items()]
        lines.append(f"({result['cells']} cells in {result['seconds']:.1f} s) -> ")
        lines[-1] += ", ".join(result["files"])
        return "\n".join(lines)
    return cl.format_table(result["claims"])
