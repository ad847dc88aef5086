"""MkDocs hook: pages generated from the code at every build, so that they cannot go stale.

* ``cli.md``: the reference of every ``dssl`` subcommand, read from the argparse parsers that
  ``sims.cli.build_parser`` builds (options, defaults, choices, help texts, epilogs).
* ``api/*.md``: one mkdocstrings page per public module of ``theory`` and ``sims``, discovered
  with ``pkgutil`` (a module or package whose name starts with ``_`` is private).
* ``figures/*``: the files of the repository's ``figures/`` folder (the figures and
  ``report.md``), copied into the site unchanged, so that the report's relative links work.
* ``gallery.md``: every ``figures/*.png`` with its caption.
* ``stages.md``: the stages of ``dssl reproduce`` (``sims.reproduce.stages.STAGES``) with their
  files and configurations.
* Pages that other parts of the project ship (``verdict_rules.md``, ``track_d.md``,
  ``glossary.md``) are added to the navigation when they exist.

Run ``python docs/gen_pages.py cli`` to print the CLI reference without building the site.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

API_PACKAGES = ("theory", "sims")
# The CLI has its own reference page; its modules only parse options and print.
API_SKIP = ("sims.commands", "sims.cli")
FIGURE_SUFFIXES = (".png", ".svg", ".md", ".json", ".html", ".csv")
OPTIONAL_PAGES = (
    ("Verdict rules", "verdict_rules.md"),
    ("Track D", "track_d.md"),
    ("Glossary of output keys", "glossary.md"),
)

# Captions of the gallery, keyed by file stem, used when the figure's make function (found
# through ``sims.reproduce.stages.STAGES``) has no docstring. A figure without either still
# appears, with its file name as caption, so that the gallery always lists every figure the run
# wrote.
CAPTIONS = {
    "thm42_43_sensitivity": (
        "Theorems 4.2 (MIM) and 4.3 (CL): the paper's sensitivity bounds s = 1 − LB (lines; "
        "bands over the hidden constants) against the exact linear model (markers)."
    ),
    "thm44_ratio": (
        "Theorem 4.4: the ratio s^C / s^M of the paper's bounds against d (predicted slope 1/5) "
        "and the exact model's ratio where it is defined."
    ),
    "mask_expectation": (
        "The exact mask expectation of Eq. (4), a hollow matrix, next to the paper's "
        "Eq. (17), a diagonal one (see Theory → The exact mask expectation)."
    ),
    "mask_rv": "Representability vectors of the optima of the two mask targets.",
    "cor45_connectivity": (
        "Corollary 4.5: DecL sensitivity against the average neighbourhood size |Ā|."
    ),
    "thm46_decl_vs_fl": "Theorem 4.6: DecL against FL sensitivity.",
    "topology_zoo": (
        "λ₂, spectral gap, |Ā| and effective number of neighbours across the graph families."
    ),
    "paper_code_degree": (
        "The official code's graph generator: realised against nominal average degree."
    ),
    "paper_settings": "The paper's experimental settings placed on the toolkit's axes.",
    "fig2a": "Figure 2a of the paper redone with linear encoders: DecL against |Ā|.",
    "table6": "Table 6 of the paper redone with linear encoders: mixing rules.",
    "fig2b": "Figure 2b of the paper redone with linear encoders: MAR against MIM over α.",
    "mim_vs_cl": "MIM against CL in the linear model, on the paper's data and on digits.",
    "consensus": (
        "Consensus distance of trained DecL runs against the pathwise bounds of "
        "Theory → Consensus and drift bounds."
    ),
    "tracks_overlay": (
        "Theorems 4.2 and 4.3, the three tracks together: the paper's bound (line, band), the "
        "exact model (markers) and trained encoders (stars, ±2 SE over seeds)."
    ),
}


# ---------------------------------------------------------------------------------------------
# CLI reference


_CODE_SPAN = re.compile(r"(`+)(?:.+?)\1")


def _markdown_text(text: str, *, in_table: bool = False) -> str:
    """Plain text (a help string, a description) made safe to put into Markdown.

    Outside its code spans, ``<`` and ``>`` are escaped (``trackd_<experiment>.json`` would
    otherwise be read as an HTML tag and vanish) and, in a table cell, ``|`` too: a bare ``|``
    ends the cell, so ``|A-bar|`` would cut the row short. Inside a code span nothing needs
    escaping (a ``|`` there does not split the row).
    """

    def escape(part: str) -> str:
        part = part.replace("<", "&lt;").replace(">", "&gt;")
        return part.replace("|", "\\|") if in_table else part

    out, end = [], 0
    for m in _CODE_SPAN.finditer(text):
        out += [escape(text[end : m.start()]), m.group(0)]
        end = m.end()
    out.append(escape(text[end:]))
    return "".join(out)


def _cell(text: str) -> str:
    """``text`` made safe for one cell of a Markdown table: on one line, escaped."""
    return _markdown_text(" ".join(str(text).split()), in_table=True)


def _code_cell(value) -> str:
    """``value`` as a code span in a table cell (a ``|`` inside backticks does not split a row)."""
    text = " ".join(str(value).split())
    return _cell(text) if "`" in text else f"`{text}`"


def _expand_help(action: argparse.Action, prog: str) -> str:
    """The help of ``action`` with argparse's format specifiers filled in, as ``--help`` prints it.

    ``%(default)s``, ``%(choices)s``, ``%(prog)s`` and any other attribute of the action
    (``%(dest)s``, ``%(metavar)s``, ...) are replaced and ``%%`` becomes ``%``, the rules of
    ``argparse.HelpFormatter``: attributes set to ``SUPPRESS`` are left out, a value with a
    ``__name__`` (a ``type=int``) is written as that name, the choices are joined with ``, ``.
    """
    if not action.help or action.help is argparse.SUPPRESS:
        return ""
    params = {k: v for k, v in vars(action).items() if v is not argparse.SUPPRESS}
    params["prog"] = prog
    for key, value in list(params.items()):
        if hasattr(value, "__name__"):
            params[key] = value.__name__
    if params.get("choices") is not None:
        params["choices"] = ", ".join(map(str, params["choices"]))
    return action.help % params


def _format_text(text: str | None, prog: str) -> str:
    """A description or epilog as argparse prints it: ``%(prog)s`` filled in when it occurs."""
    text = (text or "").strip()
    if "%(prog)" in text:
        text = text % {"prog": prog}
    return text


def _option_row(action: argparse.Action, prog: str = "dssl") -> str | None:
    if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
        return None
    names = ", ".join(f"`{s}`" for s in action.option_strings) or f"`{action.dest}`"
    if action.nargs == 0:
        default = "off"
    elif action.required:
        default = "**required**"
    elif action.default is None or action.default is argparse.SUPPRESS:
        default = "—"
    else:
        default = _code_cell(action.default)
    text = _cell(_expand_help(action, prog))
    if action.choices:
        if text and not text.endswith((".", ")", ":", ";")):
            text += "."
        text += " One of: " + ", ".join(map(_code_cell, action.choices)) + "."
    return f"| {names} | {default} | {text.strip()} |"


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


#: the CLI page's section on exit statuses, errors, Ctrl-C and output folders
#: (sims.commands._boundary, sims.reproduce.pipeline.outfolder)
ERRORS_SECTION = """
## Exit status, errors and `--debug` {#exit-status}

