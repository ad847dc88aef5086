"""Track A sympy derivations (the package theory/symbolic/) against independent computations.

Oracles: brute-force enumeration of masks in numpy, a direct numpy average over
neighbourhoods, ``sympy.limit``, finite differences, plain-Python re-implementations of the
docs/theory/track_a.md §1 table, and the committed golden file. No test asserts that a claim of the
paper holds: the checks' *outputs* are compared with what an independent computation says.
"""

from __future__ import annotations

import itertools
import json
import pathlib

import networkx as nx
import numpy as np
import pytest
import sympy as sp

from theory import symbolic as S
from theory.symbolic._asymptotics import _leading

GOLDEN = pathlib.Path(__file__).parent / "golden" / "track_a.json"

STAR4 = np.array([[0, 1, 1, 1], [1, 0, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0]])
RING4 = np.array([[0, 1, 0, 1], [1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 1, 0]])


def _graphs():
    path5 = nx.to_numpy_array(nx.path_graph(5), dtype=int)
    ring6 = nx.to_numpy_array(nx.cycle_graph(6), dtype=int)
    rng_graph = nx.to_numpy_array(nx.connected_watts_strogatz_graph(7, 2, 0.5, seed=3), dtype=int)
    k4 = np.ones((4, 4), int) - np.eye(4, dtype=int)
    return {
        "star4": STAR4,
        "ring4": RING4,
        "path5": path5,
        "ring6": ring6,
        "ws7": rng_graph,
        "k4": k4,
    }


def _matrix_fn(strings, k):
    xs = sp.symbols(f"x1:{k + 1}", real=True)
    exprs = [
        [sp.sympify(e, locals={f"x{j + 1}": xs[j] for j in range(k)} | {"p": S.p}) for e in row]
        for row in strings
    ]
    return sp.lambdify((xs, S.p), sp.Matrix(exprs), modules="numpy")


def _brute_force_mask(x, p, independent=False):
    """E_m[½(b aᵀ + a bᵀ)] by enumerating every mask (m = 1 visible, P(m = 1) = 1 − p)."""
    k = len(x)
    out = np.zeros((k, k))
    masks = [np.array(m) for m in itertools.product((0, 1), repeat=k)]

    def prob(m):
        return float(np.prod(np.where(m == 1, 1 - p, p)))

    pairs = itertools.product(masks, masks) if independent else ((m, m) for m in masks)
    for m, m2 in pairs:
        w = prob(m) * (prob(m2) if independent else 1.0)
        a, b = x * m, x * (1 - m2)
        out += w * 0.5 * (np.outer(b, a) + np.outer(a, b))
    return out


