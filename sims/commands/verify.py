"""``dssl verify``: the claims table — each claim of arXiv 2607.02447 with a verdict per track.

Track A evaluates the paper's formulas (informative / vacuous / invalid), Track B the exact
linear model (the words of ``theory.verdicts.TRACK_BC``, under every reading); Track C
(simulation, :mod:`sims.trackc.evidence`) is ``not-run`` unless ``--simulate fast|full`` is given.
Rules: docs/verdict_rules.md.

Track D (nonlinear encoders, :mod:`sims.trackd`) is read from a reproduce output folder
(``--trackd-results DIR``; by default ``figures/`` when ``figures/trackd_verdicts.json``
exists, else the committed ``figures/`` of the checkout the package runs from): for the claims
with an empirical reading (Thm 4.4: MIM drop ≤ CL drop; Cor 4.5: accuracy rises with |Ā|; Thm
4.6: FL ≥ DecL; and MAR ≥ MIM of §5, which has no row of its own) the Track D verdict by rule
D3 with its numbers, seeds, preset and scale, and its minimum detectable effect beside the
paper's effect size, is shown beside the paper's reported direction; ``not-run`` with the
command that produces the file otherwise. The DECISIVE preset's verdicts
(``DIR/trackd_decisive/trackd_verdicts.json``, else the copy the reproduce stage embedded) are
shown beside them, or ``decisive: not run`` with the command.

The claims table is :func:`sims.api.verify` (this command parses, calls it, adds Track D and
the answer table read from result folders, and prints). ``--mixing-file W.npy|W.csv`` replaces
``--graph``: W is the DecL mixing matrix of the claims that take one (Thm 4.2/4.4 DecL
weights, Thm 4.6): the graph is its support (A_i = {j : W_ij > 0} ∪ {i}) and the exact DecL
objective weighs client j by W's Eq. (1) column sum (the claims are stated for the paper's rule
w_ij = 1/|A_i|; whether W is that rule is reported). The graph sweeps of Cor 4.5 are
unchanged; each row says whether W enters it (``mixing_file``, :func:`sims.api.mixing_scope`).

The answer table (:mod:`sims.reproduce.report.answer`: one row per claim, its verdict under the
paper's own reading first, and the finding) is printed first, from the verdict map of a
reproduce output folder (``--map-results DIR``; by default ``figures/`` when
``figures/verdict_map.json`` exists, else the checkout's): the same table README and the report
open with. With ``--json`` it is the ``answer`` key (``status`` not-run with the command that
writes the map when there is none). The claims table at the configuration given follows it. The
verdict map itself (:mod:`sims.verdict_map`: every claim × reading × configuration) and the
graph atlas are computed by the ``verdict_map`` stage of ``dssl reproduce``
(:data:`MAP_COMMAND`); this command reads them, it does not compute them.
"""

from __future__ import annotations

import functools
import os

from sims.commands import _common, _lazy, _names
from theory import _validate as v

api = _lazy.module("sims.api")
td_paper = _lazy.module("sims.trackd.paper_numbers")
td_rows = _lazy.module("sims.trackd.verdict_rows")
_td_verdicts = _lazy.module("sims.trackd.verdicts")
cl = _lazy.module("theory.claims")

NAME = "verify"
HELP = "verdict on every claim of the paper: Track A (formulas), Track B (exact model)"

#: the Track D results file (stage ``trackd_verdicts`` of ``dssl reproduce``, or ``dssl trackd
#: --save DIR``) and the folder read when ``--trackd-results`` is not given
TRACKD_FILE = _names.TRACKD_VERDICTS_FILE
TRACKD_DEFAULT_DIR = "figures"
TRACKD_COMMAND = (
    "dssl reproduce --out DIR --stages trackd_table1,trackd_fig2a,trackd_fig2b,trackd_verdicts"
)
#: the d of Thm 4.4's limit reported beside the configuration's (--d-sweep)
D_SWEEP_DEFAULT = "400,1000000,1000000000000"
#: the committed results of the checkout this package runs from (an editable install of a
#: clone), read when the working folder has no ``figures/`` of its own
CHECKOUT_FIGURES = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "figures"
)


