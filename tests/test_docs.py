"""The documentation site: it builds with warnings as errors, its generated pages follow the code,
and every Python snippet of the quickstart runs."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

pytest.importorskip("mkdocs")
pytest.importorskip("mkdocstrings")


def _gen_pages():
    spec = importlib.util.spec_from_file_location("gen_pages", DOCS / "gen_pages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _snippets(page: Path) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", page.read_text(), flags=re.S | re.M)


def test_site_builds_strict(tmp_path):
    site = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    for page in ("index", "quickstart", "cli", "stages", "gallery", "notebooks", "api/index"):
        assert (site / f"{page}.html").is_file(), page
    for page in sorted((DOCS / "theory").glob("*.md")):
        assert (site / "theory" / f"{page.stem}.html").is_file(), page.name
    assert (site / "figures" / "report.html").is_file()
    for module in _gen_pages()._modules_from_tree():
        assert (site / "api" / f"{module}.html").is_file(), module


def test_cli_reference_lists_every_option():
    from sims import cli

    text = _gen_pages().cli_markdown()
    parser = cli.build_parser()
    subs = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    assert subs.choices
    for name, sub in subs.choices.items():
        assert f"## `dssl {name}`" in text
        for action in sub._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert f"`{option}`" in text, (name, option)


def test_gallery_lists_every_figure():
    gen = _gen_pages()
    pngs = sorted((ROOT / "figures").glob("*.png"))
    text = gen.gallery_markdown(pngs)
    for png in pngs:
        assert f"(figures/{png.name})" in text


def test_quickstart_snippets_run(tmp_path):
    """Every ```python block of the quickstart, in order, as one script."""
    blocks = _snippets(DOCS / "quickstart.md")
    assert len(blocks) >= 5
    script = tmp_path / "quickstart.py"
    script.write_text("\n\n".join(blocks))
    proc = subprocess.run(
        [sys.executable, str(script)],
        cwd=ROOT,
        env={**os.environ, "JAX_PLATFORMS": "cpu", "MPLBACKEND": "Agg"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]


def test_cited_docs_pages_exist():
    """Every ``docs/<page>.md`` that the code, tests, notebooks or README cite is shipped."""
    cited = set()
    files = [ROOT / "README.md"]
    for folder in ("theory", "sims", "tests", "notebooks", "docs"):
        files += sorted((ROOT / folder).rglob("*.py")) + sorted((ROOT / folder).rglob("*.md"))
    for path in files:
        cited |= set(re.findall(r"docs/[\w/.-]+?\.md", path.read_text(errors="replace")))
    missing = sorted(c for c in cited if not (ROOT / c).is_file())
    assert not missing, missing


def test_no_machine_paths_in_docs():
    for path in sorted(DOCS.rglob("*")):
        if path.is_file() and path.suffix in (".md", ".py", ".js"):
            text = path.read_text()
            assert "/work/" not in text and "/home/" not in text and "/tmp/" not in text, path
