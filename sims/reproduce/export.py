"""Table-like outputs as pandas DataFrames and CSV files.

:func:`to_dataframe` recognises what it is given (:func:`kind_of`) and returns one tidy table
whose column names are the output keys of :mod:`sims.glossary` (nested keys joined with ``.``,
list entries as ``key[i]``); per kind, its source and what one row is:

* ``d_sweep``: ``theory.structured.d_sweep``; one row per d;
* ``exact_vs_d``: ``theory.sweeps.exact_vs_d``; one row per d × method × framework;
* ``connectivity``: ``theory.sweeps.connectivity_sweep``; one row per graph;
* ``bound_table``: ``theory.sweeps.bound_table``; one row per method × framework × constants ×
  point;
* ``trace``: ``sims.core.trainer.Result`` (its ``trace``), an engine trace,
  ``dssl simulate --trace``; one row per round;
* ``claims``: ``theory.claims.evaluate`` rows, ``dssl verify``; one row per claim;
* ``verdict_map``: ``sims.verdict_map.compute_map`` (its ``cells``); one row per claim ×
  reading × configuration;
* ``map_readings``: ``sims.verdict_map.compact_map`` (verdict_map.json); one row per claim ×
  reading;
* ``verdict_cells``: ``sims.verdict_map.encode_cells`` (verdict_cells.json); one row per
  claim × reading × configuration;
* ``atlas``: ``theory.atlas.atlas_study``; one row per N × mixing × method × sensitivity ×
  graph;
* ``topology``: ``dssl topology`` / ``theory.spectral.summary``; one row per client;
* ``bounds``: ``dssl bounds``; one row per method × framework;
* ``exact``: ``dssl exact`` (structured or dense); one row per optimum;
* ``record``: any other dict (``dssl bench``, ``dssl simulate``); one row.

Values are those of the source, unchanged (floats stay float64). :func:`write_csv` writes the
table with :meth:`pandas.DataFrame.to_csv` (no index column).

Example:
  >>> to_dataframe({"d": [10, 100], "s_N": [(0.0, 0.1), (0.0, 0.2)]}).columns.tolist()
  ['d', 's_N_min', 's_N_max']
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np

from theory import _validate as v

__all__ = ["KINDS", "kind_of", "to_dataframe", "write_csv", "check_csv_path", "flatten"]

KINDS = (
    "d_sweep",
    "exact_vs_d",
    "connectivity",
    "bound_table",
    "trace",
    "claims",
    "verdict_map",
    "map_readings",
    "verdict_cells",
    "atlas",
    "topology",
    "bounds",
    "exact",
    "record",
)

#: Per-round arrays with more values than this per round (e.g. the engine's local iterates)
#: are left out of a trace table; their names are listed in ``df.attrs["left_out"]``.
MAX_TRACE_VALUES = 64

_D_SWEEP_KEYS = {"d", "s_N"}


def _pd():
    import pandas as pd

    return pd


def _plain(x):
    """NumPy/JAX scalars and 0-d arrays as Python scalars; arrays as NumPy arrays."""
    if hasattr(x, "__array__") and not isinstance(x, (str, bytes)):
        a = np.asarray(x)
        return a.item() if a.ndim == 0 else a
    return x


def flatten(obj, prefix: str = "") -> dict:
    """One flat ``{column: scalar}`` record of a nested dict: keys joined with ``.``, list and
    array entries as ``key[i]`` (``key[i,j]`` for 2-D), ``None`` kept.

    >>> flatten({"a": {"b": 1}, "c": [2, 3]})
    {'a.b': 1, 'c[0]': 2, 'c[1]': 3}
    """
    out: dict = {}
    obj = _plain(obj)
    if isinstance(obj, Mapping):
        for k, val in obj.items():
            out.update(flatten(val, f"{prefix}.{k}" if prefix else str(k)))
        return out
    if isinstance(obj, np.ndarray):
        obj = obj.tolist()
    if isinstance(obj, (list, tuple)):
        for i, val in enumerate(obj):
            val = _plain(val)
            if isinstance(val, (list, tuple, np.ndarray)):
                for j, w in enumerate(np.asarray(val, dtype=object).ravel().tolist()):
                    out[f"{prefix}[{i},{j}]"] = _plain(w)
            else:
                out.update(flatten(val, f"{prefix}[{i}]"))
        return out
    out[prefix] = obj
    return out


# ---------------------------------------------------------------------------------------------
# recognising the kind


def _is_trace(obj) -> bool:
    if not isinstance(obj, Mapping) or not obj:
        return False
    lengths = set()
    for val in obj.values():
        if isinstance(val, Mapping):  # a pytree ``record`` inside an api trace
            if not _is_trace(val):
                return False
            continue
        a = np.asarray(_plain(val)) if not isinstance(val, (str, bytes)) else None
        if a is None or a.ndim == 0 or a.dtype == object:
            return False
        lengths.add(a.shape[0])
    return len(lengths) == 1


def kind_of(obj) -> str:
    """The kind of a table-like output (one of :data:`KINDS`); a one-line ValueError for
    anything that is not table-like.

    >>> kind_of([{"id": "eq17", "track_a": "invalid", "track_b": "violated"}])
    'claims'
    """
    if hasattr(obj, "trace") and hasattr(obj, "global_params"):  # sims.core.trainer.Result
        return "trace"
    if isinstance(obj, (list, tuple)):
        if obj and all(isinstance(r, Mapping) and "id" in r and "track_a" in r for r in obj):
            return "claims"
        v.fail("obj", "a table-like output (a list of claim rows)", type(obj).__name__)
    if not isinstance(obj, Mapping):
        v.fail(
            "obj", "a table-like output (dict, list of claim rows or sims.core.trainer.Result)", obj
        )
    keys = set(obj)
    if "cells" in keys and isinstance(obj["cells"], list):
        return "verdict_map"
    if {"codes", "configs", "claims"} <= keys:
        return "verdict_cells"
    if "readings" in keys and "n_cells" in keys:
        return "map_readings"
    if "atlas" in keys and isinstance(obj["atlas"], Mapping):
        return "atlas"
    if "claims" in keys and isinstance(obj["claims"], list):
        return "claims"
    if "records" in keys and isinstance(obj["records"], list):
        recs = obj["records"]
        return "exact_vs_d" if recs and "methods" in recs[0] else "connectivity"
    if _D_SWEEP_KEYS <= keys and isinstance(obj["d"], (list, tuple)):
        return "d_sweep"
    if "trace" in keys and isinstance(obj["trace"], Mapping):
        return "trace"
    if "objective_weights" in keys and "lambda" in keys:
        return "topology"
    if "inputs" in keys and "mim" in keys:
        return "bounds"
    if obj.get("path") in ("structured", "dense") and "method" in keys:
        return "exact"
    first = next(iter(obj.values()))
    if isinstance(first, Mapping) and all(
        isinstance(fw, Mapping) and all(isinstance(x, Mapping) and "s" in x for x in fw.values())
        for fw in obj.values()
    ):
        return "bound_table"
    if _is_trace(obj):
        return "trace"
    return "record"


# ---------------------------------------------------------------------------------------------
# one builder per kind


def _d_sweep(obj) -> list[dict]:
    n = len(obj["d"])
    rows = []
    for i in range(n):
        row = {}
        for k, col in obj.items():
            if not isinstance(col, (list, tuple)) or len(col) != n:
                continue
            val = _plain(col[i])
            if isinstance(val, (list, tuple, np.ndarray)) and len(val) == 2:
                row[f"{k}_min"], row[f"{k}_max"] = _plain(val[0]), _plain(val[1])
            else:
                row[k] = val
        rows.append(row)
    return rows


def _exact_vs_d(obj) -> list[dict]:
    rows = []
    for rec in obj["records"]:
        head = {k: rec[k] for k in rec if k != "methods"}
        for method, frameworks in rec["methods"].items():
            for framework, vals in frameworks.items():
                rows.append({**head, "method": method, "framework": framework, **flatten(vals)})
    return rows


def _connectivity(obj) -> list[dict]:
    return [flatten(rec) for rec in obj["records"]]


def _bound_table(obj) -> list[dict]:
    rows = []
    for method, frameworks in obj.items():
        for framework, vals in frameworks.items():
            s = np.asarray(vals["s"], dtype=float)
            vac = np.asarray(vals.get("vacuous", np.zeros_like(s, dtype=bool)), dtype=bool)
            s2 = s.reshape(s.shape[0], -1) if s.ndim >= 1 else s.reshape(1, 1)
            vac2 = vac.reshape(s2.shape)
            for k in range(s2.shape[0]):
                for j in range(s2.shape[1]):
                    rows.append(
                        {
                            "method": method,
                            "framework": framework,
                            "constants": k,
                            "point": j,
                            "s": float(s2[k, j]),
                            "vacuous": bool(vac2[k, j]),
                        }
                    )
    return rows


def _trace(obj) -> tuple[list[dict], dict]:
    """A trace's rows, and the per-round arrays left out of them (``df.attrs["left_out"]``)."""
    if hasattr(obj, "trace") and hasattr(obj, "global_params"):
        obj = obj.trace
    elif isinstance(obj, Mapping) and "trace" in obj and isinstance(obj["trace"], Mapping):
        obj = obj["trace"]
    cols: dict = {}
    left_out: list[str] = []

    def add(name, val):
        if isinstance(val, Mapping):
            for k, w in val.items():
                add(f"{name}.{k}", w)
            return
        a = np.asarray(_plain(val))
        if a.ndim == 0:
            v.fail("trace", "per-round arrays with a leading rounds axis", f"{name}: a scalar")
        per_round = int(np.prod(a.shape[1:], dtype=np.int64))
        if per_round > MAX_TRACE_VALUES:
            left_out.append(name)
            return
        if a.ndim == 1:
            cols[name] = a
            return
        flat = a.reshape(a.shape[0], -1)
        idx = list(np.ndindex(*a.shape[1:]))
        for j, ix in enumerate(idx):
            cols[f"{name}[{','.join(str(i) for i in ix)}]"] = flat[:, j]

    for k, val in obj.items():
        add(str(k), val)
    lengths = {len(c) for c in cols.values()}
    if len(lengths) > 1:
        v.fail("trace", "arrays with one common number of rounds", sorted(lengths))
    t = lengths.pop() if lengths else 0
    rows = [{"round": i, **{k: _plain(c[i]) for k, c in cols.items()}} for i in range(t)]
    return rows, {"left_out": left_out}


