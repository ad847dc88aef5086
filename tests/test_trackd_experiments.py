"""Track D experiments, verdicts, figures, stages and CLI on tiny configurations.

The verdict rule is checked against hand-made inputs (never against the paper's claims), the
CIFAR-10 path against a small file the test writes, and every experiment/stage/figure runs
end to end on a tiny configuration (2 seeds, 1 round)."""

from __future__ import annotations

import pickle

import jax.random as jr
import matplotlib
import numpy as np
import pytest

from sims.data import write_random_cifar10
from sims.trackd import data as tdata
from sims.trackd import experiments, presets, verdicts
from sims.trackd import power as td_power
from sims.trackd import verdict_rows as td_rows

matplotlib.use("Agg")


# ---------------------------------------------------------------------------------------------
# the verdict rule


def test_decide_rule_on_hand_made_differences():
    # rule D3 (D4 keeps its words): the runs that cannot tell are inconclusive, never degenerate
    assert verdicts.decide([0.05, 0.06, 0.04])["verdict"] == "holds"
    assert verdicts.decide([-0.05, -0.06, -0.04])["verdict"] == "violated"
    assert verdicts.decide([0.05, -0.05, 0.01])["verdict"] == "inconclusive"
    assert verdicts.decide([0.05])["verdict"] == "inconclusive"  # one seed: no SE
    # rule D2 (history): the same with the word degenerate
    assert verdicts.rule_d2([0.05, 0.06, 0.04])["verdict"] == "holds"
    assert verdicts.rule_d2([0.05, -0.05, 0.01])["verdict"] == "degenerate"
    assert verdicts.rule_d2([0.05])["verdict"] == "degenerate"
    # a reference arm at chance makes any difference unreadable
    d = verdicts.rule_d2([0.05, 0.06, 0.04], references=[0.1, 0.1, 0.1], chance=0.1)
    assert d["verdict"] == "degenerate" and "chance" in d["reason"]
    # rule D2: every arm is checked, and the one named in the reason is the one at chance
    arms = {"MAE": [0.8, 0.82, 0.81], "SimSiam": [0.1, 0.11, 0.09]}
    d = verdicts.rule_d2([0.05, 0.06, 0.04], references=arms, chance=0.1)
    assert d["verdict"] == "degenerate" and d["reason"].startswith("SimSiam")
    # rule D3: the same arm voids the comparison, named
    d = verdicts.decide([0.05, 0.06, 0.04], arms=arms, untrained=[0.05] * 3, chance=0.1)
    assert d["verdict"] == "void" and d["reason"].startswith("SimSiam not above chance")
    with pytest.raises(ValueError, match="chance"):
        verdicts.rule_d2([0.05, 0.06, 0.04], references=arms)


def test_a_one_image_tie_is_inconclusive_under_rule_d3():
    # the review's case: identical one-image differences over 3 seeds have SE = 0, so rule D1
    # (tolerance 2 SE) reads them as holds; D2's and D3's tolerance is max(2 SE, one image)
    one = 1 / 359
    assert verdicts.rule_d1([one] * 3)["verdict"] == "holds"  # D1
    assert verdicts.rule_d2([one] * 3, resolution=one)["verdict"] == "degenerate"  # D2
    d = verdicts.decide([one] * 3, resolution=one)
    assert d["verdict"] == "inconclusive" and d["tolerance"] == pytest.approx(one)
    assert verdicts.decide([-one] * 3, resolution=one)["verdict"] == "inconclusive"
    assert verdicts.decide([2 * one] * 3, resolution=one)["verdict"] == "holds"
    assert verdicts.decide([-2 * one] * 3, resolution=one)["verdict"] == "violated"
    # where 2 SE is the larger, it decides, as under D1
    d = verdicts.decide([0.01, 0.03, 0.05], resolution=one)
    assert d["tolerance"] == pytest.approx(2 * np.std([0.01, 0.03, 0.05], ddof=1) / np.sqrt(3))
    assert d["verdict"] == "holds"
    with pytest.raises(ValueError, match="resolution"):
        verdicts.decide([0.1, 0.2], resolution=-1.0)
    m, se, s = td_power.mean_se([1.0, 2.0, 4.0])
    assert s == 3 and m == pytest.approx(7 / 3)
    assert se == pytest.approx(np.std([1.0, 2.0, 4.0], ddof=1) / np.sqrt(3))


def test_connectivity_slope_is_ols_and_drop_difference_is_signed():
    rng = np.random.default_rng(0)
    x = np.array([3.0, 5.0, 10.0, 20.0])
    y = rng.normal(size=(4, 4))
    want = [np.polyfit(x, row, 1)[0] for row in y]
    np.testing.assert_allclose(verdicts.connectivity_slopes(x, y), want, rtol=1e-12)
    d = verdicts.drop_differences([0.9, 0.8], [0.85, 0.8], [0.9, 0.8], [0.7, 0.75])
    np.testing.assert_allclose(d, [0.15, 0.05], atol=1e-12)


