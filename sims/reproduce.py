"""The main job behind ``dssl reproduce``: named stages that write results under ``out/``.

A stage is ``run(config, out) -> dict``: ``config`` is a read-only mapping (frozen; lists are
tuples), ``out`` the output folder, and the returned JSON-able dict must list the files it
wrote (relative to ``out``) under ``"files"``. Each finished stage is cached at
``<out>/.cache/<stage>-<confighash>.json``; a rerun with the same config (and all files still
present) loads the cache instead of recomputing, so an interrupted run resumes where it
stopped. Extend the job by appending a :class:`Stage` to :data:`STAGES` (or :func:`register`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
from tqdm import tqdm

CACHE_DIR = ".cache"
CACHE_VERSION = 1  # bump to invalidate every cached stage result


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


def config_hash(name: str, config: Mapping) -> str:
    """12 hex digits of SHA-256 over the stage name, cache version and canonical config JSON."""
    text = json.dumps(
        {"stage": name, "version": CACHE_VERSION, "config": thaw(config)}, sort_keys=True
    )
    return hashlib.sha256(text.encode()).hexdigest()[:12]


@dataclasses.dataclass(frozen=True)
class Stage:
    """One named step of the job, with its default and ``--fast`` configs."""

    name: str
    run: Callable[[Mapping, Path], dict]
    config: Mapping
    fast_config: Mapping

    def config_for(self, fast: bool) -> Mapping:
        return freeze(self.fast_config if fast else self.config)


STAGES: list[Stage] = []


def register(stage: Stage) -> Stage:
    """Append ``stage`` to the job (names must be unique)."""
    if any(s.name == stage.name for s in STAGES):
        raise ValueError(f"stage: must have a unique name, got {stage.name!r}")
    STAGES.append(stage)
    return stage


def _to_json(obj):
    from sims.cli import to_jsonable

    return to_jsonable(obj)


def _load_cache(path: Path, out: Path) -> dict | None:
    try:
        cached = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    files = cached.get("result", {}).get("files", [])
    if not all((out / f).exists() for f in files):
        return None
    return cached


def run_stages(
    *,
    fast: bool = False,
    out: str | Path = "figures",
    progress: bool = True,
    stages: list[Stage] | None = None,
    force: bool = False,
) -> dict:
    """Run (or resume) every stage; return the JSON summary.

    Summary keys: out, fast, config_hash (over all stages' hashes), seconds, files (all files
    written, relative to ``out``), stages (per stage: name, config_hash, cached, seconds,
    files, cache_file).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / CACHE_DIR).mkdir(exist_ok=True)
    stages = STAGES if stages is None else stages
    t_start = time.perf_counter()
    rows = []
    bar = tqdm(stages, desc="reproduce", unit="stage", file=sys.stderr, disable=not progress)
    for stage in bar:
        bar.set_postfix_str(stage.name)
        config = stage.config_for(fast)
        digest = config_hash(stage.name, config)
        cache_path = out / CACHE_DIR / f"{stage.name}-{digest}.json"
        cached = None if force else _load_cache(cache_path, out)
        if cached is not None:
            result, seconds, was_cached = cached["result"], cached["seconds"], True
        else:
            t0 = time.perf_counter()
            result = _to_json(stage.run(config, out))
            seconds = time.perf_counter() - t0
            was_cached = False
            cache_path.write_text(
                json.dumps(
                    {
                        "stage": stage.name,
                        "config_hash": digest,
                        "config": thaw(config),
                        "seconds": seconds,
                        "result": result,
                    },
                    indent=1,
                )
            )
        rows.append(
            {
                "name": stage.name,
                "config_hash": digest,
                "cached": was_cached,
                "seconds": round(seconds, 3),
                "files": list(result.get("files", [])),
                "cache_file": str(cache_path.relative_to(out)),
            }
        )
    bar.close()
    overall = hashlib.sha256("".join(r["config_hash"] for r in rows).encode()).hexdigest()[:12]
    return {
        "out": str(out),
        "fast": fast,
        "config_hash": overall,
        "seconds": round(time.perf_counter() - t_start, 3),
        "files": [f for r in rows for f in r["files"]],
        "stages": rows,
    }


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
    "zoo_graphs": [
        "complete",
        "ring",
        "torus",
        "star",
        "hypercube",
        "exponential",
        "erdos_renyi",
        "random_regular",
        "paper_code",
    ],
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


register(Stage("topology_audit", topology_audit, TOPOLOGY_AUDIT_CONFIG, TOPOLOGY_AUDIT_FAST))