def _readings_text(readings) -> str:
    if not isinstance(readings, Mapping):
        return ""
    return "; ".join(f"{k}: {w}" for k, w in readings.items())


def _claims(obj) -> list[dict]:
    rows = obj["claims"] if isinstance(obj, Mapping) else obj
    out = []
    for r in rows:
        row = {
            k: r.get(k)
            for k in ("id", "reference", "statement", "track_a", "track_b", "track_c")
            if k in r
        }
        if "readings" in r:
            row["readings"] = _readings_text(r["readings"])
        out.append(row)
    return out


def _reading_label(reading) -> str:
    if not reading:
        return "-"
    return ",".join(f"{k}={w}" for k, w in reading.items())


def _verdict_map(obj) -> list[dict]:
    rows = []
    for cell in obj["cells"]:
        row = {"claim": cell.get("claim"), "reading": _reading_label(cell.get("reading"))}
        row.update(flatten(cell.get("config", {})))
        for k in ("track_a", "track_b", "note"):
            if k in cell:
                row[k] = cell[k]
        row.update(flatten(cell.get("numbers", {}), "numbers"))
        rows.append(row)
    return rows


def _map_readings(obj) -> list[dict]:
    rows = []
    for cid, readings in obj["readings"].items():
        for name, r in readings.items():
            rows.append({"claim": cid, "reading": name, **flatten(r)})
    return rows


