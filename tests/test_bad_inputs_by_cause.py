"""The hostile-input table by cause (issue 53): for each cause, a table of cases over every
entry point that shares it, each refused in one line naming the field (or, for cause 8,
accepted). Cause 1 (the one writer) is tests/test_one_writer.py, cause 10 (an interrupted run
and ``dssl compare``) tests/test_unfinished_run.py; ``benchmarks/hostile_run.py`` throws a
larger generated set at the same entry points.
"""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest

from sims.cli import main
from sims.core.mixing import check_mixing
from sims.reproduce import export
from sims.reproduce.pipeline import jsonio
from tests._helpers import load_script
from theory import _validate as v
from theory import bounds, objectives, solve, topology
from theory.datamodel import DataModel, class_second_moments, client_second_moment


def _one_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = [ln for ln in err.strip().splitlines() if not ln.startswith("[")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def _refused(call, field: str) -> str:
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    text = str(info.value)
    assert "\n" not in text.strip() and text.startswith(f"{field}: "), text
    return text


# ---------------------------------------------------------------------------------------------
# cause 2: sizes before memory


def _key():
    import jax.random as jr

    return jr.key(0)


SIZES = {
    "validate_mixing": (
        lambda: topology.validate_mixing(np.broadcast_to(1e-5, (100_000, 100_000))),
        "W",
    ),
    "validate_mixing float32": (
        lambda: topology.validate_mixing(np.broadcast_to(np.float32(2e-5), (50_000, 50_000))),
        "W",
    ),
    "population_targets": (
        lambda: objectives.population_targets(DataModel(d=400_000, n_clients=4), "mim"),
        "model",
    ),
    "client_second_moment": (
        lambda: client_second_moment(DataModel(d=10**6, n_clients=2)),
        "model",
    ),
    "class_second_moments": (
        lambda: class_second_moments(DataModel(d=10**5, n_clients=40)),
        "model",
    ),
    "empirical_target": (
        lambda: objectives.empirical_target(np.broadcast_to(0.1, (3, 5, 90_000)), "mim"),
        "x",
    ),
    "make_graph": (lambda: topology.make_graph("ring", 2_000_000), "n"),
    "sparse_graph": (lambda: _sparse_graph("ring", 10**12), "n"),
    "sparse_graph random_regular": (lambda: _sparse_graph("random_regular", 10**9, degree=4), "n"),
    "graph_rule": (lambda: _mixing().graph_rule("ring", 10**12), "n"),
    "one_peer_exponential": (lambda: _mixing().one_peer_exponential(10**9), "n"),
    "static_exponential": (lambda: _mixing().static_exponential(10**8), "n"),
    "target_summary": (
        lambda: objectives.target_summary(DataModel(d=10**6, n_clients=4), "cl"),
        "model",
    ),
    "tile_clients": (
        lambda: _tile_clients([np.zeros((5, 28, 28, 1), np.float32)] * 3, 10**10, key=_key()),
        "rows",
    ),
}


def _sparse_graph(*args, **kwargs):
    from theory.sparse_graphs import sparse_graph

    return sparse_graph(*args, **kwargs)


def _mixing():
    from sims.core import mixing

    return mixing


def _tile_clients(*args, **kwargs):
    from sims.trackd.train import tile_clients

    return tile_clients(*args, **kwargs)


@pytest.mark.parametrize("name", sorted(SIZES))
def test_sizes_are_refused_before_allocating_naming_the_field(name):
    call, field = SIZES[name]
    text = _refused(call, field)
    assert "estimated" in text and v.FORCE_HINT in text, text


def test_force_size_goes_past_the_budget():
    with pytest.raises(ValueError):
        v.check_fits("d", 1, 1e30)
    v.check_fits("d", 1, 1e30, force=True)
    with v.sizes_forced():
        v.check_fits("d", 1, 1e30)
        v.check_time("rounds", 1, 1e30)
    with pytest.raises(ValueError, match="sizes_forced"):
        v.check_time("rounds", 1, 1e30)


@pytest.mark.parametrize(
    "argv, option",
    [
        # the dense summary (above DENSE_GOSSIP_MAX_BYTES the automatic solver is the sparse one,
        # refused below when it cannot resolve a graph)
        (["topology", "--n-clients", "9000", "--solver", "dense"], "--n-clients"),
        (
            ["topology", "--graph", "star", "--n-clients", "40000", "--solver", "dense"],
            "--n-clients",
        ),
        (["bench", "--quick", "--rounds", "50000"], "--rounds"),
        (["bench", "--rounds", "4000"], "--rounds"),
        (["simulate", "--n-clients", "600", "--d", "1500"], "--n-clients"),
    ],
)
def test_commands_refuse_sizes_naming_the_option_and_force_size(argv, option, capsys):
    assert main(argv) == 2
    line = _one_line(capsys)
    assert f"error: {option}: must be small enough" in line and "--force-size" in line, line


def test_the_sparse_summary_refuses_what_it_cannot_resolve_in_one_line(capsys, monkeypatch):
    """A star has no sparse form; a graph whose gap ARPACK does not resolve (made so here: the
    ring and torus, whose gaps ~ 1/N² it could not, now have their closed forms) is refused
    in one line naming --n-clients."""
    from scipy.sparse.linalg import ArpackNoConvergence

    from theory import sparse_graphs

    assert main(["topology", "--graph", "star", "--n-clients", "40000"]) == 2
    assert "error: --graph: must be" in _one_line(capsys)

    def no_convergence(*args, **kwargs):
        raise ArpackNoConvergence("ARPACK error -1: No convergence", [], [])

    monkeypatch.setattr(sparse_graphs, "spectrum", no_convergence)
    assert main(["topology", "--graph", "exponential", "--n-clients", "9000"]) == 2
    # after the run's estimate and stage lines (it failed while running): one error line
    err = capsys.readouterr().err
    errors = [ln for ln in err.splitlines() if "error:" in ln]
    assert len(errors) == 1 and "Traceback" not in err, err
    assert "--n-clients: must be a graph whose spectral gap ARPACK resolves" in errors[0], err


def test_long_runs_announce_their_estimate_and_progress(capsys):
    from sims.commands._common import progress

    say = progress("bench", 120.0, "the benchmark")
    say("engine")
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "dssl bench: the benchmark: about 120 s (estimated)"
    assert err[1].endswith("] engine")
    progress("bench", 0.5, "quick")("nothing")
    assert capsys.readouterr().err == ""


def test_topology_and_bench_estimates_grow_with_the_sizes():
    from sims.commands import topology as topo_cmd

    bench = load_script("timing")

    assert topo_cmd.estimate_seconds(2500) > v.PROGRESS_AFTER_S
    assert topo_cmd.estimate_seconds(20) < v.PROGRESS_AFTER_S
    small = bench.bench_config(**bench.QUICK)
    big = bench.bench_config(**(bench.QUICK | {"rounds": 100_000}))
    assert bench.estimate_seconds(big, repeats=5, per_step=False) > v.TIME_BUDGET_S
    assert bench.estimate_seconds(small, repeats=5, per_step=False) < 120


# ---------------------------------------------------------------------------------------------
# cause 3: a FIFO is refused, never opened


@pytest.mark.parametrize(
    "argv",
    [
        ["bounds", "--d", "64", "--p", "0.3"],
        ["topology", "--n-clients", "5"],
        ["exact", "--d", "16"],
    ],
)
def test_a_fifo_as_csv_is_refused_before_the_run(argv, tmp_path, capsys):
    fifo = tmp_path / "p.csv"
    os.mkfifo(fifo)
    assert main([*argv, "--csv", str(fifo)]) == 2
    assert "--csv: must be a regular file or a free path" in _one_line(capsys)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


FIFO_API = {
    "read_json": (lambda p: jsonio.read_json(p), "path"),
    "write_csv": (lambda p: export.write_csv({"a": [1.0]}, p), "path"),
    "write_json": (lambda p: jsonio.write_json(p, [1]), "path"),
    "check_csv_path": (lambda p: export.check_csv_path(p), "csv"),
}


@pytest.mark.parametrize("name", sorted(FIFO_API))
def test_a_fifo_given_to_the_library_is_refused(name, tmp_path):
    fn, field = FIFO_API[name]
    fifo = tmp_path / "p.json"
    os.mkfifo(fifo)
    _refused(lambda: fn(fifo), field)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


# ---------------------------------------------------------------------------------------------
# cause 4: inapplicable options


@pytest.mark.parametrize("method", ["cl", "cl-dissimilar"])
@pytest.mark.parametrize("p", ["0.1", "0.75"])
def test_exact_refuses_p_where_it_does_not_enter(method, p, capsys):
    assert main(["exact", "--d", "20", "--method", method, "--p", p]) == 2
    assert f"--p: must be omitted with --method {method}" in _one_line(capsys)


@pytest.mark.parametrize("method", ["cl", "cl-dissimilar"])
def test_simulate_refuses_p_where_it_does_not_enter(method, capsys):
    assert main(["simulate", "--method", method, "--p", "0.3"]) == 2
    assert f"--p: must be omitted with --method {method}" in _one_line(capsys)


def test_a_simulated_method_masks_where_its_target_takes_p():
    from sims.commands._names import SIM_METHODS
    from sims.losses import methods

    for name in SIM_METHODS:
        m = methods.get(name)
        if m.objective in objectives.TARGET_METHODS:
            assert m.masks == objectives.uses_mask_ratio(m.objective), name
        else:  # mim-recon, mar, ssd: MIM masks drawn by their own losses
            assert m.masks, name


def _p_entry_points():
    """Every public entry point that takes a mask ratio with a method, called at (method, p)."""
    from theory import finite_sample, structured

    model = DataModel(d=12, n_clients=2)
    x = np.random.default_rng(0).normal(size=(2, 5, 12))
    return {
        "population_targets": lambda m, p: objectives.population_targets(model, m, p=p),
        "empirical_target": lambda m, p: objectives.empirical_target(x, m, p=p),
        "client_targets": lambda m, p: structured.client_targets(model, m, p=p),
        "structured.solve": lambda m, p: structured.solve(model, m, p=p),
        "solve_dense": lambda m, p: structured.solve_dense(model, m, p=p),
        "solve_framework": lambda m, p: structured.solve_framework(model, m, "fl", p=p),
        "paper_decl_block": lambda m, p: structured.paper_decl_block(model, m, 1.0, p=p),
        "track_b_samples": lambda m, p: finite_sample.track_b_samples(model, m, m=20, p=p),
    }


@pytest.mark.parametrize("entry", sorted(_p_entry_points()))
@pytest.mark.parametrize("method", ["cl", "cl-dissimilar"])
def test_the_api_refuses_p_where_it_does_not_enter(entry, method):
    call = _p_entry_points()[entry]
    line = _refused(lambda: call(method, 0.3), "p")
    assert f"omitted with method {method!r}" in line
    call(method, None)  # omitted: accepted
    call("mim", 0.3)  # where p enters: accepted


@pytest.mark.parametrize("method", ["cl", "mim", "mim-independent", "mim-paper"])
def test_the_api_refuses_a_transform_where_it_does_not_enter(method):
    from theory import structured

    model = DataModel(d=12, n_clients=2)
    x = np.random.default_rng(1).normal(size=(5, 12))
    for call in (
        lambda: objectives.population_targets(model, method, H=np.eye(12)),
        lambda: objectives.empirical_target(x, method, H=np.eye(12)),
        lambda: structured.solve(model, method, H="rotation"),
    ):
        assert "None unless method is cl-dissimilar" in _refused(call, "H")
    objectives.population_targets(model, "cl-dissimilar", H=np.eye(12))


@pytest.mark.parametrize("method", ["mim", "mim-paper", "mim-independent", "mim-recon"])
def test_mask_ratio_enters_every_mim_method(method):
    assert objectives.uses_mask_ratio(method)


@pytest.mark.parametrize("graph", ["ring", "star", "hypercube"])
def test_fedavg_refuses_a_graph_it_would_ignore(graph):
    adj = topology.make_graph(graph, 8)
    _refused(lambda: topology.mixing_matrix("fedavg", adj), "adjacency")
    w = topology.mixing_matrix("fedavg", adj, any_graph=True)
    np.testing.assert_allclose(w, np.full((8, 8), 1 / 8))
    np.testing.assert_allclose(
        topology.mixing_matrix("fedavg", topology.complete(8)), np.full((8, 8), 1 / 8)
    )


BOUND_CALLS = {
    "evaluate": lambda **kw: bounds.evaluate(d=300.0, p=0.5, **kw),
    "sensitivity": lambda **kw: bounds.sensitivity("mim", "local", d=300.0, p=0.5, **kw),
    "lower_bound": lambda **kw: bounds.lower_bound("cl_similar", "fl", d=300.0, p=0.5, **kw),
}


@pytest.mark.parametrize("const", ["c_num", "c_den", "c_f", "c_n"])
@pytest.mark.parametrize("entry", sorted(BOUND_CALLS))
def test_a_constant_given_twice_is_refused(entry, const):
    call = BOUND_CALLS[entry]
    _refused(lambda: call(**{const: 2.0}, constants={const: 3.0}), const)


# ---------------------------------------------------------------------------------------------
# cause 5: out of range, complex, non-finite


COMPLEX = {
    "optima": (lambda: solve.optima(np.eye(3)[None].repeat(2, 0) * (1 + 1e-3j), 1), "targets"),
    "validate_mixing": (lambda: topology.validate_mixing(np.full((3, 3), 1 / 3 + 0j)), "W"),
    "check_mixing": (lambda: check_mixing(np.full((3, 3), 1 / 3 + 0j)), "mixing"),
    "empirical_target": (lambda: objectives.empirical_target(np.ones((4, 3)) * 1j, "mim"), "x"),
    "bounds p": (lambda: bounds.evaluate(d=100.0, p=0.5 + 0.1j), "p"),
    "DataModel tau": (lambda: DataModel(d=12, n_clients=3, tau=1 + 2j), "tau"),
}


@pytest.mark.parametrize("name", sorted(COMPLEX))
def test_complex_input_is_refused(name):
    call, field = COMPLEX[name]
    _refused(call, field)


@pytest.mark.parametrize(
    "kw, field",
    [
        ({"c_f": 1e200, "fl_term": "theta"}, "c_f"),
        ({"c_n": 1e-200}, "c_n"),
        ({"c_num": 1e101}, "c_num"),
        ({"c_den": 1e-101}, "c_den"),
        ({"p": -0.0}, "p"),
    ],
)
def test_bounds_out_of_range_names_the_range(kw, field):
    text = _refused(lambda: bounds.evaluate(**({"d": 100.0, "p": 0.5} | kw)), field)
    assert "must be in" in text


def test_minus_zero_is_zero():
    assert str(DataModel(d=10, n_clients=2, rare_fraction=-0.0).rare_fraction) == "0.0"


@pytest.mark.parametrize("text", ["1e400", "[-2e308]", '{"a": {"b": 9e999}}'])
def test_json_beyond_float64_is_refused_on_read(text, tmp_path):
    _refused(lambda: jsonio.from_json(text), "json")
    (tmp_path / "x.json").write_text(text)
    _refused(lambda: jsonio.read_json(tmp_path / "x.json"), "path")


@pytest.mark.parametrize("text", ["1e400", '{"x": [1.0, -1e309]}'])
def test_json_beyond_float64_is_refused_where_nan_and_infinity_are_read(text, tmp_path, capsys):
    _refused(lambda: jsonio.from_json(text, constants=True), "json")
    assert jsonio.from_json("[NaN, Infinity, 1.7e308]", constants=True)[2] == 1.7e308
    for side in ("old", "new"):
        (tmp_path / side).mkdir()
        (tmp_path / side / "r.json").write_text('{"x": 1.0}' if side == "old" else text)
    assert main(["compare", str(tmp_path / "old"), str(tmp_path / "new")]) == 2
    line = _one_line(capsys)
    assert "new: must be a folder of valid JSON files (r.json is not" in line
    assert "float64's range" in line


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), np.float32("-inf")])
def test_json_never_written_with_a_non_finite_number(bad, tmp_path):
    _refused(lambda: jsonio.write_json(tmp_path / "x.json", {"a": [{"b": bad}]}), "obj")
    assert not (tmp_path / "x.json").exists()


