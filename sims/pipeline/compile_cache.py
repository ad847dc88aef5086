"""JAX's persistent compilation cache for ``dssl reproduce``: a rerun loads the XLA programs an
earlier run compiled instead of compiling them again.

Most of a fast run is XLA compilation (hundreds of small programs), which a second run repeats
unchanged. With the cache on, the compiled executables are written to a folder and read back
by any later process that compiles the same program. JAX keys an entry by the program's HLO,
the compile options and XLA flags, the jax/jaxlib versions and the device, and XLA:CPU refuses
to load an executable built for CPU features the host lacks (it recompiles instead); on top of
that the folder here is one per host CPU (:func:`host_tag`), so machines that share a home
folder do not overwrite each other's entries. A cached executable is the program a fresh
compile would build, so results do not depend on whether it came from the cache.

Default folder: ``$DSSL_COMPILE_CACHE`` when set (``none`` turns the cache off), else
``$XDG_CACHE_HOME/dssl-verify/xla`` (``~/.cache/dssl-verify/xla``), then ``/<host tag>``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import platform
from collections.abc import Iterator
from pathlib import Path

__all__ = ["ENV", "OFF", "default_dir", "host_tag", "resolve", "persistent_cache"]

#: environment variable naming the cache folder (``none``: no cache)
ENV = "DSSL_COMPILE_CACHE"
#: the value that turns the cache off
OFF = "none"

# JAX's settings and the environment variables that carry them into spawned worker processes
_SETTINGS = {
    "jax_compilation_cache_dir": "JAX_COMPILATION_CACHE_DIR",
    # every program is worth keeping: the fast run's programs compile in 0.1-2 s each
    "jax_persistent_cache_min_compile_time_secs": "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS",
    "jax_persistent_cache_min_entry_size_bytes": "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES",
}


def host_tag() -> str:
    """12 hex digits identifying the host's instruction set: SHA-256 of the machine type and
    the CPU feature flags (the first ``flags``/``Features`` line of ``/proc/cpuinfo`` where
    there is one, else the processor string)."""
    features = platform.processor()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            if line.split(":")[0].strip() in ("flags", "Features"):
                features = " ".join(sorted(line.split(":", 1)[1].split()))
                break
    text = f"{platform.machine()}|{features}"
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def default_dir() -> str:
    """The cache folder when none is given: ``$DSSL_COMPILE_CACHE`` (may be ``none``), else
    ``$XDG_CACHE_HOME/dssl-verify/xla`` (``~/.cache/...`` when unset)."""
    given = os.environ.get(ENV)
    if given:
        return given
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(base) / "dssl-verify" / "xla")


def resolve(value: str | None) -> Path | None:
    """The folder entries go to: ``value`` (``None``: :func:`default_dir`) joined with
    :func:`host_tag`, created if missing; ``None`` when the value is ``none``. A value that
    cannot be a writable folder fails with one line naming ``compile-cache``."""
    from theory import _validate as v

    value = default_dir() if value is None else value
    if not isinstance(value, str) or not value.strip():
        v.fail("compile-cache", f"a folder path or '{OFF}'", value)
    if value.strip().lower() == OFF:
        return None
    path = Path(value).expanduser() / host_tag()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        v.fail("compile-cache", f"a folder that can be created ({err.strerror})", value)
    if not os.access(path, os.W_OK | os.X_OK):
        v.fail("compile-cache", "a writable folder", value)
    return path


@contextlib.contextmanager
def persistent_cache(path: Path | None) -> Iterator[Path | None]:
    """Inside the block, JAX reads and writes compiled programs under ``path`` (``None``: no
    change), in this process and in worker processes started inside it (through the
    environment). JAX's settings and the environment are restored on exit."""
    if path is None:
        yield None
        return
    import jax
    from jax.experimental.compilation_cache import compilation_cache as cc

    values = {
        "jax_compilation_cache_dir": str(path),
        "jax_persistent_cache_min_compile_time_secs": 0.0,
        "jax_persistent_cache_min_entry_size_bytes": 0,
    }
    old_config = {name: getattr(jax.config, name) for name in values}
    old_env = {env: os.environ.get(env) for env in _SETTINGS.values()}
    try:
        for name, value in values.items():
            jax.config.update(name, value)
            os.environ[_SETTINGS[name]] = str(value)
        cc.reset_cache()  # JAX decides once per process whether a cache is in use
        yield path
    finally:
        for name, value in old_config.items():
            jax.config.update(name, value)
        for env, value in old_env.items():
            if value is None:
                os.environ.pop(env, None)
            else:
                os.environ[env] = value
        cc.reset_cache()