* **0**: the command ran (`dssl compare`: the two folders agree).
* **1**: the run failed: a file could not be written or read (a full disk, a file name over
  the length limit, no permission), memory ran out (`MemoryError`, XLA's
  `RESOURCE_EXHAUSTED`), XLA failed, or an internal error; `dssl compare`: the folders
  differ.
* **2**: bad input: an option, a file given to an option (a mixing matrix; JSON nested more
  than 100 levels deep or holding an integer over Python's digit limit), an environment
  variable, or an `--out` folder that cannot be used or is in use by another run.
* **130**: interrupted (Ctrl-C), at any moment, also while `dssl` is starting.

Every error is **one line** on stderr, `dssl <command>: error: <option>: must be <what is
allowed>, got <value>`, naming the option as you typed it where the error can be traced to
one (else the file). `dssl --debug <command> ...` (or `--debug` after the command) prints
the Python traceback before that line. A run whose estimated memory is above half this
machine's, or whose estimated time is above 30 minutes, is refused before it starts, naming
the option and the estimate; `dssl --force-size <command> ...` (or `--force-size` after the
command) runs it anyway.

The environment variables JAX reads when it is imported are checked before it is:
`JAX_ENABLE_X64` (and JAX's other switches `JAX_DISABLE_JIT`, `JAX_DEBUG_NANS`,
`JAX_DEBUG_INFS`, `JAX_LOG_COMPILES`, `JAX_ENABLE_CHECKS`) must be one of JAX's spellings
`1`, `0`, `true`, `false`, `t`, `f`, `yes`, `no`, `y`, `n`, `on`, `off` (any case);
`JAX_PLATFORMS` must be empty (JAX chooses) or known platform names separated by commas
without blanks (`cpu`, `cuda`, `gpu`, `rocm`, `tpu`, `metal`, `oneapi`); `XLA_FLAGS` must be
flags XLA accepts and `JAX_DEFAULT_MATMUL_PRECISION` one of JAX's precisions. Each is refused
with status 2 and one line naming the variable.

Ctrl-C stops a run with status 130 and one line (`dssl simulate` first prints the rounds it
finished); the temporary files of writes in flight are removed, and the worker processes of
`dssl reproduce --jobs` stop silently. Every stage that finished is kept: rerun to resume.

### Output folders {#output-folders}

* `dssl reproduce` holds a lock on its `--out` folder (`fcntl.flock` on `.cache/run.lock`,
  which records its pid) for the whole run. A second run into the same folder does **not**
  wait: it refuses at once (status 2) in one line naming the folder and the first run's pid.
  The lock goes with the process, however it ends.
* A `.cache` that is a symbolic link, or resolves outside the `--out` folder, is refused
  (status 2): the run would write elsewhere. So is a `--compile-cache` folder whose host
  subfolder is a symbolic link.
* A folder (or anything but a file) where a cache entry, the compile cache's `manifest.json`
  or a lock file belongs is discarded and made again; the stage is recomputed.
* Cache integrity: each cache entry records the SHA-256 of every file its stage wrote and is
  signed with an HMAC-SHA256 under a secret key kept **outside** the output folder
  (`$XDG_CACHE_HOME/dssl-verify/cache-key`, i.e. `~/.cache/dssl-verify/cache-key`, mode 0600,
  made on first use; `$DSSL_CACHE_KEY_FILE` names another file). An entry that does not
  verify is recomputed: damage and deliberate edits alike, also an edit that recomputes the
  hashes stored in the folder. The key is per user and machine, so a `.cache` copied from
  elsewhere is recomputed.
"""


def cli_markdown() -> str:
    """The CLI reference page, built from ``sims.cli.build_parser()``."""
    os.environ["COLUMNS"] = "100"  # deterministic usage lines
    from sims import cli

    parser = cli.build_parser()
    subs = _subparsers(parser)
    lines = [
        "# Command line reference",
        "",
        "Generated from the argparse parsers of `dssl` at every build of this site, so it lists",
        "exactly the options of the installed version. Every subcommand prints one JSON object",
        "with `--json`; bad arguments exit with status 2 and one line on stderr naming the field",
        "and the allowed values ([exit status](#exit-status)). `dssl <subcommand> --help` prints",
        "the same information.",
        "",
        "| subcommand | what it does |",
        "|---|---|",
    ]
    for name, sub in subs.items():
        about = _cell(_format_text(sub.description, sub.prog))
        lines.append(f"| [`{name}`](#dssl-{name}) | {about} |")
    lines += ["", *ERRORS_SECTION.strip("\n").splitlines()]
    for name, sub in subs.items():
        lines += ["", f"## `dssl {name}` {{#dssl-{name}}}", ""]
        if sub.description:
            lines += [_markdown_text(_format_text(sub.description, sub.prog)), ""]
        lines += ["```text", sub.format_usage().strip(), "```", ""]
        rows = [r for r in (_option_row(a, sub.prog) for a in sub._actions) if r]
        if rows:
            lines += ["| option | default | meaning |", "|---|---|---|", *rows, ""]
        if sub.epilog:
            lines += ["```text", _format_text(sub.epilog, sub.prog), "```", ""]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# API reference


def _modules_from_tree() -> list[str]:
    """Dotted names of the public modules and packages of theory/ and sims/ (no imports)."""
    names = []
    for pkg_name in API_PACKAGES:
        base = ROOT / pkg_name
        for path in sorted(base.rglob("*.py")):
            rel = path.relative_to(ROOT).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if any(p.startswith("_") for p in parts):
                continue
            if not (path.parent / "__init__.py").exists():
                continue
            name = ".".join(parts)
            if any(name == s or name.startswith(s + ".") for s in API_SKIP):
                continue
            names.append(name)
    return sorted(set(names))


def api_pages() -> dict[str, str]:
    """{src_uri: markdown} of the API reference: an index and one page per module."""
    modules = _modules_from_tree()
    pages = {}
    index = [
        "# API reference",
        "",
        "Generated from the docstrings by mkdocstrings, one page per public module.",
        "`theory` is the pure mathematics (float64, no training loops, no file I/O); `sims`",
        "samples, trains, measures and reports, and uses `theory` for every closed form it",
        "checks against.",
        "",
    ]
    for pkg in API_PACKAGES:
        index += [f"## `{pkg}`", ""]
        for name in modules:
            if name == pkg or name.startswith(pkg + "."):
                index.append(f"- [`{name}`]({name}.md)")
                # No `members:` option here: an explicit `members: true` selects every member
                # and skips the `filters` of mkdocs.yml, which keep private names out.
                pages[f"api/{name}.md"] = (
                    f"# `{name}`\n\n::: {name}\n    options:\n      show_root_heading: false\n"
                )
        index.append("")
    pages["api/index.md"] = "\n".join(index) + "\n"
    return pages


# ---------------------------------------------------------------------------------------------
# Figures, gallery, report


def figure_files() -> list[Path]:
    folder = ROOT / "figures"
    if not folder.is_dir():
        return []
    # report.html is the stand-alone HTML twin of report.md, which mkdocs renders to the same
    # URL itself: copying it too would make two files target one page.
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix in FIGURE_SUFFIXES and p.name != "report.html"
    )


def stage_captions() -> dict[str, tuple[str, str]]:
    """{file stem: (caption, stage name)} from the docstrings of the stages' figure functions."""
    import inspect

    try:
        from sims.reproduce.stages import STAGES
    except Exception:  # noqa: BLE001 - the gallery falls back to CAPTIONS
        return {}
    out = {}
    for stage in STAGES:
        for name, make in dict(getattr(stage, "figures", {}) or {}).items():
            doc = " ".join((inspect.getdoc(make) or "").split())
            doc = _rst_to_md(re.sub(r"\s*``results``[^.]*\.", "", doc)).strip()
            out[Path(name).stem] = (doc, stage.name)
    return out


def gallery_markdown(pngs: list[Path]) -> str:
    lines = [
        "# Gallery",
        "",
        "Every figure that `make reproduce` (the default run) wrote to `figures/`. Track A is",
        "the paper's formula with its hidden constants exposed, Track B the exact linear model,",
        "Track C the simulations. The numbers behind each figure are in the",
        "[verification report](figures/report.md).",
        "",
    ]
    if not pngs:
        lines.append("No figures yet: run `make reproduce`.")
    from_stages = stage_captions()
    for png in pngs:
        doc, stage = from_stages.get(png.stem, ("", ""))
        caption = doc or CAPTIONS.get(png.stem, f"`{png.name}`")
        where = f"`figures/{png.name}`" + (f", stage `{stage}`" if stage else "")
        lines += [
            f"## {png.stem.replace('_', ' ')}",
            "",
            f"![{png.stem}](figures/{png.name})",
            "",
            f"{caption} ({where})",
            "",
        ]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# The stages of dssl reproduce


def _rst_to_md(text: str) -> str:
    text = re.sub(r":\w+:`~?([^`]+)`", r"`\1`", text)
    return text.replace("``", "`")


def stages_markdown() -> str:
    """The stages of ``dssl reproduce`` in run order: what each computes, its files, its config."""
    import dataclasses
    import inspect

    lines = [
        "# The stages of `dssl reproduce`",
        "",
        "Generated from `sims.reproduce.stages.STAGES` at every build: the run order, what each",
        "stage computes (its module docstring), the files it writes and its configuration, with",
        "the values of the default run and of `--fast`. `dssl reproduce --list` prints the same",
        "order;",
        "`--stages a,b` runs a subset (see the [command line](cli.md#dssl-reproduce)).",
        "",
    ]
    try:
        from sims.reproduce.stages import STAGES
    except Exception as err:  # noqa: BLE001 - the page says why it is empty
        return "\n".join(lines + [f"The stage package could not be imported ({err!r}).", ""])
    lines += ["| # | stage | figures |", "|---|---|---|"]
    for k, stage in enumerate(STAGES, 1):
        figs = ", ".join(f"`{f}`" for f in dict(stage.figures or {})) or "—"
        lines.append(f"| {k} | [`{stage.name}`](#{stage.name}) | {figs} |")
    for stage in STAGES:
        module = inspect.getmodule(stage.compute)
        doc = _rst_to_md(inspect.getdoc(module) or "") if module else ""
        lines += ["", f"## `{stage.name}` {{#{stage.name}}}", "", doc, ""]
        cfg = stage.Config
        default, fast = getattr(cfg, "DEFAULT", None), getattr(cfg, "FAST", None)
        if dataclasses.is_dataclass(cfg) and default is not None:
            lines += ["| field | default run | `--fast` |", "|---|---|---|"]
            for f in dataclasses.fields(cfg):
                a = getattr(default, f.name)
                b = getattr(fast, f.name) if fast is not None else a
                cell = [str(x).replace("|", "\\|") for x in (a, b)]
                if len(cell[0]) > 60:
                    cell = [c[:57] + "…" for c in cell]
                lines.append(f"| `{f.name}` | `{cell[0]}` | `{cell[1]}` |")
        if module is not None:
            lines += ["", f"Module: `{module.__name__}`."]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Maths, typeset at build time

#: KaTeX's distribution files, vendored: katex.min.js typesets at build time (it is not copied
#: into the site), katex.min.css and fonts/ style the result in the browser. See the end of
#: docs/index.md for where they come from.
KATEX_DIR = ROOT / "docs" / "vendor" / "katex"

# What pymdownx.arithmatex (generic mode) leaves in a page: the TeX, escaped, between \( \) in
# a span or between \[ \] (or a bare \begin{env}...\end{env}) in a div.
_ARITHMATEX = re.compile(r'(<(span|div) class="arithmatex">)(.*?)(</\2>)', re.S)
# Everything of a page that is not text to typeset: the elements whose text is code or is not
# shown (and MathML already typeset), comments, and the tags themselves with their attributes.
_NOT_TEXT = re.compile(
    r"<(pre|code|kbd|samp|script|style|textarea|title|math)\b.*?</\1\s*>|<!--.*?-->|<[^>]*>",
    re.S | re.I,
)
# Maths that arithmatex did not see but that a reader would take as maths: a display block
# whose $$ is indented in a list, a heading's formula in the table of contents (which holds
# the heading's text without its markup). A single $ is left alone: in prose it is a price.
_LOOSE_MATH = re.compile(r"\$\$(.+?)\$\$|\\\[(.+?)\\\]|\\\((.+?)\\\)", re.S)

_log = logging.getLogger("mkdocs.plugins.dssl_math")


class Katex:
    """KaTeX run in an embedded V8 (the ``mini-racer`` package): LaTeX in, HTML and MathML out.

    One engine for the whole build; each formula is typeset once however many pages hold it.
    ``render`` raises ``ValueError`` with KaTeX's message for TeX that KaTeX does not accept.
    """

    def __init__(self, script: Path = KATEX_DIR / "katex.min.js"):
        from py_mini_racer import MiniRacer

        self._js = MiniRacer()
        self._js.eval(script.read_text(encoding="utf-8"))
        self.version = self._js.eval("katex.version")
        self._cache: dict[tuple[str, bool], str] = {}

    def render(self, tex: str, display: bool) -> str:
        key = (tex, display)
        if key not in self._cache:
            options = {
                "displayMode": display,
                "output": "htmlAndMathml",  # the MathML half is what screen readers read
                "throwOnError": True,
                "strict": "ignore",
            }
            try:
                self._cache[key] = self._js.call("katex.renderToString", tex, options)
            except Exception as err:  # noqa: BLE001 - the engine's error types vary by version
                raise ValueError(" ".join(str(err).split())[:300]) from None
        return self._cache[key]


def _strip_delimiters(tex: str) -> tuple[str, bool]:
    """(TeX, display?) from the content of an arithmatex element."""
    tex = tex.strip()
    if tex.startswith("\\(") and tex.endswith("\\)"):
        return tex[2:-2], False
    if tex.startswith("\\[") and tex.endswith("\\]"):
        return tex[2:-2], True
    return tex, True  # \begin{env} ... \end{env}


def typeset_page(page_html: str, render, where: str = "") -> tuple[str, int]:
    """Replace the TeX of ``page_html`` with KaTeX's markup; (new html, formulas typeset).

    ``render(tex, display)`` typesets one formula. A formula it refuses is left as it was and
    logged as a warning, which fails the strict build.
    """
    import html as html_lib

    count = 0

    def typeset(tex: str, display: bool, original: str) -> str:
        nonlocal count
        try:
            out = render(html_lib.unescape(tex), display)
        except ValueError as err:
            _log.warning("%s: KaTeX cannot typeset %r: %s", where, tex.strip()[:80], err)
            return original
        count += 1
        return out

    def arithmatex(m: re.Match) -> str:
        tex, display = _strip_delimiters(m.group(3))
        return m.group(1) + typeset(tex, display, m.group(3)) + m.group(4)

    def loose(m: re.Match) -> str:
        display = m.group(3) is None
        return typeset(m.group(1) or m.group(2) or m.group(3), display, m.group(0))

    page_html = _ARITHMATEX.sub(arithmatex, page_html)
    parts, end = [], 0
    for m in _NOT_TEXT.finditer(page_html):
        parts += [_LOOSE_MATH.sub(loose, page_html[end : m.start()]), m.group(0)]
        end = m.end()
    parts.append(_LOOSE_MATH.sub(loose, page_html[end:]))
    return "".join(parts), count


_KATEX: list = []  # the build's engine, made on the first page with maths


def katex_engine() -> Katex | None:
    """The build's KaTeX engine, or None (logged once, a warning) when mini-racer is missing."""
    if not _KATEX:
        try:
            _KATEX.append(Katex())
        except ImportError:
            _KATEX.append(None)
            _log.warning(
                "mini-racer is not installed, so the maths stays LaTeX source: "
                "pip install -e '.[docs]'"
            )
    return _KATEX[0]


# ---------------------------------------------------------------------------------------------
# MkDocs events


def on_files(files, config):
    from mkdocs.structure.files import File

    def add(src_uri: str, *, content=None, abs_src_path=None):
        old = files.get_file_from_path(src_uri)
        if old is not None:
            files.remove(old)
        files.append(File.generated(config, src_uri, content=content, abs_src_path=abs_src_path))

    add("cli.md", content=cli_markdown())
    for uri, text in api_pages().items():
        add(uri, content=text)
    figs = figure_files()
    for path in figs:
        add(f"figures/{path.name}", abs_src_path=str(path))
    if not any(p.name == "report.md" for p in figs):
        add("figures/report.md", content="# Verification report\n\nRun `make reproduce`.\n")
    add("gallery.md", content=gallery_markdown([p for p in figs if p.suffix == ".png"]))
    add("stages.md", content=stages_markdown())

    nav = config["nav"]
    for item in nav:
        if "API reference" in item:
            item["API reference"] = ["api/index.md"] + sorted(
                uri for uri in api_pages() if uri != "api/index.md"
            )
    listed = {str(v) for item in nav for v in item.values()}
    for title, uri in OPTIONAL_PAGES:
        if files.get_file_from_path(uri) is not None and uri not in listed:
            nav.insert(len(nav) - 1, {title: uri})
    return files


def on_post_page(output: str, page, config) -> str:
    """Typeset the page's maths into HTML, so that the site needs no script and no network."""
    if not any(s in output for s in ("arithmatex", "\\(", "\\[", "$$")):
        return output
    engine = katex_engine()
    if engine is None:
        return output
    return typeset_page(output, engine.render, where=page.file.src_uri)[0]


if __name__ == "__main__":
    if sys.argv[1:] == ["cli"]:
        sys.stdout.write(cli_markdown())
    elif sys.argv[1:] == ["modules"]:
        print("\n".join(_modules_from_tree()))
    else:
        raise SystemExit("usage: python docs/gen_pages.py cli|modules")
