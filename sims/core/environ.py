"""The process environment of a run: the environment variables a ``dssl`` run sets for itself
and its worker processes, restored afterwards (:func:`set_environ`, :func:`add_xla_flags` for
``XLA_FLAGS``); the log lines of worker processes, read into the parent's loggers
(:func:`forwarded_logs`, :func:`send_logs`); the JAX settings checked before JAX reads them
(:func:`check_environment`, :func:`platform_error`) and those a command runs under
(:func:`matmul_precision`, :func:`cpu_xla_flags`, :func:`host_devices_flag`); and the compiler
options of the training programs (:func:`bounded_compile_options`, :func:`long_run_options`).
Nothing here imports JAX at module level: ``dssl`` reads this module before JAX may start."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import sys
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
#: itself (set by :func:`cpu_xla_flags` for the command and its workers): what tells a
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
    optimisation level 1 and XLA's older fusion code generator (:func:`cpu_xla_flags`
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
    2 cores, load 3). With jax 0.10.2 the engine run compiles at XLA's defaults too (4.3 s;
    5.3 s with these options), but the ``simulate`` chunk still does not (past 150 s; 8.6 s
    with them): ``benchmarks/bench_api_compile.py``, 2026-11-29, load 1.2–1.4. Float32 results
    move in rounding only (README, Performance).
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


def compiler_options_key(options: Any) -> tuple | None:
    """A caller's ``compiler_options`` (a mapping of XLA option names to bool, int, float or str
    values, or None) checked, as sorted ``(name, type name, value)`` triples: hashable, the key
    of a cached training program (the type keeps ``True``, ``1`` and ``1.0``, equal in Python
    and so one key as pairs, apart); None stays None. Every name must be one the installed XLA
    defines (:func:`xla_has_flag`): XLA itself fails only when it compiles, with its own error
    type. :func:`compiler_options_of` turns the key back into the options.

    >>> compiler_options_key({"xla_backend_optimization_level": 1})
    (('xla_backend_optimization_level', 'int', 1),)
    """
    from theory import _validate as v

    if options is None:
        return None
    want = "a mapping of XLA option names to bool, int, float or str values, or None"
    if not isinstance(options, Mapping):
        v.fail("compiler_options", want, type(options).__name__)
    for name, value in options.items():
        if not isinstance(name, str) or not isinstance(value, bool | int | float | str):
            v.fail("compiler_options", want, f"{name!r}: {value!r}")
        if not name.strip() or not xla_has_flag(name):
            v.fail("compiler_options", "names of options the installed XLA defines", name)
    return tuple(sorted((name, type(value).__name__, value) for name, value in options.items()))


def compiler_options_of(key: tuple) -> dict[str, Any]:
    """The options of a :func:`compiler_options_key` key.

    >>> compiler_options_of((("xla_backend_optimization_level", "int", 1),))
    {'xla_backend_optimization_level': 1}
    """
    return {name: value for name, _, value in key}


def long_run_options() -> dict[str, bool]:
    """``jax.jit`` ``compiler_options`` for a program that runs far longer than it compiles:
    on a CPU, XLA's newer fusion code generator (``xla_cpu_use_fusion_emitters``, where this
    jaxlib has it), also where a ``dssl`` command chose the older one for the process; ``{}``
    on other backends, and where the user set that flag in ``XLA_FLAGS`` (their choice wins).

    The ``dssl`` commands run XLA's older generator (:func:`cpu_xla_flags`), which
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


#: XLA:CPU's list of YNNPACK fusion types (comma-separated; empty: no YNNPACK fusion).
YNN_FUSION_TYPES = "xla_cpu_experimental_ynn_fusion_type"


def no_ynn_options() -> dict[str, str]:
    """``jax.jit`` ``compiler_options`` that compile a program without XLA:CPU's YNNPACK
    fusions (:data:`YNN_FUSION_TYPES` emptied), where this jaxlib has the flag and the user did
    not set it in ``XLA_FLAGS``; ``{}`` on other backends. For a program whose reductions read
    gathered rows: a YNNPACK reduction takes its operands whole, so XLA writes each gathered
    block out first, where its own reduction reads the rows in place
    (``sims.metrics.client_uniformity_mc``: 1.5x faster on 2 cores). The engine keeps
    YNNPACK: without it a round took 0.135 s against 0.085 s (docs/performance.md).

    >>> set(no_ynn_options()) <= {YNN_FUSION_TYPES}
    True
    """
    import jax

    if user_sets_xla_flag(YNN_FUSION_TYPES):
        return {}
    if jax.default_backend() != "cpu" or not xla_has_flag(YNN_FUSION_TYPES):
        return {}
    return {YNN_FUSION_TYPES: ""}


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


