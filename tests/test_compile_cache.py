"""The persistent compilation cache of ``dssl reproduce`` (sims.reproduce.pipeline.compile_cache):
where it goes, its validation, that a second process loads what the first compiled and gets the same
numbers, and that the caller's JAX settings and environment are restored."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sims.reproduce.pipeline import compile_cache as cc

ROOT = Path(__file__).resolve().parents[1]


def test_host_tag_is_twelve_hex_digits_and_stable():
    tag = cc.host_tag()
    assert len(tag) == 12 and int(tag, 16) >= 0
    assert cc.host_tag() == tag


def test_default_dir_reads_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(cc.ENV, str(tmp_path / "given"))
    assert cc.default_dir() == str(tmp_path / "given")
    monkeypatch.delenv(cc.ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cc.default_dir() == str(tmp_path / "xdg" / "dssl-verify" / "xla")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cc.default_dir() == str(tmp_path / "home" / ".cache" / "dssl-verify" / "xla")


def test_resolve(tmp_path):
    assert cc.resolve("none") is None and cc.resolve(" NONE ") is None
    path = cc.resolve(str(tmp_path / "a" / "b"))
    assert path == tmp_path / "a" / "b" / cc.host_tag() and path.is_dir()
    afile = tmp_path / "afile"
    afile.write_text("x")
    for bad in ("", "  ", str(afile), str(afile / "sub"), 3):
        with pytest.raises(ValueError, match="^compile-cache: must be"):
            cc.resolve(bad)


def test_the_block_restores_settings_and_environment(tmp_path):
    before = jax.config.jax_compilation_cache_dir
    env_before = os.environ.get("JAX_COMPILATION_CACHE_DIR")
    path = cc.resolve(str(tmp_path))
    with cc.persistent_cache(path) as p:
        assert p == path
        assert jax.config.jax_compilation_cache_dir == str(path)
        assert os.environ["JAX_COMPILATION_CACHE_DIR"] == str(path)
        # a program no other test compiles: it is written to the folder
        out = jax.jit(lambda x: jnp.sin(x) * 1.2345678 + 9.87)(jnp.arange(7.0))
        assert any(path.iterdir())
    assert jax.config.jax_compilation_cache_dir == before
    assert os.environ.get("JAX_COMPILATION_CACHE_DIR") == env_before
    np.testing.assert_array_equal(out, jnp.sin(jnp.arange(7.0)) * 1.2345678 + 9.87)
    with cc.persistent_cache(None) as p:
        assert p is None and jax.config.jax_compilation_cache_dir == before
    # the clean exit listed every entry the block wrote
    entries = sorted(e.name for e in path.glob("*-cache"))
    manifest = json.loads((path / cc.MANIFEST).read_text())
    assert entries and sorted(manifest) == entries


def test_only_entries_in_the_manifest_with_their_bytes_are_kept(tmp_path):
    for name in ("a-cache", "b-cache", "c-cache"):
        (tmp_path / name).write_bytes(name.encode() * 100)
    assert cc.write_manifest(tmp_path) == 3
    (tmp_path / "d-cache").write_bytes(b"half a file")  # written by a run that was killed
    blob = bytearray((tmp_path / "b-cache").read_bytes())
    blob[50] ^= 1  # one bit flipped
    (tmp_path / "b-cache").write_bytes(bytes(blob))
    (tmp_path / "c-cache").write_bytes(b"c-cache" * 99)  # truncated
    assert cc.verify_entries(tmp_path) == {"kept": 1, "removed": 3}
    assert sorted(e.name for e in tmp_path.glob("*-cache")) == ["a-cache"]
    (tmp_path / cc.MANIFEST).write_text("{not json")
    assert cc.verify_entries(tmp_path) == {"kept": 0, "removed": 1}


def test_a_run_that_fails_leaves_its_entries_unlisted(tmp_path):
    path = cc.resolve(str(tmp_path))
    with pytest.raises(RuntimeError), cc.persistent_cache(path):
        jax.jit(lambda x: jnp.tanh(x) * 7.654321)(jnp.arange(3.0))
        raise RuntimeError("a stage failed")
    assert any(path.glob("*-cache")) and not (path / cc.MANIFEST).exists()
    assert cc.verify_entries(path)["kept"] == 0 and not any(path.glob("*-cache"))


def test_a_folder_locked_by_another_run_is_not_used(tmp_path, capsys):
    fcntl = pytest.importorskip("fcntl")
    path = cc.resolve(str(tmp_path))
    before = jax.config.jax_compilation_cache_dir
    with open(path / ".lock", "a") as handle:
        # flock locks belong to the open file: a second open of the lock file in this process
        # conflicts like another process would
        fcntl.flock(handle, fcntl.LOCK_EX)
        with cc.persistent_cache(path) as p:
            assert p is None and jax.config.jax_compilation_cache_dir == before
    assert "in use by another run" in capsys.readouterr().err
    with cc.persistent_cache(path) as p:
        assert p == path


_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import jax
    import numpy as np
    from sims.trackc.engine_config import EngineConfig
    from sims.core.engine import make_engine
    from sims.core.problem import make_problem
    from sims.reproduce.pipeline import compile_cache as cc

    hits = []
    jax.monitoring.register_event_listener(
        lambda name, **kw: hits.append(1) if name == "/jax/compilation_cache/cache_hits" else None
    )
    with cc.persistent_cache(cc.resolve(sys.argv[1])):
        x = np.random.default_rng(0).normal(size=(6, 16, 8)).astype(np.float32)
        targets = np.einsum("nmd,nme->nde", x, x) / 16
        cfg = EngineConfig(method="mim", framework="fl", n_clients=6, d=8, c=3, batch=4,
                           local_steps=2, rounds=3, lr=0.01, dtype="float32")
        state, trace = make_engine(cfg).run(make_problem(cfg, targets, x=x), key=jax.random.key(3))
        leaves = [np.asarray(a).tolist() for a in jax.tree.leaves(state.params)]
        loss = np.asarray(trace["loss"]).tolist()
    print(json.dumps({"hits": len(hits), "params": leaves, "loss": loss}))
    """
)


def test_a_second_process_loads_the_programs_and_computes_the_same(tmp_path):
    env = dict(os.environ, JAX_PLATFORMS="cpu", PYTHONPATH=str(ROOT))
    env.pop(cc.ENV, None)

    def run() -> dict:
        proc = subprocess.run(
            [sys.executable, "-c", _SCRIPT, str(tmp_path / "xla")],
            capture_output=True, text=True, env=env, cwd=ROOT, timeout=300,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr[-2000:]
        return json.loads(proc.stdout.strip().splitlines()[-1])

    first, second = run(), run()
    assert first["hits"] == 0 and second["hits"] > 0
    # bit for bit (JSON keeps every float32 digit)
    assert (first["params"], first["loss"]) == (second["params"], second["loss"])
    # every entry damaged: none is served, all are compiled again, the numbers do not change
    for entry in (tmp_path / "xla" / cc.host_tag()).glob("*-cache"):
        blob = bytearray(entry.read_bytes())
        blob[len(blob) // 2] ^= 0xFF
        entry.write_bytes(bytes(blob))
    third = run()
    assert third["hits"] == 0
    assert (first["params"], first["loss"]) == (third["params"], third["loss"])
