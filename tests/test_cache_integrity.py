"""The cache never serves a broken file: every cache entry records a SHA-256 of each file its
stage wrote and of its results; anything that no longer matches is recomputed (issue 11 item 2).
"""

from __future__ import annotations

import dataclasses
import json
import os

import pytest

from sims.reproduce.pipeline import Stage, jsonio, run_stages
from sims.reproduce.pipeline import execute as E
from sims.reproduce.pipeline import runner as R
from tests._pipeline_helpers import CountConfig, counting_stage

CLAIMS = [
    {
        "id": "thm4.4",
        "reference": "Thm 4.4",
        "statement": "s^C > s^M",
        "track_a": "holds",
        "track_b": "violated",
        "track_c": "not-run",
        "evidence": {
            t: {"verdict": w, "note": "", "numbers": {}}
            for t, w in (("track_a", "holds"), ("track_b", "violated"), ("track_c", "not-run"))
        },
    }
]


def _stages(calls: list) -> list[Stage]:
    def verify(cfg):
        calls.append("verify")
        return {"config": {}, "claims": CLAIMS}

    from sims.reproduce.stages import report

    return [
        counting_stage(calls, "count", figure=True),
        Stage("verify", CountConfig, verify),
        report.STAGE,
    ]


def _entry(out, name: str):
    (path,) = (out / R.CACHE_DIR).glob(f"{name}-*.json")
    return path


@pytest.fixture
def done(tmp_path):
    calls: list = []
    stages = _stages(calls)
    first = run_stages(stages, out=tmp_path, progress=False)
    assert not any(s["cached"] for s in first["stages"])
    entry = json.loads(_entry(tmp_path, "count").read_text())
    assert set(entry["files"]) == {"count.json", "count.png"}
    assert entry["files"]["count.png"] == jsonio.sha256_file(tmp_path / "count.png")
    return tmp_path, stages, calls


def _cached(out, stages) -> dict:
    summary = run_stages(stages, out=out, progress=False)
    return {s["name"]: s["cached"] for s in summary["stages"]}


def test_untouched_outputs_are_served(done):
    out, stages, calls = done
    assert _cached(out, stages) == {"count": True, "verify": True, "report": False}
    assert len(calls) == 2


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.write_bytes(b""),  # a kill during savefig left a 0-byte PNG
        lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]),  # truncated
        lambda p: p.write_bytes(os.urandom(p.stat().st_size)),  # random bytes, same size
        lambda p: p.unlink(),  # gone
    ],
    ids=["zero-bytes", "truncated", "random", "missing"],
)
def test_a_damaged_figure_is_recomputed(done, damage):
    out, stages, calls = done
    damage(out / "count.png")
    assert _cached(out, stages) == {"count": False, "verify": True, "report": False}
    assert (out / "count.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert _cached(out, stages) == {"count": True, "verify": True, "report": False}


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.write_text(""),  # emptied
        lambda p: p.write_text(p.read_text().replace('"holds"', '"violated"')),  # edited
    ],
    ids=["emptied", "edited"],
)
def test_a_damaged_json_output_is_recomputed(done, damage):
    out, stages, calls = done
    damage(out / "verify.json")
    assert _cached(out, stages) == {"count": True, "verify": False, "report": False}
    assert json.loads((out / "verify.json").read_text())["claims"] == CLAIMS


def test_an_edited_cache_entry_is_recomputed_and_the_report_agrees(done):
    out, stages, calls = done
    path = _entry(out, "verify")
    entry = json.loads(path.read_text())
    entry["result"]["claims"][0]["track_b"] = "holds"  # different but valid JSON
    path.write_text(json.dumps(entry))
    assert _cached(out, stages) == {"count": True, "verify": False, "report": False}
    verified = json.loads((out / "verify.json").read_text())["claims"]
    reported = json.loads((out / "report.json").read_text())["claims"]
    assert [c["track_b"] for c in verified] == [c["track_b"] for c in reported] == ["violated"]
    assert "| violated |" in (out / "report.md").read_text()


def test_a_savefig_killed_midway_leaves_no_file_under_the_final_name(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1])

    def killed(path, **kwargs):
        with open(path, "wb") as fh:
            fh.write(b"\x89PNG partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(fig, "savefig", killed)
    with pytest.raises(KeyboardInterrupt):
        jsonio.savefig(fig, tmp_path / "f.png")
    assert list(tmp_path.iterdir()) == []  # neither f.png nor a temporary file


def test_new_drawing_code_redraws_figures_from_the_cached_results(done, monkeypatch):
    """A change under sims/reproduce/figures/ keeps the computed results (no recompute) but draws
    the figures again; the entry then records the new drawing code and the new file hashes."""
    out, stages, calls = done
    before = (out / "count.png").stat().st_mtime_ns
    (out / "count.png").write_bytes(b"drawn by older drawing code")
    monkeypatch.setattr(E, "figures_fingerprint", lambda: "another-drawing")
    assert _cached(out, stages) == {"count": True, "verify": True, "report": False}
    assert len(calls) == 2  # nothing recomputed
    png = (out / "count.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and (out / "count.png").stat().st_mtime_ns >= before
    entry = json.loads(_entry(out, "count").read_text())
    assert entry["figures_source"] == "another-drawing"
    assert entry["files"]["count.png"] == jsonio.sha256_file(out / "count.png")
    assert _cached(out, stages) == {"count": True, "verify": True, "report": False}


def test_drawing_code_is_outside_the_compute_fingerprint():
    rows = E._sources()
    drawing = {str(rel) for _, rel, is_drawing in rows if is_drawing}
    assert (
        "sims/reproduce/figures/style.py" in drawing
        and "sims/reproduce/figures/theorems.py" in drawing
    )
    assert not any(
        d.startswith(("theory", "sims/reproduce/stages", "sims/reproduce/pipeline"))
        for d in drawing
    )


def test_a_stage_is_recomputed_when_a_stage_it_reads_changed(tmp_path):
    """The cache key covers the hash and results of every stage a stage reads (``uses``)."""
    from tests._pipeline_helpers import with_presets

    calls: list = []
    upstream = counting_stage(calls, "count")
    seen = []

    def reader(cfg, count=None):
        seen.append(None if count is None else count["result"]["x"])
        return {"x": cfg.x}

    downstream = Stage("reader", CountConfig, reader, uses=("count",))
    run_stages([upstream, downstream], out=tmp_path, progress=False)
    assert _cached(tmp_path, [upstream, downstream]) == {"count": True, "reader": True}
    other = dataclasses.replace(upstream, Config=with_presets(CountConfig, CountConfig(x=7)))
    assert _cached(tmp_path, [other, downstream]) == {"count": False, "reader": False}
    assert _cached(tmp_path, [downstream]) == {"reader": False}  # the used stage did not run
    assert seen == [1, 7, None]
