"""Lambdified, jitted Track A bounds (theory/bounds.py) against sympy ``evalf``."""

from __future__ import annotations

import json
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tests.conftest import count_compiles
from theory import bounds as B
from theory import symbolic as S

GOLDEN = pathlib.Path(__file__).parent / "golden" / "track_a.json"
SYMS = dict(
    zip(B.ARGS, (S.d, S.p, S.abar, S.N, S.trH, S.C_num, S.C_den, S.C_F, S.C_N), strict=True)
)


def _points(seed, m=4):
    rng = np.random.default_rng(seed)
    return {
        "d": 10 ** rng.uniform(2, 12, m),
        "p": rng.uniform(0.05, 0.95, m),
        "abar": rng.uniform(2, 20, m),
        "n": rng.uniform(2, 50, m),
        "trH": rng.uniform(0.2, 5, m),
        "c_num": rng.uniform(0.2, 5, m),
        "c_den": rng.uniform(0.2, 5, m),
        "c_f": rng.uniform(0.01, 0.2, m),
        "c_n": rng.uniform(0.5, 3, m),
    }


def _evalf(expr, pts, i):
    return float(expr.subs({SYMS[k]: float(pts[k][i]) for k in B.ARGS}).evalf(30))


def test_recorded_argument_order():
    assert B.ARGS == ("d", "p", "abar", "n", "trH", "c_num", "c_den", "c_f", "c_n")


@pytest.mark.parametrize("sign", B.SIGNS)
@pytest.mark.parametrize("fl_term", B.FL_TERMS)
@pytest.mark.parametrize("n_given", [False, True])
def test_kernel_matches_evalf(sign, fl_term, n_given):
    pts = _points(B.SIGNS.index(sign) + 2 * B.FL_TERMS.index(fl_term) + 4 * int(n_given))
    args = [jnp.asarray(pts[k]) for k in B.ARGS]
    s, den, theta = B.kernel(sign, fl_term, n_given)(*args)
    n_mode = "given" if n_given else "default"
    for key, vals in s.items():
        method, fw = key.split("/")
        assert vals.dtype == jnp.float64
        e_s = S.sensitivity(method, fw, sign, fl_term, n_mode)
        e_den = S.denominator(method, fw, sign, fl_term, n_mode)
        for i in range(len(pts["d"])):
            want_den = _evalf(e_den, pts, i)
            assert float(den[key][i]) == pytest.approx(want_den, rel=1e-10)
            scale = abs(want_den) / (abs(want_den) + pts["c_den"][i] * pts["d"][i] ** -0.2)
            if scale > 1e-3:  # away from cancellation in the denominator
                assert float(vals[i]) == pytest.approx(_evalf(e_s, pts, i), rel=1e-9)
    for method, vals in theta.items():
        e = S.fl_theta_term(method, fl_term, n_mode)
        for i in range(len(pts["d"])):
            assert float(vals[i]) == pytest.approx(_evalf(e, pts, i), rel=1e-11)


@pytest.mark.parametrize("kind", B.KINDS)
@pytest.mark.parametrize("jit", [True, False])
def test_bound_function_matches_evalf(kind, jit):
    pts = _points(11, m=4)
    args = [jnp.asarray(pts[k]) for k in B.ARGS]
    builder = {
        "sensitivity": S.sensitivity,
        "lower_bound": S.lower_bound,
        "denominator": S.denominator,
    }[kind]
    for method, fw, sign in (("mim", "fl", "+"), ("cl_dissimilar", "decl", "-")):
        f = B.bound_function(method, fw, kind=kind, sign=sign)
        if jit:
            got = f(*args)
        else:
            with jax.disable_jit():
                got = f(*args)
        expr = builder(method, fw, sign, "eq37", "default")
        want = [_evalf(expr, pts, i) for i in range(4)]
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-10)


def test_vmap_and_vectorised_agree():
    f = B.bound_function("cl_similar", "fl", sign="+")
    ds = jnp.logspace(3.0, 12.0, 9)
    consts = [jnp.asarray(x) for x in (0.75, 5.0, 3.0, 1.5, 1.0, 1.0, 1.0, 1.0)]
    vec = f(ds, *consts)
    mapped = jax.vmap(lambda d: f(d, *consts))(ds)
    np.testing.assert_allclose(np.asarray(mapped), np.asarray(vec), rtol=1e-14)
    via_api = B.sensitivity("cl_similar", "fl", d=np.asarray(ds), p=0.75, abar=5.0)
    np.testing.assert_allclose(np.asarray(via_api), np.asarray(vec), rtol=1e-14)


