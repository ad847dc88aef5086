"""The main job behind ``dssl reproduce``: named stages that write results under ``out/``.

A stage is ``run(config, out) -> dict``: ``config`` is a read-only mapping (frozen; lists are
tuples), ``out`` the output folder, and the returned JSON-able dict must list the files it
wrote (relative to ``out``) under ``"files"``. Each finished stage is cached at
``<out>/.cache/<stage>-<confighash>.json``; a rerun with the same config (and all files still
present) loads the cache instead of recomputing, so an interrupted run resumes where it
stopped. A cache file is written to a temporary file and moved into place (``os.replace``),
so a killed run never leaves a half-written one; a cache file that does not parse or does not
belong to its stage and configuration is ignored and the stage recomputed. Extend the job by
appending a :class:`Stage` to :data:`STAGES` (or :func:`register`).

Order of a default run: the built-in stages (``track_a``, ``mask``, ``topology_audit``,
``verify``), then stages registered by other modules (``sims.experiments`` is imported if it
exists and registers its own with :func:`register`), then ``track_c`` and ``report``
(``Stage.order``). A stage result may carry ``"figures"`` (files to link in the report) and
``"summary"`` (a small JSON-able dict the report prints). A stage with ``final=True`` also
receives ``previous=`` (the rows of every stage run before it, results included).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import importlib
import importlib.util
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
from tqdm import tqdm

from theory.topology import GRAPHS

CACHE_DIR = ".cache"
CACHE_VERSION = 2  # bump to invalidate every cached stage result


def freeze(obj: Any) -> Any:
    """Recursively turn dicts into read-only mappings and lists into tuples."""
    if isinstance(obj, Mapping):
        return MappingProxyType({str(k): freeze(v) for k, v in obj.items()})
    if isinstance(obj, (list, tuple)):
        return tuple(freeze(v) for v in obj)
    return obj


def thaw(obj: Any) -> Any:
    """Inverse of :func:`freeze` for JSON: mappings to dicts, tuples to lists."""
    if isinstance(obj, Mapping):
        return {k: thaw(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [thaw(v) for v in obj]
    return obj


@functools.lru_cache(maxsize=1)
def source_fingerprint() -> str:
    """SHA-256 (16 hex digits) of the toolkit's source (every ``.py`` file of ``theory`` and
    ``sims``): part of every stage's cache key, so a cached result never outlives the code that
    computed it."""
    import sims
    import theory

    digest = hashlib.sha256()
    for package in (theory, sims):
        root = Path(package.__file__).resolve().parent
        for path in sorted(root.rglob("*.py")):
            digest.update(str(path.relative_to(root.parent)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def config_hash(name: str, config: Mapping, fingerprint: Callable[[], str] | None = None) -> str:
    """12 hex digits of SHA-256 over the stage name, cache version, the toolkit's source
    fingerprint and canonical config JSON (and ``fingerprint()`` when given)."""
    payload = {
        "stage": name,
        "version": CACHE_VERSION,
        "source": source_fingerprint(),
        "config": thaw(config),
    }
    if fingerprint is not None:
        payload["fingerprint"] = fingerprint()
    text = json.dumps(payload, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


@dataclasses.dataclass(frozen=True)
class Stage:
    """One named step of the job, with its default and ``--fast`` configs."""

    name: str
    run: Callable[..., dict]
    config: Mapping
    fast_config: Mapping
    #: stages run in ascending ``order`` (stable: registration order within an order)
    order: int = 0
    #: cache the result on disk (the report is cheap and depends on every other stage: no)
    cache: bool = True
    #: called as ``run(config, out, previous=rows)`` with the rows of the earlier stages
    final: bool = False
    #: optional ``() -> str`` mixed into the config hash (e.g. the source of a plug-in module)
    fingerprint: Callable[[], str] | None = None
    #: stages that must run before this one when a subset is selected (:func:`select_stages`)
    requires: tuple[str, ...] = ()

    def config_for(self, fast: bool) -> Mapping:
        return freeze(self.fast_config if fast else self.config)


STAGES: list[Stage] = []
#: modules imported (if they exist) before a default run; they register their own stages
PLUGINS = ("sims.experiments",)
_plugins_loaded = False


def load_plugins() -> list[str]:
    """Import every module of :data:`PLUGINS` that exists (once); return the names imported.

    A plug-in that exists but fails to import raises: its stages must not vanish silently.
    """
    global _plugins_loaded
    found = [m for m in PLUGINS if importlib.util.find_spec(m) is not None]
    if not _plugins_loaded:
        for module in found:
            importlib.import_module(module)
        _plugins_loaded = True
    return found


def default_stages() -> list[Stage]:
    """The stages of ``dssl reproduce`` in run order (plug-ins loaded first)."""
    load_plugins()
    return sorted(STAGES, key=lambda s: s.order)


def register(stage: Stage) -> Stage:
    """Append ``stage`` to the job (names must be unique)."""
    if any(s.name == stage.name for s in STAGES):
        raise ValueError(f"stage: must have a unique name, got {stage.name!r}")
    STAGES.append(stage)
    return stage


def select_stages(names) -> list[Stage]:
    """The stages named in ``names`` (a list, or one comma-separated string), in run order.

    Raises ValueError (one line) for an unknown or repeated name, an empty selection, or a stage
    selected without a stage it requires (``Stage.requires``; e.g. ``report`` needs ``verify``).

    Example:
      >>> [s.name for s in select_stages("verify,mask")]
      ['mask', 'verify']
    """
    from theory import _validate as v

    known = {s.name: s for s in default_stages()}
    allowed = "a comma-separated list of " + ", ".join(known)
    if isinstance(names, str):
        names = names.split(",")
    names = [str(n).strip() for n in names]
    if not names or any(not n for n in names):
        v.fail("stages", allowed, ",".join(names))
    for n in names:
        if n not in known:
            v.fail("stages", allowed, n)
    if len(set(names)) != len(names):
        v.fail("stages", allowed + " (each once)", ",".join(names))
    for n in names:
        missing = [r for r in known[n].requires if r not in names]
        if missing:
            v.fail("stages", f"a list that includes {', '.join(missing)} (needed by {n})", n)
    return [s for s in known.values() if s.name in names]  # the default run order


def _to_json(obj):
    from sims.cli import to_jsonable

    return to_jsonable(obj)


def _load_cache(path: Path, out: Path, *, name: str, digest: str) -> dict | None:
    """The cached entry of stage ``name`` at ``digest``, or ``None`` (absent, unreadable,
    truncated, not this stage's or configuration's, or one of its files missing)."""
    try:
        cached = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(cached, dict) or (cached.get("stage"), cached.get("config_hash")) != (
        name,
        digest,
    ):
        return None
    result, seconds = cached.get("result"), cached.get("seconds")
    if not isinstance(result, dict) or not isinstance(seconds, (int, float)):
        return None
    files = result.get("files", [])
    if not isinstance(files, list) or not all((out / f).is_file() for f in files):
        return None
    return cached


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that ``path`` is never seen half-written: a temporary file
    in the same folder, flushed and fsynced, then ``os.replace`` (atomic on POSIX and Windows)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def run_stages(
    *,
    fast: bool = False,
    out: str | Path = "figures",
    progress: bool = True,
    stages: list[Stage] | None = None,
    force: bool = False,
    blas_threads: int | None = None,
) -> dict:
    """Run (or resume) every stage; return the JSON summary.

    ``blas_threads``: cap the BLAS/LAPACK threads of NumPy/SciPy while the stages run
    (``threadpoolctl``; ``None`` leaves the library default). On small shared CPUs one thread
    avoids the oversubscription that makes multi-threaded ``eigh`` erratic; JAX is unaffected.

    Summary keys: out, fast, config_hash (over all cached stages' hashes), seconds, files (all files
    written, relative to ``out``), stages (per stage: name, config_hash, cached, seconds,
    files, cache_file, and ``summary`` when the stage returned one). ``stages=None`` runs
    :func:`default_stages`.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / CACHE_DIR).mkdir(exist_ok=True)
    stages = default_stages() if stages is None else sorted(stages, key=lambda s: s.order)
    t_start = time.perf_counter()
    with contextlib.ExitStack() as stack:
        # the stages compute theory in float64 (scoped: the caller's JAX setting is restored)
        from theory._precision import x64

        stack.enter_context(x64())
        if blas_threads is not None:
            from threadpoolctl import threadpool_limits

            stack.enter_context(threadpool_limits(limits=int(blas_threads), user_api="blas"))
        rows = _run_rows(stages, fast=fast, out=out, progress=progress, force=force)
    # uncached stages (the report) have no results of their own to identify
    overall = hashlib.sha256(
        "".join(r["config_hash"] for r in rows if r["cache"]).encode()
    ).hexdigest()[:12]
    summary_rows = []
    for r in rows:
        row = {k: r[k] for k in ("name", "config_hash", "cached", "seconds", "files", "cache_file")}
        if "summary" in r["result"]:
            row["summary"] = r["result"]["summary"]
        summary_rows.append(row)
    return {
        "out": str(out),
        "fast": fast,
        "config_hash": overall,
        "seconds": round(time.perf_counter() - t_start, 3),
        "files": [f for r in rows for f in r["files"]],
        "stages": summary_rows,
    }


