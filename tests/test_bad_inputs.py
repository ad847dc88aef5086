"""Bad-input audit: every CLI subcommand and the engine's public functions reject bad input with
exit status 2 and ONE stderr line naming the field (CLI), or a ValueError naming the field (API).
Never a traceback, never a silent NaN."""

from __future__ import annotations

import numpy as np
import pytest

from sims.cli import main
from sims.core.client import auto_client_chunk
from sims.core.config import key_tree
from sims.core.engine import sweep
from sims.core.problem import make_problem
from sims.trackc.engine_config import EngineConfig
from theory import topology

N, D, C = 4, 8, 2

# (argv, text that must appear in the one stderr line: the field name)
CLI_CASES = [
    (["topology", "--graph", "nope", "--n-clients", "8"], "graph"),
    (["topology", "--graph", "ring", "--n-clients", "1"], "n-clients"),
    (["topology", "--graph", "ring", "--n-clients", "x"], "n-clients"),
    (["topology", "--graph", "ring", "--n-clients", "8", "--mixing", "nope"], "mixing"),
    (["topology", "--graph", "random_regular", "--n-clients", "8", "--degree", "9"], "degree"),
    (["topology", "--graph", "erdos_renyi", "--n-clients", "8", "--prob", "1.5"], "prob"),
    (["topology", "--graph", "ring", "--n-clients", "8", "--gamma", "-1"], "gamma"),
    (["topology", "--graph", "ring", "--n-clients", "1e308"], "n-clients"),
    (["bounds", "--d", "0", "--abar", "4"], "d"),
    (["bounds", "--d", "64", "--abar", "4", "--p", "1.5"], "p"),
    (["bounds", "--d", "64", "--abar", "4", "--p", "nan"], "p"),
    (["bounds", "--d", "64", "--p", "0.75", "--abar", "-2"], "abar"),
    (["bounds", "--d", "64", "--p", "0.75", "--abar", "4", "--n-clients", "0"], "n-clients"),
    (["exact", "--method", "nope"], "method"),
    (["exact", "--d", "4", "--n-clients", "4"], "d"),
    (["exact", "--c", "0"], "c"),
    (["exact", "--p", "0"], "p"),
    (["exact", "--rare-fraction", "2"], "rare"),
    (["exact", "--rare-axis", "a,b"], "rare-axis"),
    (["exact", "--graph", "nope"], "graph"),
    (["verify", "--d", "-1"], "d"),
    (["verify", "--claims", "no-such-claim"], "claim"),
    (["verify", "--p", "inf"], "p"),
    (["simulate", "--method", "nope"], "method"),
    (["simulate", "--n-clients", "1"], "n-clients"),
    (["simulate", "--n-clients", "4", "--d", "4"], "d"),
    (["simulate", "--c", "100"], "c"),
    (["simulate", "--p", "1"], "p"),
    (["simulate", "--lr", "0"], "lr"),
    (["simulate", "--lr", "-1"], "lr"),
    (["simulate", "--rounds", "0"], "rounds"),
    (["simulate", "--clients-per-round", "9"], "clients-per-round"),
    (["simulate", "--samples-per-client", "1"], "samples-per-client"),
    (["simulate", "--graph", "nope"], "graph"),
    (["simulate", "--seed", "-1"], "seed"),
    (["simulate", "--d", "1e308"], "d"),
    (["reproduce", "--blas-threads", "x"], "blas-threads"),
    (["reproduce", "--nope"], "--nope"),
    (["bench", "--n-clients", "1"], "--n-clients"),
    (["bench", "--d", "0"], "d"),
    (["bench", "--c", "99", "--d", "8"], "c"),
    (["bench", "--batch", "1000"], "batch"),
    (["bench", "--rounds", "0"], "rounds"),
    (["bench", "--dtype", "float16"], "dtype"),
    (["nope"], "nope"),
]


@pytest.mark.parametrize("argv, field", CLI_CASES, ids=[" ".join(a) for a, _ in CLI_CASES])
def test_cli_bad_input_exit_2_one_line(argv, field, capsys):
    try:
        rc = main(argv + ["--json"] if argv[0] != "nope" else argv)
    except SystemExit as exc:  # argparse errors
        rc = exc.code
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(err) == 1, err
    assert field in err[0], err[0]
    assert "Traceback" not in err[0]


def _x(n=N, m=6, d=D):
    return np.random.default_rng(0).normal(size=(n, m, d))


def _t(n=N, d=D):
    return np.stack([np.eye(d)] * n)