def test_evaluate_compiles_once_per_shape():
    d = np.logspace(3, 9, 7)
    with count_compiles("track_a_bounds") as c1:
        B.evaluate(d=d, p=0.6, abar=3.0, sign="-", fl_term="theta")
    with count_compiles("track_a_bounds") as c2:
        B.evaluate(d=d * 2, p=0.4, abar=4.0, sign="-", fl_term="theta")
    assert c1.count <= 1
    assert c2.count == 0


def test_spec_fixture_table():
    """Spec §4.9 fixtures (constants 1, p = 0.75, |Ā| = 5, N = d^{1/20}), 4 significant digits."""
    spec = {
        1e5: [2.6660e-4, 3.3322e-4, 6.0893e-4, 9.9900e-4, 1.2484e-3, 1.2516e-3, 2.2797e-3],
        1e10: [2.6667e-8, 3.3333e-8, 3.8999e-8, 1.0000e-6, 1.2500e-6, 1.2500e-6, 1.4625e-6],
    }
    golden = json.loads(GOLDEN.read_text())["fixtures"]
    for d, row in spec.items():
        got = [
            float(B.sensitivity(m, fw, d=d, p=0.75, abar=5, sign=sign))
            for _, m, fw, sign in S.FIXTURE_COLUMNS
        ]
        np.testing.assert_allclose(got, row, rtol=5e-4)
        gold = golden[f"1e{int(round(np.log10(d)))}"]
        np.testing.assert_allclose(
            got, [float(gold[name]) for name, *_ in S.FIXTURE_COLUMNS], rtol=1e-4
        )
    ratio = float(B.sensitivity("cl_similar", "local", d=1e10, p=0.75)) / float(
        B.sensitivity("mim", "local", d=1e10, p=0.75)
    )
    assert ratio == pytest.approx(37.5, rel=1e-3)  # κ d^{1/5} of the formula
    # (docs/theory/track_a.md §1)


def test_sensitivities_structure_and_lower_bound():
    s = B.sensitivities(d=1e6, p=0.5, abar=4.0, n=9.0, trH=2.0)
    assert set(s) == {"mim", "cl_similar", "cl_dissimilar"}
    for m in s:
        assert set(s[m]) == {"local", "decl", "fl"}
        for fw in s[m]:
            lb = B.lower_bound(m, fw, d=1e6, p=0.5, abar=4.0, n=9.0, trH=2.0)
            assert float(lb) == pytest.approx(1 - float(s[m][fw]), rel=1e-14)
    no_abar = B.evaluate(d=1e6, p=0.5)
    assert np.isnan(float(no_abar["sensitivity"]["mim"]["decl"]))
    assert bool(no_abar["undefined"]["mim"]["decl"])


def test_vacuous_and_undefined_flags():
    # |Ā| = 1: the DecL Den vanishes. "+O": s = C_num/C_den (= 1 → LB = 0, vacuous);
    # "−O": denominator −C_den d^{−e} < 0 (undefined).
    r = B.evaluate(d=1e4, p=0.5, abar=1.0, sign="-", fl_term="theta", constants={"c_f": 10.0})
    for m in B.METHODS:
        den = np.asarray(r["denominator"][m]["decl"])
        assert bool(r["undefined"][m]["decl"]) == bool(den <= 0)
        assert bool(r["vacuous"][m]["decl"])
        # FL with a large C_F: Den = g d^{2/5} − 10 d^{7/20} ± ... — flag follows the sign
        den_fl = float(r["denominator"][m]["fl"])
        assert bool(r["undefined"][m]["fl"]) == (den_fl <= 0)
    for m in B.METHODS:  # local bounds stay informative
        assert not bool(r["vacuous"][m]["local"])
        assert float(r["lower_bound"][m]["local"]) > 0


def test_n_resolution():
    assert float(B.resolve_n(1e20)) == pytest.approx(10.0, rel=1e-12)
    assert float(B.resolve_n(1e20, c_n=2.0)) == pytest.approx(20.0, rel=1e-12)
    assert float(B.resolve_n(1e20, n=7)) == 7.0
    r = B.evaluate(d=1e20, p=0.5, abar=3.0)
    assert float(r["n"]) == pytest.approx(10.0, rel=1e-12)
    given = B.sensitivity("mim", "fl", d=1e20, p=0.5, n=10.0)
    default = B.sensitivity("mim", "fl", d=1e20, p=0.5)
    assert float(given) == pytest.approx(float(default), rel=1e-12)