def _run_rows(stages: list[Stage], *, fast: bool, out: Path, progress: bool, force: bool):
    rows: list[dict] = []
    bar = tqdm(stages, desc="reproduce", unit="stage", file=sys.stderr, disable=not progress)
    for stage in bar:
        bar.set_postfix_str(stage.name)
        config = stage.config_for(fast)
        digest = config_hash(stage.name, config, stage.fingerprint)
        cache_path = out / CACHE_DIR / f"{stage.name}-{digest}.json"
        cached = None
        if stage.cache and not force:
            cached = _load_cache(cache_path, out, name=stage.name, digest=digest)
        if cached is not None:
            result, seconds, was_cached = cached["result"], cached["seconds"], True
        else:
            t0 = time.perf_counter()
            if stage.final:
                raw = stage.run(config, out, previous=rows)
            else:
                raw = stage.run(config, out)
            result = _to_json(raw)
            seconds = time.perf_counter() - t0
            was_cached = False
            if stage.cache:
                write_atomic(
                    cache_path,
                    json.dumps(
                        {
                            "stage": stage.name,
                            "config_hash": digest,
                            "config": thaw(config),
                            "seconds": seconds,
                            "result": result,
                        },
                        indent=1,
                    ),
                )
        rows.append(
            {
                "name": stage.name,
                "config_hash": digest,
                "cached": was_cached,
                "seconds": round(seconds, 3),
                "files": list(result.get("files", [])),
                "cache_file": str(cache_path.relative_to(out)) if stage.cache else None,
                "config": thaw(config),
                "result": result,
                "cache": stage.cache,
            }
        )
    bar.close()
    return rows


# --------------------------------------------------------------------------------------------
# stage 1: topology audit of the paper's settings
# --------------------------------------------------------------------------------------------

TOPOLOGY_AUDIT_CONFIG = {
    # Paper's DecL setting (Table 6, Figure 2): 20 clients, |Ā| in {3, 5, 10, 20};
    # the official code's degree is k = |Ā| − 1 (paper.md §3.1).
    "n_clients": 20,
    "connectivities": [3, 5, 10, 20],
    "generators": ["paper_code", "random_regular"],
    "mixings": ["uniform", "metropolis", "max_degree", "data_size", "fedavg"],
    "seeds": 20,
    # Client sizes for the data_size rule: uniform on [lo, hi] × 1000, drawn once. The official
    # Dirichlet partition is balanced (equal sizes, where data_size = uniform); unequal sizes
    # show how far the code's rule can move λ and π.
    "sizes_range": [0.5, 1.5],
    "sizes_seed": 0,
    # Topology zoo.
    "zoo_n": 16,
    "zoo_graphs": list(GRAPHS),
    "zoo_degree": 4,
    "zoo_seeds": 10,
    "gamma": 0.9,
    "gammas": [0.0, 0.5, 0.9, 0.99],
    # paper_code realised vs nominal degree.
    "degree_sweep": {
        "20": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
        "100": [2, 4, 6, 9, 10, 15, 20, 30, 50, 70, 99],
    },
    "degree_seeds": 50,
}