def _default_dir(name: str, file: str) -> str | None:
    """The folder ``file`` is read from when no option names one: ``name`` (``figures``) in
    the working folder where it holds the verdict map or the Track D verdicts, else the
    checkout's committed ``figures/`` (:data:`CHECKOUT_FIGURES`); None where that folder has
    no ``file``. One folder for both files, so that the answer table and the claims table never
    read their results from two places."""
    here = any(os.path.isfile(os.path.join(name, f)) for f in ("verdict_map.json", TRACKD_FILE))
    folder = name if here else CHECKOUT_FIGURES
    return folder if os.path.isfile(os.path.join(folder, file)) else None


#: the DECISIVE results' folder inside the Track D folder (figures/trackd_decisive)
TRACKD_DECISIVE_SUBDIR = os.path.basename(_names.TRACKD_DECISIVE_DIR)
#: claims-table id -> Track D claim (sims.trackd.verdicts.CLAIMS); mar_vs_mim (§5) has no row
TRACKD_OF_CLAIM = {claim: name for name, claim in _names.TRACKD_CLAIM_OF.items()}
_TRACKD_NUMBER_KEYS = ("mean", "se", "n_seeds")
#: the answer table's folder when --map-results is not given, its files and the command that
#: writes them
ANSWER_DEFAULT_DIR = "figures"
ANSWER_FILES = "verdict_map.json and verdict_cells.json"
#: the command that computes the verdict map alone (``--fast``: the small configuration)
MAP_COMMAND = "dssl reproduce --stages verdict_map --out DIR"
ANSWER_COMMAND = f"dssl reproduce (or {MAP_COMMAND})"
#: the fields of a Track D row copied into the verify entry where the row has them
_TRACKD_ROW_FIELDS = ("mde", "preset", "rule", "d3_verdict", "old_verdict", "d1_verdict",
                      "tost_p", "excluded_beyond", "reason")  # fmt: skip
#: the PAPER-SCALE results' folder inside the Track D folder (figures/trackd_paper_scale)
TRACKD_PAPER_SCALE_SUBDIR = os.path.basename(_names.TRACKD_PAPER_SCALE_DIR)


def add_arguments(parser) -> None:
    _common.add_model_arguments(parser)
    _common.add_graph_arguments(parser, graph="star")
    _common.add_mixing_file_argument(parser)
    parser.add_argument(
        "--trackd-results",
        default=None,
        metavar="DIR",
        help=f"folder with {TRACKD_FILE} (Track D; default figures/, here or the checkout's)",
    )
    parser.add_argument(
        "--map-results",
        default=None,
        metavar="DIR",
        help="folder with the verdict map (the answer; default figures/, here or the checkout's)",
    )
    parser.add_argument(
        "--claims",
        default=",".join(_names.CLAIM_IDS),
        help="comma-separated claim ids (default all)",
    )
    parser.add_argument(
        "--transform",
        default="identity",
        help="H of CL-dissimilar: identity, permutation, sign-flip or rotation",
    )
    parser.add_argument("--transform-seed", type=_common.integer(), default=0)
    parser.add_argument(
        "--d-sweep",
        default=D_SWEEP_DEFAULT,
        help="also report Thm 4.4 at these d (its limit d -> oo); left at its default, scaled"
        " up to start at 2N or above",
    )
    _add_constant_arguments(parser)
    parser.add_argument(
        "--simulate",
        choices=("off", "fast", "full"),
        default="off",
        help="Track C: train the linear models",
    )
    parser.add_argument(
        "--sim-seed",
        type=_common.integer(lo=0, hi=2**32 - 1),
        default=None,
        help="seed of the Track C runs (default 0)",
    )
    parser.add_argument(
        "--explain", default=None, metavar="CLAIM", help="print one claim's full statement"
    )
    _common.add_moved(
        parser, "--map", f"the verdict map is computed by {MAP_COMMAND} (--fast: the small one); "
        "dssl verify --map-results DIR reads it",
    )  # fmt: skip


def _add_constant_arguments(parser) -> None:
    """The hidden constants of the bounds and the variants of their terms."""
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


