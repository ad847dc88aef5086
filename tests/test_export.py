"""sims.reproduce.export: every table-like output as a DataFrame — column names, row counts, and
values equal to the source they were read from; CSV round trips; one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sims.reproduce import export as ex


def test_d_sweep_rows_are_the_grid_and_pairs_split():
    from theory import structured

    src = structured.d_sweep("mim", [10**3, 10**6, 10**12], framework="fl")
    df = ex.to_dataframe(src)
    assert df.attrs["kind"] == "d_sweep"
    assert len(df) == 3
    assert df["d"].tolist() == src["d"]
    for key in ("s_N", "s_c", "gap"):
        assert df[f"{key}_min"].tolist() == [p[0] for p in src[key]]
        assert df[f"{key}_max"].tolist() == [p[1] for p in src[key]]
    assert df["rank"].tolist() == src["rank"]
    assert "seconds" not in df.columns  # a scalar of the sweep, not a column


def test_exact_vs_d_one_row_per_d_method_framework():
    from theory import sweeps

    cfg = {
        "n_clients": 3,
        "graph": "star",
        "exact_d": [12, 24],
        "exact_methods": ["mim", "cl"],
        "p": 0.75,
        "transform": "identity",
        "transform_seed": 0,
    }
    src = sweeps.exact_vs_d(cfg)
    df = ex.to_dataframe(src)
    assert df.attrs["kind"] == "exact_vs_d"
    assert len(df) == 2 * 2 * 3
    assert {"d", "c", "trH", "method", "framework", "gap_N", "spread_N", "spread_c"} <= set(
        df.columns
    )
    for rec in src["records"]:
        for m, fws in rec["methods"].items():
            for f, vals in fws.items():
                row = df[(df.d == rec["d"]) & (df.method == m) & (df.framework == f)]
                assert len(row) == 1
                assert row["gap_N"].item() == vals["gap_N"]
                assert row["spread_c"].item() == vals["spread_c"]
                if "rv_N" in vals:
                    got = [row[f"rv_N[{i}]"].item() for i in range(3)]
                    assert got == vals["rv_N"]


def test_connectivity_sweep_one_row_per_graph():
    from theory import sweeps

    src = sweeps.connectivity_sweep(
        {"p": 0.75, "connectivity": {"n_clients": 4, "d": 16, "paper_code_seeds": 1}}
    )
    df = ex.to_dataframe(src)
    assert df.attrs["kind"] == "connectivity"
    assert len(df) == len(src["records"])
    assert df["abar"].tolist() == [r["abar"] for r in src["records"]]
    assert df["mim.spread_N"].tolist() == [r["mim"]["spread_N"] for r in src["records"]]
    assert df["graph"].tolist() == [r["graph"] for r in src["records"]]


def test_bound_table_long_format():
    from theory import sweeps

    cfg = {
        "p": 0.75,
        "n_clients": 4,
        "sign": "+",
        "fl_term": "eq37",
        "constants_range": (0.5, 2.0),
        "constants_points": 2,
    }
    src = sweeps.bound_table(cfg, np.array([1e3, 1e6]), 2.5)
    df = ex.to_dataframe(src)
    assert df.attrs["kind"] == "bound_table"
    k = 2**3  # constants grid
    assert len(df) == 3 * 3 * k * 2
    sel = df[(df.method == "mim") & (df.framework == "fl")]
    s = np.asarray(src["mim"]["fl"]["s"])
    assert sel["s"].to_numpy().reshape(s.shape).tolist() == s.tolist()


def _api_result():
    import jax.numpy as jnp
    import jax.random as jr

    from sims.core import trainer as api

    data = jnp.arange(2 * 8 * 3, dtype=jnp.float32).reshape(2, 8, 3) / jnp.float32(10.0)

    def loss(w, batch, *, key):
        return jnp.mean((batch @ w) ** 2)

    return api.run(
        loss,
        jnp.ones(3, dtype=jnp.float32),
        data,
        mixing="fedavg",
        rounds=3,
        batch_size=2,
        lr=0.01,
        key=jr.key(0),
        record=lambda g: {"norm": jnp.sum(g**2)},
    )


def test_api_result_trace_one_row_per_round():
    res = _api_result()
    df = ex.to_dataframe(res)
    assert df.attrs["kind"] == "trace"
    assert len(df) == 3
    assert df["round"].tolist() == [0, 1, 2]
    np.testing.assert_array_equal(df["loss"].to_numpy(), np.asarray(res.trace["loss"]))
    client = np.asarray(res.trace["client_loss"])
    for i in range(client.shape[1]):
        np.testing.assert_array_equal(df[f"client_loss[{i}]"].to_numpy(), client[:, i])
    np.testing.assert_array_equal(
        df["record.norm"].to_numpy(), np.asarray(res.trace["record"]["norm"])
    )


def test_engine_trace_leaves_out_large_arrays():
    import jax.random as jr

    from sims.core.engine import make_engine
    from sims.core.problem import make_problem
    from sims.trackc.engine_config import EngineConfig

    cfg = EngineConfig(
        method="cl", framework="fl", n_clients=2, d=3, c=1, population=True, rounds=2
    )
    prob = make_problem(cfg, np.stack([np.eye(3)] * 2))
    _, trace = make_engine(cfg).run(prob, key=jr.key(0))
    trace = dict(trace)
    trace["big"] = np.zeros((2, ex.MAX_TRACE_VALUES + 1))
    df = ex.to_dataframe(trace)
    assert df.attrs["kind"] == "trace" and len(df) == 2
    assert df.attrs["left_out"] == ["big"]
    np.testing.assert_array_equal(df["loss"].to_numpy(), np.asarray(trace["loss"]))
    np.testing.assert_array_equal(
        df["consensus_distance"].to_numpy(), np.asarray(trace["consensus_distance"])
    )


def test_simulate_json_trace():
    out = {
        "config": {"rounds": 2},
        "loss": -1.0,
        "trace": {"loss": [0.5, 0.25], "zeta_sq": [1.0, 2.0], "diverged": [False, False]},
    }
    df = ex.to_dataframe(out)
    assert df.columns.tolist() == ["round", "loss", "zeta_sq", "diverged"]
    assert df["zeta_sq"].tolist() == [1.0, 2.0]


def test_claims_rows():
    from theory import claims as cl

    rows = cl.evaluate(cl.VerifyConfig(d=40), claims=("eq17", "thm4.2.fl"))
    for obj in (rows, {"config": {}, "claims": rows}):
        df = ex.to_dataframe(obj)
        assert df.attrs["kind"] == "claims"
        assert df["id"].tolist() == ["eq17", "thm4.2.fl"]
        for col in ("track_a", "track_b", "track_c", "reference", "statement"):
            assert df[col].tolist() == [r[col] for r in rows]
        first = rows[1]["readings"]
        assert df["readings"][1] == "; ".join(f"{k}: {w}" for k, w in first.items())


@pytest.fixture(scope="module")
def verdict_map():
    from sims import verdict_map as vm

    cfg = vm.MapConfig(
        d=10**4,
        p_values=(0.5,),
        n_values=(2, 3),
        rare_axes=("extra",),
        claims=("eq17", "cor4.5"),
        rule_change_n=(3,),
        hidden_constants=False,
    )
    return vm.compute_map(cfg, rule_changes=False)


def test_verdict_map_one_row_per_cell(verdict_map):
    df = ex.to_dataframe(verdict_map)
    cells = verdict_map["cells"]
    assert df.attrs["kind"] == "verdict_map"
    assert len(df) == len(cells)
    assert df["claim"].tolist() == [c["claim"] for c in cells]
    assert df["track_b"].tolist() == [c["track_b"] for c in cells]
    assert df["N"].tolist() == [c["config"]["N"] for c in cells]
    labels = [",".join(f"{k}={w}" for k, w in c["reading"].items()) or "-" for c in cells]
    assert df["reading"].tolist() == labels
    c0 = cells[0]
    for k, val in ex.flatten(c0["numbers"], "numbers").items():
        assert df[k][0] == val or (val is None and pd.isna(df[k][0]))


def test_compact_map_and_cell_table(verdict_map):
    from sims import verdict_map as vm

    compact = vm.compact_map(verdict_map)
    df = ex.to_dataframe(compact)
    assert df.attrs["kind"] == "map_readings"
    want = [(cid, name) for cid, rs in compact["readings"].items() for name in rs]
    assert list(zip(df["claim"], df["reading"], strict=True)) == want
    cid, name = want[0]
    assert df["headline"][0] == compact["readings"][cid][name]["headline"]

    table = vm.encode_cells(verdict_map)
    df = ex.to_dataframe(table)
    assert df.attrs["kind"] == "verdict_cells"
    assert len(df) == len(verdict_map["cells"])
    got = sorted(
        zip(df["claim"], df["reading"], df["N"], df["track_a"], df["track_b"], strict=True)
    )
    ref = sorted(
        (
            c["claim"],
            ",".join(f"{k}={w}" for k, w in c["reading"].items()) or "-",
            c["config"]["N"],
            c["track_a"],
            c["track_b"],
        )
        for c in verdict_map["cells"]
    )
    assert got == ref


def test_atlas_one_row_per_graph_and_reading():
    from theory.atlas import AtlasConfig, atlas_study

    src = atlas_study(AtlasConfig(max_n=3, families=False, mixings=("uniform",)))
    df = ex.to_dataframe(src)
    assert df.attrs["kind"] == "atlas"
    want = 0
    for block in src["atlas"].values():
        for mx in block["mixings"].values():
            for sens in mx["methods"].values():
                for res in sens.values():
                    want += len(res["s"])
    assert len(df) == want
    block = next(iter(src["atlas"].values()))
    mx = block["mixings"]["uniform"]
    method = next(iter(mx["methods"]))
    res = mx["methods"][method]["gap"]
    sel = df[(df.n == block["n"]) & (df.method == method) & (df.sensitivity == "gap")]
    assert sel["s"].tolist() == list(res["s"])
    assert sel["abar"].tolist() == list(mx["abar"])


def _cli(capsys, argv):
    from sims.cli import main

    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_topology_bounds_exact_outputs(capsys):
    topo = _cli(capsys, ["topology", "--json", "--graph", "star", "--n-clients", "5"])
    df = ex.to_dataframe(topo)
    assert df.attrs["kind"] == "topology" and len(df) == 5
    assert df["objective_weights"].tolist() == topo["objective_weights"]
    assert (df["lambda"] == topo["lambda"]).all()

    bnd = _cli(capsys, ["bounds", "--json", "--d", "1e5", "--p", "0.75", "--abar", "3"])
    df = ex.to_dataframe(bnd)
    assert df.attrs["kind"] == "bounds" and len(df) == 9
    row = df[(df.method == "mim") & (df.framework == "fl")]
    assert row["d"].item() == 1e5
    if isinstance(bnd["mim"]["fl"], dict):
        assert row["s"].item() == bnd["mim"]["fl"]["s"]
    else:
        assert row["s"].item() == bnd["mim"]["fl"]

    exa = _cli(capsys, ["exact", "--json", "--d", "40"])
    df = ex.to_dataframe(exa)
    assert df.attrs["kind"] == "exact"
    assert df["optimum"].tolist() == [f"local{i}" for i in (1, 2, 3, 4)] + [
        "fl",
        "decl",
        "decl_stationary",
        "paper_decl",
    ]
    assert df["s_N_max"][4] == exa["fl"]["s_N"][1]
    assert [df[f"rv_min[{k}]"][5] for k in range(8)] == exa["decl"]["rv_min"]

    dense = _cli(capsys, ["exact", "--json", "--d", "40", "--dense", "--method", "cl"])
    df = ex.to_dataframe(dense)
    assert df["optimum"].tolist()[-1] == "paper_decl"
    assert df["s_N"][4] == dense["sensitivity_N"]["fl"]


def test_write_csv_round_trip(tmp_path):
    src = {"loss": [1.0, 0.5, 0.25], "client_loss": [[1.0, 2.0], [0.5, 1.0], [0.1, 0.2]]}
    path = ex.write_csv(src, tmp_path / "sub" / "trace.csv")
    back = pd.read_csv(path)
    pd.testing.assert_frame_equal(back, ex.to_dataframe(src), check_dtype=False)


def test_one_line_errors(tmp_path):
    with pytest.raises(ValueError, match="obj") as err:
        ex.to_dataframe(3)
    assert "\n" not in str(err.value)
    with pytest.raises(ValueError, match="kind"):
        ex.to_dataframe({"loss": [1.0]}, kind="nope")
    with pytest.raises(ValueError, match="^path: .*a folder, never replaced"):
        ex.write_csv({"loss": [1.0]}, tmp_path)
    (tmp_path / "f").write_text("x")
    with pytest.raises(ValueError, match="csv: must be a path whose parent is a folder"):
        ex.check_csv_path(tmp_path / "f" / "t.csv")
    with pytest.raises(ValueError, match="csv"):
        ex.check_csv_path("  ")
    with pytest.raises(ValueError, match="obj"):
        ex.to_dataframe({"records": [{"x": 1}]}, kind="exact_vs_d")


def test_cli_csv_of_topology_exact_and_verify(capsys, tmp_path):
    from sims import glossary as g

    path = tmp_path / "topology.csv"
    topo = _cli(
        capsys, ["topology", "--json", "--graph", "star", "--n-clients", "5", "--csv", str(path)]
    )
    df = pd.read_csv(path)
    assert len(df) == 5
    assert df["objective_weights"].tolist() == pytest.approx(topo["objective_weights"], rel=1e-15)
    assert all(g.describe(col, "topology") is not None for col in df.columns)

    path = tmp_path / "exact.csv"
    exa = _cli(capsys, ["exact", "--json", "--d", "40", "--csv", str(path)])
    df = pd.read_csv(path)
    assert df["optimum"].tolist()[0] == "local1" and len(df) == 8
    assert df["s_c_max"][4] == pytest.approx(exa["fl"]["s_c"][1], rel=1e-15)
    assert all(g.describe(col, "exact") is not None for col in df.columns)

    path = tmp_path / "claims.csv"
    argv = ["verify", "--json", "--d", "400", "--d-sweep", "400", "--claims", "eq17,thm4.2.fl"]
    ver = _cli(capsys, argv + ["--csv", str(path)])
    df = pd.read_csv(path)
    assert df["id"].tolist() == ["eq17", "thm4.2.fl"]
    assert df["track_b"].tolist() == [r["track_b"] for r in ver["claims"]]


def test_cli_csv_bad_path_is_one_line_exit_2(capsys, tmp_path):
    from sims.cli import main

    (tmp_path / "f").write_text("x")
    for bad in (tmp_path / "f" / "t.csv", tmp_path):
        assert main(["topology", "--n-clients", "4", "--csv", str(bad)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "error: --csv: must be" in err


def test_cli_csv_dash_writes_the_table_to_standard_output(capsys):
    """``--csv -`` prints the CSV table on standard output instead of the text (and writes no
    file named ``-``)."""
    import io
    import os

    import pandas as pd

    from sims.cli import main

    assert main(["topology", "--n-clients", "4", "--csv", "-"]) == 0
    out = capsys.readouterr().out
    df = pd.read_csv(io.StringIO(out))
    assert len(df) == 4 and "lambda" in " ".join(df.columns)
    assert not os.path.exists("-")
