"""The finding under the answer table: at most :data:`MAX_WORDS` words, every one computed from
the answer rows and the verdict map's cells (:func:`finding`; :mod:`sims.reproduce.report.answer`
builds the rows)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping

from sims.verdict_map.files import WORD_ORDER
from theory import claims as cl

#: the finding's length limit in words (whitespace-separated tokens)
MAX_WORDS = 200
#: a printed bound this close to 1 is "LB = 1" in the finding
_LB_ONE = 1e-6


def _counts_text(counts: Mapping) -> str:
    """``holds 448, violated 8`` in :data:`WORD_ORDER` (``—`` when empty)."""
    words = [w for w in WORD_ORDER if counts.get(w)] + sorted(
        w for w in counts if w not in WORD_ORDER and counts[w]
    )
    return ", ".join(f"{w} {counts[w]}" for w in words) or "—"


def _join(items: list[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _ids(ids: list[str]) -> str:
    """Claim ids with families folded: ``thm4.2 (local, decl, fl)``."""
    fams: dict = {}
    for i in ids:
        fam, _, leaf = i.rpartition(".")
        key = fam if i.count(".") >= 2 else i
        fams.setdefault(key, []).append(leaf if i.count(".") >= 2 else "")
    out = []
    for fam, leaves in fams.items():
        if len(leaves) > 1 and all(leaves):
            out.append(f"{fam} ({', '.join(leaves)})")
        else:
            out += [f"{fam}.{x}" if x else fam for x in leaves]
    return _join(out)


def _grouped(pairs: list[tuple[str, str]]) -> list[tuple[list[str], str]]:
    """(ids, text) pairs grouped by text, in first-seen order."""
    groups: dict = {}
    for cid, text in pairs:
        groups.setdefault(text, []).append(cid)
    return [(ids, text) for text, ids in groups.items()]


def _fmt_int(n: int) -> str:
    return f"{n:,}"


_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def _d_text(d) -> str:
    """``10⁶`` for a power of ten, else the number."""
    if isinstance(d, (int, float)) and d > 0:
        k = round(math.log10(d))
        if 10**k == d:
            return "10" + str(k).translate(_SUPERSCRIPT)
    return f"{d:g}" if isinstance(d, float) else str(d)


_EVERY = "in every configuration"


def _where_text(where: str) -> str:
    return _EVERY if where == "everywhere" else where


def _other_cells(row: dict, cells: list[dict], word: str) -> list[dict]:
    """The cells of a row's claim with Track B ``word`` under readings other than the paper's."""
    names = set(row["paper_readings"])
    return [
        c
        for c in cells
        if c["claim"] == row["claim"]
        and c["track_b"] == word
        and cl.reading_name(c["reading"]) not in names
    ]


def _holds_elsewhere(row: dict, cells: list[dict]) -> tuple[str, str] | None:
    """(count, where) of a claim's ``holds`` cells under readings other than the paper's:
    for a claim of one reading dimension the values they use, else the paper's values that
    none of them uses."""
    hold = _other_cells(row, cells, "holds")
    if not hold:
        return None
    pr = cl.REGISTRY[row["claim"]].paper_reading
    if len(pr) == 1:
        (d,) = pr
        return _fmt_int(
            len(hold)
        ), f"only under {d}={'/'.join(sorted({c['reading'][d] for c in hold}))}"
    missing = [
        f"{d}={'+'.join(vals)}"
        for d, vals in pr.items()
        if not {c["reading"][d] for c in hold} & set(vals)
    ]
    return _fmt_int(len(hold)), (f"none with the paper's {' or '.join(missing)}" if missing else "")


def _violated_elsewhere(row: dict, cells: list[dict], vmap_readings: Mapping) -> tuple | None:
    """(count, where, LB = 1) of the ``violated`` cells of a claim that holds under the paper's
    reading: the reading values they use, and whether the printed bound is 1 in every such
    reading's representative cell."""
    bad = _other_cells(row, cells, "violated")
    if not bad:
        return None
    pr = cl.REGISTRY[row["claim"]].paper_reading
    where = "only under " + " and ".join(
        f"{d}={'/'.join(sorted({c['reading'][d] for c in bad}))}" for d in pr
    )
    reps = vmap_readings.get(row["claim"], {})
    lbs = [
        (reps.get(name, {}).get("representative") or {}).get("numbers", {}).get("lower_bound")
        for name in {cl.reading_name(c["reading"]) for c in bad}
    ]
    lb_one = bool(lbs) and all(isinstance(x, (int, float)) and x >= 1 - _LB_ONE for x in lbs)
    return _fmt_int(len(bad)), where, lb_one


