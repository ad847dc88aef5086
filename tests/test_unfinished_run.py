"""An interrupted run does not poison the regression check (issue 53, cause 10): the machine
record (``report.json``) belongs to the files it describes. A run keeps
``.dssl-unfinished`` in its output folder until it has written its record (or the folder
holds none); ``dssl compare`` refuses a folder that holds it, in one line naming the side."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path

import pytest

from sims.cli import main
from sims.reproduce.pipeline import Stage, outfolder, run_stages
from tests._pipeline_helpers import CountConfig, counting_stage


def _record_stage() -> Stage:
    def compute(cfg: CountConfig) -> dict:
        return {"machine": {"tag": "this-machine"}, "x": cfg.x}

    return Stage(
        "report",
        CountConfig,
        compute,
        json_files={outfolder.RECORD: lambda r: r},
        summarize=lambda r: {},
        cache=False,
    )


def _old_run(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "count.json").write_text('{"x": 1}')
    (folder / outfolder.RECORD).write_text(json.dumps({"machine": {"tag": "other-cpu"}}))


def test_a_run_with_its_record_leaves_no_marker(tmp_path):
    run_stages([counting_stage([]), _record_stage()], out=tmp_path, progress=False)
    assert not outfolder.unfinished(tmp_path)


def test_a_run_into_a_folder_without_a_record_leaves_no_marker(tmp_path):
    run_stages([counting_stage([])], out=tmp_path, progress=False)
    assert not outfolder.unfinished(tmp_path)


def test_stages_written_beside_an_earlier_record_keep_the_marker(tmp_path):
    _old_run(tmp_path)
    run_stages([counting_stage([])], out=tmp_path, progress=False)
    assert outfolder.unfinished(tmp_path)  # report.json is the earlier run's


def test_an_interrupted_run_keeps_the_marker_and_compare_refuses_it(tmp_path, capsys):
    old, new = tmp_path / "old", tmp_path / "new"
    _old_run(old)
    _old_run(new)

    def interrupted(cfg: CountConfig) -> dict:
        raise KeyboardInterrupt

    stages = [counting_stage([]), Stage("boom", CountConfig, interrupted, summarize=dict)]
    with pytest.raises(KeyboardInterrupt):
        run_stages(stages, out=new, progress=False)
    assert outfolder.unfinished(new)
    code = main(["compare", str(old), str(new)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1, err
    assert "new: must be a folder whose dssl reproduce run finished" in err, err
    # the run finished later: compared again
    run_stages([counting_stage([]), _record_stage()], out=new, progress=False)
    assert not outfolder.unfinished(new)
    assert main(["compare", str(old), str(new)]) in (0, 1)  # compared: same or different
    assert "error" not in capsys.readouterr().err


def test_compare_refuses_either_side(tmp_path, capsys):
    old, new = tmp_path / "old", tmp_path / "new"
    _old_run(old)
    _old_run(new)
    (old / outfolder.UNFINISHED).write_text("{}")
    assert main(["compare", str(old), str(new)]) == 2
    assert "old: must be a folder whose dssl reproduce run finished" in capsys.readouterr().err


def test_ctrl_c_signal_mid_stage_keeps_the_marker(tmp_path):
    started = threading.Event()

    def slow(cfg: CountConfig) -> dict:
        started.set()
        signal.raise_signal(signal.SIGINT)
        return {"x": 1}

    with pytest.raises(KeyboardInterrupt):
        run_stages([Stage("slow", CountConfig, slow, summarize=dict)], out=tmp_path,
                   progress=False)  # fmt: skip
    assert started.is_set() and outfolder.unfinished(tmp_path)