# --- Eq. (17) ------------------------------------------------------------------------------------
@pytest.mark.parametrize("k", [3, 4])
def test_mask_expectation_matches_enumeration(k):
    r = S.check_eq17(k)
    exact, paper, indep = (_matrix_fn(r[key], k) for key in ("exact", "paper", "independent"))
    rng = np.random.default_rng(k)
    for _ in range(5):
        x, p = rng.normal(size=k), rng.uniform(0.05, 0.95)
        brute = _brute_force_mask(x, p)
        np.testing.assert_allclose(np.asarray(exact(x, p), float), brute, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(
            np.asarray(indep(x, p), float), _brute_force_mask(x, p, True), rtol=1e-12, atol=1e-14
        )
        np.testing.assert_allclose(
            np.asarray(paper(x, p), float), 2 * p * (1 - p) * np.diag(x * x), rtol=1e-12
        )
        # the computed flags agree with what the enumeration says
        assert r["is_hollow"] == bool(np.allclose(np.diag(brute), 0.0))
        assert r["is_diagonal"] == bool(np.allclose(brute - np.diag(np.diag(brute)), 0.0))
        assert r["equal"] == bool(np.allclose(brute, np.asarray(paper(x, p), float)))
        hollow = p * (1 - p) * (np.outer(x, x) - np.diag(x * x))
        assert r["exact_equals_hollow_form"] == bool(np.allclose(brute, hollow))
        assert r["independent_equals_pxxT"] == bool(
            np.allclose(_brute_force_mask(x, p, True), p * (1 - p) * np.outer(x, x))
        )


def test_mask_expectation_monte_carlo():
    """A sampled estimate agrees with the exact expectation within statistical tolerance."""
    rng = np.random.default_rng(0)
    x, p, m_samples = np.array([1.0, -2.0, 0.5]), 0.75, 200_000
    m = (rng.uniform(size=(m_samples, 3)) > p).astype(float)  # visible with prob 1 − p
    a, b = x * m, x * (1 - m)
    est = 0.5 * (np.einsum("si,sj->ij", b, a) + np.einsum("si,sj->ij", a, b)) / m_samples
    exact = np.asarray(_matrix_fn(S.check_eq17(3)["exact"], 3)(x, p), float)
    np.testing.assert_allclose(est, exact, atol=0.02)


def test_eq17_coefficients_parse_back():
    r = S.check_eq17(3)
    assert (
        sp.simplify(sp.sympify(r["offdiag_coefficient"], locals={"p": S.p}) - S.p * (1 - S.p)) == 0
    )
    assert sp.sympify(r["diag_coefficient"]) == 0
    assert sp.simplify(sp.sympify(r["paper_diag_coefficient"], locals={"p": S.p}) - S.kappa()) == 0


# --- Eqs. (27)–(30) ------------------------------------------------------------------------------
def _numpy_decl_average(adj, kappa, tau2):
    """Direct average: client j's diagonal (Eq. 18) is κτ² off its own axis, κ on it."""
    n = adj.shape[0]
    client = np.full((n, n), kappa * tau2)
    client[np.arange(n), np.arange(n)] = kappa
    hood = adj + np.eye(n)
    mix = hood / hood.sum(axis=1, keepdims=True)  # 𝒲_ij = 1/|A_i| on A_i
    return (mix @ client).mean(axis=0), mix.sum(axis=0) / n


@pytest.mark.parametrize("name", ["star4", "ring4", "path5", "ring6", "ws7", "k4"])
def test_decl_average_matches_numpy(name):
    adj = _graphs()[name]
    r = S.check_eq29_30(adj)
    entries = [sp.sympify(e, locals={"p": S.p, "tau": S.tau}) for e in r["exact"]]
    paper = [sp.sympify(e, locals={"p": S.p, "tau": S.tau}) for e in r["paper"]]
    rng = np.random.default_rng(len(adj))
    for _ in range(3):
        p, tau = rng.uniform(0.1, 0.9), rng.uniform(1.0, 20.0)
        kappa = 2 * p * (1 - p)
        avg, pi = _numpy_decl_average(adj, kappa, tau**2)
        got = np.array([float(e.subs({S.p: p, S.tau: tau})) for e in entries])
        np.testing.assert_allclose(got, avg, rtol=1e-12)
        np.testing.assert_allclose([float(sp.Rational(x)) for x in r["pi"]], pi, rtol=1e-14)
        abar = (adj.sum() + len(adj)) / len(adj)
        want_paper = kappa * (1 - 1 / abar) * tau**2
        got_paper = np.array([float(e.subs({S.p: p, S.tau: tau})) for e in paper])
        np.testing.assert_allclose(got_paper, want_paper, rtol=1e-12)
        assert r["equal"] == bool(np.allclose(got, got_paper, rtol=1e-12, atol=0))
    degrees = adj.sum(axis=1)
    assert r["regular"] == bool(np.all(degrees == degrees[0]))
    assert r["matches_pi_formula"]
    assert sp.Rational(r["sum_pi"]) == 1


def test_star_and_ring_weights():
    """Spec §4.8(c): star N=4 π = (0.4375, 0.1875, 0.1875, 0.1875); ring N=4 π = 1/4."""
    star = S.check_eq29_30(STAR4)
    assert [float(sp.Rational(x)) for x in star["pi"]] == [0.4375, 0.1875, 0.1875, 0.1875]
    assert sp.Rational(star["abar"]) == sp.Rational(5, 2)
    assert sp.Rational(star["mean_inv_size"]) == sp.Rational(7, 16)
    ring = S.check_eq29_30(RING4)
    assert ring["pi"] == ["1/4"] * 4


def test_eq29_30_numeric_differences():
    r = S.check_eq29_30(STAR4, p_value=sp.Rational(3, 4), d_value=10**5)
    kappa, tau2 = 0.375, 100.0
    avg, _ = _numpy_decl_average(STAR4, kappa, tau2)
    paper = kappa * (1 - 1 / 2.5) * tau2
    assert r["max_abs_diff"] == pytest.approx(np.max(np.abs(avg - paper)), rel=1e-12)
    assert r["max_rel_diff"] == pytest.approx(np.max(np.abs(avg - paper) / avg), rel=1e-12)


@pytest.mark.parametrize(
    "adj, field",
    [
        (np.array([[0, 1], [0, 0]]), "adjacency"),  # not symmetric
        (np.array([[1, 1], [1, 0]]), "adjacency"),  # self loop
        (np.array([[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]), "adjacency"),
        (np.array([[0, 2], [2, 0]]), "adjacency"),
        (np.zeros((1, 1)), "adjacency"),
    ],
)
def test_adjacency_validation(adj, field):
    with pytest.raises(ValueError, match=f"^{field}: "):
        S.check_eq29_30(adj)


def test_argument_validation():
    with pytest.raises(ValueError, match="^k: "):
        S.check_eq17(1)
    with pytest.raises(ValueError, match="^method: "):
        S.lower_bound("mae", "local")
    with pytest.raises(ValueError, match="^framework: "):
        S.lower_bound("mim", "server")
    with pytest.raises(ValueError, match="^sign: "):
        S.lower_bound("mim", "local", sign="±")
    with pytest.raises(ValueError, match="^fl_term: "):
        S.lower_bound("mim", "fl", fl_term="none")
    with pytest.raises(ValueError, match="^p_value: "):
        S.check_eq29_30(STAR4, p_value=1)


# --- Thm 4.2 / 4.3 expressions -------------------------------------------------------------------
def _spec_table(method, framework, sign, fl_term, n_given, v):
    """Plain-Python re-implementation of the docs/theory/track_a.md §1 table (independent of the
    module)."""
    d, p, abar, n, trh = v["d"], v["p"], v["abar"], v["n"], v["trH"]
    c_num, c_den, c_f, c_n = v["c_num"], v["c_den"], v["c_f"], v["c_n"]
    e = 0.4 if method == "mim" else 0.2
    g = {"mim": 2 * p * (1 - p), "cl_similar": 1.0, "cl_dissimilar": trh}[method]
    n_res = n if n_given else c_n * d**0.05
    theta = c_f * d**0.35 if fl_term == "theta" else g * d**0.4 / n_res
    den = {"local": g * d**0.4, "decl": g * (1 - 1 / abar) * d**0.4, "fl": g * d**0.4 - theta}
    sigma = -1.0 if (sign == "-" and method != "mim" and framework == "decl") else 1.0
    return c_num * d**-e / (den[framework] + sigma * c_den * d**-e)


@pytest.mark.parametrize("sign", S.SIGNS)
@pytest.mark.parametrize("fl_term", S.FL_TERMS)
@pytest.mark.parametrize("n_mode", S.N_MODES)
def test_sensitivity_expressions_match_spec_table(sign, fl_term, n_mode):
    rng = np.random.default_rng(7)
    exprs = {}
    for method in S.METHODS:
        for fw in S.FRAMEWORKS:
            s = S.sensitivity(method, fw, sign, fl_term, n_mode)
            lb = S.lower_bound(method, fw, sign, fl_term, n_mode)
            assert sp.expand(s + lb - 1) == 0
            exprs[method, fw] = s
    for _ in range(2):
        v = {
            "d": 10 ** rng.uniform(4, 12),
            "p": rng.uniform(0.1, 0.9),
            "abar": rng.uniform(2, 10),
            "n": rng.uniform(2, 30),
            "trH": rng.uniform(0.5, 3),
            "c_num": rng.uniform(0.5, 2),
            "c_den": rng.uniform(0.5, 2),
            "c_f": rng.uniform(0.1, 0.5),
            "c_n": rng.uniform(0.5, 2),
        }
        subs = {
            S.d: v["d"],
            S.p: v["p"],
            S.abar: v["abar"],
            S.N: v["n"],
            S.trH: v["trH"],
            S.C_num: v["c_num"],
            S.C_den: v["c_den"],
            S.C_F: v["c_f"],
            S.C_N: v["c_n"],
        }
        for (method, fw), s in exprs.items():
            want = _spec_table(method, fw, sign, fl_term, n_mode == "given", v)
            assert float(s.subs(subs).evalf(30)) == pytest.approx(want, rel=1e-9)


def test_fixture_values_reproduce_spec_table():
    """Spec §4.9 fixture table, transcribed from the spec, to 4 significant digits."""
    spec = {
        "1e5": [2.6660e-4, 3.3322e-4, 6.0893e-4, 9.9900e-4, 1.2484e-3, 1.2516e-3, 2.2797e-3],
        "1e10": [2.6667e-8, 3.3333e-8, 3.8999e-8, 1.0000e-6, 1.2500e-6, 1.2500e-6, 1.4625e-6],
    }
    got = S.fixture_values(5)
    for key, row in spec.items():
        vals = [float(got[key][name]) for name, *_ in S.FIXTURE_COLUMNS]
        np.testing.assert_allclose(vals, row, rtol=5e-4)


# --- Eq. (37) ------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", S.METHODS)
def test_fl_theta_identification(method):
    r = S.derive_fl_theta(method, "default")
    loc = {"p": S.p, "d": S.d, "C_N": S.C_N, "trH": S.trH}
    theta = sp.sympify(r["theta_exact"], locals=loc)
    g = S.signal_coefficient(method)
    n = S.C_N * S.d ** sp.Rational(1, 20)
    # independent: the exact term against Eq. (37) evaluated numerically
    rng = np.random.default_rng(1)
    for _ in range(3):
        vals = {
            S.d: 10 ** rng.uniform(3, 9),
            S.p: rng.uniform(0.1, 0.9),
            S.C_N: rng.uniform(0.5, 2),
            S.trH: rng.uniform(0.5, 2),
        }
        gv, nv, t2 = float(g.subs(vals)), float(n.subs(vals)), float(vals[S.d]) ** 0.4
        want = gv * t2 - ((nv - 1) * gv * t2 + gv) / nv
        assert float(theta.subs(vals)) == pytest.approx(want, rel=1e-10)
    # leading exponent/coefficient against sympy.limit
    coef = sp.sympify(r["coefficient"], locals=loc)
    assert sp.Rational(r["exponent"]) == sp.Rational(7, 20)
    lim = sp.limit(theta / S.d ** sp.Rational(r["exponent"]), S.d, sp.oo)
    assert sp.simplify(lim - coef) == 0
    rem = sp.sympify(r["remainder"], locals=loc)
    used = sp.sympify(r["theta_used"], locals=loc)
    assert sp.simplify(theta - used - rem) == 0


# --- Thm 4.4 -------------------------------------------------------------------------------------
def test_leading_term_against_sympy_limit():
    s_m = S.sensitivity("mim", "decl", "-")
    s_c = S.sensitivity("cl_similar", "decl", "-")
    for expr in (sp.simplify(s_c / s_m), sp.simplify(s_m - s_c)):
        expo, coef = _leading(expr)
        assert sp.simplify(sp.limit(expr / S.d**expo, S.d, sp.oo) - coef) == 0
    r = S.check_thm44("decl", "-")
    diff = sp.simplify(s_m - s_c)
    assert sp.sympify(r["similar"]["diff_limit"]) == sp.limit(diff, S.d, sp.oo)


@pytest.mark.parametrize("framework", S.FRAMEWORKS)
@pytest.mark.parametrize("sign", S.SIGNS)
def test_thm44_outputs_consistent(framework, sign):
    r = S.check_thm44(framework, sign)
    loc = {str(s): s for s in (S.d, S.p, S.abar, S.trH, S.C_num, S.C_den, S.C_N, S.N)}
    s_m = S.sensitivity("mim", framework, sign)
    for key, method in (("similar", "cl_similar"), ("dissimilar", "cl_dissimilar")):
        out = r[key]
        ratio = sp.sympify(out["ratio"], locals=loc)
        s_c = S.sensitivity(method, framework, sign)
        vals = {
            S.d: 3.1e7,
            S.p: 0.3,
            S.abar: 4.5,
            S.trH: 1.7,
            S.C_num: 1.3,
            S.C_den: 0.8,
            S.C_N: 1.1,
        }
        assert float(ratio.subs(vals)) == pytest.approx(float((s_c / s_m).subs(vals)), rel=1e-12)
        # the leading behaviour: ratio / (coef d^expo) → 1 numerically along growing d
        expo = sp.Rational(out["ratio_leading_exponent"])
        coef = sp.sympify(out["ratio_leading_coefficient"], locals=loc)
        lead = [float((ratio / (coef * S.d**expo)).subs({**vals, S.d: dv})) for dv in (1e20, 1e40)]
        assert abs(lead[1] - 1) < abs(lead[0] - 1) + 1e-15 and abs(lead[1] - 1) < 1e-3
        # the reported approach side is the sign of s^M − s^C at a large d
        diff_big = float((s_m - s_c).subs({**vals, S.d: 1e30}))
        assert out["diff_approach"] == ("0-" if diff_big < 0 else "0+")


# --- Cor 4.5 -------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", S.METHODS)
@pytest.mark.parametrize("sign", S.SIGNS)
def test_cor45_derivative_matches_finite_difference(method, sign):
    r = S.check_cor45(method, sign)
    loc = {str(s): s for s in (S.d, S.p, S.abar, S.trH, S.C_num, S.C_den)}
    deriv = sp.sympify(r["derivative"], locals=loc)
    s = S.sensitivity(method, "decl", sign)
    f = sp.lambdify((S.abar,), s.subs({S.d: 1e6, S.p: 0.4, S.trH: 0.7, S.C_num: 1.2, S.C_den: 0.9}))
    dfun = sp.lambdify(
        (S.abar,), deriv.subs({S.d: 1e6, S.p: 0.4, S.trH: 0.7, S.C_num: 1.2, S.C_den: 0.9})
    )
    for a in (2.0, 3.5, 9.0):
        h = 1e-5
        fd = (f(a + h) - f(a - h)) / (2 * h)
        assert dfun(a) == pytest.approx(fd, rel=1e-5)
        want = "negative" if dfun(a) < 0 else "positive"
        assert r["derivative_sign_where_defined"] == want


def test_cor45_definedness_condition():
    r = S.check_cor45("cl_similar", "-")
    assert isinstance(r["bound_defined_on_paper_range"], list)
    threshold = float(
        sp.sympify(
            r["bound_defined_on_paper_range"][0].split(">")[1], locals={"C_den": S.C_den}
        ).subs(S.C_den, 1.5)
    )
    den = sp.lambdify(
        (S.d,), S.denominator("cl_similar", "decl", "-").subs({S.abar: 2, S.C_den: 1.5})
    )
    assert den(threshold * 1.01) > 0 > den(threshold * 0.99)
    assert S.check_cor45("mim", "+")["bound_defined_on_paper_range"] == "always"


# --- Thm 4.6 -------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", S.METHODS)
@pytest.mark.parametrize("sign", S.SIGNS)
@pytest.mark.parametrize("n_mode", S.N_MODES)
def test_thm46_threshold_matches_numeric_ordering(method, sign, n_mode):
    r = S.check_thm46(method, sign, "eq37", n_mode)
    loc = {str(s): s for s in (S.d, S.p, S.abar, S.trH, S.C_num, S.C_den, S.C_N, S.N)}
    thr = sp.sympify(r["abar_threshold"], locals=loc)
    vals = {S.d: 2.0e6, S.p: 0.6, S.trH: 1.4, S.C_num: 1.0, S.C_den: 3.0, S.C_N: 4.0, S.N: 7.0}
    t = float(thr.subs(vals))
    s_dec = S.sensitivity(method, "decl", sign, "eq37", n_mode).subs(vals)
    s_fed = S.sensitivity(method, "fl", sign, "eq37", n_mode).subs(vals)
    for a in (0.9 * t, 0.999 * t, 1.001 * t, 1.1 * t):
        if a < 1.5:
            continue
        diff = float((s_dec - s_fed).subs(S.abar, a))
        assert (diff >= 0) == (a <= t)
    n_val = float(S.n_clients(n_mode).subs(vals))
    gap_n = float(sp.sympify(r["gap_at_abar_eq_N"], locals=loc).subs(vals))
    direct = S.denominator(method, "fl", sign, "eq37", n_mode) - S.denominator(
        method, "decl", sign, "eq37", n_mode
    )
    assert gap_n == pytest.approx(float(direct.subs(vals).subs(S.abar, n_val)), abs=1e-9)


# --- golden file ---------------------------------------------------------------------------------
def _same(a, b, path=""):
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for k in a:
            _same(a[k], b[k], f"{path}/{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{path}[{i}]")
    elif path.startswith("/fixtures"):
        assert float(a) == pytest.approx(float(b), rel=1e-4), path
    elif path == "/_about":
        assert a == b
    else:
        loc = {str(s): s for s in (S.d, S.p, S.abar, S.trH, S.C_num, S.C_den, S.C_N, S.N)}
        assert sp.simplify(sp.sympify(a, locals=loc) - sp.sympify(b, locals=loc)) == 0, path


def test_golden_file_regression():
    committed = json.loads(GOLDEN.read_text())
    _same(S.golden(), committed)


def test_golden_named_constants():
    g = json.loads(GOLDEN.read_text())
    assert sp.Rational(g["kappa_p_3_4"]) == sp.Rational(3, 8)
    assert sp.Rational(g["ratio_leading_exponent"]) == sp.Rational(1, 5)
    assert sp.Rational(g["eq66_leading_exponent"]) == sp.Rational(-3, 5)
    assert {sp.Rational(x) for x in g["theta_exponent"].values()} == {sp.Rational(7, 20)}
    assert sp.sympify(g["kappa_d_fifth_at_fixtures"]["1e5"]) == sp.Rational(15, 4)
    assert sp.sympify(g["kappa_d_fifth_at_fixtures"]["1e10"]) == sp.Rational(75, 2)
    p = S.p
    assert sp.simplify(sp.sympify(g["mask_offdiag"], locals={"p": p}) - p * (1 - p)) == 0
    assert sp.sympify(g["mask_diag"]) == 0