def _verdict_cells(obj) -> list[dict]:
    from sims.verdict_map import decode_cells

    rows = []
    for c in decode_cells(obj):
        row = {"claim": c["claim"], "reading": _reading_label(c["reading"])}
        row.update(flatten(c["config"]))
        row["track_a"], row["track_b"] = c["track_a"], c["track_b"]
        rows.append(row)
    return rows


def _atlas(obj) -> list[dict]:
    rows = []
    for n_key, block in obj["atlas"].items():
        graphs = list(block.get("graphs", []))
        for mixing, mx in block.get("mixings", {}).items():
            per_graph = {k: mx[k] for k in ("abar", "lambda2", "pi_spread") if k in mx}
            for method, sens in mx.get("methods", {}).items():
                for reading, res in sens.items():
                    s = list(res.get("s", []))
                    tol = list(res.get("tol", [None] * len(s)))
                    for g in range(len(s)):
                        row = {
                            "n": int(block.get("n", n_key)),
                            "graph": graphs[g] if g < len(graphs) else g,
                            "mixing": mixing,
                            "method": method,
                            "sensitivity": reading,
                        }
                        row.update({k: _plain(col[g]) for k, col in per_graph.items()})
                        row["s"], row["tol"] = _plain(s[g]), _plain(tol[g])
                        for k in (
                            "s_fed",
                            "cor45",
                            "cor45_without_r7",
                            "cor45_r6_first_implementation",
                            "violations",
                        ):
                            if k in res:
                                row[k] = _plain(res[k])
                        rows.append(row)
    return rows


