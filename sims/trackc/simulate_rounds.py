"""The memory plan and the chunked rounds of ``dssl simulate``: how many bytes a run needs (by
the option that drives each term, so that a run too large for the machine is refused naming
that option), how long its training is estimated to take, how many rounds each jitted chunk
holds, and the loop over chunks that shows progress and stops between chunks on Ctrl-C.

The plan imports no JAX (the loop imports it when it runs): ``dssl simulate`` checks a run's
sizes with :func:`check_budget` before JAX starts, on the numbers of its options, and the run
checks them again with its engine configuration."""

from __future__ import annotations

import sys
from typing import Any, NamedTuple

from theory import _validate as v
from theory.datamodel import DENSE_COPIES, summary_block

#: Bytes of a keyed run's evaluation sample (the probe's training set and the empirical
#: target of the metrics; no client trains on it): min(:data:`EVAL_SAMPLES_MAX`, this /
#: (8·N·d)) samples per client, at least :data:`EVAL_SAMPLES_MIN`.
EVAL_BYTES = 256 << 20
EVAL_SAMPLES_MAX = 2000
EVAL_SAMPLES_MIN = 50

#: Target floating-point work of one chunk of rounds: rounds run in jitted chunks of about this
#: many flops (the same chunks in text and --json mode), and Ctrl-C stops between chunks.
CHUNK_FLOPS = 4e9

#: Fixed cost of one client's local step, in flop equivalents (dispatch inside the scan).
STEP_OVERHEAD_FLOPS = 2e5

# What a run costs besides its products, in flop equivalents at the estimate's rate (a tenth
# of FASTEST_FLOPS), from one run on 2 cores (Intel Xeon, 2026-11-28, docs/performance.md:
# 500 clients, d = 1000, c = 8, E = 5, B = 256, float32, keyed): a round 25.0 s, of which the
# products are 4.1 s at that rate; the targets' passes 65 s; the uniformity 17.3 s, and at
# the paper's FL size (N = 100, c = 200) about 3.5 s.
#: Per Gaussian entry of a keyed minibatch (float64 threefry bits and inverse normal CDF):
#: 21 s for 6.4·10⁸ entries a round, 33 ns.
DRAW_FLOPS = 330.0
#: Per N·d³ of the two passes through the population targets
#: (``theory.objectives.target_summary``: each client's λ_max, Q's products, the targets
#: formed twice).
TARGET_FLOPS = 1.3
#: Per client pair and pair of embeddings of the uniformity estimate
#: (``sims.metrics.client_uniformity_mc``), plus :data:`PAIR_FLOPS_PER_C` per embedding
#: entry: 65 ns a pair at c = 8, about 330 ns at c = 200.
PAIR_FLOPS = 540.0
PAIR_FLOPS_PER_C = 14.0

#: Random pairs of held-out embeddings per client pair of ``dssl simulate``'s uniformity
#: estimate (``sims.metrics.client_uniformity_mc``).
UNIFORMITY_PAIRS = 1024


