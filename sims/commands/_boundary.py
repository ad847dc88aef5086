"""The one error boundary of the ``dssl`` program: every exception becomes one stderr line and
an exit status, and Ctrl-C is exit status 130 at any moment.

=======  ==================================================================================
status   when
=======  ==================================================================================
0        the command ran (``dssl compare``: the folders agree)
1        the run failed: a file could not be written or read (``OSError``: disk full, a name
         too long, no permission), memory ran out (``MemoryError``, XLA's
         ``RESOURCE_EXHAUSTED``), XLA failed, or an internal error; ``dssl compare``: the
         folders differ
2        bad input: an option, an environment variable or a file the user gave
         (``ValueError``, ``TypeError``, ``OverflowError``, ``RecursionError``)
130      interrupted (Ctrl-C, SIGINT)
=======  ==================================================================================

The line names the option as the user spelled it where the error can be traced to one (a path
under the option's value, a number too large to compute with), else the file, and says what
is allowed. ``--debug`` prints the traceback first.

Ctrl-C: :func:`interrupts` installs a SIGINT handler that removes the temporary files this
process is writing (:func:`sims.files.remove_temporaries`) and raises
``KeyboardInterrupt``. Python drops an exception raised inside a garbage-collector callback
or a ``__del__`` method (it prints "Exception ignored in ..."; JAX runs such a callback while
it imports), so until the interrupt is acknowledged (:func:`acknowledge`) it is raised again
every :data:`REPEAT_S` seconds, and the dropped one prints nothing: a Ctrl-C in the first
second of a run used to be lost, and the run finished with status 0. "At any moment" starts
when CPython has started: a SIGINT while the interpreter itself still imports ``site`` (about
20–30 ms, before any code of dssl runs) ends with CPython's own "Fatal Python error:
init_import_site" and exit status 1.

This module imports only the standard library, so that it works while everything else is
still being imported.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import sys
import threading

#: seconds between repeats of a Ctrl-C that was not acknowledged (dropped by Python)
REPEAT_S = 0.3
#: the longest message line written (longer ones are cut with "...")
MAX_LINE = 400

_state = {"pending": False, "watchdog": None}
# taken by the watchdog around its check-and-raise and by :func:`acknowledge`: once
# acknowledged, no repeat can still arrive (in-process callers go on after ``main``)
_state_lock = threading.Lock()


# ---------------------------------------------------------------------------------------------
# Ctrl-C


def _remove_temporaries() -> None:
    """Remove the temporary files of the atomic writes in flight, and refuse new ones (only
    where :mod:`sims.files` is loaded: otherwise this process writes none; a module still
    being imported, found in ``sys.modules`` before its functions are defined, has written
    nothing either)."""
    remove = getattr(sys.modules.get("sims.files"), "remove_temporaries", None)
    if remove is not None:
        remove(stop=True)


def _watchdog() -> None:
    import _thread
    import time

    while _state["pending"]:
        time.sleep(REPEAT_S)
        with _state_lock:
            if _state["pending"]:
                _thread.interrupt_main()


def _inside_extension_import(frame) -> bool:
    """Whether ``frame`` runs inside the initialisation of a compiled extension module (the
    Python code jaxlib's nanobind module calls while it loads): an exception raised there
    makes the C++ side call ``terminate``, and the process aborts (SIGABRT, seen with Ctrl-C
    0.3 s after start) instead of exiting 130."""
    import importlib.machinery

    while frame is not None:
        if frame.f_code.co_name in ("exec_module", "create_module") and isinstance(
            frame.f_locals.get("self"), importlib.machinery.ExtensionFileLoader
        ):
            return True
        frame = frame.f_back
    return False


def _on_sigint(signum, frame) -> None:
    # a module still being imported is in sys.modules before its functions exist: a Ctrl-C
    # while it imports finds no launch in flight and none to stop
    parallel = sys.modules.get("sims.reproduce.pipeline.parallel")
    launching_here = getattr(parallel, "launching_here", None)
    stop_launches = getattr(parallel, "stop_launches", None)
    # this thread is starting a worker: raised again once the worker has its task
    launching = launching_here is not None and launching_here()
    if stop_launches is not None and not launching:  # a worker being started reads its task first
        stop_launches()
    _remove_temporaries()
    if not _state["pending"]:
        _state["pending"] = True
        _state["watchdog"] = threading.Thread(target=_watchdog, name="dssl-sigint", daemon=True)
        _state["watchdog"].start()
    if launching or _inside_extension_import(frame):
        return  # the watchdog raises it again (the launch ended, the extension has loaded)
    raise KeyboardInterrupt


def acknowledge() -> None:
    """The interrupt reached a handler: stop raising it again."""
    with _state_lock:
        _state["pending"] = False


@contextlib.contextmanager
def interrupts():
    """Inside the block (main thread only; elsewhere nothing changes), Ctrl-C removes this
    process's temporary files and raises ``KeyboardInterrupt`` until acknowledged. On exit the
    previous handler is back and writing is allowed again
    (:mod:`sims.files`)."""
    import signal

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, _on_sigint)
    old_hook = sys.unraisablehook

    def hook(unraisable) -> None:  # the dropped Ctrl-C is raised again: no traceback for it
        if not isinstance(unraisable.exc_value, KeyboardInterrupt):
            old_hook(unraisable)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)
        sys.unraisablehook = old_hook
        acknowledge()
        # as in the handler: a module still being imported has nothing to allow again
        for module, undo in (
            ("sims.files", "allow_writes"),
            ("sims.reproduce.pipeline.parallel", "allow_launches"),
        ):
            allow = getattr(sys.modules.get(module), undo, None)
            if allow is not None:
                allow()


# ---------------------------------------------------------------------------------------------
# the one line


def debug_requested(argv) -> bool:
    """Whether ``--debug`` is among the arguments (before a ``--``): known before the parser
    is built, so that an error while importing the subcommands shows its traceback too."""
    for token in argv:
        if token == "--":
            return False
        if token == "--debug":
            return True
    return False


def _short(value) -> str:
    text = " ".join(repr(value).split())
    return text if len(text) <= 80 else text[:77] + "..."


def _first_line(err: BaseException) -> str:
    lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
    return lines[0] if lines else type(err).__name__


def options_of(parser, command: str | None) -> list:
    """The subcommand's option actions (argparse), or []."""
    import argparse

    if parser is None or command is None:
        return []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            sub = action.choices.get(command)
            return [a for a in sub._actions if a.option_strings] if sub is not None else []
    return []


def spelling(action, argv, actions=()) -> str:
    """The option as the user typed it (argparse accepts unique prefixes: ``--cs`` for
    ``--csv``), else its longest name. ``actions``: the command's options, so that a token
    naming another option exactly (``--transform``) is not read as an abbreviation of this one
    (``--transform-seed``).

    >>> import argparse
    >>> a = argparse.ArgumentParser().add_argument("--csv")
    >>> spelling(a, ["bounds", "--cs=x.csv"]), spelling(a, ["bounds"])
    ('--cs', '--csv')
    >>> p = argparse.ArgumentParser()
    >>> t, s = p.add_argument("--transform"), p.add_argument("--transform-seed")
    >>> spelling(s, ["exact", "--transform", "rotation"], [t, s])
    '--transform-seed'
    """
    names = action.option_strings
    taken = {name for a in actions for name in a.option_strings}
    for token in argv:
        if token == "--":
            break
        head = token.split("=", 1)[0]
        if head in names:
            return head
        if head in taken:
            continue
        if head.startswith("--") and len(head) > 2 and any(n.startswith(head) for n in names):
            return head
    return max(names, key=len)


def _too_large(value) -> bool:
    """Whether ``value`` (an option's value: a number, text or a tuple of them) holds a number
    beyond float64's range (about 1.8e308)."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int):
        return abs(value) > 2**1023
    if isinstance(value, str):
        for token in re.findall(r"\d[\d_]*(?:\.\d*)?(?:[eE][-+]?\d+)?", value):
            digits = token.split(".")[0].split("e")[0].split("E")[0]
            if len(digits) > 308:
                return True
            with contextlib.suppress(ValueError, OverflowError):
                if float(token) == float("inf"):
                    return True
        return False
    if isinstance(value, (tuple, list)):
        return any(_too_large(v) for v in value)
    return False


def _under(path, folder) -> bool:
    try:
        p, f = os.path.abspath(os.fspath(path)), os.path.abspath(os.fspath(folder))
    except (TypeError, ValueError):
        return False
    return p == f or p.startswith(f.rstrip(os.sep) + os.sep)


#: what a path must be, by the OSError's errno
_OS_ALLOWED = {
    errno.ENOSPC: "a location with free space",
    errno.EFBIG: "a location where the file may grow (no file size limit)",
    errno.EDQUOT: "a location within the disk quota",
    errno.ENAMETOOLONG: "a path whose names are at most 255 bytes each",
    errno.EACCES: "a path you may write",
    errno.EPERM: "a path you may write",
    errno.EROFS: "a path on a writable file system",
    errno.EISDIR: "a file path (it is a folder)",
    errno.ENOTDIR: "a path whose parents are folders",
    errno.ENOENT: "an existing path, or one whose missing folders can be created",
    errno.ELOOP: "a path without symbolic-link loops",
    errno.EEXIST: "a path that is free",
}


def _os_line(err: OSError, argv, actions, args) -> str:
    if getattr(err, "dssl_stream", False):
        why = err.strerror or _first_line(err)
        allowed = "must accept the output (redirect it to a file with free space)"
        return f"standard output: {allowed}, got {why}"
    paths = [p for p in (err.filename, err.filename2) if p is not None]
    blamed = getattr(err, "dssl_option", None)
    field = getattr(err, "dssl_field", None)
    if blamed is None and field is not None:  # the library's name of the argument
        blamed = next((spelling(a, argv, actions) for a in actions if a.dest == field), None)
    path = getattr(err, "dssl_path", None) or (paths[0] if paths else None)
    option = blamed
    if option is None and path is not None and args is not None:
        best = None
        for action in actions:
            value = getattr(args, action.dest, None)
            if isinstance(value, (str, os.PathLike)) and str(value).strip() and _under(path, value):
                if best is None or len(str(value)) > len(str(best[1])):
                    best = (action, value)
        if best is not None:
            option = spelling(best[0], argv, actions)
    if option is None and field is not None:
        option = field
    why = err.strerror or _first_line(err)
    allowed = _OS_ALLOWED.get(err.errno, "a path that can be written and read")
    if option is not None:
        return f"{option}: must be {allowed}, got {_short(os.fspath(path))} ({why})"
    if path is not None:
        return f"{_short(os.fspath(path))}: {why}"
    return f"{why} ({type(err).__name__})"


def _culprit(argv, actions, args, test, allowed: str) -> str | None:
    """The line for the first option whose value passes ``test``, or None."""
    if args is None:
        return None
    for action in actions:
        value = getattr(args, action.dest, None)
        if test(value):
            return f"{spelling(action, argv, actions)}: must be {allowed}, got {_short(value)}"
    return None


def _is_xla(err: BaseException) -> bool:
    names = {t.__name__ for t in type(err).__mro__}
    return (
        bool(names & {"XlaRuntimeError", "JaxRuntimeError"})
        or "RESOURCE_EXHAUSTED" in str(err)[:200]
    )


def classify(err: BaseException, *, argv=(), parser=None, command=None, args=None):
    """(exit status, message) for an exception that reached the boundary (see the module
    docstring). The message is one line, without the ``dssl <command>: error:`` prefix.

    >>> classify(ValueError("p: must be in (0, 1), got 1.5"))
    (2, 'p: must be in (0, 1), got 1.5')
    >>> classify(OSError(28, "No space left on device", "/dev/full"))
    (1, "'/dev/full': No space left on device")
    >>> classify(MemoryError())[0], classify(RuntimeError("boom"))[0]
    (1, 1)
    """
    actions = options_of(parser, command)
    if isinstance(err, OSError):
        return 1, _os_line(err, argv, actions, args)
    if isinstance(err, MemoryError):
        return 1, "out of memory: the run needs more memory than this machine has "\
            "(MemoryError); choose smaller sizes"  # fmt: skip
    if _is_xla(err):
        first = _first_line(err)
        if "RESOURCE_EXHAUSTED" in first:
            return 1, f"the device ran out of memory; choose smaller sizes ({first})"
        return 1, f"XLA failed: {first}"
    if isinstance(err, OverflowError):
        allowed = "a number small enough to compute with (float64: at most about 1.8e308)"
        where = _culprit(argv, actions, args, _too_large, allowed)
        if where is not None:
            return 2, where
        return 2, f"a value too large to compute with ({_first_line(err)}; OverflowError)"
    if isinstance(err, RecursionError):
        return 2, f"input nested too deeply to read ({_first_line(err)}; RecursionError)"
    if isinstance(err, (ValueError, TypeError)):
        line = " ".join(str(err).split()) or type(err).__name__
        from theory import _validate as v

        line = line.replace(v.FORCE_HINT, v.CLI_FORCE_HINT)
        if isinstance(err, TypeError) and not isinstance(err, ValueError):
            line = f"a value of the wrong type: {line} (TypeError)"
        return 2, _as_typed(line, argv, actions)
    first = _first_line(err)
    return 1, f"internal error: {type(err).__name__}: {first} (--debug shows the traceback)"


def _as_typed(line: str, argv, actions) -> str:
    """A library line ``field: ...`` whose field is the destination of one of the command's
    options, with the option as the user typed it instead (``rare_axis: ...`` →
    ``--rare-axis: ...``): the library names its arguments, the user typed options."""
    field, sep, rest = line.partition(": ")
    if not sep or field.startswith("-"):
        return line
    for action in actions:
        if action.dest == field.replace("-", "_"):  # "rare_axis" or "mixing-file"
            return f"{spelling(action, argv, actions)}: {rest}"
    return line


def one_line(prefix: str, message: str) -> str:
    """``prefix: error: message`` on one line, at most :data:`MAX_LINE` characters."""
    line = f"{prefix}: error: {' '.join(message.split())}"
    return line if len(line) <= MAX_LINE else line[: MAX_LINE - 3] + "..."


@contextlib.contextmanager
def blame(option: str, path):
    """An ``OSError`` inside the block is the file ``path`` of ``option`` (for errors that
    carry no file name, e.g. a full disk found when the file is closed)."""
    try:
        yield
    except OSError as err:
        err.dssl_option, err.dssl_path = option, os.fspath(path)
        raise


@contextlib.contextmanager
def standard_output():
    """An ``OSError`` inside the block (writing or flushing ``sys.stdout``: a full disk, a
    closed pipe) is the standard output's, not a file's: one line saying so."""
    try:
        yield
    except OSError as err:
        err.dssl_stream = True
        raise


def _creatable(path: str) -> bool:
    """Whether ``path`` is a writable folder or could be made as one."""
    path = os.path.abspath(path)
    while not os.path.exists(path):
        parent = os.path.dirname(path)
        if parent == path:
            return False
        path = parent
    return os.path.isdir(path) and os.access(path, os.W_OK | os.X_OK)


@contextlib.contextmanager
def matplotlib_home():
    """Inside the block, Matplotlib keeps its configuration and font cache in a temporary
    folder (``MPLCONFIGDIR``, restored and removed afterwards) where the usual ones (under
    ``HOME``) cannot be written: Matplotlib would otherwise print a multi-line warning before
    the command's own output or one error line. Nothing changes where they can be written or
    ``MPLCONFIGDIR`` is set."""
    import tempfile

    home = os.path.expanduser("~")
    config = os.path.join(os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config"),
                          "matplotlib")  # fmt: skip
    cache = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.join(home, ".cache"),
                         "matplotlib")  # fmt: skip
    if os.environ.get("MPLCONFIGDIR") or (_creatable(config) and _creatable(cache)):
        yield
        return
    with tempfile.TemporaryDirectory(prefix="dssl-matplotlib-") as folder:
        os.environ["MPLCONFIGDIR"] = folder
        try:
            yield
        finally:
            os.environ.pop("MPLCONFIGDIR", None)
