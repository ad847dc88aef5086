"""Memory at the paper's sizes (issue 11 item 1).

``dssl simulate`` at N = 20 (DecL, ring) and N = 100 (FL) with the default data sizes
(8000 samples per client, batch 256, held-out 2000 per client) runs in a child process whose
peak resident set (VmHWM of the child) must stay under a cap. The uniformity metrics used
to materialise N×N×m×m pair potentials (24 GB at N = 20); they are now blockwise / Monte Carlo
(``sims.metrics``), so the peak is the data itself, which ``estimate_bytes`` predicts.

One round only (memory does not grow with rounds: the trace is a few scalars per round), and
d = 2N, the smallest the model allows, to keep the CPU time short. Requests that cannot fit fail
before allocating, with one line naming the field and the estimated size.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys

import pytest

from sims.cli import main
from sims.trackc.simulate_rounds import estimate_bytes
from tests._helpers import ROOT

GIB = 2**30

# (argv, cap in bytes): cap = estimate_bytes total + 1.5 GiB (interpreter, JAX, XLA buffers)
CASES = {
    "decl-N20": ["--framework", "decl", "--graph", "ring", "--n-clients", "20", "--d", "64"],
}


def _child_peak_rss(argv: list[str]) -> tuple[int, int, str]:
    """Run ``dssl simulate argv --rounds 1 --json`` in a fresh child; (rc, peak RSS bytes of
    that child, stderr). The peak is the child's VmHWM (``peak_rss_bytes`` of
    ``benchmarks/timing.py``): its ``ru_maxrss`` starts at the RSS of the test process that
    forked it (measured: 3.9 GiB reported for a 4-client run started from a process holding
    4 GB)."""
    code = (
        "import sys\n"
        "from sims.cli import main\n"
        f"sys.path.append({str(ROOT / 'benchmarks')!r})\n"
        "from timing import peak_rss_bytes\n"
        "rc = main(sys.argv[1:])\n"
        "sys.stderr.write('PEAK %d\\n' % peak_rss_bytes())\n"
        "sys.exit(rc)\n"
    )
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    env.pop("XLA_FLAGS", None)
    proc = subprocess.run(
        [sys.executable, "-c", code, "simulate", *argv, "--rounds", "1", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=1200,
    )
    peak = [ln for ln in proc.stderr.splitlines() if ln.startswith("PEAK ")]
    return proc.returncode, int(peak[-1].split()[1]) if peak else 0, proc.stderr


@pytest.mark.parametrize(
    "name",
    [
        "decl-N20",
        # the paper's FL size (N = 100) is checked once, under the 6 GB address-space cap and
        # against the estimate, by test_fl_paper_size_runs_under_6gb_address_space_cap below
    ],
)
def test_simulate_paper_sizes_under_memory_cap(name):
    argv = CASES[name]
    n = int(argv[argv.index("--n-clients") + 1])
    d = int(argv[argv.index("--d") + 1])
    est = estimate_bytes(n=n, d=d, c=2 * n, m=8000, m_test=2000, dtype="float64")["total"]
    # JAX/XLA's own baseline (runtime, compiled executables, thread arenas) varies by
    # environment: 0.7-0.8 GiB measured standalone (the estimate is 0.39 GiB). The allowance
    # keeps that apart from the data: the N×N×m×m blow-up needed 24 GB. (The 1.9-2.2 GiB once
    # seen inside the test suite was the forking worker's RSS: see _child_peak_rss.)
    cap = est + 3.0 * GIB
    rc, peak, err = _child_peak_rss(argv)
    assert rc == 0, err[-2000:]
    assert peak < cap, f"peak RSS {peak / GIB:.2f} GiB >= cap {cap / GIB:.2f} GiB"
    assert peak < 8 * GIB  # far below the 24 GB the N×N×m×m uniformity needed at N = 20


@pytest.mark.parametrize(
    "argv, field",
    [
        (["--n-clients", "2000", "--d", "4000"], "--n-clients"),
        (["--samples-per-client", "1000000000"], "--samples-per-client"),
        (["--n-clients", "4", "--d", "300000"], "--d"),
    ],
)
def test_too_big_fails_before_allocating(argv, field, capsys):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert main(["simulate", *argv, "--rounds", "1", "--json"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"dssl simulate: error: {field}:"), err
    assert "estimated" in err[0] and "fit in memory" in err[0]
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown * 1024 < 1 * GIB  # nothing of the estimated size was allocated


@pytest.mark.parametrize(
    "argv, field",
    [
        (["--batch", "1000000000"], "--batch"),
        (["--local-steps", "100000"], "--local-steps"),
        (["--rounds", "100000000"], "--rounds"),
    ],
)
def test_too_long_names_the_option_that_made_it_long(argv, field, capsys):
    """The time budget names the option farthest above its default (a new user's review:
    ``--batch 1e9`` was refused as ``--rounds: ... got 300``, an option not given)."""
    assert main(["simulate", *argv, "--json"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"dssl simulate: error: {field}:"), err
    assert "to end within" in err[0] and err[0].endswith(f"got {argv[1]}")


def test_the_library_names_the_same_option_as_the_command():
    """``sims.trackc.simulate`` checks the time again once JAX runs, at the rate of its
    backend (the command's check, before JAX, assumes the faster rate where an accelerator may
    run it): that check names the option the command would, not ``--rounds`` always."""
    from sims.trackc.simulate import SimulateSettings, simulate

    with pytest.raises(ValueError, match=r"^--local-steps: must be small enough .* got 1000000$"):
        simulate(SimulateSettings(method="cl", framework="fl", local_steps=10**6))


#: The paper's FL size under a 6 GB address-space cap (``ulimit -v 6000000``, KiB).
FL_PAPER = [
    "--method", "cl", "--framework", "fl", "--n-clients", "100", "--clients-per-round", "5",
    "--d", "256", "--rounds", "2", "--json",
    # the estimate (3.6 GiB) is past half of the 6 GB cap, the budget that check_fits plans
    # for: the user's way past it is --force-size, and the cap is what this test measures
    "--force-size",
]  # fmt: skip
AS_CAP_KIB = 6_000_000


def _capped(argv: list[str]) -> subprocess.CompletedProcess:
    """``dssl simulate argv`` in a child whose address space is capped (RLIMIT_AS, like
    ``ulimit -v``); it prints its peak RSS (VmHWM) on stderr."""
    code = (
        "import sys\n"
        "from sims.cli import main\n"
        f"sys.path.append({str(ROOT / 'benchmarks')!r})\n"
        "from timing import peak_rss_bytes\n"
        "rc = main(sys.argv[1:])\n"
        "sys.stderr.write('PEAK %d\\n' % peak_rss_bytes())\n"
        "sys.exit(rc)\n"
    )
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    env.pop("XLA_FLAGS", None)
    cap = AS_CAP_KIB * 1024
    return subprocess.run(
        [sys.executable, "-c", code, "simulate", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (cap, cap)),
    )


@pytest.mark.slow  # a few minutes of CPU: 100 clients x 8000 samples x d = 256, float64
def test_fl_paper_size_runs_under_6gb_address_space_cap():
    """One copy of the samples, only the sampled clients train, metrics client by client: the
    FL run at the paper's size fits a 6 GB virtual-memory cap, and its peak RSS stays under
    the command's own estimate plus the JAX/XLA baseline allowance."""
    proc = _capped(FL_PAPER)
    assert proc.returncode == 0, proc.stderr[-2000:]
    peak = int([ln for ln in proc.stderr.splitlines() if ln.startswith("PEAK ")][-1].split()[1])
    est = estimate_bytes(n=100, d=256, c=200, m=8000, m_test=2000, dtype="float64")["total"]
    assert peak < est + 3.0 * GIB, f"peak RSS {peak / GIB:.2f} GiB, estimate {est / GIB:.2f} GiB"
