"""The Track D figures (:mod:`sims.reproduce.figures.trackd`) on constructed results: the untrained
encoder and the raw-pixel probe are drawn, the text panel is computed from the numbers (an arm
within 2 SE of its untrained encoder is named as not learned), Table 1's drop carries its sign
convention and says when no difference is resolvable, the learning-curves figure draws one
line per arm, and every figure builds with and without the optional fields. Nothing here is
about the paper's claims."""

from __future__ import annotations

import copy

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from sims.reproduce.figures import trackd as figs  # noqa: E402

# per-seed offsets: a spread of ±0.4 points around each mean (S = 3), deterministic
_JITTER = (-0.004, 0.0, 0.004)
_JITTER_B = (0.003, -0.005, 0.002)


def _vals(mean: float, jitter=_JITTER, seeds: int = 3) -> list[float]:
    return [round(mean + j, 6) for j in jitter[:seeds]]


def _summary(values, chance: float | None = 0.1) -> dict:
    x = np.asarray(values, float)
    se = float(x.std(ddof=1) / np.sqrt(x.size)) if x.size > 1 else float("nan")
    out = {"mean": float(x.mean()), "se": se, "n": int(x.size), "values": x.tolist()}
    if chance is not None:
        out["chance"] = chance
    return out


def _meta(seeds: int = 3, **extra) -> dict:
    return {
        "dataset": "mnist",
        "n_train": 4000,
        "n_test": 1000,
        "seeds": seeds,
        "rounds": 20,
        "local_steps": 20,
        "batch_size": 64,
        "width": 128,
        "depth": 1,
        "chance": 0.1,
        "preset": "default",
        "raw_pixel_probe": 0.807,
        "n_clients": 10,
        "alpha": 0.1,
        "arch": "mlp",
        **extra,
    }


def table1_results(
    *, seeds: int = 3, base: float = 0.80, uplift: dict | None = None, drop: float = 0.02
) -> dict:
    """Table 1 results: MAE and SimSiam × MLP × IID/label/feature; ``uplift`` per method (a
    method with uplift 0 and the jitter B sits within 2 SE of its untrained encoder)."""
    uplift = uplift or {"mae": 0.04, "simsiam": 0.05}
    skews = ("iid", "label", "feature")
    acc, untrained, cells, curves = {}, {}, [], {}
    for m, up in uplift.items():
        acc[m], untrained[m] = {"mlp": {}}, {"mlp": {}}
        for s in skews:
            mean = base + up - (0.0 if s == "iid" else drop)
            jitter = _JITTER_B if up == 0.0 else _JITTER
            acc[m]["mlp"][s] = _vals(mean, jitter, seeds)
            untrained[m]["mlp"][s] = _vals(base, _JITTER, seeds)
            curves[f"{m} mlp {s}"] = {
                "rounds": [0, 10, 20],
                "probe": [
                    [u, (u + a) / 2, a]
                    for u, a in zip(untrained[m]["mlp"][s], acc[m]["mlp"][s], strict=True)
                ],
            }
    for m in uplift:
        for s in skews:
            row = {"method": m, "arch": "mlp", "skew": s}
            row["probe"] = _summary(acc[m]["mlp"][s])
            row["untrained"] = _summary(untrained[m]["mlp"][s])
            if s != "iid":
                d = np.subtract(acc[m]["mlp"]["iid"], acc[m]["mlp"][s])
                row["drop"] = _summary(d, None)
            cells.append(row)
    meta = _meta(seeds, clients_per_round=5, framework="fl")
    return {
        "meta": meta,
        "cells": cells,
        "acc": acc,
        "untrained": untrained,
        "curves": curves,
    }


def fig2a_results(*, seeds: int = 3, uplift: float = 0.05) -> dict:
    abars = [2, 5]
    acc = {k: {str(a): _vals(0.80 + uplift + 0.005 * a, seeds=seeds) for a in abars}
           for k in ("general", "uniform")}  # fmt: skip
    fl = _vals(0.80 + uplift + 0.04, seeds=seeds)
    untrained = _vals(0.80, seeds=seeds)
    return {
        "meta": _meta(seeds),
        "abars": abars,
        "acc": acc,
        "fl": fl,
        "summary": {k: {a: _summary(v) for a, v in per.items()} for k, per in acc.items()},
        "fl_summary": _summary(fl),
        "untrained": untrained,
        "untrained_summary": _summary(untrained),
    }


