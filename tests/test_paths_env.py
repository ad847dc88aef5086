"""Paths and environment (issue 11 item 8), as a user meets them: a fresh ``dssl`` process with
an unusable ``JAX_PLATFORMS`` or ``XLA_FLAGS`` prints one line naming the variable and exits 2
(a bad XLA flag would otherwise abort the process inside XLA), and ``--out`` checks run for
every command that writes (in-process rows: tests/test_bad_inputs_table.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from sims.commands._common import check_out_dir

BOUNDS = ["bounds", "--d", "64", "--p", "0.75", "--abar", "4", "--json"]


def _dssl(env_updates: dict) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("XLA_FLAGS", None)
    env.update(env_updates)
    return subprocess.run(
        [sys.executable, "-m", "sims.cli", *BOUNDS],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


@pytest.mark.parametrize(
    "var, value",
    [
        ("XLA_FLAGS", "--xla_no_such_flag_anywhere=1"),
        ("XLA_FLAGS", "no_dashes"),
        ("JAX_PLATFORMS", "abacus"),
        ("JAX_DEFAULT_MATMUL_PRECISION", "HIGHEST!"),
    ],
)
def test_bad_environment_one_line_exit_2(var, value):
    proc = _dssl(
        {var: value, "JAX_PLATFORMS": os.environ.get("JAX_PLATFORMS", "cpu")} | {var: value}
    )
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert len(lines) == 1 and var in lines[0], lines
    assert proc.stdout == ""


def test_good_environment_runs():
    proc = _dssl({"JAX_PLATFORMS": "cpu", "XLA_FLAGS": "--xla_cpu_enable_fast_math=false"})
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_out_dir_accepts_new_and_existing_folders(tmp_path):
    assert check_out_dir(str(tmp_path)) == str(tmp_path)
    assert check_out_dir(str(tmp_path / "a" / "b")).endswith("b")
    (tmp_path / ".cache").mkdir()
    assert check_out_dir(str(tmp_path)) == str(tmp_path)


def test_commands_run_float32_products_in_float32(monkeypatch):
    """dssl runs a command at matmul precision 'highest' (TF32 off on GPUs) unless
    JAX_DEFAULT_MATMUL_PRECISION names another; worker processes inherit it; both the JAX
    setting and the variable are restored afterwards."""
    import jax

    from sims.core import environ

    seen = []

    def probe():
        seen.append(
            (jax.config.jax_default_matmul_precision, os.environ.get(environ.PRECISION_ENV))
        )

    monkeypatch.delenv(environ.PRECISION_ENV, raising=False)
    before = jax.config.jax_default_matmul_precision
    with environ.matmul_precision() as value:
        probe()
        child = subprocess.run(
            [sys.executable, "-c", "import os; print(os.environ['JAX_DEFAULT_MATMUL_PRECISION'])"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    assert value == "highest" and seen[-1] == ("highest", "highest")
    assert child.stdout.strip() == "highest"
    assert jax.config.jax_default_matmul_precision == before
    assert environ.PRECISION_ENV not in os.environ
    monkeypatch.setenv(environ.PRECISION_ENV, "tensorfloat32")
    with environ.matmul_precision() as value:
        probe()
    assert value == "tensorfloat32" and seen[-1] == ("tensorfloat32", "tensorfloat32")
    assert os.environ[environ.PRECISION_ENV] == "tensorfloat32"


def test_cpu_runs_add_the_one_thread_level_1_flags(monkeypatch):
    """On a CPU a command runs with XLA's matmuls on one thread and LLVM level 1 unless
    XLA_FLAGS sets those flags; nothing is added for an accelerator or for ``dssl bench``; the
    variable is restored afterwards; a worker of ``dssl reproduce --jobs`` adds nothing more."""
    from sims.core import environ
    from sims.core.environ import add_xla_flags
    from sims.reproduce.pipeline import parallel

    monkeypatch.setenv("JAX_PLATFORMS", "cpu")
    monkeypatch.delenv("XLA_FLAGS", raising=False)
    monkeypatch.delenv(environ.ADDED_XLA_FLAGS_ENV, raising=False)
    with environ.cpu_xla_flags() as flags:
        assert flags.split() == list(environ.cpu_flags())
        assert add_xla_flags(flags, parallel.WORKER_XLA_FLAGS) == flags
        # every flag is marked as the command's own, none as the user's
        assert os.environ[environ.ADDED_XLA_FLAGS_ENV].split() == sorted(flags.split())
        assert not any(environ.user_sets_xla_flag(n) for n in environ.flag_names(flags))
        with environ.cpu_xla_flags() as inner:  # nested (a command run by a command): still its own
            assert inner == flags
            assert os.environ[environ.ADDED_XLA_FLAGS_ENV].split() == sorted(flags.split())
    assert "XLA_FLAGS" not in os.environ and environ.ADDED_XLA_FLAGS_ENV not in os.environ
    mine = "--xla_backend_optimization_level=3 --xla_dump_to=/dev/null"
    monkeypatch.setenv("XLA_FLAGS", mine)
    extra = "".join(" " + f for f in environ.cpu_flags()[len(environ.CPU_XLA_FLAGS) :])
    with environ.cpu_xla_flags() as flags:  # the user's level stays; the thread flag is added
        assert flags == mine + " --xla_cpu_multi_thread_eigen=false" + extra
        added = set(os.environ[environ.ADDED_XLA_FLAGS_ENV].split())
        assert added == set(flags.split()) - set(mine.split())
        assert not environ.user_sets_xla_flag("xla_cpu_multi_thread_eigen")
        assert environ.user_sets_xla_flag("xla_backend_optimization_level")
    assert os.environ["XLA_FLAGS"] == mine
    with environ.cpu_xla_flags(enabled=False) as flags:
        assert flags == mine
    monkeypatch.setenv("JAX_PLATFORMS", "cuda,cpu")
    with environ.cpu_xla_flags() as flags:
        assert flags == mine
    import sims.commands.bench as bench_command

    assert bench_command.XLA_DEFAULTS is True


def test_flags_only_some_xla_versions_know_are_added_only_where_known(monkeypatch):
    """XLA aborts the process on a flag it does not know: ``cpu_flags`` adds the fusion
    code generator flag only where this jaxlib's library names it, and the probe finds a
    flag every XLA has but not a made-up one."""
    from sims.core import environ

    assert environ.xla_has_flag("xla_cpu_multi_thread_eigen")
    assert not environ.xla_has_flag("xla_cpu_no_such_flag_in_any_xla")
    known = environ.xla_has_flag("xla_cpu_use_fusion_emitters")
    assert environ.cpu_flags() == environ.CPU_XLA_FLAGS + (
        environ.CPU_XLA_FLAGS_WHERE_KNOWN if known else ()
    )
    monkeypatch.setattr(environ, "xla_has_flag", lambda name: False)
    assert environ.cpu_flags() == environ.CPU_XLA_FLAGS
    monkeypatch.setattr(environ, "xla_has_flag", lambda name: True)
    assert environ.cpu_flags() == environ.CPU_XLA_FLAGS + environ.CPU_XLA_FLAGS_WHERE_KNOWN


def test_long_run_options_choose_the_newer_generator_only_where_xla_has_it(monkeypatch):
    """Per-program options of the long Track C programs: the newer fusion generator on a CPU
    whose XLA has the flag; nothing where it has not, or on another backend."""
    import jax

    from sims.core import environ

    known = environ.xla_has_flag("xla_cpu_use_fusion_emitters")
    want = {"xla_cpu_use_fusion_emitters": True} if known else {}
    if jax.default_backend() != "cpu":
        want = {}
    monkeypatch.delenv(environ.ADDED_XLA_FLAGS_ENV, raising=False)
    monkeypatch.setenv("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false")
    assert environ.long_run_options() == want
    # the older generator chosen by a dssl command: the long programs still get the newer one
    monkeypatch.setenv("XLA_FLAGS", "--xla_cpu_use_fusion_emitters=false")
    monkeypatch.setenv(environ.ADDED_XLA_FLAGS_ENV, "--xla_cpu_use_fusion_emitters=false")
    assert environ.long_run_options() == want
    # ... chosen by the user: their choice wins (also when it differs from the one recorded)
    monkeypatch.delenv(environ.ADDED_XLA_FLAGS_ENV)
    assert environ.long_run_options() == {}
    monkeypatch.setenv("XLA_FLAGS", "--xla_cpu_use_fusion_emitters=true")
    monkeypatch.setenv(environ.ADDED_XLA_FLAGS_ENV, "--xla_cpu_use_fusion_emitters=false")
    assert environ.long_run_options() == {}
    monkeypatch.setenv("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false")
    monkeypatch.setattr(environ, "xla_has_flag", lambda name: False)
    assert environ.long_run_options() == {}
    monkeypatch.setattr(environ, "xla_has_flag", lambda name: True)
    monkeypatch.setattr(jax, "default_backend", lambda: "gpu")
    assert environ.long_run_options() == {}


def test_long_training_options_add_llvm_level_2_unless_the_user_chose_a_level(monkeypatch):
    """Track D's training programs: the long-run options and, on a CPU whose XLA has the flag,
    LLVM level 2, also where a dssl command chose level 1; a level the user set wins."""
    import jax

    from sims.core import environ

    level = environ.OPTIMIZATION_LEVEL
    monkeypatch.setattr(environ, "xla_has_flag", lambda name: True)
    monkeypatch.setattr(jax, "default_backend", lambda: "cpu")
    monkeypatch.setenv("XLA_FLAGS", f"--{level}=1")
    monkeypatch.setenv(environ.ADDED_XLA_FLAGS_ENV, f"--{level}=1")
    assert environ.long_training_options() == {**environ.long_run_options(), level: 2}
    monkeypatch.delenv(environ.ADDED_XLA_FLAGS_ENV)
    assert level not in environ.long_training_options()
    monkeypatch.setattr(jax, "default_backend", lambda: "gpu")
    assert environ.long_training_options() == {}


def test_bench_asks_for_one_cpu_device_per_core(monkeypatch):
    """``dssl bench`` (``host_devices``) on a CPU: XLA's defaults plus one host device per
    core this process may use (for the sharded-engine row); a device count the user set wins;
    nothing on an accelerator."""
    import sims.commands.bench as bench_command
    from sims.core import environ

    assert bench_command.HOST_DEVICES is True
    cores = len(os.sched_getaffinity(0))
    assert environ.host_devices_flag() == f"--xla_force_host_platform_device_count={cores}"
    monkeypatch.setenv("JAX_PLATFORMS", "cpu")
    monkeypatch.delenv("XLA_FLAGS", raising=False)
    with environ.cpu_xla_flags(enabled=False, host_devices=True) as flags:
        assert flags == environ.host_devices_flag()
    assert "XLA_FLAGS" not in os.environ
    monkeypatch.setenv("XLA_FLAGS", "--xla_force_host_platform_device_count=3")
    with environ.cpu_xla_flags(enabled=False, host_devices=True) as flags:
        assert flags == "--xla_force_host_platform_device_count=3"
    monkeypatch.setenv("JAX_PLATFORMS", "cuda")
    monkeypatch.delenv("XLA_FLAGS", raising=False)
    with environ.cpu_xla_flags(enabled=False, host_devices=True) as flags:
        assert flags is None


@pytest.mark.parametrize(
    ("platforms", "expected"), [("cpu", True), ("CPU,cuda", True), ("cuda", False), ("tpu", False)]
)
def test_runs_on_cpu_follows_jax_platforms(monkeypatch, platforms, expected):
    from sims.core import environ

    monkeypatch.setenv("JAX_PLATFORMS", platforms)
    assert environ.runs_on_cpu() is expected


def test_runs_on_cpu_sees_an_accelerator_plugin(monkeypatch):
    import importlib.metadata

    from sims.core import environ

    monkeypatch.delenv("JAX_PLATFORMS", raising=False)
    plugin = importlib.metadata.EntryPoint("xla_cuda", "jax_cuda_plugin", "jax_plugins")
    real = importlib.metadata.entry_points
    monkeypatch.setattr(
        importlib.metadata,
        "entry_points",
        lambda **kw: [plugin] if kw.get("group") == "jax_plugins" else real(**kw),
    )
    assert environ.runs_on_cpu() is False
