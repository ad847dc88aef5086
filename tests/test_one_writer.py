"""The one writer (issue 53, cause 1): every writer of the project refuses a target that is
not a regular file or free, with one line naming the field, and leaves it as it was.

Each writer is run onto a character device (a /dev/null-like node made with ``mknod``), a
FIFO, a symbolic link and a folder, all created in a temporary folder; afterwards each is
still a device, a FIFO, a symbolic link, a folder. A full disk names the target and the field,
never the temporary file.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path

import pytest

from sims import files
from sims.cli import main
from sims.reproduce import export
from sims.reproduce.pipeline import jsonio
from tests._helpers import load_script


def _figure():
    import matplotlib.pyplot as plt

    from sims.reproduce import figures  # noqa: F401 - the Agg backend

    return plt.figure(figsize=(1, 1))


#: every writer of the library: name -> function(path) writing one file at ``path``
WRITERS = {
    "write_bytes": lambda p: files.write_bytes(p, b"x", field="f"),
    "write_text": lambda p: files.write_text(p, "x", field="f"),
    "write_json": lambda p: jsonio.write_json(p, {"a": 1}, field="f"),
    "savefig": lambda p: jsonio.savefig(_figure(), p, field="f"),
    "write_outputs": lambda p: jsonio.write_outputs(
        p.parent, {"a": 1}, json_files={p.name: lambda r: r}
    ),
    "write_csv": lambda p: export.write_csv({"a": [1.0]}, p, field="f"),
    "script_record": lambda p: load_script("timing").script_record({"a": 1}, [0.0, 0.0, 0.0], p),
}

KINDS = ("device", "fifo", "symlink", "folder")


def _make(kind: str, path: Path) -> None:
    if kind == "device":
        os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 3))
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "symlink":
        (path.parent / "target.txt").write_text("kept")
        os.symlink(path.parent / "target.txt", path)
    else:
        path.mkdir()
        (path / "inside.txt").write_text("kept")


def _still(kind: str, path: Path) -> bool:
    mode = os.lstat(path).st_mode
    test = {"device": stat.S_ISCHR, "fifo": stat.S_ISFIFO, "symlink": stat.S_ISLNK}
    if kind == "folder":
        return stat.S_ISDIR(mode) and (path / "inside.txt").read_text() == "kept"
    if kind == "symlink":
        return test[kind](mode) and (path.parent / "target.txt").read_text() == "kept"
    return test[kind](mode)


def _no_temporaries(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="mknod of a device needs root")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_every_writer_refuses_a_non_regular_target_and_leaves_it(writer, kind, tmp_path):
    if kind == "device" and os.geteuid() != 0:
        pytest.skip("mknod of a device needs root")
    target = tmp_path / "target.png"
    _make(kind, target)
    with pytest.raises(ValueError) as info:
        WRITERS[writer](target)
    line = str(info.value)
    assert "\n" not in line and "target.png" in line, line
    assert line.split(":")[0] in ("f", "out", "path"), line
    assert _still(kind, target)
    assert _no_temporaries(tmp_path)


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_every_writer_refuses_a_path_below_a_device_or_fifo(writer, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="parent is a folder"):
        WRITERS[writer](fifo / "below.png")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_every_writer_writes_a_regular_file_or_a_free_path(writer, tmp_path):
    for target in (tmp_path / "free.png", tmp_path / "sub" / "new.png"):
        WRITERS[writer](target)
        assert stat.S_ISREG(os.lstat(target).st_mode)
        WRITERS[writer](target)  # a regular file is replaced
    assert _no_temporaries(tmp_path)


@pytest.mark.parametrize("kind", KINDS)
def test_random_cifar10_refuses_a_non_folder_and_non_regular_batches(kind, tmp_path):
    from sims.data.datasets import write_random_cifar10

    if kind == "device" and os.geteuid() != 0:
        pytest.skip("mknod of a device needs root")
    root = tmp_path / "root"
    if kind != "folder":
        _make(kind, root)
        with pytest.raises(ValueError, match="^path: "):
            write_random_cifar10(root, 2, 2)
        assert _still(kind, root)
    root = tmp_path / "data"
    root.mkdir()
    _make(kind, root / "data_batch_3")
    with pytest.raises(ValueError, match="^path: "):
        write_random_cifar10(root, 2, 2)
    assert _still(kind, root / "data_batch_3")
    assert sorted(p.name for p in root.iterdir()) == ["data_batch_3"] + (
        ["target.txt"] if kind == "symlink" else []
    )


@pytest.mark.parametrize("kind", KINDS)
def test_the_csv_option_refuses_before_the_run(kind, tmp_path, capsys):
    if kind == "device" and os.geteuid() != 0:
        pytest.skip("mknod of a device needs root")
    target = tmp_path / "t.csv"
    _make(kind, target)
    code = main(["bounds", "--d", "100", "--p", "0.5", "--cs", str(target)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "--cs: must be" in err, err
    assert _still(kind, target)


def test_a_full_disk_names_the_target_and_the_field(tmp_path, monkeypatch):
    real_replace = os.replace

    def full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device", src)

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(OSError) as info:
        files.write_text(tmp_path / "x.json", "{}", field="out")
    monkeypatch.setattr(os, "replace", real_replace)
    err = info.value
    assert err.filename == str(tmp_path / "x.json") and err.dssl_field == "out"
    assert ".tmp" not in str(err)
    assert _no_temporaries(tmp_path)


def test_a_full_disk_under_the_csv_option_is_one_line_naming_it(tmp_path, monkeypatch, capsys):
    def full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device", src)

    monkeypatch.setattr(os, "replace", full)
    code = main(["bounds", "--d", "100", "--p", "0.5", "--csv", str(tmp_path / "b.csv")])
    err = capsys.readouterr().err.strip()
    assert code == 1 and len(err.splitlines()) == 1, err
    assert "--csv: must be a location with free space" in err and "b.csv" in err, err
    assert ".tmp" not in err


def test_json_never_holds_a_non_finite_number(tmp_path):
    for bad in (float("nan"), float("inf"), -float("inf")):
        with pytest.raises(ValueError, match="^obj: must be made of finite"):
            jsonio.write_json(tmp_path / "x.json", {"a": [1.0, {"b": bad}]})
    assert not (tmp_path / "x.json").exists()
    jsonio.write_json(tmp_path / "x.json", {"a": float("nan")}, nonfinite="null")
    assert json.loads((tmp_path / "x.json").read_text()) == {"a": None}