def _each(ids: list[str]) -> str:
    return " each" if len(ids) > 1 else ""


def _listed(pairs: list[tuple[str, str]]) -> str:
    """``ids text`` per group of :func:`_grouped` pairs, joined by ``; ``."""
    return "; ".join(f"{_ids(ids)} {text}" for ids, text in _grouped(pairs))


def _verdict_sentences(
    rows: list, grid: Mapping, good: list, bad: list, flat: list, rest: list
) -> list:
    """The headline (claims contradicted, supported, made uninformative by a collapsed optimum,
    undecided under the paper's reading) and where each group's word holds, with the claims
    proved from closed forms."""
    parts = [f"contradicts {len(bad)} of {len(rows)} claims", f"supports {len(good)}"]
    if flat:
        parts.append(f"finds {len(flat)} uninformative (a collapsed optimum, R7)")
    if rest:
        parts.append(f"leaves {len(rest)} undecided")
    sentences = [
        f"Under the paper's own reading, the exact linear model (Track B; d = "
        f"{_d_text(grid['d'])}, {grid['n_configurations']} configurations, "
        f"{min(grid['N'])} ≤ N ≤ {max(grid['N'])}) {_join(parts)}."
    ]
    if bad:
        texts = [(r["claim"], _where_text(_where_of(r, "violated"))) for r in bad]
        sentences.append(f"Violated: {_listed(texts)}.")
    if good:
        texts = [
            (r["claim"], _where_text(_where_of(r, "holds") or "everywhere")
             + (f", void {_where_of(r, 'void')}" if _where_of(r, "void") else ""))
            for r in good
        ]  # fmt: skip
        sentences.append(f"Holds: {_listed(texts)}.")
    if flat:
        texts = [(r["claim"], r["paper_verdict"]["text"].replace("; ", ", ")) for r in flat]
        sentences.append(
            f"Collapsed: {_listed(texts)} (the order holds only because the side judged more "
            "robust has a rank-one optimum, whose spread says nothing)."
        )
    proved = [r["claim"] for r in rows if r["paper_verdict"].get("proved")]
    if proved:
        unproved = [r["claim"] for r in rows if r["claim"] not in proved]
        tail = (
            f"; {_ids(unproved)} computed on the grid" if unproved else "; none rests on the grid"
        )
        sentences.append(
            f"Proved for every N and d from closed forms (theory.symbolic.proofs), not only on "
            f"the grid: {_ids(proved) if unproved else f'all {len(proved)}'}{tail}."
        )
    if "n_tolerance_decided" in grid:
        sentences.append(
            f"Over every reading, {_fmt_int(grid['n_proved'])} cells are proved, "
            f"{_fmt_int(grid['n_certified'])} certified in ball arithmetic and "
            f"{_fmt_int(grid['n_tolerance_decided'])} decided by a float tolerance."
        )
    if rest:
        texts = [
            (
                r["claim"],
                r["paper_verdict"]["text"].replace("; ", ", ").replace("everywhere", _EVERY),
            )
            for r in rest
        ]
        sentences.append(f"Undecided: {_listed(texts)}.")
    return sentences


def _not_run_sentences(rows: list, grid: Mapping) -> list:
    """How many cells were not run and where (none when every cell ran)."""
    if not grid["n_not_run"]:
        return []
    dead = sorted({x for r in rows for x in r["other_readings"]["not_run_readings"]})
    where: dict = {}
    for r in rows:
        for t in (r["other_readings"]["not_run_where"], _where_of(r, "not-run")):
            if t and r["claim"] not in where.setdefault(t, []):
                where[t].append(r["claim"])
    parts = [f"every cell under {' or '.join(dead)}"] if dead else []
    parts += [f"{_ids(ids)} {_where_text(t)}" for t, ids in where.items()]
    return [
        f"{_fmt_int(grid['n_not_run'])} of the {_fmt_int(grid['n_cells'])} cells were not run: "
        + "; ".join(parts)
        + "."
    ]


