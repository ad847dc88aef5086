"""Hostile-input run: throw NEW bad inputs at the ``dssl`` command line and the Python API, as a
new user would, and classify every outcome.

None of the inputs repeats a row of ``tests/test_bad_inputs.py`` or
``tests/test_bad_inputs_table.py``. Every case runs in its own subprocess with the address
space capped at 6,000,000 KiB (``RLIMIT_AS``, as ``ulimit -v 6000000``), a 60 s timeout,
``JAX_PLATFORMS=cpu`` and a fresh temporary folder as the working directory (its fixtures are
written there; nothing is written into the repository except this script's report).

Classes (exactly one per case):

* ``clean``: exit 2 (or exit 1 for a genuine run failure) with exactly one stderr line that
  names the field/option, no traceback; API: a ValueError/TypeError whose one-line message
  starts with (or names, ``field:``) the field.
* ``accepted``: exit 0 / no exception (each one judged: legitimately valid, or a silent wrong
  answer).
* ``traceback``: a Python traceback, a multi-line error, an exception other than
  ValueError/TypeError from the API, or the CLI's ``internal error: ...`` line (exit 1: the
  boundary's one-line stand-in for an uncaught exception; ``--debug`` shows the traceback).
* ``wrong-field``: one line, but it does not name the option the user typed (an internal name,
  or a leaked library message).
* ``crash``: killed by a signal, or an exit status other than 0, 1, 2, 130.
* ``hang``: the 60 s timeout.
* ``oom``: the memory limit was hit (MemoryError, RESOURCE_EXHAUSTED, std::bad_alloc).

Usage::

    nice -n 19 .venv/bin/python benchmarks/hostile_run.py [--only SUBSTRING] [--raw FILE.json]
    .venv/bin/python benchmarks/hostile_run.py --report-from FILE.json   # report of a saved run

Prints the counts by class and writes ``benchmarks/results/hostile_run.md``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(REPO, ".venv", "bin")
DSSL = os.path.join(VENV, "dssl")
PYTHON = os.path.join(VENV, "python")
RESULTS = os.path.join(REPO, "benchmarks", "results", "hostile_run.md")
FIGURES = os.path.join(REPO, "figures")

MEM_KIB = 6_000_000
TIMEOUT_S = 60
CLASSES = ("clean", "accepted", "traceback", "wrong-field", "crash", "hang", "oom")
OOM_MARKS = ("MemoryError", "RESOURCE_EXHAUSTED", "bad_alloc", "out of memory",
             "Cannot allocate memory", "failed to allocate")  # fmt: skip


# ---------------------------------------------------------------------------------------------
# fixtures: small files written into each case's fresh temporary folder

RING4 = np.array(
    [[0.5, 0.25, 0, 0.25], [0.25, 0.5, 0.25, 0], [0, 0.25, 0.5, 0.25], [0.25, 0, 0.25, 0.5]]
)


def _write(path: str, data) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb" if isinstance(data, bytes) else "w", encoding=None
              if isinstance(data, bytes) else "utf-8") as fh:  # fmt: skip
        fh.write(data)


def _csv(a) -> str:
    return "\n".join(",".join(repr(float(x)) for x in row) for row in np.asarray(a)) + "\n"


def _huge_npy_header(fh, shape, descr="<f8") -> None:
    np.lib.format.write_array_header_1_0(
        fh, {"descr": descr, "fortran_order": False, "shape": shape}
    )
    fh.write(b"\0" * 64)


def _trackd_doc() -> dict | None:
    path = os.path.join(FIGURES, "trackd_decisive", "trackd_verdicts.json")
    if not os.path.isfile(path):
        path = os.path.join(FIGURES, "trackd_verdicts.json")
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


TRACKD_DOC = _trackd_doc()


def make_fixtures(tmp: str) -> None:
    j = lambda *p: os.path.join(tmp, *p)  # noqa: E731
    _write(j("afile"), "x")
    os.mkdir(j("adir"))
    os.mkdir(j("dir.npy"))
    # mixing matrices
    np.save(j("good4.npy"), RING4)
    _write(j("good4.csv"), _csv(RING4))
    np.save(j("n5.npy"), np.full((5, 5), 0.2))
    np.save(j("perm2.npy"), np.array([[0.0, 1.0], [1.0, 0.0]]))
    np.save(j("threeD.npy"), np.full((2, 2, 2), 0.5))
    np.save(j("zeroD.npy"), np.array(1.0))
    np.save(j("oneD.npy"), np.array([0.5, 0.5]))
    np.save(j("complex.npy"), RING4.astype(complex))
    np.save(j("bool.npy"), np.array([[False, True], [True, False]]))
    np.save(j("int.npy"), np.array([[0, 1], [1, 0]]))
    np.save(j("object.npy"), np.array([[0.5, 0.5], [0.5, None]], dtype=object), allow_pickle=True)
    np.save(j("bigendian.npy"), RING4.astype(">f8"))
    np.save(j("float16.npy"), RING4.astype(np.float16))
    tiny = RING4.copy()
    tiny[0, 2], tiny[0, 0] = -1e-17, 0.5 + 1e-17  # a rounding-size negative entry
    np.save(j("tinyneg.npy"), tiny)
    np.savez(j("W.npz"), W=RING4)
    _write(j("W.json"), json.dumps(RING4.tolist()))
    with open(j("hugeheader.npy"), "wb") as fh:
        _huge_npy_header(fh, (100_000, 100_000))
    _write(j("empty.csv"), "")
    _write(j("blank.csv"), "\n\n\n")
    _write(j("garbage.csv"), bytes(range(256)) * 4)
    _write(j("nan.csv"), "nan,1\n0.5,0.5\n")
    _write(j("inf.csv"), "inf,0\n0.5,0.5\n")
    _write(j("neg.csv"), "1.5,-0.5\n0.5,0.5\n")
    _write(j("ragged.csv"), "0.5,0.5\n1\n")
    _write(j("one.csv"), "1\n")
    _write(j("header.csv"), "a,b\n0.5,0.5\n0.5,0.5\n")
    _write(j("semicolon.csv"), "0.5;0.5\n0.5;0.5\n")
    _write(j("spaces.csv"), "0.5 0.5\n0.5 0.5\n")
    _write(j("trailing.csv"), "0.5,0.5,\n0.5,0.5,\n")
    _write(j("hex.csv"), "0x1p-1,0x1p-1\n0x1p-1,0x1p-1\n")
    _write(j("unicode.csv"), "\u0660.\u0665,\u0660.\u0665\n\u0660.\u0665,\u0660.\u0665\n")
    _write(j("big.csv"), "1e400,0\n0.5,0.5\n")
    for name, target in (("zero.npy", "/dev/zero"), ("zero.csv", "/dev/zero"),
                         ("urandom.npy", "/dev/urandom"), ("zero.npz", "/dev/zero")):  # fmt: skip
        os.symlink(target, j(name))
    os.mkfifo(j("fifo.csv"))
    os.mkfifo(j("fifo.npy"))
    # images for trackd --dataset npz
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, size=(12, 5, 5), dtype=np.uint8)
    np.savez(j("img_oneclass.npz"), images=img, labels=np.zeros(12, int))
    fimg = img.astype(np.float32) / 255
    fimg[0, 0, 0] = np.nan
    np.savez(j("img_nan.npz"), images=fimg, labels=np.arange(12) % 2)
    np.savez(j("img_labelsneg.npz"), images=img, labels=np.arange(12) % 2 - 1)
    np.savez(j("img_mismatch.npz"), images=img, labels=np.arange(8) % 2)
    with zipfile.ZipFile(j("img_huge.npz"), "w") as zf:
        with zf.open("images.npy", "w") as fh:
            _huge_npy_header(fh, (1_000_000, 100, 100, 3), "|u1")
        with zf.open("labels.npy", "w") as fh:
            _huge_npy_header(fh, (1_000_000,), "<i8")
    # compare folders: each holds x.json
    for name, text in (
        ("cmp_a", '{"a": 1.0, "v": "ok"}'),
        ("cmp_nan", '{"a": NaN, "v": "ok"}'),
        ("cmp_str", '{"a": "1.0", "v": "ok"}'),
        ("cmp_list", "[1, 2]"),
        ("cmp_emptyjson", ""),
        ("cmp_dup", '{"a": 1.0, "a": 2.0, "v": "ok"}'),
        ("cmp_big", '{"a": 1e400, "v": "ok"}'),
        ("cmp_bool", '{"a": true, "v": "ok"}'),
        ("cmp_null", '{"a": null, "v": "ok"}'),
    ):
        _write(j(name, "x.json"), text)
    _write(j("cmp_bin", "x.json"), bytes(range(256)))
    _write(j("cmp_utf16", "x.json"), '{"a": 1.0, "v": "ok"}'.encode("utf-16"))
    _write(j("cmp_sub", "deep", "x.json"), '{"a": 1.0, "v": "ok"}')
    os.makedirs(j("cmp_empty1"))
    os.makedirs(j("cmp_empty2"))
    os.makedirs(j("cmp_zero"))
    os.symlink("/dev/zero", j("cmp_zero", "x.json"))
    os.makedirs(j("cmp_dirjson", "x.json"))
    os.makedirs(j("cmp_fifo"))
    os.mkfifo(j("cmp_fifo", "x.json"))
    # verify --trackd-results folders
    f = "trackd_verdicts.json"
    _write(j("td_empty", f), "")
    _write(j("td_bin", f), bytes(range(256)))
    _write(j("td_obj", f), "{}")
    _write(j("td_list", f), "[]")
    _write(j("td_rows_str", f), '{"rows": "x"}')
    _write(j("td_rows_empty", f), '{"rows": []}')
    _write(j("td_nan", f), '{"rows": [], "margin": NaN}')
    os.makedirs(j("td_zero"))
    os.symlink("/dev/zero", j("td_zero", f))
    os.makedirs(j("td_dir", f))
    if TRACKD_DOC is not None:

        def mutate(name, key, value):
            doc = json.loads(json.dumps(TRACKD_DOC))
            doc["rows"][0][key] = value
            _write(j(name, f), json.dumps(doc))

        mutate("td_badclaim", "claim", "nope")
        mutate("td_mean_str", "mean", "0.1")
        mutate("td_nseeds_neg", "n_seeds", -3)
        mutate("td_nseeds_float", "n_seeds", 2.5)
        mutate("td_se_neg", "se", -1.0)
        mutate("td_mean_huge", "mean", 1e308)
        mutate("td_scale_list", "mde", [1, 2])
        doc = json.loads(json.dumps(TRACKD_DOC))
        doc["scale"] = "nope"
        _write(j("td_scale_str", f), json.dumps(doc))
        _write(j("td_sub", f), json.dumps(TRACKD_DOC))
        _write(j("td_sub", "trackd_decisive", f), bytes(range(256)))
    # verify --map-results folders
    _write(j("mr_empty", "verdict_map.json"), "")
    _write(j("mr_list", "verdict_map.json"), "[]")
    _write(j("mr_list", "verdict_cells.json"), "[]")


# ---------------------------------------------------------------------------------------------
# CLI cases: (id, argv with {tmp}, tokens: any one of them names the option typed)

SIM = ["simulate", "--rounds", "1", "--samples-per-client", "40", "--batch", "8"]
TD = ["--claims", "eq17", "--trackd-results"]
BD = ["bounds", "--d", "64", "--p", "0.75", "--abar", "4"]

CLI_CASES = [
    # --- the program
    ("g-debug-alone", ["--debug"], ("COMMAND", "command")),
    ("g-empty-command", [""], ("COMMAND", "command", "''")),
    ("g-version", ["--version"], ("--version",)),
    ("g-eq-empty", ["topology", "--n="], ("--n",)),
    ("g-abbrev", ["topology", "--gra", "star", "--n", "5"], ("--gra", "graph")),
    # --- topology: numbers
    ("t-n-empty", ["topology", "--n", ""], ("n",)),
    ("t-n-space", ["topology", "--n", " 8 "], ("n",)),
    ("t-n-arabic", ["topology", "--n", "\u0668"], ("n",)),
    ("t-n-fullwidth", ["topology", "--n", "\uff18"], ("n",)),
    ("t-n-hex", ["topology", "--n", "0x10"], ("n",)),
    ("t-n-negzero", ["topology", "--n", "-0"], ("n",)),
    ("t-n-1e400", ["topology", "--n", "1e400"], ("n",)),
    ("t-n-inf", ["topology", "--n", "inf"], ("n",)),
    ("t-n-list", ["topology", "--n", "[8]"], ("n",)),
    ("t-n-underscore", ["topology", "--n", "1_0"], ("n",)),
    ("t-n-8e0", ["topology", "--n", "8e0"], ("n",)),
    ("t-gamma-negzero", ["topology", "--n", "6", "--gamma", "-0"], ("gamma",)),
    ("t-gamma-round1", ["topology", "--n", "6", "--gamma", "0.99999999999999999"], ("gamma",)),
    ("t-gamma-1e-400", ["topology", "--n", "6", "--gamma", "1e-400"], ("gamma",)),
    # --- topology: graphs and option combinations
    ("t-torus-rows0", ["topology", "--graph", "torus", "--n", "16", "--rows", "0"], ("rows",)),
    (
        "t-torus-rows-cols-bad",
        ["topology", "--graph", "torus", "--n", "16", "--rows", "4", "--cols", "5"],
        ("rows", "cols"),
    ),
    ("t-torus-2x2", ["topology", "--graph", "torus", "--n", "4"], ("n", "rows")),
    (
        "t-er-prob-and-avg",
        ["topology", "--graph", "erdos_renyi", "--n", "10", "--prob", "0.5", "--avg-degree", "3"],
        ("prob", "avg-degree"),
    ),
    (
        "t-er-prob-tiny",
        ["topology", "--graph", "erdos_renyi", "--n", "10", "--prob", "1e-300"],
        ("prob",),
    ),
    (
        "t-pc-avg0",
        ["topology", "--graph", "paper_code", "--n", "10", "--avg-degree", "0"],
        ("avg-degree",),
    ),
    (
        "t-pc-avg1e400",
        ["topology", "--graph", "paper_code", "--n", "10", "--avg-degree", "1e400"],
        ("avg-degree",),
    ),
    (
        "t-rr-deg0",
        ["topology", "--graph", "random_regular", "--n", "10", "--degree", "0"],
        ("degree",),
    ),
    ("t-hypercube-hex", ["topology", "--graph", "hypercube", "--n", "0x10"], ("n",)),
    (
        "t-exp-ying",
        ["topology", "--graph", "exponential", "--n", "8", "--mixing", "ying"],
        ("mixing",),
    ),
    (
        "t-seed-float-str",
        ["topology", "--graph", "erdos_renyi", "--n", "10", "--prob", "0.5", "--seed", "1e3"],
        ("seed",),
    ),
    (
        "t-seed-huge",
        [
            "topology",
            "--graph",
            "erdos_renyi",
            "--n",
            "10",
            "--prob",
            "0.5",
            "--seed",
            "99999999999999999999",
        ],
        ("seed",),
    ),  # fmt: skip
    (
        "t-sizes-spaces",
        ["topology", "--mixing", "data_size", "--n", "3", "--sizes", "1, 2, 3"],
        ("sizes",),
    ),
    (
        "t-sizes-inf",
        ["topology", "--mixing", "data_size", "--n", "3", "--sizes", "1,2,inf"],
        ("sizes",),
    ),
    (
        "t-fedavg-star",
        ["topology", "--mixing", "fedavg", "--graph", "star", "--n", "5"],
        ("mixing", "graph"),
    ),
    ("t-csv-empty", ["topology", "--n", "5", "--csv", ""], ("csv",)),
    ("t-csv-under-file", ["topology", "--n", "5", "--csv", "{tmp}/afile/x.csv"], ("csv",)),
    ("t-csv-dir", ["topology", "--n", "5", "--csv", "{tmp}/adir"], ("csv",)),
    # --- topology: mixing files
    ("t-mf-zero-csv", ["topology", "--mixing-file", "{tmp}/zero.csv"], ("mixing-file",)),
    ("t-mf-zero-npy", ["topology", "--mixing-file", "{tmp}/zero.npy"], ("mixing-file",)),
    ("t-mf-fifo", ["topology", "--mixing-file", "{tmp}/fifo.csv"], ("mixing-file",)),
    ("t-mf-dir", ["topology", "--mixing-file", "{tmp}/adir"], ("mixing-file",)),
    ("t-mf-npz-ext", ["topology", "--mixing-file", "{tmp}/W.npz"], ("mixing-file",)),
    ("t-mf-json", ["topology", "--mixing-file", "{tmp}/W.json"], ("mixing-file",)),
    ("t-mf-nan-csv", ["topology", "--mixing-file", "{tmp}/nan.csv"], ("mixing-file",)),
    ("t-mf-ragged", ["topology", "--mixing-file", "{tmp}/ragged.csv"], ("mixing-file",)),
    ("t-mf-1x1", ["topology", "--mixing-file", "{tmp}/one.csv"], ("mixing-file",)),
    ("t-mf-header", ["topology", "--mixing-file", "{tmp}/header.csv"], ("mixing-file",)),
    ("t-mf-spaces", ["topology", "--mixing-file", "{tmp}/spaces.csv"], ("mixing-file",)),
    ("t-mf-trailing-comma", ["topology", "--mixing-file", "{tmp}/trailing.csv"], ("mixing-file",)),
    ("t-mf-hex", ["topology", "--mixing-file", "{tmp}/hex.csv"], ("mixing-file",)),
    ("t-mf-unicode", ["topology", "--mixing-file", "{tmp}/unicode.csv"], ("mixing-file",)),
    ("t-mf-1e400", ["topology", "--mixing-file", "{tmp}/big.csv"], ("mixing-file",)),
    ("t-mf-empty-csv", ["topology", "--mixing-file", "{tmp}/empty.csv"], ("mixing-file",)),
    ("t-mf-binary-csv", ["topology", "--mixing-file", "{tmp}/garbage.csv"], ("mixing-file",)),
    ("t-mf-3d", ["topology", "--mixing-file", "{tmp}/threeD.npy"], ("mixing-file",)),
    ("t-mf-1d", ["topology", "--mixing-file", "{tmp}/oneD.npy"], ("mixing-file",)),
    ("t-mf-complex", ["topology", "--mixing-file", "{tmp}/complex.npy"], ("mixing-file",)),
    ("t-mf-bool", ["topology", "--mixing-file", "{tmp}/bool.npy"], ("mixing-file",)),
    ("t-mf-int-perm", ["topology", "--mixing-file", "{tmp}/int.npy"], ("mixing-file",)),
    ("t-mf-object", ["topology", "--mixing-file", "{tmp}/object.npy"], ("mixing-file",)),
    ("t-mf-bigendian", ["topology", "--mixing-file", "{tmp}/bigendian.npy"], ("mixing-file",)),
    ("t-mf-float16", ["topology", "--mixing-file", "{tmp}/float16.npy"], ("mixing-file",)),
    ("t-mf-hugeheader", ["topology", "--mixing-file", "{tmp}/hugeheader.npy"], ("mixing-file",)),
    ("t-mf-tinyneg", ["topology", "--mixing-file", "{tmp}/tinyneg.npy"], ("mixing-file",)),
    ("t-mf-perm2", ["topology", "--mixing-file", "{tmp}/perm2.npy"], ("mixing-file",)),
    (
        "t-mf-with-mixing",
        ["topology", "--mixing-file", "{tmp}/good4.npy", "--mixing", "metropolis"],
        ("mixing",),
    ),
    (
        "t-mf-with-sizes",
        ["topology", "--mixing-file", "{tmp}/good4.npy", "--sizes", "1,2,3,4"],
        ("sizes",),
    ),
    (
        "t-mf-with-gamma",
        ["topology", "--mixing-file", "{tmp}/good4.csv", "--gamma", "0.5"],
        ("gamma",),
    ),
    # --- bounds
    ("b-d-empty", ["bounds", "--d", "", "--p", "0.75"], ("d",)),
    ("b-d-hex", ["bounds", "--d", "0x40", "--p", "0.75"], ("d",)),
    ("b-d-fullwidth", ["bounds", "--d", "\uff16\uff14", "--p", "0.75"], ("d",)),
    ("b-d-1e300", ["bounds", "--d", "1e300", "--p", "0.75"], ("d",)),
    ("b-d-1", ["bounds", "--d", "1", "--p", "0.5"], ("d",)),
    ("b-d-true", ["bounds", "--d", "True", "--p", "0.5"], ("d",)),
    ("b-n-1e400", BD + ["--n", "1e400"], ("n",)),
    ("b-p-negzero", ["bounds", "--d", "64", "--p", "-0"], ("p",)),
    ("b-p-subnormal", ["bounds", "--d", "64", "--p", "1e-320"], ("p",)),
    ("b-abar-inf", ["bounds", "--d", "64", "--p", "0.75", "--abar", "inf"], ("abar",)),
    ("b-abar-1", ["bounds", "--d", "64", "--p", "0.75", "--abar", "1", "--n", "4"], ("abar",)),
    ("b-abar-gt-n", ["bounds", "--d", "64", "--p", "0.75", "--abar", "9", "--n", "4"], ("abar",)),
    ("b-frameworks-empty", BD + ["--frameworks", ""], ("frameworks",)),
    ("b-frameworks-dup", BD + ["--frameworks", "decl,decl"], ("frameworks",)),
    (
        "b-frameworks-decl-no-abar",
        ["bounds", "--d", "64", "--p", "0.75", "--frameworks", "decl"],
        ("abar",),
    ),
    ("b-frameworks-local-abar", BD + ["--frameworks", "local"], ("abar", "frameworks")),
    ("b-cden-nan", BD + ["--c-den", "nan"], ("c-den",)),
    ("b-cf-neg", BD + ["--c-f", "-1"], ("c-f",)),
    ("b-cf-eq37", BD + ["--fl-term", "eq37", "--c-f", "2"], ("c-f",)),
    ("b-cn-with-n", BD + ["--n", "4", "--c-n", "2"], ("c-n",)),
    ("b-trh-subnormal", BD + ["--trH", "1e-320"], ("trH",)),
    ("b-sign-unicode-minus", BD + ["--sign", "\u2212"], ("sign",)),
    ("b-csv-dir", BD + ["--csv", "{tmp}/adir"], ("csv",)),
    ("b-csv-devfull", BD + ["--csv", "/dev/full"], ("csv", "/dev/full")),
    # --- exact
    ("e-d-empty", ["exact", "--d", ""], ("d",)),
    ("e-d-1e20", ["exact", "--d", "1e20"], ("d",)),
    ("e-d-1e400", ["exact", "--d", "1e400"], ("d",)),
    ("e-n-1e1", ["exact", "--n-clients", "1e1"], ("n-clients",)),
    ("e-n-huge", ["exact", "--n-clients", "1e9", "--d", "1e12"], ("n-clients",)),
    ("e-p-negzero", ["exact", "--p", "-0"], ("p",)),
    ("e-c-1e400", ["exact", "--c", "1e400"], ("c",)),
    ("e-tau-0", ["exact", "--tau", "0"], ("tau",)),
    ("e-mu-inf", ["exact", "--mu", "inf"], ("mu",)),
    ("e-rarefrac-negzero", ["exact", "--rare-fraction", "-0"], ("rare-fraction",)),
    ("e-rareaxis-empty", ["exact", "--rare-axis", ""], ("rare-axis",)),
    ("e-rareaxis-count", ["exact", "--rare-axis", "1,2,3"], ("rare-axis",)),
    ("e-rareaxis-gt-d", ["exact", "--rare-axis", "1,2,3,401"], ("rare-axis",)),
    ("e-rareaxis-dup", ["exact", "--rare-axis", "5,5,5,5"], ("rare-axis",)),
    (
        "e-transform-nope",
        ["exact", "--method", "cl-dissimilar", "--transform", "nope"],
        ("transform",),
    ),
    (
        "e-transform-rotation-nodense",
        ["exact", "--method", "cl-dissimilar", "--transform", "rotation"],
        ("transform", "dense"),
    ),  # fmt: skip
    ("e-transform-mim", ["exact", "--method", "mim", "--transform", "identity"], ("transform",)),
    ("e-dense-huge-d", ["exact", "--dense", "--d", "1e12"], ("d", "dense")),
    ("e-samples-0", ["exact", "--samples", "0"], ("samples",)),
    ("e-sampleseeds-0", ["exact", "--samples", "10", "--sample-seeds", "0"], ("sample-seeds",)),
    ("e-sampleseeds-alone", ["exact", "--sample-seeds", "3"], ("sample-seeds",)),
    (
        "e-sampleseeds-big-d",
        ["exact", "--samples", "5", "--sample-seeds", "2", "--d", "1e9"],
        ("d", "sample-seeds"),
    ),
    ("e-mixing-ying-ring", ["exact", "--mixing", "ying", "--graph", "ring"], ("mixing",)),
    (
        "e-mf-with-mixing",
        ["exact", "--mixing-file", "{tmp}/good4.npy", "--mixing", "metropolis"],
        ("mixing",),
    ),
    ("e-mf-zero-csv", ["exact", "--mixing-file", "{tmp}/zero.csv"], ("mixing-file",)),
    ("e-mf-nan-csv", ["exact", "--mixing-file", "{tmp}/nan.csv"], ("mixing-file",)),
    ("e-mf-json", ["exact", "--mixing-file", "{tmp}/W.json"], ("mixing-file",)),
    (
        "e-mf-n3",
        ["exact", "--n-clients", "3", "--d", "40", "--mixing-file", "{tmp}/good4.npy"],
        ("mixing-file",),
    ),
    ("e-torus-rows", ["exact", "--graph", "torus", "--n-clients", "6", "--rows", "4"], ("rows",)),
    ("e-seed-neg", ["exact", "--graph", "erdos_renyi", "--prob", "0.9", "--seed", "-1"], ("seed",)),
    (
        "e-tseed-neg",
        [
            "exact",
            "--method",
            "cl-dissimilar",
            "--transform",
            "rotation",
            "--dense",
            "--d",
            "40",
            "--transform-seed",
            "-1",
        ],
        ("transform-seed",),
    ),  # fmt: skip
    ("e-csv-stdout", ["exact", "--d", "40", "--csv", "-"], ("csv",)),
    # --- verify
    ("v-d-1e400", ["verify", "--d", "1e400"], ("d",)),
    ("v-rareaxis-count", ["verify", "--rare-axis", "1,2"], ("rare-axis",)),
    ("v-mf-nan", ["verify", "--mixing-file", "{tmp}/nan.csv"], ("mixing-file",)),
    ("v-mf-n5", ["verify", "--mixing-file", "{tmp}/n5.npy"], ("mixing-file",)),
    ("v-mf-zero", ["verify", "--mixing-file", "{tmp}/zero.npy"], ("mixing-file",)),
    (
        "v-mf-with-graph",
        ["verify", "--mixing-file", "{tmp}/good4.npy", "--graph", "ring"],
        ("graph",),
    ),
    ("v-td-missing", ["verify"] + TD + ["{tmp}/missing"], ("trackd-results",)),
    ("v-td-file", ["verify"] + TD + ["{tmp}/afile"], ("trackd-results",)),
    ("v-td-empty", ["verify"] + TD + ["{tmp}/td_empty"], ("trackd-results",)),
    ("v-td-binary", ["verify"] + TD + ["{tmp}/td_bin"], ("trackd-results",)),
    ("v-td-obj", ["verify"] + TD + ["{tmp}/td_obj"], ("trackd-results",)),
    ("v-td-rows-str", ["verify"] + TD + ["{tmp}/td_rows_str"], ("trackd-results",)),
    ("v-td-rows-empty", ["verify"] + TD + ["{tmp}/td_rows_empty"], ("trackd-results",)),
    ("v-td-nan", ["verify"] + TD + ["{tmp}/td_nan"], ("trackd-results",)),
    ("v-td-zero", ["verify"] + TD + ["{tmp}/td_zero"], ("trackd-results",)),
    ("v-td-dir", ["verify"] + TD + ["{tmp}/td_dir"], ("trackd-results",)),
    ("v-td-badclaim", ["verify"] + TD + ["{tmp}/td_badclaim"], ("trackd-results",)),
    ("v-td-mean-str", ["verify"] + TD + ["{tmp}/td_mean_str"], ("trackd-results",)),
    ("v-td-nseeds-neg", ["verify"] + TD + ["{tmp}/td_nseeds_neg"], ("trackd-results",)),
    ("v-td-se-neg", ["verify"] + TD + ["{tmp}/td_se_neg"], ("trackd-results",)),
    ("v-td-mean-huge", ["verify"] + TD + ["{tmp}/td_mean_huge"], ("trackd-results",)),
    ("v-td-mde-list", ["verify"] + TD + ["{tmp}/td_scale_list"], ("trackd-results",)),
    ("v-td-scale-str", ["verify"] + TD + ["{tmp}/td_scale_str"], ("trackd-results",)),
    ("v-td-sub-garbage", ["verify"] + TD + ["{tmp}/td_sub"], ("trackd-results",)),
    (
        "v-mr-empty",
        ["verify", "--claims", "eq17", "--map-results", "{tmp}/mr_empty"],
        ("map-results",),
    ),
    (
        "v-mr-list",
        ["verify", "--claims", "eq17", "--map-results", "{tmp}/mr_list"],
        ("map-results",),
    ),
    ("v-dsweep-neg", ["verify", "--d-sweep", "400,-1"], ("d-sweep",)),
    ("v-dsweep-nan", ["verify", "--d-sweep", "400,nan"], ("d-sweep",)),
    ("v-claims-dup", ["verify", "--claims", "eq17,eq17"], ("claims",)),
    ("v-claims-space", ["verify", "--claims", " eq17 "], ("claims",)),
    ("v-simulate-nope", ["verify", "--simulate", "nope"], ("simulate",)),
    ("v-simseed-alone", ["verify", "--claims", "eq17", "--sim-seed", "-1"], ("sim-seed",)),
    ("v-map-workers0", ["verify", "--map", "--workers", "0", "--out", "{tmp}/m"], ("workers",)),
    ("v-tseed-neg", ["verify", "--transform-seed", "-1"], ("transform-seed",)),
    ("v-cf-nan", ["verify", "--c-f", "nan"], ("c-f",)),
    ("v-transform-nope", ["verify", "--transform", "nope"], ("transform",)),
    # --- simulate
    ("s-n-space", SIM + ["--n-clients", " 4 "], ("n-clients",)),
    ("s-n-fullwidth", SIM + ["--n-clients", "\uff14"], ("n-clients",)),
    ("s-d-negzero", SIM + ["--d", "-0"], ("d",)),
    ("s-d-float", SIM + ["--d", "8.0"], ("d",)),
    ("s-lr-1e-400", SIM + ["--lr", "1e-400"], ("lr",)),
    ("s-lr-hexfloat", SIM + ["--lr", "0x1p-4"], ("lr",)),
    ("s-lr-1e30", SIM + ["--lr", "1e30"], ("lr",)),
    ("s-p-1e-17", SIM + ["--p", "1e-17"], ("p",)),
    ("s-p-round1", SIM + ["--p", "0.99999999999999999"], ("p",)),
    ("s-rarefrac-negzero", SIM + ["--rare-fraction", "-0"], ("rare-fraction",)),
    ("s-seed-2pow32", SIM + ["--seed", "4294967296"], ("seed",)),
    (
        "s-pop-samples",
        ["simulate", "--rounds", "1", "--population", "--samples-per-client", "40"],
        ("samples-per-client",),
    ),  # fmt: skip
    (
        "s-pop-mar",
        ["simulate", "--rounds", "1", "--population", "--method", "mar"],
        ("method", "population"),
    ),
    ("s-csv-dir", SIM + ["--csv", "{tmp}/adir"], ("csv",)),
    ("s-devices-neg", SIM + ["--devices", "-1"], ("devices",)),
    ("s-devices-3of4", SIM + ["--devices", "3"], ("devices",)),
    (
        "s-gamma-equal",
        SIM + ["--method", "mar", "--gamma-max", "0.2", "--gamma-min", "0.2"],
        ("gamma",),
    ),
    (
        "s-cpr-float",
        SIM + ["--framework", "fl", "--clients-per-round", "2.0"],
        ("clients-per-round",),
    ),
    ("s-torus-2x2", SIM + ["--graph", "torus", "--rows", "2", "--cols", "2"], ("rows", "cols")),
    ("s-pc-avg1e400", SIM + ["--graph", "paper_code", "--avg-degree", "1e400"], ("avg-degree",)),
    ("s-er-prob-tiny", SIM + ["--graph", "erdos_renyi", "--prob", "1e-300"], ("prob",)),
    ("s-mf-zero", SIM + ["--mixing-file", "{tmp}/zero.npy"], ("mixing-file",)),
    ("s-mf-fifo", SIM + ["--mixing-file", "{tmp}/fifo.npy"], ("mixing-file",)),
    (
        "s-mf-perm2",
        SIM + ["--n-clients", "2", "--d", "8", "--c", "2", "--mixing-file", "{tmp}/perm2.npy"],
        ("mixing-file",),
    ),  # fmt: skip
    ("s-mf-hugeheader", SIM + ["--mixing-file", "{tmp}/hugeheader.npy"], ("mixing-file",)),
    ("s-mf-object", SIM + ["--mixing-file", "{tmp}/object.npy"], ("mixing-file",)),
    (
        "s-mf-with-mixing",
        SIM + ["--mixing-file", "{tmp}/good4.csv", "--mixing", "metropolis"],
        ("mixing",),
    ),
    ("s-localsteps-1e400", SIM + ["--local-steps", "1e400"], ("local-steps",)),
    ("s-batch-gt-samples", SIM[:5] + ["--batch", "41"], ("batch",)),
    ("s-d-minimum", SIM + ["--n-clients", "3", "--d", "6"], ("d",)),
    ("s-lr-subnormal-f32", SIM + ["--dtype", "float32", "--lr", "1e-45"], ("lr",)),
    # --- trackd
    ("d-seeds-0", ["trackd", "--seeds", "0"], ("seeds",)),
    ("d-seeds-nan", ["trackd", "--seeds", "nan"], ("seeds",)),
    ("d-rounds-1e400", ["trackd", "--rounds", "1e400"], ("rounds",)),
    ("d-rounds-1e12", ["trackd", "--experiment", "fig2b", "--rounds", "1e12"], ("rounds",)),
    (
        "d-mnist-datapath",
        ["trackd", "--dataset", "mnist", "--data-path", "{tmp}/adir"],
        ("data-path",),
    ),
    ("d-npz-no-path", ["trackd", "--dataset", "npz"], ("data-path",)),
    (
        "d-cifar-empty-dir",
        ["trackd", "--dataset", "cifar10", "--data-path", "{tmp}/adir"],
        ("data-path",),
    ),
    (
        "d-npz-garbage",
        ["trackd", "--dataset", "npz", "--data-path", "{tmp}/garbage.csv"],
        ("data-path",),
    ),
    (
        "d-npz-devzero",
        ["trackd", "--dataset", "npz", "--data-path", "{tmp}/zero.npz"],
        ("data-path",),
    ),
    (
        "d-npz-mixing",
        ["trackd", "--dataset", "npz", "--data-path", "{tmp}/W.npz"],
        ("data-path", "W.npz"),
    ),
    (
        "d-npz-oneclass",
        ["trackd", "--dataset", "npz", "--data-path", "{tmp}/img_oneclass.npz"],
        ("data-path", "img_oneclass.npz"),
    ),
    (
        "d-npz-nan",
        ["trackd", "--dataset", "npz", "--data-path", "{tmp}/img_nan.npz"],
        ("data-path", "img_nan.npz"),
    ),
    (
        "d-npz-labelsneg",
        ["trackd", "--dataset", "npz", "--data-path", "{tmp}/img_labelsneg.npz"],
        ("data-path", "img_labelsneg.npz"),
    ),
    (
        "d-npz-mismatch",
        ["trackd", "--dataset", "npz", "--data-path", "{tmp}/img_mismatch.npz"],
        ("data-path", "img_mismatch.npz"),
    ),
    (
        "d-npz-huge",
        ["trackd", "--dataset", "npz", "--data-path", "{tmp}/img_huge.npz"],
        ("data-path", "img_huge.npz"),
    ),
    ("d-datapath-no-dataset", ["trackd", "--data-path", "{tmp}/img_nan.npz"], ("data-path",)),
    (
        "d-save-devnull",
        [
            "trackd",
            "--experiment",
            "table5",
            "--rounds",
            "1",
            "--seeds",
            "1",
            "--save",
            "/dev/null",
        ],
        ("save",),
    ),  # fmt: skip
    (
        "d-save-file",
        [
            "trackd",
            "--experiment",
            "table5",
            "--rounds",
            "1",
            "--seeds",
            "1",
            "--save",
            "{tmp}/afile",
        ],
        ("save",),
    ),  # fmt: skip
    (
        "d-save-empty",
        ["trackd", "--experiment", "table5", "--rounds", "1", "--seeds", "1", "--save", ""],
        ("save",),
    ),  # fmt: skip
    ("d-devices-nan", ["trackd", "--devices", "nan"], ("devices",)),
    # --- reproduce
    ("r-list-fast", ["reproduce", "--list", "--fast"], ("fast",)),
    ("r-list-force", ["reproduce", "--list", "--force"], ("force",)),
    ("r-list-out", ["reproduce", "--list", "--out", "{tmp}/x"], ("out",)),
    ("r-stages-nope", ["reproduce", "--stages", "nope", "--out", "{tmp}/o"], ("stages",)),
    ("r-stages-empty", ["reproduce", "--stages", "", "--out", "{tmp}/o"], ("stages",)),
    ("r-stages-commas", ["reproduce", "--stages", ",,,", "--out", "{tmp}/o"], ("stages",)),
    ("r-jobs-0", ["reproduce", "--jobs", "0", "--out", "{tmp}/o"], ("jobs",)),
    ("r-blas-neg", ["reproduce", "--blas-threads", "-1", "--out", "{tmp}/o"], ("blas-threads",)),
    (
        "r-blas-1e400",
        ["reproduce", "--blas-threads", "1e400", "--out", "{tmp}/o"],
        ("blas-threads",),
    ),
    (
        "r-out-devzero",
        ["reproduce", "--fast", "--stages", "mask", "--out", "{tmp}/zero.npy"],
        ("out",),
    ),
    (
        "r-out-fifo",
        ["reproduce", "--fast", "--stages", "mask", "--out", "{tmp}/fifo.npy"],
        ("out",),
    ),
    (
        "r-cache-devnull",
        [
            "reproduce",
            "--fast",
            "--stages",
            "mask",
            "--out",
            "{tmp}/o",
            "--compile-cache",
            "/dev/null",
        ],
        ("compile-cache",),
    ),  # fmt: skip
    # --- compare
    ("c-old-missing", ["compare", "{tmp}/nope", "{tmp}/cmp_a"], ("old",)),
    ("c-old-file", ["compare", "{tmp}/afile", "{tmp}/cmp_a"], ("old",)),
    ("c-devnull", ["compare", "/dev/null", "/dev/null"], ("old",)),
    ("c-both-empty", ["compare", "{tmp}/cmp_empty1", "{tmp}/cmp_empty2"], ("old", "new")),
    ("c-empty-vs-a", ["compare", "{tmp}/cmp_empty1", "{tmp}/cmp_a"], ("old", "new")),
    ("c-same", ["compare", "{tmp}/cmp_a", "{tmp}/cmp_a"], ("old",)),
    ("c-nan", ["compare", "{tmp}/cmp_a", "{tmp}/cmp_nan"], ("new",)),
    ("c-nan-both", ["compare", "{tmp}/cmp_nan", "{tmp}/cmp_nan"], ("old", "new")),
    ("c-str", ["compare", "{tmp}/cmp_a", "{tmp}/cmp_str"], ("new",)),
    ("c-list", ["compare", "{tmp}/cmp_a", "{tmp}/cmp_list"], ("new",)),
    ("c-binary", ["compare", "{tmp}/cmp_a", "{tmp}/cmp_bin"], ("new",)),
    ("c-emptyjson", ["compare", "{tmp}/cmp_a", "{tmp}/cmp_emptyjson"], ("new",)),
    ("c-devzero", ["compare", "{tmp}/cmp_a", "{tmp}/cmp_zero"], ("new",)),
    ("c-dupkeys", ["compare", "{tmp}/cmp_a", "{tmp}/cmp_dup"], ("new",)),
    ("c-1e400", ["compare", "{tmp}/cmp_a", "{tmp}/cmp_big"], ("new",)),
    ("c-bool", ["compare", "{tmp}/cmp_a", "{tmp}/cmp_bool"], ("new",)),
    ("c-null", ["compare", "{tmp}/cmp_a", "{tmp}/cmp_null"], ("new",)),
    ("c-dirjson", ["compare", "{tmp}/cmp_a", "{tmp}/cmp_dirjson"], ("new",)),
    ("c-fifo", ["compare", "{tmp}/cmp_a", "{tmp}/cmp_fifo"], ("new",)),
    ("c-utf16", ["compare", "{tmp}/cmp_a", "{tmp}/cmp_utf16"], ("new",)),
    ("c-subfolder", ["compare", "{tmp}/cmp_a", "{tmp}/cmp_sub"], ("new",)),
    ("c-rtol-nan", ["compare", "--rtol", "nan", "{tmp}/cmp_a", "{tmp}/cmp_a"], ("rtol",)),
    ("c-rtol-neg", ["compare", "--rtol", "-1", "{tmp}/cmp_a", "{tmp}/cmp_a"], ("rtol",)),
    ("c-atol-inf", ["compare", "--atol", "inf", "{tmp}/cmp_a", "{tmp}/cmp_nan"], ("atol",)),
    ("c-rtol-1e400", ["compare", "--rtol", "1e400", "{tmp}/cmp_a", "{tmp}/cmp_a"], ("rtol",)),
    (
        "c-ignore-commas",
        ["compare", "--ignore", ",,,", "{tmp}/cmp_a", "{tmp}/cmp_str"],
        ("ignore",),
    ),
    # --- bench
    ("h-d-1e400", ["bench", "--d", "1e400"], ("d",)),
    ("h-repeats-0", ["bench", "--repeats", "0"], ("repeats",)),
    ("h-localsteps-0", ["bench", "--local-steps", "0"], ("local-steps",)),
    ("h-localsteps-1e9", ["bench", "--local-steps", "1e9"], ("local-steps",)),
    ("h-quick-n", ["bench", "--quick", "--n-clients", "4"], ("quick", "n-clients")),
    ("h-csv-dir", ["bench", "--n-clients", "1", "--csv", "{tmp}/adir"], ("csv", "n-clients")),
    ("h-batch-negzero", ["bench", "--batch", "-0"], ("batch",)),
    ("h-rounds-1e12", ["bench", "--rounds", "1e12"], ("rounds",)),
    ("h-huge-nd", ["bench", "--n-clients", "100000", "--d", "100000"], ("n-clients", "d")),
]


# ---------------------------------------------------------------------------------------------
# API cases: (id, expression, tokens: the message must start with one of them or hold "tok:")

API_PRELUDE = r"""
import json, sys, traceback, warnings
import numpy as np
import jax, jax.numpy as jnp, jax.random as jr
import optax
import sims
from sims import data as D
from sims.core import problem as cp
from sims.trackc.engine_config import EngineConfig
from theory import bounds, datamodel, solve, topology