TOPOLOGY_AUDIT_FAST = {
    **TOPOLOGY_AUDIT_CONFIG,
    "seeds": 4,
    "zoo_seeds": 3,
    "degree_sweep": {"20": [2, 4, 9, 10, 19], "100": [4, 10, 30]},
    "degree_seeds": 8,
}


def _seed(*parts: int) -> list[int]:
    return [int(p) for p in parts]


def _mean_std(values: np.ndarray) -> tuple[float, float]:
    values = np.asarray(values, dtype=float)
    if values.size == 0 or np.all(np.isnan(values)):
        return float("nan"), float("nan")
    return float(np.nanmean(values)), float(np.nanstd(values))


def _summaries(mats, adjs, gamma):
    from theory import spectral

    return {
        k: np.asarray(v)
        for k, v in spectral.summary(np.stack(mats), np.stack(adjs), gamma=gamma).items()
        if k not in ("n", "gamma")
    }


def _sizes(config, n):
    lo, hi = config["sizes_range"]
    rng = np.random.default_rng(config["sizes_seed"])
    return np.round(1000 * rng.uniform(lo, hi, size=n))


def _paper_settings(config) -> dict:
    from theory import topology

    n = config["n_clients"]
    sizes = _sizes(config, n)
    records = []
    for gen_idx, gen in enumerate(config["generators"]):
        for conn in config["connectivities"]:
            k = int(conn) - 1
            graphs = []
            for s in range(config["seeds"]):
                seed = np.random.default_rng(_seed(1, gen_idx, conn, s))
                if gen == "paper_code":
                    graphs.append(topology.paper_code(n, k, seed=seed))
                elif k == n - 1:
                    graphs.append(topology.complete(n))
                else:
                    graphs.append(topology.random_regular(n, k, seed=seed))
            for mixing in config["mixings"]:
                mats = [topology.mixing_matrix(mixing, a, sizes=sizes) for a in graphs]
                summ = _summaries(mats, graphs, config["gamma"])
                gap_w = np.abs(summ["objective_weights"] - summ["stationary_weights"]).max(axis=1)
                lam, lam_sd = _mean_std(summ["lambda"])
                l2, l2_sd = _mean_std(summ["lambda2"])
                nw, nw_sd = _mean_std(summ["effective_neighbours"])
                records.append(
                    {
                        "generator": gen,
                        "mixing": mixing,
                        "nominal_connectivity": int(conn),
                        "nominal_degree": k,
                        "avg_connectivity": float(summ["avg_connectivity"].mean()),
                        "avg_connectivity_min": float(summ["avg_connectivity"].min()),
                        "avg_connectivity_max": float(summ["avg_connectivity"].max()),
                        "lambda": lam,
                        "lambda_std": lam_sd,
                        "lambda2": l2,
                        "lambda2_std": l2_sd,
                        "spectral_gap": 1.0 - lam,
                        "p": float(np.mean(1.0 - summ["lambda"] ** 2)),
                        "effective_neighbours": nw,
                        "effective_neighbours_std": nw_sd,
                        "weights_gap": float(gap_w.max()),
                        "doubly_stochastic_fraction": float(summ["doubly_stochastic"].mean()),
                        "symmetric_fraction": float(summ["symmetric"].mean()),
                    }
                )
    return {"n": n, "seeds": config["seeds"], "sizes": sizes.tolist(), "records": records}


def _zoo(config) -> dict:
    from theory import spectral, topology

    n = config["zoo_n"]
    sizes = _sizes(config, n)
    records = []
    for g_idx, graph in enumerate(config["zoo_graphs"]):
        random = graph in topology.RANDOM_GRAPHS
        n_seeds = config["zoo_seeds"] if random else 1
        graphs = [
            topology.make_graph(
                graph,
                n,
                degree=config["zoo_degree"],
                avg_degree=config["zoo_degree"],
                seed=np.random.default_rng(_seed(2, g_idx, s)),
            )
            for s in range(n_seeds)
        ]
        rules = [(m, None) for m in config["mixings"]]
        if graph == "exponential":
            rules.append(("ying", topology.exponential_mixing(n)))
        for mixing, fixed in rules:
            if fixed is None:
                mats = [topology.mixing_matrix(mixing, a, sizes=sizes) for a in graphs]
                adjs = graphs
            else:  # Ying's directed exponential graph: out-degree τ, non-reversible W
                mats = [fixed]
                adjs = [(fixed > 0).astype(float) - np.eye(n)]
            summ = _summaries(mats, adjs, config["gamma"])
            rec = {"graph": graph, "mixing": mixing, "seeds": len(mats)}
            for key in (
                "lambda",
                "lambda2",
                "spectral_gap",
                "p",
                "avg_connectivity",
                "effective_neighbours",
            ):
                rec[key], rec[key + "_std"] = _mean_std(summ[key])
            for key in ("doubly_stochastic", "symmetric", "reversible", "primitive"):
                rec[key] = bool(np.all(summ[key]))
            rec["weights_gap"] = float(
                np.abs(summ["objective_weights"] - summ["stationary_weights"]).max()
            )
            stacked = np.stack(mats)
            rec["effective_neighbours_by_gamma"] = {
                str(g): _mean_std(np.asarray(spectral.effective_neighbours(stacked, g)))[0]
                for g in config["gammas"]
            }
            records.append(rec)
    return {"n": n, "gamma": config["gamma"], "seeds": config["zoo_seeds"], "records": records}


