"""Faults (issue 40): the one error boundary of ``dssl`` (every exception is one stderr line and
exit status 2 for bad input, 1 for a failed run, 130 for Ctrl-C at any moment), environment
values checked before JAX reads them, and the output folder's safety (a symbolic-link cache
folder refused, entries of the wrong type discarded and recomputed, one run at a time).

In-process rows run ``sims.cli.main``; rows about a fresh process (environment values JAX reads
at import, Ctrl-C) start ``python -m sims.cli``. Every row fails on the code before issue 40.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from sims import files
from sims.cli import main
from sims.commands import _boundary
from sims.reproduce.pipeline import Stage, compile_cache, jsonio, outfolder, run_stages
from sims.reproduce.pipeline import runner as R
from tests._pipeline_helpers import CountConfig, counting_stage

BOUNDS = ["bounds", "--d", "64", "--p", "0.75", "--abar", "4"]
POSIX = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and devices")


def _one_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def _env(**updates) -> dict:
    env = dict(os.environ, JAX_PLATFORMS="cpu", PYTHONUNBUFFERED="1")
    env.pop("XLA_FLAGS", None)
    env.update(updates)
    return env


# ---------------------------------------------------------------------------------------------
# the one boundary: a failed run is exit status 1 in one line


def test_a_full_disk_is_one_line_naming_the_option(tmp_path, monkeypatch, capsys):
    """A full disk (the fsync or the rename fails with ENOSPC) names the option and the file,
    never the temporary file. (A device such as /dev/full is refused before the run:
    tests/test_one_writer.py.)"""
    import errno

    def full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device", src)

    monkeypatch.setattr(os, "replace", full)
    assert main([*BOUNDS, "--csv", str(tmp_path / "b.csv")]) == 1
    line = _one_line(capsys)
    assert line.startswith("dssl bounds: error: --csv:") and "b.csv" in line, line
    assert "No space left" in line and ".tmp" not in line


def test_a_path_whose_folders_cannot_be_made_says_so(tmp_path, monkeypatch, capsys):
    """ENOENT on a write (a parent folder that cannot be created, e.g. under /proc) names the
    option and says the missing folders must be creatable (a new user's review: 'must be an
    existing path', though missing folders are created)."""
    import errno

    def gone(src, dst):
        raise OSError(errno.ENOENT, "No such file or directory", dst)

    monkeypatch.setattr(os, "replace", gone)
    assert main([*BOUNDS, "--csv", str(tmp_path / "new" / "b.csv")]) == 1
    line = _one_line(capsys)
    assert line.startswith("dssl bounds: error: --csv: must be an existing path, or one whose "
                           "missing folders can be created"), line  # fmt: skip


def test_a_file_name_too_long_is_one_line(tmp_path, capsys):
    assert main([*BOUNDS, "--cs", str(tmp_path / ("a" * 300 + ".csv")), "--json"]) == 1
    line = _one_line(capsys)
    assert "--cs:" in line and "at most 255 bytes" in line, line  # the user's spelling


def test_an_out_folder_whose_cache_cannot_be_created_is_one_line(tmp_path, capsys):
    out = tmp_path / ("o" * 300)
    argv = ["reproduce", "--fast", "--stages", "mask", "--out", str(out), "--json"]
    assert main(argv) == 2  # refused before the run: making the folder is tried first
    line = _one_line(capsys)
    assert line.startswith("dssl reproduce: error: --out:") and "File name too long" in line


def test_running_out_of_device_memory_is_one_line(monkeypatch, capsys):
    from jax.errors import JaxRuntimeError

    from sims.commands import bounds

    def exhausted(args):
        raise JaxRuntimeError("RESOURCE_EXHAUSTED: Out of memory allocating 10 TiB\nmore detail")

    monkeypatch.setattr(bounds, "run", exhausted)
    assert main([*BOUNDS, "--json"]) == 1
    line = _one_line(capsys)
    assert "ran out of memory" in line and "RESOURCE_EXHAUSTED" in line, line


@pytest.mark.parametrize(
    "error, status",
    [(MemoryError(), 1), (RuntimeError("boom"), 1), (TypeError("bad type"), 2)],
    ids=["MemoryError", "RuntimeError", "TypeError"],
)
def test_any_exception_is_one_line(error, status, monkeypatch, capsys):
    from sims.commands import bounds

    def fails(args):
        raise error

    monkeypatch.setattr(bounds, "run", fails)
    assert main([*BOUNDS, "--json"]) == status
    assert _one_line(capsys).startswith("dssl bounds: error: ")


def test_debug_shows_the_traceback(monkeypatch, capsys):
    from sims.commands import bounds

    def fails(args):
        raise RuntimeError("boom")

    monkeypatch.setattr(bounds, "run", fails)
    assert main(["--debug", *BOUNDS, "--json"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and err.strip().splitlines()[-1].startswith("dssl bounds: error:")
    assert main([*BOUNDS, "--json", "--debug"]) == 1  # after the subcommand too
    assert "Traceback" in capsys.readouterr().err


def test_an_interrupt_while_the_subcommands_are_imported(monkeypatch, capsys):
    from sims import cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_discover", interrupted)
    assert main([*BOUNDS]) == 130
    assert _one_line(capsys) == "dssl: interrupted"


def test_an_interrupt_wrapped_by_python_is_an_interrupt(monkeypatch, capsys):
    """A Ctrl-C while a library defines a class reaches the boundary as the RuntimeError that
    Python raises from it ("Error calling __set_name__", seen at 0.45 s into `dssl reproduce`
    while JAX was imported): status 130 and one line, not "internal error"."""
    from sims import cli

    def interrupted(*args, **kwargs):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as err:
            raise RuntimeError("Error calling __set_name__ on 'Field' instance 'idx'") from err

    monkeypatch.setattr(cli, "_discover", interrupted)
    assert main([*BOUNDS]) == 130
    assert _one_line(capsys) == "dssl: interrupted"
    assert cli._interrupted(ValueError("a real error")) is False


# ---------------------------------------------------------------------------------------------
# bad files: exit status 2 in one line naming the file's option


def _folders(tmp_path, text: str):
    old, new = tmp_path / "old", tmp_path / "new"
    for folder in (old, new):
        folder.mkdir()
        (folder / "x.json").write_text(text)
    return str(old), str(new)


def test_compare_refuses_deep_json_in_one_line(tmp_path, capsys):
    old, new = _folders(tmp_path, "[" * 3000 + "]" * 3000)
    assert main(["compare", old, new, "--json"]) == 2
    line = _one_line(capsys)
    assert "old:" in line and "x.json" in line and "nested at most" in line, line


def test_compare_refuses_nesting_python_could_read_but_too_deep(tmp_path, capsys):
    old, new = _folders(tmp_path, "[" * 500 + "]" * 500)
    assert main(["compare", old, new, "--json"]) == 2
    assert "got 500 levels" in _one_line(capsys)


def test_compare_names_the_file_with_an_integer_over_the_digit_limit(tmp_path, capsys):
    old, new = _folders(tmp_path, '{"n": ' + "7" * 5000 + "}")
    assert main(["compare", old, new, "--json"]) == 2
    line = _one_line(capsys)
    assert "x.json" in line and "digits" in line and "set_int_max_str_digits" not in line, line


# ---------------------------------------------------------------------------------------------
# environment values JAX reads when it is imported


@pytest.mark.parametrize(
    "var, value",
    [("JAX_ENABLE_X64", "nonsense"), ("JAX_PLATFORMS", " "), ("JAX_DEBUG_NANS", "maybe")],
)
def test_environment_checked_before_jax_reads_it(var, value):
    proc = subprocess.run(
        [sys.executable, "-m", "sims.cli", *BOUNDS, "--json"],
        capture_output=True,
        text=True,
        env=_env(**{var: value}),
        timeout=120,
    )
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert len(lines) == 1 and lines[0].startswith(f"dssl: error: {var}:"), lines
    assert proc.stdout == ""


# ---------------------------------------------------------------------------------------------
# Ctrl-C


def test_a_dropped_interrupt_is_raised_again(capsys):
    """Python drops an exception raised in ``__del__`` or a gc callback (JAX runs one while it
    imports): the interrupt is raised again until a handler acknowledges it, and the dropped
    one prints nothing."""

    class Dropper:
        def __del__(self):
            signal.raise_signal(signal.SIGINT)
            for _ in range(10_000):  # the handler runs here, inside __del__
                pass

    dropped = []
    start = time.monotonic()
    with _boundary.interrupts():
        silent = sys.unraisablehook
        sys.unraisablehook = lambda u: (dropped.append(type(u.exc_value)), silent(u))
        with pytest.raises(KeyboardInterrupt):
            Dropper()  # __del__ runs at once; its KeyboardInterrupt is dropped
            while time.monotonic() - start < 10:
                time.sleep(0.01)
        _boundary.acknowledge()
    assert dropped == [KeyboardInterrupt]  # the first one was dropped; a repeat arrived
    assert time.monotonic() - start < 5
    assert "Exception ignored" not in capsys.readouterr().err


@pytest.mark.parametrize("half", ["sims.files", "sims.reproduce.pipeline.parallel"])
def test_ctrl_c_while_a_module_the_handler_calls_is_half_imported(half, monkeypatch):
    """A module in ``sys.modules`` whose body has not yet defined its functions (Ctrl-C while
    it is imported: seen in CI at 0.6 s, "partially initialized module 'sims.files' has no
    attribute 'remove_temporaries'", exit 1): the handler raises KeyboardInterrupt, and still
    calls the other module's functions. Both modules are stand-ins here: the real ones would
    stay stopped for the rest of this process."""
    import types

    called = []
    whole = types.SimpleNamespace(
        remove_temporaries=lambda stop: called.append("remove_temporaries"),
        launching_here=lambda: False,
        stop_launches=lambda: called.append("stop_launches"),
    )
    for module in ("sims.files", "sims.reproduce.pipeline.parallel"):
        monkeypatch.setitem(
            sys.modules, module, types.ModuleType(module) if module == half else whole
        )
    try:
        with pytest.raises(KeyboardInterrupt):
            _boundary._on_sigint(signal.SIGINT, sys._getframe())
    finally:
        _boundary.acknowledge()
    assert called == (["stop_launches"] if half == "sims.files" else ["remove_temporaries"])


def _wait_for(predicate, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def _children(pid: int) -> list[str]:
    """Command lines of the child processes of ``pid`` (Linux /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            for child in (task / "children").read_text().split():
                with contextlib.suppress(OSError):
                    found.append(Path(f"/proc/{child}/cmdline").read_bytes().decode())
    return found


def _temporaries(out: Path) -> list[str]:
    return [str(p) for p in out.rglob(".*.tmp")]


def test_ctrl_c_while_the_boundary_is_imported_is_one_line(monkeypatch, capsys):
    """A Ctrl-C in main() before the boundary is in place (while sims.commands._boundary is
    imported: seen once at 0.1 s under load 4, a KeyboardInterrupt traceback through
    sims/cli.py) ends with the boundary's one line and 130."""
    import builtins

    real = builtins.__import__

    def interrupted(name, globals=None, locals=None, fromlist=(), level=0):
        if name == "sims.commands" and fromlist and "_boundary" in fromlist:
            raise KeyboardInterrupt
        return real(name, globals, locals, fromlist, level)

    monkeypatch.setattr(builtins, "__import__", interrupted)
    assert main(["bounds", "--d", "64"]) == 130
    monkeypatch.setattr(builtins, "__import__", real)
    assert capsys.readouterr().err == "dssl: interrupted\n"


@POSIX
@pytest.mark.parametrize("delay", [0.1, 0.3, 0.45, 0.6, 1.0])
def test_ctrl_c_at_start_exits_130_in_one_line(delay, tmp_path):
    """SIGINT in the first second (while JAX is imported: a Ctrl-C there was dropped and the
    run went on to exit 0): status 130, one line, no traceback, no temporary file."""
    out = tmp_path / "out"
    argv = ["reproduce", "--fast", "--stages", "mask", "--out", str(out), "--json"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "sims.cli", *argv, "--compile-cache", "none"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
    )
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    err = err.decode(errors="replace")
    if "sims" not in err and ("init_import_site" in err or err.rstrip().endswith("Interrupt")):
        # CPython was still starting, before any code of dssl ran: importing `site` (its own
        # "Fatal Python error", exit 1) or, under `-m`, runpy reading the module (its default
        # KeyboardInterrupt traceback of frozen frames). Seen at 0.1 s under load: once beside a
        # hostile-input run (load 4), once in a CI replica; no frame of the project is in it.
        return
    # before the interpreter installs its handler, SIGINT ends it (the shell shows 130 too)
    assert proc.returncode in (130, -signal.SIGINT), err
    assert "Traceback" not in err and "Exception ignored" not in err, err
    lines = err.strip().splitlines()
    assert lines == [] or (len(lines) == 1 and "interrupted" in lines[0]), err
    assert _temporaries(tmp_path) == []


@POSIX
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("after", [0.0, 0.3], ids=["starting", "importing"])
def test_ctrl_c_to_the_process_group_while_workers_start(after, tmp_path):
    """The terminal sends Ctrl-C to every process of the group: workers still importing
    printed a traceback each (about 50 lines), and a worker whose parent exited before it had
    read its task printed an EOFError. Now: the parent's one line, status 130, no temporary
    file."""
    out = tmp_path / "out"
    argv = ["reproduce", "--fast", "--jobs", "2", "--stages", "mask,verify", "--out", str(out)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "sims.cli", *argv, "--json", "--compile-cache", "none"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
        start_new_session=True,
    )
    try:

        def spawned():
            return any("spawn_main" in c or "multiprocessing" in c for c in _children(proc.pid))

        assert _wait_for(spawned, 120), "no worker started"
        time.sleep(after)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    err = err.decode(errors="replace")
    assert proc.returncode == 130, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    time.sleep(1.0)  # workers notice the parent is gone within 0.2 s
    assert _temporaries(tmp_path) == []


def test_ctrl_c_removes_the_temporary_files_of_writes_in_flight(tmp_path):
    """What the SIGINT handler (and a worker whose parent is gone) calls: every temporary
    file of a write in flight is removed, and no new write starts."""
    started, release = threading.Event(), threading.Event()

    def slow_write():
        with contextlib.suppress(FileNotFoundError), files.atomic_path(tmp_path / "f.json"):
            started.set()
            release.wait(10)

    writer = threading.Thread(target=slow_write)
    writer.start()
    assert started.wait(10)
    try:
        assert len(_temporaries(tmp_path)) == 1
        assert files.remove_temporaries(stop=True) == 1
        assert _temporaries(tmp_path) == []
        with pytest.raises(KeyboardInterrupt):
            files.write_text(tmp_path / "g.json", "{}")
    finally:
        files.allow_writes()
        release.set()
        writer.join(10)
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    files.write_text(tmp_path / "g.json", "{}")  # allowed again


# ---------------------------------------------------------------------------------------------
# the output folder


def _entry(out: Path, name: str) -> Path:
    (path,) = (out / R.CACHE_DIR).glob(f"{name}-*.json")
    return path


def test_a_folder_in_place_of_a_cache_entry_or_the_lock_is_recomputed(tmp_path):
    calls: list = []
    stages = [counting_stage(calls, "count")]
    run_stages(stages, out=tmp_path, progress=False)
    entry = _entry(tmp_path, "count")
    entry.unlink()
    entry.mkdir()
    (entry / "inside").write_text("x")
    lock = tmp_path / R.CACHE_DIR / outfolder.LOCK
    lock.unlink()
    lock.mkdir()  # the output folder's lock file too
    summary = run_stages(stages, out=tmp_path, progress=False)
    assert [s["cached"] for s in summary["stages"]] == [False] and len(calls) == 2
    assert entry.is_file() and lock.is_file()
    summary = run_stages(stages, out=tmp_path, progress=False)
    assert [s["cached"] for s in summary["stages"]] == [True]


def test_an_edited_result_with_its_hashes_recomputed_is_not_served(tmp_path):
    """The cache entry is signed with a key outside the output folder: an edit that also
    recomputes the SHA-256s stored in the folder does not verify."""
    calls: list = []
    stages = [counting_stage(calls, "count")]
    run_stages(stages, out=tmp_path, progress=False)
    path = _entry(tmp_path, "count")
    entry = json.loads(path.read_text())
    entry["result"]["x"] = 666
    jsonio.write_json(tmp_path / "count.json", entry["result"])
    entry["files"]["count.json"] = jsonio.sha256_file(tmp_path / "count.json")
    entry.pop("hmac_sha256")
    import hashlib

    forged = hashlib.sha256(jsonio.canonical(entry).encode()).hexdigest()
    path.write_text(json.dumps(entry | {"hmac_sha256": forged}))
    summary = run_stages(stages, out=tmp_path, progress=False)
    assert [s["cached"] for s in summary["stages"]] == [False]
    assert json.loads((tmp_path / "count.json").read_text())["x"] == 1


def test_the_cache_key_lives_outside_the_output_folder_mode_0600(tmp_path, monkeypatch):
    key = tmp_path / "home" / "cache-key"
    monkeypatch.setenv(outfolder.KEY_ENV, str(key))
    signature = outfolder.sign({"a": 1})
    assert key.is_file() and (key.stat().st_mode & 0o777) == 0o600
    assert outfolder.sign({"a": 1}) == signature != outfolder.sign({"a": 2})
    monkeypatch.setenv(outfolder.KEY_ENV, str(tmp_path / "out" / "k"))
    with pytest.raises(ValueError, match="cache key"):
        run_stages([counting_stage([], "count")], out=tmp_path / "out", progress=False)


def test_a_symlinked_cache_folder_is_refused(tmp_path, capsys):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / ".cache").symlink_to(elsewhere)
    with pytest.raises(ValueError, match="symbolic link"):
        run_stages([counting_stage([], "count")], out=out, progress=False)
    argv = ["reproduce", "--fast", "--stages", "mask", "--out", str(out), "--json"]
    assert main(argv) == 2
    line = _one_line(capsys)
    assert "out:" in line and "symbolic link" in line, line
    assert list(elsewhere.iterdir()) == []


def test_a_symlinked_compile_cache_host_folder_is_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "cc").mkdir()
    (tmp_path / "cc" / compile_cache.host_tag()).symlink_to(elsewhere)
    with pytest.raises(ValueError, match="compile-cache: .*symbolic link"):
        compile_cache.resolve(str(tmp_path / "cc"))


def test_a_compile_cache_from_the_environment_is_named_as_set(tmp_path, monkeypatch):
    """A bad ``$DSSL_COMPILE_CACHE`` is named as the user set it, not as ``--compile-cache``
    (an option not given: a new user's review); a given option keeps its own name."""
    afile = tmp_path / "afile"
    afile.write_text("x")
    monkeypatch.setenv(compile_cache.ENV, str(afile))
    with pytest.raises(ValueError, match=r"^\$DSSL_COMPILE_CACHE: must be a folder"):
        compile_cache.resolve(None)
    with pytest.raises(ValueError, match="^compile-cache: must be a folder"):
        compile_cache.resolve(str(afile))


def test_folders_in_place_of_the_compile_caches_files_are_discarded(tmp_path):
    path = compile_cache.resolve(str(tmp_path / "cc"))
    for name in (compile_cache.MANIFEST, compile_cache._LOCK, "jit_f-0123-cache"):
        (path / name).mkdir()
        (path / name / "inside").write_text("x")
    with compile_cache.persistent_cache(path) as used:
        assert used == path
    assert (path / compile_cache.MANIFEST).is_file()
    assert not (path / "jit_f-0123-cache").exists()
    assert json.loads((path / compile_cache.MANIFEST).read_text()) == {}


def test_a_second_run_into_one_folder_refuses_naming_the_folder_and_pid(tmp_path, capsys):
    entered, release = threading.Event(), threading.Event()

    def slow(cfg):
        entered.set()
        release.wait(30)
        return {"x": cfg.x}

    first = threading.Thread(
        target=run_stages,
        args=([Stage("slow", CountConfig, slow)],),
        kwargs={"out": tmp_path, "progress": False},
    )
    first.start()
    try:
        assert entered.wait(30)
        with pytest.raises(ValueError) as err:
            run_stages([counting_stage([], "count")], out=tmp_path, progress=False)
        message = str(err.value)
        assert message.startswith("out:") and f"pid {os.getpid()}" in message, message
        assert str(tmp_path) in message
        argv = ["reproduce", "--fast", "--stages", "mask", "--out", str(tmp_path), "--json"]
        assert main(argv) == 2
        line = _one_line(capsys)
        assert f"pid {os.getpid()}" in line and str(tmp_path) in line, line
    finally:
        release.set()
        first.join(30)
    assert not list(tmp_path.glob("mask*"))  # the refused run wrote nothing
    run_stages([counting_stage([], "count")], out=tmp_path, progress=False)  # free again


def test_no_worker_starts_after_ctrl_c_until_launches_are_allowed_again():
    """After Ctrl-C the pipeline's thread could start the next worker in the moment before the
    program exits, and that worker found its parent gone (an EOFError traceback, seen in CI):
    stop_launches holds every later launch back; a launch in the handler's own thread is not
    waited for (it would wait for itself) but reported by launching_here."""
    import threading

    from sims.reproduce.pipeline import parallel

    entered = threading.Event()

    def launch():
        with parallel._spawning():
            entered.set()

    parallel.stop_launches()
    try:
        t = threading.Thread(target=launch, daemon=True)
        t.start()
        assert not entered.wait(0.5)  # held back
    finally:
        parallel.allow_launches()
    assert entered.wait(5.0)
    t.join(5.0)
    with parallel._spawning():
        assert parallel.launching_here()
    assert not parallel.launching_here()
