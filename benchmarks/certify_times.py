"""Benchmark: run times of the independent certificates (theory.certify).

(a) every SMT obligation of ``tests/test_certify_smt.py`` and every distinct obligation listed
by the proofs of ``theory.symbolic.proofs`` (z3, nonlinear real arithmetic), the median of
``--repeats`` runs each; (b) the ball enclosures (python-flint arb) of λ₂ (and the
consensus rate λ) and of the stationary distribution π of every connected graph of the
networkx atlas (``theory.atlas.connected_graphs``, 995 graphs with 2 ≤ N ≤ 7) under each
mixing rule of ``theory.atlas.MIXING_RULES``, and of the 100-node ring and star with the
paper's uniform mixing. Prints one table with the CPU model and the load average before and
after.

Run: ``python benchmarks/certify_times.py [--repeats 3] [--mixings uniform] [--no-proofs]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from sims.reproduce.pipeline.machine import cpu_name
from theory import atlas, topology
from theory.certify.balls import exact_mixing, mixing_lambda, stationary
from theory.certify.smt import prove


def smt_times(repeats: int, with_proofs: bool) -> list[tuple[str, str, float]]:
    """(name, status, median seconds) of every obligation of the SMT tests, then of every
    distinct obligation listed by the proofs of :mod:`theory.symbolic.proofs`."""
    from tests.test_certify_smt import FALSE, TRUE  # the obligations live with their tests

    obs = [("test: " + ob.name, ob) for ob in (*TRUE, *FALSE)]
    if with_proofs:
        from theory.symbolic.proofs import proofs

        seen = set()
        for pr in proofs():
            for ob in pr.obligations:
                key = (ob.name, str(ob.claim), str(ob.assumptions))
                if key not in seen:
                    seen.add(key)
                    obs.append((f"{pr.claim}: {ob.name}", ob))
    out = []
    for label, ob in obs:
        runs = [prove(ob) for _ in range(repeats)]
        out.append((label, runs[0].status, statistics.median(r.seconds for r in runs)))
    return out


def ball_times(mixings: tuple[str, ...]) -> list[tuple[str, int, float, float, int, float]]:
    """(label, #graphs, total seconds, slowest graph seconds, #not certified, largest radius)
    of λ, λ₂ and π per mixing rule over the atlas, then the 100-node ring and star."""
    graphs = atlas.connected_graphs(max_n=7)
    rows = []
    for mixing in mixings:
        total, slowest, failed, rad = 0.0, 0.0, 0, 0.0
        for _, a in graphs:
            t0 = time.perf_counter()
            W = exact_mixing(mixing, a)
            lam, pi = mixing_lambda(W), stationary(W)
            dt = time.perf_counter() - t0
            total, slowest = total + dt, max(slowest, dt)
            failed += not lam.certified
            rad = max(rad, lam.radius if lam.certified else 0.0, pi.radius)
        rows.append((f"atlas N<=7, {mixing}", len(graphs), total, slowest, failed, rad))
    for name in ("ring", "star"):
        W = exact_mixing("uniform", topology.make_graph(name, 100))
        for what, fn in (("lambda, lambda2", mixing_lambda), ("pi", stationary)):
            t0 = time.perf_counter()
            res = fn(W)
            dt = time.perf_counter() - t0
            rad = res.radius if res.certified else float("nan")
            rows.append((f"{name}-100 uniform: {what}", 1, dt, dt, int(not res.certified), rad))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--mixings", nargs="+", default=list(atlas.MIXING_RULES))
    parser.add_argument("--no-proofs", action="store_true", help="only the tests' obligations")
    args = parser.parse_args()

    load0 = os.getloadavg()
    t0 = time.perf_counter()
    smt = smt_times(args.repeats, not args.no_proofs)
    balls = ball_times(tuple(args.mixings))
    wall = time.perf_counter() - t0
    load1 = os.getloadavg()

    print(f"CPU: {cpu_name()} ({os.cpu_count()} logical CPUs)")
    print(
        "load average (1, 5, 15 min): before "
        + ", ".join(f"{x:.2f}" for x in load0)
        + "; after "
        + ", ".join(f"{x:.2f}" for x in load1)
    )
    print(f"\n(a) SMT obligations (z3, median of {args.repeats})")
    print(f"{'obligation':56} {'status':9} {'seconds':>8}")
    for name, status, sec in smt:
        print(f"{name:56} {status:9} {sec:8.3f}")
    print(f"{'total':56} {'':9} {sum(s for *_, s in smt):8.3f}")
    print("\n(b) ball enclosures (python-flint arb, radius target 1e-30)")
    print(
        f"{'matrices':34} {'graphs':>6} {'seconds':>8} {'slowest':>8} {'undecided':>9} "
        f"{'max radius':>10}"
    )
    for label, n, total, slowest, failed, rad in balls:
        print(f"{label:34} {n:6d} {total:8.2f} {slowest:8.3f} {failed:9d} {rad:10.1e}")
    print(f"\nwall time {wall:.1f} s")


if __name__ == "__main__":
    main()
