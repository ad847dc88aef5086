"""Stage ``mask``: the exact mask expectation E_m of Eq. (4) (hollow) against the paper's
Eq. (17) (diagonal), and the RVs of the optima they lead to (Thm 4.2 of arXiv 2607.02447).

Writes ``mask.json``, ``mask_expectation.png`` (heat maps of one client's target) and
``mask_rv.png`` (RVs of the exact local and FL optima: exact / paper / independent masks / CL).
"""

from __future__ import annotations

import dataclasses

from sims.reproduce.figures import mask as figs
from sims.reproduce.pipeline import Stage, StageConfig, field
from theory import objectives, solve, symbolic
from theory.datamodel import DataModel


@dataclasses.dataclass(frozen=True)
class Config(StageConfig):
    """``heatmap_*``: one client of a small model for the heat maps (N as in the other figures;
    d small because a d × d matrix is readable only at small d: 2N = 8 signal coordinates and
    4 noise coordinates); ``d``, ``n_clients``: the verification model for the RVs;
    ``methods``: exact-model targets compared."""

    p: float = field(0.75, lo=0.0, hi=1.0)
    heatmap_d: int = field(12, lo=2)
    heatmap_n_clients: int = field(4, lo=1)
    heatmap_client: int = field(0, lo=0)
    d: int = field(400, lo=2)
    n_clients: int = field(4, lo=1)
    methods: tuple = field(
        ("mim", "mim-paper", "mim-independent", "cl"), choices=objectives.METHODS
    )

    def validate(self) -> None:
        if self.heatmap_client >= self.heatmap_n_clients:
            from theory import _validate as v

            v.fail(
                "heatmap_client",
                f"< heatmap_n_clients = {self.heatmap_n_clients}",
                self.heatmap_client,
            )


Config.DEFAULT = Config()
Config.FAST = Config(d=100)


def compute(cfg: Config) -> dict:
    """Heat maps of the targets, the symbolic Eq. (17) check, and the RVs of the optima."""
    small = DataModel(d=cfg.heatmap_d, n_clients=cfg.heatmap_n_clients)
    i = cfg.heatmap_client
    heat = {
        m: objectives.population_targets(small, m, p=objectives.p_for(m, cfg.p))[i]
        for m in cfg.methods
    }
    sym = symbolic.check_eq17(3)
    model = DataModel(d=cfg.d, n_clients=cfg.n_clients)
    n, c = model.n_clients, model.c
    rvs = {}
    for m in cfg.methods:
        opt = solve.optima(objectives.population_targets(model, m, p=objectives.p_for(m, cfg.p)), c)
        r_fl = solve.representability_vector(opt["fl"])
        r_loc = solve.representability_vector(opt["local"][0])
        rvs[m] = {
            "fl": r_fl[:c],
            "local_client1": r_loc[:c],
            "fl_spread_N": solve.sensitivity_N(r_fl, n),
            "fl_spread_c": solve.sensitivity_c(r_fl, c),
            "fl_min_N": float(r_fl[:n].min()),
        }
    return {
        "config": cfg.to_json(),
        "heatmap": {"d": small.d, "n_clients": small.n_clients, "client": i, "targets": heat},
        "symbolic": {k: str(val) for k, val in sym.items()},
        "rv": {"d": model.d, "n_clients": n, "c": c, "methods": rvs},
    }


def summarize(results: dict) -> dict:
    """min r over [N] of the FL optimum, per method."""
    methods = results["rv"]["methods"]
    return {f"FL min r over [N], {m}": round(methods[m]["fl_min_N"], 4) for m in methods}


STAGE = Stage(
    "mask",
    Config,
    compute,
    figures={
        "mask_expectation.png": figs.make_mask_expectation_figure,
        "mask_rv.png": figs.make_mask_rv_figure,
    },
    summarize=summarize,
)
