"""Diagnosis: why Track D's Fig 2a arms learn at DEFAULT and not at PAPER-SCALE.

At DEFAULT (10 clients, batch 32, 30 rounds) the FedAvg reference of Fig 2a (MAE, MLP encoder,
label skew Dirichlet α = 0.1, all clients every round) ends 2.7 points above its untrained
encoder; at PAPER-SCALE (20 clients, batch 64, 100 rounds; figures/trackd_paper_scale_b64/) 1.3
points, and no DecL arm clears 2 SE (rule D3). The presets differ in three things, so this
script trains that one arm in the 2 × 2 grid clients ∈ {10, 20} × batch ∈ {32, 64} for 100
rounds, recording the probe every 10 rounds: rounds 30 and 100 of one curve are the 30- and
100-round runs (Adam is re-initialised every round with a constant learning rate, and every
key depends only on (seed, round, client, step), so a longer run extends a shorter one).

The question is fixed before it runs: which factor moves the final uplift (probe − untrained,
points) by more than the seed-to-seed SE. The grid is run for ``--seeds`` seeds (the arms'
keys are Fig 2a's: ``sims.trackd.experiments._seed_key``), and the table gives mean ± SE.
Writes ``benchmarks/results/paper_scale_diagnosis.json`` and prints a table.

Run: ``.venv/bin/python benchmarks/diagnose_paper_scale.py [--seeds 3]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

from sims.files import write_text  # noqa: E402 - the one writer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results" / "paper_scale_diagnosis.json"

ROUNDS, EVERY = 100, 10
GRID = [(n, b) for n in (10, 20) for b in (32, 64)]


def _arm(common, n_clients: int, seed: int) -> dict:
    from sims.trackd import experiments as ex

    key = ex._seed_key(seed)
    data, _, _, _ = ex._split(common, n_clients, "label", 0.1, key)
    _, met = ex.run_arm(common, "mlp", data, seed_key=key)
    return {"curve": met["curve"], "untrained": met["untrained_probe"], "seconds": met["seconds"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    if args.seeds < 2:
        parser.error("--seeds: an integer >= 2 (a standard error needs two seeds)")
    from sims.core.environ import cpu_xla_flags

    with cpu_xla_flags():
        _run(args.seeds)


def _run(seeds: int) -> None:
    import jax
    import numpy as np

    from sims.trackd import presets

    base = presets.preset("default", "fig2a").common
    rows = []
    for n, b in GRID:
        common = replace(base, rounds=ROUNDS, batch_size=b, curve_every=EVERY)
        runs = [_arm(common, n, s) for s in range(seeds)]
        rounds = runs[0]["curve"]["rounds"]
        uplift = np.array([[100 * (p - r["untrained"]) for p in r["curve"]["probe"]] for r in runs])
        row = {
            "n_clients": n,
            "batch_size": b,
            "rounds": rounds,
            "uplift_mean": uplift.mean(axis=0).round(3).tolist(),
            "uplift_se": (uplift.std(axis=0, ddof=1) / np.sqrt(seeds)).round(3).tolist(),
            "untrained": [r["untrained"] for r in runs],
            "probe": [r["curve"]["probe"] for r in runs],
            "seconds": [round(r["seconds"], 1) for r in runs],
        }
        rows.append(row)
        at = {t: i for i, t in enumerate(rounds)}
        print(
            f"N={n:3d} B={b:3d}: uplift at round 30 {row['uplift_mean'][at[30]]:+.2f} ± "
            f"{row['uplift_se'][at[30]]:.2f}, at round 100 {row['uplift_mean'][-1]:+.2f} ± "
            f"{row['uplift_se'][-1]:.2f} points ({sum(row['seconds']):.0f} s)",
            flush=True,
        )
    out = {
        "question": "which of clients (10/20) and batch (32/64) moves the FedAvg reference's "
        "uplift over its untrained encoder (Fig 2a, MAE, MLP, label skew alpha 0.1)",
        "seeds": seeds,
        "rounds": ROUNDS,
        "curve_every": EVERY,
        "rows": rows,
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "jax": jax.__version__,
            "load_average_end": os.getloadavg(),
        },
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    write_text(RESULTS, json.dumps(out, indent=1) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