def _degree_sweep(config) -> dict:
    from theory import topology

    records = []
    for n_text, nominals in config["degree_sweep"].items():
        n = int(n_text)
        for k in nominals:
            means = np.array(
                [
                    topology.paper_code(n, k, seed=np.random.default_rng(_seed(3, n, k, s))).sum()
                    / n
                    for s in range(config["degree_seeds"])
                ]
            )
            records.append(
                {
                    "n": n,
                    "nominal": int(k),
                    "mean": float(means.mean()),
                    "std": float(means.std()),
                    "min": float(means.min()),
                    "max": float(means.max()),
                    "excess": float(means.mean() - k),
                }
            )
    return {"seeds": config["degree_seeds"], "records": records}


def topology_audit(config: Mapping, out: Path) -> dict:
    """Stage ``topology_audit``: spectra and connectivity of the paper's DecL settings.

    Writes ``topology_audit.json`` and three figures (``topology_zoo.png``,
    ``paper_code_degree.png``, ``paper_settings.png``) under ``out``. All spectral quantities
    are an extension of the paper (whose theory uses only |Ā|; paper.md §1 item 1).
    """
    from sims import plotting

    out = Path(out)
    paper = _paper_settings(config)
    zoo = _zoo(config)
    degree = _degree_sweep(config)
    audit = {
        "config": thaw(config),
        "definitions": {
            "lambda": "||D^1/2 (W - 1 pi^T) D^-1/2||_2 with D = diag(pi): max(|lambda2|,"
            " |lambdaN|) for reversible W, ||W - J||_2 for doubly-stochastic W",
            "avg_connectivity": "|A-bar| = mean_i (deg_i + 1), the client counts itself",
            "weights_gap": "max_j |pi_obj_j - pi_stat_j|: Eq. (1) column-sum weights vs the"
            " stationary distribution, max over seeds",
            "nominal_degree": "the official code's avg_connectivity k = |A-bar| - 1",
        },
        "paper_settings": paper,
        "zoo": zoo,
        "paper_code_degree": degree,
    }
    audit = _to_json(audit)
    (out / "topology_audit.json").write_text(json.dumps(audit, indent=1, allow_nan=False))
    files = ["topology_audit.json"]
    for name, maker, section in (
        ("topology_zoo.png", plotting.make_topology_zoo_figure, zoo),
        ("paper_code_degree.png", plotting.make_paper_code_degree_figure, degree),
        ("paper_settings.png", plotting.make_paper_settings_figure, paper),
    ):
        plotting.savefig(maker(_to_json(section)), out / name)
        files.append(name)
    headline = {
        f"n={r['n']},k={r['nominal']}": round(r["mean"], 3)
        for r in degree["records"]
        if r["nominal"] in (4, 10)
    }
    return {"files": files, "paper_code_mean_degree": headline}


# --------------------------------------------------------------------------------------------
# stage: Track A bounds vs d, with Track B exact sensitivities overlaid
# --------------------------------------------------------------------------------------------

TRACK_A_CONFIG = {
    "p": 0.75,
    # N is given (not C_N d^{1/20}), equal to the exact model's N, so the three tracks compare
    # the same configuration; the DecL graph is the irregular star (on regular graphs the exact
    # Eq. (1) objective equals FL, paper.md §4.8(c)).
    "n_clients": 4,
    "graph": "star",
    # d grid of the bounds: 10^lo .. 10^hi, `num` points (log-spaced).
    "d_log10": [2.0, 12.0, 61],
    # hidden constants C_num, C_den (and tr(H) for CL with dissimilar augmentations) swept over
    # `points` log-spaced values in [lo, hi]; the band is min..max over the product grid.
    "constants_range": [0.1, 10.0],
    "constants_points": 5,
    "sign": "+",
    "fl_term": "eq37",
    # slope of log(s^C/s^M) vs log d is fitted on d >= 10^fit_from_log10 (Thm 4.4: 1/5).
    "fit_from_log10": 8.0,
    # Track B: exact optima (population targets, Eckart-Young) at these d.
    "exact_d": [100, 200, 400, 800],
    "exact_methods": ["mim", "mim-paper", "cl", "cl-dissimilar"],
    "transform": "rotation",
    "transform_seed": 0,
    # Cor 4.5 / Thm 4.6: N clients, graphs of increasing |Ā| (the paper's generator at each
    # degree and seed, plus star, ring and complete) at one d.
    "connectivity": {
        "n_clients": 10,
        "d": 200,
        "paper_code_seeds": 2,
        "bound_d": [200, 1e6],
        "abar_points": 41,
    },
    "thm46_abar": [2.0, 2.5, 3.0, 3.5, 4.0],
}

TRACK_A_FAST = {
    **TRACK_A_CONFIG,
    "d_log10": [2.0, 12.0, 31],
    "constants_points": 3,
    "exact_d": [100, 200],
    "connectivity": {
        "n_clients": 6,
        "d": 100,
        "paper_code_seeds": 1,
        "bound_d": [100, 1e6],
        "abar_points": 21,
    },
}

_FRAMEWORKS = ("local", "decl", "fl")
_BOUND_METHODS = ("mim", "cl_similar", "cl_dissimilar")
#: exact-model method -> the Track A bound it is compared with
EXACT_TO_BOUND = {
    "mim": "mim",
    "mim-paper": "mim",
    "mim-independent": "mim",
    "cl": "cl_similar",
    "cl-dissimilar": "cl_dissimilar",
}


def _constant_grid(config) -> tuple[np.ndarray, int]:
    """(K, 3) grid of (c_num, c_den, trH) and the index of the all-ones point."""
    lo, hi = config["constants_range"]
    vals = np.geomspace(lo, hi, int(config["constants_points"]))
    grid = np.array([(a, b, t) for a in vals for b in vals for t in vals], dtype=float)
    centre = int(np.argmin(np.abs(np.log(grid)).sum(axis=1)))
    return grid, centre


