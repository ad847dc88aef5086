"""``dssl reproduce``: run (or resume) the main job, writing results, figures and the report;
it ends with the answer table (:func:`sims.reproduce.report.answer_from_folder` of ``--out``: the
table README and the report open with) and the path of ``report.html``."""

from __future__ import annotations

import os
import sys
import threading
from typing import NamedTuple

from sims.commands import _common, _names

NAME = "reproduce"
HELP = (
    "Run the main job (theorem plots, mask expectation, topology audit, claims, simulations "
    "when available, report) and write everything to --out."
)


def add_arguments(parser) -> None:
    parser.add_argument(
        "--fast", action="store_true", help="small configuration (CI; run times: README, Run times)"
    )
    parser.add_argument("--out", default=None, help="output folder (default: figures)")
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
        "--jobs",
        type=_common.integer(),
        default=None,
        help="stages run side by side in this many worker processes once their inputs are "
        "ready; results do not depend on it. Default: 2 on a CPU with 2 or more cores, else 1",
    )
    parser.add_argument(
        "--blas-threads",
        type=_common.integer(),
        default=1,
        help="BLAS threads of NumPy/SciPy during the run (default 1: avoids oversubscription "
        "on small shared CPUs; 0 keeps the library default). JAX (CPU or GPU) is unaffected",
    )
    _common.add_compile_cache_argument(parser)


def _check_list(args) -> None:
    """With --list nothing runs: the options of a run are refused."""
    from sims.commands._common import not_applicable

    for flag, dest in (("--jobs", "jobs"), ("--stages", "stages")):
        if getattr(args, dest) is not None:
            not_applicable(flag, "with --list (nothing runs)", getattr(args, dest))
    for flag, dest in (("--force", "force"), ("--fast", "fast")):
        if getattr(args, dest):
            not_applicable(flag, "with --list (nothing runs)", True)
    if args.out is not None:
        not_applicable("--out", "with --list (nothing is written)", args.out)


def _check_numbers(args) -> None:
    """--blas-threads >= 0 and --jobs in its range (capped at the stages later)."""
    from sims.reproduce.pipeline.runner import v_jobs

    if args.blas_threads < 0:
        from theory import _validate as v

        v.fail("blas-threads", "an integer >= 0", args.blas_threads)
    if args.jobs is not None:
        v_jobs(args.jobs, 1)


class _StageName(NamedTuple):
    """What :func:`sims.reproduce.pipeline.select_stages` reads of a stage."""

    name: str
    needs: tuple = ()


def check(args) -> None:
    """The checks that need no JAX, before it is imported (sims.cli): --list's refusals, the
    numbers and --stages (against the stage names of _names)."""
    if args.list:
        _check_list(args)
        return
    _check_numbers(args)
    if args.stages is not None:
        from sims.reproduce.pipeline.runner import select_stages

        loaded = sys.modules.get("sims.reproduce.stages")  # the catalogue itself, if loaded
        stages = loaded.STAGES if loaded is not None else [
            _StageName(n, _names.STAGE_NEEDS.get(n, ())) for n in _names.STAGE_NAMES
        ]  # fmt: skip
        select_stages(args.stages, stages)


def run(args) -> dict:
    from sims.reproduce.pipeline import compile_cache, run_stages, select_stages
    from sims.reproduce.pipeline.runner import default_jobs, v_jobs
    from sims.reproduce.stages import SECONDS, STAGES, catalogue

    if args.list:
        _check_list(args)
        return {
            "stages": [{"name": s.name, "cached": s.cache, "files": list(s.files)} for s in STAGES]
        }
    _check_numbers(args)
    if args.out is None:
        from sims.commands._common import check_out_dir

        args.out = check_out_dir("figures", "out")
    jobs = default_jobs() if args.jobs is None else v_jobs(args.jobs, len(STAGES))
    stages = STAGES if args.stages is None else select_stages(args.stages, STAGES)
    cache_dir = compile_cache.resolve(args.compile_cache)
    finished: list[str] = []

    def job() -> dict:
        with compile_cache.persistent_cache(cache_dir) as used:
            result = run_stages(
                stages,
                fast=args.fast,
                out=args.out,
                progress=not args.json,
                force=args.force,
                blas_threads=args.blas_threads or None,
                on_stage=lambda row: finished.append(row["name"]),
                jobs=jobs,
                catalogue=catalogue,
                seconds=SECONDS,
            )
        return result | {"compile_cache": None if used is None else str(used)}

    result = _interruptible(job, finished, args.out, fresh_line=not args.json)
    return result | _answer(args.out)


def _answer(out) -> dict:
    """``answer``: the answer table of the output folder (``status`` not-run where it has no
    verdict map); ``report_html``: the report's path (None where it was not written)."""
    from pathlib import Path

    from sims.reproduce.report import answer_from_folder

    html = Path(out) / "report.html"
    try:
        answer = answer_from_folder(out)
    except (OSError, ValueError) as err:
        answer = {"status": "not-run", "reason": str(err).splitlines()[0]}
    return {"answer": answer, "report_html": str(html) if html.is_file() else None}


def _interruptible(job, finished: list, out, *, fresh_line: bool = False) -> dict:
    """Run ``job`` in a worker thread so that Ctrl-C is seen at once, even while a stage is
    inside a long NumPy/XLA call: then print one line and exit 130. Every finished stage is
    already written and cached (files and cache entries are replaced atomically, so a write
    cut short leaves only a hidden temporary file); a rerun resumes from them. ``fresh_line``:
    start the message on a new line (after the progress lines)."""
    box: dict = {}

    def work() -> None:
        try:
            box["value"] = job()
        except BaseException as err:  # noqa: BLE001 - handed to the main thread below
            box["error"] = err

    worker = threading.Thread(target=work, name="dssl-reproduce", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.1)
    except KeyboardInterrupt:
        line = f"interrupted: {len(finished)} stages finished and kept under {out}; "
        sys.stderr.write(("\n" if fresh_line else "") + line + "rerun to resume\n")
        sys.stderr.flush()
        os._exit(130)  # the worker cannot be stopped mid-call; nothing unfinished is kept
    if "error" in box:
        raise box["error"]
    return box["value"]


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
    if result.get("compile_cache"):
        lines.append(f"compiled programs kept in {result['compile_cache']}")
    answer = result.get("answer") or {}
    lines.append("")
    if answer.get("rows"):
        from sims.reproduce.report import render_block

        block = render_block(answer, "text", width=_common.terminal_width())
        lines += [f"The answer ({answer.get('source_map')}):", "", block]
    else:
        lines.append(f"The answer table: not run ({answer.get('reason', 'no verdict map')}).")
    html = result.get("report_html")
    lines.append(f"Full report: {html}" if html else "Full report: not written in this run.")
    if result.get("compare"):
        lines.append(result["compare"])
    return "\n".join(lines)