@pytest.mark.parametrize(
    "argv, option",
    [
        (["bounds", "--d", "64", "--p", "0.3", "--c-n", "1e-250"], "--c-n"),
        (["bounds", "--d", "64", "--p", "0.3", "--c-nu", "3e150"], "--c-nu"),
    ],
)
def test_bounds_command_refuses_constants_out_of_range(argv, option, capsys):
    assert main(argv) == 2
    assert f"error: {option}: must be a finite number in [1e-100, 1e+100]" in _one_line(capsys)


# ---------------------------------------------------------------------------------------------
# cause 6: the line names what the user typed


@pytest.mark.parametrize(
    "spelling, value", [("--sim-seed", "8589934593"), ("--sim-s", "5e10"), ("--sim-seed", "-1")]
)
def test_sim_seed_is_named_as_typed(spelling, value, capsys):
    assert main(["verify", "--simulate", "fast", spelling, value]) == 2
    assert f"error: {spelling}: must be an integer in [0, 4294967295]" in _one_line(capsys)


@pytest.mark.parametrize("levels", [300, 50_000])
def test_deep_trackd_results_name_the_option(levels, tmp_path, capsys):
    (tmp_path / "trackd_verdicts.json").write_text("[" * levels + "]" * levels)
    assert main(["verify", "--d", "40", "--trackd-results", str(tmp_path)]) == 2
    assert "--trackd-results:" in _one_line(capsys)


