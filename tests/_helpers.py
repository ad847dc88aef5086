"""Small builders shared by the engine, consensus-bound and theory-vs-simulation tests,
:func:`fresh_python` for the tests that need a new process and :func:`load_script` for the
tests of the benchmark scripts."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from sims.core.engine import sweep
from sims.core.problem import make_problem
from tests._xla_flags import with_test_flags
from theory import spectral, topology


def mixing(graph: str, n: int, rule: str = "uniform", **kwargs) -> np.ndarray:
    """(n, n) mixing matrix ``rule`` on graph ``graph`` (``theory.topology``)."""
    return topology.mixing_matrix(rule, topology.make_graph(graph, n, **kwargs))


def structured_samples(n: int, m: int, d: int, *, seed: int = 0, scale: float = 1.0):
    """(n, m, d) Gaussian samples ``scale·N(0, 1)`` with client i shifted by 2·e_i (a little
    client structure)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, m, d)) * scale
    x[:, :, :n] += 2.0 * np.eye(n)[:, None, :]
    return x


def swept(problem, **fields):
    """``(problems, axes)`` for :func:`sims.core.engine.sweep`: ``fields`` swept along a leading
    axis, every other field shared."""
    axes = jax.tree.map(lambda _: None, problem)._replace(**{k: 0 for k in fields})
    return problem._replace(**{k: jnp.asarray(val) for k, val in fields.items()}), axes


def sweep_mixings(config, targets, mixings, *, x=None, seed: int = 0):
    """One run per mixing matrix (same seed, π = each matrix's stationary weights), one
    compiled sweep. Returns ``(pis (K, N), traces as numpy with a leading axis K)``."""
    pis = np.stack([np.asarray(spectral.stationary_weights(m)) for m in mixings])
    prob = make_problem(config, targets, x=x, mixing=mixings[0])
    probs, axes = swept(prob, mixing=mixings, pi=pis)
    keys = jnp.stack([jax.random.PRNGKey(seed)] * len(mixings))
    _, traces = sweep(config, probs, keys, axes=axes)
    return pis, jax.tree.map(np.asarray, traces)


ROOT = Path(__file__).resolve().parent.parent


def fresh_python(
    args: list[str],
    *,
    devices: int | None = None,
    timeout: int = 300,
    xla_flags: tuple[str, ...] | None = None,
) -> subprocess.CompletedProcess:
    """``python ARGS`` in a new process from the repository root, on the CPU backend, with
    ``XLA_FLAGS`` holding only the tests' flags (``tests/_xla_flags.py``) and, with
    ``devices``, asking for that many CPU devices: settings JAX reads only when its backend
    starts, so a test cannot change them in its own process. ``xla_flags``: exactly these
    flags instead of the tests' (with ``devices`` too, where given). Output captured as text;
    the caller checks the exit status."""
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    flags = None if devices is None else f"--xla_force_host_platform_device_count={devices}"
    if xla_flags is None:
        env["XLA_FLAGS"] = with_test_flags(flags)
    else:
        env["XLA_FLAGS"] = " ".join([*xla_flags, *([flags] if flags else [])])
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip


def load_script(name: str):
    """The module of ``benchmarks/<name>.py``, imported from its file (the benchmarks are
    scripts, not a package). The folder is put on ``sys.path`` first (at its end, where running
    a script puts it at the front: a module of the same name installed in the environment
    would win here), so that a script finds the benchmarks' own library (``timing``,
    ``baselines``)."""
    folder = str(ROOT / "benchmarks")
    if folder not in sys.path:
        sys.path.append(folder)
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def problem_source(n: int = 8, m: int = 10, d: int = 6, c: int = 2) -> str:
    """Python source for a fresh process (:func:`fresh_python`): x64 on, ``EngineConfig`` and
    ``key_tree`` imported, and a small problem: ``n`` clients of ``m`` Gaussian samples
    ``x`` (n, m, d) (seed 0), their second moments ``t`` and the ring's uniform mixing
    matrix ``mix`` (``n``, ``d``, ``c`` defined)."""
    return f"""
import jax, jax.numpy as jnp, jax.random as jr, numpy as np
jax.config.update("jax_enable_x64", True)
from sims.core.config import key_tree
from sims.trackc.engine_config import EngineConfig
from theory import topology
n, d, c = {n}, {d}, {c}
x = np.random.default_rng(0).normal(size=(n, {m}, d))
t = np.einsum("nmd,nme->nde", x, x) / {m}
mix = topology.mixing_matrix("uniform", topology.make_graph("ring", n))
"""