def table6_results(*, seeds: int = 3) -> dict:
    abars = [3, 6]
    rules = ("uniform", "degree", "push-sum")
    acc = {r: {str(a): _vals(0.82 + 0.01 * k, seeds=seeds) for a in abars}
           for k, r in enumerate(rules)}  # fmt: skip
    fl = _vals(0.86, seeds=seeds)
    untrained = _vals(0.80, seeds=seeds)
    return {
        "meta": _meta(seeds),
        "abars": abars,
        "acc": acc,
        "fl": fl,
        "summary": {r: {a: _summary(v) for a, v in per.items()} for r, per in acc.items()},
        "fl_summary": _summary(fl),
        "untrained": untrained,
        "untrained_summary": _summary(untrained),
    }


def fig2b_results(*, seeds: int = 3) -> dict:
    alphas = [1.0, 0.1, 0.01]
    acc = {
        f: {m: {str(a): _vals(0.83 + (0.01 if m == "mar" else 0.0), seeds=seeds) for a in alphas}
            for m in ("mae", "mar")}
        for f in ("fl", "decl")
    }  # fmt: skip
    untrained = _vals(0.80, seeds=seeds)
    return {
        "meta": _meta(seeds, decl_abar=5),
        "alphas": alphas,
        "acc": acc,
        "summary": {
            f: {m: {a: _summary(v) for a, v in per_a.items()} for m, per_a in per_m.items()}
            for f, per_m in acc.items()
        },
        "untrained": untrained,
        "untrained_summary": _summary(untrained),
    }


def table5_results(*, seeds: int = 3, uplift: dict | None = None) -> dict:
    uplift = uplift or {"mae": 0.04, "simsiam": 0.0}
    rows, summary = {}, {}
    for m, up in uplift.items():
        jitter = _JITTER_B if up == 0.0 else _JITTER
        g = _vals(0.80 + up, jitter, seeds)
        u = _vals(0.80, _JITTER, seeds)
        rows[m] = [
            {
                "distances": {"local1_vs_localN": 2.0, "local1_vs_global": 1.0,
                              "localN_vs_global": 1.1},
                "probe": {"local1": g[s] - 0.01, "localN": g[s] - 0.02, "global": g[s],
                          "untrained": u[s]},
            }
            for s in range(seeds)
        ]  # fmt: skip
        summary[m] = {
            **{k: _summary([r["distances"][k] for r in rows[m]], None)
               for k in rows[m][0]["distances"]},
            **{f"probe_{k}": _summary([r["probe"][k] for r in rows[m]])
               for k in rows[m][0]["probe"]},
        }  # fmt: skip
    return {"meta": _meta(seeds, framework="fl"), "rows": rows, "summary": summary}


MAKERS = {
    "table1": (figs.make_trackd_table1_figure, table1_results),
    "curves": (figs.make_trackd_curves_figure, table1_results),
    "fig2a": (figs.make_trackd_fig2a_figure, fig2a_results),
    "table6": (figs.make_trackd_table6_figure, table6_results),
    "fig2b": (figs.make_trackd_fig2b_figure, fig2b_results),
    "table5": (figs.make_trackd_table5_figure, table5_results),
}


def _texts(fig) -> str:
    """Every string the figure writes (figure texts, axes texts, titles, legends)."""
    out = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        out += [t.get_text() for t in ax.texts]
        out += [ax.get_title(), ax.get_ylabel(), ax.get_xlabel()]
        if ax.get_legend() is not None:
            out += [t.get_text() for t in ax.get_legend().get_texts()]
    return "\n".join(out)


def _flat(text: str) -> str:
    """The text with line wrapping undone."""
    return " ".join(text.split())


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ---------------------------------------------------------------------------------------------
# the helpers


