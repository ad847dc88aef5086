"""`dssl exact`: keys, shapes, facts of the exact computation, and bad input."""

import json
import subprocess
import sys

import numpy as np
import pytest

from sims.cli import main
from theory import datamodel as dm
from theory import objectives as ob
from theory import solve as so


def _run(capsys, *argv):
    code = main(["exact", "--json", *argv])
    out = capsys.readouterr()
    return code, (json.loads(out.out) if code == 0 else None), out.err


def test_mim_population_keys_and_values(capsys):
    code, res, _ = _run(capsys, "--method", "mim", "--d", "40", "--n-clients", "4", "--c", "8")
    assert code == 0 and res["path"] == "structured"
    for key in ("local", "fl", "decl", "decl_stationary", "paper_decl", "rv_coords", "graph"):
        assert key in res
    for key in ("rv_min", "rv_max", "rv_rest", "s_N", "s_c", "gap", "rank", "tied", "exact"):
        assert key in res["fl"]
    assert len(res["local"]) == 4 and all(len(o["rv_min"]) == 8 for o in res["local"])
    # the exact hollow target of our model has rank 1 on every client (a fact of OUR matrices)
    assert res["rank"]["local"] == [1, 1, 1, 1]
    model = dm.DataModel(d=40, n_clients=4, c=8)
    X = ob.population_targets(model, "mim")
    want = so.representability_vector(so.eckart_young(X.mean(0), 8))[:8]
    np.testing.assert_allclose(res["fl"]["rv_min"], want, atol=1e-12)
    np.testing.assert_allclose(res["fl"]["rv_max"], want, atol=1e-12)
    assert len(res["sensitivity_N"]["local"]) == 4


def test_dense_path_keeps_the_old_output(capsys):
    code, res, _ = _run(capsys, "--method", "mim", "--d", "40", "--n-clients", "4", "--dense")
    assert code == 0 and res["path"] == "dense"
    for key in ("local_rv", "fl_rv", "sensitivity_N", "sensitivity_c", "eigenvalues"):
        assert key in res
    code, res2, _ = _run(capsys, "--method", "mim", "--d", "40", "--n-clients", "4")
    np.testing.assert_allclose(res["fl_rv"], res2["fl"]["rv_min"], atol=1e-10)


def test_decl_and_paper_variant(capsys):
    code, res, _ = _run(
        capsys, "--method", "mim-paper", "--d", "24", "--n-clients", "4", "--graph", "star"
    )
    assert code == 0 and res["decl"] is not None and res["paper_decl"] is not None
    np.testing.assert_allclose(res["graph"]["decl_weights"], [0.4375, 0.1875, 0.1875, 0.1875])
    assert "decl" in res["sensitivity_N"] and "decl_stationary" in res["sensitivity_c"]
    Xp = so.paper_decl_target(
        ob.population_targets(dm.DataModel(d=24, n_clients=4), "mim-paper"), res["graph"]["abar"]
    )
    rp = so.representability_vector(so.eckart_young(Xp, 8))[:8]
    assert np.all(np.asarray(res["paper_decl"]["rv_min"]) <= rp + 1e-10)
    assert np.all(rp <= np.asarray(res["paper_decl"]["rv_max"]) + 1e-10)


@pytest.mark.parametrize("method", ["cl", "cl-dissimilar", "mim-independent", "mim-recon"])
def test_other_methods_run(capsys, method):
    dense, structured = ["--dense"], []
    if method == "cl-dissimilar":  # only it has a transform H (refused with the others)
        dense, structured = (
            ["--transform", "rotation", "--dense"],
            ["--transform", "block-rotation"],
        )
    code, res, _ = _run(capsys, "--method", method, "--d", "16", "--n-clients", "3", *dense)
    assert code == 0 and len(res["fl_rv"]) == 6
    code, res, _ = _run(capsys, "--method", method, "--d", "16", "--n-clients", "3", *structured)
    assert code == 0 and len(res["fl"]["rv_min"]) == 6


@pytest.mark.parametrize("d", ["1e12", "1e20", "1000000000000"])
def test_any_d(capsys, d):
    code, res, _ = _run(capsys, "--method", "cl", "--d", d)
    assert code == 0 and res["d"] == int(float(d)) and res["seconds"] < 10
    assert sum(res["fl"]["multiplicities"]) <= res["d"]
    assert res["fl"]["rank"] == 8 and res["fl"]["tied"] is True


