"""Stage ``topology_audit``: spectra and connectivity of the paper's DecL settings.

Writes ``topology_audit.json`` and three figures (``topology_zoo.png``,
``paper_code_degree.png``, ``paper_settings.png``). All spectral quantities (λ, λ₂, the
effective number of neighbours, the stationary weights) are an extension of the paper, whose
theory uses only |Ā| (docs/theory/consensus.md, note at the top).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from sims.reproduce.figures import topology as figs
from sims.reproduce.pipeline import Stage, StageConfig, field
from theory import spectral, topology
from theory.topology import GRAPHS, MIXINGS


@dataclasses.dataclass(frozen=True)
class Config(StageConfig):
    """Paper's DecL setting (Table 6, Figure 2): ``n_clients`` clients at |Ā| ∈
    ``connectivities`` (the official code's degree is k = |Ā| − 1, docs/theory/decl_weights.md §1),
    each generator × mixing rule over ``seeds`` graphs. ``sizes_range`` (× 1000, drawn once with
    ``sizes_seed``): client sizes of the data_size rule (the official Dirichlet partition is
    balanced, where data_size = uniform; unequal sizes show how far the rule moves λ and π).
    ``zoo_*``: every named graph on ``zoo_n`` nodes. ``degree_sweep``: the official
    generator's realised vs nominal degree ({n: nominal degrees}) over ``degree_seeds``."""

    n_clients: int = field(20, lo=2)
    connectivities: tuple = field((3, 5, 10, 20), lo=2)
    generators: tuple = field(("paper_code", "random_regular"), choices=GRAPHS)
    mixings: tuple = field(
        ("uniform", "metropolis", "max_degree", "data_size", "fedavg"), choices=MIXINGS
    )
    seeds: int = field(20, lo=1)
    sizes_range: tuple = field((0.5, 1.5), lo=0.0)
    sizes_seed: int = field(0, lo=0)
    zoo_n: int = field(16, lo=2)
    zoo_graphs: tuple = field(tuple(GRAPHS), choices=GRAPHS)
    zoo_degree: int = field(4, lo=1)
    zoo_seeds: int = field(10, lo=1)
    gamma: float = field(0.9, lo=0.0, hi=1.0)
    gammas: tuple = field((0.0, 0.5, 0.9, 0.99), lo=0.0, hi=1.0)
    degree_sweep: dict = field(
        {"20": tuple(range(1, 20)), "100": (2, 4, 6, 9, 10, 15, 20, 30, 50, 70, 99)}
    )
    degree_seeds: int = field(50, lo=1)


Config.DEFAULT = Config()
Config.FAST = Config(
    seeds=4,
    zoo_seeds=3,
    degree_sweep={"20": (2, 4, 9, 10, 19), "100": (4, 10, 30)},
    degree_seeds=8,
)


def _seed(*parts: int) -> list[int]:
    return [int(p) for p in parts]


def _mean_std(values: np.ndarray) -> tuple[float, float]:
    values = np.asarray(values, dtype=float)
    if values.size == 0 or np.all(np.isnan(values)):
        return float("nan"), float("nan")
    return float(np.nanmean(values)), float(np.nanstd(values))


def _summaries(mats, adjs, gamma):
    return {
        k: np.asarray(v)
        for k, v in spectral.summary(np.stack(mats), np.stack(adjs), gamma=gamma).items()
        if k not in ("n", "gamma")
    }


def _sizes(cfg: Config, n: int) -> np.ndarray:
    lo, hi = cfg.sizes_range
    rng = np.random.default_rng(cfg.sizes_seed)
    return np.round(1000 * rng.uniform(lo, hi, size=n))


def _paper_settings(cfg: Config) -> dict:
    n = cfg.n_clients
    sizes = _sizes(cfg, n)
    records = []
    for gen_idx, gen in enumerate(cfg.generators):
        for conn in cfg.connectivities:
            k = int(conn) - 1
            graphs = []
            for s in range(cfg.seeds):
                seed = np.random.default_rng(_seed(1, gen_idx, conn, s))
                if gen == "paper_code":
                    graphs.append(topology.paper_code(n, k, seed=seed))
                elif k == n - 1:
                    graphs.append(topology.complete(n))
                else:
                    graphs.append(topology.random_regular(n, k, seed=seed))
            for mixing in cfg.mixings:
                mats = [
                    topology.mixing_matrix(mixing, a, sizes=sizes, any_graph=True) for a in graphs
                ]
                summ = _summaries(mats, graphs, cfg.gamma)
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
    return {"n": n, "seeds": cfg.seeds, "sizes": sizes.tolist(), "records": records}


def _zoo(cfg: Config) -> dict:
    n = cfg.zoo_n
    sizes = _sizes(cfg, n)
    records = []
    for g_idx, graph in enumerate(cfg.zoo_graphs):
        random = graph in topology.RANDOM_GRAPHS
        n_seeds = cfg.zoo_seeds if random else 1
        graphs = [
            topology.make_graph(
                graph,
                n,
                degree=cfg.zoo_degree,
                avg_degree=cfg.zoo_degree,
                seed=np.random.default_rng(_seed(2, g_idx, s)),
            )
            for s in range(n_seeds)
        ]
        rules = [(m, None) for m in cfg.mixings]
        if graph == "exponential":
            rules.append(("ying", topology.exponential_mixing(n)))
        for mixing, fixed in rules:
            if fixed is None:
                mats = [
                    topology.mixing_matrix(mixing, a, sizes=sizes, any_graph=True) for a in graphs
                ]
                adjs = graphs
            else:  # Ying's directed exponential graph: out-degree τ, non-reversible W
                mats = [fixed]
                adjs = [(fixed > 0).astype(float) - np.eye(n)]
            summ = _summaries(mats, adjs, cfg.gamma)
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
                for g in cfg.gammas
            }
            records.append(rec)
    return {"n": n, "gamma": cfg.gamma, "seeds": cfg.zoo_seeds, "records": records}