def _ints(text: str, field: str) -> tuple:
    try:
        return tuple(int(t) for t in text.split(","))
    except ValueError:
        from theory import _validate as v

        v.fail(field, "comma-separated integers", text)


def _d_sweep(args) -> tuple:
    """--d-sweep's dimensions; left at its default, scaled up to start at 2N or above
    (``theory.datamodel.raised_sweep``: the data model's least d)."""
    sweep = _ints(args.d_sweep, "d-sweep")
    if args.d_sweep != D_SWEEP_DEFAULT:
        return sweep
    from theory.datamodel import raised_sweep

    return raised_sweep(sweep, args.n_clients)


def verify_options(args) -> dict:
    """The keyword arguments of :func:`sims.api.verify` from the parsed options: the
    configuration, the claims and, with ``--mixing-file``, the file's validated W (the graph
    options are then refused: its support is the graph)."""
    W = _common.mixing_from_args(args, args.n_clients)
    if W is not None:
        if args.graph != "star":
            _common.not_applicable("--graph", "with --mixing-file (its support is the graph)",
                                   args.graph)  # fmt: skip
        _common.check_graph_flags(args, None)
        graph = {}
    else:  # graph_kwargs checks the graph flags; its seed is graph_seed below
        graph = {"graph": args.graph, **_common.graph_kwargs(args)}
        del graph["seed"]
    ids = tuple(t.strip() for t in args.claims.split(","))
    if not ids or any(not t for t in ids):
        v.fail("claims", "comma-separated claim ids: " + ", ".join(cl.CLAIM_IDS), args.claims)
    return dict(
        d=args.d,
        n_clients=args.n_clients,
        mixing=W,
        claims=ids,
        p=args.p,
        c=args.c,
        rare_fraction=args.rare_fraction,
        rare_axis=_common.rare_axis(args.rare_axis),
        tau=args.tau,
        mu=args.mu,
        **graph,
        graph_seed=args.seed,
        transform=args.transform,
        transform_seed=args.transform_seed,
        d_sweep=_d_sweep(args),
        c_num=args.c_num,
        c_den=args.c_den,
        c_f=args.c_f,
        c_n=args.c_n,
        sign=args.sign,
        fl_term=args.fl_term,
    )


# ---------------------------------------------------------------------------------------------
# Track D


def _results_dir(given: str | None, field: str, default: str, file: str, holds: str) -> str | None:
    """The folder to read ``file`` from: ``given`` (the option ``field``; it must be a folder
    holding ``file``, else an error that it must contain ``holds``), else ``default`` if the
    file is there (:func:`_default_dir`), else None (not run)."""
    if given is None:
        return _default_dir(default, file)
    if not os.path.isdir(given):
        v.fail(field, "an existing folder", given)
    if not os.path.isfile(os.path.join(given, file)):
        v.fail(field, f"a folder containing {holds}", given)
    return given


def _trackd_dir(args) -> str | None:
    """The folder to read Track D from, for the answer table and the claims table alike:
    ``--trackd-results`` (must hold the file), else ``--map-results`` (None where it holds
    none: that run's Track D did not run), else ``figures/`` if the file is there, else None
    (not run)."""
    given = getattr(args, "trackd_results", None)
    mapped = getattr(args, "map_results", None)
    if given is None and mapped is not None:  # the map's own run, or none (not another's)
        if not os.path.isfile(os.path.join(mapped, TRACKD_FILE)):
            return None
        return _results_dir(mapped, "map-results", TRACKD_DEFAULT_DIR, TRACKD_FILE, TRACKD_FILE)
    return _results_dir(given, "trackd-results", TRACKD_DEFAULT_DIR, TRACKD_FILE, TRACKD_FILE)


