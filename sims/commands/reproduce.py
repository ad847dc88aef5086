"""``dssl reproduce``: run (or resume) the main job, writing results and figures."""

from __future__ import annotations

NAME = "reproduce"
HELP = "Run the main job (topology audit, ...) and write results and figures to --out."


def add_arguments(parser) -> None:
    parser.add_argument("--fast", action="store_true", help="small configuration (< 1 minute)")
    parser.add_argument("--out", default="figures", help="output folder (default: figures)")
    parser.add_argument(
        "--force", action="store_true", help="recompute every stage, ignoring the cache"
    )


def run(args) -> dict:
    from sims.reproduce import run_stages

    return run_stages(fast=args.fast, out=args.out, progress=not args.json, force=args.force)


def format_text(result: dict) -> str:
    lines = [
        f"reproduce -> {result['out']} (fast={result['fast']}, config {result['config_hash']})"
    ]
    for s in result["stages"]:
        state = "cached" if s["cached"] else f"{s['seconds']:.1f} s"
        lines.append(f"  {s['name']:<20} {state:>10}  {', '.join(s['files'])}")
    lines.append(f"total {result['seconds']:.1f} s")
    return "\n".join(lines)