def _degree_sweep(cfg: Config) -> dict:
    records = []
    for n_text, nominals in cfg.degree_sweep.items():
        n = int(n_text)
        for k in nominals:
            means = np.array(
                [
                    topology.paper_code(n, k, seed=np.random.default_rng(_seed(3, n, k, s))).sum()
                    / n
                    for s in range(cfg.degree_seeds)
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
    return {"seeds": cfg.degree_seeds, "records": records}


def compute(cfg: Config) -> dict:
    """The audit: the paper's settings, the topology zoo and the official generator's degrees."""
    return {
        "config": cfg.to_json(),
        "definitions": {
            "lambda": "||D^1/2 (W - 1 pi^T) D^-1/2||_2 with D = diag(pi): max(|lambda2|,"
            " |lambdaN|) for reversible W, ||W - J||_2 for doubly-stochastic W",
            "avg_connectivity": "|A-bar| = mean_i (deg_i + 1), the client counts itself",
            "weights_gap": "max_j |pi_obj_j - pi_stat_j|: Eq. (1) column-sum weights vs the"
            " stationary distribution, max over seeds",
            "nominal_degree": "the official code's avg_connectivity k = |A-bar| - 1",
        },
        "paper_settings": _paper_settings(cfg),
        "zoo": _zoo(cfg),
        "paper_code_degree": _degree_sweep(cfg),
    }


def summarize(results: dict) -> dict:
    """Mean realised degree of the official generator at nominal 4 and 10."""
    return {
        f"n={r['n']},k={r['nominal']}": round(r["mean"], 3)
        for r in results["paper_code_degree"]["records"]
        if r["nominal"] in (4, 10)
    }


STAGE = Stage(
    "topology_audit",
    Config,
    compute,
    figures={
        "topology_zoo.png": lambda r: figs.make_topology_zoo_figure(r["zoo"]),
        "paper_code_degree.png": lambda r: figs.make_paper_code_degree_figure(
            r["paper_code_degree"]
        ),
        "paper_settings.png": lambda r: figs.make_paper_settings_figure(r["paper_settings"]),
    },
    summarize=summarize,
)
