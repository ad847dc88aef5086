"""Stage ``verdict_map``: every claim × reading × configuration as a verdict
(:func:`sims.verdict_map.compute_map`) and the graph atlas of Cor 4.5 / Thm 4.6
(:func:`theory.atlas.atlas_study`); writes the compact ``verdict_map.json``
(:func:`sims.verdict_map.compact_map`), every cell's words in ``verdict_cells.json``
(:func:`sims.verdict_map.encode_cells`), ``atlas.json``, the map's finding paragraph
``verdict_finding.md`` and the figures of :mod:`sims.reproduce.figures.verdicts`, each drawn from
what is written. The per-cell numbers stay in the stage cache. When the ``track_c`` stage ran before
it, the map also holds the Track C cells (rule R10; ``verdict_map.json``'s ``track_c``)."""

from __future__ import annotations

import dataclasses

from sims import verdict_map as vm
from sims.core.environ import runs_on_cpu
from sims.reproduce.figures import verdicts as fv
from sims.reproduce.pipeline import Stage, StageConfig
from sims.reproduce.pipeline.parallel import in_worker
from theory.atlas import AtlasConfig, atlas_study


@dataclasses.dataclass(frozen=True)
class Config(StageConfig):
    """``map``: the verdict map's configurations; ``atlas``: the graph atlas study."""

    map: vm.MapConfig = vm.DEFAULT
    atlas: AtlasConfig = AtlasConfig()


Config.DEFAULT = Config()
Config.FAST = Config(map=vm.FAST, atlas=AtlasConfig(max_n=5, families=False))


def map_workers() -> int:
    """Processes of the verdict map: 2 of its own on a CPU; 1 when the stage itself runs in a
    worker of ``dssl reproduce --jobs`` (the other job already uses the second core) or on an
    accelerator (each process would claim most of the device's memory: on an H200 the second
    one ran out of memory)."""
    return 2 if runs_on_cpu() and not in_worker() else 1


def compute(cfg: Config, track_c: dict | None = None) -> dict:
    """``{"map": the verdict map, "atlas": the atlas study}`` (JSON-able); ``track_c``: the
    ``track_c`` stage's row when it ran first (the map's Track C cells, rule R10)."""
    return {
        "map": vm.compute_map(cfg.map, workers=map_workers(), track_c=track_c),
        "atlas": atlas_study(cfg.atlas),
    }


def summarize(results: dict) -> dict:
    """The computed headline of every claim (Track B under every reading; Track C's, keyed
    ``"track C <claim>"``, when the track_c stage ran first)."""
    data = vm.compact_map(results["map"])
    out = {cid: r["headline"] for cid, r in data["rows"].items()}
    tc = data.get("track_c") or {}
    if tc.get("status") == "run":
        out.update({f"track C {cid}": r["headline"] for cid, r in tc["rows"].items()})
    return out


def _finding(results: dict) -> str:
    return vm.finding_paragraph(vm.compact_map(results["map"])) + "\n"


def _worst_pair(results: dict):
    n = str(results["atlas"]["config"]["max_n"])
    return fv.make_worst_pair_figure(results["atlas"], n=n)


STAGE = Stage(
    "verdict_map",
    Config,
    compute,
    figures={
        "verdict_map.png": lambda r: fv.make_verdict_map_figure(
            vm.compact_map(r["map"]), cells=r["map"]["cells"]
        ),
        "verdict_worst_pair.png": _worst_pair,
    },
    summarize=summarize,
    json_files={
        "verdict_map.json": lambda r: vm.compact_map(r["map"]),
        "verdict_cells.json": lambda r: vm.encode_cells(r["map"]),
        "atlas.json": lambda r: r["atlas"],
    },
    texts={"verdict_finding.md": _finding},
    uses=("track_c",),
)
