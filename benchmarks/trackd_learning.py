"""Does each Track D arm learn? Every encoder × method under IID FedAvg at a preset's schedule.

For each (encoder, method) and seed, one arm is trained exactly as Table 1's IID cell
(``sims.trackd.experiments.run_arm``: 10 clients, 5 per round at DEFAULT) and its global
encoder's probe accuracy is set against the same encoder untrained: the uplift
acc − untrained per seed, its mean ± SE, whether it clears rule D3's premise (mean > 2 SE) and
the issue's target (≥ 5 points beyond 2 SE), the learning curve, and the raw-pixel probe.

    python benchmarks/trackd_learning.py --preset default --archs mlp,cnn,vit \\
        --methods mae,simsiam,mar --seeds 2 --out benchmarks/results

``--set FIELD=VALUE`` (repeatable) trains a variant of the recipe: the preset's ``Common``
with those fields replaced (VALUE read as JSON: ``--set cnn_p=0.9 --set lr=0.004``).

Writes ``trackd_learning.json`` and ``trackd_learning.md`` (machine, load, date, command).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from sims.reproduce.pipeline.machine import cpu_name  # noqa: E402
from sims.trackd import experiments as ex  # noqa: E402
from sims.trackd import presets  # noqa: E402
from sims.trackd.models import ARCHS  # noqa: E402

METHODS = ("mae", "simsiam", "mar")
TARGET = 0.05  # the target uplift (5 points)


def _names(text: str, allowed: tuple, field: str) -> tuple:
    names = tuple(x for x in text.split(",") if x)
    bad = [x for x in names if x not in allowed]
    if not names or bad:
        raise SystemExit(f"{field}: must be a comma-separated subset of {allowed}, got {text!r}")
    return names


def _overrides(pairs: list) -> dict:
    """``FIELD=VALUE`` pairs as replacements of ``Common``'s fields (VALUE as JSON, else text)."""
    fields = {f.name for f in dataclasses.fields(presets.Common)}
    out = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or name not in fields or name in ("name", "seeds"):
            raise SystemExit(f"--set: must be FIELD=VALUE with FIELD a field of Common "
                             f"other than name and seeds, got {pair!r}")  # fmt: skip
        try:
            out[name] = json.loads(text)
        except ValueError:
            out[name] = text
    return out


def learning(
    preset: str, archs: tuple, methods: tuple, seeds: int, overrides: dict | None = None
) -> dict:
    """Uplift over the untrained encoder per (encoder, method); see the module docstring."""
    cfg = presets.preset(preset, "table1")
    common = dataclasses.replace(cfg.common, seeds=seeds, **(overrides or {}))
    rows = []
    for arch in archs:
        for method in methods:
            acc, untrained, curves, seconds = [], [], [], []
            for s in range(seeds):
                key = ex._seed_key(s)
                data, _, _, _ = ex._split(common, cfg.n_clients, "iid", cfg.alpha, key)
                _, met = ex.run_arm(
                    common,
                    arch,
                    data,
                    seed_key=key,
                    objective=method,
                    clients_per_round=cfg.clients_per_round,
                )
                acc.append(met["probe"])
                untrained.append(met["untrained_probe"])
                curves.append(met.get("curve"))
                seconds.append(met["seconds"])
                print(f"{arch} {method} seed {s}: {met['untrained_probe']:.3f} -> "
                      f"{met['probe']:.3f} ({met['seconds']:.1f} s)", flush=True)  # fmt: skip
            up = np.asarray(acc) - np.asarray(untrained)
            se = float(np.std(up, ddof=1) / np.sqrt(up.size)) if up.size > 1 else float("nan")
            mean = float(up.mean())
            rows.append(
                {
                    "arch": arch,
                    "method": method,
                    "acc": acc,
                    "untrained": untrained,
                    "uplift_mean": mean,
                    "uplift_se": se,
                    "learned": bool(up.size > 1 and mean > 2 * se),
                    "meets_target": bool(up.size > 1 and mean >= TARGET and mean > 2 * se),
                    "curves": curves,
                    "seconds": seconds,
                }
            )
    return {
        "preset": preset,
        "seeds": seeds,
        "n_clients": cfg.n_clients,
        "clients_per_round": cfg.clients_per_round,
        "rounds": common.rounds,
        "local_steps": common.local_steps,
        "raw_pixel_probe": ex.raw_pixel_probe(common),
        "rows": rows,
    }


def markdown(res: dict, header: dict) -> str:
    lines = [
        f"# Track D: does each arm learn? ({res['preset']} preset, IID FedAvg)",
        "",
        f"`{header['command']}`; {header['date']}; {header['machine']}; load average "
        f"{header['load_start']} at start, {header['load_end']} at end.",
        "",
        f"{res['n_clients']} clients, {res['clients_per_round']} per round, {res['rounds']} "
        f"rounds × {res['local_steps']} local steps, {res['seeds']} seeds; raw-pixel probe "
        f"{res['raw_pixel_probe']:.3f}."
        + (f" Recipe changed: {json.dumps(res['overrides'])}." if res.get("overrides") else ""),
        "",
        "| encoder | method | untrained | trained | uplift (points, mean ± SE) | learned (D3) "
        "| ≥ 5 points | s per arm |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in res["rows"]:
        lines.append(
            f"| {r['arch']} | {r['method']} | {np.mean(r['untrained']):.3f} | "
            f"{np.mean(r['acc']):.3f} | {100 * r['uplift_mean']:+.1f} ± {100 * r['uplift_se']:.1f}"
            f" | {'yes' if r['learned'] else 'no'} | {'yes' if r['meets_target'] else 'no'} | "
            f"{np.mean(r['seconds']):.0f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="default", choices=tuple(presets.PRESETS))
    p.add_argument("--archs", default=",".join(ARCHS))
    p.add_argument("--methods", default=",".join(METHODS))
    p.add_argument("--seeds", type=int, default=2)
    p.add_argument("--out", default=None, help="folder for trackd_learning.json/.md")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                   help="replace a field of the preset's Common (repeatable)")  # fmt: skip
    a = p.parse_args(argv)
    overrides = _overrides(a.set)
    if not 2 <= a.seeds <= 100:
        raise SystemExit(f"--seeds: must be an integer in [2, 100], got {a.seeds}")
    archs = _names(a.archs, ARCHS, "--archs")
    methods = _names(a.methods, METHODS, "--methods")
    header = {
        "command": "python benchmarks/trackd_learning.py " + " ".join(argv or sys.argv[1:]),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{cpu_name()}, {os.cpu_count()} cores",
        "load_start": f"{os.getloadavg()[0]:.2f}",
    }
    t0 = time.perf_counter()
    res = learning(a.preset, archs, methods, a.seeds, overrides) | {"overrides": overrides}
    header["load_end"] = f"{os.getloadavg()[0]:.2f}"
    header["seconds"] = round(time.perf_counter() - t0, 1)
    text = markdown(res, header)
    print(text)
    if a.out is not None:
        from sims.files import write_text  # the one writer

        write_text(
            os.path.join(a.out, "trackd_learning.json"), json.dumps({**header, **res}, indent=1)
        )
        write_text(os.path.join(a.out, "trackd_learning.md"), text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
