"""Graph claims for :mod:`theory.claims`: Cor 4.5 (DecL robustness improves with |Ā|) and
Thm 4.6 (s_Dec >= s_Fed; Eq. (87) strict when |Ā| < N, Eq. (89) equality on the complete graph)
of arXiv 2607.02447. Rules: docs/verdict_rules.md.
"""

from __future__ import annotations

import functools

import numpy as np

from theory import symbolic
from theory import verdicts as vd
from theory.claims_model import (
    SENSITIVITY,
    Evidence,
    NotApplicable,
    VerifyConfig,
    _exact,
    _fl_weights,
    _graph_info,
    _method_of,
    _sens,
)
from theory.claims_track_a import _bound_entry, _worst_a


# ----------------------------------------------------------------------------------------------
# Corollary 4.5: DecL robustness improves with |Ā|
# ----------------------------------------------------------------------------------------------
def _graph_sweep(cfg: VerifyConfig) -> list[tuple[str, tuple]]:
    """Graphs of increasing connectivity on n_clients nodes: paper_code at every degree."""
    n = cfg.n_clients
    sweep = [
        ("paper_code", (("avg_degree", float(k)), ("seed", cfg.graph_seed)))
        for k in range(1, n - 1)
    ]
    sweep.append(("complete", ()))
    return sweep


@functools.lru_cache(maxsize=8)
def _cor45_symbolic(method: str, sign: str) -> dict:
    return symbolic.check_cor45(method, sign)


def _cor45_a(cfg: VerifyConfig, reading: dict) -> Evidence:
    ex = _exact(cfg)
    _, transform, bm = _method_of(reading, "method")
    words, rows = [], []
    for graph, key in _graph_sweep(cfg):
        info = _graph_info(cfg, graph, key)
        e = _bound_entry(cfg, ex, bm, "decl", info["abar"], transform)
        words.append(e["track_a"])
        rows.append({"graph": graph, "params": dict(key), "abar": info["abar"], **e})
    r = _cor45_symbolic(bm, cfg.sign)  # the sign of the reading's own bound
    numbers = {"sweep": rows, "derivative_sign": r["derivative_sign_paper_range"]}
    return Evidence(_worst_a(words), numbers, "the paper's DecL bound over the graph sweep (R3)")


def _cor45_series(cfg: VerifyConfig, reading: dict) -> tuple[list, list, list]:
    ex = _exact(cfg)
    method, transform, _ = _method_of(reading, "method")
    rows, vals, abars = [], [], []
    for graph, key in _graph_sweep(cfg):
        info = _graph_info(cfg, graph, key)
        sol = ex.solution(method, transform, info["weights"])
        val = _sens(sol, reading["sensitivity"], ex.n, ex.c)
        rows.append(
            {
                "graph": graph,
                "params": dict(key),
                "abar": info["abar"],
                "s": val.to_dict(),
                "rank": sol.rank,
            }
        )
        vals.append(val)
        abars.append(info["abar"])
    return rows, vals, abars


def _cor45_b(cfg: VerifyConfig, reading: dict) -> Evidence:
    rows, vals, abars = _cor45_series(cfg, reading)
    if len(rows) < 2:
        raise NotApplicable("fewer than two graphs at this N (Cor 4.5 needs N >= 3)")
    r6, viol = vd.trend(abars, vals)
    ranks = [row["rank"] for row in rows]
    spread = SENSITIVITY[reading["sensitivity"]].spread
    guarded = vd.trend_collapse_guard(r6, abars, vals, ranks, cfg.n_clients, spread)
    one_way = vd.before_r13(
        vd.trend_collapse_guard(
            vd.trend(abars, vals, r13=False)[0], abars, vals, ranks, cfg.n_clients, spread,
            both_directions=False,
        )
    )  # fmt: skip
    before = vd.before_r13(
        vd.trend_collapse_guard(
            vd.trend(abars, vals, r13=False)[0], abars, vals, ranks, cfg.n_clients, spread
        )
    )
    names = [f"the DecL objective on {row['graph']}" for row in rows]
    word, why = vd.premise_guard(guarded, ranks, names)
    order = np.argsort(abars, kind="stable")
    old = vd.old_trend_rule({"s": [vals[i].point for i in order]})
    numbers = {
        "sweep": rows,
        "violations": [
            {"from": rows[i]["params"], "to": rows[j]["params"], "increase": x} for i, j, x in viol
        ],
        "old_rule_verdict": old,
        "verdict_without_r7": vd.trend(abars, vals, r13=False)[0],
        "r6_first_implementation": vd.trend(abars, vals, ordered_decrease=False, r13=False)[0],
        "verdict_r7_one_direction": "void" if why else one_way,
        "verdict_without_a5": guarded,
        "verdict_before_r13": "void" if why else before,
    }
    if vd.proved_flat(vals):
        numbers["identity"] = (
            "s is the same on every graph of the sweep by proof (certified values of zero "
            "radius): robustness does not change with |Ā|"
        )
    if why:
        numbers["void_because"] = why
    what = "exact DecL sensitivity over graphs of increasing |Ā| (R6, R7, R11)"
    return Evidence(word, numbers, what)


