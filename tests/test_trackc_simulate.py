"""``sims.trackc.simulate`` called from Python: a run from :class:`SimulateSettings` alone, the
settings' one-line errors, and the settings named as the options of ``dssl simulate``."""

from __future__ import annotations

import dataclasses
import json

import jax
import pytest

from sims.cli import build_parser, main
from sims.reproduce.pipeline.jsonio import to_jsonable
from sims.trackc.simulate import RESULT_FIELDS, SimulateSettings, simulate

#: a small FedAvg run, S = 2 of N = 4 clients a round, as settings and as options
FL = dict(framework="fl", n_clients=4, d=8, rounds=3, samples_per_client=40, batch=8,
          local_steps=2, clients_per_round=2)  # fmt: skip


def _options(settings: dict) -> list[str]:
    return [w for k, val in settings.items() for w in ("--" + k.replace("_", "-"), str(val))]


def test_fl_run_from_settings_equals_the_command(capsys):
    """The library called with the settings gives the command's result, number for number,
    and leaves the caller's x64 setting as it was."""
    x64_before = jax.config.jax_enable_x64
    result = simulate(SimulateSettings(**FL))
    assert jax.config.jax_enable_x64 == x64_before
    assert tuple(result) == RESULT_FIELDS and result["rounds_done"] == 3
    assert result["config"]["clients_per_round"] == 2 and result["config"]["devices"] == 1
    assert main(["simulate", *_options(FL), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(to_jsonable(result)))


@pytest.mark.parametrize(
    ("bad", "line"),
    [
        (dict(d=6), "d: must be an integer >= 8 (2·n_clients), got 6"),
        (
            dict(framework="fl", clients_per_round=5),
            "clients_per_round: must be an integer in [1, 4], got 5",
        ),
        (
            dict(samples_per_client=8, batch=16),
            "batch: must be at most --samples-per-client = 8, got 16",
        ),
        (dict(method="mar", gamma_min=0.5), "gamma_min: must be <= --gamma-max = 0.1, got 0.5"),
        (dict(rows=2), "rows: must be an integer >= 3, got 2"),
        (dict(population="yes"), "population: must be True or False, got 'yes' (str)"),
    ],
)
def test_a_bad_field_is_refused_with_one_line(bad, line):
    with pytest.raises(ValueError) as err:
        SimulateSettings(**{"n_clients": 4, "d": 8} | bad)
    assert str(err.value) == line


def test_every_setting_is_an_option_of_dssl_simulate():
    """Every field is the destination of an option (``trace``: ``--trace``, or ``--csv``), so
    the command builds the settings from its options by name."""
    parser = build_parser()
    sub = next(a for a in parser._actions if getattr(a, "choices", None))
    dests = {a.dest for a in sub.choices["simulate"]._actions}
    names = {f.name for f in dataclasses.fields(SimulateSettings)}
    assert names <= dests and "csv" in dests


def test_the_command_with_a_compile_cache_gives_the_same_result(tmp_path, capsys):
    """``--compile-cache DIR`` (as ``dssl reproduce``'s): the run's programs are kept under
    DIR/<host tag> with the manifest of a clean exit, and the result is the one without it."""
    from sims.reproduce.pipeline.compile_cache import host_tag

    assert main(["simulate", *_options(FL), "--json", "--compile-cache", "none"]) == 0
    plain = json.loads(capsys.readouterr().out)
    cache = tmp_path / "cc"
    assert main(["simulate", *_options(FL), "--json", "--compile-cache", str(cache)]) == 0
    assert json.loads(capsys.readouterr().out) == plain
    manifest = json.loads((cache / host_tag() / "manifest.json").read_text())
    assert isinstance(manifest, dict)
