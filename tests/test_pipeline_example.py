"""The worked example of CONTRIBUTING.md (a stage in one file) runs as written."""

from __future__ import annotations

import json
import re
import sys
import types
from pathlib import Path

from sims.reproduce.pipeline import run_stages

ROOT = Path(__file__).resolve().parents[1]


def _example_module(monkeypatch) -> types.ModuleType:
    text = (ROOT / "CONTRIBUTING.md").read_text()
    (code,) = re.findall(
        r"`sims/reproduce/stages/degree_table.py`:\n\n```python\n(.*?)```", text, re.S
    )
    mod = types.ModuleType("degree_table_example")
    monkeypatch.setitem(sys.modules, mod.__name__, mod)  # dataclasses look their module up
    exec(compile(code, "CONTRIBUTING.md", "exec"), mod.__dict__)  # noqa: S102 - our own docs
    return mod


def test_the_documented_stage_runs_and_is_cached(tmp_path, monkeypatch):
    mod = _example_module(monkeypatch)
    first = run_stages([mod.STAGE], out=tmp_path, progress=False, fast=True)
    assert first["files"] == ["degree_table.json", "degree_table.png"]
    rows = json.loads((tmp_path / "degree_table.json").read_text())["rows"]
    assert [r["nominal"] for r in rows] == [2, 4, 9]
    assert all(r["mean_degree"] >= r["nominal"] for r in rows)  # a tree plus extra edges
    again = run_stages([mod.STAGE], out=tmp_path, progress=False, fast=True)
    assert again["stages"][0]["cached"] is True
    assert again["stages"][0]["summary"] == first["stages"][0]["summary"]


def test_the_documented_method_is_a_valid_method():
    import jax.numpy as jnp
    import jax.random as jr

    from sims import losses
    from sims.losses import methods
    from sims.losses.methods import Context, Method

    text = (ROOT / "CONTRIBUTING.md").read_text()
    (code,) = re.findall(
        r"weight decay, checked against no\nbound:\n\n```python\n(.*?)```", text, re.S
    )
    scope = {"Context": Context, "Method": Method, "losses": losses, "jnp": jnp}
    body, value = code.rsplit("\n\n\n", 1)
    exec(compile(body, "CONTRIBUTING.md", "exec"), scope)  # noqa: S102 - our own docs
    method = eval(value, scope)  # noqa: S307
    assert isinstance(method, Method) and method.name not in methods.NAMES
    W, x, key = 0.1 * jnp.eye(2, 6), jnp.ones((8, 6)), jr.key(0)
    ctx = Context(p=0.75, extra=0.5)
    val, z = method.loss(W, x, ctx, key=key)
    want = losses.mim(W, x, 0.75, key=key) + 0.5 * jnp.sum(W**2)
    assert z is None and jnp.allclose(val, want, rtol=1e-12)
