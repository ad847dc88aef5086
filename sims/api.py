"""The plug-in API under the name earlier releases documented (``sims.api.run``): the same
objects as :func:`sims.run`, implemented in :mod:`sims.core.trainer`; and :func:`verify`, the
claims table of ``dssl verify`` at one configuration with the user's own DecL mixing matrix."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from sims.core.mixing import check_mixing, fedavg, gossip, push_sum
from sims.core.trainer import DivergenceWarning, KeyedData, Result, partition, run
from theory import _validate as v
from theory import claims as cl
from theory._validate import sizes_forced

__all__ = [
    "run",
    "KeyedData",
    "partition",
    "Result",
    "check_mixing",
    "fedavg",
    "gossip",
    "push_sum",
    "DivergenceWarning",
    "verify",
    "mixing_scope",
    "sizes_forced",
]

#: the label of the DecL graph in the configuration and the evidence when W is given (the
#: word ``dssl verify --mixing-file`` has always printed)
MIXING_GRAPH_LABEL = "mixing-file"


def mixing_scope(claim_id: str) -> str:
    """``"enters"`` or ``"does not enter: <why>"``: whether a given mixing matrix enters the
    claim's verdicts (the claim's :attr:`theory.claims.Claim.no_mixing`).

    Example:
      >>> mixing_scope("thm4.6"), mixing_scope("cor4.5")[:15]
      ('enters', 'does not enter:')
    """
    v.choice(claim_id, "claim", cl.CLAIM_IDS)
    why = cl.REGISTRY[claim_id].no_mixing
    return f"does not enter: {why}" if why else "enters"


@dataclasses.dataclass(frozen=True)
class _MixingConfig(cl.VerifyConfig):
    """A :class:`theory.claims.VerifyConfig` whose DecL mixing matrix is a given W
    (``weights``: its rows): the graph is W's support (no self loops) and the exact DecL
    objective weighs the clients by W's own Eq. (1) column sums, not by the 1/|A_i| rule."""

    weights: tuple = dataclasses.field(default=(), metadata={"json": False})

    @property
    def graph_label(self) -> str:
        return MIXING_GRAPH_LABEL if self.weights else self.graph

    def adjacency(self, graph: str | None = None, **overrides) -> np.ndarray:
        if graph is None and self.weights:
            return _support(np.asarray(self.weights, dtype=np.float64))
        return super().adjacency(graph, **overrides)

    def mixing(self, graph: str | None = None, **overrides) -> np.ndarray:
        if graph is None and self.weights:
            return np.asarray(self.weights, dtype=np.float64)
        return super().mixing(graph, **overrides)


def _support(W: np.ndarray) -> np.ndarray:
    """The 0/1 adjacency of W's support, without self loops."""
    a = (np.asarray(W) > 0).astype(np.float64)
    np.fill_diagonal(a, 0.0)
    return a


def _is_uniform_rule(W: np.ndarray) -> bool:
    """W = 1/|A_i| on A_i = {j : W_ij > 0} ∪ {i} (the paper's mixing on W's support)."""
    a = _support(W) + np.eye(W.shape[0])
    return bool(np.allclose(W, a / a.sum(axis=1, keepdims=True), atol=1e-12))


#: the VerifyConfig fields a configuration is built from (graph fields excluded with a W)
_CONFIG_FIELDS = tuple(f.name for f in dataclasses.fields(cl.VerifyConfig) if f.init)
#: (graph_seed stays: it seeds the graphs of Cor 4.5's sweep, which W does not replace)
_GRAPH_FIELDS = ("graph", "degree", "avg_degree", "prob", "rows", "cols")