def _bound_table(config, d: np.ndarray, abar) -> dict:
    """Sensitivities s = 1 − LB over the constant grid: {method: {framework: (K, D)}}.

    One jitted call for the whole (K, D) grid (theory.bounds.evaluate, one compile per shape).
    Where a bound is vacuous (undefined or LB <= 0) s is set to 1: the RV is in [0, 1] anyway.
    """
    from theory import bounds

    grid, _ = _constant_grid(config)
    d, abar = np.broadcast_arrays(np.asarray(d, dtype=float), np.asarray(abar, dtype=float))
    lead = (slice(None),) + (None,) * d.ndim  # constants on a new leading axis: (K, *shape)
    ev = bounds.evaluate(
        d=d[None],
        p=config["p"],
        abar=abar[None],
        n=float(config["n_clients"]),
        trH=grid[:, 2][lead],
        c_num=grid[:, 0][lead],
        c_den=grid[:, 1][lead],
        sign=config["sign"],
        fl_term=config["fl_term"],
    )
    table = {}
    for m in _BOUND_METHODS:
        table[m] = {}
        for f in _FRAMEWORKS:
            s = np.asarray(ev["sensitivity"][m][f], dtype=float)
            vac = np.asarray(ev["vacuous"][m][f], dtype=bool)
            table[m][f] = {"s": np.where(vac, 1.0, s), "vacuous": vac}
    return table


def _exact_row(model, method: str, H, pi_obj, p: float) -> dict:
    """Exact local / FL / DecL optima of one method: gaps 1 − min r and spreads over [N], [c]."""
    from theory import objectives, solve

    n, c = model.n_clients, model.c
    targets = objectives.population_targets(model, method, p=p, H=H)
    opt = solve.optima(targets, c, decl_weights=pi_obj)
    row = {}
    for f in ("fl", "decl"):
        r = solve.representability_vector(opt[f])
        row[f] = {
            "rv_N": r[:n].tolist(),
            "gap_N": float(1.0 - r[:n].min()),
            "spread_N": float(solve.sensitivity_N(r, n)),
            "spread_c": float(solve.sensitivity_c(r, c)),
        }
    gaps, spreads_n, spreads_c = [], [], []
    for i in range(n):
        r = solve.representability_vector(opt["local"][i])
        others = [k for k in range(n) if k != i]  # Thm 4.2/4.3 item 1: k in [N] \ {i}
        gaps.append(1.0 - float(r[others].min()))
        spreads_n.append(solve.sensitivity_N(r, n))
        spreads_c.append(solve.sensitivity_c(r, c))
    row["local"] = {
        "gap_N": float(max(gaps)),
        "spread_N": float(max(spreads_n)),
        "spread_c": float(max(spreads_c)),
        "note": "worst client (max over i)",
    }
    return row


def _graph(name: str, n: int, **kw):
    from theory import topology

    return topology.make_graph(name, n, **kw)


def _weights_of(adjacency) -> tuple[float, np.ndarray]:
    from theory import spectral, topology

    w = topology.mixing_matrix("uniform", adjacency)
    return float(spectral.avg_connectivity(adjacency)), np.asarray(spectral.objective_weights(w))


def exact_vs_d(config) -> dict:
    from theory import objectives
    from theory.datamodel import DataModel

    n = int(config["n_clients"])
    abar, pi_obj = _weights_of(_graph(config["graph"], n, seed=0))
    records = []
    for d in config["exact_d"]:
        model = DataModel(d=int(d), n_clients=n)
        H = objectives.transform(config["transform"], model.d, seed=config["transform_seed"])
        rec = {"d": int(d), "c": model.c, "trH": float(np.trace(H)), "methods": {}}
        for method in config["exact_methods"]:
            rec["methods"][method] = _exact_row(
                model, method, H if method == "cl-dissimilar" else None, pi_obj, config["p"]
            )
        records.append(rec)
    return {"n_clients": n, "graph": config["graph"], "abar": abar, "records": records}


def connectivity_sweep(config) -> dict:
    """Exact DecL optima (Eq. 1 weights) over graphs of increasing |Ā| (Cor 4.5, Thm 4.6)."""
    from theory import objectives, solve
    from theory.datamodel import DataModel

    cc = config["connectivity"]
    n, d = int(cc["n_clients"]), int(cc["d"])
    model = DataModel(d=d, n_clients=n)
    targets = {m: objectives.population_targets(model, m, p=config["p"]) for m in ("mim", "cl")}
    graphs = [("star", {}), ("ring", {}), ("complete", {})]
    for k in range(1, n - 1):
        for s in range(int(cc["paper_code_seeds"])):
            graphs.append(("paper_code", {"avg_degree": float(k), "seed": s}))
    fl = {}
    for m, x in targets.items():
        r = solve.representability_vector(solve.eckart_young_np(x.mean(0), model.c))
        fl[m] = {
            "gap_N": float(1 - r[:n].min()),
            "spread_N": float(solve.sensitivity_N(r, n)),
            "spread_c": float(solve.sensitivity_c(r, model.c)),
        }
    records = []
    for name, kw in graphs:
        abar, pi_obj = _weights_of(_graph(name, n, **kw))
        rec = {"graph": name, "params": kw, "abar": abar, "pi_spread": float(np.ptp(pi_obj))}
        for m, x in targets.items():
            r = solve.representability_vector(
                solve.eckart_young_np(solve.global_target(x, pi_obj), model.c)
            )
            rec[m] = {
                "gap_N": float(1 - r[:n].min()),
                "spread_N": float(solve.sensitivity_N(r, n)),
                "spread_c": float(solve.sensitivity_c(r, model.c)),
            }
        records.append(rec)
    records.sort(key=lambda r: r["abar"])
    return {"n_clients": n, "d": d, "c": model.c, "fl": fl, "records": records}


def _band(s: np.ndarray) -> dict:
    return {"lo": np.min(s, axis=0), "hi": np.max(s, axis=0)}