def test_verdict_table_marks_missing_claims_not_run():
    rows = td_rows.verdict_table({"mim_vs_cl": verdicts.decide([0.1, 0.2, 0.15])})
    by = {r["claim"]: r for r in rows}
    assert by["mim_vs_cl"]["track_d"] == "holds" and by["mim_vs_cl"]["agrees_with_paper"]
    assert by["mar_vs_mim"]["track_d"] == "not-run"
    assert [r["claim"] for r in rows] == list(verdicts.CLAIMS)


# ---------------------------------------------------------------------------------------------
# data


def test_cifar10_from_a_small_local_file(tmp_path):
    write_random_cifar10(tmp_path, 3, 3)
    im = tdata.load_images("cifar10", key=jr.key(0), path=str(tmp_path))
    assert im.x_train.shape == (15, 32, 32, 3) and im.x_test.shape == (3, 32, 32, 3)
    with open(tmp_path / "data_batch_1", "rb") as fh:
        raw = pickle.load(fh)[b"data"]
    # channel-major rows -> (H, W, C) pixels in [0, 1]
    np.testing.assert_allclose(im.x_train[0, 0, 1, 2], raw[0, 2 * 1024 + 1] / 255.0, rtol=1e-6)
    with pytest.raises(ValueError, match="^path: "):
        tdata.load_images("cifar10", key=jr.key(0))


def test_split_clients_skews():
    im = tdata.load_images("digits", key=jr.key(0), max_train=200, max_test=50)
    xs, ys, rep = tdata.split_clients(im, 4, "label", key=jr.key(1), alpha=0.01)
    assert sum(len(x) for x in xs) <= 200 and rep["tv_mean"] > 0.3
    xs_f, _, rep_f = tdata.split_clients(im, 4, "feature", key=jr.key(1))
    assert len(rep_f["styles"]) == 4 and xs_f[0].dtype == np.float32
    with pytest.raises(ValueError, match="^skew: "):
        tdata.split_clients(im, 4, "quantity", key=jr.key(1))


# ---------------------------------------------------------------------------------------------
# experiments, figures, stages (tiny)

TINY = presets.Common(
    width=8, depth=1, heads=2, embed=4, rounds=1, local_steps=1, batch_size=4, rows=8, seeds=2,
    max_train=120, max_test=40,
)  # fmt: skip


@pytest.fixture(scope="module")
def tiny_results():
    return {
        "table1": experiments.table1(
            presets.Table1(
                TINY, archs=("mlp",), skews=("iid", "feature"), n_clients=3, clients_per_round=None
            )  # fmt: skip
        ),
        "fig2a": experiments.fig2a(
            presets.Fig2a(TINY, n_clients=3, abars=(2, 3), kinds=("general",))
        ),
        "table6": experiments.table6(
            presets.Table6(TINY, n_clients=3, abars=(2,), rules=("uniform", "push-sum"))
        ),
        "fig2b": experiments.fig2b(
            presets.Fig2b(TINY, n_clients=3, clients_per_round=None, alphas=(1.0,), decl_abar=2)
        ),
        "table5": experiments.table5(
            presets.Table5(TINY, n_clients=3, clients_per_round=None, methods=("mae",), arch="mlp")
        ),
    }