def _evidence(evidence: Any) -> Mapping | None:
    """What a ``track_c`` callback returned, checked: None, or a mapping of claim ids to
    ``theory.claims.Evidence`` values (anything else was read as evidence and failed deep
    inside the table)."""
    from theory.claims_model import Evidence

    if evidence is None:
        return None
    if not isinstance(evidence, Mapping):
        v.fail_type("track_c", "a function returning None or {claim id: Evidence}", evidence)
    for cid, item in evidence.items():
        if not isinstance(cid, str) or not isinstance(item, Evidence):
            v.fail_type(
                "track_c",
                "a function returning None or {claim id: theory.claims.Evidence}",
                _Shown(f"{{{cid!r}: {type(item).__name__}}}"),
            )
    return evidence


class _Shown(str):
    def __repr__(self) -> str:
        return str(self)


def verify(
    *,
    n_clients: int = 4,
    d: int = 400,
    mixing: Any = None,
    claims: Sequence[str] | None = None,
    track_c: Callable[[cl.VerifyConfig], Mapping[str, cl.Evidence]] | None = None,
    on_claim: Callable[[str], object] | None = None,
    **config: Any,
) -> dict:
    r"""The claims table of arXiv 2607.02447 at one configuration, with your own DecL mixing
    matrix: the ``config`` and ``claims`` of ``dssl verify --json`` (``--mixing-file``).

    With ``mixing=W`` the DecL graph of every claim that takes one is W's support
    (:math:`A_i = \{j : W_{ij} > 0\} \cup \{i\}`) and the exact DecL objective weighs client
    j by W's Eq. (1) column sum :math:`\sum_i W_{ij} / N` (the claims are stated for the
    paper's rule :math:`w_{ij} = 1/|A_i|`, §3.3; whether W is that rule is reported as
    ``uniform_rule``).
    Each row then says in ``mixing_file`` whether W enters it (:func:`mixing_scope`). Without
    ``mixing`` the graph is ``config["graph"]`` (a star by default) under the paper's rule.

    Args:
      n_clients: N ≥ 2. d: the input dimension (≥ 2N; any size, the model is solved in blocks).
      mixing: None, or W, an (N, N) matrix: finite, entries ≥ 0, rows summing to 1,
        irreducible (:func:`check_mixing`; errors name ``mixing``). Replaces the graph fields.
      claims: claim ids (:data:`theory.claims.CLAIM_IDS`; default all), in the table's order.
      track_c: None (Track C ``not-run``), or a function of the configuration returning
        ``{claim id: Evidence}``, e.g. ``functools.partial(sims.trackc.evidence
        .track_c_evidence, fast=True)`` (the simulations of ``dssl verify --simulate fast``).
      on_claim: None, or a function of each claim's id as its Tracks A and B start (progress;
        the whole table is refused first where :func:`claims_table_seconds` exceeds 30 min).
      **config: any other field of :class:`theory.claims.VerifyConfig` (p, c, transform,
        d_sweep, c_num, ...; the graph fields only without ``mixing``).

    Returns:
      ``{"config": {...}, "claims": [row, ...]}``, as ``dssl verify --json`` writes them: each
      row ``id``, ``reference``, ``statement``, the verdict words ``track_a``, ``track_b``,
      ``track_c``, ``readings`` and ``evidence``; with ``mixing`` also ``mixing_file``
      (``"enters"`` or ``"does not enter: <why>"``), and the configuration's ``mixing_file``
      block (n, abar, uniform_rule, objective_weights). Track D and the answer table are read
      from result folders by the command. One-line ``ValueError`` naming a bad field.

    Example:
      >>> W = np.array([[0.5, 0.5, 0, 0], [0.25, 0.5, 0.25, 0], [0, 0.25, 0.5, 0.25],
      ...               [0, 0, 0.5, 0.5]])
      >>> table = verify(n_clients=4, d=40, mixing=W, claims=["thm4.6", "cor4.5"],
      ...                d_sweep=(40,))
      >>> [(r["id"], r["mixing_file"][:14]) for r in table["claims"]]
      [('thm4.6', 'enters'), ('cor4.5', 'does not enter')]
      >>> table["config"]["mixing_file"]["uniform_rule"]
      False
    """
    n_clients = _checked(n_clients, track_c, on_claim, config)
    ids = _claim_ids(claims)
    if mixing is None:
        cfg = cl.VerifyConfig(n_clients=n_clients, d=d, **config)
    else:
        given = [k for k in _GRAPH_FIELDS if k in config]
        if given:
            v.fail(given[0], "omitted with mixing (its support is the graph)", config[given[0]])
        W = check_mixing(mixing, n_clients, field="mixing")
        cfg = _MixingConfig(n_clients=n_clients, d=d, **config, weights=_rows(W))
    evidence = None if track_c is None else _evidence(track_c(cfg))
    rows = cl.evaluate(cfg, claims=ids, track_c=evidence, on_claim=on_claim)
    out_config = cl.config_dict(cfg)
    if mixing is not None:
        for r in rows:
            r["mixing_file"] = mixing_scope(r["id"])
        W = cfg.mixing()
        out_config["graph"] = MIXING_GRAPH_LABEL
        out_config["mixing_file"] = {
            "n": int(W.shape[0]),
            "abar": float(cfg.adjacency().sum(axis=1).mean() + 1.0),
            "uniform_rule": _is_uniform_rule(W),
            "objective_weights": "Eq. (1) column sums of the given W",
        }
    return {"config": out_config, "claims": rows}