@pytest.mark.parametrize("data", [b"\xff\xfe\x00", b"[" * 60_000 + b"]" * 60_000, b"{"])
def test_unreadable_answer_files_name_the_option(data, tmp_path, capsys):
    (tmp_path / "verdict_map.json").write_bytes(data)
    (tmp_path / "verdict_cells.json").write_text("{}")
    assert main(["verify", "--d", "40", "--map-results", str(tmp_path)]) == 2
    assert "--map-results:" in _one_line(capsys)


@pytest.mark.parametrize(
    "a, b",
    [(("abar", (3,)), ("n", (4,))), (("d", (2,)), ("p", (3,))), (("d", (2,)), ("c_num", (5,)))],
)
def test_non_broadcasting_bounds_name_the_argument(a, b):
    args = {"d": 100.0, "p": 0.5, "abar": 3.0, "n": 4.0}
    args[a[0]] = np.full(a[1], 2.0 if a[0] != "p" else 0.5)
    args[b[0]] = np.full(b[1], 2.0 if b[0] != "p" else 0.5)
    text = _refused(lambda: bounds.evaluate(**args), b[0])
    assert a[0] in text


@pytest.mark.parametrize("shape", [(2,), (3, 2)])
def test_a_batch_of_keys_is_refused_by_name(shape):
    import jax.random as jr

    from sims.data.paper_model import sample_paper_model

    keys = jr.split(jr.key(0), int(np.prod(shape))).reshape(shape)
    _refused(lambda: sample_paper_model(DataModel(d=8, n_clients=2), 3, key=keys), "key")


