"""Ctrl-C on ``dssl simulate`` (issue 11 item 4): SIGINT stops the run between chunks of rounds
within a few seconds, writes ONE line on stderr, exits 130 and prints the results of the rounds
that finished, marked ``"interrupted": true``."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

ARGV = [
    "simulate",
    "--force-size",  # 10^8 rounds are past the time budget on purpose: the run waits for Ctrl-C
    "--n-clients",
    "4",
    "--d",
    "16",
    "--samples-per-client",
    "200",
    "--batch",
    "32",
    "--local-steps",
    "1",
    "--rounds",
    "100000000",
]


def _interrupt_after_first_chunk(extra):
    """Start ``dssl simulate`` (text mode: its progress bar on stderr tells when rounds have
    finished), send SIGINT once the bar shows ≥ 1 round, return (rc, stdout, stderr, latency)."""
    env = dict(os.environ, JAX_PLATFORMS="cpu", PYTHONUNBUFFERED="1")
    env.pop("XLA_FLAGS", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "sims.cli", *ARGV, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    err_chunks: list[bytes] = []
    progressed = threading.Event()

    def pump():
        while True:
            b = proc.stderr.read1(4096)
            if not b:
                return
            err_chunks.append(b)
            text = b"".join(err_chunks).decode(errors="replace")
            if re.search(r"\| *[1-9][0-9]*/", text):
                progressed.set()

    t = threading.Thread(target=pump, daemon=True)
    t.start()
    try:
        assert progressed.wait(timeout=300), b"".join(err_chunks).decode(errors="replace")
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out = proc.stdout.read()
        proc.wait(timeout=120)
        latency = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    t.join(timeout=10)
    err = b"".join(err_chunks).decode(errors="replace")
    return proc.returncode, out.decode(), err, latency


def _message_lines(err: str) -> list[str]:
    """stderr lines that are not progress-bar redraws (tqdm writes with carriage returns) or
    the estimate printed before a long run."""
    parts = re.split(r"[\r\n]+", err)
    bar = re.compile(r"^\s*(rounds:|\x1b)|^\s*$|^dssl simulate: estimate: ")
    return [p for p in parts if not bar.search(p)]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigint_stops_fast_with_partial_results():
    rc, out, err, latency = _interrupt_after_first_chunk([])
    assert rc == 130, err
    lines = _message_lines(err)
    assert len(lines) == 1 and "interrupted" in lines[0], lines
    assert "Traceback" not in err
    assert out.splitlines()[0].startswith("interrupted")
    m = re.search(r"after round (\d+) of 100000000", out)
    assert m and int(m.group(1)) >= 1, out
    # the chunk in flight plus the final metrics; generous for a loaded 2-core machine
    assert latency < 60, latency


def test_interrupt_json_in_process(monkeypatch, capsys):
    """--json: a Ctrl-C that arrives during the second chunk (simulated by the stop flag) gives
    exit 130, one stderr line and a JSON object of the finished rounds marked interrupted."""
    from sims.cli import main
    from sims.trackc import simulate_rounds as rounds

    class Flag(rounds._StopFlag):
        reads = 0

        @property
        def stop(self):
            Flag.reads += 1
            return Flag.reads > 2  # two chunks finish, then the "signal" is seen

        @stop.setter
        def stop(self, value):
            pass

    monkeypatch.setattr(rounds, "_StopFlag", Flag)
    monkeypatch.setattr(rounds, "CHUNK_FLOPS", 1.0)  # one round per chunk
    argv = ["simulate", "--n-clients", "4", "--d", "8", "--samples-per-client", "40"]
    argv += ["--batch", "8", "--local-steps", "1", "--rounds", "50", "--json", "--trace"]
    assert main(argv) == 130
    out = capsys.readouterr()
    result = json.loads(out.out)
    assert result["interrupted"] is True and result["rounds_done"] == 2
    assert len(result["trace"]["loss"]) == 2
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and "interrupted" in lines[0], lines


def test_stop_between_chunks_in_process():
    """``run_rounds`` with a stop predicate stops between whole chunks and returns the trace of
    the finished rounds; uninterrupted, it equals the engine's single scan."""
    import dataclasses

    import jax.random as jr

    from sims.core.engine import make_engine
    from sims.core.problem import make_problem
    from sims.trackc import simulate_rounds as simulate
    from sims.trackc.engine_config import EngineConfig

    cfg = EngineConfig(
        method="cl", framework="fl", n_clients=2, d=3, c=1, population=True, rounds=7
    )
    prob = make_problem(cfg, np.stack([np.eye(3)] * 2))
    engine = make_engine(cfg)
    old = simulate.CHUNK_FLOPS
    try:
        simulate.CHUNK_FLOPS = 2 * (4.0 * 2 * 9 + 2 * simulate.STEP_OVERHEAD_FLOPS)  # 2 rounds
        assert simulate.rounds_per_chunk(cfg) == 2
        calls = []
        state, trace, interrupted = simulate.run_rounds(
            engine, prob, jr.PRNGKey(0), stop=lambda: calls.append(1) or len(calls) > 2
        )
        assert interrupted and np.asarray(trace["loss"]).shape == (4,)
        _, whole, interrupted = simulate.run_rounds(engine, prob, jr.PRNGKey(0))
        assert not interrupted
    finally:
        simulate.CHUNK_FLOPS = old
    _, ref = engine.run(prob, key=jr.PRNGKey(0))
    np.testing.assert_allclose(np.asarray(whole["loss"]), np.asarray(ref["loss"]), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(trace["loss"]), np.asarray(ref["loss"])[:4], rtol=1e-12)
    del dataclasses
