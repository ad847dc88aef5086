"""The tests a change needs (``make test-fast``): the test files that import a changed module of
``theory`` or ``sims`` (directly: ``import a.b``, ``from a import b``, ``from a.b import c``),
the changed test files themselves, and the doctests of the changed modules.

A change is what ``git`` reports against ``--base`` (default HEAD: the uncommitted change, with
untracked files), or the paths given. Modules that a test reaches only through another module
are not followed: this is the fast tier; ``make test`` runs everything.

    python tests/affected.py                 # list what a change needs
    python tests/affected.py --run -- -x     # run it (pytest, 2 workers), extra pytest args
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("theory", "sims")


def changed_files(base: str = "HEAD") -> list[str]:
    """Paths (relative to the repo) changed against ``base``, untracked files included."""

    def git(*args: str) -> list[str]:
        out = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
        return [line for line in out.splitlines() if line]

    untracked = git("ls-files", "--others", "--exclude-standard")
    return sorted(set(git("diff", "--name-only", base)) | set(untracked))


def module_of(path: str) -> str | None:
    """``sims/trackd/models.py`` → ``sims.trackd.models`` (a package's ``__init__`` → the
    package); None outside ``theory``/``sims`` or for non-Python files.

    >>> module_of("sims/trackd/models.py"), module_of("theory/__init__.py"), module_of("x.md")
    ('sims.trackd.models', 'theory', None)
    """
    p = Path(path)
    if p.suffix != ".py" or not p.parts or p.parts[0] not in PACKAGES:
        return None
    parts = list(p.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imported_modules(source: str) -> set[str]:
    """Every module a file names in its imports, at any depth of the code (function-level
    imports too); ``from a import b`` counts ``a`` and ``a.b``.

    >>> sorted(imported_modules("from sims.trackd import models\\nimport theory.verdicts"))
    ['sims.trackd', 'sims.trackd.models', 'theory.verdicts']
    """
    out: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return out


def affected(paths: list[str]) -> tuple[list[str], list[str]]:
    """``(test files, module files with doctests)`` a change to ``paths`` needs."""
    modules = {m for m in map(module_of, paths) if m}
    tests = {p for p in paths if p.startswith("tests/test_") and (ROOT / p).is_file()}
    for f in sorted((ROOT / "tests").glob("test_*.py")):
        if modules & imported_modules(f.read_text()):
            tests.add(str(f.relative_to(ROOT)))
    doc = sorted(p for p in paths if module_of(p) and (ROOT / p).is_file())
    return sorted(tests), doc


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    own = argv[: argv.index("--")] if "--" in argv else argv
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", help="changed files (default: from git)")
    ap.add_argument("--base", default="HEAD", help="git revision the change is taken against")
    ap.add_argument("--run", action="store_true", help="run them with pytest (2 workers)")
    a = ap.parse_args(own)
    tests, doc = affected(a.paths or changed_files(a.base))
    if not tests and not doc:
        print("no changed module of theory/ or sims/ and no changed test: nothing to run")
        return 0
    print("\n".join(tests + doc))
    if not a.run:
        return 0
    cmd = [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadscope", *tests]
    if doc:
        cmd += ["--doctest-modules", *doc]
    return subprocess.call(cmd + extra, cwd=ROOT)


if __name__ == "__main__":
    raise SystemExit(main())
