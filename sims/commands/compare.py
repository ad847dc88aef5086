"""``dssl compare OLD NEW``: do two output folders of ``dssl reproduce`` hold the same numbers?

Every ``*.json`` file of OLD is read with its namesake in NEW and walked leaf by leaf: numbers
must agree to ``|new − old| ≤ atol + rtol·|old|`` (NaN equals NaN), strings, booleans and
``null`` exactly (verdict words are strings: a changed verdict is always a difference), and both
sides must have the same keys and list lengths. Keys that record when, where, how fast or under
which source a result was made (``IGNORED``: timings, timestamps, versions, config hashes; and
every key ending in ``_seconds``) are skipped. A file in only one folder is a difference, and so
is an entry named ``*.json`` that is not a regular file (a folder, a FIFO, a device). Only the
folders' own ``*.json`` files are compared, not subfolders: the committed ``figures/`` holds
``trackd_decisive/``, the DECISIVE preset's results written by their own command, which a
default run does not make. A file naming a key twice is an error (one line). Exit
status 1 when anything differs (so CI can regress the derived constants against a committed
``figures/``), 0 otherwise.

Numbers made by float32 training (Tracks C and D: the files in ``FLOAT32_FILES`` and every
subtree under a key in ``FLOAT32_KEYS``) are compared at ``--float32-rtol``/``--float32-atol``
instead. XLA compiles its CPU code for the processor it runs on, so the same float32 run on two
processor models differs in the last bits of its sums, and more after ill-conditioned steps
(principal angles, standard errors of nearly equal values). Measured between two AMD EPYC
machines on the same code and seeds (``dssl reproduce`` defaults): at most 2.7e-5 absolute
and 2.8e-4 relative on values above 1e-2, and 5.3e-8 absolute below. On one machine every value
is bit-identical run to run; ``--float32-rtol 1e-9 --float32-atol 1e-12`` checks that.

Track D is the exception: its encoders train for hundreds of float32 steps, and a last-bit
difference in an early step sends a run to another nearby optimum, so across CPUs its
accuracies move by a test image or more (the FAST run between two AMD EPYC models: 91 values,
e.g. a probe accuracy 0.7867 -> 0.7833, MDE 0.0178 -> 0.0170; every word the same). Its numbers
are therefore compared as numbers only between runs on the same machine (``report.json``'s
``machine.tag``, :mod:`sims.reproduce.pipeline.machine`); between machines, or where a folder
does not say, ``--track-d auto`` (the default) compares Track D by its words: every key, list
length and string must agree with the numbers inside strings masked, and its numbers are not
checked (``words``). Track D means the files ``trackd_*.json``, the ``track_d`` and
``track_d_decisive`` subtrees, and the stage rows named ``trackd_*``. ``--track-d numbers``
compares them at the float32 tolerances whatever the machines.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import math
import os
import re
from pathlib import Path

from sims.commands import _common
from theory import _validate as v

NAME = "compare"
HELP = "compare the JSON results of two dssl reproduce output folders (numbers and verdicts)"

#: keys skipped wherever they occur: they change from run to run, not with the results
IGNORED = (
    "seconds",
    "generated",
    "software",
    "config_hash",
    "cache_file",
    "cached",
    "machine",
    "load_average",
    "peak_rss_bytes",
)
#: files whose numbers all come from float32 training (compared at the float32 tolerances)
FLOAT32_FILES = ("fig2a.json", "fig2b.json", "table6.json", "mim_vs_cl.json", "trackd_*.json")
#: keys whose whole subtree comes from float32 training, wherever they occur
FLOAT32_KEYS = frozenset({"track_c", "track_d", "track_d_decisive"})
#: Track D's files, keys and stage names (compared by their words between machines)
TRACK_D_FILES, TRACK_D_KEYS = ("trackd_*.json",), frozenset({"track_d", "track_d_decisive"})
TRACK_D_MODES = ("auto", "numbers", "words")
#: a number inside a string, masked when Track D is compared by its words
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
#: the tolerance "compare the words only"
WORDS = "words"
#: default float32 tolerances: 7x the largest relative cross-machine difference measured (module
#: docstring), and one test image of Track D's probe (1e-3 of accuracy >= 0.5) passes
FLOAT32_RTOL, FLOAT32_ATOL = 2e-3, 1e-6
#: at most this many differences are listed (all are counted)
MAX_LISTED = 200


def add_arguments(parser) -> None:
    parser.add_argument("old", help="folder of the reference run (e.g. a checkout's figures/)")
    parser.add_argument("new", help="folder of the run to check")
    parser.add_argument(
        "--rtol", type=_common.real(lo=0.0), default=1e-9, help="relative tolerance (1e-9)"
    )
    parser.add_argument(
        "--atol", type=_common.real(lo=0.0), default=1e-12, help="absolute tolerance (1e-12)"
    )
    parser.add_argument(
        "--float32-rtol",
        type=_common.real(lo=0.0),
        default=FLOAT32_RTOL,
        help=f"relative tolerance for numbers from float32 training ({FLOAT32_RTOL:g})",
    )
    parser.add_argument(
        "--float32-atol",
        type=_common.real(lo=0.0),
        default=FLOAT32_ATOL,
        help=f"absolute tolerance for numbers from float32 training ({FLOAT32_ATOL:g})",
    )
    parser.add_argument(
        "--track-d",
        default="auto",
        choices=TRACK_D_MODES,
        help="Track D's numbers: compared as numbers (float32 tolerances), by their words only, "
        "or auto: numbers when both runs name the same machine, else words (auto)",
    )
    parser.add_argument(
        "--ignore",
        default="",
        help="more comma-separated keys to skip, besides " + ", ".join(IGNORED),
    )


def _shown(x):
    """A value as listed in a difference: numbers, strings, booleans and null as they are
    (NaN and ±inf as the text ``"NaN"``, ``"Infinity"``, ``"-Infinity"``: JSON has no such
    numbers); lists and objects as (at most 200 characters of) their JSON text."""
    if isinstance(x, float) and not math.isfinite(x):
        return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")
    if isinstance(x, (dict, list)):
        text = json.dumps(x, sort_keys=True)
        return text if len(text) <= 200 else text[:197] + "..."
    return x


def _same_number(a: float, b: float, rtol: float, atol: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(b - a) <= atol + rtol * abs(a)


@dataclasses.dataclass(frozen=True)
class _Tolerances:
    """What a leaf is compared at: ``base`` (rtol, atol) where no float32 key encloses it,
    ``float32`` under one, ``track_d`` under a Track D key or stage row (a pair, or
    :data:`WORDS`)."""

    base: tuple
    float32: tuple
    track_d: tuple | str

    def inside(self, key, value, tol):
        """The tolerance of ``value``, found under ``key`` where the enclosing one is ``tol``."""
        if key in TRACK_D_KEYS or _is_track_d_stage(value):
            return self.track_d
        return self.float32 if key in FLOAT32_KEYS and tol != WORDS else tol


def _is_track_d_stage(value) -> bool:
    """A stage row of a Track D stage (``{"name": "trackd_…", ...}`` in report.json)."""
    name = value.get("name") if isinstance(value, dict) else None
    return isinstance(name, str) and fnmatch.fnmatchcase(name, "trackd_*")


def _walk(old, new, path: str, ignored: frozenset, tol, out: list, tols: _Tolerances) -> int:
    """Number of leaves compared under ``path`` at ``tol`` (a pair, or :data:`WORDS`: numbers
    not checked, strings with their numbers masked); differences appended to ``out``."""
    number = (int, float)
    if isinstance(old, dict) and isinstance(new, dict):
        n = 0
        for key in sorted(set(old) | set(new)):
            if key in ignored or str(key).endswith("_seconds"):
                continue
            sub = f"{path}.{key}" if path else str(key)
            if key not in old or key not in new:
                side = "new" if key not in old else "old"
                out.append({"path": sub, "old": old.get(key), "new": new.get(key),
                            "why": f"only in {side}"})  # fmt: skip
                n += 1
                continue
            inner = tols.inside(key, old[key], tol)
            n += _walk(old[key], new[key], sub, ignored, inner, out, tols)
        return n
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            out.append({"path": path, "old": len(old), "new": len(new), "why": "list length"})
            return 1
        return sum(
            _walk(a, b, f"{path}[{i}]", ignored, tols.inside(None, a, tol), out, tols)
            for i, (a, b) in enumerate(zip(old, new, strict=True))
        )
    both_numbers = (
        isinstance(old, number)
        and isinstance(new, number)
        and not isinstance(old, bool)
        and not isinstance(new, bool)
    )
    if both_numbers:
        if tol != WORDS and not _same_number(float(old), float(new), *tol):
            out.append({"path": path, "old": old, "new": new, "why": "number"})
    elif tol == WORDS and isinstance(old, str) and isinstance(new, str):
        if _NUMBER.sub("#", old) != _NUMBER.sub("#", new):
            out.append({"path": path, "old": old, "new": new, "why": "words"})
    elif old != new or type(old) is not type(new):
        out.append({"path": path, "old": old, "new": new, "why": "value"})
    return 1


def _machine_tag(folder: Path):
    """``report.json``'s ``machine.tag`` in ``folder``; ``None`` where it does not say (no
    report, an older report, not JSON: the comparison itself reports a malformed file)."""
    from sims.reproduce.pipeline import jsonio

    path = folder / "report.json"
    if _not_a_file(path) or not path.is_file():  # a FIFO would block: never opened
        return None
    try:
        rec = jsonio.from_json(path.read_bytes(), constants=True)
    except (OSError, ValueError, RecursionError):
        return None
    machine = rec.get("machine") if isinstance(rec, dict) else None
    tag = machine.get("tag") if isinstance(machine, dict) else None
    return tag if isinstance(tag, str) else None


def track_d_mode(old: Path, new: Path, mode: str = "auto") -> tuple[str, str]:
    """``(mode, why)``: how Track D is compared (``numbers`` or ``words``) and why."""
    if mode != "auto":
        return mode, "as asked"
    has_report = [(f / "report.json").is_file() for f in (old, new)]
    if not any(has_report):
        return "numbers", "neither folder has a report.json naming its machine"
    tags = _machine_tag(old), _machine_tag(new)
    if tags[0] is not None and tags[0] == tags[1]:
        return "numbers", f"both runs were made on machine {tags[0]}"
    shown = " and ".join(t or "an unrecorded machine" for t in tags)
    return "words", f"the runs were made on {shown}: float32 training differs across CPUs"


def _load(path: Path, side: str):
    """One results file, or one error line naming it (a malformed file is the user's to fix):
    JSON read by :func:`sims.reproduce.pipeline.jsonio.from_json` (``NaN`` allowed; nesting at most
    :data:`~sims.reproduce.pipeline.jsonio.MAX_DEPTH` levels deep, so that the walk here cannot
    exhaust Python's stack, and integers within Python's digit limit)."""
    from sims.reproduce.pipeline import jsonio

    try:
        return jsonio.from_json(path.read_bytes(), constants=True)
    except (ValueError, RecursionError) as err:  # JSONDecodeError, UnicodeDecodeError too
        why = " ".join(str(err).split())[:120]
        v.fail(side, f"a folder of valid JSON files ({path.name} is not: {why})", str(path.parent))


def _not_a_file(path: Path) -> bool:
    """An entry that exists (or is a link) but is not a regular file: never opened (a FIFO
    would block, a device never ends)."""
    return (path.exists() or path.is_symlink()) and not path.is_file()


def _compare_file(old: Path, new: Path, name: str, ignored, tols: _Tolerances, found) -> int:
    """Leaves compared in the file ``name`` of both folders, at the tolerance of its kind
    (Track D, float32 training, or the rest); differences appended to ``found``."""
    strange = [s for s, f in (("old", old), ("new", new)) if _not_a_file(f / name)]
    if strange:
        why = f"not a regular file in {strange[0]} (a folder, a FIFO or a device)"
        found.append({"path": "", "old": None, "new": None, "why": why})
        return 0
    if not (old / name).is_file() or not (new / name).is_file():
        side = "new" if not (old / name).is_file() else "old"
        found.append({"path": "", "old": None, "new": None, "why": f"file only in {side}"})
        return 0
    a, b = _load(old / name, "old"), _load(new / name, "new")
    if any(fnmatch.fnmatchcase(name, pat) for pat in TRACK_D_FILES):
        tol = tols.track_d
    elif any(fnmatch.fnmatchcase(name, pat) for pat in FLOAT32_FILES):
        tol = tols.float32
    else:
        tol = tols.base
    return _walk(a, b, "", ignored, tol, found, tols)


def compare_folders(
    old: str | Path,
    new: str | Path,
    *,
    rtol: float = 1e-9,
    atol: float = 1e-12,
    float32_rtol: float = FLOAT32_RTOL,
    float32_atol: float = FLOAT32_ATOL,
    ignore=(),
    track_d: str = "auto",
) -> dict:
    """The comparison of the ``*.json`` files of two output folders (see the module docstring).

    Returns ``{"same", "files": {name: {"compared", "differences"}}, "differences": [{file,
    path, old, new, why}] (at most MAX_LISTED), "n_differences", "ignored", "rtol", "atol",
    "float32_rtol", "float32_atol", "track_d", "track_d_why"}``; ``track_d`` one of
    :data:`TRACK_D_MODES` (see the module docstring).

    Example:
      >>> import tempfile, pathlib
      >>> a, b = (pathlib.Path(tempfile.mkdtemp()) for _ in range(2))
      >>> _ = (a / "x.json").write_text('{"s": 1.0, "verdict": "holds", "seconds": 3}')
      >>> _ = (b / "x.json").write_text('{"s": 1.0, "verdict": "violated", "seconds": 9}')
      >>> r = compare_folders(a, b)
      >>> r["same"], [(d["path"], d["new"]) for d in r["differences"]]
      (False, [('verdict', 'violated')])
    """
    rtol = v.real(rtol, "rtol", lo=0.0)
    atol = v.real(atol, "atol", lo=0.0)
    tol32 = (
        v.real(float32_rtol, "float32_rtol", lo=0.0),
        v.real(float32_atol, "float32_atol", lo=0.0),
    )
    v.choice(track_d, "track_d", TRACK_D_MODES)
    old, new = Path(old), Path(new)
    _check_folders(old, new)
    mode, mode_why = track_d_mode(old, new, track_d)
    tols = _Tolerances((rtol, atol), tol32, WORDS if mode == WORDS else tol32)
    ignored = frozenset((*IGNORED, *ignore))
    names = sorted({p.name for p in old.glob("*.json")} | {p.name for p in new.glob("*.json")})
    if not names:
        v.fail("old", "a folder with JSON results (dssl reproduce --out)", str(old))
    files, diffs = {}, []
    for name in names:
        found = []
        n = _compare_file(old, new, name, ignored, tols, found)
        files[name] = {"compared": n, "differences": len(found)}
        diffs += [
            {"file": name, **d, "old": _shown(d["old"]), "new": _shown(d["new"])} for d in found
        ]
    return {
        "same": not diffs,
        "old": str(old),
        "new": str(new),
        "rtol": rtol,
        "atol": atol,
        "float32_rtol": tol32[0],
        "float32_atol": tol32[1],
        "track_d": mode,
        "track_d_why": mode_why,
        "ignored": sorted(ignored),
        "files": files,
        "n_differences": len(diffs),
        "differences": diffs[:MAX_LISTED],
    }


def _check_folders(old: Path, new: Path) -> None:
    """Both folders exist and hold a finished ``dssl reproduce`` run (or no run record)."""
    from sims.reproduce.pipeline import outfolder

    for name, folder in (("old", old), ("new", new)):
        if not folder.is_dir():
            v.fail(name, "an existing folder", str(folder))
        if outfolder.unfinished(folder):
            v.fail(name, f"a folder whose dssl reproduce run finished ({outfolder.UNFINISHED} "
                   f"is there: the run was interrupted or wrote no {outfolder.RECORD}, so its "
                   f"{outfolder.RECORD} and machine are an earlier run's; rerun dssl reproduce "
                   "--out on it)", str(folder))  # fmt: skip


def check(args) -> None:
    """The folders, before JAX is imported (sims.cli)."""
    _check_folders(Path(args.old), Path(args.new))


def run(args) -> dict:
    extra = [k.strip() for k in args.ignore.split(",") if k.strip()]
    result = compare_folders(
        args.old,
        args.new,
        rtol=args.rtol,
        atol=args.atol,
        float32_rtol=args.float32_rtol,
        float32_atol=args.float32_atol,
        ignore=extra,
        track_d=args.track_d,
    )
    args.exit_code = 0 if result["same"] else 1
    return result


def format_text(result: dict) -> str:
    lines = [_common.fill(f"compare {result['old']} -> {result['new']} (rtol {result['rtol']:g}, "
             f"atol {result['atol']:g}; float32 training: rtol {result['float32_rtol']:g}, "
             f"atol {result['float32_atol']:g}; Track D by its {result['track_d']}: "
             f"{result['track_d_why']})")]  # fmt: skip
    for name, f in result["files"].items():
        state = "same" if not f["differences"] else f"{f['differences']} differ"
        lines.append(f"  {name:<28} {f['compared']:>7} values  {state}")
    for d in result["differences"]:
        where = f"{d['file']}:{d['path']}" if d["path"] else d["file"]
        lines.append(_common.fill(f"{where}: {d['why']}: {d['old']!r} -> {d['new']!r}",
                                  indent="  ", subsequent="      "))  # fmt: skip
    if result["n_differences"] > len(result["differences"]):
        lines.append(f"  ... {result['n_differences'] - len(result['differences'])} more")
    total = sum(f["compared"] for f in result["files"].values())
    verdict = "same" if result["same"] else f"{result['n_differences']} differences"
    lines.append(f"{total} values in {len(result['files'])} files: {verdict}")
    return os.linesep.join(lines)