# ---------------------------------------------------------------------------------------------
# the JAX environment of a ``dssl`` command: checked before JAX reads it, and the settings a
# command runs under (matmul precision, XLA's CPU flags, one XLA device per core)


def host_devices_flag() -> str:
    """The XLA flag that makes the CPU backend one device per core this process may run on
    (``--xla_force_host_platform_device_count``): ``dssl bench`` and ``make bench`` set it
    for the engine with its clients sharded over the cores (``benchmarks/timing.py``)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # no affinity call on this platform
        cores = os.cpu_count() or 1
    return f"--xla_force_host_platform_device_count={cores}"


def request_host_devices() -> None:
    """Add :func:`host_devices_flag` to this process's ``XLA_FLAGS`` (a device count already
    set wins), before JAX's backend starts: what the benchmark scripts do for their sharded
    rows (the ``dssl`` commands set it for the command only, :func:`cpu_xla_flags`)."""
    os.environ["XLA_FLAGS"] = add_xla_flags(os.environ.get("XLA_FLAGS"), (host_devices_flag(),))


def runs_on_cpu() -> bool:
    """Whether this process's JAX backend will be the CPU, decided without starting it: the
    first platform of ``JAX_PLATFORMS`` where that is set, else whether no accelerator plugin
    (a ``jax_plugins`` package or entry point, e.g. CUDA) or TPU runtime is installed."""
    import importlib.metadata
    import importlib.util
    import pkgutil

    platforms = os.environ.get("JAX_PLATFORMS", "").strip()
    if platforms:
        return platforms.split(",")[0].strip().lower() == "cpu"
    if importlib.metadata.entry_points(group="jax_plugins"):
        return False
    try:
        plugins = importlib.util.find_spec("jax_plugins")
    except (ImportError, ValueError):
        plugins = None
    locations = list(plugins.submodule_search_locations or ()) if plugins is not None else []
    if any(True for _ in pkgutil.iter_modules(locations)):
        return False
    return importlib.util.find_spec("libtpu") is None


#: JAX platform names that ``JAX_PLATFORMS`` may list (comma-separated, no spaces: JAX splits
#: the value at commas and takes each piece as it is).
KNOWN_PLATFORMS = ("cpu", "cuda", "gpu", "rocm", "tpu", "metal", "oneapi")

#: JAX's boolean settings read from the environment when ``jax`` is imported, and the
#: spellings JAX accepts there (``jax._src.config.bool_env``, any case); anything else makes
#: ``import jax`` raise.
BOOL_ENV = (
    "JAX_ENABLE_X64",
    "JAX_DISABLE_JIT",
    "JAX_DEBUG_NANS",
    "JAX_DEBUG_INFS",
    "JAX_LOG_COMPILES",
    "JAX_ENABLE_CHECKS",
)
BOOL_SPELLINGS = ("1", "0", "true", "false", "t", "f", "yes", "no", "y", "n", "on", "off")

#: JAX's matmul-precision setting (environment variable) and the values ``dssl`` accepts in it.
PRECISION_ENV = "JAX_DEFAULT_MATMUL_PRECISION"
PRECISIONS = ("highest", "float32", "high", "tensorfloat32", "default", "bfloat16")


@contextlib.contextmanager
def matmul_precision():
    """Run a command with float32 products computed in float32: JAX's matmul precision
    ``highest`` unless ``JAX_DEFAULT_MATMUL_PRECISION`` names another.

    On a GPU, JAX's default precision lets XLA run float32 products on the TF32 tensor cores
    (10-bit mantissa), so a float32 run would round differently from the same run on a CPU
    (benchmarks/results/gpu.md: the engine is 1.6x faster that way on an H200). On a CPU the
    setting changes no number. The variable is also set for the command's worker processes
    and restored afterwards."""
    import jax

    value = os.environ.get(PRECISION_ENV) or "highest"
    with set_environ({PRECISION_ENV: value}), jax.default_matmul_precision(value):
        yield value


#: XLA flags every ``dssl`` command that computes results adds on a CPU (see :func:`cpu_xla_flags`).
CPU_XLA_FLAGS = ("--xla_cpu_multi_thread_eigen=false", "--xla_backend_optimization_level=1")
#: ... and these where the installed XLA has them (:func:`xla_has_flag`):
#: XLA's older fusion code generator, which compiles faster (see :func:`cpu_xla_flags`)
CPU_XLA_FLAGS_WHERE_KNOWN = ("--xla_cpu_use_fusion_emitters=false",)


def cpu_flags() -> tuple[str, ...]:
    """:data:`CPU_XLA_FLAGS`, then each flag of :data:`CPU_XLA_FLAGS_WHERE_KNOWN` that this
    jaxlib's XLA defines (XLA aborts the process on a flag it does not know)."""
    known = tuple(
        f for f in CPU_XLA_FLAGS_WHERE_KNOWN if xla_has_flag(f.split("=", 1)[0].lstrip("-"))
    )
    return CPU_XLA_FLAGS + known