@pytest.mark.parametrize(
    "argv, text",
    [
        (["--d", "1e12.5"], "d: must be an integer-valued"),
        (["--d", "400.5"], "d: must be an integer-valued"),
        (["--d", "1e31"], "d: must be an integer-valued"),
        (["--d", "abc"], "d: must be an integer-valued"),
        (["--d", "1e6", "--dense"], "d: must be <= 4000"),
        (["--d", "40", "--transform", "rotation"], "transform: "),
        (["--d", "40", "--transform", "block-rotation", "--dense"], "transform: "),
    ],
)
def test_bad_d_and_transform_one_line(capsys, argv, text):
    code = main(["exact", "--json", "--method", "cl-dissimilar", *argv])
    err = capsys.readouterr().err
    assert code == 2 and text in err and err.count("\n") == 1


def test_finite_sample(capsys):
    pytest.importorskip("sims.data")
    code, res, _ = _run(
        capsys, "--method", "mim", "--d", "12", "--n-clients", "3", "--samples", "50", "--seed", "1"
    )
    assert code == 0 and res["samples"] == 50


@pytest.mark.parametrize(
    "argv, field",
    [
        (["--d", "5", "--n-clients", "3"], "d"),
        (["--c", "0"], "c"),
        (["--d", "10", "--c", "11"], "c"),
        (["--p", "1.0"], "p"),
        (["--p", "0"], "p"),
        (["--tau", "0"], "tau"),
        (["--mu", "-1"], "mu"),
        (["--n-clients", "1"], "n_clients"),
        (["--method", "pca"], "method"),
    ],
)
def test_bad_input_exit_2(capsys, argv, field):
    code = main(
        ["exact", "--json", "--d", "20", *argv] if "--d" not in argv else ["exact", "--json", *argv]
    )
    err = capsys.readouterr().err
    named = field in err or field.replace("_", "-") in err  # API field or CLI flag
    assert code == 2 and named and err.count("\n") == 1 and "Traceback" not in err


def test_disconnected_graph_exit_2(capsys, monkeypatch):
    topology = pytest.importorskip("theory.topology")
    monkeypatch.setattr(topology, "make_graph", lambda *a, **k: np.zeros((4, 4)))
    code = main(["exact", "--json", "--d", "20"])
    err = capsys.readouterr().err
    assert code == 2 and "graph" in err and err.count("\n") == 1


def test_subprocess_text_output():
    out = subprocess.run(
        [sys.executable, "-m", "sims.cli", "exact", "--d", "16", "--n-clients", "3"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "fl" in out.stdout and "eigenvalues" in out.stdout


def test_matrix_free_rotation_path(capsys):
    code, res, _ = _run(
        capsys,
        "--method",
        "cl-dissimilar",
        "--transform",
        "rotation-full",
        "--d",
        "120",
        "--n-clients",
        "3",
    )
    assert code == 0 and res["path"] == "matrix-free rotation"
    from theory import structured as st

    model = dm.DataModel(d=120, n_clients=3)
    H = st.ImplicitOrthogonal(120, 0)
    ref = st.solve_dense(model, "cl-dissimilar", H=H.to_dense())
    np.testing.assert_allclose(res["optima"]["fl"]["rv"], ref.rv_range(range(6))[0], atol=1e-8)
    code = main(["exact", "--json", "--method", "cl", "--transform", "rotation-full"])
    assert code == 2 and "transform" in capsys.readouterr().err
    # one spelling per transform: the old name is refused with a one-line hint
    code = main(["exact", "--json", "--method", "cl-dissimilar", "--transform", "dct-rotation"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "'rotation-full'" in err


def test_finite_sample_seeds_path(capsys):
    code, res, _ = _run(
        capsys,
        "--method",
        "mim",
        "--d",
        "60",
        "--n-clients",
        "3",
        "--samples",
        "80",
        "--sample-seeds",
        "3",
        "--graph",
        "star",
    )
    assert code == 0 and res["path"] == "finite-sample matrix-free"
    assert res["config"]["seeds"] == [0, 1, 2] and res["config"]["m"] == 80
    for key in ("fl", "decl", "local"):
        assert 0.0 <= res[key]["fraction_meeting_bound"] <= 1.0
    code = main(["exact", "--json", "--sample-seeds", "2"])
    assert code == 2 and "samples" in capsys.readouterr().err


def test_mixing_file_gives_the_same_optimum_as_the_graph_it_encodes(capsys, tmp_path):
    """--mixing-file with the uniform ring matrix equals --graph ring --mixing uniform."""
    from theory import topology

    W = topology.mixing_matrix("uniform", topology.make_graph("ring", 4))
    path = tmp_path / "w.npy"
    np.save(path, np.asarray(W))
    code_g, from_graph, err_g = _run(capsys, "--method", "mim", "--d", "400", "--graph", "ring")
    code_f, from_file, err_f = _run(
        capsys, "--method", "mim", "--d", "400", "--mixing-file", str(path)
    )
    assert (code_g, code_f) == (0, 0), (err_g, err_f)
    assert from_file["decl"] == from_graph["decl"]
    assert from_file["fl"] == from_graph["fl"]