def test_a_deep_csv_path_names_the_option(tmp_path, capsys):
    deep = tmp_path.joinpath(*["q"] * 300) / "t.csv"
    assert main(["bounds", "--d", "64", "--p", "0.3", "--csv", str(deep)]) == 2
    assert "--csv: must be a path at most 256 folders deep" in _one_line(capsys)


def test_a_backend_that_fails_to_start_is_one_line(monkeypatch):
    import jax

    from sims.core import environ

    def broken():
        raise AssertionError

    monkeypatch.setenv("JAX_PLATFORMS", "cuda")
    monkeypatch.setattr(jax, "devices", broken)
    line = environ.platform_error()
    assert line.startswith("JAX_PLATFORMS: must be a platform that starts here")


# Track D images no arm can train on: too small for MAE's mask to hide a patch, sides that do
# not tile into patches, a non-square image for the CNN's square patch grid
TRACKD_IMAGES = [
    ((2, 2), ("mlp", "vit", "cnn"), ("mae",)),  # one patch: nothing masked, loss and gradient 0
    ((3, 3), ("mlp", "vit", "cnn"), ("mae", "simsiam")),
    ((5, 5), ("mlp", "vit", "cnn"), ("mae", "simsiam")),
    ((4, 6), ("cnn",), ("mae", "simsiam")),
]


