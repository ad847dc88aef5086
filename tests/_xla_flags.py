"""XLA flags of every test process (``tests/conftest.py`` adds them to ``XLA_FLAGS``, and
:func:`tests._helpers.fresh_python` gives them to the processes it starts).

Most of the suite's time is XLA compiling many small programs, most of them LLVM's
optimisation passes: LLVM at level 0 without its expensive passes compiles the programs of
tests/test_sharded_engine.py's main check in 55 s of CPU time instead of 95 s (2 cores). The
programs compute the same operations; only the rounding of float32 and float64 results
changes, which the tests' tolerances are derived to absorb. A flag already in the caller's
``XLA_FLAGS`` wins. ``dssl`` runs at its own defaults where a test says so (the processes of
tests/test_memory.py, tests/test_sigint.py and tests/test_paths_env.py start without these
flags)."""

TEST_XLA_FLAGS = (
    "--xla_backend_optimization_level=0",
    "--xla_llvm_disable_expensive_passes=true",
)


def with_test_flags(flags: str | None) -> str:
    """``flags`` with each of :data:`TEST_XLA_FLAGS` appended whose name it does not set."""
    tokens = (flags or "").split()
    names = {t.split("=", 1)[0] for t in tokens}
    return " ".join(tokens + [f for f in TEST_XLA_FLAGS if f.split("=", 1)[0] not in names])
