"""``dssl bench`` in-process on a tiny configuration (timings are not asserted)."""

from __future__ import annotations

import json

from sims.cli import main


def test_bench_json_keys(capsys):
    rc = main(
        [
            "bench",
            "--quick",
            "--json",
            "--n-clients",
            "3",
            "--d",
            "4",
            "--c",
            "2",
            "--batch",
            "4",
            "--local-steps",
            "2",
            "--rounds",
            "2",
            "--repeats",
            "1",
        ]
    )
    out = capsys.readouterr().out
    assert rc == 0
    res = json.loads(out)
    for key in ("speedup_vs_loop", "speedup_vs_numpy", "seconds_per_round", "compile_seconds"):
        assert res[key] > 0 or key == "compile_seconds"
    assert res["max_abs_diff_engine_vs_loop"] < 1e-5  # same keys, same numbers (float32)