def _fast_common():
    from sims.trackd import presets

    return presets.preset("fast", "fig2a").common


@pytest.mark.parametrize("hw, archs, objectives_", TRACKD_IMAGES)
def test_images_no_arm_can_train_on_name_the_data(hw, archs, objectives_):
    from sims.trackd import experiments

    common = _fast_common()
    for arch in archs:
        for objective in objectives_:
            args = (common, arch, objective, (*hw, 1))
            _refused(lambda a=args: experiments.net_config(*a), "data_path")


@pytest.mark.parametrize(
    "hw, arch, objective",
    [
        ((2, 2), "mlp", "simsiam"),
        ((4, 2), "mlp", "mae"),
        ((4, 6), "vit", "mae"),
        ((4, 4), "cnn", "mae"),
    ],
)
def test_the_smallest_images_an_arm_trains_on_are_accepted(hw, arch, objective):
    from sims.trackd import experiments

    nc = experiments.net_config(_fast_common(), arch, objective, (*hw, 1))
    assert nc.n_patches == (hw[0] // 2) * (hw[1] // 2)


@pytest.mark.parametrize("p", [0.01, 0.1, 0.25, 0.3, 0.5, 0.75, 0.99])
def test_min_patches_is_where_the_mask_first_hides_a_patch(p):
    import jax.random as jr

    from sims.trackd import experiments
    from sims.trackd.losses import patch_mask

    def hidden(n):  # patches the mask itself hides, counted
        return int(n - np.asarray(patch_mask(jr.key(0), 1, n, p)[0]).sum())

    need = experiments.min_patches(p)
    assert hidden(need) >= 1
    assert all(hidden(n) == 0 for n in range(1, need))


def test_trackd_refuses_tiny_images_before_training(tmp_path, capsys):
    path = tmp_path / "tiny.npz"
    np.savez(path, images=np.zeros((40, 2, 2, 1), np.uint8), labels=np.arange(40) % 2)
    argv = ["trackd", "--experiment", "fig2a", "--dataset", "npz", "--data-path", str(path)]
    assert main(argv) == 2
    line = _one_line(capsys)
    assert "--data-path: must be images of at least 2 patches of 2x2 pixels" in line, line


# ---------------------------------------------------------------------------------------------
# cause 7: only ValueError/TypeError from the API


@pytest.mark.parametrize(
    "data",
    [b"\x89PNG\r\n\x1a\n", '{"a": 1}'.encode("utf-16"), b"", b"[1,]", b'{"a": 1} x', b"\x00"],
)
def test_read_json_of_anything_is_a_one_line_value_error(data, tmp_path):
    (tmp_path / "b.json").write_bytes(data)
    _refused(lambda: jsonio.read_json(tmp_path / "b.json"), "path")
    _refused(lambda: jsonio.from_json(data), "json")


def test_a_byte_order_mark_is_read_past(tmp_path):
    (tmp_path / "b.json").write_bytes(b'\xef\xbb\xbf{"a": [1]}')
    assert jsonio.read_json(tmp_path / "b.json") == {"a": [1]}


@pytest.mark.parametrize("shape", [(0, 4), (0, 0), (3, 0)])
def test_representability_of_an_empty_w(shape):
    r = solve.representability_vector(np.zeros(shape))
    assert r.shape == (shape[1],) and not r.any()


@pytest.mark.parametrize("ret", [["holds"], "violated", 7, {"thm4.2": "holds"}])
def test_a_track_c_callback_returning_junk_is_refused(ret):
    from sims import api

    _refused(lambda: api.verify(d=40, track_c=lambda cfg: ret), "track_c")


@pytest.mark.parametrize("name", ["xla_no_such_option_here", "", "not an option"])
def test_unknown_compiler_options_are_refused_before_compiling(name):
    import jax.random as jr

    from sims.core import engine

    _problem = load_script("timing")._problem
    from sims.trackc.engine_config import EngineConfig

    config = EngineConfig(n_clients=4, d=8, c=2, batch=2, local_steps=1, rounds=1,
                          dtype="float32")  # fmt: skip
    problem = _problem(config)
    _refused(
        lambda: engine.sweep_call(
            config, problem, jr.split(jr.key(0), 1), compiler_options={name: True}
        ),  # fmt: skip
        "compiler_options",
    )


# ---------------------------------------------------------------------------------------------
# cause 8: valid float32 mixing matrices accepted by both checks


@pytest.mark.parametrize("graph, n", [("ring", 4), ("ring", 31), ("star", 9), ("complete", 7),
                                      ("hypercube", 16)])  # fmt: skip
@pytest.mark.parametrize("rule", ["uniform", "metropolis", "max_degree"])
def test_float32_mixing_is_accepted_by_validate_and_check(graph, n, rule):
    w = topology.mixing_matrix(rule, topology.make_graph(graph, n)).astype(np.float32)
    assert topology.validate_mixing(w).dtype == np.float64
    assert check_mixing(w).shape == (n, n)


def test_float64_tolerance_is_unchanged_and_shared():
    w = np.full((4, 4), 0.25)
    w[0, 0] += 1e-8  # far beyond float64 rounding
    _refused(lambda: topology.validate_mixing(w), "W")
    _refused(lambda: check_mixing(w), "mixing")


# ---------------------------------------------------------------------------------------------
# cause 9: faults


def test_a_folder_in_place_of_a_stage_file_is_refused_naming_out(tmp_path):
    from sims.reproduce.pipeline import run_stages
    from tests._pipeline_helpers import counting_stage

    (tmp_path / "count.json").mkdir()
    with pytest.raises(ValueError) as info:
        run_stages([counting_stage([])], out=tmp_path, progress=False)
    text = str(info.value)
    assert text.startswith("out: ") and "count.json" in text and ".tmp" not in text, text
    assert (tmp_path / "count.json").is_dir()


def test_matplotlib_gets_a_temporary_home_where_home_cannot_hold_it(tmp_path, monkeypatch):
    from sims.commands._boundary import matplotlib_home

    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("HOME", str(tmp_path / "file" / "home"))
    monkeypatch.delenv("MPLCONFIGDIR", raising=False)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    with matplotlib_home():
        folder = os.environ["MPLCONFIGDIR"]
        assert os.path.isdir(folder)
    assert "MPLCONFIGDIR" not in os.environ and not os.path.exists(folder)
    monkeypatch.setenv("HOME", str(tmp_path))
    with matplotlib_home():
        assert "MPLCONFIGDIR" not in os.environ
