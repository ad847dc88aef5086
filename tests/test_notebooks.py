"""The notebooks execute headless through nbclient in fast mode, draw figures, and only import.

Each jupytext notebook is executed top to bottom by ``notebooks/render_html.execute`` (jupytext
-> nbformat -> nbclient, in a kernel that runs this interpreter), with ``DSSL_FAST=1``; a failing
cell fails the test with its traceback.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.py"))
EXPECTED = {
    "01_mask_expectation_thm42",
    "02_cl_thm43",
    "03_mim_vs_cl_thm44",
    "04_connectivity_cor45_thm46",
    "05_mar",
    "06_ssd_uniformity",
}
# What a notebook may import: the toolkit, the slider helper, and the usual numerical stack.
ALLOWED_IMPORTS = {"os", "jax", "numpy", "matplotlib", "optax", "_interactive", "sims", "theory"}


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, NOTEBOOK_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_every_question_has_a_notebook():
    assert {p.stem for p in NOTEBOOKS} == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_imports_only_the_toolkit(path):
    tree = ast.parse(path.read_text())
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            roots.add((node.module or "").split(".")[0])
    assert roots <= ALLOWED_IMPORTS, roots - ALLOWED_IMPORTS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes_headless_in_fast_mode(path):
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    render = _load("render_html")
    nb = render.execute(path, timeout=600, extra_env={"DSSL_FAST": "1", "JAX_PLATFORMS": "cpu"})
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    figures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert figures, "a notebook draws its results"
    notes = [o for o in outputs if "no front end" in o.get("text", "")]
    assert notes, "the sliders fall back to one draw with their defaults"
    html = render.to_html(nb, path.stem)
    assert html.count("data:image/png;base64,") == len(figures)


def test_controls_draw_once_with_defaults_when_headless(monkeypatch):
    monkeypatch.setenv("DSSL_HEADLESS", "1")
    ui = _load("_interactive")
    calls = []
    ui.interact(
        lambda a, b, c, k: calls.append((a, b, c, k)),
        a=ui.linear(0.5, 0.0, 1.0, 0.1),
        b=ui.log(10.0, 1.0, 100.0),
        c=ui.integer(3, 1, 5),
        k=ui.choice("x", ("x", "y")),
    )
    assert calls == [(0.5, 10.0, 3, "x")]


def test_controls_build_widgets():
    pytest.importorskip("ipywidgets")
    ui = _load("_interactive")
    controls = {
        "a": ui.linear(0.5, 0.0, 1.0, 0.1),
        "b": ui.log(10.0, 1.0, 100.0),
        "c": ui.integer(3, 1, 5),
        "k": ui.choice("y", ("x", "y")),
    }
    values = {name: ui._widget(name, c).value for name, c in controls.items()}
    assert values == {"a": 0.5, "b": pytest.approx(10.0), "c": 3, "k": "y"}


def test_notebook_converts_to_ipynb(tmp_path):
    jupytext = pytest.importorskip("jupytext")
    nb = jupytext.read(NOTEBOOKS[0])
    assert nb.cells[0].cell_type == "markdown"
    assert sum(c.cell_type == "code" for c in nb.cells) >= 3
    out = tmp_path / (NOTEBOOKS[0].stem + ".ipynb")
    jupytext.write(nb, out, fmt="ipynb")
    back = jupytext.read(out)
    assert [c.source for c in back.cells] == [c.source for c in nb.cells]
