"""The notebooks execute headless through nbclient in fast mode, draw figures, and only import;
their sliders redraw.

Each jupytext notebook is executed top to bottom by ``notebooks/render_html.execute`` (jupytext
-> nbformat -> nbclient, in a kernel that runs this interpreter), with ``DSSL_FAST=1``; a failing
cell fails the test with its traceback. In the same kernel one more cell (``SLIDER_CHECK``, added
by the test, not part of the notebook) then moves every slider that ``_interactive.interact``
recorded to another value, draws again and compares the figure's data with the default one.
"""

from __future__ import annotations

import ast
import importlib.util
import json
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
ALLOWED_IMPORTS = {"os", "functools", "jax", "numpy", "matplotlib", "optax", "_interactive"}
ALLOWED_IMPORTS |= {"sims", "theory"}


# The sliders each notebook must have (the d, p, N, |Ā| and hidden constants, where they
# apply: a notebook whose x axis is d or |Ā| has no slider for it). Each of them must move the
# plotted data (not only the footer) for some choice of the dropdowns.
REQUIRED_SLIDERS = {
    "01_mask_expectation_thm42": {"p", "n_clients", "abar", "c_num", "c_den"},
    "02_cl_thm43": {"n_clients", "abar", "c_num", "c_den"},
    "03_mim_vs_cl_thm44": {"p", "n_clients", "abar", "c_num_mim", "c_num_cl"},
    "04_connectivity_cor45_thm46": {"n_clients", "d", "p", "c_num"},
    "05_mar": {"p", "gamma_max", "gamma_min", "d"},
    "06_ssd_uniformity": {"p", "t", "d"},
}

