"""The documentation site: it builds with warnings as errors and without the network, its maths is
typeset in the built pages, its API pages show public names only, its generated pages follow the
code, and every Python snippet of the quickstart and the getting-started page runs."""

from __future__ import annotations

import argparse
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


# Runs `mkdocs build` in a process where every network call fails: a build that needs the network
# (a CDN, a web font, an inventory) fails instead of quietly working on a connected machine.
_OFFLINE_MKDOCS = """
import socket
import sys


def refuse(*args, **kwargs):
    raise OSError("the docs build tried to use the network")


socket.socket.connect = socket.socket.connect_ex = refuse
socket.create_connection = socket.getaddrinfo = refuse
from mkdocs.__main__ import cli

sys.argv[0] = "mkdocs"
cli()
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site, built once for this module with ``--strict`` and no network."""
    out = tmp_path_factory.mktemp("docs") / "site"
    proc = subprocess.run(
        [sys.executable, "-c", _OFFLINE_MKDOCS, "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return out


def _pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def _text_outside_code(page_html: str) -> str:
    """The text of a page a reader sees as prose: no code, scripts, MathML or tags."""
    page_html = re.sub(
        r"<(pre|code|kbd|samp|script|style|textarea|title|math)\b.*?</\1\s*>",
        "",
        page_html,
        flags=re.S | re.I,
    )
    return re.sub(r"<[^>]*>", "", page_html)


def test_site_builds_strict(site):
    for page in ("index", "quickstart", "cli", "stages", "gallery", "notebooks", "api/index"):
        assert (site / f"{page}.html").is_file(), page
    for page in sorted((DOCS / "theory").glob("*.md")):
        assert (site / "theory" / f"{page.stem}.html").is_file(), page.name
    assert (site / "figures" / "report.html").is_file()
    for module in _gen_pages()._modules_from_tree():
        assert (site / "api" / f"{module}.html").is_file(), module


def test_maths_typeset_in_the_built_pages(site):
    """Every formula arrives typeset by KaTeX at build time (HTML, and MathML for screen readers),
    styled by KaTeX's stylesheet and fonts from the site itself; no page loads a script, a
    stylesheet or a font from another host, and no TeX is left for a script to typeset."""
    notebooks = (site / "notebooks.html").read_text()
    for tex in (r"\lambda_2", r"\vert\bar A\vert", r"\gamma"):
        assert f'<annotation encoding="application/x-tex">{tex}</annotation>' in notebooks, tex
    theory = (site / "theory" / "mask_expectation.html").read_text()
    assert 'class="katex-display"' in theory and theory.count('class="katex"') >= 10
    # a docstring's :math: role, typeset on its API page (docs/griffe_house_style.py)
    api = (site / "api" / "theory.spectral.html").read_text()
    for tex in (r"\lambda_2", r"|\bar A| = \frac1N \sum_i |A_i|"):
        assert f'<annotation encoding="application/x-tex">{tex}</annotation>' in api, tex
    typeset = 0
    for path in _pages(site):
        page = path.read_text()
        typeset += page.count('class="katex"')
        assert not re.search(r'class="arithmatex">\s*\\[(\[]', page), path
        assert not re.search(r"\\\(|\\\[|\$\$", _text_outside_code(page)), path
        assert "<autoref" not in page, path
        for tag in re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", page):
            assert not re.search(r'(?:src|href)\s*=\s*"(?:[a-z]+:)?//', tag), (path, tag)
    assert typeset > 500
    katex = site / "vendor" / "katex"
    css = (katex / "katex.min.css").read_text()
    fonts = re.findall(r"url\((fonts/[^)]+\.woff2)\)", css)
    assert len(fonts) > 10 and all((katex / f).is_file() for f in fonts)
    assert (katex / "LICENSE").is_file()
    assert not (katex / "katex.min.js").exists()  # used by the build, not shipped


def test_typeset_page_replaces_only_maths():
    gen = _gen_pages()
    engine = gen.Katex()
    page = (
        '<p>a <span class="arithmatex">\\(x^2 &lt; y\\)</span></p>'
        '<div class="arithmatex">\\[\\frac12\\]</div>'
        "<p>$$\n\\sum_i i\n$$</p><pre><code>\\(kept\\) $$kept$$</code></pre>"
        '<span class="md-ellipsis">all \\(d\\) axes</span>'
    )
    out, count = gen.typeset_page(page, engine.render)
    assert count == 4
    assert out.count('class="katex-display"') == 2 and out.count('class="katex"') == 4
    assert '<annotation encoding="application/x-tex">x^2 &lt; y</annotation>' in out
    assert "<pre><code>\\(kept\\) $$kept$$</code></pre>" in out
    bad = '<span class="arithmatex">\\(\\frac{1}\\)</span>'
    assert gen.typeset_page(bad, engine.render) == (bad, 0)


def _api_headings(site: Path, module: str) -> list[str]:
    page = (site / "api" / f"{module}.html").read_text()
    return re.findall(r'<h[1-6] id="([^"]+)"\s+class="doc doc-heading"', page)


def test_api_pages_show_public_members_only(site):
    """No API page has a heading for a private name (a `_`-prefixed part anywhere in its path),
    and every public function and class a module defines has one."""
    import griffe

    modules = _gen_pages()._modules_from_tree()
    headings = {m: set(_api_headings(site, m)) for m in modules}
    for module, ids in headings.items():
        private = sorted(i for i in ids if any(p.startswith("_") for p in i.split(".")))
        assert not private, (module, private[:5])
    packages = {name: griffe.load(name, search_paths=[str(ROOT)]) for name in ("theory", "sims")}
    checked = 0
    for module in modules:
        package, _, rest = module.partition(".")
        obj = packages[package][rest] if rest else packages[package]
        for name, member in obj.members.items():
            public = not (member.is_alias or name.startswith("_"))
            if not public or member.kind.value not in ("function", "class"):
                continue
            assert f"{module}.{name}" in headings[module], (module, name)
            checked += 1
    assert checked > 100


def test_no_raw_rest_roles(site):
    """Sphinx roles of the docstrings (:func:`x`, ...) are links or code in the built pages."""
    role = re.compile(r":(?:py:)?(?:func|class|mod|meth|attr|data|exc|obj|const|math):")
    links = 0
    for path in _pages(site):
        page = path.read_text()
        assert not role.search(_text_outside_code(page)), path
        links += page.count('class="autorefs autorefs-internal"')
    assert links > 100


def test_roles_become_cross_references():
    spec = importlib.util.spec_from_file_location("house", DOCS / "griffe_house_style.py")
    house = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(house)
    convert = house.convert_roles
    assert convert("See :func:`~theory.solve.optima`.") == (
        'See <autoref identifier="theory.solve.optima" optional>`optima`</autoref>.'
    )
    assert convert(":py:class:`theory.datamodel.DataModel`") == (
        '<autoref identifier="theory.datamodel.DataModel" optional>'
        "`theory.datamodel.DataModel`</autoref>"
    )
    assert convert(":meth:`run() <sims.api.verify>`") == (
        '<autoref identifier="sims.api.verify" optional>`run()`</autoref>'
    )
    assert convert(":envvar:`DSSL_FAST`") == "`DSSL_FAST`"
    assert convert(">>> f(':func:`x`')") == ">>> f(':func:`x`')"  # doctest code is left alone
    assert (
        convert(r"gap :math:`\delta = 1 - \lambda_2` here")
        == r"gap \(\delta = 1 - \lambda_2\) here"
    )


def _cell_texts(markdown_text: str) -> list[str]:
    """The text of every table cell of ``markdown_text`` as the site renders it."""
    import html

    import markdown

    rendered = markdown.markdown(markdown_text, extensions=["tables", "attr_list"])
    cells = re.findall(r"<td>(.*?)</td>", rendered, flags=re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]*>", "", c)).split()) for c in cells]


def test_cli_reference_help_expanded_and_cells_whole():
    """The CLI page shows help as `--help` does (%(default)s and the like filled in), and no
    table cell is cut short by a `|` in the text (the topology description holds |A-bar|)."""
    from sims import cli

    gen = _gen_pages()
    text = gen.cli_markdown()
    assert "%(" not in text
    cells = _cell_texts(text)
    subs = next(a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    expanded = 0
    for name, sub in subs.choices.items():
        # as the page shows it: a `code span` of the text is shown without its backticks
        description = " ".join((sub.description or "").split()).replace("`", "")
        assert description in cells, name
        for action in sub._actions:
            help_text = " ".join(gen._expand_help(action, sub.prog).split()).replace("`", "")
            if not help_text or isinstance(action, argparse._HelpAction):
                continue
            assert any(c.startswith(help_text) for c in cells), (name, action.dest)
            if "%(default)s" in action.help:
                assert str(action.default) in help_text
                expanded += 1
    assert expanded >= 10


def test_expand_help_follows_argparse():
    gen = _gen_pages()
    parser = argparse.ArgumentParser(prog="dssl demo")
    action = parser.add_argument(
        "--mode",
        default="b|c",
        choices=["a", "b|c"],
        type=str,
        help="%(prog)s: mode %(default)s of %(choices)s (%(type)s), 5%% | more",
    )
    expanded = gen._expand_help(action, parser.prog)
    assert expanded == "dssl demo: mode b|c of a, b|c (str), 5% | more"
    assert expanded in " ".join(parser.format_help().split())  # what --help prints
    row = gen._option_row(action, parser.prog)
    cells = _cell_texts("| option | default | meaning |\n|---|---|---|\n" + row + "\n")
    assert cells == [
        "--mode",
        "b|c",
        "dssl demo: mode b|c of a, b|c (str), 5% | more. One of: a, b|c.",
    ]


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


def _run_script(script) -> subprocess.CompletedProcess:
    """Run a page's snippets, written to ``script``, on the CPU with a non-interactive backend."""
    return subprocess.run(
        [sys.executable, str(script)],
        cwd=ROOT,
        env={**os.environ, "JAX_PLATFORMS": "cpu", "MPLBACKEND": "Agg"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_quickstart_snippets_run(tmp_path):
    """Every ```python block of the quickstart, in order, as one script."""
    blocks = _snippets(DOCS / "quickstart.md")
    assert len(blocks) >= 5
    script = tmp_path / "quickstart.py"
    script.write_text("\n\n".join(blocks))
    proc = _run_script(script)
    assert proc.returncode == 0, proc.stderr[-4000:]


def test_readme_engine_example_runs(tmp_path):
    """README's first ```python block (two XLA devices, the engine over them) runs as written,
    in a fresh interpreter (it sets XLA_FLAGS before JAX starts); the second is a sketch whose
    names the quickstart defines."""
    blocks = _snippets(ROOT / "README.md")
    assert len(blocks) == 2 and "client_mesh" in blocks[0]
    script = tmp_path / "readme_engine.py"
    script.write_text(blocks[0] + "\nassert trace['loss'].shape == (5,)\n")
    proc = _run_script(script)
    assert proc.returncode == 0, proc.stderr[-4000:]


def test_getting_started_python_prints_what_the_page_shows(tmp_path):
    """The Python block of the getting-started page runs and prints the output the page shows
    (the float to 1e-9)."""
    page = (DOCS / "getting_started.md").read_text()
    blocks = _snippets(DOCS / "getting_started.md")
    assert len(blocks) == 1
    shown = re.search(r"It printed[^\n]*\n\n```text\n(.*?)```", page, flags=re.S)
    assert shown, "the page shows the output after 'It printed'"
    script = tmp_path / "getting_started.py"
    script.write_text(blocks[0])
    proc = _run_script(script)
    assert proc.returncode == 0, proc.stderr[-4000:]
    got, want = proc.stdout.splitlines(), shown.group(1).splitlines()
    assert len(got) == len(want), (got, want)
    assert float(got[0]) == pytest.approx(float(want[0]), rel=1e-9)
    assert got[1:] == want[1:]


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
