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

Verification: JAX writes an entry in place (a killed run can leave half a file) and checks it
only as far as its compression does. So a run holds a lock on the folder, and when it ends
cleanly it records the SHA-256 of every entry in ``manifest.json``; before the next run uses
the folder, every entry that is not in the manifest or whose bytes no longer match is deleted
(and compiled again when needed). A run that finds the folder locked by another runs without
the cache. Anything in the folder of the wrong type (a folder where an entry, ``manifest.json``
or ``.lock`` belongs, a symbolic link) is discarded and made again, and the host folder itself
must be a real folder inside the folder given: a symbolic link there would make a run write
outside it, so it is refused with one line naming ``compile-cache``.

Default folder: ``$DSSL_COMPILE_CACHE`` when set (``none`` turns the cache off), else
``$XDG_CACHE_HOME/dssl-verify/xla`` (``~/.cache/dssl-verify/xla``), then ``/<host tag>``.
"""

from __future__ import annotations

import contextlib
import os
import platform
import sys
from collections.abc import Iterator
from pathlib import Path

import sims.reproduce.pipeline.jsonio as jsonio
import sims.reproduce.pipeline.outfolder as outfolder

__all__ = [
    "ENV",
    "OFF",
    "MANIFEST",
    "default_dir",
    "host_tag",
    "resolve",
    "verify_entries",
    "write_manifest",
    "persistent_cache",
]

#: environment variable naming the cache folder (``none``: no cache)
ENV = "DSSL_COMPILE_CACHE"
#: the value that turns the cache off
OFF = "none"
#: SHA-256 of every entry a run that ended cleanly left in the folder
MANIFEST = "manifest.json"
_LOCK = ".lock"
_ENTRY = "-cache"  # JAX's file name suffix of an entry

# JAX's settings inside the block besides the folder; each is carried into spawned worker
# processes by its environment variable, the name in capitals (JAX's convention). Every program
# is worth keeping: the fast run's programs compile in 0.1-2 s each
_SETTINGS = {
    "jax_persistent_cache_min_compile_time_secs": 0.0,
    "jax_persistent_cache_min_entry_size_bytes": 0,
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
    return jsonio.sha256_bytes(text.encode())[:12]


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

    # a folder from the environment is named as the user set it, not as an option
    field = "compile-cache" if value is not None or not os.environ.get(ENV) else f"${ENV}"
    value = default_dir() if value is None else value
    if not isinstance(value, str) or not value.strip():
        v.fail(field, f"a folder path or '{OFF}'", value)
    if value.strip().lower() == OFF:
        return None
    path = Path(value).expanduser() / host_tag()
    if path.is_symlink():
        v.fail(
            field,
            f"a folder whose {path.name} is a folder (it is a symbolic link)",
            value,
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        v.fail(field, f"a folder that can be created ({err.strerror})", value)
    if os.path.realpath(path) != os.path.join(os.path.realpath(path.parent), path.name):
        v.fail(
            field,
            f"a folder whose {path.name} is inside it (it resolves elsewhere)",
            value,
        )
    if not os.access(path, os.W_OK | os.X_OK):
        v.fail(field, "a writable folder", value)
    return path


def _manifest(path: Path) -> dict[str, str]:
    if outfolder.discard_non_file(path / MANIFEST):
        return {}
    try:
        data = jsonio.read_json(path / MANIFEST)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def verify_entries(path: Path) -> dict[str, int]:
    """Delete every entry under ``path`` that is not a regular file in the manifest with its
    present SHA-256; return {"kept": ..., "removed": ...}."""
    listed, kept, removed = _manifest(path), 0, 0
    for entry in sorted(path.glob(f"*{_ENTRY}")):
        if outfolder.discard_non_file(entry):
            removed += 1
        elif listed.get(entry.name) == jsonio.sha256_file(entry):
            kept += 1
        else:
            entry.unlink(missing_ok=True)
            removed += 1
    return {"kept": kept, "removed": removed}


def write_manifest(path: Path) -> int:
    """Record the SHA-256 of every entry under ``path`` that is a regular file in the manifest
    (written atomically, replacing whatever is in its place); return the number of entries."""
    entries = [e for e in sorted(path.glob(f"*{_ENTRY}")) if e.is_file() and not e.is_symlink()]
    digests = {e.name: jsonio.sha256_file(e) for e in entries}
    outfolder.discard_non_file(path / MANIFEST)
    jsonio.write_json(path / MANIFEST, digests)
    return len(digests)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[bool]:
    """An exclusive lock on the folder (``fcntl.flock``), or False when another process holds
    it. Without ``fcntl`` (not POSIX) there is no lock and this always yields True."""
    try:
        import fcntl
    except ImportError:
        yield True
        return
    fd = outfolder.open_lock(path / _LOCK)  # a folder in its place is discarded first
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextlib.contextmanager
def persistent_cache(path: Path | None) -> Iterator[Path | None]:
    """Inside the block, JAX reads and writes compiled programs under ``path`` (``None``: no
    change), in this process and in worker processes started inside it (through the
    environment), after :func:`verify_entries`; a clean exit writes the manifest. Yields the
    folder, or ``None`` when another run holds it (then nothing changes). JAX's settings and
    the environment are restored on exit."""
    if path is None:
        yield None
        return
    with _locked(path) as mine:
        if not mine:
            sys.stderr.write(f"compile cache {path} is in use by another run: compiling anew\n")
            yield None
            return
        verify_entries(path)
        with _jax_cache(path):
            yield path
        write_manifest(path)


@contextlib.contextmanager
def _jax_cache(path: Path) -> Iterator[None]:
    """JAX's persistent cache under ``path`` (settings and environment restored on exit)."""
    import jax
    from jax.experimental.compilation_cache import compilation_cache as cc

    from sims.core.environ import set_environ

    settings = {"jax_compilation_cache_dir": str(path), **_SETTINGS}
    old_config = {name: getattr(jax.config, name) for name in settings}
    try:
        with set_environ({name.upper(): value for name, value in settings.items()}):
            for name, value in settings.items():
                jax.config.update(name, value)
            cc.reset_cache()  # JAX decides once per process whether a cache is in use
            yield
    finally:
        for name, value in old_config.items():
            jax.config.update(name, value)
        cc.reset_cache()