def _elsewhere_sentences(rows: list, good: list, cells: list, vmap_readings) -> list:
    """Where the other readings hold a claim the paper's reading does not support, and where
    they violate a supported one."""
    sentences = []
    pairs = [(r["claim"], _holds_elsewhere(r, cells)) for r in rows if r not in good]
    pairs = [(c, t) for c, t in pairs if t and t[1]]  # where the readings say something
    if pairs:
        sentences.append(
            "Other readings hold instead: "
            + "; ".join(
                f"{_ids(ids)} in {n} cells{_each(ids)}" + (f", {where}" if where else "")
                for ids, (n, where) in _grouped(pairs)
            )
            + "."
        )
    pairs = [(r["claim"], _violated_elsewhere(r, cells, vmap_readings or {})) for r in good]
    for ids, (n, where, lb_one) in _grouped([(c, t) for c, t in pairs if t]):
        lb = ", where the paper's bound is LB = 1" if lb_one else ""
        sentences.append(
            f"{_ids(ids)} {'fail' if len(ids) > 1 else 'fails'} {where}: violated in {n} "
            f"cells{_each(ids)}{lb}."
        )
    return sentences


def _trained_sentences(answer: Mapping, rows: list) -> list:
    """The counts of Track C's and Track D's words (each only where it has any)."""
    sentences = []
    tc = answer.get("track_c_config")
    if tc:
        counts = Counter(r["track_c"] for r in rows)
        sentences.append(
            f"Track C (trained linear encoders, d = {tc['d']}, N = {tc['N']}): "
            f"{_counts_text(counts)} claims."
        )
    td = [r["track_d"] for r in rows if r["track_d"]["verdict"] != "n/a"]
    td += list(answer.get("track_d_only", {}).values())
    if td:
        counts = Counter(e["verdict"] for e in td)
        presets = sorted({e.get("scale") or _preset(e) for e in td if e["verdict"] != "not-run"})
        sentences.append(
            f"Track D (nonlinear encoders; {', '.join(presets) or 'not run'}): "
            f"{_counts_text(counts)} of {len(td)} comparisons."
        )
    return sentences


def finding(answer: Mapping, cells: list[dict], vmap_readings: Mapping | None = None) -> str:
    """At most :data:`MAX_WORDS` words in plain sentences, headline first, computed from the
    answer rows and the cells; sentences are added in order while they fit."""
    rows, grid = answer["rows"], answer["grid"]
    bad = [r for r in rows if r["paper_verdict"]["verdict"] == "violated"]
    # supported: holds wherever the claim's premise is met (void cells: Assumption A.5 fails,
    # rule R11), said with where it is void
    good = [
        r
        for r in rows
        if "holds" in r["paper_verdict"]["counts"]
        and set(r["paper_verdict"]["counts"]) <= {"holds", "void"}
    ]
    flat = [
        r
        for r in rows
        if r not in bad
        and "collapsed" in r["paper_verdict"]["counts"]
        and set(r["paper_verdict"]["counts"]) <= {"collapsed", "void", "not-run"}
    ]
    rest = [r for r in rows if r not in bad and r not in good and r not in flat]
    sentences = _verdict_sentences(rows, grid, good, bad, flat, rest)
    sentences += _not_run_sentences(rows, grid)
    no = [r for r in rows if r["hidden_constant"]["verdict"] == "no"]
    for ids, (k, e) in _grouped_by(
        no, lambda r: (r["hidden_constant"]["constant"], r["hidden_constant"]["exponent_shown"])
    ):
        sentences.append(
            f"No hidden constant rescues {_ids(ids)} under the paper's reading: the break-even "
            f"{k} grows like d^{e}."
        )
    sentences += _elsewhere_sentences(rows, good, cells, vmap_readings)
    sentences += _trained_sentences(answer, rows)
    out: list[str] = []
    for s in sentences:
        if len(" ".join([*out, s]).split()) <= MAX_WORDS:
            out.append(s)
    return " ".join(out)


def _grouped_by(rows: list[dict], key) -> list[tuple[list[str], tuple]]:
    groups: dict = {}
    for r in rows:
        groups.setdefault(key(r), []).append(r["claim"])
    return [(ids, k) for k, ids in groups.items()]


def _preset(entry: Mapping) -> str:
    return f"preset {entry['preset']}" if entry.get("preset") else "preset not recorded"


def _where_of(row: dict, word: str) -> str:
    """The where-text of ``word`` in a row's paper verdict (``everywhere`` when it is the only
    word)."""
    for part in row["paper_verdict"]["text"].split("; "):
        if part.startswith(word + " "):
            return part[len(word) + 1 :]
    return ""