#: the reading whose Cor 4.5 word is decided in ball arithmetic (:func:`cor45_certificate`)
_CERTIFIED_READING = {"method": "eq4-complementary", "sensitivity": "spread-N"}


def cor45_certificate(cfg: VerifyConfig, reading: dict) -> dict | None:
    """Cor 4.5 under Eq. 4 (complementary), spread over [N], decided in ball arithmetic.

    The DecL target on [N] is c₀M(π), M_kl = 1 − π_k − π_l off the diagonal and 0 on it, and 0
    outside [N] (``theory.symbolic.lemmas.pi_weighted_offdiag``; c₀ > 0 scales out), so each
    graph's optimum depends on its exact Eq. (1) weights π alone. For each graph of the sweep
    (the paper's uniform mixing, built exactly in rationals) the RV on [N] and the rank of the
    positive part are certified (:func:`theory.certify.balls.top_rv`,
    :func:`theory.certify.balls.eigenvalues`), the spreads are balls, and R6/R7/R11 are decided
    on their signs: a pair is ordered only when its two balls are disjoint. Returns
    ``{"word", "spreads", "ranks", "prec"}``, ``{"word": None, "why": ...}`` where a ball
    cannot decide (two spreads that may be equal, an uncertified optimum), or None where the
    certificate does not apply (another reading, N < 3, a configuration given its own W).
    """
    if dict(reading) != _CERTIFIED_READING or cfg.n_clients < 3:
        return None
    if type(cfg).mixing is not VerifyConfig.mixing:  # W from elsewhere (e.g. a mixing file)
        return None
    adjs = tuple(
        cfg.adjacency(graph, **dict(key)).astype(np.int8).tobytes()
        for graph, key in _graph_sweep(cfg)
    )
    return _cor45_balls(cfg.n_clients, _exact(cfg).c, adjs)


@functools.lru_cache(maxsize=64)
def _cor45_balls(n: int, c: int, adjs: tuple) -> dict:
    """:func:`cor45_certificate` on the sweep's adjacency matrices (bytes, N×N int8): the word
    depends on the graphs only, so one certificate serves every p and rare-axis reading."""
    from flint import fmpq, fmpq_mat

    from theory.certify import balls

    abars, spreads, ranks, prec = [], [], [], 0
    for g, raw in enumerate(adjs):
        a = np.frombuffer(raw, dtype=np.int8).reshape(n, n).astype(int)
        W = balls.exact_mixing("uniform", a)
        pi = [sum((W[i, j] for i in range(n)), fmpq(0)) / n for j in range(n)]
        M = fmpq_mat(n, n, [0 if k == m else 1 - pi[k] - pi[m] for k in range(n) for m in range(n)])
        rv, ev = balls.top_rv(M, min(c, n), range(n)), balls.eigenvalues(M, symmetric=True)
        for res in (rv, ev):
            if not res.certified:
                return {"word": None, "why": f"graph {g} of the sweep: {res.reason}"}
        signs = [balls.sign(x) for x in ev.value]
        if None in signs:
            return {"word": None, "why": f"graph {g} of the sweep: an eigenvalue's sign"}
        abars.append(fmpq(int(a.sum()) + n, n))
        spreads.append(balls.spread(rv.value))
        ranks.append(min(c, sum(1 for x in signs if x > 0)))
        prec = max(prec, rv.prec)
    up, down = [], []
    for i in range(len(abars)):
        for j in range(len(abars)):
            if abars[i] < abars[j]:
                sg = balls.sign(spreads[j] - spreads[i])
                if sg is None:
                    return {"word": None, "why": "two spreads are not separated by their balls"}
                (up if sg > 0 else down).append((i, j))
    if min(ranks) == 0:
        word = "void"
    elif up:
        word = "violated" if any(ranks[i] >= n for i, _ in up) else "collapsed"
    elif down:
        word = "holds" if any(ranks[j] >= n for _, j in down) else "collapsed"
    else:
        return {"word": None, "why": "no two graphs of different |Ā|"}
    return {
        "word": word,
        "spreads": [x.str(12, radius=True) for x in spreads],
        "spread_midpoints": [float(x.mid()) for x in spreads],
        "ranks": ranks,
        "prec": prec,
    }


