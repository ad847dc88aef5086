"""The claims registry computes verdicts from evidence; these tests check the computation.

No test here asserts that a claim of the paper holds or fails: they check that every claim is
present, that the numbers behind a verdict agree with independent computations, and that the
verdict is the right function of those numbers (by injecting bounds that must flip it).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

from sims.cli import main
from theory import claims as cl
from theory import objectives, symbolic, topology

SMALL = cl.VerifyConfig(d=40, n_clients=4, d_sweep=(20, 40))


@pytest.fixture(scope="module")
def rows():
    return {r["id"]: r for r in cl.evaluate(SMALL)}


def test_every_claim_has_a_verdict_word_per_track(rows):
    assert tuple(rows) == cl.CLAIM_IDS
    for r in rows.values():
        for track in ("track_a", "track_b", "track_c"):
            assert r[track] in cl.VERDICTS
            assert r["evidence"][track]["verdict"] == r[track]
        assert r["track_c"] == "not-run"
    json.dumps(list(rows.values()))  # JSON-ready


def test_bound_numbers_match_sympy_evalf(rows):
    """The Track A lower bound in the evidence is the sympy formula evaluated at the config."""
    expr = symbolic.lower_bound("mim", "local")
    want = float(
        expr.subs(
            {
                symbolic.d: SMALL.d,
                symbolic.p: sp.Rational(3, 4),
                symbolic.C_num: 1,
                symbolic.C_den: 1,
            }
        ).evalf()
    )
    got = rows["thm4.2.local"]["evidence"]["track_a"]["numbers"]["lower_bound"]
    assert got == pytest.approx(want, rel=1e-12)


def test_exact_rv_numbers_match_numpy_eigh(rows):
    """Track B's FL RV equals an independent numpy computation of the FL optimum's RV."""
    model = SMALL.model()
    targets = objectives.population_targets(model, "cl", p=SMALL.p)
    lam, vec = np.linalg.eigh(targets.mean(axis=0))
    top = vec[:, np.argsort(lam)[::-1][: model.c]]
    rv = np.sum(top**2, axis=1)[: model.n_clients]
    got = rows["thm4.3.fl"]["evidence"]["track_b"]["numbers"]["cl"]["rv_N"]
    np.testing.assert_allclose(got, rv, atol=1e-6)


def test_decl_uses_eq1_weights_of_the_graph(rows):
    star = topology.make_graph("star", 4)
    pi = topology.mixing_matrix("uniform", star).sum(axis=0) / 4
    got = rows["eq29-30"]["evidence"]["track_b"]["numbers"]["pi_objective"]
    np.testing.assert_allclose(got, pi, atol=1e-6)
    np.testing.assert_allclose(pi, [0.4375, 0.1875, 0.1875, 0.1875])


@pytest.mark.parametrize("lb, expected", [(0.0, "vacuous"), (1e-3, "holds"), (1.5, "violated")])
def test_bound_verdict_is_a_function_of_rv_and_bound(monkeypatch, lb, expected):
    """Inject a bound: RV ∈ [0, 1], so LB = 1e-3 … must hold unless an RV is 0; 1.5 must fail."""
    monkeypatch.setattr(cl, "_paper_lb", lambda *a, **k: lb)
    ev = cl.REGISTRY["thm4.3.fl"].track_b(SMALL)
    assert ev.verdict == expected
    assert ev.numbers["cl"]["lower_bound"] == lb


def test_track_a_vacuous_when_bound_undefined(monkeypatch):
    monkeypatch.setattr(cl, "_paper_lb", lambda *a, **k: float("nan"))
    assert cl.REGISTRY["thm4.2.local"].track_a(SMALL).verdict == "vacuous"


def test_track_c_evidence_is_passed_through():
    ev = cl.Evidence("violated", {"ratio": 1.3}, "injected")
    out = cl.evaluate(SMALL, claims=("thm4.6",), track_c={"thm4.6": ev})
    assert out[0]["track_c"] == "violated"
    assert out[0]["evidence"]["track_c"]["numbers"] == {"ratio": 1.3}


def test_evidence_rejects_unknown_verdict():
    with pytest.raises(ValueError, match="verdict"):
        cl.Evidence("maybe", {})


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"p": 1.5}, "p"),
        ({"d": 5, "n_clients": 4}, "d"),
        ({"n_clients": 1}, "n_clients"),
        ({"graph": "mesh"}, "graph"),
        ({"c_num": 0.0}, "c_num"),
        ({"sign": "±"}, "sign"),
    ],
)
def test_config_validation(kwargs, field):
    with pytest.raises(ValueError, match=f"^{field}"):
        cl.VerifyConfig(**kwargs)


def test_cli_verify_json(capsys):
    rc = main(["verify", "--d", "40", "--d-sweep", "20,40", "--claims", "eq17,thm4.6", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert [c["id"] for c in out["claims"]] == ["eq17", "thm4.6"]
    for c in out["claims"]:
        assert {c["track_a"], c["track_b"], c["track_c"]} <= set(cl.VERDICTS)


@pytest.mark.parametrize(
    "argv, field",
    [
        (["--p", "0"], "p"),
        (["--d", "6"], "d"),
        (["--claims", "thm9"], "claim"),
        (["--d-sweep", "a,b"], "d-sweep"),
        (["--c-den", "-1"], "c_den"),
    ],
)
def test_cli_verify_bad_input(capsys, argv, field):
    rc = main(["verify", *argv, "--json"])
    err = capsys.readouterr().err
    assert rc == 2
    assert len(err.strip().splitlines()) == 1 and field in err


def test_cli_verify_with_simulations_fills_track_c(capsys):
    """`--simulate fast` runs sims.evidence and its verdicts reach the table (words only)."""
    rc = main(
        [
            "verify",
            "--d",
            "16",
            "--d-sweep",
            "16",
            "--claims",
            "eq17",
            "--simulate",
            "fast",
            "--json",
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    row = out["claims"][0]
    assert row["track_c"] in cl.VERDICTS and row["track_c"] != "not-run"
    assert row["evidence"]["track_c"]["numbers"]