def test_arm_uplift_against_a_plain_loop():
    acc, base = [0.85, 0.87, 0.84], [0.80, 0.81, 0.80]
    d = [a - b for a, b in zip(acc, base, strict=True)]
    mean = sum(d) / 3
    se = (sum((x - mean) ** 2 for x in d) / 2) ** 0.5 / 3**0.5
    u = figs.arm_uplift(acc, base)
    assert u["mean"] == pytest.approx(mean) and u["se"] == pytest.approx(se) and u["n"] == 3
    assert u["learned"] is (mean - 2 * se > 0)
    assert figs.arm_uplift([0.9], [0.8])["learned"] is None  # one seed: cannot be tested
    with pytest.raises(ValueError, match="one value per seed"):
        figs.arm_uplift([0.9, 0.8], [0.8])


def test_learned_lines_name_arms_within_two_se():
    base = [0.80, 0.80, 0.80]
    arms = {"fine": [0.85, 0.86, 0.84], "flat": [0.803, 0.795, 0.802]}
    lines = figs.learned_lines(arms, {"fine": base, "flat": base})
    assert lines[0].startswith("Learned") and "fine +5.0 ± 0.6" in lines[0]
    assert lines[1].startswith("Did not learn") and "flat" in lines[1]
    assert "flat" not in lines[0]
    # the same arm with a larger uplift moves to the learned line
    arms["flat"] = [0.823, 0.815, 0.822]
    lines = figs.learned_lines(arms, {"fine": base, "flat": base})
    assert len(lines) == 1 and "flat +2.0" in lines[0]
    # the margin is the rule's: at margin 0 any positive mean counts
    lines = figs.learned_lines({"x": [0.801, 0.80, 0.80]}, {"x": base}, margin=0.0)
    assert lines[0].startswith("Learned")
    # no baseline recorded, one seed
    assert "cannot be computed" in figs.learned_lines(arms, {"fine": None, "flat": None})[0]
    assert "One seed" in figs.learned_lines({"x": [0.9]}, {"x": [0.8]})[0]


# ---------------------------------------------------------------------------------------------
# every figure


@pytest.mark.parametrize("name", list(MAKERS))
def test_every_figure_draws_the_baselines_and_a_computed_box(name):
    make, build = MAKERS[name]
    fig = make(build())
    text = _flat(_texts(fig))
    assert "Takeaway" in text and "Learned" in text
    assert "raw-pixel probe 0.807" in text  # the dashed line's legend entry
    assert "untrained" in text
    # the chance level (0.1) is far below data near 0.8: said in the box, not an empty axis
    assert "Chance (0.100) lies below the accuracy axes" in text
    for ax in fig.axes:  # no empty panel: every panel draws data, a legend or text
        assert ax.lines or ax.collections or ax.patches or ax.texts or ax.get_legend()


@pytest.mark.parametrize("name", ["table1", "curves", "table5", "fig2a"])
def test_the_box_follows_the_numbers(name):
    make, build = MAKERS[name]
    if name in ("table1", "curves"):
        a = build(uplift={"mae": 0.04, "simsiam": 0.05})
        b = build(uplift={"mae": 0.0, "simsiam": 0.05})
        not_learned = "mae+mlp: iid" if name == "table1" else "mae mlp: iid"
    elif name == "table5":
        a, b = build(uplift={"mae": 0.04, "simsiam": 0.03}), build()
        not_learned = "simsiam"
    else:
        a, b = build(uplift=0.05), build(uplift=0.0)
        b["fl"] = b["untrained"]  # FL at its untrained encoder as well
        not_learned = "FL"
    ta, tb = _flat(_texts(make(a))), _flat(_texts(make(b)))
    assert ta != tb
    assert "Did not learn" not in ta and "Every arm learned" in ta
    did_not = tb.split("Did not learn", 1)[1].split(".", 1)[0]
    assert not_learned in did_not
    assert "Every arm learned" not in tb