nan, inf = float("nan"), float("inf")
def loss(w, b, *, key):
    return jnp.mean((b @ w) ** 2)
X2 = jnp.ones((2, 4, 2))
T2 = np.stack([np.eye(4)] * 2)
model = datamodel.DataModel(d=8, n_clients=2)
ring4 = topology.mixing_matrix("uniform", topology.ring(4))
def CFG(**kw):
    return EngineConfig(**({"framework": "fl", "n_clients": 2, "d": 4, "c": 2,
                            "population": True, "dtype": "float32"} | kw))
def RUN(**kw):
    args = dict(rounds=1, local_steps=1, batch_size=2, lr=0.1, key=jr.key(0))
    args.update(kw)
    data = args.pop("data", X2)
    params = args.pop("params", jnp.zeros(2))
    fn = args.pop("loss", loss)
    return sims.run(fn, params, data, **args)
XP, YP = np.zeros((8, 2)), np.arange(8) % 2

def summary(r, depth=0):
    if isinstance(r, dict):
        return {str(k): summary(v, depth + 1) for k, v in list(r.items())[:12]}
    if isinstance(r, (tuple, list)) and depth < 2:
        return [summary(v, depth + 1) for v in list(r)[:6]]
    if hasattr(r, "shape") and hasattr(r, "dtype"):
        a = np.asarray(r)
        s = {"shape": list(a.shape), "dtype": str(a.dtype)}
        if a.dtype.kind in "fc" and a.size:
            s["finite"] = bool(np.all(np.isfinite(a)))
        s["head"] = repr(a.ravel()[:6].tolist())[:120]
        return s
    return repr(r)[:200]

try:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _r = eval(EXPR)
        out = {"status": "ok", "summary": summary(_r),
               "warnings": [f"{w.category.__name__}: {w.message}"[:300] for w in caught]}
except BaseException as e:
    out = {"status": "exc", "type": type(e).__name__,
           "mro": [c.__name__ for c in type(e).__mro__], "msg": str(e),
           "tb": traceback.format_exc()[-3000:]}
print("@@RESULT@@" + json.dumps(out, default=repr))
"""

API_CASES = [
    # theory.topology
    ("a-make_graph-n-bool", "topology.make_graph('ring', True)", ("n",)),
    ("a-make_graph-n-float-int", "topology.make_graph('ring', 5.0)", ("n",)),
    ("a-make_graph-n-neg", "topology.make_graph('ring', -4)", ("n",)),
    ("a-make_graph-n-1e30", "topology.make_graph('ring', 10**30)", ("n",)),
    ("a-make_graph-upper", "topology.make_graph('RING', 5)", ("graph",)),
    (
        "a-make_graph-er-seed-neg",
        "topology.make_graph('erdos_renyi', 5, prob=0.5, seed=-1)",
        ("seed",),
    ),
    (
        "a-make_graph-rr-degree-bool",
        "topology.make_graph('random_regular', 6, degree=True, seed=0)",
        ("degree",),
    ),
    (
        "a-make_graph-pc-avg-neg",
        "topology.make_graph('paper_code', 6, avg_degree=-1, seed=0)",
        ("avg_degree",),
    ),
    ("a-make_graph-ring-seed", "topology.make_graph('ring', 5, seed=3)", ("seed",)),
    ("a-mixing-empty", "topology.mixing_matrix('uniform', np.array([]))", ("adjacency",)),
    (
        "a-mixing-sizes-bool",
        "topology.mixing_matrix('data_size', topology.ring(4), sizes=[True, 1, 1, 1])",
        ("sizes",),
    ),
    (
        "a-mixing-sizes-frac",
        "topology.mixing_matrix('data_size', topology.ring(4), sizes=[0.5] * 4)",
        ("sizes",),
    ),
    (
        "a-mixing-sizes-uniform",
        "topology.mixing_matrix('uniform', topology.ring(4), sizes=[1, 2, 3, 4])",
        ("sizes",),
    ),
    (
        "a-mixing-ying-ring",
        "topology.mixing_matrix('ying', topology.ring(4))",
        ("mixing", "adjacency"),
    ),
    ("a-validate_mixing-1x1", "topology.validate_mixing(np.array([[1.0]]))", ("W",)),
    # theory.solve
    ("a-optima-empty-N", "solve.optima(np.zeros((0, 4, 4)), 2)", ("targets",)),
    ("a-optima-c-bool", "solve.optima(T2, True)", ("c",)),
    ("a-optima-nan", "solve.optima(np.full((2, 4, 4), nan), 2)", ("targets",)),
    ("a-optima-w-nan", "solve.optima(T2, 2, decl_weights=[0.5, nan])", ("decl_weights",)),
    ("a-optima-w-sum2", "solve.optima(T2, 2, decl_weights=[1.0, 1.0])", ("decl_weights",)),
    ("a-optima-w-neg", "solve.optima(T2, 2, decl_weights=[-1.0, 2.0])", ("decl_weights",)),
    ("a-optima-tol-neg", "solve.optima(T2, 2, tol=-1.0)", ("tol",)),
    ("a-optima-zero", "solve.optima(np.zeros((2, 4, 4)), 2)", ("targets",)),
    # theory.bounds
    ("a-bounds-d-bool", "bounds.evaluate(d=True, p=0.5, abar=3, n=4)", ("d",)),
    ("a-bounds-d-empty", "bounds.evaluate(d=np.array([]), p=0.5, abar=3, n=4)", ("d",)),
    (
        "a-bounds-d-array-nan",
        "bounds.evaluate(d=np.array([64.0, nan]), p=0.5, abar=3, n=4)",
        ("d",),
    ),
    ("a-bounds-trH-negzero", "bounds.evaluate(d=64, p=0.5, abar=3, n=4, trH=-0.0)", ("trH",)),
    (
        "a-bounds-const-unknown",
        "bounds.evaluate(d=64, p=0.5, abar=3, n=4, constants={'c_zzz': 1.0})",
        ("constants",),
    ),
    (
        "a-bounds-const-neg",
        "bounds.evaluate(d=64, p=0.5, abar=3, n=4, constants={'c_num': -1.0})",
        ("c_num",),
    ),
    ("a-bounds-abar-gt-n", "bounds.evaluate(d=64, p=0.5, abar=100, n=4)", ("abar",)),
    ("a-sensitivity-decl-no-abar", "bounds.sensitivity('mim', 'decl', d=64, p=0.5)", ("abar",)),
    ("a-lower_bound-d-inf", "bounds.lower_bound('mim', 'fl', d=inf, p=0.5)", ("d",)),
    ("a-lower_bound-d-bigint", "bounds.lower_bound('mim', 'local', d=10**400, p=0.5)", ("d",)),
    ("a-resolve_n-cn-nan", "bounds.resolve_n(64, c_n=nan)", ("c_n",)),
    ("a-config_warnings-d-nan", "bounds.configuration_warnings(d=nan)", ("d",)),
    # theory.datamodel
    ("a-DataModel-d-bool", "datamodel.DataModel(d=True, n_clients=2)", ("d",)),
    ("a-DataModel-n-float", "datamodel.DataModel(d=8, n_clients=2.0)", ("n_clients",)),
    (
        "a-DataModel-rho-f32nan",
        "datamodel.DataModel(8, 2, rare_fraction=np.float32('nan'))",
        ("rare_fraction",),
    ),
    ("a-DataModel-axis-frac", "datamodel.DataModel(8, 2, rare_axis=(1.5, 2))", ("rare_axis",)),
    ("a-DataModel-d-1e30", "datamodel.DataModel(d=10**30, n_clients=2)", ("d",)),
    # sims.run
    ("a-run-rounds-bool", "RUN(rounds=True)", ("rounds",)),
    ("a-run-lr-nan", "RUN(lr=nan)", ("lr",)),
    ("a-run-data-empty-list", "RUN(data=[])", ("data",)),
    ("a-run-data-no-rows", "RUN(data=jnp.zeros((2, 0, 2)))", ("data",)),
    ("a-run-mixing-N", "RUN(mixing=np.eye(3) / 1.0)", ("mixing",)),
    ("a-run-pushsum", "RUN(mixing=('push-sum', np.full((2, 2), 0.5)))", ("mixing",)),
    ("a-run-params-int", "RUN(params=jnp.zeros(2, jnp.int32))", ("params",)),
    ("a-run-weights-neg", "RUN(weights=[1.0, -1.0])", ("weights",)),
    ("a-run-loss-vector", "RUN(loss=lambda w, b, *, key: b @ w)", ("loss",)),
    ("a-run-cpr-gt-n", "RUN(clients_per_round=5)", ("clients_per_round",)),
    ("a-run-rounds-1e12", "RUN(rounds=10**12)", ("rounds",)),
    ("a-run-localsteps-1e9", "RUN(local_steps=10**9)", ("local_steps",)),
    ("a-run-lr-and-opt", "RUN(optimizer=optax.sgd(0.1))", ("optimizer", "lr")),
    # sims.partition
    ("a-partition-n0", "sims.partition(XP, YP, 0, alpha=1.0, key=jr.key(0))", ("n_clients",)),
    (
        "a-partition-labels-float",
        "sims.partition(XP, YP + 0.5, 2, alpha=1.0, key=jr.key(0))",
        ("labels", "y"),
    ),
    ("a-partition-len-mismatch", "sims.partition(XP, YP[:5], 2, alpha=1.0, key=jr.key(0))", ("y",)),
    (
        "a-partition-n-1e12",
        "sims.partition(XP, YP, 10**12, alpha=1.0, key=jr.key(0))",
        ("n_clients",),
    ),
    (
        "a-partition-empty",
        "sims.partition(np.zeros((0, 2)), np.zeros(0, int), 2, alpha=1.0, key=jr.key(0))",
        ("labels", "y", "x"),
    ),
    (
        "a-partition-minsize-impossible",
        "sims.partition(XP, YP, 2, alpha=1.0, key=jr.key(0), min_size=100)",
        ("min_size",),
    ),
    # sims.data.sample_paper_model
    ("a-sample-n-bool", "D.sample_paper_model(model, True, key=jr.key(0))", ("n_per_client",)),
    (
        "a-sample-dtype-str16",
        "D.sample_paper_model(model, 3, key=jr.key(0), dtype='float16')",
        ("dtype",),
    ),
    ("a-sample-key-raw-legacy", "D.sample_paper_model(model, 3, key=jr.PRNGKey(0))", ("key",)),
    (
        "a-sample-key-shape",
        "D.sample_paper_model(model, 3, key=jnp.zeros(3, jnp.uint32))",
        ("key",),
    ),
    (
        "a-sample-big-d",
        "D.sample_paper_model(datamodel.DataModel(d=10**7, n_clients=2), 100, key=jr.key(0))",
        ("n_per_client",),
    ),
    # sims.trackc.engine_config.EngineConfig
    ("a-config-n-bool", "EngineConfig(n_clients=True)", ("n_clients",)),
    ("a-config-pop-mar", "EngineConfig(population=True, method='mar')", ("method",)),
    ("a-config-pop-str", "EngineConfig(population='no')", ("population",)),
    (
        "a-config-decl-cpr",
        "EngineConfig(framework='decl', clients_per_round=2)",
        ("clients_per_round",),
    ),
    ("a-config-huge", "EngineConfig(n_clients=10**9, d=10**9, c=8)", ("n_clients", "d")),
    ("a-config-persist-str", "EngineConfig(persist_opt_state='false')", ("persist_opt_state",)),
    # sims.core.problem.make_problem
    (
        "a-problem-default-x64",
        "cp.make_problem(EngineConfig(framework='fl', n_clients=2, d=4, c=2, population=True), T2)",
        ("dtype",),
    ),
    ("a-problem-zero-targets", "cp.make_problem(CFG(), np.zeros((2, 4, 4)))", ("targets",)),
    ("a-problem-decl-no-mixing", "cp.make_problem(CFG(framework='decl'), T2)", ("mixing",)),
    ("a-problem-pi-sum", "cp.make_problem(CFG(), T2, pi=[0.5, 0.6])", ("pi",)),
    ("a-problem-gamma-nan", "cp.make_problem(CFG(), T2, gamma_max=nan)", ("gamma_max",)),
    (
        "a-problem-H-singular",
        "cp.make_problem(CFG(method='cl-dissimilar'), T2, H=np.zeros((4, 4)))",
        ("H",),
    ),
    ("a-problem-targets-bool", "cp.make_problem(CFG(), T2.astype(bool))", ("targets",)),
    ("a-problem-x-with-pop", "cp.make_problem(CFG(), T2, x=np.ones((2, 3, 4)))", ("x",)),
    ("a-problem-H-with-mim", "cp.make_problem(CFG(), T2, H=np.eye(4))", ("H",)),
]


# ---------------------------------------------------------------------------------------------
# running one case


def _limits() -> None:
    lim = MEM_KIB * 1024
    resource.setrlimit(resource.RLIMIT_AS, (lim, lim))


def _env() -> dict:
    env = dict(os.environ)
    env["JAX_PLATFORMS"] = "cpu"
    env.pop("XLA_FLAGS", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _run(cmd: list[str], cwd: str) -> dict:
    t0 = time.monotonic()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, preexec_fn=_limits, start_new_session=True,
    )  # fmt: skip
    timed_out = False
    try:
        out, err = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = proc.communicate()
    return {
        "rc": proc.returncode,
        "timed_out": timed_out,
        "stdout": out.decode("utf-8", "replace"),
        "stderr": err.decode("utf-8", "replace"),
        "seconds": round(time.monotonic() - t0, 2),
    }


def _names_field(line: str, tokens) -> bool:
    """Whether the message names one of ``tokens`` (the option as typed, without dashes, or the
    user's file): as ``tok:``/``tok (``/``--tok``/``argument --tok``, or for tokens of 3 or
    more characters as a whole word anywhere (``COMMAND``, ``img_nan.npz[labels]``)."""
    msg = line.split(": error: ", 1)[1] if ": error: " in line else line
    for tok in tokens:
        t = tok.lstrip("-")
        if msg.startswith(t + ":") or msg.startswith(t + " ") or f"--{t}" in msg:
            return True
        if f"{t}:" in msg or f"{t} (" in msg or f"argument {tok}" in msg:
            return True
        if len(t) >= 3 and re.search(r"(?<![\w-])" + re.escape(t) + r"(?![\w-])", msg):
            return True
    return False


#: stderr lines that are progress, not error text: ``dssl trackd``'s ``[  0.0 s] table1 ...``
#: and the tqdm bars of ``rounds:``
PROGRESS = re.compile(r"^\[\s*[\d.]+ s\] |^\s*rounds:\s+\d+%")


def classify_cli(res: dict, tokens, command: str = "") -> str:
    err = res["stderr"]
    lines = [
        ln for ln in err.replace("\r", "\n").splitlines() if ln.strip() and not PROGRESS.match(ln)
    ]
    rc = res["rc"]
    if res["timed_out"]:
        return "hang"
    if any(m in err for m in OOM_MARKS):
        return "oom"
    if rc < 0 or rc not in (0, 1, 2, 130):
        return "crash"
    if "Traceback" in err:
        return "traceback"
    if rc == 0:
        return "accepted"
    if command == "compare" and rc == 1 and not lines and res["stdout"].strip():
        return "accepted"  # dssl compare ran and answered "the folders differ" (exit 1)
    if len(lines) != 1:
        return "traceback"
    if "internal error:" in lines[0]:
        return "traceback"
    if rc == 1:
        return "clean"
    return "clean" if _names_field(lines[0], tokens) else "wrong-field"


def run_cli_case(case) -> dict:
    cid, argv, tokens = case
    tmp = tempfile.mkdtemp(prefix="hostile_")
    try:
        make_fixtures(tmp)
        args = [a.replace("{tmp}", tmp) for a in argv]
        res = _run([DSSL] + args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    res["stdout"] = res["stdout"].replace(tmp, "{tmp}")
    res["stderr"] = res["stderr"].replace(tmp, "{tmp}")
    res.update(id=cid, kind="cli", call="dssl " + " ".join(_quote(a) for a in argv))
    res["class"] = classify_cli(res, tokens, argv[0] if argv else "")
    return res


def _quote(a: str) -> str:
    import shlex

    return shlex.quote(a)


def classify_api(res: dict, tokens) -> str:
    if res["timed_out"]:
        return "hang"
    out = res.get("result")
    err = res["stderr"]
    if out is None:
        if any(m in err for m in OOM_MARKS):
            return "oom"
        if res["rc"] < 0 or res["rc"] not in (0, 1, 2, 130):
            return "crash"
        return "traceback"
    if out["status"] == "ok":
        return "accepted"
    if out["type"] == "MemoryError" or any(m in out["msg"] for m in OOM_MARKS):
        return "oom"
    if not ({"ValueError", "TypeError"} & set(out["mro"])):
        return "traceback"
    msg = out["msg"]
    if len(msg.splitlines()) != 1:
        return "traceback"
    named = any(msg.startswith(t) or f"{t}:" in msg for t in tokens)
    return "clean" if named else "wrong-field"


def run_api_case(case) -> dict:
    cid, expr, tokens = case
    tmp = tempfile.mkdtemp(prefix="hostile_")
    try:
        code = f"EXPR = {expr!r}\n" + API_PRELUDE
        res = _run([PYTHON, "-c", code], tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result = None
    for line in res["stdout"].splitlines():
        if line.startswith("@@RESULT@@"):
            result = json.loads(line[len("@@RESULT@@") :])
    res["result"] = result
    res.update(id=cid, kind="api", call=expr)
    res["class"] = classify_api(res, tokens)
    return res


# ---------------------------------------------------------------------------------------------
# judgements of every non-clean case (read from the outputs of a run; see the report)

JUDGE: dict[str, str] = {
    # --- wrong-field
    "g-version": (
        "legit: dssl --version prints the installed version (added after the run of "
        "2026-11-25 00:09)"
    ),
    "t-fedavg-star": "--mixing fedavg is offered by --help but only fits --graph complete; the "
    "line names W (theory/topology.py validate_mixing's topology-respecting check), not "
    "--mixing or --graph",
    "b-cf-neg": "argparse only checks that --c-f is finite; the range check in theory/bounds.py "
    "(_constants) names the API key c_f, not --c-f (--c-den nan is named --c-den)",
    "e-n-huge": "refused before allocating (right), but the line names n (the memory check of "
    "theory/topology.py make_graph), not --n-clients",
    "e-rareaxis-count": "the CLI parses only the syntax (sims/commands/_common.py rare_axis); the "
    "count is checked in theory/datamodel.py DataModel.__post_init__ under the API name rare_axis",
    "e-rareaxis-gt-d": "as e-rareaxis-count: range check in DataModel.__post_init__, named "
    "rare_axis, not --rare-axis",
    "v-rareaxis-count": "as e-rareaxis-count (verify shares the data-model options)",
    "e-sampleseeds-big-d": "misleading: blames --samples (5, tiny) for a 447 GiB estimate driven "
    "by --d 1e9; --help says the --sample-seeds path needs d <= 20000, which is not what is "
    "reported (the samples memory check in sims/commands/exact.py comes first)",
    "e-tseed-neg": "names seed, which is a different option (--seed); with --dense the value "
    "reaches theory/objectives.py transform(seed=...) unchecked by the CLI",
    "v-tseed-neg": "as e-tseed-neg: verify passes --transform-seed to theory/objectives.py "
    "transform, whose check names seed",
    "v-dsweep-neg": "syntax is checked as d-sweep, but the range check in theory/claims_model.py "
    "(ClaimConfig, v.integer(x, 'd_sweep')) names d_sweep",
    "h-localsteps-0": "sims/commands/bench.py run validates after argparse with snake_case names "
    "(local_steps), not --local-steps",
    "h-huge-nd": "as h-localsteps-0: n_clients instead of --n-clients (refused before "
    "allocating, which is right)",
    "d-cifar-empty-dir": "names the API parameter path (sims/data/datasets.py load_cifar10), not "
    "--data-path; the file is checked only once the first experiment has started (a progress "
    "line precedes the error)",
    "d-npz-garbage": "names path (sims/data/datasets.py load_npz_images), not --data-path",
    "a-optima-empty-N": "numpy's 'need at least one array to stack' leaks: theory/solve.py "
    "optima/_targets does not require N >= 1",
    "a-run-loss-vector": "JAX's own TypeError; sims/core/trainer.py run does not check that loss "
    "returns a scalar, so the message does not name loss",
    "a-run-localsteps-1e9": "refused before allocating (right), but the memory estimate "
    "blames batch_size (= 2) for a cost driven by local_steps = 1e9 (sims/core/trainer.py run: "
    "check_fits names batch_size)",
    "a-partition-minsize-impossible": "min_size=100 cannot be met by 8 rows, but the field named "
    "is n_clients (sims/data/partitions.py); 'n/min_size = 0' only hints at min_size",
    # --- traceback
    "v-mr-list": "internal error: sims/reproduce/report/answer.py answer_from_folder calls "
    "vmap.get on a JSON list; sims/commands/verify.py _answer catches only OSError/ValueError, "
    "so exit 1 'internal error' instead of exit 2 naming --map-results",
    "a-lower_bound-d-bigint": "raw OverflowError from np.asarray in theory/_validate.py array "
    "(via theory/bounds.py _param); the CLI boundary maps it to exit 2, the API does not",
    "a-run-rounds-1e12": "no upper bound on rounds in sims/core/trainer.py run: after compiling, "
    "JAX raises OverflowError (int32) with a multi-line traceback",
    # --- hang
    "d-rounds-1e12": "trackd accepts --rounds 1e12 and was still running when killed at 60 s: "
    "no run-time bound on --rounds in sims/commands/trackd.py (the test table has simulate "
    "refusing --rounds 1000000000000)",
    # --- oom
    "t-mf-hugeheader": "a .npy whose header claims (100000, 100000) float64 but whose data are "
    "truncated: the header probe np.load(mmap_mode='r') in sims/commands/_common.py "
    "_mixing_file_fits raises ValueError and returns without the size check, then the full "
    "np.load allocates 80 GB (MemoryError under the 6 GB limit; exit 1 one line)",
    "s-mf-hugeheader": "as t-mf-hugeheader, and the --n-clients = 4 shape check is skipped too",
    # --- accepted: CLI
    "g-abbrev": "legit: argparse prefix matching (--gra = --graph)",
    "t-n-space": "legit: int() strips whitespace, n = 8",
    "t-n-arabic": "legit: Python int() reads Arabic-Indic digits, n = 8 (lenient)",
    "t-n-fullwidth": "legit: full-width digit read as 8 (lenient)",
    "t-n-underscore": "legit but surprising: Python int() reads 1_0 as 10",
    "t-n-8e0": "legit: integer-valued 8e0 read as 8",
    "t-gamma-negzero": "legit: -0 = 0 is in [0, 1); printed as 'gamma -0' (cosmetic)",
    "t-gamma-1e-400": "legit: underflows to 0, in [0, 1)",
    "t-exp-ying": "legit: the documented pairing (ying with exponential)",
    "t-seed-float-str": "legit: 1e3 read as seed 1000",
    "t-sizes-spaces": "legit: spaces around the commas are stripped",
    "t-mf-int-perm": (
        "legit: valid per the documented contract (integer dtype, stochastic, irreducible); "
        "reported primitive False, lambda 1, gap 0 - right"
    ),
    "t-mf-bigendian": "legit: big-endian float64 ring read correctly",
    "t-mf-float16": "legit: float16 ring (exact values) read correctly",
    "t-mf-perm2": "legit: periodic W is irreducible; output says primitive False, gap 0",
    "t-mf-with-gamma": "legit: --gamma applies to a file matrix",
    "b-d-fullwidth": "legit: full-width 64 read as 64 (lenient)",
    "b-d-1e300": "legit: formulas at d = 1e300 (N = 1e15) are finite",
    "b-d-1": "legit by --help (d >= 1); the bounds are reported vacuous where they are",
    "b-p-subnormal": "legit: 1e-320 is in (0, 1); MIM bounds reported vacuous",
    "b-abar-1": "legit by --help (abar in [1, N])",
    "b-abar-gt-n": (
        "legit: outside the paper's setting, and the output says so in a warning line "
        "(Assumption A.1); the bounds are formulas"
    ),
    "b-frameworks-dup": "legit: the duplicate is collapsed",
    "b-cf-eq37": "inapplicable flag silently ignored: --c-f only enters --fl-term theta "
    "(the project refuses inapplicable flags elsewhere, e.g. --list --force)",
    "b-cn-with-n": "inapplicable flag silently ignored: --c-n is unused when --n is given",
    "b-trh-subnormal": "legit: 1e-320 > 0",
    "e-d-1e20": "legit: documented (the structured path makes any d cheap)",
    "e-n-1e1": "legit: 1e1 read as N = 10 (d accepts the same notation)",
    "e-rareaxis-dup": "legit: a valid configuration (every client's rare class on axis e_5)",
    "e-mf-with-mixing": "inapplicable flag silently ignored: exact uses the file and drops "
    "--mixing metropolis, while topology and simulate refuse the same pair",
    "e-csv-stdout": "legit: documented '-'",
    "v-td-rows-empty": "legit: an empty rows list reads as Track D not run",
    "v-td-mean-huge": "mean = 1e308 for an accuracy difference is accepted (finite-number check "
    "only, no range); the verdict word is taken from the file",
    "v-td-sub-garbage": "legit: the folder's own rows are all decisive, so the garbage "
    "trackd_decisive/ copy is never read (sims/commands/verify.py load_trackd)",
    "v-claims-dup": "legit: duplicate claim collapsed",
    "v-claims-space": "legit: whitespace stripped",
    "v-simseed-alone": "--sim-seed -1 accepted: no range check (argparse type=int) and ignored "
    "without --simulate (inapplicable flag not refused)",
    "s-n-space": "legit: whitespace stripped",
    "s-n-fullwidth": "legit: full-width 4 read as 4 (lenient)",
    "s-d-float": "legit: 8.0 read as d = 8",
    "s-p-1e-17": "legit: p in (0, 1); the not-converged warning is printed",
    "s-pop-samples": "legit: with --population the samples still serve the evaluation "
    "(sample_paper_model is drawn in sims/trackc/simulate.py simulate)",
    "s-gamma-equal": "legit: gamma-min = gamma-max (a constant schedule)",
    "s-cpr-float": "legit: 2.0 read as S = 2",
    "s-mf-perm2": (
        "legit: valid input; simulate says in warning lines that principal_angle_to_exact is "
        "null (MIM at N = 2: the exact target is zero) and that the periodic matrix never "
        "contracts"
    ),
    "s-d-minimum": "legit: d = 2N",
    "s-lr-subnormal-f32": "legit input; the run cannot learn and the not-converged warning says so",
    "r-list-fast": "--fast ignored with --list (same list); harmless, but --force is refused "
    "with --list while --fast is not",
    "r-list-out": "--out ignored with --list (nothing is written); inconsistent with --list "
    "--force being refused",
    "c-same": "legit: a folder equals itself",
    "c-nan-both": "legit: documented NaN equals NaN",
    "c-utf16": "legit: the UTF-16 file is decoded and equal",
    "c-empty-vs-a": "legit: exit 1, 'file only in new'",
    "c-nan": "right verdict (exit 1, differ); NaN is shown as None",
    "c-str": "right: 1.0 vs '1.0' differ (exit 1)",
    "c-list": "right: dict vs list differ (exit 1)",
    "c-devzero": "right: exit 1 (differ), the entry reported as not a regular file",
    "c-dupkeys": "duplicate keys: last wins (2.0), reported as a difference; standard JSON "
    "reading, no word about the duplicate",
    "c-1e400": "right verdict (differ); 1e400 is read as inf and shown as None",
    "c-bool": "right: 1.0 vs true differ",
    "c-null": "right: 1.0 vs null differ",
    "c-dirjson": "right: exit 1 (differ), the folder named x.json reported as not a regular file",
    "c-fifo": (
        "right: exit 1 (differ), the FIFO named x.json reported as not a regular file, never opened"
    ),
    "c-subfolder": "right at the top level; compare globs *.json non-recursively "
    "(sims/commands/compare.py), so subfolders such as trackd_decisive/ are never compared",
    "c-ignore-commas": "legit: empty --ignore list; the difference is reported (exit 1)",
    "h-quick-n": (
        "legit: --quick skips the per-step loop, as its help now says; the sizes are the given ones"
    ),
    # --- accepted: API
    "a-make_graph-n-float-int": "legit: 5.0 read as n = 5",
    "a-make_graph-ring-seed": (
        "legit: documented (topology.make_graph): deterministic graphs are the same for "
        "every seed and ignore it"
    ),
    "a-mixing-sizes-bool": "True read as size 1 (bools are refused elsewhere, e.g. "
    "make_graph(n=True)); same result as sizes 1",
    "a-mixing-sizes-frac": "legit: sizes are positive weights",
    "a-mixing-sizes-uniform": "legit: documented (topology.mixing_matrix): only data_size "
    "depends on the sizes",
    "a-validate_mixing-1x1": "legit: N = 1 is a valid (trivial) mixing matrix for the API",
    "a-optima-zero": "legit: zero targets have the zero optimum (rank 0); degenerate, not invalid",
    "a-bounds-d-bool": "silent wrong input: d=True is evaluated as d = 1 (theory/bounds.py "
    "_param uses v.array, which does not refuse bools as v.integer does)",
    "a-bounds-d-empty": "legit: an empty array broadcasts to empty results",
    "a-bounds-abar-gt-n": (
        "legit: the bounds are formulas; bounds.configuration_warnings names the point "
        "outside Assumption A.1"
    ),
    "a-DataModel-n-float": "legit: 2.0 read as N = 2",
    "a-DataModel-d-1e30": "legit: a parameter only; the structured path handles any d",
    "a-run-pushsum": "legit: a column-stochastic A",
    "a-sample-key-raw-legacy": "legit: jr.PRNGKey keys are documented",
    "a-config-pop-str": "silent wrong answer: population='no' is truthy and switches population "
    "mode ON; sims/core/config.py EngineConfig.__post_init__ does not check bool fields",
    "a-config-decl-cpr": "legit: documented (EngineConfig: DecL ignores clients_per_round, so "
    "one value serves both frameworks); the CLI, where it is typed for decl, refuses it",
    "a-config-huge": "legit: a configuration only (no allocation)",
    "a-config-persist-str": "as a-config-pop-str: persist_opt_state='false' is truthy",
    "a-problem-zero-targets": "legit: zero targets are a valid (degenerate) problem",
    "a-problem-pi-sum": "pi = [0.5, 0.6] silently renormalised to [0.4545, 0.5455] "
    "(sims/core/engine.py make_problem: pi / pi.sum()); solve.optima refuses weights not "
    "summing to 1",
    "a-problem-gamma-nan": "gamma_max=nan accepted: sims/core/engine.py make_problem does not "
    "validate gamma_max/gamma_min at all (here unused by mim; by code reading also for mar)",
    "a-problem-H-singular": "H = 0 accepted for cl-dissimilar: only shape/finiteness is "
    "checked (sims/core/engine.py make_problem); a zero H is not a valid augmentation transform "
    "(not trained further here)",
    "a-problem-targets-bool": "bool targets cast to 0/1 floats silently",
    "a-problem-x-with-pop": "x silently ignored with population=True (inapplicable argument)",
    "a-problem-H-with-mim": "H silently dropped for mim (inapplicable argument)",
}


def _message(res: dict) -> str:
    if res["kind"] == "api" and res.get("result") and res["result"]["status"] == "exc":
        r = res["result"]
        return f"{r['type']}: {r['msg']}"
    if res["kind"] == "api" and res.get("result") and res["result"]["status"] == "ok":
        w = res["result"].get("warnings") or []
        return ("returned " + json.dumps(res["result"]["summary"]))[:200] + (
            f" [warning: {w[0]}]" if w else ""
        )
    if res["rc"] == 0:
        return ("stdout: " + " ".join(res["stdout"].split()))[:200] + (
            " | stderr: " + " ".join(res["stderr"].split())[:150] if res["stderr"].strip() else ""
        )
    return " ".join(res["stderr"].split())


def _md_escape(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ").replace("`", "'")


def write_report(results: list[dict], meta: dict) -> None:
    counts = {c: sum(r["class"] == c for r in results) for c in CLASSES}
    n_cli = sum(r["kind"] == "cli" for r in results)
    lines = [
        "# Hostile-input run",
        "",
        f"- date (UTC): {meta['start']} to {meta['end']}",
        f"- load average at start: {meta['load_start']}",
        f"- load average at end: {meta['load_end']}",
        f"- wall time: {meta['wall_s']:.0f} s",
        f"- total cases: {len(results)} ({n_cli} CLI, {len(results) - n_cli} API)",
        f"- limits per case: subprocess, RLIMIT_AS {MEM_KIB} KiB, {TIMEOUT_S} s timeout, "
        "JAX_PLATFORMS=cpu, cwd a fresh temporary folder",
        "- script: `benchmarks/hostile_run.py` (classes defined in its docstring)",
        "",
        "| class | count |",
        "|---|---|",
    ]
    lines += [f"| {c} | {counts[c]} |" for c in CLASSES]
    lines += [
        "",
        "Reading of the classes: `dssl compare`'s exit 1 with its report on stdout and nothing "
        "on stderr is its documented 'the folders differ' answer and counts as accepted; "
        "progress lines on stderr (`[  0.0 s] table1 (fast preset) ...` of `dssl trackd`, the "
        "`rounds:` bars of `dssl simulate`) are not error lines; the CLI's exit-1 `internal "
        "error: ...` line (an uncaught exception behind the boundary) counts as traceback; an "
        "error about a user's .npz that names the file and array (`f.npz[labels]: ...`) names "
        "the option's file. Every accepted case and every other non-clean case is listed "
        "below with the judgement made after reading its output.",
        "",
        "## Non-clean cases",
        "",
    ]
    for cls in CLASSES[1:]:
        rows = [r for r in results if r["class"] == cls]
        if not rows:
            continue
        lines += [f"### {cls} ({len(rows)})", ""]
        for r in rows:
            call = r["call"] if r["kind"] == "cli" else f"python: {r['call']}"
            code = "timeout" if r["timed_out"] else r["rc"]
            if r["kind"] == "api" and r.get("result"):
                code = "no exception" if r["result"]["status"] == "ok" else "exception"
            lines += [
                f"- `{_md_escape(call)}` ({r['id']}; exit {code}, {r['seconds']} s)",
                f"  - output: {_md_escape(_message(r)[:200])}",
                f"  - judgement: {JUDGE.get(r['id'], '(not judged)')}",
            ]
        lines.append("")
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default=None, help="run only the cases whose id holds this")
    ap.add_argument("--raw", default=None, help="also write every result as JSON here")
    ap.add_argument("--no-report", action="store_true", help="do not write the .md report")
    ap.add_argument("--report-from", default=None, metavar="RAW.json",
                    help="write the report from the results a run saved with --raw (to add "
                    "the judgements of that run's cases) instead of running")  # fmt: skip
    opts = ap.parse_args()
    if opts.report_from:
        with open(opts.report_from, encoding="utf-8") as fh:
            saved = json.load(fh)
        write_report(saved["results"], saved["meta"])
        return 0

    ids = [c[0] for c in CLI_CASES] + [c[0] for c in API_CASES]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    start = _dt.datetime.now(_dt.timezone.utc)
    load_start = " ".join(f"{x:.2f}" for x in os.getloadavg())
    t0 = time.monotonic()
    results = []
    cases = [("cli", c) for c in CLI_CASES] + [("api", c) for c in API_CASES]
    if opts.only:
        cases = [(k, c) for k, c in cases if opts.only in c[0]]
    for i, (kind, case) in enumerate(cases, 1):
        res = run_cli_case(case) if kind == "cli" else run_api_case(case)
        results.append(res)
        print(f"[{i}/{len(cases)}] {res['class']:11s} {res['seconds']:6.1f}s {case[0]}",
              flush=True)  # fmt: skip
    wall = time.monotonic() - t0
    meta = {
        "start": start.strftime("%Y-%m-%d %H:%M:%S"),
        "end": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
        "load_start": load_start,
        "load_end": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "wall_s": wall,
    }
    counts = {c: sum(r["class"] == c for r in results) for c in CLASSES}
    print(f"total {len(results)} cases in {wall:.0f} s")
    for c in CLASSES:
        print(f"  {c:12s} {counts[c]}")
    if opts.raw:
        with open(opts.raw, "w", encoding="utf-8") as fh:
            json.dump({"meta": meta, "results": results}, fh, indent=1)
    if not opts.no_report:
        write_report(results, meta)
    return 0


if __name__ == "__main__":
    sys.exit(main())
