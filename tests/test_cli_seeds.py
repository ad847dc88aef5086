"""One ``--seed`` names one random graph in every command (``sims.core.config`` module
docstring)."""

from __future__ import annotations

import json

import pytest

from sims.cli import main


def _json(capsys, argv) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    "graph, flags",
    [("erdos_renyi", ["--prob", "0.3"]), ("paper_code", ["--avg-degree", "3"])],
)
def test_simulate_and_topology_draw_the_same_graph(capsys, graph, flags):
    n, seed = 12, 7
    topo = _json(
        capsys,
        [
            "topology",
            "--graph",
            graph,
            "--n-clients",
            str(n),
            "--seed",
            str(seed),
            "--json",
            *flags,
        ],
    )
    sim = _json(
        capsys,
        ["simulate", "--method", "mim", "--framework", "decl", "--graph", graph, *flags]
        + ["--n-clients", str(n), "--d", "24", "--rounds", "1", "--samples-per-client", "20"]
        + ["--batch", "4", "--local-steps", "1", "--seed", str(seed), "--json"],
    )
    other = _json(
        capsys,
        [
            "topology",
            "--graph",
            graph,
            "--n-clients",
            str(n),
            "--seed",
            str(seed + 1),
            "--json",
            *flags,
        ],
    )
    sim = sim["config"]
    assert sim["avg_connectivity"] == pytest.approx(topo["avg_connectivity"], abs=1e-12)
    assert sim["spectral_gap"] == pytest.approx(topo["spectral_gap"], abs=1e-12)
    # the check can fail: another seed draws another graph at these sizes
    assert (other["avg_connectivity"], other["spectral_gap"]) != (
        topo["avg_connectivity"],
        topo["spectral_gap"],
    )