def test_shared_arms_give_the_results_of_arms_trained_again(tiny_results, caplog):
    """Table 5 after Table 1 and Table 6 after Fig 2a with one Arms: the shared arms are read,
    not trained, and every number equals the experiment run on its own (tiny_results); a
    DecL arm (a matrix) is never kept, and a curve is served only to the same curve_every."""
    from sims.core.trainer import Result
    from sims.trackd.arms import ArmKey, Arms

    t1 = presets.Table1(TINY, archs=("mlp",), skews=("label",), n_clients=3, clients_per_round=None)
    t5 = presets.Table5(TINY, n_clients=3, clients_per_round=None, methods=("mae",), arch="mlp")
    arms = Arms()
    experiments.table1(t1, arms=arms)
    assert len(arms) == 2 * TINY.seeds  # MAE and SimSiam per seed
    with caplog.at_level("INFO", logger=experiments.log.name):
        shared = experiments.table5(t5, arms=arms)
    assert shared == tiny_results["table5"]
    assert sum("read from this run's arms" in r.getMessage() for r in caplog.records) == 2
    assert len(arms) == 2 * TINY.seeds  # nothing new trained

    f2a = presets.Fig2a(TINY, n_clients=3, abars=(2, 3), kinds=("general",))
    t6 = presets.Table6(TINY, n_clients=3, abars=(2,), rules=("uniform", "push-sum"))
    arms = Arms()
    assert experiments.fig2a(f2a, arms=arms) == tiny_results["fig2a"]
    assert len(arms) == TINY.seeds  # the FedAvg reference only: DecL arms are not kept
    assert experiments.table6(t6, arms=arms) == tiny_results["table6"]

    key = ArmKey.of(TINY, "mlp", "mae", "fedavg", None, 3, "label", 0.1, 0, ())
    arms = Arms()
    result = Result({"w": np.ones((3, 2))}, {"w": np.ones(2)}, {}, np.ones(3))
    arms.put(key, result, {"probe": 0.5}, curve_every=2)
    assert arms.get(key, curve_every=3) is None  # another curve: train again
    res, met = arms.get(key, curve_every=0)
    assert met == {"probe": 0.5} and res.params["w"].shape == (1, 2)  # client 0 kept only
    met["probe"] = 0.0  # a served copy: the kept metrics do not change
    assert arms.get(key, curve_every=2)[1] == {"probe": 0.5}


def test_experiments_report_every_arm_with_seeds(tiny_results):
    t1 = tiny_results["table1"]
    assert {(c["method"], c["skew"]) for c in t1["cells"]} == {
        (m, s) for m in ("mae", "simsiam") for s in ("iid", "feature")
    }
    for c in t1["cells"]:
        assert c["probe"]["n"] == 2 and 0.0 <= c["probe"]["mean"] <= 1.0
        assert c["probe"]["chance"] == pytest.approx(0.1)
    assert set(tiny_results["table6"]["summary"]) == {"uniform", "push-sum"}
    t5 = tiny_results["table5"]["summary"]["mae"]
    assert t5["local1_vs_global"]["mean"] > 0.0
    dec = verdicts.decisions(tiny_results)
    assert set(dec) == {"mim_vs_cl", "connectivity", "fl_vs_decl", "mar_vs_mim"}
    for d in dec.values():
        assert d["verdict"] in verdicts.WORDS and d["verdict"] != "not-run"
        assert d["old_verdict"] in verdicts.OLD_WORDS and d["d1_verdict"] in verdicts.OLD_WORDS
        assert d["reading"] and d["tolerance"] >= d["resolution"] > 0
        assert d["mde"] >= d["resolution"]
    n_test = tiny_results["table1"]["meta"]["n_test"]
    assert dec["mim_vs_cl"]["resolution"] == pytest.approx(1 / n_test)
    assert dec["connectivity"]["resolution"] == pytest.approx(1 / n_test / (3 - 2))
    # the untrained encoder's probe: one value per seed, whatever the arms of the run
    assert tiny_results["fig2b"]["untrained_summary"]["n"] == TINY.seeds
    # |Ā| out of order would make "the smallest |Ā|" the wrong point: refused
    bad = {"fig2a": {**tiny_results["fig2a"], "abars": [3, 2]}}
    with pytest.raises(ValueError, match="abars"):
        verdicts.decisions(bad)


def _no_seconds(tree):
    if isinstance(tree, dict):
        return {k: _no_seconds(v) for k, v in tree.items() if "seconds" not in k}
    if isinstance(tree, list | tuple):
        return [_no_seconds(v) for v in tree]
    return tree


@pytest.mark.parametrize("name", ["table1", "fig2a"])
def test_experiments_do_not_depend_on_the_callers_x64_mode(name):
    """Track D is a float32 simulation: the same numbers whether the caller (e.g. the reproduce
    stage, which runs under x64) has JAX's x64 mode on or off. Before the experiments pinned
    x64 off, masks drawn with a Python-float p, the augmentation draws and the graph seeds
    came from other streams under x64 and every accuracy moved."""
    import jax

    from sims.reproduce.pipeline import jsonio

    cfg = {
        "table1": presets.Table1(
            TINY, archs=("mlp",), skews=("iid", "feature"), n_clients=3, clients_per_round=None
        ),
        "fig2a": presets.Fig2a(TINY, n_clients=4, abars=(2, 3), kinds=("general",)),
    }[name]
    runs = []
    for mode in (False, True):
        with jax.enable_x64(mode):
            runs.append(_no_seconds(jsonio.to_jsonable(getattr(experiments, name)(cfg))))
    assert runs[0] == runs[1]


def test_figures_render(tiny_results):
    from sims.reproduce.figures import trackd as figs

    for name, res in tiny_results.items():
        fig = getattr(figs, f"make_trackd_{name}_figure")(res)
        assert fig.axes and fig.axes[0].get_ylabel()
        matplotlib.pyplot.close(fig)