def load_trackd(folder: str) -> dict:
    """Read and check ``folder/trackd_verdicts.json`` (the ``trackd_verdicts`` stage's result:
    ``rows`` of claim / track_d / mean / se / n_seeds / mde / preset / paper / paper_scale,
    ``scale`` per experiment; :func:`sims.trackd.verdict_rows.check_verdicts_doc`), and the
    DECISIVE rows beside it: ``folder/trackd_decisive/trackd_verdicts.json`` if there, else the
    copy the stage embedded, else none. One-line error naming ``trackd-results`` when a file
    does not parse or is malformed.

    Returns:
      ``{"path", "rows": {claim: row}, "scale": {experiment: meta}, "margin", "decisive"}``,
      ``decisive`` as ``{"path", "rows", "scale", "margin"}`` or None (not run), or ``"self"``
      when the folder's own rows are the DECISIVE preset's.
    """
    doc = td_rows.read_verdicts_file(os.path.join(folder, TRACKD_FILE))
    ran = [r for r in doc["rows"].values() if r["track_d"] != "not-run"]
    for key, subdir, preset, own in (
        ("decisive", TRACKD_DECISIVE_SUBDIR, "decisive", "self"),
        ("paper_scale_run", TRACKD_PAPER_SCALE_SUBDIR, "paper-scale", None),
    ):
        sub = os.path.join(folder, subdir, TRACKD_FILE)
        if ran and all(r.get("preset") == preset for r in ran):
            doc[key] = own
        elif os.path.isfile(sub):
            got = td_rows.read_verdicts_file(sub, field=f"trackd-results ({subdir}/{TRACKD_FILE})")
            doc[key] = {k: got[k] for k in ("path", "rows", "scale", "margin")}
    return doc


def _scale_text(meta: dict | None) -> str:
    if not meta:
        return "scale not recorded"
    keys = ("dataset", "n_clients", "arch", "seeds", "rounds", "local_steps")
    return ", ".join(f"{k} {meta[k]}" for k in keys if k in meta)


def _row_entry(doc: dict, claim: str, command: str) -> dict:
    """One Track D row of ``doc`` as a verify entry: verdict, numbers, MDE, preset, the old
    rules' words, reason, scale; ``not-run`` with ``command`` where the claim did not run."""
    row = doc["rows"].get(claim)
    if row is None or row["track_d"] == "not-run":
        return {"verdict": "not-run", "command": command}
    meta = doc["scale"].get(td_rows.EXPERIMENT_OF[claim])
    return {
        "verdict": row["track_d"],
        **{k: row[k] for k in _TRACKD_NUMBER_KEYS},
        **{k: row.get(k) for k in _TRACKD_ROW_FIELDS},
        "scale": meta,
        "scale_text": _scale_text(meta),
        "scale_tag": td_rows.scale_tag(meta),
        "source": doc["path"],
    }


def trackd_entry(trackd: dict | None, claim: str) -> dict:
    """The ``track_d`` entry of one Track D claim: verdict (rule D4, D3's beside it), numbers,
    minimum detectable effect, seeds, preset, scale (and its tag), the paper's direction and
    effect size, the DECISIVE preset's entry (``decisive``; ``not-run`` with its command where
    it did not run) and the PAPER-SCALE preset's where it ran (``paper_scale_run``)."""
    direction, paper_scale = td_paper.PAPER_DIRECTION[claim]
    eff = td_paper.PAPER_EFFECTS[claim]
    base = {
        "claim": claim,
        "paper": direction,
        "paper_scale": paper_scale,
        "paper_effect": eff["effect"],
        "paper_effect_source": eff["source"],
        "unit": eff["unit"],
    }
    if trackd is None:
        return {**base, "verdict": "not-run", "command": TRACKD_COMMAND}
    entry = {**base, **_row_entry(trackd, claim, TRACKD_COMMAND)}
    decisive = trackd.get("decisive")
    if decisive is None:
        entry["decisive"] = {"verdict": "not-run", "command": _names.TRACKD_DECISIVE_COMMAND}
    elif decisive != "self":
        entry["decisive"] = _row_entry(decisive, claim, _names.TRACKD_DECISIVE_COMMAND)
    paper = trackd.get("paper_scale_run")
    if paper is not None:
        got = _row_entry(paper, claim, _td_verdicts.PAPER_SCALE_COMMAND)
        if got["verdict"] != "not-run":
            entry["paper_scale_run"] = got
    return entry