@contextlib.contextmanager
def cpu_xla_flags(enabled: bool = True, host_devices: bool = False):
    """Run a command on a CPU with XLA's matmuls on one thread, LLVM at optimisation level 1
    and XLA's older fusion code generator (:func:`cpu_flags`, added to ``XLA_FLAGS`` unless
    it sets those flags already; restored afterwards). Takes effect where the command starts
    JAX's backend (the ``dssl`` program always does) and in the worker processes of ``dssl
    reproduce --jobs``.

    * One thread: XLA's thread pool sums a matmul's products in another order than one
      thread, so a float32 result depended on whether a stage ran in the main process (the
      pool) or in a ``--jobs`` worker (one thread: two pools on the same cores ran several
      times slower). With one thread everywhere, ``dssl reproduce`` with any ``--jobs`` and
      the single commands compute the same numbers (tests/test_parallel_stages.py).
    * Level 1 instead of XLA's default (2): compilation is most of a reproduce run with an
      empty compile cache, and it is shorter (measured on 2 cores: the six engine programs
      of the fast ``mim_vs_cl`` stage 7.9 s instead of 12.2 s; the stages of a default run
      428 s instead of 504 s) while the programs ran no slower (the engine's quick setting
      0.119 s against 0.125 s). Float32 results change in rounding only (a default run: 166
      of 82,877 values, in Track D and one float32 γ; Tracks A and B equal).
    * XLA's older fusion code generator (``--xla_cpu_use_fusion_emitters=false``, where this
      jaxlib has the flag: :data:`CPU_XLA_FLAGS_WHERE_KNOWN`): it compiles faster, and with
      an empty compile cache most of a reproduce run is compiling (2 cores, 2026-11-23: the
      fast run 1:48 → 1:19 wall in adjacent runs, 1:20-1:42 later; the engine programs of
      the fast ``mim_vs_cl`` stage 12.4 s → 10.0 s, ``benchmarks/bench_cpu_flags.py``).
      Some programs run slower with it: the default ``track_c`` runs 72 s → 99 s, their CL
      runs' Gaussian views most of it (README, Performance; since 2026-11-24 those views
      come from :func:`sims.losses.gaussian`, about twice as fast under these flags, and
      the Track C programs are compiled with the newer generator alone:
      :func:`long_run_options`).
      Float32 results change in rounding only (a default run: 102 of 82,886 values, all in
      Track D; Tracks A, B and C equal; no verdict word changed).

    One thread cost no speed where measured, also on 16 cores (2026-11-23, against XLA's
    thread pool and level 2): the Track D Table 1 and Fig 2a stages 65 s against 72 s; the
    engine at N = 100, d = 512, c = 64, B = 128 0.348 s per round against 0.353 s. Its products
    are too small for the pool to split.

    The flags added here (with their values) go to ``DSSL_XLA_FLAGS_ADDED``
    (:data:`ADDED_XLA_FLAGS_ENV`), so that code run by the command can
    tell them from flags the user set (:func:`user_sets_xla_flag`).

    Nothing changes where the backend is not the CPU
    (:func:`runs_on_cpu`) or ``enabled`` is false (``dssl bench``,
    which times the engine as Python API users run it).

    ``host_devices`` (``dssl bench``): on a CPU, also one XLA device per core
    (:func:`host_devices_flag`), for the engine with its clients
    sharded over the cores; everything else runs on the first."""
    flags = os.environ.get("XLA_FLAGS")
    users = set((flags or "").split())
    on_cpu = (enabled or host_devices) and runs_on_cpu()
    if enabled and on_cpu:
        flags = add_xla_flags(flags, cpu_flags())
    if host_devices and on_cpu:
        flags = add_xla_flags(flags, (host_devices_flag(),))
    values = {} if flags is None else {"XLA_FLAGS": flags}
    if flags is not None:  # the flags added here, told from the user's (long_run_options)
        added = set(os.environ.get(ADDED_XLA_FLAGS_ENV, "").split())
        values[ADDED_XLA_FLAGS_ENV] = " ".join(sorted(added | (set(flags.split()) - users)))
    with set_environ(values):
        yield flags


