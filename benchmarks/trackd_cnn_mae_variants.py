"""MAE + CNN at the DEFAULT schedule, IID FedAvg: uplift over the untrained encoder for variants
of the recipe (issue target: +5 points beyond 2 SE; docs/track_d.md, "Pre-training that learns").

Each variant overrides fields of the DEFAULT preset's ``Common`` (JSON object of objects), and
every seed trains Table 1's IID arm exactly as ``sims.trackd.experiments.run_arm`` does:

    python benchmarks/trackd_cnn_mae_variants.py '{"p90": {"cnn_p": 0.9}}' 3

Prints one line per variant: uplift mean ± SE (points) over the seeds, the per-seed values
and the seconds taken.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from sims.trackd import experiments as ex  # noqa: E402
from sims.trackd import presets  # noqa: E402


def main(argv: list[str]) -> int:
    if not argv:
        raise SystemExit("usage: trackd_cnn_mae_variants.py VARIANTS_JSON [SEEDS]")
    variants = json.loads(argv[0])
    seeds = int(argv[1]) if len(argv) > 1 else 3
    if not isinstance(variants, dict) or not 2 <= seeds <= 100:
        raise SystemExit("VARIANTS_JSON: an object of field overrides; SEEDS: in [2, 100]")
    cfg = presets.preset("default", "table1")
    for name, over in variants.items():
        common = dataclasses.replace(cfg.common, **over)
        up = []
        t0 = time.perf_counter()
        for s in range(seeds):
            key = ex._seed_key(s)
            data, _, _, _ = ex._split(common, cfg.n_clients, "iid", cfg.alpha, key)
            _, met = ex.run_arm(
                common, "cnn", data, seed_key=key, objective="mae",
                clients_per_round=cfg.clients_per_round,
            )  # fmt: skip
            up.append(met["probe"] - met["untrained_probe"])
        up = np.array(up) * 100
        se = up.std(ddof=1) / np.sqrt(len(up))
        print(f"{name}: uplift {up.mean():+.2f} ± {se:.2f} points {np.round(up, 1).tolist()} "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