def _map_results_dir(args) -> str | None:
    """The folder to read the answer table from: ``--map-results`` (must hold the map), else
    ``figures/`` if the map is there, else None (not run)."""
    given = getattr(args, "map_results", None)
    return _results_dir(given, "map-results", ANSWER_DEFAULT_DIR, "verdict_map.json", ANSWER_FILES)


def _answer(args) -> dict:
    """The answer table (:func:`sims.reproduce.report.answer_from_folder`) of ``--map-results``
    (must hold the map and its cells), else of ``figures/`` when the map is there, else ``status``
    not-run (with the reason when figures/ holds a map the table cannot be read from); its
    Track D from the folder the claims table reads (:func:`_trackd_dir`)."""
    from sims.reproduce.report import answer_from_folder

    given = getattr(args, "map_results", None)
    folder = _map_results_dir(args)
    if folder is None:
        return {"status": "not-run", "command": ANSWER_COMMAND}
    try:
        return answer_from_folder(folder, trackd_folder=_trackd_dir(args) or folder)
    except (OSError, ValueError) as err:
        if given is not None:
            v.fail("map-results", f"a folder containing {ANSWER_FILES}", f"{folder} ({err})")
        return {"status": "not-run", "reason": str(err), "command": ANSWER_COMMAND}


def check(args) -> None:
    """The checks that need no JAX, before it is imported (sims.cli): the claim ids of
    ``--claims`` and ``--explain``, the graph options that do not apply,
    ``--sim-seed`` without ``--simulate`` and ``--rare-axis``."""
    ids = tuple(t.strip() for t in args.claims.split(","))
    if not ids or any(t not in _names.CLAIM_IDS for t in ids):
        v.fail("claims", "comma-separated claim ids: " + ", ".join(_names.CLAIM_IDS), args.claims)
    if args.explain is not None:
        if args.explain not in _names.CLAIM_IDS:
            v.fail("explain", "a claim id: " + ", ".join(_names.CLAIM_IDS), args.explain)
        return
    if args.mixing_file is None:
        _common.check_graph_flags(args, args.graph)
    else:
        _common.check_mixing_path(args.mixing_file)
    if args.simulate == "off" and args.sim_seed is not None:
        _common.not_applicable("--sim-seed", "without --simulate (no Track C runs)", args.sim_seed)
    _common.rare_axis(args.rare_axis)
    _check_configuration(args)
    _trackd_dir(args)
    _map_results_dir(args)


def _check_configuration(args) -> None:
    """The checks of ``theory.claims_model.VerifyConfig`` that need no JAX, in its order:
    --transform, --transform-seed, --d-sweep (each >= 2N), the data model (--d >= 2N, --c,
    --rare-axis) and whether the graph is defined on N clients with its parameters."""
    v.choice(args.transform, "transform", _names.OBJECTIVE_TRANSFORMS)
    v.integer(args.transform_seed, "transform_seed", lo=0)
    n = args.n_clients
    sweep = _d_sweep(args)
    _common.n_within_d(n, {"--d": (args.d, _common.MODEL_D_DEFAULT)})
    for x in sweep:
        v.integer(x, "d_sweep", lo=2 * n)
    _common.model_from_args(args)
    if args.mixing_file is None:
        try:
            _common.check_graph_sizes(args, args.graph, n, n_field="n")
        except ValueError as err:
            if str(err).startswith("n:"):  # VerifyConfig names the graph
                v.fail("graph", f"a graph defined on n_clients={n} nodes", args.graph)
            raise


