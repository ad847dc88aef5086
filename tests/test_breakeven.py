"""theory.constants: break-even constants solve LB(C) = r (checked with theory.bounds), growth."""

import numpy as np
import pytest

from theory import bounds
from theory import constants as C
from theory import structured as st
from theory.datamodel import DataModel

CASES = [
    (method, framework, reading)
    for method in ("mim", "cl_similar", "cl_dissimilar")
    for framework in ("local", "decl", "fl")
    for reading in C.READINGS
    if C.breakeven_expression(method, framework, reading) is not None
]


def _lb(method, framework, reading, value, *, d, p, abar, n, trH, sign="+"):
    """The bound of theory.bounds with the constant ``reading`` set to ``value``."""
    consts = {"c_num": 1.0, "c_den": 1.0, "c_f": 1.0, "c_n": 1.0, reading: value}
    kw = dict(d=d, p=p, trH=trH, constants=consts, sign=sign)
    if framework == "decl":
        kw["abar"] = abar
    if reading == "c_f":
        kw["fl_term"] = "theta"
    if reading != "c_n":
        kw["n"] = n
    return float(bounds.lower_bound(method, framework, **kw))


def test_every_reading_is_covered():
    got = {(m, f, r) for m, f, r in CASES}
    for method in ("mim", "cl_similar", "cl_dissimilar"):
        for framework in ("local", "decl", "fl"):
            assert (method, framework, "c_num") in got and (method, framework, "c_den") in got
        assert (method, "fl", "c_f") in got and (method, "fl", "c_n") in got
        assert (method, "local", "c_f") not in got and (method, "decl", "c_n") not in got


@pytest.mark.parametrize("method, framework, reading", CASES)
@pytest.mark.parametrize("d", [1e4, 1e9])
def test_breakeven_solves_the_bound(method, framework, reading, d):
    """LB(C*) = r, evaluated by theory.bounds (the jitted Track A path), for several r."""
    p, abar, n, trh = 0.6, 2.5, 4.0, 3.0
    for r in (0.2, 0.9, 0.999):
        cstar = float(
            C.breakeven(method, framework, reading, d=d, r=r, p=p, abar=abar, n=n, trH=trh)[()]
        )
        if not np.isfinite(cstar) or cstar <= 0:
            continue  # no positive constant: checked by the monotonicity test below
        lb = _lb(method, framework, reading, cstar, d=d, p=p, abar=abar, n=n, trH=trh)
        assert lb == pytest.approx(r, abs=1e-7 * max(1.0, cstar))  # cancellation near Den ≈ 0


@pytest.mark.parametrize("method, framework, reading", CASES)
def test_direction_matches_bounds(method, framework, reading):
    """LB decreases in C for direction 'C >= C*' and increases for 'C <= C*' (theory.bounds)."""
    _, direction = C.breakeven_expression(method, framework, reading)
    kw = dict(d=1e8, p=0.75, abar=2.5, n=4.0, trH=2.0)
    a, b = (0.1, 0.3) if reading == "c_f" else (0.5, 2.0)  # keep Den > 0 (a valid bound)
    lo = _lb(method, framework, reading, a, **kw)
    hi = _lb(method, framework, reading, b, **kw)
    assert (hi < lo) if direction < 0 else (hi > lo)


def test_sign_minus_for_cl_decl():
    expr_p, dir_p = C.breakeven_expression("cl_similar", "decl", "c_den", "+")
    expr_m, dir_m = C.breakeven_expression("cl_similar", "decl", "c_den", "-")
    assert dir_p == 1 and dir_m == -1
    cstar = float(C.breakeven("cl_similar", "decl", "c_den", d=1e8, r=0.9, abar=3.0, sign="-"))
    lb = _lb(
        "cl_similar", "decl", "c_den", cstar, d=1e8, p=0.75, abar=3.0, n=4.0, trH=1.0, sign="-"
    )
    assert lb == pytest.approx(0.9, abs=1e-9)


def test_closed_form_mim_local_c_num():
    """C*_num = (1 − r)(κ d^{4/5} + C_den) with κ = 2p(1 − p): exponent → 4/5."""
    ds = np.array([1e4, 1e8, 1e12, 1e16, 1e20])
    got = C.breakeven("mim", "local", "c_num", d=ds, r=1 / 3, p=0.75)
    want = (2 / 3) * (0.375 * ds**0.8 + 1.0)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert C.growth_exponent(ds, want) == pytest.approx(0.8, abs=1e-3)


def test_growth_exponent_power_laws():
    ds = np.logspace(4, 20, 9)
    for x in (-0.5, 0.0, 0.05, 1.2):
        assert C.growth_exponent(ds, 3.0 * ds**x) == pytest.approx(x, abs=1e-12)
    assert np.isnan(C.growth_exponent(ds, -ds))