_ENV_CHECKED: dict = {}


def _env_error(var: str, allowed: str, value: str) -> str:
    value = " ".join(str(value).split()) or str(value)  # a blank value shown as it is
    value = value if len(value) <= 80 else value[:77] + "..."
    return f"{var}: must be {allowed}, got {value!r}"


def check_environment(start_backend: bool = True, probe_flags: bool = True) -> str | None:
    """The one-line error (``dssl`` prefixes ``dssl: error:``) for an unusable
    ``JAX_PLATFORMS``, ``XLA_FLAGS``, ``JAX_DEFAULT_MATMUL_PRECISION`` or boolean JAX setting
    (:data:`BOOL_ENV`, e.g. ``JAX_ENABLE_X64``), else None.

    Runs before JAX is imported or initialises a backend (``import jax`` raises on a boolean
    setting it cannot read; a bad XLA flag aborts the process inside XLA, no Python
    exception), so ``XLA_FLAGS`` is tried once in a child process (and the answer cached for
    this process). ``JAX_PLATFORMS`` must be empty (JAX chooses) or list known platform names
    separated by commas, without blanks, and (with ``start_backend``) its backend must start:
    that starts it in this process, after which changes to ``XLA_FLAGS`` have no effect here
    (``dssl`` checks that part last, see :func:`cpu_xla_flags`). Without ``probe_flags`` the
    child process is not started (``dssl`` checks the cheap settings before parsing, so that
    ``--help`` and argument errors answer at once, and probes ``XLA_FLAGS`` after).

    >>> with set_environ({"JAX_ENABLE_X64": "nonsense"}):
    ...     check_environment(start_backend=False).split(": must be")[0]
    'JAX_ENABLE_X64'
    """
    platforms = os.environ.get("JAX_PLATFORMS")
    flags = os.environ.get("XLA_FLAGS")
    precision = os.environ.get(PRECISION_ENV)
    if precision is not None and precision not in PRECISIONS:
        return _env_error(PRECISION_ENV, "one of " + ", ".join(PRECISIONS), precision)
    for var in BOOL_ENV:
        value = os.environ.get(var)
        if value is not None and value.lower() not in BOOL_SPELLINGS:
            return _env_error(var, "one of " + ", ".join(BOOL_SPELLINGS) + " (any case)", value)
    key = (platforms, flags, start_backend, probe_flags)
    if key in _ENV_CHECKED:
        return _ENV_CHECKED[key]
    err = None
    if platforms is not None and platforms != "":
        if any(t not in KNOWN_PLATFORMS for t in platforms.split(",")):
            err = _env_error(
                "JAX_PLATFORMS",
                "empty or comma-separated names from " + ", ".join(KNOWN_PLATFORMS)
                + " (no blanks)",
                platforms,
            )  # fmt: skip
    if (
        err is None
        and probe_flags
        and flags is not None
        and flags.strip()
        and not _backend_started()
    ):
        tokens = flags.split()
        if any(not t.startswith("--") for t in tokens):
            err = _env_error("XLA_FLAGS", "space-separated --flag[=value] options", flags)
        else:
            err = _probe_backend(flags)
    if err is None and start_backend:
        err = platform_error()
    _ENV_CHECKED[key] = err
    return err


def platform_error() -> str | None:
    """The one-line error when the backend ``JAX_PLATFORMS`` names does not start (starting
    it), else None; None without starting anything when the variable is unset."""
    platforms = os.environ.get("JAX_PLATFORMS")
    if not platforms:
        return None
    import jax

    try:
        jax.devices()
    except Exception as exc:  # noqa: BLE001 - RuntimeError, or a plugin's AssertionError
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:80]
        return _env_error("JAX_PLATFORMS", f"a platform that starts here ({first})", platforms)
    return None


def _backend_started() -> bool:
    """Whether this process already started a JAX backend (then XLA accepted its flags)."""
    if "jax" not in sys.modules:  # nothing imported JAX: no backend (and none is imported here)
        return False
    try:
        from jax._src import xla_bridge

        return bool(getattr(xla_bridge, "_backends", None))
    except ImportError:  # pragma: no cover - private module moved
        return False


def _probe_backend(flags: str) -> str | None:
    """Start a JAX backend with ``XLA_FLAGS`` in a child process; the error line if it fails."""
    import subprocess

    code = "import jax; jax.devices()"
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode == 0:
        return None
    lines = [ln for ln in proc.stderr.splitlines() if "flag" in ln.lower()] or [""]
    detail = " ".join(lines[-1].split())[-80:]
    return _env_error("XLA_FLAGS", f"flags XLA accepts ({detail})", flags)