def track_a(config: Mapping, out: Path) -> dict:
    """Stage ``track_a``: Thms 4.2–4.6 bounds vs d and |Ā| (Track A) with exact Track B points.

    Writes ``track_a.json`` and five figures: ``thm42_43_sensitivity.png``, ``thm44_ratio.png``,
    ``cor45_connectivity.png``, ``thm46_decl_vs_fl.png`` (see :mod:`sims.plotting`).
    Sensitivities of the exact model are reported over [N] (plotted) and over [c] (JSON).
    """
    from sims import plotting

    out = Path(out)
    lo, hi, num = config["d_log10"]
    d = np.logspace(float(lo), float(hi), int(num))
    grid, centre = _constant_grid(config)
    n = int(config["n_clients"])
    abar, _ = _weights_of(_graph(config["graph"], n, seed=0))
    table = _bound_table(config, d, abar)
    bounds_out = {
        m: {
            f: {
                "central": table[m][f]["s"][centre],
                **_band(table[m][f]["s"]),
                "vacuous_fraction": table[m][f]["vacuous"].mean(axis=0),
            }
            for f in _FRAMEWORKS
        }
        for m in _BOUND_METHODS
    }
    # Thm 4.4: s^C / s^M, constants chosen independently per method.
    ratio = {}
    fit_mask = d >= 10.0 ** float(config["fit_from_log10"])
    for f in _FRAMEWORKS:
        s_c, s_m = table["cl_similar"][f]["s"], table["mim"][f]["s"]
        central = s_c[centre] / s_m[centre]
        slope = float(np.polyfit(np.log(d[fit_mask]), np.log(central[fit_mask]), 1)[0])
        ratio[f] = {
            "central": central,
            "lo": s_c.min(0) / s_m.max(0),
            "hi": s_c.max(0) / s_m.min(0),
            "fitted_slope": slope,
        }
    # Thm 4.6: s_Dec / s_Fed at several |Ā| (central constants).
    thm46 = {}
    for a in config["thm46_abar"]:
        tab = _bound_table(config, d, np.full(d.shape, float(a)))
        thm46[str(a)] = {
            m: tab[m]["decl"]["s"][centre] / tab[m]["fl"]["s"][centre]
            for m in ("mim", "cl_similar")
        }
    # Cor 4.5: DecL bound vs |Ā| at fixed d.
    cc = config["connectivity"]
    abar_grid = np.linspace(2.0, float(cc["n_clients"]), int(cc["abar_points"]))
    cor45_bounds = {}
    for dv in cc["bound_d"]:
        sub = {**config, "n_clients": cc["n_clients"]}
        tab = _bound_table(sub, np.full(abar_grid.shape, float(dv)), abar_grid)
        cor45_bounds[f"{float(dv):g}"] = {
            m: {
                "central": tab[m]["decl"]["s"][centre],
                "lo": tab[m]["decl"]["s"].min(0),
                "hi": tab[m]["decl"]["s"].max(0),
                "fl_central": tab[m]["fl"]["s"][centre, 0],
            }
            for m in ("mim", "cl_similar")
        }
    results = _to_json(
        {
            "config": thaw(config),
            "d": d,
            "abar": abar,
            "constants_grid_size": len(grid),
            "bounds": bounds_out,
            "ratio": ratio,
            "thm46_ratio": thm46,
            "exact": exact_vs_d(config),
            "connectivity": {
                "abar_grid": abar_grid,
                "bounds": cor45_bounds,
                "exact": connectivity_sweep(config),
            },
        }
    )
    (out / "track_a.json").write_text(json.dumps(results, indent=1, allow_nan=False))
    figures = []
    for name, maker in (
        ("thm42_43_sensitivity.png", plotting.make_sensitivity_figure),
        ("thm44_ratio.png", plotting.make_ratio_figure),
        ("cor45_connectivity.png", plotting.make_connectivity_figure),
        ("thm46_decl_vs_fl.png", plotting.make_decl_vs_fl_figure),
    ):
        plotting.savefig(maker(results), out / name)
        figures.append(name)
    summary = {
        f"thm4.4 fitted slope ({f})": round(ratio[f]["fitted_slope"], 4) for f in _FRAMEWORKS
    }
    last = results["exact"]["records"][-1]
    for m in ("mim", "mim-paper", "cl"):
        if m in last["methods"]:
            # + 0.0 turns a rounded -0.0 (1 - r with r = 1 + ε) into 0.0
            summary[f"exact FL gap 1-min r [N], {m}, d={last['d']}"] = (
                round(last["methods"][m]["fl"]["gap_N"], 4) + 0.0
            )
    summary[f"paper FL bound 1-LB, mim, d={last['d']}"] = round(
        float(np.interp(np.log(last["d"]), np.log(d), bounds_out["mim"]["fl"]["central"])), 6
    )
    return {"files": ["track_a.json", *figures], "figures": figures, "summary": summary}


# --------------------------------------------------------------------------------------------
# stage: the mask expectation of Eq. (4) vs the paper's Eq. (17)
# --------------------------------------------------------------------------------------------

MASK_CONFIG = {
    "p": 0.75,
    # heat maps: one client of a small model
    "heatmap_d": 10,
    "heatmap_n_clients": 3,
    "heatmap_client": 0,
    # RVs: the default verification model
    "d": 400,
    "n_clients": 4,
    "methods": ["mim", "mim-paper", "mim-independent", "cl"],
}
MASK_FAST = {**MASK_CONFIG, "d": 100}


