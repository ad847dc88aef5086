"""``dssl compare OLD NEW``: leaf-by-leaf comparison of two reproduce output folders."""

from __future__ import annotations

import json

import pytest

from sims.cli import main
from sims.commands.compare import compare_folders

BASE = {
    "claims": [{"id": "thm4.2.fl", "track_b": "violated", "numbers": {"min_rv": 0.25}}],
    "seconds": 12.5,
    "train_seconds": 3.0,
    "generated": "2026-01-01T00:00:00",
    "rows": [{"s_N": 0.0049, "probe": 0.0235}],
}


def _folder(tmp_path, name, content=BASE, files=("verify.json",)):
    folder = tmp_path / name
    folder.mkdir()
    for f in files:
        (folder / f).write_text(json.dumps(content))
    return folder


def _changed(**edits):
    content = json.loads(json.dumps(BASE))
    for path, value in edits.items():
        *keys, last = path.split("/")
        node = content
        for k in keys:
            node = node[int(k)] if k.isdigit() else node[k]
        node[int(last) if last.isdigit() else last] = value
    return content


def test_same_numbers_and_words_with_other_timings_are_the_same(tmp_path, capsys):
    old = _folder(tmp_path, "old")
    new = _folder(
        tmp_path, "new", _changed(seconds=99.0, train_seconds=4.0, generated="2027-01-01")
    )
    assert main(["compare", str(old), str(new), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["same"] is True and out["n_differences"] == 0
    # the leaves id, track_b, min_rv, s_N, probe (seconds and generated are skipped)
    assert out["files"]["verify.json"] == {"compared": 5, "differences": 0}


def test_a_changed_verdict_is_a_difference_and_exit_1(tmp_path, capsys):
    old = _folder(tmp_path, "old")
    new = _folder(tmp_path, "new", _changed(**{"claims/0/track_b": "holds"}))
    assert main(["compare", str(old), str(new)]) == 1
    text = capsys.readouterr().out
    assert "verify.json:claims[0].track_b: value: 'violated' -> 'holds'" in text


@pytest.mark.parametrize(
    "value, rtol, same",
    [
        (0.0049 * (1 + 1e-12), "1e-9", True),
        (0.0049 * (1 + 1e-6), "1e-9", False),
        (0.0049 * (1 + 1e-6), "1e-5", True),
    ],  # fmt: skip
)
def test_numbers_compare_within_the_tolerance(tmp_path, value, rtol, same):
    old = _folder(tmp_path, "old")
    new = _folder(tmp_path, "new", _changed(**{"rows/0/s_N": value}))
    result = compare_folders(old, new, rtol=float(rtol))
    assert result["same"] is same
    if not same:
        (d,) = result["differences"]
        assert (d["path"], d["why"], d["old"], d["new"]) == ("rows[0].s_N", "number", 0.0049, value)


def test_missing_keys_lengths_and_files_are_differences(tmp_path):
    content = _changed(extra={"a": 1})
    content["rows"].append({"s_N": 1.0})
    old = _folder(tmp_path, "old", files=("verify.json", "mask.json"))
    new = _folder(tmp_path, "new", content)
    result = compare_folders(old, new)
    why = {(d["file"], d["path"]): d["why"] for d in result["differences"]}
    assert why == {
        ("mask.json", ""): "file only in old",
        ("verify.json", "extra"): "only in new",
        ("verify.json", "rows"): "list length",
    }
    assert result["differences"][1]["new"] == '{"a": 1}'  # objects shown as JSON text


def test_bool_is_not_a_number_and_nan_equals_nan(tmp_path):
    old = _folder(tmp_path, "old", {"x": True, "y": float("nan")})
    new = _folder(tmp_path, "new", {"x": 1, "y": float("nan")})
    result = compare_folders(old, new)
    assert [d["path"] for d in result["differences"]] == ["x"]


def test_extra_ignored_keys(tmp_path):
    old = _folder(tmp_path, "old")
    new = _folder(tmp_path, "new", _changed(**{"rows/0/probe": 0.5}))
    assert not compare_folders(old, new)["same"]
    assert compare_folders(old, new, ignore=("probe",))["same"]


@pytest.mark.parametrize(
    "argv, field",
    [
        (["/no/such/folder", "."], "old"),
        ([".", "/no/such/folder"], "new"),
        (["OLD", "OLD", "--rtol", "-1"], "--rtol"),
    ],  # fmt: skip
)
def test_bad_arguments_are_one_line_errors(tmp_path, capsys, argv, field):
    old = _folder(tmp_path, "OLD")
    argv = [str(old) if a == "OLD" else a for a in argv]
    assert main(["compare", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"error: {field}" in err[0]


def test_float32_tolerance_applies_to_training_numbers_only(tmp_path):
    """A float32-training file and a ``track_c`` subtree take the float32 tolerances; a
    float64 number elsewhere in the same file keeps ``rtol``/``atol``."""
    from sims.commands.compare import FLOAT32_RTOL, compare_folders

    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    small = 1 + FLOAT32_RTOL / 4  # within the float32 tolerance, far outside rtol 1e-9
    big = 1 + FLOAT32_RTOL * 4
    (a / "fig2a.json").write_text('{"s_N": 1.0}')
    (b / "fig2a.json").write_text(f'{{"s_N": {small!r}}}')
    (a / "report.json").write_text('{"exact": 1.0, "x": {"track_c": {"s": 1.0, "t": 1.0}}}')
    (b / "report.json").write_text(
        f'{{"exact": {small!r}, "x": {{"track_c": {{"s": {small!r}, "t": {big!r}}}}}}}'
    )
    r = compare_folders(a, b)
    assert sorted((d["file"], d["path"]) for d in r["differences"]) == [
        ("report.json", "exact"),
        ("report.json", "x.track_c.t"),
    ]
    strict = compare_folders(a, b, float32_rtol=1e-9, float32_atol=1e-12)
    assert strict["n_differences"] == 4


def _track_d_folders(tmp_path, tags):
    """Two runs whose Track D moved by a test image (numbers and the numbers inside its
    strings), made on machines ``tags`` (``None``: the report does not say)."""
    rows = [
        {"word": "inconclusive", "mean": 0.0172, "why": "+0.0172 ± 0.0061; MDE 0.0178; 3 seeds"},
        {"word": "inconclusive", "mean": 0.0167, "why": "+0.0167 ± 0.0059; MDE 0.0170; 3 seeds"},
    ]
    folders = []
    for name, row, tag in zip("ab", rows, tags, strict=True):
        folder = tmp_path / name
        folder.mkdir()
        report = {
            "exact": 1.0,
            "track_d": [row],
            "stages": [{"name": "trackd_table1", "summary": {"mae": row["why"]}}],
        }
        if tag is not None:
            report["machine"] = {"tag": tag}
        (folder / "report.json").write_text(json.dumps(report))
        (folder / "trackd_table1.json").write_text(json.dumps({"acc": [0.6 + 10 * row["mean"]]}))
        folders.append(folder)
    return folders


@pytest.mark.parametrize(
    "tags, mode, expected",
    [
        (("m1", "m1"), "numbers", 4),  # one machine: every Track D number is compared
        (("m1", "m2"), "words", 0),  # another CPU: words only, and they agree
        ((None, "m1"), "words", 0),  # a report that does not name its machine
    ],
)
def test_track_d_is_compared_by_its_words_between_machines(tmp_path, tags, mode, expected):
    old, new = _track_d_folders(tmp_path, tags)
    r = compare_folders(old, new)
    assert r["track_d"] == mode and r["n_differences"] == expected, r["differences"]
    forced = compare_folders(old, new, track_d="numbers")
    assert forced["track_d"] == "numbers" and forced["n_differences"] == 4


def test_track_d_words_still_catch_a_changed_word_and_leave_float64_exact(tmp_path):
    old, new = _track_d_folders(tmp_path, ("m1", "m2"))
    report = json.loads((new / "report.json").read_text())
    report["track_d"][0]["word"] = "void"
    report["stages"][0]["summary"]["mae"] = "+0.0167 ± 0.0059; MDE 0.0170; 4 seeds, 1 void"
    report["exact"] = 1.0 + 1e-6
    (new / "report.json").write_text(json.dumps(report))
    r = compare_folders(old, new)
    assert r["track_d"] == "words"
    assert sorted((d["path"], d["why"]) for d in r["differences"]) == [
        ("exact", "number"),
        ("stages[0].summary.mae", "words"),
        ("track_d[0].word", "words"),
    ]


def test_track_d_mode_is_validated_and_shown(tmp_path, capsys):
    old, new = _track_d_folders(tmp_path, ("m1", "m2"))
    with pytest.raises(ValueError, match="track_d"):
        compare_folders(old, new, track_d="loose")
    assert main(["compare", str(old), str(new)]) == 0
    assert "Track D by its words" in capsys.readouterr().out
    assert main(["compare", str(old), str(new), "--track-d", "numbers"]) == 1


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="needs POSIX FIFOs")
def test_a_fifo_named_report_json_is_never_opened(tmp_path):
    """The machine record is read only from a regular report.json: a FIFO there would block
    the comparison forever (it is reported as not a regular file instead)."""
    import os
    import threading

    old, new = _track_d_folders(tmp_path, ("m1", "m1"))
    (new / "report.json").unlink()
    os.mkfifo(new / "report.json")
    box = {}
    t = threading.Thread(target=lambda: box.update(r=compare_folders(old, new)), daemon=True)
    t.start()
    t.join(20)
    assert "r" in box, "compare_folders blocked on a FIFO"
    r = box["r"]
    assert r["track_d"] == "words" and "unrecorded" in r["track_d_why"]
    assert any(d["file"] == "report.json" and "not a regular file" in d["why"]
               for d in r["differences"])  # fmt: skip