#: seconds of the claims table (Tracks A and B, every claim, the default d-sweep; Track C's
#: training not included) as ``a + b·N³ + c·N⁵`` for ``CLAIMS_TABLE_SECONDS = (a, b, c)``: on 2
#: AMD EPYC cores at load average 1-2, ``dssl verify`` took 6.9, 7.8, 11.3, 19.1, 27.5, 35.6
#: and 208.6 s at N = 4, 10, 20, 30, 35, 40 and 60 (d = 400; 7.1 and 9.9 s at d = 10⁶,
#: N = 10 and 20), about 3 s of it starting Python and JAX; the fit is within 1.5 times of
#: each (over, at N = 35 and 40)
CLAIMS_TABLE_SECONDS = (4.0, 5e-4, 1.2e-7)


def claims_table_seconds(n_clients: int) -> float:
    """The whole claims table's time estimate at N clients (:data:`CLAIMS_TABLE_SECONDS`); a
    few claims take less, though not in proportion (they share the optima they solve)."""
    a, b, c = CLAIMS_TABLE_SECONDS
    return a + b * float(n_clients) ** 3 + c * float(n_clients) ** 5


def _checked(n_clients: Any, track_c: Any, on_claim: Any, config: Mapping) -> int:
    """:func:`verify`'s arguments checked before anything runs: the fields, the functions,
    and the whole table's time against the budget (``sizes_forced`` goes on); N."""
    if unknown := sorted(set(config) - set(_CONFIG_FIELDS)):
        v.fail("config", "VerifyConfig fields (" + ", ".join(_CONFIG_FIELDS) + ")", unknown[0])
    n_clients = v.integer(n_clients, "n_clients", lo=2)
    for name, fn in (("track_c", track_c), ("on_claim", on_claim)):
        if fn is not None and not callable(fn):
            v.fail(name, f"None or a function ({name} of the claims table)", fn)
    v.check_time("n_clients", n_clients, claims_table_seconds(n_clients),
                 what="the whole claims table")  # fmt: skip
    return n_clients


def _claim_ids(claims: Any) -> tuple:
    """``claims`` (None: all; one id or a sequence of ids) checked, in the given order."""
    ids = cl.CLAIM_IDS if claims is None else ((claims,) if isinstance(claims, str) else claims)
    ids = tuple(v.choice(c, "claims", cl.CLAIM_IDS) for c in ids)
    if not ids:
        v.fail("claims", "at least one claim id of " + ", ".join(cl.CLAIM_IDS), claims)
    return ids


def _rows(W: np.ndarray) -> tuple:
    return tuple(map(tuple, np.asarray(W, dtype=np.float64).tolist()))