def mask(config: Mapping, out: Path) -> dict:
    """Stage ``mask``: exact E_m of Eq. (4) (hollow) vs Eq. (17) (diagonal), and their RVs.

    Writes ``mask.json`` and ``mask_expectation.png`` (heat maps) and ``mask_rv.png`` (RVs of
    the exact local and FL optima for exact / paper / independent masks / CL).
    """
    from sims import plotting
    from theory import objectives, solve, symbolic
    from theory.datamodel import DataModel

    out = Path(out)
    small = DataModel(d=int(config["heatmap_d"]), n_clients=int(config["heatmap_n_clients"]))
    i = int(config["heatmap_client"])
    heat = {m: objectives.population_targets(small, m, p=config["p"])[i] for m in config["methods"]}
    sym = symbolic.check_eq17(3)
    model = DataModel(d=int(config["d"]), n_clients=int(config["n_clients"]))
    n, c = model.n_clients, model.c
    rvs = {}
    for m in config["methods"]:
        opt = solve.optima(objectives.population_targets(model, m, p=config["p"]), c)
        r_fl = solve.representability_vector(opt["fl"])
        r_loc = solve.representability_vector(opt["local"][0])
        rvs[m] = {
            "fl": r_fl[:c],
            "local_client1": r_loc[:c],
            "fl_spread_N": solve.sensitivity_N(r_fl, n),
            "fl_spread_c": solve.sensitivity_c(r_fl, c),
            "fl_min_N": float(r_fl[:n].min()),
        }
    results = _to_json(
        {
            "config": thaw(config),
            "heatmap": {"d": small.d, "n_clients": small.n_clients, "client": i, "targets": heat},
            "symbolic": {k: str(v) for k, v in sym.items()},
            "rv": {"d": model.d, "n_clients": n, "c": c, "methods": rvs},
        }
    )
    (out / "mask.json").write_text(json.dumps(results, indent=1, allow_nan=False))
    figures = ["mask_expectation.png", "mask_rv.png"]
    plotting.savefig(plotting.make_mask_expectation_figure(results), out / figures[0])
    plotting.savefig(plotting.make_mask_rv_figure(results), out / figures[1])
    summary = {f"FL min r over [N], {m}": round(rvs[m]["fl_min_N"], 4) for m in rvs}
    return {"files": ["mask.json", *figures], "figures": figures, "summary": summary}


# --------------------------------------------------------------------------------------------
# stage: the claims registry (Tracks A and B)
# --------------------------------------------------------------------------------------------

VERIFY_CONFIG: dict = {}  # theory.claims.VerifyConfig defaults
VERIFY_FAST = {"d": 200, "d_sweep": [100, 200]}


def _verify_config(config: Mapping):
    from theory.claims import VerifyConfig

    kw = thaw(config)
    if "d_sweep" in kw:
        kw["d_sweep"] = tuple(kw["d_sweep"])
    return VerifyConfig(**kw)


def verify(config: Mapping, out: Path) -> dict:
    """Stage ``verify``: ``theory.claims.evaluate`` (Tracks A and B) → ``verify.json``."""
    from theory import claims

    cfg = _verify_config(config)
    rows = claims.evaluate(cfg)
    payload = _to_json({"config": claims.config_dict(cfg), "claims": rows})
    (Path(out) / "verify.json").write_text(json.dumps(payload, indent=1, allow_nan=False))
    counts: dict = {}
    for r in rows:
        for track in ("track_a", "track_b"):
            counts[f"{track} {r[track]}"] = counts.get(f"{track} {r[track]}", 0) + 1
    return {
        "files": ["verify.json"],
        "config": payload["config"],
        "claims": payload["claims"],
        "summary": counts,
    }


# --------------------------------------------------------------------------------------------
# stage: Track C evidence from the simulations (sims.evidence, when it exists)
# --------------------------------------------------------------------------------------------

TRACK_C_MODULE = "sims.evidence"


def _track_c_fingerprint() -> str:
    spec = importlib.util.find_spec(TRACK_C_MODULE)
    if spec is None or spec.origin is None:
        return "absent"
    return hashlib.sha256(Path(spec.origin).read_bytes()).hexdigest()[:16]


#: claim id of each (bound method, framework) cell of the overlay, and the method whose numbers
#: the Track C evidence of that claim carries
_OVERLAY_CLAIMS = {("mim", fw): (f"thm4.2.{fw}", "mim") for fw in _FRAMEWORKS} | {
    ("cl_similar", fw): (f"thm4.3.{fw}", "cl") for fw in _FRAMEWORKS
}
#: exact-model methods drawn in the overlay (Track B)
_OVERLAY_EXACT = ("mim", "mim-paper", "cl")


def _overlay_track_a_config(track_a_config: Mapping, cfg) -> dict:
    """The ``track_a`` configuration at the Track C configuration (N, graph, p, sign, FL term of
    ``cfg``, a ``theory.claims.VerifyConfig``), restricted to the overlay's exact methods."""
    return {
        **thaw(track_a_config),
        "n_clients": int(cfg.n_clients),
        "graph": cfg.graph,
        "p": float(cfg.p),
        "sign": cfg.sign,
        "fl_term": cfg.fl_term,
        "exact_methods": [m for m in _OVERLAY_EXACT if m in track_a_config["exact_methods"]],
    }


def _overlay_exact(sub: dict, out: Path) -> dict:
    """Track B vs d: the ``exact`` section of ``out/track_a.json`` when that file was written
    with the same N, graph, p, d grid and transform; otherwise :func:`exact_vs_d` recomputed."""
    keys = ("n_clients", "graph", "p", "exact_d", "transform", "transform_seed")
    path = Path(out) / "track_a.json"
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        saved = json.loads(path.read_text())
        same = all(saved["config"][k] == json.loads(json.dumps(sub[k])) for k in keys)
        have = set(saved["exact"]["records"][0]["methods"])
        if same and set(sub["exact_methods"]) <= have:
            return {**saved["exact"], "source": "track_a.json"}
    return {**_to_json(exact_vs_d(sub)), "source": "recomputed"}