def run(args) -> dict:
    if args.explain is not None:
        from sims.reproduce.report.answer import explain

        if args.explain not in _names.CLAIM_IDS:
            v.fail("explain", "a claim id: " + ", ".join(_names.CLAIM_IDS), args.explain)
        return {"explain": explain(args.explain)}
    options = verify_options(args)
    if args.simulate == "off" and args.sim_seed is not None:
        _common.not_applicable("--sim-seed", "without --simulate (no Track C runs)", args.sim_seed)
    track_c = None
    if args.simulate != "off":
        from sims.trackc.evidence import track_c_evidence

        seed = 0 if args.sim_seed is None else args.sim_seed
        track_c = functools.partial(track_c_evidence, fast=args.simulate == "fast", seed=seed)
    trackd_dir = _trackd_dir(args)
    trackd = None if trackd_dir is None else load_trackd(trackd_dir)
    with v.renamed("mixing", "mixing-file"), _track_c_lines(args):
        table = api.verify(**options, track_c=track_c, on_claim=_progress(options))
    if "mixing_file" in table["config"]:
        table["config"]["mixing_file"] = {
            "path": str(args.mixing_file),
            **table["config"]["mixing_file"],
        }
    for r in table["claims"]:
        claim = TRACKD_OF_CLAIM.get(r["id"])
        r["track_d"] = trackd_entry(trackd, claim) if claim else {"verdict": "n/a"}
    extra = {"mar_vs_mim": trackd_entry(trackd, "mar_vs_mim")}
    return {
        "answer": _answer(args),
        "config": table["config"],
        "claims": table["claims"],
        "track_d_only": extra,
    }


#: the table is estimated and shown claim by claim only past this many seconds (the default
#: table, about 4 s, prints nothing on stderr before its answer)
VERIFY_PROGRESS_AFTER_S = 15.0


def _track_c_lines(args):
    """With --simulate, Track C's own progress (a line as each method's runs start) on stderr:
    its training takes about a minute at the default configuration (fast)."""
    import contextlib

    return (
        contextlib.nullcontext() if args.simulate == "off" else _common.logged("sims.trackc.runs")
    )


def _progress(options: dict):
    """``on_claim`` for :func:`sims.api.verify`: a progress line as each claim starts, after the
    whole table's estimate (:func:`sims.api.claims_table_seconds`) as the first starts (after
    the API's checks), where it is estimated past :data:`VERIFY_PROGRESS_AFTER_S`."""
    ids = options["claims"]
    n, d = options["n_clients"], options["d"]
    what = f"N = {n}, d = {d}, {len(ids)} of {len(_names.CLAIM_IDS)} claims; the whole table"
    count, say = iter(range(1, len(ids) + 1)), []

    def on_claim(cid: str) -> None:
        if not say:
            seconds = api.claims_table_seconds(n)
            say.append(_common.progress(NAME, seconds, what, after=VERIFY_PROGRESS_AFTER_S))
        say[0](f"{cid} ({next(count)} of {len(ids)})")

    return on_claim


def format_text(result: dict, width: int | None = None) -> str:
    """The answer in one screen first (:func:`sims.reproduce.report.render_block`), then the
    claims table at one configuration and the Track D details; no line wider than ``width``
    (default: the terminal's, ``COLUMNS``, else 120)."""
    import textwrap

    width = _common.terminal_width(width)
    if result.get("explain"):
        from sims.commands.explain import format_text as explain_text

        return _common.fit(explain_text(result["explain"]), width)
    lines = [*_answer_lines(result.get("answer"), width), ""]
    lines += textwrap.wrap(_one_configuration(result["config"]), width)
    lines += _claims_table(result, width)
    scope = [(r["id"], r["mixing_file"]) for r in result["claims"] if "mixing_file" in r]
    if scope:
        lines += ["", "The mixing file:"]
        lines += [f"  {cid:<13}{text}" for cid, text in scope]
    lines += ["", "Track D (nonlinear encoders):"]
    entries = [
        (r["id"], r["track_d"]) for r in result["claims"] if r["track_d"]["verdict"] != "n/a"
    ]
    entries += [("§5 MAR", e) for e in result.get("track_d_only", {}).values()]
    for cid, e in entries:
        if e["verdict"] == "not-run":
            lines.append(f"  {cid:<9}{e['claim']:<13}not-run (run: {e['command']})")
            lines.append(f"  {'':<22}paper's effect {_effect_text(e)}")
            continue
        lines.append(
            f"  {cid:<9}{e['claim']:<13}{td_rows.word_text({'track_d': e['verdict'], **e})} "
            f"at {e['scale_tag']}"
        )
        lines.append(
            f"  {'':<22}Δ = {td_rows.delta_text(e)} (SE, {e['n_seeds']} seeds; {e['scale_text']})"
        )
        lines += [f"  {'':<22}{t}" for t in _trackd_detail(e)]
        lines.append(f"  {'':<22}paper: {e['paper']} [{e['paper_scale']}]")
    return _common.fit("\n".join(lines), width)


