"""What one engine round holds, per client, from XLA's own account of the compiled round.

Builds the DecL round of ``bench_scale.py``'s one-peer cell (MIM, d = 64, c = 16, B = 32,
E = 5, float32, minibatches drawn from their keys) at each N, compiles the program the engine's
runs compile (``sims.core.engine.consuming_scan``: a scan of rounds, here two, with the models
donated; ``--program round``: one jitted ``round_step``, nothing donated) and prints
``memory_analysis()``'s argument, output and temporary bytes divided by N: bytes per client
that grow with N (compare two N to see that they do), and the bytes held at once (arguments,
outputs and temporaries less the output bytes written over the arguments). Nothing is run, so
large N cost only the compilation and the problem's arrays.

Usage::

    python benchmarks/round_memory.py                       # N = 10^4, 2·10^4, all metrics
    python benchmarks/round_memory.py --n 10000 --metrics loss
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def per_client(n: int, metrics: str, program: str = "chunk", devices: int = 1) -> dict:
    """Argument, output and temporary bytes per client of the compiled round at N = ``n``;
    with ``devices`` > 1 the clients split over that many devices (``make_engine``'s mesh) and
    the bytes are one device's (XLA's account of the partitioned program) times the devices."""
    import bench_scale as bs
    import jax
    import numpy as np
    from timing import identity_stats

    from sims.core.config import key_tree
    from sims.core.engine import consuming_scan, make_round
    from sims.core.problem import make_problem
    from sims.core.sharding import client_mesh, shard_clients
    from sims.trackc.engine_config import EngineConfig

    d, dt = 64, np.float32
    config = EngineConfig(
        method="mim", framework="decl", n_clients=n, d=d, c=16, batch=32, local_steps=5,
        rounds=3, lr=0.01, dtype="float32", metrics=metrics, sampler=bs.GaussianClients(d),
    )  # fmt: skip
    # no (N, d, d) targets: a round reads only their (X̄, Q)
    stats = identity_stats(d, dt)
    problem = make_problem(config, None, stats=stats, mixing=bs.one_peer(n))
    mesh = client_mesh(jax.devices()[:devices]) if devices > 1 else None
    if mesh is not None:
        problem = shard_clients(problem, mesh)
    init, round_step = make_round(config, mesh)
    state = jax.jit(lambda p, k: init(p, key=k))(problem, key_tree(0)["root"])
    # the program the engine's chunks run (sims.core.engine.consuming_scan: two rounds, the
    # models donated), or one jitted round as before (--program round, nothing donated)
    if program == "chunk":
        rest = state._replace(params=None)
        lowered = consuming_scan(round_step).lower(state.params, rest, problem, stats, 2)
    else:
        lowered = jax.jit(round_step).lower(state, problem, stats)
    m = lowered.compile().memory_analysis()
    held = (
        m.argument_size_in_bytes + m.output_size_in_bytes + m.temp_size_in_bytes
        - m.alias_size_in_bytes
    )  # fmt: skip
    per = devices / n  # one device's account, times the devices, over the clients
    return {
        "n_clients": n,
        "metrics": metrics,
        "program": program,
        "devices": devices,
        "argument_bytes_per_client": m.argument_size_in_bytes * per,
        "output_bytes_per_client": m.output_size_in_bytes * per,
        "temp_bytes_per_client": m.temp_size_in_bytes * per,
        "aliased_bytes_per_client": m.alias_size_in_bytes * per,
        "held_bytes_per_client": held * per,
        "model_stack_bytes_per_client": 16 * d * 4,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", default="10000,20000", help="N values, comma-separated")
    ap.add_argument("--metrics", default="all", choices=("all", "loss"))
    ap.add_argument(
        "--program", default="chunk", choices=("chunk", "round"),
        help="the engine's chunk of rounds (models donated) or one jitted round",
    )  # fmt: skip
    ap.add_argument("--devices", type=int, default=1, help="split the clients over K devices")
    a = ap.parse_args(argv)
    for n in (int(x) for x in a.n.split(",")):
        print(json.dumps(per_client(n, a.metrics, a.program, a.devices)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