_TOPOLOGY_PER_NODE = ("degrees", "connectivity", "objective_weights", "stationary_weights")


def _topology(obj) -> list[dict]:
    n = int(obj["n"])
    scalars = {
        k: _plain(val)
        for k, val in obj.items()
        if not isinstance(_plain(val), (list, tuple, np.ndarray, Mapping))
    }
    rows = []
    for i in range(n):
        row = {"client": i}
        for k in _TOPOLOGY_PER_NODE:
            if k in obj and obj[k] is not None:
                row[k] = _plain(np.asarray(obj[k])[i])
        row.update(scalars)
        rows.append(row)
    return rows


def _bounds(obj) -> list[dict]:
    methods = [m for m in obj if m not in ("inputs", "warnings", "lower_bounds", "vacuous")]
    methods = [m for m in methods if m != "undefined" and isinstance(obj[m], Mapping)]
    rows = []
    for m in methods:
        for f, val in obj[m].items():
            row = {"method": m, "framework": f}
            if isinstance(val, Mapping):  # {"lb", "s", "vacuous", "undefined"}
                row.update(flatten(val))
            else:  # the layout {method: {framework: s}}, lower_bounds/vacuous/undefined apart
                row["s"] = val
                for key, col in (("lb", "lower_bounds"), ("vacuous", "vacuous")):
                    if col in obj:
                        row[key] = obj[col][m][f]
                if "undefined" in obj:
                    row["undefined"] = obj["undefined"][m][f]
            rows.append(row)
    inputs = {k: val for k, val in flatten(obj.get("inputs", {})).items()}
    return [{**row, **inputs} for row in rows]


def _exact(obj) -> list[dict]:
    rows = []
    if obj["path"] == "structured":
        runs = [(f"local{i + 1}", o) for i, o in enumerate(obj["local"])]
        runs += [(k, obj[k]) for k in ("fl", "decl", "decl_stationary", "paper_decl")]
        for name, o in runs:
            if o is None:
                continue
            row = {"optimum": name}
            for k in ("rank", "tied", "exact", "a5_rank_equals_c"):
                row[k] = o.get(k)
            for k in ("s_N", "s_c", "gap"):
                row[f"{k}_min"], row[f"{k}_max"] = o[k][0], o[k][1]
            for k in ("rv_min", "rv_max"):
                row.update(flatten(o[k], k))
            rows.append(row)
        return rows

    def dense_row(optimum, s_n, s_c, rank, rv) -> None:
        rows.append({"optimum": optimum, "s_N": s_n, "s_c": s_c, "rank": rank, **flatten(rv, "rv")})

    local = obj["local_rv"]
    s_n, s_c, rank = obj["sensitivity_N"], obj["sensitivity_c"], obj["rank"]
    for i, r in enumerate(local):
        dense_row(f"local{i + 1}", s_n["local"][i], s_c["local"][i], rank["local"][i], r)
    for key in ("fl", "decl", "decl_stationary"):
        if obj.get(key + "_rv") is not None:
            dense_row(key, s_n[key], s_c[key], rank[key], obj[key + "_rv"])
    if obj.get("paper_decl"):
        pd_ = obj["paper_decl"]
        dense_row("paper_decl", pd_["sensitivity_N"], pd_["sensitivity_c"], None, pd_["rv"])
    return rows


def _record(obj) -> tuple[list[dict], dict]:
    """Any other dict as one row (its ``trace``, if any, left out: a table of its own)."""
    if not isinstance(obj, Mapping):
        v.fail("obj", "a dict for kind 'record'", type(obj).__name__)
    return [flatten({k: val for k, val in obj.items() if k != "trace"})], {}


