"""``dssl reproduce``: run (or resume) the main job, writing results, figures and the report."""

from __future__ import annotations

NAME = "reproduce"
HELP = (
    "Run the main job (theorem plots, mask expectation, topology audit, claims, simulations "
    "when available, report) and write everything to --out."
)


def add_arguments(parser) -> None:
    parser.add_argument(
        "--fast", action="store_true", help="small configuration (CI; under 3 minutes on 2 cores)"
    )
    parser.add_argument("--out", default="figures", help="output folder (default: figures)")
    parser.add_argument(
        "--force", action="store_true", help="recompute every stage, ignoring the cache"
    )
    parser.add_argument(
        "--stages",
        default=None,
        help="comma-separated stages to run (default: all; see --list), e.g. mask,verify",
    )
    parser.add_argument("--list", action="store_true", help="list the stages in run order and exit")
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=1,
        help="BLAS threads of NumPy/SciPy during the run (default 1: avoids oversubscription "
        "on small shared CPUs; 0 keeps the library default). JAX (CPU or GPU) is unaffected",
    )


def run(args) -> dict:
    from sims.reproduce import default_stages, run_stages, select_stages

    if args.list:
        return {
            "stages": [
                {"name": s.name, "order": s.order, "cached": s.cache} for s in default_stages()
            ]
        }
    if args.blas_threads < 0:
        from theory import _validate as v

        v.fail("blas-threads", "an integer >= 0", args.blas_threads)
    stages = None if args.stages is None else select_stages(args.stages)
    return run_stages(
        stages=stages,
        fast=args.fast,
        out=args.out,
        progress=not args.json,
        force=args.force,
        blas_threads=args.blas_threads or None,
    )


def format_text(result: dict) -> str:
    if "out" not in result:
        return "\n".join(s["name"] for s in result["stages"])
    lines = [
        f"reproduce -> {result['out']} (fast={result['fast']}, config {result['config_hash']})"
    ]
    for s in result["stages"]:
        state = "cached" if s["cached"] else f"{s['seconds']:.1f} s"
        lines.append(f"  {s['name']:<20} {state:>10}  {', '.join(s['files'])}")
    lines.append(f"total {result['seconds']:.1f} s")
    return "\n".join(lines)
