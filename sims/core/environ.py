"""Environment variables a ``dssl`` run sets for itself and its worker processes, restored
afterwards: :func:`set_environ`, and :func:`add_xla_flags` for ``XLA_FLAGS``; the log lines of
worker processes, read into the parent's loggers (:func:`forwarded_logs`, :func:`send_logs`)."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
from collections.abc import Iterator, Mapping
from typing import Any


class _ToOwnLogger:
    """A QueueListener's handler: each record handed to this process's logger of its name (and
    from there to the handlers of that logger and its parents)."""

    level = 0

    @staticmethod
    def handle(record) -> None:
        logging.getLogger(record.name).handle(record)


@contextlib.contextmanager
def forwarded_logs(context: Any, name: str) -> Iterator[Any]:
    """A queue (of the multiprocessing ``context``) for worker processes' INFO records of the
    logger ``name`` and its children (:func:`send_logs` in each worker), read into this
    process's loggers while the block runs; None (nothing forwarded) when nothing here listens
    to ``name`` at INFO."""
    from logging.handlers import QueueListener

    if not logging.getLogger(name).isEnabledFor(logging.INFO):
        yield None
        return
    queue = context.Queue()
    listener = QueueListener(queue, _ToOwnLogger())
    listener.start()
    try:
        yield queue
    finally:
        listener.stop()


def send_logs(queue: Any, name: str) -> None:
    """In a worker process: the INFO records of the logger ``name`` and its children go to
    ``queue`` (a :func:`forwarded_logs` queue; None: nothing changes) instead of this process's
    handlers."""
    if queue is None:
        return
    from logging.handlers import QueueHandler

    logger = logging.getLogger(name)
    logger.addHandler(QueueHandler(queue))
    logger.setLevel(logging.INFO)
    logger.propagate = False


@contextlib.contextmanager
def set_environ(values: Mapping[str, str]) -> Iterator[None]:
    """Set the variables ``values`` inside the block; on exit each has its old value again (or
    is unset, where it was).

    >>> with set_environ({"DSSL_DOCTEST_VAR": "1"}):
    ...     os.environ["DSSL_DOCTEST_VAR"]
    '1'
    >>> "DSSL_DOCTEST_VAR" in os.environ
    False
    """
    old = {name: os.environ.get(name) for name in values}
    try:
        os.environ.update({name: str(value) for name, value in values.items()})
        yield
    finally:
        for name, value in old.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def add_xla_flags(flags: str | None, extra) -> str:
    """``flags`` (an ``XLA_FLAGS`` value) with each flag of ``extra`` appended whose name it
    does not set already: a flag the user chose wins.

    >>> add_xla_flags("--xla_backend_optimization_level=3",
    ...               ("--xla_cpu_multi_thread_eigen=false", "--xla_backend_optimization_level=1"))
    '--xla_backend_optimization_level=3 --xla_cpu_multi_thread_eigen=false'
    """
    names = flag_names(flags)
    tokens = (flags or "").split()
    tokens += [f for f in extra if not flag_names(f) <= names]
    return " ".join(tokens)


_LIBRARY_SUFFIXES = (".so", ".dylib", ".pyd", ".dll")


@functools.cache
def xla_has_flag(name: str) -> bool:
    """Whether the installed XLA (jaxlib's native libraries) defines the flag ``name`` (written
    without the leading ``--``). XLA aborts the whole process on a flag it does not know, with
    no Python exception to catch, and its flags come and go between jaxlib releases: a flag
    that only some releases have is added only where its name is in the library.

    >>> xla_has_flag("xla_cpu_multi_thread_eigen"), xla_has_flag("xla_no_such_flag_here")
    (True, False)
    """
    import importlib.util
    import mmap
    from pathlib import Path

    spec = importlib.util.find_spec("jaxlib")
    if spec is None or not spec.submodule_search_locations:
        return False
    libs = [
        p
        for where in spec.submodule_search_locations
        for p in Path(where).rglob("*")
        if p.suffix in _LIBRARY_SUFFIXES and p.is_file()
    ]
    needle = name.encode()
    for lib in sorted(libs, key=lambda p: p.stat().st_size, reverse=True):
        try:
            with open(lib, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
                if m.find(needle) >= 0:
                    return True
        except (OSError, ValueError):  # unreadable, or empty (mmap of 0 bytes)
            continue
    return False


#: The XLA option :func:`long_run_options` sets: XLA's newer CPU fusion code generator.
NEWER_FUSION_GENERATOR = "xla_cpu_use_fusion_emitters"

#: The flags (``--name=value``, space-separated) a ``dssl`` command added to ``XLA_FLAGS``
#: itself (set by ``sims.cli.cpu_xla_flags`` for the command and its workers): what tells a
#: flag the user set from one ``dssl`` set.
ADDED_XLA_FLAGS_ENV = "DSSL_XLA_FLAGS_ADDED"


def flag_names(flags: str | None) -> set[str]:
    """The names of the flags in an ``XLA_FLAGS`` value, without ``--`` or value.

    >>> sorted(flag_names("--xla_a=1 --xla_b"))
    ['xla_a', 'xla_b']
    """
    return {t.split("=", 1)[0].lstrip("-") for t in (flags or "").split()}


def user_sets_xla_flag(name: str) -> bool:
    """Whether this process's ``XLA_FLAGS`` sets the flag ``name`` other than as a ``dssl``
    command added it (:data:`ADDED_XLA_FLAGS_ENV`, flag and value): the user chose it.

    >>> with set_environ({"XLA_FLAGS": "--xla_a=1 --xla_b=0", ADDED_XLA_FLAGS_ENV: "--xla_b=0"}):
    ...     user_sets_xla_flag("xla_a"), user_sets_xla_flag("xla_b"), user_sets_xla_flag("xla_c")
    (True, False, False)
    """
    added = set(os.environ.get(ADDED_XLA_FLAGS_ENV, "").split())
    mine = [t for t in os.environ.get("XLA_FLAGS", "").split() if t not in added]
    return name in flag_names(" ".join(mine))


#: LLVM's optimisation level of XLA's CPU back end (XLA's default: 2)
OPTIMIZATION_LEVEL = "xla_backend_optimization_level"


def bounded_compile_options() -> dict[str, Any]:
    """``jax.jit`` ``compiler_options`` that keep the training programs' compile time bounded
    for Python API users, as the ``dssl`` commands' flags do for theirs: on a CPU, LLVM at
    optimisation level 1 and XLA's older fusion code generator (``sims.cli.cpu_xla_flags``
    sets both for the whole process), each where this jaxlib has the flag and the user did
    not set it in ``XLA_FLAGS``; ``{}`` on other backends.

    Why: at XLA's default level an engine run with ``local_steps=1`` (``EngineConfig``'s
    default: the scan over one step collapses into the round's body) compiled for more than
    ten minutes on a 2-core CPU and did not finish; at level 1 it took 3.9 s and with the
    older fusion generator alone 5.3 s (2026-11-24, ``EngineConfig()`` with N = 4, d = 64,
    100 rounds). Level 1 alone was not enough for every program: the round chunk of
    ``sims.trackc.simulate`` called from Python (FL, N = 4, d = 8, E = 1, samples) was
    still compiling after 120 s with the newer generator at level 1, and took 26.5 s in
    all with the older generator at XLA's default level and 16.4 s with both (2026-11-27,
    2 cores, load 3). Float32 results move in rounding only (README, Performance).
    """
    import jax

    if jax.default_backend() != "cpu":
        return {}
    options: dict[str, Any] = {}
    if not user_sets_xla_flag(OPTIMIZATION_LEVEL) and xla_has_flag(OPTIMIZATION_LEVEL):
        options[OPTIMIZATION_LEVEL] = 1
    if not user_sets_xla_flag(NEWER_FUSION_GENERATOR) and xla_has_flag(NEWER_FUSION_GENERATOR):
        options[NEWER_FUSION_GENERATOR] = False
    return options


def long_run_options() -> dict[str, bool]:
    """``jax.jit`` ``compiler_options`` for a program that runs far longer than it compiles:
    on a CPU, XLA's newer fusion code generator (``xla_cpu_use_fusion_emitters``, where this
    jaxlib has it), also where a ``dssl`` command chose the older one for the process; ``{}``
    on other backends, and where the user set that flag in ``XLA_FLAGS`` (their choice wins).

    The ``dssl`` commands run XLA's older generator (``sims.cli.cpu_xla_flags``), which
    compiles faster but runs elementwise code several times slower: the counter hash and the
    Gaussian quantile of :mod:`sims.losses.masks` (``benchmarks/bench_gaussian.py``). A
    per-program option is how one long program gets the newer generator while every other
    program of the process keeps the older one (JAX applies ``compiler_options`` after
    ``XLA_FLAGS``). Used by the Track C runs (:func:`sims.trackc.runs.track_c_runs`); the
    README's Performance section has the measurements.
    """
    import jax

    if user_sets_xla_flag(NEWER_FUSION_GENERATOR):
        return {}
    if jax.default_backend() != "cpu" or not xla_has_flag(NEWER_FUSION_GENERATOR):
        return {}
    return {NEWER_FUSION_GENERATOR: True}


def long_training_options() -> dict[str, Any]:
    """``jax.jit`` ``compiler_options`` for a training program that runs many times longer than
    it compiles (the Track D arms: ``sims.trackd.train``): :func:`long_run_options` and, on a
    CPU, LLVM at XLA's default optimisation level 2 instead of the ``dssl`` commands' 1 (unless
    the user set the level in ``XLA_FLAGS``); ``{}`` on other backends.

    Measured on 2 cores under the ``dssl`` flags (2026-11-26,
    ``benchmarks/bench_trackd_options.py``; one DEFAULT arm of 600 local steps, compile
    excluded): SimSiam in FedAvg 9.8 s → 6.0 s, MAE in FedAvg 2.6 s → 1.8 s, MAE in DecL
    4.5 s → 3.2 s; the first call (compile included) was shorter too, and the trained
    parameters were bit-identical to the level-1 programs' (another CPU or jaxlib may round
    differently).
    """
    import jax

    options: dict[str, Any] = dict(long_run_options())
    if jax.default_backend() != "cpu":
        return options
    if not user_sets_xla_flag(OPTIMIZATION_LEVEL) and xla_has_flag(OPTIMIZATION_LEVEL):
        options[OPTIMIZATION_LEVEL] = 2
    return options