def _mix(n=N):
    return topology.mixing_matrix("uniform", topology.make_graph("ring", n))


def _cfg(**kw):
    return EngineConfig(**({"n_clients": N, "d": D, "c": C, "batch": 4} | kw))


def _sweep_one(keys=None, **kw):
    """A one-round sweep of the small problem (one configuration unless ``keys`` says)."""
    cfg = _cfg(rounds=1)
    keys = np.zeros((1, 2), np.uint32) if keys is None else keys
    return sweep(cfg, make_problem(cfg, _t(), x=_x(), mixing=_mix()), keys, **kw)


API_CASES = [
    ("config c > d", lambda: _cfg(c=D + 1), "c"),
    ("config unknown method", lambda: _cfg(method="byol"), "method"),
    ("config unknown optimizer", lambda: _cfg(optimizer="lion"), "optimizer"),
    ("config unknown dtype", lambda: _cfg(dtype="float16"), "dtype"),
    ("config S > N", lambda: _cfg(framework="fl", clients_per_round=N + 1), "clients_per_round"),
    ("config lr nan", lambda: _cfg(lr=float("nan")), "lr"),
    ("config p = 0", lambda: _cfg(p=0.0), "p"),
    ("config batch 1", lambda: _cfg(batch=1), "batch"),
    ("config client_chunk 0", lambda: _cfg(client_chunk=0), "client_chunk"),
    (
        "problem NaN in data",
        lambda: make_problem(_cfg(), _t(), x=np.where(_x() > 1, np.nan, _x()), mixing=_mix()),
        "x",
    ),
    (
        "problem inf in targets",
        lambda: make_problem(_cfg(), _t() * np.inf, x=_x(), mixing=_mix()),
        "targets",
    ),
    ("problem x wrong d", lambda: make_problem(_cfg(), _t(), x=_x(d=D + 1), mixing=_mix()), "x"),
    ("problem x wrong N", lambda: make_problem(_cfg(), _t(), x=_x(n=N + 1), mixing=_mix()), "x"),
    (
        "problem not stochastic",
        lambda: make_problem(_cfg(), _t(), x=_x(), mixing=np.eye(N) * 2),
        "mixing",
    ),
    (
        "problem negative mixing",
        lambda: make_problem(_cfg(), _t(), x=_x(), mixing=np.eye(N) * 2 - 1.0 / N),
        "mixing",
    ),
    (
        "problem mixing wrong shape",
        lambda: make_problem(_cfg(), _t(), x=_x(), mixing=np.eye(N + 1)),
        "mixing",
    ),
    (
        "problem sizes > M",
        lambda: make_problem(_cfg(), _t(), x=_x(), sizes=[6, 6, 6, 7], mixing=_mix()),
        "sizes",
    ),
    (
        "problem batch > local data",
        lambda: make_problem(_cfg(batch=9), _t(), x=_x(), mixing=_mix()),
        "batch",
    ),
    (
        "problem agg <= 0",
        lambda: make_problem(_cfg(framework="fl"), _t(), x=_x(), agg=[1, 0, 1, 1]),
        "agg",
    ),
    (
        "problem disconnected graph",
        lambda: make_problem(_cfg(), _t(), x=_x(), mixing=np.eye(N)),
        "mixing",
    ),
    ("sweep keys wrong shape", lambda: _sweep_one(np.zeros((3,))), "keys"),
    (
        "sweep compiler options not a mapping",
        lambda: _sweep_one(compiler_options=["xla_cpu_use_fusion_emitters"]),
        "compiler_options",
    ),
    (
        "sweep compiler option value a list",
        lambda: _sweep_one(compiler_options={"xla_cpu_use_fusion_emitters": [True]}),
        "compiler_options",
    ),
    ("auto chunk budget 0", lambda: auto_client_chunk(_cfg(), budget_bytes=0), "budget_bytes"),
    ("key_tree negative seed", lambda: key_tree(-3), "seed"),
    ("topology unknown graph", lambda: topology.make_graph("nope", 5), "graph"),
    (
        "topology unknown mixing",
        lambda: topology.mixing_matrix("nope", topology.make_graph("ring", 5)),
        "mixing",
    ),
]


@pytest.mark.parametrize("case, fn, field", API_CASES, ids=[c for c, _, _ in API_CASES])
def test_api_bad_input_value_error(case, fn, field):
    with pytest.raises(ValueError) as err:
        fn()
    assert str(err.value).startswith(field) or f"{field}:" in str(err.value), str(err.value)
    assert len(str(err.value).splitlines()) == 1