def test_stages_contract_and_verdict_stage(tiny_results):
    pytest.importorskip("sims.reproduce.pipeline")
    from sims.reproduce.stages import trackd_fig2a, trackd_fig2b, trackd_table1, trackd_verdicts

    seconds = {"table1": "table5", "fig2a": "table6", "fig2b": None}
    for mod in (trackd_table1, trackd_fig2a, trackd_fig2b):
        cfg = mod.Config.FAST
        assert mod.Config.from_json(cfg.to_json()) == cfg
        name = mod.STAGE.name.removeprefix("trackd_")
        other = seconds[name]
        result = dict(tiny_results[name])
        if other is not None:  # the stage's second experiment, under its name
            result[other] = tiny_results[other]
            assert getattr(cfg, other) == presets.preset("fast", other)
        summary = mod.STAGE.summarize(result)
        assert summary and (other is None or any(k.startswith(other) for k in summary))
        files = {f: view(result) for f, view in mod.STAGE.json_files.items()}
        assert files[f"trackd_{name}.json"] == tiny_results[name]
        if other is not None:
            assert files[f"trackd_{other}.json"] is tiny_results[other]
            assert f"trackd_{other}.png" in mod.STAGE.figures
    rows = {f"trackd_{k}": {"result": tiny_results[k]} for k in ("table1", "fig2a", "fig2b")}
    out = trackd_verdicts.compute(trackd_verdicts.Config.DEFAULT, **rows)
    assert [r["claim"] for r in out["rows"]] == list(verdicts.CLAIMS)
    assert trackd_verdicts.STAGE.summarize(out)


def test_cli_rejects_bad_arguments(capsys):
    from sims.cli import main

    assert main(["trackd", "--preset", "huge"]) == 2
    assert main(["trackd", "--dataset", "cifar10", "--experiment", "table1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "data-path" in err[-1]


def test_cli_save_folder_is_held_and_names_an_earlier_runs_files(capsys, tmp_path):
    """dssl trackd --save holds its folder (a second run into it is refused in one line before
    anything trains: two runs had both written it, the last one winning), says on stderr which
    experiments of an earlier run the folder keeps beside this run's verdicts, and writes the
    verdicts after each experiment (an interrupted run leaves them agreeing with its files)."""
    import json

    from sims.cli import main
    from sims.reproduce.pipeline import outfolder

    (tmp_path / ".cache").mkdir()
    (tmp_path / "trackd_fig2b.json").write_text("{}")
    argv = ["trackd", "--experiment", "table1", "--seeds", "1", "--rounds", "1",
            "--save", str(tmp_path)]  # fmt: skip
    with outfolder.locked(tmp_path, "save"):
        assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("dssl trackd: error: --save: must be a folder no other run is "
                              "writing (pid ")  # fmt: skip
    assert not (tmp_path / "trackd_table1.json").exists()
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert (f"dssl trackd: note: {tmp_path} holds trackd_fig2b.json of an earlier run; its "
            "trackd_verdicts.json will hold this run's table1 only") in err  # fmt: skip
    rows = json.loads((tmp_path / "trackd_verdicts.json").read_text())["rows"]
    assert {r["claim"]: r["track_d"] != "not-run" for r in rows}["mim_vs_cl"]


def test_cli_interrupted_says_what_it_kept(capsys, monkeypatch, tmp_path):
    """A Ctrl-C during dssl trackd names the experiments it had finished, whether and where
    they were saved, and an earlier run's files the folder still holds, in its one line,
    instead of a bare 'interrupted'."""
    from sims.cli import main
    from sims.commands import trackd

    def stop(cfg, **kw):
        raise KeyboardInterrupt

    fake = {"table1": lambda cfg, **kw: {"meta": {}}, "fig2a": stop}
    monkeypatch.setattr(experiments, "EXPERIMENTS", fake)
    argv = ["trackd", "--experiment", "all", "--seeds", "1", "--rounds", "1"]
    assert main(argv) == 130
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "dssl trackd: interrupted; table1 finished, not saved (no --save)"
    )
    monkeypatch.setattr(trackd, "_write", lambda out, n, r: None)  # the fake results are not
    monkeypatch.setattr(trackd, "_write_verdicts", lambda out, res: None)  # drawn or judged
    (tmp_path / "trackd_fig2a.json").write_text("{}")  # an earlier run's
    assert main([*argv, "--save", str(tmp_path)]) == 130
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        f"dssl trackd: interrupted; table1 finished, table1 saved in {tmp_path}; it also holds "
        "an earlier run's trackd_fig2a.json (not in its verdicts)"
    )