def tracks_overlay(track_a_config: Mapping, cfg, evidence: Mapping, out: Path) -> dict:
    """Thms 4.2 (MIM) and 4.3 (CL similar) × local / DecL / FL: the three tracks side by side.

    Track A: the bound s = 1 − LB vs d on the ``track_a`` grid (line: constants 1; band:
    constants swept), computed by :func:`_bound_table` at the Track C configuration's N, |Ā|
    (of ``cfg.adjacency()``), p, sign and FL term. Track B: the exact gaps 1 − min_{k∈[N]} r_k
    vs d (:func:`exact_vs_d`, reused from ``track_a.json`` when it matches). Track C: the trained
    1 − min r at ``cfg.d`` with ±2 standard errors over seeds (``slack_2se`` of the evidence) and
    the paper's LB there, from ``evidence`` (claim id → ``Evidence.to_dict()``; cells without
    evidence are absent). Returns the JSON-able input of
    :func:`sims.plotting.make_tracks_overlay_figure`.
    """
    sub = _overlay_track_a_config(track_a_config, cfg)
    lo, hi, num = sub["d_log10"]
    d = np.logspace(float(lo), float(hi), int(num))
    _, centre = _constant_grid(sub)
    abar, _ = _weights_of(cfg.adjacency())
    table = _bound_table(sub, d, abar)
    bounds_out = {
        m: {
            f: {"central": table[m][f]["s"][centre], **_band(table[m][f]["s"])} for f in _FRAMEWORKS
        }
        for m in ("mim", "cl_similar")
    }
    track_c_rows: dict = {m: {} for m in ("mim", "cl_similar")}
    for (bound, fw), (cid, method) in _OVERLAY_CLAIMS.items():
        ev = evidence.get(cid)
        nums = (ev or {}).get("numbers", {})
        if method not in nums:
            continue
        cell = nums[method]
        track_c_rows[bound][fw] = {
            "claim": cid,
            "d": nums.get("d", cfg.d),
            "gap": 1.0 - float(cell["min_rv"]),
            "err_2se": float(cell.get("slack_2se", 0.0)),
            "one_minus_lb": 1.0 - float(cell["lower_bound"]),
            "verdict": cell.get("verdict", ev["verdict"]),
            "seeds": nums.get("training", {}).get("seeds"),
        }
    return _to_json(
        {
            "config": {
                "d": int(cfg.d),
                "n_clients": int(cfg.n_clients),
                "graph": cfg.graph,
                "p": float(cfg.p),
                "constants_range": sub["constants_range"],
                "constants_points": sub["constants_points"],
            },
            "d": d,
            "abar": abar,
            "bounds": bounds_out,
            "exact": _overlay_exact(sub, out),
            "track_c": track_c_rows,
        }
    )


def track_c(config: Mapping, out: Path) -> dict:
    """Stage ``track_c``: ``sims.evidence.track_c_evidence(cfg)`` if that module exists, and
    the three-track overlay figure.

    ``cfg`` is the ``theory.claims.VerifyConfig`` of the verify stage (same configuration as
    Tracks A and B); ``fast=`` is passed too when the function accepts it. Without the module
    every claim's Track C is ``not-run``. An exception raised by the module is not caught.
    Writes ``tracks_overlay.json`` and ``tracks_overlay.png`` (:func:`tracks_overlay`, with
    ``config["track_a"]``; Track C markers only when the module exists).
    """
    import inspect

    from sims import plotting
    from theory.claims import VERDICTS, Evidence

    out = Path(out)
    cfg = _verify_config(config["verify"])
    rows: dict = {}
    available = importlib.util.find_spec(TRACK_C_MODULE) is not None
    if available:
        module = importlib.import_module(TRACK_C_MODULE)
        fn = module.track_c_evidence
        kwargs = (
            {"fast": bool(config["fast"])} if "fast" in inspect.signature(fn).parameters else {}
        )
        evidence = fn(cfg, **kwargs)
        for cid, ev in dict(evidence).items():
            if not isinstance(ev, Evidence):
                raise TypeError(f"track_c_evidence: {cid!r} must map to theory.claims.Evidence")
            assert ev.verdict in VERDICTS
            rows[str(cid)] = ev.to_dict()
    overlay = tracks_overlay(config["track_a"], cfg, rows, out)
    (out / "tracks_overlay.json").write_text(json.dumps(overlay, indent=1, allow_nan=False))
    plotting.savefig(plotting.make_tracks_overlay_figure(overlay), out / "tracks_overlay.png")
    files = ["tracks_overlay.json", "tracks_overlay.png"]
    if not available:
        return {
            "files": files,
            "figures": ["tracks_overlay.png"],
            "available": False,
            "evidence": {},
            "summary": {"track C": f"not-run ({TRACK_C_MODULE} not available)"},
        }
    counts: dict = {}
    for ev in rows.values():
        counts[ev["verdict"]] = counts.get(ev["verdict"], 0) + 1
    return {
        "files": files,
        "figures": ["tracks_overlay.png"],
        "available": True,
        "evidence": rows,
        "summary": {f"track C {k}": v for k, v in counts.items()},
    }


# --------------------------------------------------------------------------------------------
# stage: the report (last; never cached)
# --------------------------------------------------------------------------------------------


def report(config: Mapping, out: Path, *, previous: list[dict]) -> dict:
    """Stage ``report``: ``report.md`` and ``report.json`` from the results of every stage."""
    from sims import report as report_mod

    return report_mod.write_report(out, previous, fast=bool(config["fast"]))


register(Stage("track_a", track_a, TRACK_A_CONFIG, TRACK_A_FAST))
register(Stage("mask", mask, MASK_CONFIG, MASK_FAST))
register(Stage("topology_audit", topology_audit, TOPOLOGY_AUDIT_CONFIG, TOPOLOGY_AUDIT_FAST))
register(Stage("verify", verify, VERIFY_CONFIG, VERIFY_FAST))
register(
    Stage(
        "track_c",
        track_c,
        {"verify": VERIFY_CONFIG, "fast": False, "track_a": TRACK_A_CONFIG},
        {"verify": VERIFY_FAST, "fast": True, "track_a": TRACK_A_FAST},
        order=50,
        fingerprint=_track_c_fingerprint,
    )
)
register(
    Stage(
        "report",
        report,
        {"fast": False},
        {"fast": True},
        order=100,
        cache=False,
        final=True,
        requires=("verify",),
    )
)
