"""Docstrings of the public API (what the API pages show: public modules, their public
functions, classes and ``#:`` constants) name only public API: a reader cannot look up a
``_private`` helper or module."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROLE = re.compile(
    r":(?:func|data|class|meth|attr|mod):`~?[A-Za-z0-9_.]*?(?<![A-Za-z0-9])_[a-z]\w*`"
)


def _public_docs(path: Path):
    src = path.read_text()
    tree = ast.parse(src)
    lines = src.splitlines()
    yield "module", ast.get_docstring(tree)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if not node.name.startswith("_"):
                yield node.name, ast.get_docstring(node)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.col_offset == 0:
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            if isinstance(target, ast.Name) and not target.id.startswith("_"):
                i, comment = node.lineno - 2, []
                while i >= 0 and lines[i].startswith("#:"):
                    comment.append(lines[i])
                    i -= 1
                yield target.id, "\n".join(comment)


def test_public_docstrings_name_no_private_helper():
    found = []
    for package in ("theory", "sims"):
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT)
            if any(p.startswith("_") and p != "__init__.py" for p in rel.parts):
                continue
            for name, doc in _public_docs(path):
                found += [f"{rel}:{name}: {m}" for m in ROLE.findall(doc or "")]
    assert not found, "\n".join(found)