def test_configuration_warnings():
    w = B.configuration_warnings(d=1e5, abar=5.0)
    assert any("abar" in line and "N =" in line for line in w)
    assert any(line.startswith("N = ") and "< 2" in line for line in w)
    assert B.configuration_warnings(d=1e5, abar=2.0, n=2.0) == []
    # N = 10 at d = 1e5 is on the paper's curve with its own constant C_N = 10 / 1e5^(1/20)
    assert B.configuration_warnings(d=1e5, abar=5.0, n=10.0, c_n=10.0 / 1e5**0.05) == []
    assert any("< 2" in line for line in B.configuration_warnings(d=1e5, abar=1.5, n=10.0))
    # d >= 2N: the data model's class and rare axes
    assert any(line.startswith("d = 3 < 2N = 40") for line in B.configuration_warnings(d=3, n=20))
    assert any("< 2N" in line for line in B.configuration_warnings(d=100, n=1e300))
    assert not any("< 2N" in line for line in B.configuration_warnings(d=40, n=20))


def test_configuration_warnings_flag_n_off_the_theta_curve():
    """N = Θ(d^{1/20}) with the configured C_N: the counts on the curve are the integers
    nearest C_N d^{1/20} (1.778 at d = 1e5, C_N = 1); N = 20 there is flagged with the
    constant it implies, 20 / 1e5^(1/20), and the d at which it is on the curve, 20^20."""
    w = B.configuration_warnings(d=1e5, abar=5.0, n=20.0)
    theta = [line for line in w if "Theta(d^(1/20))" in line]
    assert len(theta) == 1, w
    assert f"C_N = {20.0 / 10**0.25:.4g}" in theta[0]  # 11.25
    assert f"d = {20.0**20:.4g}" in theta[0]
    # integers nearest the curve pass, one further is flagged
    for n, flagged in ((2.0, False), (2.7, False), (3.0, True), (20.0, True)):
        got = B.configuration_warnings(d=1e5, n=n)
        assert any("Theta(d^(1/20))" in line for line in got) == flagged, (n, got)
    # on the curve: d = 1e20, N = 10; with N resolved from C_N there is nothing to flag
    assert B.configuration_warnings(d=1e20, n=10.0) == []
    assert not any("Theta" in line for line in B.configuration_warnings(d=1e5, c_n=3.0))
    # arrays: the first point off the curve is named
    w = B.configuration_warnings(d=np.array([1e20, 1e5]), n=10.0)
    assert len(w) == 1 and "at d = 1e+05" in w[0]


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"d": 0.0}, "d"),
        ({"d": -5.0}, "d"),
        ({"d": np.array([10.0, 0.5])}, "d"),
        ({"d": float("nan")}, "d"),
        ({"p": 0.0}, "p"),
        ({"p": 1.0}, "p"),
        ({"p": 1.5}, "p"),
        ({"abar": 0.5}, "abar"),
        ({"n": 1.0}, "n"),
        ({"trH": 0.0}, "trH"),
        ({"trH": -1.0}, "trH"),
        ({"constants": {"c_num": 0.0}}, "c_num"),
        ({"constants": {"c_f": -1.0}}, "c_f"),
        ({"constants": {"c_x": 1.0}}, "constants"),
        ({"sign": "+-"}, "sign"),
        ({"fl_term": "exact"}, "fl_term"),
    ],
)
def test_validation_errors(kwargs, field):
    params = {"d": 1e5, "p": 0.75, "abar": 5.0, **kwargs}
    with pytest.raises(ValueError, match=f"^{field}: "):
        B.sensitivity("mim", "decl", **params)


def test_validation_of_names_and_missing_abar():
    with pytest.raises(ValueError, match="^method: "):
        B.sensitivity("byol", "local", d=1e5, p=0.5)
    with pytest.raises(ValueError, match="^framework: "):
        B.sensitivity("mim", "gossip", d=1e5, p=0.5)
    with pytest.raises(ValueError, match="^abar: "):
        B.sensitivity("mim", "decl", d=1e5, p=0.5)
    with pytest.raises(ValueError, match="^d: "):
        B.sensitivities(p=0.5)


def test_keyword_constants_equal_mapping():
    kw = {"c_num": 2.0, "c_den": 0.5, "c_f": 0.3, "c_n": 3.0}
    for fw in B.FRAMEWORKS:
        a = B.lower_bound("cl_dissimilar", fw, d=1e7, p=0.4, abar=3.0, trH=2.0, **kw)
        b = B.lower_bound("cl_dissimilar", fw, d=1e7, p=0.4, abar=3.0, trH=2.0, constants=kw)
        assert float(a) == float(b)
    with pytest.raises(ValueError, match="^c_den: "):
        B.evaluate(d=1e7, p=0.4, c_den=-1.0)