def _claims_table(result: dict, width: int) -> list[str]:
    """The claims table at one configuration (Track A, B with its basis, C, D and Track B under
    every reading), fitted to ``width`` (:func:`sims.reproduce.report.answer.fit_table`)."""
    from collections import Counter

    from sims.reproduce.report.answer import basis_word, fit_table

    head = ("claim", "track A", "track B", "basis", "track C", "track D", "reference", "readings")
    rows = []
    for r in result["claims"]:
        counts = Counter((r.get("readings") or {}).values())
        rows.append((
            r["id"], r["track_a"], r["track_b"], basis_word(r.get("verdict_basis")), r["track_c"],
            r["track_d"]["verdict"], r["reference"],
            ", ".join(f"{w} {k}" for w, k in counts.most_common()),
        ))  # fmt: skip
    for e in result.get("track_d_only", {}).values():
        rows.append(("mar(§5)", "n/a", "n/a", "n/a", "n/a", e["verdict"], "§5, Fig 2b", ""))
    return fit_table(head, rows, width, drop=(7, 6, 1))


def _answer_lines(answer: dict | None, width: int = 120) -> list[str]:
    """The answer in one screen in text (:func:`sims.reproduce.report.render_block`), or why it
    is missing."""
    import textwrap

    if not answer or answer.get("status") == "not-run":
        why = (answer or {}).get("reason") or "no verdict map in figures/"
        return textwrap.wrap(
            f"The answer table: not run ({why}; read one with --map-results DIR, or compute "
            f"it: {ANSWER_COMMAND}).", width,
        )  # fmt: skip
    from sims.reproduce.report import render_block

    return [
        render_block(answer, "text", width=width),
        *textwrap.wrap(
            f"(From {answer.get('source_map', 'the verdict map')}: README and the report open "
            "with the same block.)",
            width,
        ),
    ]


def _one_configuration(config: dict) -> str:
    keys = ("d", "n_clients", "p", "graph")
    return (
        "The claims table at one configuration ("
        + ", ".join(f"{k} = {config[k]}" for k in keys if k in config)
        + "; primary readings: the paper's, plus --transform):"
    )


def _effect_text(e: dict) -> str:
    return f"{td_rows.points_of(e.get('paper_effect'), e)} ({e.get('paper_effect_source')})"


def _trackd_detail(e: dict) -> list[str]:
    """The lines under a Track D verdict: preset, rule and reason; the MDE beside the paper's
    effect and the TOST against it; the DECISIVE and PAPER-SCALE presets' words at their
    scale."""
    rule = e.get("rule") or "D2 (older results file)"
    old = f" (D2: {e['old_verdict']})" if e.get("old_verdict") and e.get("rule") else ""
    lines = [f"preset {e.get('preset') or 'not recorded'}, rule {rule}{old}: {e.get('reason')}"]
    tost = "" if e.get("tost_p") is None else f"; TOST p {e['tost_p']:.2g} against it"
    lines.append(
        f"MDE at 80 % power {td_rows.points_of(e.get('mde'), e)} vs the paper's effect "
        f"{_effect_text(e)}{tost}"
    )
    for key, label in (("decisive", "decisive"), ("paper_scale_run", "paper-scale")):
        d = e.get(key)
        if d is None:
            continue
        if d["verdict"] == "not-run":
            lines.append(f"{label}: not run ({d['command']})")
            continue
        word = td_rows.word_text({"track_d": d["verdict"], **d})
        delta = td_rows.delta_text({**d, "unit": e.get("unit")})
        lines.append(
            f"{label}: {word} at {d['scale_tag']}: Δ = {delta} (SE); "
            f"MDE {td_rows.points_of(d.get('mde'), e)}: {d.get('reason')}"
        )
    return lines