def test_table1_drop_sign_and_resolution_note():
    res = table1_results(uplift={"mae": 0.04, "simsiam": 0.05}, drop=0.02)
    text = _flat(_texts(figs.make_trackd_table1_figure(res)))
    assert "drop = acc(IID) − acc(skewed)" in text and "> 0: accuracy lost under non-IID" in text
    # both methods drop 2 points with the same per-seed jitter: the drops differ from 0, the
    # methods' drops do not differ from each other
    assert "4 of 4 drops differ from 0" in text
    assert "the differences are not resolvable at 3 seeds" in text
    # a larger drop for one method, with the other's jitter: resolvable, the note goes
    res2 = copy.deepcopy(res)
    for s in ("label", "feature"):
        res2["acc"]["simsiam"]["mlp"][s] = _vals(0.85 - 0.06, _JITTER_B)
    text2 = _flat(_texts(figs.make_trackd_table1_figure(res2)))
    assert "not resolvable" not in text2 and "(resolvable)" in text2
    # no drop at all: none differs from 0
    text3 = _flat(_texts(figs.make_trackd_table1_figure(table1_results(drop=0.0))))
    assert "no drop differs from 0" in text3


def test_curves_figure_draws_one_line_per_arm():
    res = table1_results()
    fig = figs.make_trackd_curves_figure(res)
    gids = [
        ln.get_gid() for ax in fig.axes for ln in ax.lines if (ln.get_gid() or "")[:4] == "arm:"
    ]
    assert sorted(gids) == sorted(f"arm:{k}" for k in res["curves"])
    for ax in fig.axes:
        for ln in ax.lines:
            if ln.get_gid():
                assert ln.get_xdata()[0] == 0  # the untrained value at round 0
    del res["curves"]["simsiam mlp feature"]
    fig = figs.make_trackd_curves_figure(res)
    gids = [ln.get_gid() for ax in fig.axes for ln in ax.lines if ln.get_gid()]
    assert len(gids) == len(res["curves"])


def test_curves_figure_without_curves_is_a_note():
    res = table1_results()
    del res["curves"]
    fig = figs.make_trackd_curves_figure(res)
    assert "record no curves" in _texts(fig)


def _strip_optional(name: str, res: dict) -> dict:
    """The results as older files have them: no per-seed untrained values, no curves, no
    raw-pixel probe, no preset."""
    res = copy.deepcopy(res)
    res.pop("untrained", None)
    res.pop("curves", None)
    res["meta"].pop("raw_pixel_probe")
    res["meta"].pop("preset")
    for c in res.get("cells", []):
        c.pop("untrained")
    if name == "table5":
        for rows in res["rows"].values():
            for r in rows:
                r["probe"].pop("untrained")
        for s in res["summary"].values():
            s.pop("probe_untrained")
    return res


@pytest.mark.parametrize("name", list(MAKERS))
def test_figures_build_without_the_optional_fields(name):
    make, build = MAKERS[name]
    fig = make(_strip_optional(name, build()))
    text = _flat(_texts(fig))
    if name == "curves":
        assert "record no curves" in text
        return
    assert "cannot be computed" in text and "raw-pixel probe is not recorded" in text


@pytest.mark.parametrize("name", list(MAKERS))
def test_figures_build_with_one_seed(name):
    make, build = MAKERS[name]
    text = _flat(_texts(make(build(seeds=1))))
    assert "One seed" in text or "one seed" in text


def test_the_table1_stage_writes_the_curves_beside_its_figure(tmp_path):
    pytest.importorskip("sims.reproduce.pipeline")
    from sims.reproduce.pipeline import jsonio
    from sims.reproduce.stages import trackd_table1

    figures = trackd_table1.STAGE.figures
    assert figures["trackd_table1_curves.png"] is figs.make_trackd_curves_figure
    assert figures["trackd_table1.png"] is figs.make_trackd_table1_figure
    # the stage runs Table 5 after Table 1: its results ride under "table5"
    results = {**table1_results(), "table5": table5_results()}
    files = jsonio.write_outputs(tmp_path, results, figures=figures)
    assert files == ["trackd_table1.png", "trackd_table1_curves.png", "trackd_table5.png"]
    assert all((tmp_path / f).stat().st_size > 0 for f in files)