# Run in the notebook's kernel after its last cell: for every recorded (draw, controls), draw
# with the defaults and with each control moved (to its low end, or its high end when the
# default is the low end; another option of a dropdown), under the default dropdowns and then
# under each other option of each dropdown until the plotted data differ. Prints one JSON line.
SLIDER_CHECK = r"""
import json as _json
import matplotlib.pyplot as _plt
import numpy as _np
import _interactive as _ui


def _fingerprint(fig, prefix=None):
    out = []
    for ax in fig.axes:
        for line in ax.get_lines():
            if prefix is None or str(line.get_label()).startswith(prefix):
                out.append(_np.round(_np.asarray(line.get_xydata(), float), 10).tolist())
        if prefix is None:
            out += [_np.round(_np.asarray(im.get_array(), float), 10).tolist()
                    for im in ax.get_images()]
            out += [round(float(p.get_height()), 10) for p in ax.patches
                    if hasattr(p, "get_height")]
    return out


def _texts(fig):
    return [t.get_text() for t in fig.texts] + [
        t.get_text() for ax in fig.axes for t in ax.texts + [ax.title]]


def _draw(draw, values):
    _plt.close("all")
    with _ui.style():
        draw(**values)
    fig = _plt.gcf()
    out = (_fingerprint(fig), _fingerprint(fig, "Track C"), _texts(fig))
    _plt.close("all")
    return out


# [vmin, vmax, min, max] of every image drawn with these values: how much of its colour scale
# the data use
def _image_scales(draw, values):
    _plt.close("all")
    with _ui.style():
        draw(**values)
    out = []
    for ax in _plt.gcf().axes:
        for im in ax.get_images():
            a = _np.asarray(im.get_array(), float)
            out.append([float(im.norm.vmin), float(im.norm.vmax), float(_np.nanmin(a)),
                        float(_np.nanmax(a))])
    _plt.close("all")
    return out


def _other(c):
    if c.kind == "choice":
        return next(o for o in c.options if o != c.value)
    return c.hi if c.value == c.lo else c.lo


_report = []
for _draw_fn, _controls in _ui.REGISTRY:
    _defaults = {k: c.value for k, c in _controls.items()}
    _contexts = [{}] + [{k: o} for k, c in _controls.items() if c.kind == "choice"
                        for o in c.options if o != c.value]
    _entry = {"draw": _draw_fn.__name__, "controls": {}, "track_c": False, "track_c_moves": [],
              "images": _image_scales(_draw_fn, _defaults)}
    _cache = {}
    for _name, _c in _controls.items():
        _result = "none"
        for _ctx in _contexts:
            if _name in _ctx:
                continue
            _base_values = {**_defaults, **_ctx}
            _key = tuple(sorted(_ctx.items()))
            if _key not in _cache:
                _cache[_key] = _draw(_draw_fn, _base_values)
            _base = _cache[_key]
            _entry["track_c"] = _entry["track_c"] or bool(_base[1])
            _moved = _draw(_draw_fn, {**_base_values, _name: _other(_c)})
            if _moved[1] != _base[1] and _name not in _entry["track_c_moves"]:
                _entry["track_c_moves"].append(_name)
            if _moved[0] != _base[0]:
                _result = "data"
                break
            if _moved[2] != _base[2]:
                _result = "text"
        _entry["controls"][_name] = _result
    _report.append(_entry)
print("SLIDER-CHECK " + _json.dumps(_report))
"""


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
    env = {"DSSL_FAST": "1", "JAX_PLATFORMS": "cpu"}
    nb = render.execute(path, timeout=600, extra_env=env, append=(SLIDER_CHECK,))
    check = nb.cells.pop()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    figures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert figures, "a notebook draws its results"
    notes = [o for o in outputs if "no front end" in o.get("text", "")]
    assert notes, "the sliders fall back to one draw with their defaults"
    html = render.to_html(nb, path.stem)
    assert html.count("data:image/png;base64,") == len(figures)

    # the sliders: every control redraws, the required ones move the data, Track C responds
    errors = [o for o in check.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, "\n".join(errors[0].get("traceback", [])) if errors else ""
    text = "".join(o.get("text", "") for o in check.get("outputs", []) if o.get("name") == "stdout")
    line = next(ln for ln in text.splitlines() if ln.startswith("SLIDER-CHECK "))
    report = json.loads(line.removeprefix("SLIDER-CHECK "))
    print(path.stem, json.dumps(report))  # shown on failure (or with -s)
    assert report, "the notebook has sliders"
    moved = {}
    for entry in report:
        for name, result in entry["controls"].items():
            assert result != "none", f"{entry['draw']}: slider {name} changes nothing"
            moved[name] = "data" if "data" in (moved.get(name), result) else result
        if entry["track_c"]:
            assert entry["track_c_moves"], f"{entry['draw']}: Track C ignores every slider"
    required = REQUIRED_SLIDERS[path.stem]
    assert required <= set(moved), f"missing sliders: {sorted(required - set(moved))}"
    frozen = sorted(n for n in required if moved[n] != "data")
    assert not frozen, f"sliders that move only the text, not the plotted data: {frozen}"
    assert any(e["track_c"] for e in report) == (path.stem != "03_mim_vs_cl_thm44")
    # no heat map is one flat colour: the images that share a colour scale use at least half
    # of it (a 0–4 scale for values near 0.4 fails)
    for entry in report:
        by_scale: dict = {}
        for vmin, vmax, lo, hi in entry["images"]:
            by_scale.setdefault((vmin, vmax), []).append((lo, hi))
        for (vmin, vmax), ranges in by_scale.items():
            used = max(h for _, h in ranges) - min(lo for lo, _ in ranges)
            assert used >= 0.5 * (vmax - vmin), f"{entry['draw']}: {used:g} of [{vmin}, {vmax}]"


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


def test_abar_is_kept_in_the_papers_range_with_a_note():
    ui = _load("_interactive")
    assert ui.clip_abar(3.0, 4) == (3.0, "")
    value, note = ui.clip_abar(6.0, 4)
    assert value == 4.0 and "N = 4" in note and "6" in note
    value, note = ui.clip_abar(1.5, 4)
    assert value == 2.0 and note
    assert set(ui.bound_controls()) == {"p", "n_clients", "abar", "c_num", "c_den"}
    assert list(ui.bound_controls("abar", "p")) == ["abar", "p"]
    with pytest.raises(ValueError, match="names must be among"):
        ui.bound_controls("d")


def test_fast_mode_sets_the_xla_level_only_when_fast(monkeypatch):
    ui = _load("_interactive")
    monkeypatch.delenv("DSSL_FAST", raising=False)
    monkeypatch.setenv("XLA_FLAGS", "--xla_foo=1")
    assert ui.fast_mode() is False
    assert ui.os.environ["XLA_FLAGS"] == "--xla_foo=1"
    monkeypatch.setenv("DSSL_FAST", "1")
    assert ui.fast_mode() is True
    assert ui.os.environ["XLA_FLAGS"] == "--xla_foo=1 --xla_backend_optimization_level=0"
    monkeypatch.setenv("XLA_FLAGS", "--xla_backend_optimization_level=2")
    assert ui.fast_mode() is True
    assert ui.os.environ["XLA_FLAGS"] == "--xla_backend_optimization_level=2"
