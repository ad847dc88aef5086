"""Execute the notebooks headless and write each as HTML (figures inline) and as .ipynb.

    python notebooks/render_html.py --out build/notebooks [01_mask_expectation_thm42 ...]

Each jupytext ``.py`` notebook is read with jupytext, executed top to bottom by nbclient in a
Python kernel that runs *this* interpreter (a kernelspec written to a temporary JUPYTER_PATH, so
no kernel has to be installed), with the working directory ``notebooks/`` and
``DSSL_HEADLESS=1`` (the sliders of ``_interactive`` then draw once with their defaults).
``DSSL_FAST=1`` in the environment selects the small sizes. The HTML writer is a small one of
our own (Markdown cells through python-markdown, code and text outputs escaped, PNG outputs
embedded), so that no further package is needed. ``tests/test_notebooks.py`` uses
:func:`execute` too.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import html
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from sims.files import write_text  # noqa: E402 - the one writer

HERE = Path(__file__).resolve().parent
KERNEL = "dssl-python3"


def notebooks() -> list[Path]:
    """The notebooks, in order (``NN_name.py``)."""
    return sorted(HERE.glob("[0-9][0-9]_*.py"))


@contextlib.contextmanager
def _kernel_environment(extra_env: dict[str, str] | None = None):
    """A kernelspec for this interpreter on JUPYTER_PATH, and the kernel's environment."""
    saved = dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "kernels" / KERNEL
        spec.mkdir(parents=True)
        write_text(
            spec / "kernel.json",
            json.dumps(
                {
                    "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                    "display_name": "Python 3 (dssl-verify)",
                    "language": "python",
                }
            ),
        )
        os.environ["JUPYTER_PATH"] = os.pathsep.join(
            [tmp, *filter(None, [saved.get("JUPYTER_PATH")])]
        )
        os.environ["DSSL_HEADLESS"] = "1"
        os.environ.pop("MPLBACKEND", None)  # the kernel's inline backend captures the figures
        os.environ.update(extra_env or {})
        try:
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)


def execute(
    path: Path,
    *,
    timeout: int = 600,
    extra_env: dict[str, str] | None = None,
    append: tuple[str, ...] = (),
):
    """Execute one jupytext notebook headless; returns the executed ``nbformat`` notebook.

    ``append``: sources of code cells run after the notebook's own, in the same kernel (they
    end the returned notebook). Raises ``nbclient.exceptions.CellExecutionError`` on the first
    failing cell.
    """
    import jupytext
    import nbformat
    from nbclient import NotebookClient

    nb = jupytext.read(path)
    nb.cells.extend(nbformat.v4.new_code_cell(src) for src in append)
    with _kernel_environment(extra_env):
        client = NotebookClient(
            nb,
            kernel_name=KERNEL,
            timeout=timeout,
            resources={"metadata": {"path": str(path.parent)}},
        )
        client.execute()
    return nb


def _markdown(text: str) -> str:
    import markdown

    return markdown.markdown(text, extensions=["tables", "fenced_code"])


def _output_html(out) -> str:
    kind = out.get("output_type")
    if kind == "stream":
        return f'<pre class="stream">{html.escape(out.get("text", ""))}</pre>'
    if kind == "error":
        tb = "\n".join(out.get("traceback", []))
        return f'<pre class="error">{html.escape(tb)}</pre>'
    data = out.get("data", {})
    if "image/png" in data:
        png = data["image/png"]
        png = png if isinstance(png, str) else base64.b64encode(png).decode()
        return f'<img src="data:image/png;base64,{png.strip()}" alt="figure">'
    if "text/plain" in data:
        return f'<pre class="result">{html.escape(data["text/plain"])}</pre>'
    return ""


def to_html(nb, title: str) -> str:
    """A self-contained HTML page of an executed notebook (figures inline)."""
    parts = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            parts.append(f'<div class="md">{_markdown(cell.source)}</div>')
        elif cell.cell_type == "code":
            parts.append(f'<pre class="code"><code>{html.escape(cell.source)}</code></pre>')
            parts.extend(_output_html(o) for o in cell.get("outputs", []))
    style = (
        "body{max-width:960px;margin:2em auto;font-family:sans-serif;line-height:1.45}"
        "pre{padding:.6em;overflow-x:auto;font-size:13px}"
        "pre.code{background:#f4f6f8;border-left:3px solid #0072B2}"
        "pre.error{background:#fde8e8}img{max-width:100%}"
    )
    body = "\n".join(parts)
    return (
        f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{style}</style></head><body>\n{body}\n</body></html>\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="build/notebooks", help="output folder")
    parser.add_argument("names", nargs="*", help="notebook stems (default: all)")
    args = parser.parse_args(argv)
    import nbformat

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    chosen = [p for p in notebooks() if not args.names or p.stem in args.names]
    if args.names and len(chosen) != len(set(args.names)):
        known = ", ".join(p.stem for p in notebooks())
        sys.stderr.write(f"render_html: error: names must be among {known}\n")
        return 2
    for path in chosen:
        start = time.perf_counter()
        nb = execute(path)
        nbformat.write(nb, out / f"{path.stem}.ipynb")
        write_text(out / f"{path.stem}.html", to_html(nb, path.stem))
        print(f"{path.stem}: {time.perf_counter() - start:.1f} s -> {out / path.stem}.html")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
