"""sims.glossary: every key that every ``dssl`` command emits at small settings is explained, the
glossary names the claims, verdict words and readings of the code, the docs page is the
generated one, and the epilogs list each command's keys."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sims import cli
from sims import glossary as g
from sims.cli import main

ROOT = Path(__file__).resolve().parents[1]

SIM_SMALL = [
    "--n-clients",
    "4",
    "--d",
    "8",
    "--rounds",
    "2",
    "--samples-per-client",
    "40",
    "--batch",
    "8",
    "--local-steps",
    "1",
]

#: (output group, argv) of every command at small settings
RUNS = [
    ("topology", ["topology"]),
    ("topology", ["topology", "--graph", "paper_code", "--avg-degree", "3", "--n-clients", "8"]),
    ("topology", ["topology", "--graph", "exponential", "--mixing", "ying", "--n-clients", "8"]),
    ("topology", ["topology", "--graph", "matching", "--n-clients", "9"]),
    ("topology", ["topology", "--graph", "ring", "--n-clients", "12", "--solver", "sparse"]),
    ("bounds", ["bounds", "--d", "1e5", "--p", "0.75", "--abar", "5", "--n-clients", "20"]),
    ("exact", ["exact", "--d", "40"]),
    ("exact", ["exact", "--d", "40", "--dense", "--method", "cl"]),
    ("exact", ["exact", "--d", "40", "--method", "mim-recon"]),
    ("exact", ["exact", "--d", "40", "--samples", "50"]),
    ("exact", ["exact", "--d", "40", "--samples", "50", "--sample-seeds", "2"]),
    ("exact", ["exact", "--d", "64", "--method", "cl-dissimilar", "--transform", "rotation-full"]),
    ("verify", ["verify", "--d", "400", "--d-sweep", "400"]),
    ("simulate", ["simulate", "--method", "mim", "--framework", "decl", "--trace"] + SIM_SMALL),
    ("simulate", ["simulate", "--method", "mar", "--framework", "fl", "--trace"] + SIM_SMALL),
    ("simulate", ["simulate", "--graph", "one_peer_exp"] + SIM_SMALL),
    (
        "bench",
        ["bench", "--quick", "--n-clients", "3", "--d", "4", "--c", "2", "--batch", "4"]
        + ["--local-steps", "2", "--rounds", "2", "--repeats", "1"],
    ),
    ("reproduce", ["reproduce", "--list"]),
]


def _json(capsys, argv) -> dict:
    rc = main(argv + ["--json"])
    out = capsys.readouterr().out
    assert rc == 0, argv
    return json.loads(out)


@pytest.mark.parametrize("group,argv", RUNS, ids=[" ".join(a[:3]) for _, a in RUNS])
def test_every_key_of_every_command_is_explained(capsys, group, argv):
    out = _json(capsys, argv)
    assert g.unknown_keys(out, group) == []


def test_verdict_map_and_atlas_keys_are_explained():
    from sims import verdict_map as vm
    from theory import atlas

    small = vm.MapConfig(
        d=10**4,
        p_values=(0.5,),
        n_values=(2, 3),
        rare_axes=("extra",),
        rule_change_n=(3,),
        hidden_constants=True,
    )
    full = vm.compute_map(small, rule_changes=False)
    assert g.unknown_keys(json.loads(json.dumps(vm.compact_map(full))), "map") == []
    assert g.unknown_keys(vm.encode_cells(full), "map") == []
    study = atlas.atlas_study(atlas.AtlasConfig(max_n=3, families=False, mixings=("uniform",)))
    from sims.reproduce.pipeline.jsonio import to_jsonable

    assert g.unknown_keys(to_jsonable(study), "map") == []


def test_trackd_keys_are_explained():
    from sims.commands import trackd as cmd
    from sims.trackd import verdict_rows as td_rows

    rec = {"mean": 0.4375, "se": 0.0625, "n": 2, "values": [0.375, 0.5], "chance": 0.1}
    out = {
        "preset": "fast",
        "estimate": dict.fromkeys(cmd.ESTIMATE_KEYS, 0),
        "experiments": {
            "table1": {"mae+mlp iid": rec},
            "fig2a": {"uniform": {"3": rec}, "fl": rec},
            "fig2b": {"fl": {"mae": {"1.0": rec}}},
        },
        "verdicts": td_rows.verdict_table({}),
    }
    assert g.unknown_keys(out, "trackd") == []
    assert cmd.NAME == "trackd"


def test_committed_report_keys_are_explained():
    path = ROOT / "figures" / "report.json"
    if not path.exists():
        pytest.skip("no figures/report.json")
    assert g.unknown_keys(json.loads(path.read_text()), "report") == []


def test_claims_verdict_words_and_readings_match_the_code():
    from theory import claims as cl
    from theory import verdicts as vd

    assert tuple(g.CLAIMS) == cl.CLAIM_IDS
    assert set(vd.WORDS) <= set(g.VERDICT_WORDS)
    values = {x for vals in cl.READINGS.values() for x in vals if x not in cl.SENSITIVITIES}
    values |= {"spread-N", "spread-c"}
    assert values == set(g.READING_VALUES)
    for word in vd.WORDS:
        assert g.describe(word).unit.startswith("verdict word")
    for key, words in (("track_a", vd.TRACK_A), ("track_b", vd.TRACK_BC), ("track_c", vd.TRACK_BC)):
        meaning = g.describe(key).meaning  # dssl explain track_b lists every word it can print
        assert all(w in meaning for w in (*words, vd.NOT_RUN)), (key, meaning)


def test_the_disambiguations_the_reader_needs():
    mask, mixing = g.describe("p"), g.describe("p", "topology")
    assert (
        "mask" in mask.meaning and "1 − λ²" in mixing.meaning and "NOT the mask" in mixing.meaning
    )
    assert "1/(2N)" in g.describe("probe_accuracy").unit
    assert "2N classes" in g.describe("probe_accuracy").meaning
    assert "stationary" in g.describe("decl_stationary").meaning
    assert (
        "Eq. (1)" in g.describe("decl").meaning
        and "NOT decl_stationary" in g.describe("decl").meaning
    )
    assert "Eqs. 27-30" in g.describe("paper_decl").meaning
    assert (
        "1 − min r" in g.describe("gap").meaning
        and "NOT the spectral gap" in g.describe("gap").meaning
    )
    assert "[N]" in g.describe("s_N").meaning and "first c" in g.describe("s_c").meaning
    assert "average degree + 1" in g.describe("abar").meaning
    assert "NOT the stationary" in g.describe("objective_weights").meaning
    for key in ("lambda2", "lambda", "spectral_gap", "zeta_sq", "consensus_distance"):
        assert g.describe(key, "topology" if key != "zeta_sq" else "simulate") is not None
    assert "uniformity" in g.describe("uniformity_intra").meaning
    assert "alignment" in g.describe("alignment").meaning
    assert g.describe("principal_angle_to_exact").meaning.count(str(g.ANGLE_WARN_RAD)) == 1
    assert str(g.LOSS_GAP_WARN) in g.describe("optimal_loss").meaning
    for term in g.GLOSSARY.values():
        assert term.meaning and term.unit and term.source
        assert set(term.commands) <= set(g.COMMANDS)


def test_patterns_and_name_containers():
    assert "alignment" in g.describe("alignment_se").meaning
    assert g.describe("d=400").meaning == "results at dimension d = 400"
    assert g.describe("objective=eq4-independent,sensitivity=gap") is not None
    assert g.describe("local3").meaning.startswith("the local optimum of client 3")
    assert g.describe("no_such_key") is None
    keys = list(g.iter_keys({"readings": {"free label": "holds"}, "rows": {"eq17": {"x": 1}}}))
    assert keys == ["readings", "rows", "x"]


def test_docs_page_is_the_generated_one():
    page = ROOT / "docs" / "glossary.md"
    assert page.read_text(encoding="utf-8") == g.markdown(), (
        "docs/glossary.md is stale: run .venv/bin/python -m sims.glossary > docs/glossary.md"
    )


def test_markdown_table_has_one_row_per_entry():
    lines = g.markdown().splitlines()
    rows = [ln for ln in lines if ln.startswith("| `")]
    assert len(rows) == len(g.GLOSSARY) + len(g.PATTERNS)
    assert all(ln.count(" | ") >= 3 for ln in rows)


@pytest.mark.parametrize("command", sorted(g.HELP_GROUPS))
def test_epilog_lists_the_command_keys(command):
    text = g.epilog(command)
    assert text.startswith("output keys")
    assert all(len(ln) <= 100 for ln in text.splitlines())
    for key, term in g.GLOSSARY.items():
        bare = key.rpartition(":")[2]
        if set(term.commands) & set(g.HELP_GROUPS[command]):
            assert bare in text, (command, key)


def test_bad_arguments_are_one_line_errors():
    with pytest.raises(ValueError, match="command") as err:
        g.describe("p", "nope")
    assert "\n" not in str(err.value)
    with pytest.raises(ValueError, match="command"):
        g.epilog("report")
    with pytest.raises(ValueError, match="key"):
        g.describe(3)
    assert g.unknown_keys([{"p": np.float64(1.0)}]) == []


@pytest.mark.parametrize("command", sorted(g.HELP_GROUPS))
def test_help_ends_with_the_glossary(capsys, command):
    """--help lists options only; its last line says where the output keys are explained."""
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert " ".join(out.split()).endswith(" ".join(cli.KEYS_NOTE.split()))
    assert "output keys (--json" not in out


def test_help_states_the_defaults_and_why(capsys):
    assert main(["simulate", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "d = 64" in text and "exact/verify: 400" in text
    assert f"{g.ANGLE_WARN_RAD} rad" in text and f"{g.LOSS_GAP_WARN} x |optimal_loss|" in text
    assert "--rounds N default: 300" in text
    for command in ("exact", "verify"):
        assert main([command, "--help"]) == 0
        text = " ".join(capsys.readouterr().out.split())
        assert "(default 400)" in text or "1e20 (400)" in text