def test_status_rules_on_constructed_values():
    ds = np.logspace(4, 20, 5)
    no = np.zeros(5, bool)
    grow, flat, shrink = ds**0.3, np.full(5, 2.0), ds**-0.3
    assert C._status(grow, -1, no, 0.3).startswith("degenerates")
    assert C._status(flat, -1, no, 0.0) == "bounded"
    assert C._status(-flat, -1, no, np.nan) == "holds for every constant"
    assert C._status(shrink, 1, no, -0.3).startswith("degenerates")
    assert C._status(-flat, 1, no, np.nan) == "degenerates (no positive constant)"
    assert C._status(grow, 1, no, 0.3) == "bounded"
    assert C._status(grow, -1, np.ones(5, bool), 0.3) == "holds for every constant"


def test_asymptotic_verdict_uses_the_exact_model():
    """The r of the verdict is the structured model's worst min RV; C* is the closed form."""
    ds = [10**4, 10**10, 10**20]
    out = C.asymptotic_verdict("mim", "fl", exact_method="mim", ds=ds, n_clients=4)
    for i, d in enumerate(ds):
        r = st.solve(DataModel(d=d, n_clients=4), "mim")
        assert out["r"][i] == pytest.approx(1.0 - r.gap[1], abs=1e-15)
    want = C.breakeven("mim", "fl", "c_num", d=np.array(ds, float), r=out["r"], n=4.0)
    np.testing.assert_allclose(out["readings"]["c_num"]["cstar"], want)
    assert set(out["readings"]) == {"c_num", "c_den", "c_f", "c_n"}
    assert out["label"] in ("violated (asymptotically)", "not violated asymptotically")
    all_degenerate = all(x["status"].startswith("degenerates") for x in out["readings"].values())
    assert (out["label"] == "violated (asymptotically)") == all_degenerate


def test_joint_scaling_and_bad_input():
    out = C.asymptotic_verdict("cl_similar", "decl", ds=[10**4, 10**20], c_n=1.0, graph="star")
    assert out["n"] == [2, 10]
    with pytest.raises(ValueError, match="^exact_method: "):
        C.asymptotic_verdict("mim", "local", exact_method="cl")
    with pytest.raises(ValueError, match="^reading: "):
        C.breakeven_expression("mim", "local", "c_x")


def test_all_verdicts_transforms():
    ds = [10**4, 10**20]
    out = C.all_verdicts(transforms=("identity", "block-rotation"), ds=ds)
    diss = [o for o in out if o["method"] == "cl_dissimilar"]
    assert len(out) == 21 and len(diss) == 6
    assert {o["transform"] for o in diss} == {"identity", "block-rotation"}
    assert all(o["transform"] is None for o in out if o["method"] != "cl_dissimilar")
    rot = next(o for o in diss if o["transform"] == "block-rotation" and o["framework"] == "fl")
    r = st.solve(DataModel(d=10**20, n_clients=4), "cl-dissimilar", H="block-rotation")
    assert rot["r"][-1] == pytest.approx(1.0 - r.gap[1], abs=1e-15)


def test_exponents_of_constant_rv_readings_come_from_the_closed_form():
    """Where the exact RV is the same at every d (Eq. 4 MIM), the growth exponent of the
    break-even constant is the limit of the sympy closed form, not a fit: exactly 4/5 for
    C_num, 1/20 for C_F and -1/20 for C_N; the fit over [1e4, 1e20] agrees to 1e-4."""
    from theory import constants as C

    want = {"c_num": "4/5", "c_f": "1/20", "c_n": "-1/20"}
    for framework in ("local", "decl", "fl"):
        out = C.asymptotic_verdict("mim", framework)
        for reading, x in out["readings"].items():
            if reading not in want:
                continue
            assert x["exponent_source"] == "closed form"
            assert x["exponent_exact"] == want[reading]
            fit = C.growth_exponent(out["d"], x["cstar"])
            assert abs(fit - x["exponent"]) < 1e-4
    # r moves with d under a block rotation of the signal block but settles below 1: the
    # exponent is the closed form's (3/5 for CL), labelled with r's limit; the fit agrees
    out = C.asymptotic_verdict("cl_dissimilar", "local", H="block-rotation")
    x = out["readings"]["c_num"]
    assert x["exponent_source"].startswith("closed form, r -> ") and x["exponent_exact"] == "3/5"
    assert abs(C.growth_exponent(out["d"], x["cstar"]) - 0.6) < 1e-3
    # with the settling check removed (r not settled), the label is a fit again
    short = C.asymptotic_verdict("cl_dissimilar", "local", H="block-rotation",
                                 ds=[10**4, 10**5, 10**6])  # fmt: skip
    assert short["readings"]["c_num"]["exponent_source"] == "fit"