def eval_samples(n: int, d: int) -> int:
    r"""Samples per client of a keyed run's evaluation sample: min(:data:`EVAL_SAMPLES_MAX`,
    :data:`EVAL_BYTES` :math:`/\,(8 \cdot N \cdot d)`), at least :data:`EVAL_SAMPLES_MIN`.

    >>> eval_samples(4, 64), eval_samples(100, 256), eval_samples(500, 1000)
    (2000, 1310, 67)
    """
    return max(EVAL_SAMPLES_MIN, min(EVAL_SAMPLES_MAX, EVAL_BYTES // (8 * n * d)))


def held_out_samples(m_eval: int) -> int:
    """Held-out samples per client of the probe's test set: a quarter of the training (or
    evaluation) sample, at least 50."""
    return max(m_eval // 4, 50)


def sample_sizes(n: int, d: int, samples: int | None) -> tuple[int, int]:
    """(training or evaluation samples per client, held-out samples per client) of a run with
    ``samples`` per client (``--samples-per-client``; None: a keyed run and its
    :func:`eval_samples`).

    >>> sample_sizes(4, 64, None), sample_sizes(4, 64, 100)
    ((2000, 500), (100, 50))
    """
    m_eval = eval_samples(n, d) if samples is None else samples
    return m_eval, held_out_samples(m_eval)


class RunShape(NamedTuple):
    """The sizes of a run that its memory and time estimates read, as numbers (what ``dssl
    simulate`` knows of a run before JAX starts; an engine configuration,
    ``sims.trackc.engine_config.EngineConfig``, has the same attributes)."""

    n_clients: int
    d: int
    c: int
    local_steps: int
    batch: int
    rounds: int
    population: bool
    n_sampled: int
    keyed: bool


def longest_option(config, defaults: dict) -> tuple[str, int]:
    """The option that made a run long, named by the time budget's refusal: of those the
    training time grows with (``defaults``: ``--rounds``, ``--local-steps``, ``--n-clients``,
    ``--d``, ``--batch``, each to its default value), the one farthest above its default
    (``--batch 1e9`` is named, not ``--rounds``); with population gradients the minibatch does
    not enter the time. It goes by value: an option given at its default counts as not raised.
    ``config``: a :class:`RunShape` or an engine configuration. Returns ``(option, value)``.

    Example:
      >>> shape = RunShape(4, 64, 8, 5, 10**9, 300, False, 4, True)
      >>> longest_option(shape, {"--rounds": 300, "--local-steps": 5, "--n-clients": 4,
      ...                        "--d": 64, "--batch": 256})
      ('--batch', 1000000000)
    """
    value = {"--rounds": config.rounds, "--local-steps": config.local_steps,
             "--n-clients": config.n_clients, "--d": config.d, "--batch": config.batch}  # fmt: skip
    options = [k for k in defaults if not (k == "--batch" and config.population)]
    field = max(options, key=lambda k: value[k] / defaults[k])
    return field, value[field]


def _keyed(config) -> bool:
    """Whether a run's minibatches are drawn from keys inside the round (no sample held)."""
    if isinstance(config, RunShape):
        return config.keyed
    return getattr(config, "sampler", None) is not None


def estimate_bytes(*, n: int, d: int, c: int, m: int, m_test: int, dtype: str, config=None) -> dict:
    """Estimated peak bytes of a ``dssl simulate`` run, by the field that drives each term.

    ``samples_per_client``: ONE copy of the samples x (N, M, d) in the run's dtype (the engine
    reads it in place; FedAvg trains only the sampled clients), plus a float64 copy for a
    float32 run (the draw before the cast, the probe's features), the labels, the sampling
    temporaries (``sims.data.SAMPLE_CHUNK_BYTES``), the held-out set (run dtype and float64)
    and its embeddings. A keyed run (``config.sampler``: minibatches drawn from their keys
    inside the round) holds no training sample: ``m`` is then the size of its bounded
    evaluation sample (``sims.trackc.simulate.eval_samples``), the only data it draws.
    ``d``: with population gradients the (N, d, d) population and empirical targets (five
    copies); otherwise the dense class moments of one block of clients
    (``theory.objectives.target_summary``) and a few (d, d) matrices: no term in N·d².
    ``local_steps``: a round's minibatch indices (N, E, B), int64 (none with population
    gradients; a keyed run's minibatch keys (N, E, 2) uint32; needs ``config``).
    ``n_clients``: the stacked (N, c, d) parameters, optimiser state, local and mixed copies
    (about twelve), plus the engine's per-round working set (``sims.core.client.client_bytes`` × the
    clients processed at once; not counted for a :class:`RunShape`, whose estimate is then a
    lower bound computed without JAX).

    Example:
      >>> est = estimate_bytes(n=4, d=64, c=8, m=100, m_test=50, dtype="float64")
      >>> sorted(est)
      ['d', 'local_steps', 'n_clients', 'samples_per_client', 'total']
    """
    isz = 8 if dtype == "float64" else 4
    shape = isinstance(config, RunShape)
    # the sampling temporaries (sims.data.SAMPLE_CHUNK_BYTES; importing it starts JAX)
    chunk = 0
    if not shape:
        from sims.data import SAMPLE_CHUNK_BYTES as chunk

    per_sample = d * (isz + (8 if isz == 4 else 0)) + 8  # x (+ float64 copy), int64 label
    data = n * m * per_sample + chunk + n * m_test * (d * (isz + 8) + 8 + 8 * c)
    if config is not None and config.population:
        targets = 5 * 8 * n * d * d
    else:  # theory.objectives.target_summary: one block's moments, its mean, Q, X_π, ...
        targets = DENSE_COPIES * 8 * summary_block(n, d) * d * d + 8 * 8 * d * d
    params = 12 * max(isz, 4) * n * c * d
    if config is not None and not shape:
        from sims.core.client import auto_client_chunk, client_bytes

        params += client_bytes(config) * auto_client_chunk(config)
    # a round's minibatch indices, (clients, E, B) int64, drawn before its local steps
    steps = 0
    if config is not None and not config.population:
        steps = 8 * n * config.local_steps * (1 if _keyed(config) else config.batch)
    out = {"samples_per_client": data, "d": targets, "n_clients": params, "local_steps": steps}
    out["total"] = data + targets + params + steps
    return out


#: Fastest engine throughput a run is assumed to reach, flop/s, by backend: about 3x the best
#: measured (CPU: 34 GFLOP/s on 2 cores, docs/track_d.md; GPU: 28.6 TFLOP/s float32 on an H100
#: class device, README), so a refusal is never a close call.
FASTEST_FLOPS = {"cpu": 1e11, "gpu": 1e14}
#: Longest run ``dssl simulate`` starts: 30 days at :data:`FASTEST_FLOPS`.
MAX_RUN_SECONDS = 30 * 86400


def round_flops(config) -> float:
    r"""Floating-point work of one round: :math:`8 \cdot N \cdot E \cdot B \cdot c \cdot d` flops
    (:math:`4 \cdot N \cdot E \cdot c \cdot d^2` with population gradients) plus
    :data:`STEP_OVERHEAD_FLOPS` per client step."""
    n, e, c, d = config.n_clients, config.local_steps, config.c, config.d
    per_round = 4.0 * n * e * c * d * d if config.population else 8.0 * n * e * config.batch * c * d
    return per_round + STEP_OVERHEAD_FLOPS * n * e


def _fastest_rate(backend: str | None = None) -> float:
    """:data:`FASTEST_FLOPS` of ``backend`` ("cpu" or an accelerator); None: JAX's backend."""
    if backend is None:
        import jax

        backend = jax.default_backend()
    return FASTEST_FLOPS["cpu" if backend == "cpu" else "gpu"]


def training_seconds(config, backend: str | None = None) -> float:
    """Estimated seconds of the training: ``round_flops(config)·T·S/N`` (FedAvg trains S of the
    N clients a round), and a keyed run's Gaussian draws (:data:`DRAW_FLOPS` each, S·E·B·d a
    round), at a tenth of :data:`FASTEST_FLOPS` (the estimate the time budget and the printed
    estimate use); ``backend`` as :func:`check_run_time`'s."""
    return _training_flops(config) / (_fastest_rate(backend) / 10)


def _training_flops(config) -> float:
    work = round_flops(config) * config.n_sampled / config.n_clients
    if _keyed(config) and not config.population:
        work += DRAW_FLOPS * config.n_sampled * config.local_steps * config.batch * config.d
    return work * config.rounds


def side_seconds(config, backend: str | None = None) -> float:
    """Estimated seconds of what ``dssl simulate`` does besides training, each at a tenth of
    :data:`FASTEST_FLOPS` of where it runs: the passes through the population targets
    (:data:`TARGET_FLOPS` per N·d³; NumPy, so on the CPU) and the uniformity estimate over the
    N² client pairs (:data:`UNIFORMITY_PAIRS` pairs of embeddings each, :data:`PAIR_FLOPS` +
    :data:`PAIR_FLOPS_PER_C`·c each; JAX, on ``backend``, as :func:`check_run_time`'s)."""
    n, d, c = config.n_clients, config.d, config.c
    targets = TARGET_FLOPS * n * d**3 / (_fastest_rate("cpu") / 10)
    pairs = n * n * UNIFORMITY_PAIRS * (PAIR_FLOPS + PAIR_FLOPS_PER_C * c)
    return targets + pairs / (_fastest_rate(backend) / 10)


def announce(config, total_bytes: float, prefix: str) -> None:
    """One stderr line with the run's estimated peak memory, training time
    (:func:`training_seconds`) and the time of its targets and metrics (:func:`side_seconds`),
    before a run estimated longer than ``theory._validate.PROGRESS_AFTER_S`` in all; nothing
    for a quicker one."""
    seconds, side = training_seconds(config), side_seconds(config)
    if not seconds + side > v.PROGRESS_AFTER_S:
        return
    data = "keyed minibatches" if _keyed(config) else "samples"
    sys.stderr.write(
        f"{prefix}: estimate: peak memory about {v.format_bytes(total_bytes)}, training about "
        f"{seconds:.0f} s ({_training_flops(config):.2g} flop equivalents at "
        f"{_fastest_rate() / 10:.0e} flop/s; {data}), targets and metrics about {side:.0f} s\n"
    )
    sys.stderr.flush()


def check_run_time(config, field: str, value, backend: str | None = None) -> None:
    """Refuse a run that would take longer than :data:`MAX_RUN_SECONDS` even at
    :data:`FASTEST_FLOPS` (``--rounds 1e12`` ran on for ever): one line naming ``field``,
    the estimated work and the limit. ``backend``: "cpu", "gpu" (any accelerator: the faster
    rate, so a check made before JAX starts refuses only what the run would refuse too) or
    None (JAX's backend)."""
    rate = _fastest_rate(backend)
    work = _training_flops(config)
    # the estimate at a tenth of the fastest rate: past the time budget, --force-size
    v.check_time(field, value, training_seconds(config, backend), what="the training")
    if not work <= rate * MAX_RUN_SECONDS:
        v.fail(
            field,
            f"small enough for the run to end within {MAX_RUN_SECONDS // 86400} days at "
            f"{rate:.0e} flop/s (estimated {work:.2e} flop, limit {rate * MAX_RUN_SECONDS:.2e})",
            value,
        )


def check_budget(config, *, samples: int | None, dtype: str, backend=None,
                 time_field: tuple[str, Any] | None = None) -> dict:  # fmt: skip
    """Refuse a run whose estimated peak memory (:func:`estimate_bytes`) is over the memory
    budget, naming the option behind its largest term (``samples`` is ``--samples-per-client``,
    None for a keyed run; the sizes of :func:`sample_sizes`), or whose training is estimated
    longer than the time budget (:func:`check_run_time`, naming ``time_field``, an (option,
    value) pair: the caller's judgement of which option made the run long; default
    ``--rounds``); one line each, ``--force-size`` to go further. ``config``: the engine
    configuration, or a :class:`RunShape` before JAX starts (its memory estimate a lower
    bound). Returns the estimate."""
    n, d = config.n_clients, config.d
    m_eval, m_test = sample_sizes(n, d, samples)
    est = estimate_bytes(n=n, d=d, c=config.c, m=m_eval, m_test=m_test, dtype=dtype, config=config)
    field = max(("samples_per_client", "d", "n_clients", "local_steps"), key=lambda k: est[k])
    value = {"samples_per_client": m_eval if samples is None else samples, "d": d,
             "n_clients": n, "local_steps": config.local_steps}[field]  # fmt: skip
    v.check_fits("--" + field.replace("_", "-"), value, est["total"])
    check_run_time(config, *(time_field or ("--rounds", config.rounds)), backend)
    return est


def rounds_per_chunk(config) -> int:
    r"""Rounds per jitted chunk: about :data:`CHUNK_FLOPS` of work per chunk, counting
    :math:`8 \cdot N \cdot E \cdot B \cdot c \cdot d` flops per round
    (:math:`4 \cdot N \cdot E \cdot c \cdot d^2` with population gradients) plus a fixed
    :data:`STEP_OVERHEAD_FLOPS` per client step; at least 1, at most T, and balanced so that
    every chunk but the last has the same length. A function of the configuration only, so
    text and --json runs use the same chunks.

    Example:
      >>> from sims.trackc.engine_config import EngineConfig
      >>> rounds_per_chunk(EngineConfig(n_clients=4, d=64, c=8, batch=256, local_steps=5,
      ...                               rounds=300))
      150
    """
    per_round = round_flops(config)
    cap = int(max(1, min(config.rounds, CHUNK_FLOPS // per_round)))
    chunks = -(-config.rounds // cap)
    return -(-config.rounds // chunks)


class _StopFlag:
    """SIGINT handler for the duration of the rounds: the first Ctrl-C asks to stop after the
    current chunk; a second one raises KeyboardInterrupt at once."""

    def __init__(self):
        self.stop = False
        self._old = None

    def __enter__(self):
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            self._old = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        if self.stop:
            raise KeyboardInterrupt
        self.stop = True

    def __exit__(self, *exc):
        import signal

        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)
        return False


def run_rounds(engine, problem, key, *, progress: bool = False, stop=None):
    """Run ``engine.config.rounds`` rounds in jitted chunks of :func:`rounds_per_chunk` rounds
    (the same chunks whether or not a progress bar is shown), stopping early between chunks
    on Ctrl-C (or when ``stop()`` returns True).

    Returns:
      ``(state, trace, interrupted)``: the state after the last finished chunk (None if none
      finished), the trace of the finished rounds (leading axis = rounds; ``{}`` if none
      finished) and whether the run stopped early.
    """
    import jax
    import numpy as np

    from sims.core.rounds import concat_traces

    config = engine.config
    chunk = rounds_per_chunk(config)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=config.rounds, file=sys.stderr, desc="rounds", leave=False)
    # the engine's own chunks (sims.core.engine.make_engine): one jitted program per chunk
    # length, no host callback in it (JAX writes no program with one to its persistent compile
    # cache: a per-round tick compiled again in every run, 5.1 s of the paper-size FL smoke
    # with a warm cache), so the bar advances between chunks
    calls = engine.chunks(problem, key=key, chunk=chunk)
    state, traces, done, interrupted = None, [], 0, False
    try:
        with _StopFlag() as flag:
            while done < config.rounds:
                if flag.stop or (stop is not None and stop()):
                    interrupted = True
                    break
                before = done
                state, tr = next(calls)
                jax.block_until_ready(state)
                done = before + int(np.asarray(tr["loss"]).shape[0])
                traces.append(tr)
                bad = np.flatnonzero(np.asarray(tr["diverged"]))
                if bar is not None:  # the rounds of the chunk that finished finite
                    bar.n = before + (int(bad[0]) if bad.size else done - before)
                    bar.refresh()
                if bad.size:
                    break  # the state is frozen at the last finite round from here on
            interrupted = interrupted or (flag.stop and done < config.rounds)
    finally:
        if bar is not None:
            bar.close()
    return state, concat_traces(traces) if traces else {}, interrupted