def _checked(kind: str, builder):
    """``builder`` (output -> rows) as a table; an output it cannot read: one line, the kind."""

    def table(obj) -> tuple[list[dict], dict]:
        try:
            return builder(obj), {}
        except (KeyError, TypeError, IndexError, AttributeError) as err:
            v.fail("obj", f"an output of kind {kind!r}", f"{type(err).__name__}: {err}")

    return table


#: Each kind's table: ``table(obj) -> (rows, attrs)``, the DataFrame's rows and extra attrs.
_TABLES = {
    "trace": _trace,
    "record": _record,
    **{
        kind: _checked(kind, builder)
        for kind, builder in {
            "d_sweep": _d_sweep,
            "exact_vs_d": _exact_vs_d,
            "connectivity": _connectivity,
            "bound_table": _bound_table,
            "claims": _claims,
            "verdict_map": _verdict_map,
            "map_readings": _map_readings,
            "verdict_cells": _verdict_cells,
            "atlas": _atlas,
            "topology": _topology,
            "bounds": _bounds,
            "exact": _exact,
        }.items()
    },
}


def to_dataframe(obj, kind: str | None = None):
    """One pandas DataFrame of a table-like output (see the module docstring for the kinds).

    Args:
      obj: the output: a dict of one of the kinds, a list of claim rows, or a
        ``sims.core.trainer.Result``.
      kind: one of :data:`KINDS`, or None to recognise it (:func:`kind_of`).

    Returns:
      ``pandas.DataFrame``; ``df.attrs["kind"]`` is the kind, and for traces
      ``df.attrs["left_out"]`` the per-round arrays too large for columns.

    Example:
      >>> df = to_dataframe({"loss": [3.0, 2.0], "client_loss": [[1.0, 2.0], [0.5, 1.5]]})
      >>> df.columns.tolist(), df["client_loss[1]"].tolist()
      (['round', 'loss', 'client_loss[0]', 'client_loss[1]'], [2.0, 1.5])
    """
    pd = _pd()
    kind = kind_of(obj) if kind is None else v.choice(kind, "kind", KINDS)
    rows, attrs = _TABLES[kind](obj)
    columns: dict = {}
    for row in rows:
        for k in row:
            columns.setdefault(k, None)
    df = pd.DataFrame(rows, columns=list(columns))
    df.attrs["kind"] = kind
    df.attrs.update(attrs)
    return df


def check_csv_path(path, field: str = "csv") -> str:
    """The absolute path of a CSV file that can be written: a regular file or a free path (a
    folder, a symbolic link, a device, a FIFO or a socket is refused and never replaced:
    :func:`sims.files.check_target`), in a folder that exists or can be
    created and is writable; a one-line ValueError naming ``field`` otherwise (checked before a
    long run starts)."""
    from sims.files import check_target

    if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
        v.fail(field, "a file path", path)
    if str(path).endswith((os.sep, "/")) or (os.altsep and str(path).endswith(os.altsep)):
        v.fail(field, "a file path (it ends in a folder separator)", path)
    check_target(path, field)
    path = os.path.abspath(os.fspath(path))
    parent = os.path.dirname(path)
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.access(parent, os.W_OK | os.X_OK):
        v.fail(field, f"a file in a writable folder (no write permission in {parent})", path)
    if os.path.exists(path) and not os.access(path, os.W_OK):
        v.fail(field, "a writable file", path)
    return path


def write_csv(obj, path, kind: str | None = None, *, field: str = "path") -> str:
    """Write :func:`to_dataframe` of ``obj`` (or ``obj`` itself, if it is a DataFrame) to
    ``path`` as CSV (no index column), atomically with the one writer
    (:func:`sims.files.write_text`); returns the absolute path. ``path``
    must be a regular file or a free path whose folder exists or can be created
    (:func:`check_csv_path`); ``field`` names it in errors.

    Example:
      >>> import tempfile, pathlib
      >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
      >>> _ = write_csv({"loss": [1.0, 0.5]}, p)
      >>> p.read_text().splitlines()
      ['round,loss', '0,1.0', '1,0.5']
    """
    from sims.files import write_text

    path = check_csv_path(path, field)
    pd = _pd()
    df = obj if isinstance(obj, pd.DataFrame) else to_dataframe(obj, kind)
    write_text(path, df.to_csv(index=False), field=field)
    return path