# ----------------------------------------------------------------------------------------------
# Theorem 4.6: FL is no less robust than DecL (s_Dec >= s_Fed); Eq. 87 (strict), Eq. 89 (=)
# ----------------------------------------------------------------------------------------------
def _thm46_graph(cfg: VerifyConfig, which: str) -> dict:
    if which == "eq89":
        return _graph_info(cfg, "complete", ())
    info = _graph_info(cfg)
    if which == "eq87" and info["abar"] >= cfg.n_clients:
        raise NotApplicable(f"Eq. 87 needs |Ā| < N; the graph has |Ā| = {info['abar']:g}")
    return info


def _thm46_a(which: str):
    def check(cfg: VerifyConfig, reading: dict) -> Evidence:
        ex = _exact(cfg)
        info = _thm46_graph(cfg, which)
        _, transform, bm = _method_of(reading, "method")
        ed = _bound_entry(cfg, ex, bm, "decl", info["abar"], transform)
        ef = _bound_entry(cfg, ex, bm, "fl", None, transform)
        numbers = {
            "abar": info["abar"],
            "n_clients": cfg.n_clients,
            "s_dec": 1.0 - ed["lower_bound"],
            "s_fed": 1.0 - ef["lower_bound"],
            "track_a": [ed["track_a"], ef["track_a"]],
        }
        return Evidence(_worst_a(numbers["track_a"]), numbers, "the paper's s_Dec and s_Fed")

    return check


#: The relation of s_Dec to s_Fed that Thm 4.6 (``thm4.6``), its Eq. (87) and its Eq. (89) assert
THM46_RELATION = {"thm4.6": ">=", "eq87": ">", "eq89": "=="}


def _thm46_b(which: str):
    relation = THM46_RELATION[which]

    def check(cfg: VerifyConfig, reading: dict) -> Evidence:
        ex = _exact(cfg)
        info = _thm46_graph(cfg, which)
        method, transform, _ = _method_of(reading, "method")
        sens = reading["sensitivity"]
        spread = SENSITIVITY[sens].spread
        sd = ex.solution(method, transform, info["weights"])
        sf = ex.solution(method, transform, _fl_weights(ex.n))
        vdec, vfed = _sens(sd, sens, ex.n, ex.c), _sens(sf, sens, ex.n, ex.c)
        # R12: DecL's objective weights equal FL's (a doubly stochastic mixing matrix, e.g. the
        # uniform rule on a regular graph) make the two sides one quantity
        same = vd.same_weights(info["weights"], _fl_weights(ex.n))
        raw = vd.compare(vdec, vfed, relation)
        raw_old = vd.compare(vdec, vfed, relation, r13=False)
        if relation == "==":
            old_r7 = guarded = raw
            before = raw_old
        else:
            old_r7 = vd.before_r13(vd.collapse_guard(raw_old, sf.rank, ex.n, spread))
            guarded = vd.collapse_guard(raw, sf.rank, ex.n, spread, other_rank=sd.rank)
            before = vd.before_r13(
                vd.collapse_guard(raw_old, sf.rank, ex.n, spread, other_rank=sd.rank)
            )
        old_identity = before  # without R12, and before R13
        if same:
            guarded = vd.IDENTITY_WORDS[relation]
            before = old_r7 = vd.OLD_IDENTITY_WORDS[relation]
        word, why = vd.premise_guard(guarded, [sd.rank, sf.rank], ["DecL", "FL"])
        numbers = {
            "graph": "complete" if which == "eq89" else cfg.graph_label,
            "abar": info["abar"],
            "s_dec": vdec.to_dict(),
            "s_fed": vfed.to_dict(),
            "rank_dec": sd.rank,
            "rank_fed": sf.rank,
            "relation": f"s_Dec {relation} s_Fed",
            "weights_identical": same,
            "verdict_without_identity": "void" if why else old_identity,
            "verdict_r7_one_direction": "void" if why else old_r7,
            "verdict_without_a5": guarded,
            "verdict_before_r13": "void" if why else before,
        }
        what = f"exact s_Dec {relation} s_Fed ({sens}) (R1, R7, R11, R12)"
        if same:
            # Eq. (1)'s weights of a doubly stochastic W are 1/N: the DecL objective is FL's own,
            # so the two sides are one quantity by construction, not a numerical coincidence
            numbers["identity"] = "DecL's objective weights are FL's (doubly stochastic W)"
            what += "; by construction: DecL's objective weights are FL's (one quantity)"
        elif vd.proved_equal(vdec, vfed):
            numbers["identity"] = (
                "s_Dec = s_Fed by proof: both are certified with zero radius (the same value on "
                "every graph)"
            )
            what += "; equal by proof (R13)"
        if why:
            numbers["void_because"] = why
        return Evidence(word, numbers, what)

    return check
