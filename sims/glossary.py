"""Output keys explained: one glossary of every key that a ``dssl`` subcommand prints with
``--json`` (and writes as ``--csv`` columns), and of the keys of ``report.json`` and
``verdict_map.json``.

Each entry says what the number is, its unit or range, and where it comes from: an equation
of arXiv 2607.02447, or "extension, not in the paper". Keys whose meaning depends on the
command are qualified, e.g. ``topology:p`` (1 − λ² of a mixing matrix) vs ``p`` (the mask
ratio). Families of keys (``*_se``, ``d=400``, reading labels) are matched by
:data:`PATTERNS`, and containers whose children are names rather than keys (claim ids,
reading labels) are listed in :data:`NAME_CONTAINERS`.

* :func:`describe` looks one key up; :func:`unknown_keys` lists the keys of an output that the
  glossary does not explain (the test suite runs every command at small sizes through it);
* :func:`epilog` is the text of ``dssl <command> --help`` after the options;
* :func:`markdown` is the whole glossary as a Markdown table (``docs/glossary.md`` and the
  verification report); ``python -m sims.glossary`` prints it.

Example:
  >>> describe("probe_accuracy").unit
  'fraction in [0, 1]; chance level 1/(2N)'
  >>> describe("p", "topology").unit
  'in [0, 1]'
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from typing import NamedTuple

from theory import _validate as v

PAPER = "arXiv 2607.02447"
EXT = "extension, not in the paper"

#: the output groups: every subcommand, plus the verdict map (``verify --map``,
#: ``verdict_map.json``), the report (``report.json``) of ``dssl reproduce`` and the numbers
#: of a claim's evidence (in verify, the verdict map and the report)
COMMANDS = (
    "topology",
    "bounds",
    "exact",
    "verify",
    "map",
    "simulate",
    "bench",
    "reproduce",
    "trackd",
    "report",
    "evidence",
    "compare",
)

#: the groups whose keys each subcommand's ``--help`` explains
HELP_GROUPS = {
    "topology": ("topology",),
    "bounds": ("bounds",),
    "exact": ("exact",),
    "verify": ("verify", "map", "evidence"),
    "simulate": ("simulate",),
    "bench": ("bench",),
    "reproduce": ("reproduce", "report"),
    "trackd": ("trackd",),
    "compare": ("compare",),
}

#: Thresholds of the non-convergence warning of ``dssl simulate`` (stated in its help and here).
ANGLE_WARN_RAD = 0.25
LOSS_GAP_WARN = 0.05


class Term(NamedTuple):
    """One glossary entry: ``meaning``, ``unit`` (unit or range), ``source`` (an equation of
    the paper or :data:`EXT`) and the output groups (:data:`COMMANDS`) that emit the key."""

    meaning: str
    unit: str
    source: str
    commands: tuple


def _t(meaning: str, unit: str, source: str, commands: str) -> Term:
    return Term(meaning, unit, source, tuple(commands.split()))


_EVIDENCE = "evidence verify map report"
_CLAIMS = "verify map report"
_CFG = "verify map report"

# ---------------------------------------------------------------------------------------------
# the glossary. Keys "command:key" hold the meaning of ``key`` in that command's output where it
# differs from the general entry ``key``.

GLOSSARY: dict[str, Term] = {
    # --- the data model and configuration --------------------------------------------------
    "d": _t(
        "input dimension d of the data model",
        "integer >= 2N",
        "§3.2",
        "exact verify map simulate bench bounds report",
    ),
    "n_clients": _t("number of clients N", "integer >= 2", "§3.2", "exact verify simulate"),
    "n": _t(
        "number of clients N (bounds: given, or C_N·d^(1/20) of Thm 4.2's scaling; trackd "
        "records and compacted lists: the number of values)",
        "N >= 2 (real in bounds)",
        "§3.2, Thm 4.2",
        "topology bounds map trackd",
    ),
    "N": _t("number of clients N of a verdict-map configuration", "integer >= 2", "§3.2", "map"),
    "c": _t(
        "embedding width c (rows of the linear encoder W, c × d)",
        "integer, default 2N",
        "§3.2, Assumption A.5",
        "exact verify simulate bench",
    ),
    "p": _t(
        "mask ratio p of MIM: each coordinate is masked with probability p (NOT the p = 1 − λ² "
        "of a mixing matrix, see topology:p)",
        "in (0, 1)",
        "Eq. (4), Thm 4.2",
        "bounds exact verify map simulate report",
    ),
    "topology:p": _t(
        "p = 1 − λ² of the mixing matrix: the consensus contraction per gossip step "
        "(Koloskova et al. 2020's p; NOT the mask ratio p)",
        "in [0, 1]",
        EXT,
        "topology",
    ),
    "tau": _t(
        "offset scale τ of the frequent classes (null: the default d^(1/5))",
        "> 0",
        "§3.2, Thm 4.2",
        "exact verify bounds",
    ),
    "mu": _t(
        "noise scale μ of the data model (null: the default d^(-1/5))",
        "> 0",
        "§3.2, Thm 4.2",
        "exact verify",
    ),
    "rare_fraction": _t(
        "weight ρ of each client's rare class", "in (0, 1)", "§3.2", "exact verify map"
    ),
    "rare_axis": _t(
        "where the rare class lives: class-index (the literal reading), next-client, "
        "extra (a dedicated axis e_(N+i)) or explicit 1-based axes",
        "name or list",
        "§3.2 (ambiguous in the paper; readings are an extension)",
        "exact verify map",
    ),
    "rare_axes": _t(
        "rare-axis readings of the verdict map's configurations", "list of names", "§3.2", "map"
    ),
    "transform": _t(
        "H of dissimilar CL (Assumption A.9): identity, rotation, permutation, "
        "sign-flip, or dct-rotation (matrix-free)",
        "name",
        "Assumption A.9, Thm 4.3",
        "exact verify",
    ),
    "transform_seed": _t("seed of a random H", "integer >= 0", EXT, "verify"),
    "samples": _t(
        "finite sample size M per client (null: population targets)",
        "integer >= 1 or null",
        EXT,
        "exact",
    ),
    "seed": _t(
        "random seed (graph, samples or training, per command)",
        "integer >= 0",
        EXT,
        "topology simulate verify map",
    ),
    "graph_seed": _t("seed of a random graph", "integer >= 0", EXT, "verify"),
    "config": _t(
        "the configuration the output was computed with (every option, resolved)",
        "object",
        EXT,
        "verify map simulate report reproduce",
    ),
    "method": _t(
        "SSL method: mim (Eq. 4 complementary masks), mim-independent, mim-recon "
        "(Eq. 3), mim-paper (Eq. 17 surrogate), mar, cl (similar), cl-dissimilar",
        "name",
        "§3.1, Eqs. (3)-(5)",
        "exact simulate bench map",
    ),
    "methods": _t(
        "the methods (readings) of a study, each with its results", "object or list", EXT, "map"
    ),
    "framework": _t(
        "training framework: local (one client), fl (FedAvg, Eq. 2) or decl (gossip DecL, Eq. 1)",
        "name",
        "§3.3",
        "simulate bench",
    ),
    "path": _t(
        "how exact computed the optima: structured (any d), dense (d × d), matrix-free "
        "rotation, finite-sample matrix-free",
        "name",
        EXT,
        "exact",
    ),
    "seconds": _t("wall-clock seconds of the computation", "s", EXT, "exact map reproduce report"),
    "notes": _t("remarks on how to read this output", "list of text", EXT, "exact map report"),
    "note": _t("how the evidence of one track was computed", "text", EXT, _EVIDENCE),
    "warnings": _t(
        "the point lies outside the paper's setting, or a bound is undefined there",
        "list of text",
        "Assumption A.1 (2 <= |Ā| <= N)",
        "bounds",
    ),
    # --- topology -------------------------------------------------------------------------
    "graph": _t(
        "communication graph of DecL (its name; in exact an object with name, mixing, "
        "|Ā| and the DecL weights)",
        "name or object",
        "§3.3",
        "topology exact simulate verify map report",
    ),
    "name": _t("name of a graph or stage", "text", EXT, "exact reproduce report"),
    "mixing": _t(
        "mixing rule W of DecL: uniform (w_ij = 1/|A_i|, the paper's), metropolis, "
        "max_degree, data_size, ying (directed exponential) or file",
        "name",
        "Eq. (1); other rules are an extension",
        "topology exact simulate",
    ),
    "mixing_file": _t("the file the mixing matrix was read from", "path", EXT, "topology simulate"),
    "mixings": _t("mixing rules of the atlas study", "list or object", EXT, "map"),
    "uniform": _t("uniform mixing w_ij = 1/|A_i| (the paper's)", "object", "Eq. (1)", "map"),
    "metropolis": _t(
        "Metropolis–Hastings mixing (symmetric, doubly stochastic)", "object", EXT, "map"
    ),
    "max_degree": _t("max-degree mixing w_ij = 1/(1 + max degree)", "object", EXT, "map"),
    "eigenvalues": _t(
        "eigenvalues, descending (topology: of W; exact: of the FL target X̄, the "
        "first 10 distinct values)",
        "reals (null where W is not reversible)",
        "Def. 4.1 (targets); W's spectrum is an extension",
        "topology exact",
    ),
    "eigenvalue_moduli": _t("|eigenvalues| of a non-reversible W", ">= 0", EXT, "topology"),
    "multiplicities": _t("multiplicity of each listed eigenvalue", "integers", EXT, "exact"),
    "lambda2": _t(
        "λ₂: second largest eigenvalue of a reversible W (null otherwise)",
        "in [-1, 1]",
        EXT,
        "topology map",
    ),
    "lambda_min": _t("λ_N: smallest eigenvalue of a reversible W", "in [-1, 1]", EXT, "topology"),
    "lambda": _t(
        "contraction λ = ‖D^½(W − 1πᵀ)D^-½‖₂ = max(|λ₂|, |λ_N|) for reversible W "
        "(= ‖W − J‖₂ for doubly stochastic W)",
        "in [0, 1]",
        EXT,
        "topology",
    ),
    "lambda_definition": _t("which formula gave lambda for this W", "text", EXT, "topology"),
    "contraction": _t(
        "contraction λ of the mixing matrix (as topology's lambda)",
        "in [0, 1]",
        EXT,
        "simulate map",
    ),
    "spectral_gap": _t("spectral gap δ = 1 − λ", "in [0, 1]", EXT, "topology simulate"),
    "avg_connectivity": _t(
        "|Ā| = (1/N)Σ_i |A_i|: the average neighbourhood size INCLUDING "
        "the node itself (= average degree + 1)",
        "in [1, N]",
        "Assumption A.1, Thm 4.2",
        "topology simulate",
    ),
    "abar": _t(
        "|Ā|: average neighbourhood size including the node itself (= average degree + "
        "1; NOT the average degree)",
        "in [1, N] (paper: 2 <= |Ā| <= N)",
        "Assumption A.1, Thms 4.2/4.3, Cor 4.5",
        "bounds exact verify map",
    ),
    "connectivity": _t(
        "|A_i| per node: neighbours including the node itself",
        "integers",
        "Assumption A.1",
        "topology",
    ),
    "degrees": _t("degree per node (neighbours excluding itself)", "integers", EXT, "topology"),
    "mean_degree": _t("average degree (|Ā| − 1)", ">= 0", EXT, "topology"),
    "nominal_degree": _t(
        "degree asked of the official code's generator (paper_code)", "integer", EXT, "topology"
    ),
    "degree_excess": _t(
        "realised mean degree − nominal degree of paper_code", "real", EXT, "topology"
    ),
    "degree": _t("degree of a random regular graph", "integer", EXT, "verify"),
    "avg_degree": _t("average degree asked of erdos_renyi / paper_code", "> 0", EXT, "verify map"),
    "prob": _t("edge probability of erdos_renyi", "in (0, 1]", EXT, "verify"),
    "rows": _t(
        "torus rows (verify config); in the verdict map: one row per claim, keyed by claim id",
        "integer or object",
        EXT,
        "verify map",
    ),
    "cols": _t("torus columns", "integer", EXT, "verify"),
    "objective_weights": _t(
        "π of Eq. (1): π_j = (1/N)Σ_i W_ij, the weight of client j's loss in "
        "the DecL objective (NOT the stationary weights)",
        "sums to 1",
        "Eq. (1)",
        "topology",
    ),
    "stationary_weights": _t(
        "stationary distribution of W (πᵀW = πᵀ): the weights gossip "
        "training converges to; equal to π of Eq. (1) only for doubly "
        "stochastic W",
        "sums to 1",
        EXT,
        "topology exact",
    ),
    "decl_weights": _t(
        "the π of Eq. (1) used for the DecL optimum", "sums to 1", "Eq. (1)", "exact"
    ),
    "effective_neighbours": _t(
        "effective number of neighbours n_W(γ) (Vogels et al. 2022)", "in [1, N]", EXT, "topology"
    ),
    "gamma": _t("decay γ of the effective-neighbours random walk", "in [0, 1)", EXT, "topology"),
    "row_stochastic": _t("rows of W sum to 1", "bool", EXT, "topology"),
    "column_stochastic": _t("columns of W sum to 1", "bool", EXT, "topology"),
    "doubly_stochastic": _t(
        "rows and columns sum to 1 (then π of Eq. (1) is uniform)", "bool", EXT, "topology"
    ),
    "symmetric": _t("W = Wᵀ", "bool", EXT, "topology"),
    "reversible": _t("W is reversible (real spectrum, λ₂ defined)", "bool", EXT, "topology"),
    "primitive": _t("W is primitive (gossip converges)", "bool", EXT, "topology"),
    "pi": _t("π of Eq. (1) per client (exact rationals)", "sums to 1", "Eq. (1)", _EVIDENCE),
    "pi_objective": _t("π of Eq. (1) per client", "sums to 1", "Eq. (1)", _EVIDENCE),
    "pi_stationary": _t("stationary weights of W per client", "sums to 1", EXT, _EVIDENCE),
    "pi_spread": _t("max − min of π of Eq. (1) over clients", ">= 0", EXT, "map"),
    "distinct_pi": _t("number of distinct π vectors among the atlas graphs", "integer", EXT, "map"),
    "graphs": _t("graphs of the atlas (indices into the enumeration)", "list", EXT, "map"),
    "max_n": _t("largest N of the atlas enumeration", "integer", EXT, "map"),
    "families": _t("whether named graph families were added to the atlas", "bool", EXT, "map"),
    "atlas": _t("the graph atlas: every connected graph up to max_n, by N", "object", EXT, "map"),
    "params": _t("generator parameters of a graph", "object", EXT, _EVIDENCE),
    "regular": _t("every node has the same |A_i|", "bool", "Eqs. (27)-(30)", _EVIDENCE),
    "mean_inv_size": _t(
        "(1/N)Σ_i 1/|A_i| (what Eqs. 27-30 need) vs 1/|Ā| (what they use)",
        "exact rational",
        "Eqs. (27)-(30)",
        _EVIDENCE,
    ),
    "inv_abar": _t("1/|Ā|", "exact rational", "Eqs. (27)-(30)", _EVIDENCE),
    # --- Track A: the paper's bounds ------------------------------------------------------------
    "mim": _t(
        "MIM (masked image modelling, Eq. 4); in bounds: Thm 4.2's bound",
        "object",
        "Thm 4.2",
        "bounds verify map report",
    ),
    "cl": _t("CL with similar augmentations (Eq. 5)", "object", "Thm 4.3", _EVIDENCE),
    "cl-dissimilar": _t(
        "CL with dissimilar augmentations x ↦ Hx (Assumption A.9)", "object", "Thm 4.3", _EVIDENCE
    ),
    "cl_similar": _t(
        "Thm 4.3's bound for CL with similar augmentations", "object", "Thm 4.3", "bounds map"
    ),
    "cl_dissimilar": _t(
        "Thm 4.3's bound for CL with dissimilar augmentations (tr H enters)",
        "object",
        "Thm 4.3, Assumption A.9",
        "bounds map",
    ),
    "local": _t(
        "local training (one client alone; exact: one optimum per client)",
        "object or list",
        "Thms 4.2/4.3 item 1",
        "bounds exact verify map report",
    ),
    "decl": _t(
        "DecL with the objective weights π of Eq. (1) (exact: the optimum of "
        "Σ_j π_j X_j; NOT decl_stationary)",
        "object",
        "Eq. (1), Thms 4.2/4.3 item 2",
        "bounds exact verify map report",
    ),
    "decl_stationary": _t(
        "DecL optimum with the stationary weights of W instead of Eq. (1)'s π "
        "(what gossip SGD converges to for a non-doubly-stochastic W)",
        "object",
        EXT,
        "exact",
    ),
    "fl": _t(
        "federated learning (FedAvg, uniform client weights)",
        "object",
        "Eq. (2), Thms 4.2/4.3 item 3",
        "bounds exact verify map report",
    ),
    "paper_decl": _t(
        "paper-DecL: the optimum of the paper's own DecL construction (Eqs. 27-30: "
        "targets kept on the diagonal, averaged with 1/|Ā|); zero for the hollow "
        "exact MIM target",
        "object",
        "Eqs. (27)-(30)",
        "exact",
    ),
    "lb": _t(
        "the paper's lower bound LB on the representability (min RV)",
        "<= 1 (LB <= 0: vacuous)",
        "Thms 4.2/4.3",
        "bounds",
    ),
    "lower_bound": _t("the paper's lower bound LB on min RV", "<= 1", "Thms 4.2/4.3", _EVIDENCE),
    "frameworks": _t(
        "the frameworks whose bounds were asked for (--frameworks; decl needs --abar)",
        "list of local, decl, fl",
        "Thms 4.2/4.3",
        "bounds",
    ),
    "s": _t(
        "sensitivity s = 1 − LB (Track A) or the exact/trained sensitivity of the reading "
        "(Tracks B/C)",
        "in [0, 1]",
        "Thms 4.2-4.6",
        "bounds map verify report",
    ),
    "vacuous": _t(
        "the bound says nothing here (LB <= 0, r >= 0 is known anyway)",
        "bool",
        "Thms 4.2/4.3",
        "bounds",
    ),
    "undefined": _t("a denominator of the bound is <= 0", "bool", "Thms 4.2/4.3", "bounds"),
    "inputs": _t("the resolved inputs of the bounds", "object", EXT, "bounds"),
    "n_source": _t("where N came from: given, or C_N·d^(1/20)", "text", "Thm 4.2", "bounds"),
    "trH": _t("tr(H) of dissimilar CL", "> 0", "Thm 4.3, Assumption A.9", "bounds report"),
    "constants": _t(
        "the hidden constants of the O(·) and Θ(·) terms (c_num, c_den, c_f, c_n)",
        "object",
        "Thms 4.2/4.3 (hidden in the paper)",
        "bounds map",
    ),
    "c_num": _t(
        "constant of the numerator O(·) term",
        "> 0 (1 = as written)",
        "Thms 4.2/4.3",
        "bounds verify map",
    ),
    "c_den": _t(
        "constant of the denominator O(·) term", "> 0", "Thms 4.2/4.3", "bounds verify map"
    ),
    "c_f": _t(
        "constant of FL's Θ(d^(7/20)) term", "> 0", "Thm 4.2 item 3, Eq. (37)", "bounds verify map"
    ),
    "c_n": _t("C_N of N = C_N·d^(1/20)", "> 0", "Thm 4.2", "bounds verify map"),
    "sign": _t(
        "sign of the denominator's O(·) term ('-' reads Eqs. 63-64 for CL under DecL)",
        "'+' or '-'",
        "Eqs. (63)-(64)",
        "bounds verify map",
    ),
    "fl_term": _t(
        "FL's Θ(d^(7/20)) as g·d^(2/5)/N (eq37) or C_F·d^(7/20) (theta)",
        "name",
        "Eq. (37)",
        "bounds verify map",
    ),
    "fl_theta_term": _t("value of FL's Θ(d^(7/20)) term per method", "real", "Eq. (37)", "bounds"),
    "kappa": _t(
        "κ = 2p(1 − p), the MIM mask factor of Eq. (17)", "in (0, 1/2]", "Eq. (17)", "bounds"
    ),
    "denominator": _t("the bound's denominator (<= 0: invalid)", "real", "Thms 4.2/4.3", _EVIDENCE),
    # --- Track B: exact optima ---------------------------------------------------------------
    "rv_coords": _t("which coordinates the listed RVs are", "text", "Def. 4.1", "exact"),
    "rv": _t(
        "representability vector r_k = e_kᵀ P e_k, P the projector on the encoder's row space",
        "each in [0, 1]",
        "Def. 4.1",
        "exact",
    ),
    "rv_min": _t(
        "smallest RV per coordinate over the optimal set", "in [0, 1]", "Def. 4.1", "exact"
    ),
    "rv_max": _t(
        "largest RV per coordinate over the optimal set", "in [0, 1]", "Def. 4.1", "exact"
    ),
    "rv_rest": _t("(min, max) RV of every other coordinate", "in [0, 1]", "Def. 4.1", "exact"),
    "rv_N": _t("RV on the client axes e_1..e_N", "each in [0, 1]", "Def. 4.1", _EVIDENCE),
    "local_rv": _t(
        "RV of each client's local optimum (simulate: of each client's trained model)",
        "each in [0, 1]",
        "Def. 4.1",
        "exact simulate",
    ),
    "fl_rv": _t("RV of the FL optimum", "each in [0, 1]", "Def. 4.1", "exact"),
    "decl_rv": _t("RV of the DecL optimum (π of Eq. (1))", "each in [0, 1]", "Def. 4.1", "exact"),
    "decl_stationary_rv": _t(
        "RV of the DecL optimum with stationary weights", "each in [0, 1]", EXT, "exact"
    ),
    "s_N": _t(
        "RV spread over the client axes: max_k r_k − min_k r_k, k in [N] (exact: a (min, "
        "max) pair over the optimal set)",
        "in [0, 1]",
        "Thms 4.4/4.6 (spread-N reading)",
        "exact map report",
    ),
    "s_c": _t(
        "RV spread over the first c coordinates",
        "in [0, 1]",
        "Thms 4.4/4.6 (spread-c reading)",
        "exact map report",
    ),
    "gap": _t(
        "1 − min r over the client axes [N] (the quantity the paper's bounds LB <= min r "
        "control; NOT the spectral gap); a (min, max) pair over the optimal set",
        "in [0, 1]",
        "Thms 4.2/4.3 (gap reading)",
        "exact map",
    ),
    "sensitivity_N": _t(
        "s_N by framework (exact) or of the averaged trained model (simulate)",
        "in [0, 1]",
        "Thms 4.4/4.6",
        "exact simulate",
    ),
    "sensitivity_c": _t(
        "s_c by framework (exact) or of the averaged trained model (simulate)",
        "in [0, 1]",
        "Thms 4.4/4.6",
        "exact simulate",
    ),
    "sensitivity": _t(
        "sensitivity reading: spread-N (s_N), spread-c (s_c) or gap (1 − min r)",
        "name",
        "Thms 4.4-4.6",
        "map",
    ),
    "sensitivities": _t("sensitivity readings of a study", "list", EXT, "map"),
    "rank": _t(
        "rank of the optimum (number of positive eigenvalues kept, <= c)",
        "integer",
        "Assumption A.5",
        "exact verify map",
    ),
    "a5_rank_equals_c": _t(
        "the optimum has rank c (Assumption A.5 met)", "bool", "Assumption A.5", "exact"
    ),
    "tied": _t(
        "eigenvalues tie at position c: the optimum is not unique",
        "bool",
        "rule T2 (docs/verdict_rules.md)",
        "exact verify map",
    ),
    "tie_tol": _t("tolerance of the tie test", ">= 0", "rule T2", "exact"),
    "exact": _t(
        "the (min, max) over the optimal set is exact (else bracketed)", "bool", EXT, "exact"
    ),
    "brackets": _t("brackets of min/max where the optimal set was sampled", "object", EXT, "exact"),
    "eigenvalue_source": _t("the matrix the eigenvalues are of", "text", EXT, "exact"),
    "fl_degenerate_at_c": _t(
        "the FL target's eigenvalues tie at position c", "bool", "rule T2", "exact"
    ),
    "optima": _t("the optima by run (local1..localN, fl, decl)", "object", "Def. 4.1", "exact"),
    "converged": _t("the matrix-free eigen-solver converged", "bool", EXT, "exact"),
    "summary": _t(
        "summary statistics (exact finite-sample: over seeds; reproduce: one line per "
        "headline number of a stage)",
        "object",
        EXT,
        "exact reproduce report map",
    ),
    "bound": _t(
        "the paper's bound compared with (value, or its name)",
        "real or name",
        "Thms 4.2/4.3",
        "exact map",
    ),
    "fraction_meeting_bound": _t(
        "fraction of seeds whose min RV meets the paper's bound", "in [0, 1]", EXT, "exact"
    ),
    "max_subspace_bound": _t(
        "largest Davis–Kahan bound on the sample optimum's distance to the population one",
        ">= 0",
        EXT,
        "exact",
    ),
    # --- Track C: simulation -----------------------------------------------------------------
    "lr": _t("learning rate", "> 0", EXT, "simulate report"),
    "lr_schedule": _t("learning-rate schedule", "name", EXT, "report"),
    "optimizer": _t("client optimiser", "name", EXT, "simulate"),
    "local_steps": _t("local steps E per round", "integer >= 1", "Eqs. (1)-(2)", "simulate report"),
    "batch": _t("minibatch size B per local step", "integer", EXT, "simulate bench report"),
    "rounds": _t("communication rounds T", "integer >= 1", EXT, "simulate report trackd"),
    "rounds_done": _t(
        "rounds finished (< rounds when interrupted or diverged)", "integer", EXT, "simulate"
    ),
    "devices": _t(
        "devices the clients are split over (--devices; 1: one device)",
        "integer",
        EXT,
        "simulate trackd",
    ),
    "rounds_per_chunk": _t(
        "rounds per jitted chunk (progress and Ctrl-C granularity)", "integer", EXT, "simulate"
    ),
    "samples_per_client": _t(
        "training samples M per client", "integer", EXT, "simulate bench report"
    ),
    "clients_per_round": _t("clients S sampled per FL round", "integer <= N", EXT, "simulate"),
    "aggregation": _t(
        "FL aggregation weights: uniform or data-size", "name", "Eq. (2)", "simulate"
    ),
    "population": _t(
        "full-batch population gradients (exact X_i, no sampling noise)", "bool", EXT, "simulate"
    ),
    "dtype": _t("floating-point type of training", "float32 or float64", EXT, "simulate bench"),
    "gamma_max": _t("MAR: largest γ of the schedule", ">= 0", "§3.1 (MAR)", "simulate"),
    "gamma_min": _t("MAR: smallest γ of the schedule", ">= 0", "§3.1 (MAR)", "simulate"),
    "interrupted": _t(
        "the run was stopped by Ctrl-C (results are those of rounds_done)", "bool", EXT, "simulate"
    ),
    "diverged": _t(
        "null, or {round, client, loss} of the first NaN/inf round (trace: per round, bool)",
        "object or null",
        EXT,
        "simulate",
    ),
    "diverged_client": _t(
        "first client whose loss became NaN/inf this round (-1: none)", "integer", EXT, "simulate"
    ),
    "diverged_loss": _t(
        "that client's loss; the round's global loss where no client diverged (diverged_client "
        "= -1)",
        "real",
        EXT,
        "simulate",
    ),
    "global_rv": _t(
        "RV of the averaged trained model W̄ on e_1..e_c", "each in [0, 1]", "Def. 4.1", "simulate"
    ),
    "global_rv_energy": _t(
        "energy-weighted RV ‖W̄e_k‖²/‖W̄‖²_F (threshold-free)",
        "each in [0, 1], sums to 1",
        EXT,
        "simulate",
    ),
    "sensitivity_N_energy": _t("s_N of the energy-weighted RV", "in [0, 1]", EXT, "simulate"),
    "local_sensitivity_N": _t("s_N of each client's trained model", "in [0, 1]", EXT, "simulate"),
    "principal_angle_to_exact": _t(
        "largest principal angle between W̄'s top-r row space and the top-r eigenspace of the "
        f"population target Σπ_jX_j (Track B's optimum); above {ANGLE_WARN_RAD} rad simulate "
        "warns that training has not converged",
        "rad, in [0, π/2]",
        EXT,
        "simulate",
    ),
    "principal_angle_to_empirical": _t(
        "the same angle to the optimum of the pooled samples' own target",
        "rad, in [0, π/2]",
        EXT,
        "simulate",
    ),
    "identifiable_rank": _t(
        "r: the eigenspace of the population target separated by an "
        "eigengap (the part training can recover)",
        "integer <= c",
        EXT,
        "simulate",
    ),
    "identifiable_rank_empirical": _t("r of the empirical target", "integer <= c", EXT, "simulate"),
    "consensus_distance": _t(
        "Ξ = (1/N)Σ_i‖W_i − W̄‖²_F after mixing (0 for FL up to rounding: ~1e-28 in float64, "
        "~1e-11 in float32)",
        ">= 0",
        EXT,
        "simulate",
    ),
    "consensus_distance_pi": _t(
        "Σ_i π_i‖W_i − W̄_π‖²_F with the stationary weights", ">= 0", EXT, "simulate"
    ),
    "consensus_distance_local": _t(
        "the π-weighted consensus distance of the local iterates before mixing",
        ">= 0",
        EXT,
        "simulate",
    ),
    "update_spread": _t(
        "√(Σπ_i‖Δ_i − Δ̄_π‖²): spread of the round's local updates", ">= 0", EXT, "simulate"
    ),
    "spectral_norm_max": _t("max_i ‖W_i‖₂ before and after mixing", ">= 0", EXT, "simulate"),
    "gamma_mean": _t(
        "mean MAR γ of the participating clients: the schedule's value, recorded for every "
        "method; only the MAR loss uses it",
        ">= 0",
        "§3.1 (MAR)",
        "simulate",
    ),
    "zeta_sq": _t(
        "gradient dissimilarity ζ² = (4/N)Σ_i‖W̄(X_i − X̄)‖²_F at W̄", ">= 0", EXT, "simulate"
    ),
    "loss": _t(
        "global loss (1/N)Σ_i f_i(W̄) of the averaged model with the population targets "
        "(trace: mean minibatch loss of the participants); f(W) = −tr(WXWᵀ) + ½‖WᵀW‖²",
        "real (negative at the optimum)",
        "Eq. (6)",
        "simulate",
    ),
    "loss_global": _t("(1/N)Σ_i f_i(W̄) per round", "real", "Eq. (6)", "simulate"),
    "optimal_loss": _t(
        "global loss at Track B's optimum; loss − optimal_loss is the loss gap "
        f"(simulate warns above {LOSS_GAP_WARN}·|optimal_loss|)",
        "real",
        "Eq. (6)",
        "simulate",
    ),
    "probe_accuracy": _t(
        "held-out accuracy of a ridge linear probe on W̄x predicting the 2N "
        "classes of the data model (chance level 1/(2N), e.g. 0.125 at N = 4); "
        "in the linear model it barely moves with |Ā|",
        "fraction in [0, 1]; chance level 1/(2N)",
        "§6 (linear probe)",
        "simulate",
    ),
    "uniformity_intra": _t(
        "uniformity U = −log E exp(−2‖ẑ_a − ẑ_b‖²) of each client's held-out "
        "embeddings (normalised; higher = more uniform)",
        "in [0, 4]",
        f"{EXT} (Wang & Isola 2020)",
        "simulate",
    ),
    "uniformity_intra_se": _t(
        "Monte Carlo standard error of uniformity_intra", ">= 0", EXT, "simulate"
    ),
    "uniformity_inter_mean": _t(
        "uniformity between embeddings of different clients, averaged over client pairs",
        "in [0, 4]",
        EXT,
        "simulate",
    ),
    "uniformity_estimator": _t("how uniformity was estimated", "text", EXT, "simulate"),
    "alignment": _t(
        "alignment E‖ẑ − ẑ⁺‖² of normalised positive pairs (MIM: complementary "
        "masked views; CL: two augmented views), mean over clients; lower = "
        "more aligned",
        "in [0, 4]",
        f"{EXT} (Wang & Isola 2020)",
        "simulate",
    ),
    "alignment_per_client": _t("alignment per client", "in [0, 4]", EXT, "simulate"),
    "weight_distance": _t(
        "‖W_i − W̄‖_F per client", ">= 0", "Table 5 (weight distance)", "simulate"
    ),
    "trace": _t(
        "per-round metrics (--trace; --csv writes one row per round)",
        "object of lists",
        EXT,
        "simulate",
    ),
    "round": _t("round index (0-based)", "integer", EXT, "simulate"),
    # --- bench -------------------------------------------------------------------------------
    "setting": _t("the benchmark configuration", "object", EXT, "bench"),
    "seconds_per_round": _t("engine seconds per round (compiled)", "s", EXT, "bench"),
    "compile_seconds": _t("time to compile the engine", "s", EXT, "bench"),
    "engine_seconds": _t("engine seconds for all rounds", "s", EXT, "bench"),
    "loop_seconds": _t("seconds of a Python loop over clients", "s", EXT, "bench"),
    "speedup_vs_loop": _t("loop_seconds / engine_seconds", "ratio", EXT, "bench"),
    "per_step_loop_seconds": _t(
        "seconds of a loop over clients and local steps", "s", EXT, "bench"
    ),
    "speedup_vs_per_step_loop": _t("per_step_loop_seconds / engine_seconds", "ratio", EXT, "bench"),
    "numpy_seconds": _t("seconds of plain NumPy", "s", EXT, "bench"),
    "speedup_vs_numpy": _t("numpy_seconds / engine_seconds", "ratio", EXT, "bench"),
    "torch_seconds": _t(
        "seconds of the PyTorch loop over clients (make bench, the bench extra)", "s", EXT, "bench"
    ),
    "speedup_vs_torch": _t("torch_seconds / engine_seconds", "ratio", EXT, "bench"),
    "sharded_speedup_vs_torch": _t("torch_seconds / sharded_seconds", "ratio", EXT, "bench"),
    "loss_only_speedup_vs_torch": _t("torch_seconds / loss_only_seconds", "ratio", EXT, "bench"),
    "flops_per_run": _t("floating-point operations of one run", "flop", EXT, "bench"),
    "engine_flop_per_s": _t("engine throughput", "flop/s", EXT, "bench"),
    "loop_flop_per_s": _t("loop throughput", "flop/s", EXT, "bench"),
    "matmul_peak_flop_per_s": _t("measured matmul peak of this machine", "flop/s", EXT, "bench"),
    "engine_fraction_of_peak": _t("engine_flop_per_s / matmul peak", "in [0, 1]", EXT, "bench"),
    "max_abs_diff_engine_vs_loop": _t(
        "largest |engine − loop| parameter difference", ">= 0", EXT, "bench"
    ),
    "repeats": _t("timing repeats (best of)", "integer", EXT, "bench"),
    "timing": _t(
        "how the seconds were measured (best of how many calls, in what order)",
        "text",
        EXT,
        "bench",
    ),
    "sharded_devices": _t(
        "devices the sharded engine splits the clients over (CPU: one per core)",
        "integer",
        EXT,
        "bench",
    ),
    "sharded_seconds": _t(
        "seconds of the engine with its clients sharded over the devices (all rounds)",
        "s",
        EXT,
        "bench",
    ),
    "speedup_sharded_vs_engine": _t("engine_seconds / sharded_seconds", "ratio", EXT, "bench"),
    "sharded_speedup_vs_numpy": _t("numpy_seconds / sharded_seconds", "ratio", EXT, "bench"),
    "sharded_speedup_vs_loop": _t("loop_seconds / sharded_seconds", "ratio", EXT, "bench"),
    "sharded_speedup_vs_per_step_loop": _t(
        "per_step_loop_seconds / sharded_seconds", "ratio", EXT, "bench"
    ),
    "sharded_fraction_of_peak": _t(
        "flops_per_run / sharded_seconds / matmul peak", "in [0, 1]", EXT, "bench"
    ),
    "max_abs_diff_sharded_vs_engine": _t(
        "largest |sharded − one-device engine| parameter difference", ">= 0", EXT, "bench"
    ),
    "loss_only_seconds": _t(
        "seconds of the engine recording only the losses each round (metrics='loss'; all rounds)",
        "s",
        EXT,
        "bench",
    ),
    "speedup_loss_only_vs_engine": _t("engine_seconds / loss_only_seconds", "ratio", EXT, "bench"),
    "loss_only_speedup_vs_numpy": _t("numpy_seconds / loss_only_seconds", "ratio", EXT, "bench"),
    "loss_only_speedup_vs_loop": _t("loop_seconds / loss_only_seconds", "ratio", EXT, "bench"),
    "loss_only_speedup_vs_per_step_loop": _t(
        "per_step_loop_seconds / loss_only_seconds", "ratio", EXT, "bench"
    ),
    "loss_only_fraction_of_peak": _t(
        "flops_per_run / loss_only_seconds / matmul peak", "in [0, 1]", EXT, "bench"
    ),
    "max_abs_diff_loss_only_vs_engine": _t(
        "largest |loss-only − default engine| parameter difference", ">= 0", EXT, "bench"
    ),
    # --- verify: the claims table ------------------------------------------------------------
    "claims": _t(
        "one row per claim of the paper (map config: the claims mapped)", "list", "§4", _CLAIMS
    ),
    "claim": _t("claim id (see the claim ids below)", "name", "§4", "map trackd"),
    "id": _t("claim id", "name", "§4", _CLAIMS),
    "reference": _t("where the claim is in the paper", "text", PAPER, _CLAIMS),
    "statement": _t("the claim as the paper states it", "text", PAPER, _CLAIMS),
    "tracks": _t(
        "where Track A and Track B read the claim differently, what each computes (empty where "
        "they read it the same way)",
        "text",
        "docs/verdict_rules.md",
        _CLAIMS,
    ),
    "track_a": _t(
        "Track A verdict (the paper's formulas): informative, vacuous, invalid, not-run",
        "verdict word",
        "docs/verdict_rules.md",
        _CLAIMS,
    ),
    "track_b": _t(
        "Track B verdict (exact model): holds, violated, degenerate, not-unique",
        "verdict word",
        "docs/verdict_rules.md",
        _CLAIMS,
    ),
    "track_c": _t(
        "Track C verdict (trained models; not-run without --simulate)",
        "verdict word",
        "docs/verdict_rules.md",
        _CLAIMS,
    ),
    "track_d": _t(
        "Track D verdict (nonlinear encoders on images; rule D3: holds, violated, inconclusive, "
        "void)",
        "verdict word",
        "sims.trackd.verdicts",
        "trackd",
    ),
    "verify:track_d": _t(
        "the claim's Track D entry: verdict (n/a for claims without an empirical reading, "
        "not-run without results), mean ± se of the compared difference over n_seeds, the rule's "
        "reason, the scale it ran at and the paper's reported direction",
        "object",
        "sims.trackd.verdicts",
        "verify",
    ),
    "track_d_only": _t(
        "Track D rows of empirical claims with no row in the claims table (MAR ≥ MIM, §5)",
        "object",
        "Fig 2b",
        "verify",
    ),
    "mar_vs_mim": _t(
        "the Track D comparison MAR ≥ MIM (accuracy over α; Fig 2b)", "object", "Fig 2b", "verify"
    ),
    "verify:paper": _t("what the paper reports for the claim", "text", "§6", "verify"),
    "verify:paper_scale": _t(
        "the scale of the paper's own experiment (clients, data set)", "text", "§6", "verify"
    ),
    "command": _t("the command that produces the missing Track D results", "text", EXT, "verify"),
    "scale": _t(
        "the scale our Track D run used (dataset, clients, seeds, rounds)", "object", EXT, "verify"
    ),
    "scale_text": _t("the scale as one line of text", "text", EXT, "verify"),
    "dataset": _t("the image data set of the Track D run", "name", EXT, "verify trackd"),
    "source": _t(
        "the trackd_verdicts.json file the Track D entries were read from", "path", EXT, "verify"
    ),
    "readings": _t(
        "verdict per reading of an ambiguous claim; a label is comma-separated "
        "dimension=value pairs (objective, cl, method, sensitivity), '-' if the "
        "claim has one reading",
        "{label: verdict}",
        EXT,
        _CLAIMS,
    ),
    "reading": _t(
        "the reading of a cell: {dimension: value}; in a Track D verdict row, what the "
        "per-seed difference Δ is and what it averages over",
        "object (Track D: text)",
        EXT,
        "map trackd report",
    ),
    "old_verdict": _t(
        "the word of the rule in force before a change (Track D: rule D2, beside rule D3's)",
        "verdict word",
        "docs/track_d.md",
        "trackd report",
    ),
    "resolution": _t(
        "the smallest difference a Track D comparison can show: one test image (1/n_test; "
        "for the |Ā| slope, per unit |Ā| over the |Ā| range)",
        ">= 0",
        "docs/track_d.md",
        "trackd report",
    ),
    "primary_readings": _t("the readings that decide the headline verdict", "list", EXT, _EVIDENCE),
    "evidence": _t(
        "per track: verdict, note and the numbers it rests on", "object", EXT, _EVIDENCE
    ),
    "verdict": _t(
        "verdict word of one track or record",
        "verdict word",
        "docs/verdict_rules.md",
        f"{_EVIDENCE} trackd",
    ),
    "numbers": _t("the computed numbers behind a verdict", "object", EXT, _EVIDENCE),
    "value": _t("a computed value (with its tolerance tol)", "real", EXT, _EVIDENCE),
    "tol": _t(
        "tolerance of the comparison (rules T1-T6)",
        ">= 0",
        "docs/verdict_rules.md",
        f"{_EVIDENCE} map",
    ),
    "tolerance_T5": _t("target-equality tolerance T5", ">= 0", "docs/verdict_rules.md", _EVIDENCE),
    "delta_lambda": _t(
        "eigen-solver error δλ = d·ε·‖X‖₂ (rule T1)", ">= 0", "docs/verdict_rules.md", _EVIDENCE
    ),
    "delta_r": _t("RV error δr (rule T3)", ">= 0", "docs/verdict_rules.md", _EVIDENCE),
    "relation": _t("the relation the claim asserts", "text", "§4", _EVIDENCE),
    "violations": _t(
        "records that contradict the claim (count or list)", "integer or list", EXT, _EVIDENCE
    ),
    "old_rule_verdict": _t(
        "the verdict under the rule in force before a recorded change",
        "verdict word",
        "docs/verdict_rules.md",
        _EVIDENCE,
    ),
    "r6_first_implementation": _t(
        "Cor 4.5's word under R6 as first implemented (recorded rule change)",
        "verdict word",
        "docs/verdict_rules.md",
        _EVIDENCE,
    ),
    "verdict_without_r7": _t(
        "Cor 4.5's R6 word before the collapse guard R7 (recorded rule change)",
        "verdict word",
        "docs/verdict_rules.md",
        _EVIDENCE,
    ),
    "track_b_same_configuration": _t(
        "the exact model's (Track B) word for the same claim and reading at the Track C "
        "configuration, every rule applied (R7 included); shown beside the Track C word",
        "verdict word",
        "docs/verdict_rules.md",
        "map",
    ),
    "identical_runs": _t(
        "Track C, Eq. 89: the DecL and FL sensitivities are equal bit for bit (uniform mixing on "
        "the complete graph is FL's averaging; the same keys make the two runs one computation)",
        "bool",
        "Eqs. (88)-(89)",
        "map",
    ),
    "weights_identical": _t(
        "whether the DecL objective weights π equal FL's 1/N exactly (Eq. 89's complete graph: "
        "the equality then holds by construction)",
        "bool",
        "Eqs. (88)-(89)",
        _EVIDENCE,
    ),
    "equal_leading": _t(
        "whether the paper's formula and the exact derivation agree in their leading τ² term",
        "bool",
        "Eqs. (29)-(30)",
        _EVIDENCE,
    ),
    "derivative_sign": _t("sign of ∂s/∂|Ā| of the paper's bound", "text", "Cor 4.5", _EVIDENCE),
    "derivative": _t("∂s/∂|Ā| of the paper's bound (sympy)", "expression", "Cor 4.5", _EVIDENCE),
    "defined_on_paper_range_if": _t(
        "condition under which the bound is defined on 2 <= |Ā| <= N",
        "text or null",
        "Cor 4.5",
        _EVIDENCE,
    ),
    "sweep": _t(
        "records over graphs of increasing |Ā| (map: the series (|Ā|, s))",
        "list",
        "Cor 4.5",
        _EVIDENCE,
    ),
    "trend": _t(
        "whether each method's series is non-increasing / decreases / flat",
        "object",
        "Cor 4.5",
        _EVIDENCE,
    ),
    "non_increasing": _t(
        "the series never increases (within tolerance)", "bool", "Cor 4.5", _EVIDENCE
    ),
    "decreases": _t("the series decreases somewhere", "bool", "Cor 4.5", _EVIDENCE),
    "flat": _t("the series is flat within tolerance", "bool", "Cor 4.5", _EVIDENCE),
    "exact_offdiag": _t(
        "off-diagonal factor of the exact mask expectation of Eq. (4) (sympy; p(1 − p))",
        "expression",
        "Eq. (4) vs Eq. (17)",
        _EVIDENCE,
    ),
    "exact_diag": _t(
        "diagonal factor of the exact mask expectation (0: hollow)",
        "expression",
        "Eq. (4)",
        _EVIDENCE,
    ),
    "paper_offdiag": _t(
        "off-diagonal factor of the paper's Eq. (17) (0)", "expression", "Eq. (17)", _EVIDENCE
    ),
    "paper_diag": _t(
        "diagonal factor of the paper's Eq. (17) (2p(1 − p))", "expression", "Eq. (17)", _EVIDENCE
    ),
    "exact_is_hollow": _t(
        "the exact mask expectation has a zero diagonal", "bool", "Eq. (4)", _EVIDENCE
    ),
    "paper_is_diagonal": _t("the paper's Eq. (17) is diagonal", "bool", "Eq. (17)", _EVIDENCE),
    "max_target_difference": _t(
        "max |exact target − paper's target| entry", ">= 0", "Eq. (17)", _EVIDENCE
    ),
    "max_difference": _t(
        "max |exact − paper| of the compared quantity", ">= 0", "Eqs. (27)-(30)", _EVIDENCE
    ),
    "max_rel_diff": _t(
        "max relative difference exact vs paper", ">= 0", "Eqs. (27)-(30)", _EVIDENCE
    ),
    "max_rv_difference_N": _t(
        "max |RV exact − RV paper| over [N]", "in [0, 1]", "Eq. (17)", _EVIDENCE
    ),
    "max_principal_angle_rad": _t(
        "largest principal angle between two optima", "rad", EXT, _EVIDENCE
    ),
    "fl_rv_exact_N": _t(
        "FL RV on [N] with the exact Eq. (4) target", "in [0, 1]", "Eq. (4)", _EVIDENCE
    ),
    "fl_rv_paper_N": _t(
        "FL RV on [N] with the paper's Eq. (17) target", "in [0, 1]", "Eq. (17)", _EVIDENCE
    ),
    "rank_exact_fl": _t(
        "rank of the FL optimum of the exact target", "integer", "Eq. (4)", _EVIDENCE
    ),
    "rank_paper_fl": _t(
        "rank of the FL optimum of the paper's target", "integer", "Eq. (17)", _EVIDENCE
    ),
    "exact_target_diag_N": _t(
        "diagonal of the exact π-weighted DecL target on [N]", "real", "Eq. (1)", _EVIDENCE
    ),
    "paper_target_diag_N": _t(
        "the same diagonal by the paper's Eqs. (29)-(30)", "real", "Eqs. (29)-(30)", _EVIDENCE
    ),
    "exact_numeric": _t("the exact quantity, numerically", "reals", EXT, _EVIDENCE),
    "paper_numeric": _t("the paper's formula, numerically", "reals", PAPER, _EVIDENCE),
    "eq29_30_equal": _t(
        "the paper's Eqs. (29)-(30) equal the exact average", "bool", "Eqs. (29)-(30)", _EVIDENCE
    ),
    "min_rv": _t(
        "min RV over the claim's coordinates (compared with the bound)",
        "in [0, 1]",
        "Thms 4.2/4.3",
        _EVIDENCE,
    ),
    "min_rv_per_client": _t(
        "min RV per client's local optimum", "in [0, 1]", "Thms 4.2/4.3", _EVIDENCE
    ),
    "rv_N_stationary_weights": _t(
        "RV on [N] of the DecL optimum with stationary weights", "in [0, 1]", EXT, _EVIDENCE
    ),
    "rv_energy_N": _t("energy-weighted RV on [N] of trained models", "in [0, 1]", EXT, _EVIDENCE),
    "decl_bound_at_abar_N": _t("the DecL bound at |Ā| = N", "<= 1", "Thm 4.2 item 2", _EVIDENCE),
    "ratio_limit_d_to_oo": _t(
        "lim_{d→∞} s^C/s^M of the paper's bounds (sympy)", "expression", "Thm 4.4", _EVIDENCE
    ),
    "ratio_similar_leading_exponent": _t(
        "leading exponent of s^C/s^M in d (similar CL)", "rational", "Thm 4.4", _EVIDENCE
    ),
    "ratio_similar_leading_coefficient": _t(
        "its leading coefficient", "expression", "Thm 4.4", _EVIDENCE
    ),
    "ratio_similar_limit": _t("lim s^C/s^M (similar CL)", "expression", "Thm 4.4", _EVIDENCE),
    "ratio_dissimilar_limit": _t("lim s^C/s^M (dissimilar CL)", "expression", "Thm 4.4", _EVIDENCE),
    "diff_similar_limit_approach": _t(
        "side from which s^C − s^M approaches its limit", "expression", "Thm 4.4", _EVIDENCE
    ),
    "s_mim": _t("Track A sensitivity s^M = 1 − LB of MIM", "in [0, 1]", "Thm 4.2", _EVIDENCE),
    "s_cl": _t("Track A sensitivity s^C = 1 − LB of CL", "in [0, 1]", "Thm 4.3", _EVIDENCE),
    "formula_order_s_cl_gt_s_mim": _t(
        "the paper's formulas give s^C > s^M here", "bool", "Thm 4.4", _EVIDENCE
    ),
    "rank_mim": _t("rank of the MIM optimum", "integer", "Assumption A.5", _EVIDENCE),
    "rank_cl": _t("rank of the CL optimum", "integer", "Assumption A.5", _EVIDENCE),
    "rank_dec": _t("rank of the DecL optimum", "integer", "Assumption A.5", _EVIDENCE),
    "rank_fed": _t("rank of the FL optimum", "integer", "Assumption A.5", _EVIDENCE),
    "s_dec": _t("sensitivity of DecL (s_Dec)", "in [0, 1]", "Thm 4.6", _EVIDENCE),
    "s_fed": _t("sensitivity of FL (s_Fed)", "in [0, 1]", "Thm 4.6", f"{_EVIDENCE} map"),
    "s_dec_N": _t("s_Dec over [N]", "in [0, 1]", "Thm 4.6", _EVIDENCE),
    "s_fed_N": _t("s_Fed over [N]", "in [0, 1]", "Thm 4.6", _EVIDENCE),
    "s_dec_c": _t("s_Dec over [c]", "in [0, 1]", "Thm 4.6", _EVIDENCE),
    "s_fed_c": _t("s_Fed over [c]", "in [0, 1]", "Thm 4.6", _EVIDENCE),
    "s_dec_stationary_N": _t("s_Dec over [N] with stationary weights", "in [0, 1]", EXT, _EVIDENCE),
    "condition_mim": _t(
        "the condition under which s_Dec >= s_Fed holds for the formulas",
        "text",
        "Thm 4.6",
        _EVIDENCE,
    ),
    "local_s_mim": _t("Track A local s^M", "in [0, 1]", "Thm 4.2", _EVIDENCE),
    "local_s_cl": _t("Track A local s^C", "in [0, 1]", "Thm 4.3", _EVIDENCE),
    "decl_s_mim": _t("Track A DecL s^M", "in [0, 1]", "Thm 4.2", _EVIDENCE),
    "decl_s_cl": _t("Track A DecL s^C", "in [0, 1]", "Thm 4.3", _EVIDENCE),
    "fl_s_mim": _t("Track A FL s^M", "in [0, 1]", "Thm 4.2", _EVIDENCE),
    "fl_s_cl": _t("Track A FL s^C", "in [0, 1]", "Thm 4.3", _EVIDENCE),
    "basis": _t("which coordinates the sensitivities are over", "text", EXT, _EVIDENCE),
    "fl_N": _t("FL s_N", "in [0, 1]", "Thm 4.6", _EVIDENCE),
    "decl_N": _t("DecL s_N", "in [0, 1]", "Thm 4.6", _EVIDENCE),
    "fl_c": _t("FL s_c", "in [0, 1]", "Thm 4.6", _EVIDENCE),
    "decl_c": _t("DecL s_c", "in [0, 1]", "Thm 4.6", _EVIDENCE),
    "local_N_max": _t("largest local s_N over clients", "in [0, 1]", "Thm 4.4", _EVIDENCE),
    "s_N_max": _t("largest s_N over clients", "in [0, 1]", "Thm 4.4", _EVIDENCE),
    "mim_s_N": _t("MIM s_N at a sweep point", "in [0, 1]", "Cor 4.5", _EVIDENCE),
    "cl_s_N": _t("CL s_N at a sweep point", "in [0, 1]", "Cor 4.5", _EVIDENCE),
    "slack_2se": _t(
        "2 standard errors of slack used in a Track C comparison", ">= 0", "rule T6", _EVIDENCE
    ),
    "angle_to_exact_hollow": _t(
        "angle of trained MIM models to the exact (hollow) optimum", "rad", "Eq. (4)", _EVIDENCE
    ),
    "angle_to_paper_eq17": _t(
        "angle of trained MIM models to the paper's Eq. (17) optimum", "rad", "Eq. (17)", _EVIDENCE
    ),
    "angles_to_exact_per_seed": _t("angle_to_exact per seed", "rad", EXT, _EVIDENCE),
    "angles_to_paper_per_seed": _t("angle_to_paper per seed", "rad", EXT, _EVIDENCE),
    "identifiable_rank_exact": _t(
        "identifiable rank of the exact target", "integer", EXT, _EVIDENCE
    ),
    "identifiable_rank_paper": _t(
        "identifiable rank of the paper's target", "integer", EXT, _EVIDENCE
    ),
    "angle_sample": _t(
        "angle between the sample and population optima (the noise floor)", "rad", EXT, _EVIDENCE
    ),
    "angle_tol": _t(
        "angle under which a trained model counts as at an optimum", "rad", EXT, _EVIDENCE
    ),
    "trained_rv_N": _t("RV on [N] of trained models", "in [0, 1]", EXT, _EVIDENCE),
    "exact_optimum_rv_N": _t("RV on [N] of the exact optimum", "in [0, 1]", "Def. 4.1", _EVIDENCE),
    "paper_optimum_rv_N": _t(
        "RV on [N] of the paper's optimum", "in [0, 1]", "Eq. (17)", _EVIDENCE
    ),
    "angle_to_exact_stationary": _t(
        "angle of trained DecL models to the stationary-weight optimum", "rad", EXT, _EVIDENCE
    ),
    "angle_to_exact_eq1": _t("angle to the optimum with Eq. (1)'s π", "rad", "Eq. (1)", _EVIDENCE),
    "angle_to_paper_construction": _t(
        "angle to the optimum of Eqs. (27)-(30)", "rad", "Eqs. (27)-(30)", _EVIDENCE
    ),
    "exact_stationary_rv_N": _t(
        "RV on [N] of the stationary-weight optimum", "in [0, 1]", EXT, _EVIDENCE
    ),
    "exact_eq1_rv_N": _t("RV on [N] of the Eq. (1) optimum", "in [0, 1]", "Eq. (1)", _EVIDENCE),
    "paper_construction_rv_N": _t(
        "RV on [N] of the Eqs. (27)-(30) optimum", "in [0, 1]", "Eqs. (27)-(30)", _EVIDENCE
    ),
    "training": _t("the training configuration of Track C", "object", EXT, _EVIDENCE),
    "seeds": _t("number of seeds", "integer", EXT, "report trackd"),
    "train_seconds": _t("seconds of training", "s", EXT, _EVIDENCE),
    "se": _t(
        "standard error over seeds: std (ddof = 1)/√S", ">= 0", "rule T6", f"{_EVIDENCE} trackd"
    ),
    # --- the verdict map and atlas ----------------------------------------------------------
    "map": _t("this output is the verdict map", "bool", EXT, "map"),
    "files": _t("files written", "list of paths", EXT, "map reproduce report"),
    "cells": _t(
        "one record per claim × reading × configuration (verify --map: their count)",
        "list or integer",
        EXT,
        "map",
    ),
    "headline": _t("the claim's verdict in one line, over every reading", "text", EXT, "map"),
    "counts": _t("number of cells per verdict word", "{word: count}", EXT, "map"),
    # Track C cells of the map (rule R10 of docs/verdict_rules.md)
    "stage_word": _t(
        "the track_c stage's own word for the claim (it combines MIM and CL in one word)",
        "verdict word",
        EXT,
        "map",
    ),
    "agrees": _t("whether the R10 word equals the stage's own word", "bool", EXT, "map"),
    "se_min_rv": _t("standard error over seeds of min r (Track C)", ">= 0", "Def. 4.1", "map"),
    "tolerance": _t(
        "the T6 tolerance of a Track C cell, from the seeds' standard errors; in a Track D "
        "verdict row rule D2's τ = max(2 SE, resolution)",
        ">= 0",
        "rule T6 (docs/verdict_rules.md); docs/track_d.md",
        "map trackd report",
    ),
    "collapse_rule_R7": _t(
        "why the collapse rule R7 was or was not applied to a Track C cell", "text", EXT, "map"
    ),
    "bound_defined": _t(
        "whether tr(P_c H_sym P_c) > 0, so Thm 4.3's dissimilar bound can be evaluated",
        "bool",
        "Assumption A.9",
        "map",
    ),
    "track_a_counts": _t("number of cells per Track A word", "{word: count}", EXT, "map"),
    "columns": _t("verdict counts per configuration value", "object", EXT, "map"),
    "finding": _t(
        "computed text: in the map its per-claim headlines pooled over readings; in the "
        "answer table at most 200 words, headline first",
        "text",
        EXT,
        "map verify report reproduce",
    ),
    "dimensions": _t(
        "reading dimensions and configuration values of the map", "object", EXT, "map"
    ),
    "claim_readings": _t("the reading dimensions each claim depends on", "object", EXT, "map"),
    "objective": _t(
        "MIM objective reading: eq4-complementary (the exact Eq. 4), "
        "eq4-independent, eq3-reconstruction, eq17-surrogate (the paper's Eq. 17)",
        "name",
        "Eqs. (3), (4), (17)",
        "map",
    ),
    "assumptions": _t(
        "per configuration: which assumptions of the paper are met",
        "object",
        "Assumptions A.1-A.9",
        "map",
    ),
    "p_values": _t("mask ratios of the map", "list", "Eq. (4)", "map"),
    "n_values": _t("client counts of the map", "list", "§3.2", "map"),
    "rule_change_n": _t("N at which changed rules are re-evaluated", "list", EXT, "map"),
    "rule_changes": _t(
        "every verdict rule changed after its output was seen, with the cells whose word changed",
        "list",
        "docs/verdict_rules.md",
        "map",
    ),
    "rule": _t("rule id", "text", "docs/verdict_rules.md", "map"),
    "old_rule": _t("the rule before the change", "text", "docs/verdict_rules.md", "map"),
    "new_rule": _t("the rule in force", "text", "docs/verdict_rules.md", "map"),
    "why": _t("why the rule was changed", "text", EXT, "map"),
    "old_function": _t("function implementing the old rule", "text", EXT, "map"),
    "evaluated_at_N": _t("N values the old rule was evaluated at", "list", EXT, "map"),
    "changed_cells": _t("cells whose verdict changed", "list", EXT, "map"),
    "old": _t("verdict under the old rule", "verdict word", EXT, "map"),
    "new": _t("verdict under the new rule", "verdict word", EXT, "map"),
    "hidden_constants": _t(
        "break-even hidden constants: how large a constant would have to be "
        "for the bound to hold, and its growth in d",
        "object",
        "Thms 4.2/4.3",
        "map",
    ),
    "status": _t(
        "whether a section was computed, or a constant's break-even status", "text", EXT, "map"
    ),
    "d_range": _t("range of d scanned", "[min, max]", EXT, "map"),
    "label": _t("the break-even verdict of a bound under one reading", "text", EXT, "map"),
    "exponent": _t(
        "growth exponent of the break-even constant C* ~ d^exponent", "real or nan", EXT, "map"
    ),
    "attained_min": _t("smallest value attained over the optimal set", "real", EXT, "map"),
    "attained_max": _t("largest value attained over the optimal set", "real", EXT, "map"),
    "reason": _t(
        "why a cell or claim is not-run / degenerate (Track D: void / inconclusive, naming "
        "each arm that did not learn)",
        "text",
        EXT,
        "map trackd",
    ),
    "outer": _t("outer bound of a bracketed value", "real", EXT, "map"),
    "from": _t("start of an interval", "real", EXT, "map"),
    "to": _t("end of an interval", "real", EXT, "map"),
    "increase": _t("an increase of s along the |Ā| series", "object", "Cor 4.5", "map"),
    "worst": _t("the atlas graph pairs that contradict the claim most", "list", "Cor 4.5", "map"),
    "spearman": _t(
        "Spearman correlation of s with |Ā|, λ₂ and π spread over the atlas",
        "in [-1, 1] or null",
        EXT,
        "map",
    ),
    "cor45": _t("Cor 4.5's verdict over the atlas (R6, R7)", "verdict word", "Cor 4.5", "map"),
    "cor45_r6_first_implementation": _t(
        "Cor 4.5's word over the atlas under R6 as first implemented (recorded rule change)",
        "verdict word",
        "Cor 4.5",
        "map",
    ),
    "cor45_without_r7": _t(
        "Cor 4.5's R6 word over the atlas before the collapse guard R7 (recorded rule change)",
        "verdict word",
        "Cor 4.5",
        "map",
    ),
    "thm46": _t("Thm 4.6's verdict counts over the atlas", "{word: count}", "Thm 4.6", "map"),
    "eq87": _t(
        "Eq. (87)'s verdict counts over the atlas", "{word: count}", "Thm 4.6, Eq. (87)", "map"
    ),
    # --- reproduce and the report ------------------------------------------------------------
    "out": _t("output folder", "path", EXT, "reproduce"),
    "fast": _t("the small CI configuration was used", "bool", EXT, "reproduce report"),
    "config_hash": _t(
        "12 hex digits identifying the configuration (cache key)", "text", EXT, "reproduce report"
    ),
    "stages": _t("one record per stage of the run", "list", EXT, "reproduce report"),
    "cached": _t("the stage was loaded from the cache", "bool", EXT, "reproduce report"),
    "cache": _t("the stage is cached", "bool", EXT, "reproduce"),
    "cache_file": _t("the stage's cache file under --out", "path", EXT, "reproduce report"),
    "compile_cache": _t(
        "folder of the persistent XLA compilation cache (null: off)", "path", EXT, "reproduce"
    ),
    "title": _t("report title", "text", EXT, "report"),
    "generated": _t("UTC time the report was written", "ISO 8601", EXT, "report"),
    "verdict_words": _t(
        "the verdict words in use (see the verdict words below)",
        "list",
        "docs/verdict_rules.md",
        "report",
    ),
    "track_c_available": _t("Track C evidence was computed", "bool", EXT, "report"),
    "figures": _t("figure files", "list", EXT, "report reproduce"),
    # --- the answer table (sims.reproduce.report.answer): verify, report, reproduce -------------
    "answer": _t(
        "the answer in one screen: one row per claim with its Track B verdict under the "
        "paper's own reading first, the other readings counted, hidden constants, Tracks C "
        "and D, and the finding (README, report, verify, reproduce show the same table)",
        "object",
        EXT,
        "verify report reproduce",
    ),
    "paper_reading": _t(
        "the paper's own reading of a claim, dim=value (several values of one dimension: "
        "each is the paper's, combined by R5)",
        "text",
        "theory.claims.REGISTRY",
        "verify report reproduce",
    ),
    "paper_readings": _t(
        "the reading labels of the paper's own reading", "list of labels", EXT, "verify report"
    ),
    "paper_reading_why": _t(
        "why that reading is the paper's, citing the paper's section",
        "text",
        PAPER,
        "verify report reproduce",
    ),
    "paper_verdict": _t(
        "Track B under the paper's reading: the claim's word (R5 over configurations), its "
        "counts per word over configurations and where each word occurs",
        "object",
        "docs/verdict_rules.md",
        "verify report reproduce",
    ),
    "other_readings": _t(
        "Track B cells of the claim under every other reading, counted per word (not-run "
        "counted, and where)",
        "object",
        EXT,
        "verify report reproduce",
    ),
    "not_run_readings": _t(
        "reading values none of whose cells ran (dim=value)", "list", EXT, "verify report"
    ),
    "not_run_where": _t(
        "where the other not-run cells lie (a range of N, a rare axis, or a count)",
        "text",
        EXT,
        "verify report",
    ),
    "where": _t(
        "per verdict word, the configurations [p, N, rare axis] where it occurs",
        "{word: list}",
        EXT,
        "verify report",
    ),
    "hidden_constant": _t(
        "can a hidden constant rescue the paper's bound under its reading: no (every "
        "break-even constant escapes as d grows), yes (one stays bounded), not needed (every "
        "constant works), n/a (the claim has none)",
        "word",
        "Thms 4.2/4.3",
        "verify report reproduce",
    ),
    "constant": _t(
        "the hidden constant whose break-even value grows fastest", "name", EXT, "verify report"
    ),
    "text": _t("the entry as the answer table prints it", "text", EXT, "verify report reproduce"),
    "grid": _t(
        "the verdict map's configurations behind the answer: d, p, N, rare axes and the "
        "numbers of configurations, cells and not-run cells",
        "object",
        EXT,
        "verify report reproduce",
    ),
    "n_configurations": _t(
        "number of configurations (p × N × rare axis)", "integer", EXT, "verify report"
    ),
    "n_not_run": _t("number of not-run cells", "integer", EXT, "verify report reproduce"),
    "track_c_config": _t(
        "the configuration of the Track C runs in the map (null: not run)",
        "object",
        EXT,
        "verify report reproduce",
    ),
    "source_map": _t("the verdict_map.json the answer was read from", "path", EXT, "verify"),
    "report_html": _t("the HTML report of the run (null: not written)", "path", EXT, "reproduce"),
    # --- trackd ------------------------------------------------------------------------------
    "preset": _t("Track D preset: fast, default or paper-scale", "name", EXT, "trackd"),
    "arch": _t(
        "encoder architecture of a Track D run: mlp, cnn or vit",
        "name",
        EXT,
        "trackd report verify",
    ),
    "archs": _t(
        "encoder architectures of an experiment (mlp, cnn, vit)",
        "list",
        EXT,
        "trackd report verify",
    ),
    "balanced": _t(
        "Dirichlet label skew in the official balanced form (true) or Hsu et al.'s (false)",
        "bool",
        EXT,
        "trackd report verify",
    ),
    "batch_size": _t(
        "minibatch size per local step (Track D)", "integer", EXT, "trackd report verify"
    ),
    "common": _t(
        "the data, network and schedule shared by the Track D experiments",
        "object",
        EXT,
        "trackd report verify",
    ),
    "data_path": _t(
        "CIFAR-10 folder (python format) or a .npz file of images and labels; null for the "
        "bundled MNIST and scikit-learn digits",
        "path or null",
        EXT,
        "trackd report verify",
    ),
    "decl_abar": _t(
        "|Ā| of the DecL runs of a Track D experiment", "real", EXT, "trackd report verify"
    ),
    "depth": _t(
        "encoder depth: ViT blocks or MLP hidden layers", "integer", EXT, "trackd report verify"
    ),
    "embed": _t("output width of the MLP encoder", "integer", EXT, "trackd report verify"),
    "experiment": _t(
        "Track D experiment name (table1, fig2a, table6, fig2b, table5)",
        "name",
        EXT,
        "trackd report verify",
    ),
    "heads": _t("attention heads of the ViT encoder", "integer", EXT, "trackd report verify"),
    "kinds": _t(
        "graph kinds of the Fig 2a analogue (general, uniform)", "list", EXT, "trackd report verify"
    ),
    "knn_k": _t("k of the k-NN probe", "integer", EXT, "trackd report verify"),
    "margin": _t(
        "m of the Track D rule: a difference is decided when |mean| > m·SE (default 2)",
        ">= 0",
        EXT,
        "trackd report verify",
    ),
    "max_test": _t(
        "cap on held-out images (null: all)", "integer or null", EXT, "trackd report verify"
    ),
    "max_train": _t(
        "cap on training images (null: all)", "integer or null", EXT, "trackd report verify"
    ),
    "patch": _t(
        "patch side of the ViT and of MAE's masking (pixels)",
        "integer",
        EXT,
        "trackd report verify",
    ),
    "ridge": _t("ridge λ of the closed-form linear probe", "> 0", EXT, "trackd report verify"),
    "rules": _t("mixing rules of the Table 6 analogue", "list", EXT, "trackd report verify"),
    "skews": _t(
        "partitions of the Table 1 analogue: iid, label (Dirichlet α), feature (per-client "
        "augmentation)",
        "list",
        EXT,
        "trackd report verify",
    ),
    "width": _t(
        "encoder width (ViT embedding / MLP hidden units, ≤ 128)",
        "integer",
        EXT,
        "trackd report verify",
    ),
    "cnn_width": _t(
        "channels of the small CNN's last convolution", "integer", EXT, "trackd report verify"
    ),
    "cnn_depth": _t(
        "stride-2 3×3 convolutions of the small CNN", "integer", EXT, "trackd report verify"
    ),
    "vit_width": _t(
        "token width of the ViT (null: width)", "integer or null", EXT, "trackd report verify"
    ),
    "lr_simsiam": _t(
        "SimSiam's learning rate (null: lr)", "> 0 or null", EXT, "trackd report verify"
    ),
    "crop": _t(
        "SimSiam's views: smallest area of the random resized crop, as a fraction of the "
        "image (0: a shift by `shift` pixels instead)",
        "[0, 1]",
        EXT,
        "trackd report verify",
    ),
    "sigma": _t(
        "SimSiam's views: standard deviation of the added Gaussian pixel noise",
        ">= 0",
        EXT,
        "trackd report verify",
    ),
    "flip": _t("SimSiam's views: random horizontal flips", "bool", EXT, "trackd report verify"),
    "shift": _t(
        "SimSiam's views: largest random shift in pixels when crop = 0",
        "integer >= 0",
        EXT,
        "trackd report verify",
    ),
    "mae_augment": _t(
        "MAE's input augmented with SimSiam's view (true) or not",
        "bool",
        EXT,
        "trackd report verify",
    ),  # fmt: skip
    "norm_pix": _t(
        "MAE's targets normalised per patch (mean 0, variance 1)",
        "bool",
        EXT,
        "trackd report verify",
    ),  # fmt: skip
    "curve_every": _t(
        "a learning curve: the global encoder's probe every this many rounds (0: none)",
        "integer >= 0",
        EXT,
        "trackd report verify",
    ),
    "raw_pixel_probe": _t(
        "accuracy of the ridge probe on the raw pixels of the same train/test split: the "
        "bar a learned representation is read against",
        "[0, 1]",
        EXT,
        "trackd report verify",
    ),
    "table1": _t(
        "the Table 1 analogue's entry (its configuration or the scale of its runs)",
        "object",
        "§6.2",
        "trackd report verify",
    ),
    "image_shape": _t(
        "shape of one image (height, width, channels)", "list", EXT, "trackd report verify"
    ),
    "n_test": _t("held-out images used by the probes", "integer", EXT, "trackd report verify"),
    "n_train": _t("training images split over the clients", "integer", EXT, "trackd report verify"),
    "tol_T6": _t(
        "the Track C tolerance of rule T6 for this comparison (from the seeds' standard errors)",
        ">= 0",
        "rule T6 (docs/verdict_rules.md)",
        "report verify",
    ),
    "experiments": _t("headline numbers per experiment", "object", "§6", "trackd"),
    "verdicts": _t(
        "Track D verdict rows; in the map: {verdict: count} of compacted records",
        "list or object",
        EXT,
        "trackd map",
    ),
    "paper": _t("what the paper reports for the claim", "text", "§6", "trackd"),
    "paper_scale": _t("the run used the paper's client counts", "bool", EXT, "trackd"),
    "agrees_with_paper": _t("the Track D verdict agrees with the paper", "bool", EXT, "trackd"),
    "mean": _t("mean over seeds", "real", EXT, "trackd exact"),
    "n_seeds": _t("number of seeds S", "integer", EXT, "trackd"),
    "sd": _t(
        "per-seed standard deviation (ddof = 1) of a Track D paired difference Δ",
        "same units as mean",
        "docs/track_d.md",
        "trackd report verify",
    ),
    "mde": _t(
        "minimum detectable effect of a Track D comparison: the smallest true mean Δ that "
        "rule D3 calls holds with probability 0.8 at the run's seeds and measured per-seed SD "
        "of Δ (paired); None with one seed",
        "same units as mean",
        "docs/track_d.md",
        "trackd report verify",
    ),
    "paper_effect": _t(
        "the paper's effect size for the same Track D comparison, computed from its tables "
        "(sims.trackd.verdicts.PAPER_EFFECTS)",
        "same units as mean",
        "§6",
        "trackd report verify",
    ),
    "paper_effect_source": _t(
        "which table and cells of the paper paper_effect is computed from",
        "text",
        "§6",
        "trackd report verify",
    ),
    "unit": _t(
        "the unit of a Track D row's mean, mde and paper_effect: accuracy (a fraction; × 100 = "
        "points) or accuracy per unit |Ā|",
        "text",
        EXT,
        "trackd report verify",
    ),
    "d1_verdict": _t(
        "the word of Track D rule D1 (committed before the runs), beside rule D3's",
        "verdict word",
        "docs/track_d.md",
        "trackd report verify",
    ),
    "decisive": _t(
        "the DECISIVE preset's Track D results (figures/trackd_decisive/trackd_verdicts.json): "
        "path and rows, or verdict not-run with the command that writes them; in the answer "
        "table, the DECISIVE preset's word",
        "object or verdict word",
        "docs/track_d.md",
        "trackd report verify",
    ),
    "track_d_decisive": _t(
        "the trackd_verdicts stage's decisive entry (see decisive)", "object", EXT, "report"
    ),
    "decisive_dir": _t(
        "folder of the committed DECISIVE Track D results read by the trackd_verdicts stage",
        "path",
        EXT,
        "report",
    ),
    "probe": _t(
        "linear-probe accuracy (mean ± se over seeds)", "fraction in [0, 1]", "§6", "trackd"
    ),
    "first": _t("the first record of a long list (compacted)", "object", EXT, "map"),
    "min": _t("minimum (over seeds, or of a compacted list)", "real", EXT, "map exact"),
    "max": _t("maximum (over seeds, or of a compacted list)", "real", EXT, "map exact"),
}

_STAGE = "report"
_CMP = "compare"
GLOSSARY.update(
    {
        # compare: two output folders of dssl reproduce, leaf by leaf
        "compare:same": _t("whether no compared value differs", "boolean", EXT, _CMP),
        "compare:old": _t(
            "the reference folder; in a difference, its value there (lists and objects as "
            "JSON text, at most 200 characters)",
            "path or value",
            EXT,
            _CMP,
        ),
        "compare:new": _t(
            "the folder checked; in a difference, its value there", "path or value", EXT, _CMP
        ),
        "compare:rtol": _t(
            "relative tolerance: numbers agree when |new − old| <= atol + rtol·|old|",
            ">= 0",
            EXT,
            _CMP,
        ),
        "compare:atol": _t("absolute tolerance (see rtol)", ">= 0", EXT, _CMP),
        "compare:ignored": _t(
            "keys skipped wherever they occur (timings, timestamps, versions, hashes; also every "
            "key ending in _seconds)",
            "list of names",
            EXT,
            _CMP,
        ),
        "compare:files": _t(
            "per JSON file of either folder: values compared and differences found",
            "object by file name",
            EXT,
            _CMP,
        ),
        "compare:compared": _t("values (leaves) compared in the file", "count", EXT, _CMP),
        "compare:differences": _t(
            "in files: the count; at the top: the differences, each with file, path, old, "
            "new and why (at most 200 listed)",
            "count or list",
            EXT,
            _CMP,
        ),
        "compare:n_differences": _t("all differences found", "count", EXT, _CMP),
        "compare:file": _t("the JSON file of a difference", "file name", EXT, _CMP),
        "compare:path": _t(
            "where in the file: keys joined by '.', list positions in [ ]", "text", EXT, _CMP
        ),
        "compare:why": _t(
            "kind of difference: number (beyond tolerance), value, list length, only in "
            "old/new (a key), file only in old/new",
            "text",
            EXT,
            _CMP,
        ),
        "d_sweep": _t(
            "dimensions at which Thm 4.4 is also evaluated (config); in the evidence: {d: verdict}",
            "list of integers or object",
            "Thm 4.4 (a limit d → ∞)",
            "verify map report",
        ),
        # bench: the machine the timings come from
        "backend": _t("JAX backend of the timings", "cpu, gpu, tpu", EXT, "bench"),
        "platform": _t("operating system and architecture", "text", EXT, "bench"),
        "machine": _t("processor description", "text", EXT, "bench"),
        "cpus": _t("CPU cores visible to the process", "integer", EXT, "bench"),
        "jax": _t("JAX version", "text", EXT, "bench report"),
        "load_average": _t(
            "1-minute load average after the timings (timings on a loaded machine are slower)",
            ">= 0",
            EXT,
            "bench",
        ),
        "load_average_before": _t("1-minute load average before the timings", ">= 0", EXT, "bench"),
        "peak_rss_bytes": _t("peak resident memory of the process", "bytes", EXT, "bench"),
        "best_possible_speedup_vs_loop_at_peak": _t(
            "the speed-up over the loop if the engine ran at the matmul peak",
            "ratio",
            EXT,
            "bench",
        ),
        "max_abs_diff_engine_vs_per_step_loop": _t(
            "largest |engine − per-step loop| parameter difference", ">= 0", EXT, "bench"
        ),
        "N-scaling": _t(
            "assumption check: N = Θ(d^(1/20)) as the theorems need (met / not met)",
            "text",
            "Thm 4.2",
            "map",
        ),
        # CSV columns (sims.reproduce.export) that are not JSON keys
        "client": _t("client index (0-based) of a per-client CSV row", "integer", EXT, "topology"),
        "optimum": _t(
            "which optimum a CSV row is: local1..localN, fl, decl, decl_stationary, paper_decl",
            "name",
            "Def. 4.1",
            "exact",
        ),
        "point": _t("index of the (d, |Ā|) point of a bound table row", "integer", EXT, "report"),
        # the compact verdict map (verdict_map.json) and its cell table (verdict_cells.json)
        "representative": _t(
            "the representative cell of a reading (p and N nearest the defaults, first rare "
            "axis) with its numbers",
            "object",
            EXT,
            "map",
        ),
        "n_cells": _t("number of cells (claim × reading × configuration)", "integer", EXT, "map"),
        "cells_file": _t("the file with every cell's verdicts", "file name", EXT, "map"),
        "codes": _t(
            "one letter per verdict word in verdict_cells.json", "{word: letter}", EXT, "map"
        ),
        "configs": _t(
            "the configurations [p, N, rare axis] in map order (one letter of each verdict "
            "string per configuration)",
            "list",
            EXT,
            "map",
        ),
        # trackd headline records
        "values": _t("the value of each seed", "list", EXT, "trackd"),
        "chance": _t(
            "chance level of the probe (1/classes): accuracies near it carry no information",
            "fraction in [0, 1]",
            EXT,
            "trackd",
        ),
        # exact: the matrix-free paths
        "rv_max_rest": _t(
            "largest RV outside the listed coordinates", "in [0, 1]", "Def. 4.1", "exact"
        ),
        "residual": _t(
            "relative residual ‖R‖_F/‖X‖ of the Krylov eigen-solve", ">= 0", EXT, "exact"
        ),
        "subspace_bound": _t(
            "Davis–Kahan bound on the distance of the computed eigenspace to the exact one",
            ">= 0",
            EXT,
            "exact",
        ),
        "n_outliers": _t("Ritz values above the top μ² of the noise bulk", "integer", EXT, "exact"),
        "outlier_subspace_bound": _t(
            "subspace_bound for the outlier eigenvectors only", ">= 0", EXT, "exact"
        ),
        "m": _t("samples M per client (finite-sample Track B)", "integer", EXT, "exact"),
        "beta": _t("β = log M / log d (M = d^β)", "real", EXT, "exact"),
        "steps": _t("block Krylov steps", "integer", EXT, "exact"),
        "oversample": _t("extra Krylov start columns", "integer", EXT, "exact"),
        "trH_reading": _t("how tr(H) was read for the bound", "text", "Assumption A.9", "exact"),
        "median": _t("median over seeds", "real", EXT, "exact"),
        "q05": _t("5 % quantile over seeds", "real", EXT, "exact"),
        "q95": _t("95 % quantile over seeds", "real", EXT, "exact"),
        # report.json: the configuration of every stage of dssl reproduce
        "configuration": _t(
            "the configuration of each stage, keyed by stage name", "object", EXT, _STAGE
        ),
        "verify_config": _t("the configuration of the claims table", "object", EXT, _STAGE),
        "verify": _t("the claims-table configuration of a stage", "object", EXT, _STAGE),
        "software": _t("versions of the packages used, keyed by package", "object", EXT, _STAGE),
        "d_log10": _t(
            "log10 d grid of the Track A curves: [start, stop, points]", "list", EXT, _STAGE
        ),
        "constants_range": _t(
            "range of the hidden constants for the bands", "[lo, hi]", "Thms 4.2/4.3", _STAGE
        ),
        "constants_points": _t("grid points per hidden constant", "integer", EXT, _STAGE),
        "fit_from_log10": _t(
            "log10 d from which Thm 4.4's slope is fitted", "real", "Thm 4.4", _STAGE
        ),
        "exact_d": _t("d values of the exact optima", "list", EXT, _STAGE),
        "exact_methods": _t("methods of the exact optima", "list", EXT, _STAGE),
        "connectivity": _t(
            "|A_i| per node, neighbours including itself (report: the connectivity sweep's "
            "configuration)",
            "integers or object",
            "Assumption A.1",
            "topology report",
        ),
        "paper_code_seeds": _t("seeds of the official code's generator", "integer", EXT, _STAGE),
        "bound_d": _t("d values of the bound curves", "list", EXT, _STAGE),
        "abar_points": _t("|Ā| grid points", "integer", "Cor 4.5", _STAGE),
        "thm46_abar": _t("|Ā| values of the Thm 4.6 figure", "list", "Thm 4.6", _STAGE),
        "heatmap_d": _t("d of the mask-expectation heat map", "integer", "Eq. (4)", _STAGE),
        "heatmap_n_clients": _t("N of the heat map", "integer", "Eq. (4)", _STAGE),
        "heatmap_client": _t("client of the heat map", "integer", "Eq. (4)", _STAGE),
        # track_a: the exact model across the whole d axis (theory.structured)
        "exact_all_d": _t(
            "exact optima of the structured model at every d of exact_all_d_log10, per method "
            "and framework",
            "object",
            "Def. 4.1",
            _STAGE,
        ),
        "exact_all_d_log10": _t(
            "(lo, hi, points): the log10 grid of d of exact_all_d", "list", EXT, _STAGE
        ),
        "structured_transform": _t(
            "the structure-keeping H of dissimilar CL in exact_all_d: identity, block-sign-flip, "
            "block-permutation or block-rotation",
            "name",
            "Assumption A.9",
            _STAGE,
        ),
        "gap_N": _t(
            "(min, max) over the optimal set of the gap 1 − min_k r_k over [N] (local: the worst "
            "client, k ≠ i)",
            "pairs in [0, 1]",
            "Def. 4.1",
            _STAGE,
        ),
        "spread_N": _t(
            "(min, max) over the optimal set of the spread max r − min r over [N] (the proofs' "
            "coordinates; local: the worst client)",
            "pairs in [0, 1]",
            "Def. 4.1",
            _STAGE,
        ),
        "spread_c": _t(
            "(min, max) over the optimal set of the spread over [c] (the definition's coordinates)",
            "pairs in [0, 1]",
            "Def. 4.1",
            _STAGE,
        ),
        "thm46_ratio": _t(
            "s_Dec / s_Fed of the bounds against d at the Track A configuration (kept from the "
            "earlier figure; the figure now draws it against |Ā|)",
            "object",
            "Thm 4.6",
            _STAGE,
        ),
        # fig2a / table6 / fig2b / mim_vs_cl: what moves with the mixing
        "exact_s_N_decl": _t(
            "sensitivity over [N] of the exact optimum of Σ_j π_j L_j at the stage's targets (FL "
            "rows: the FL optimum)",
            "in [0, 1]",
            "Def. 4.1",
            _STAGE,
        ),
        "exact_angle_to_fl": _t(
            "largest principal angle between the row spaces of the exact DecL optimum and the "
            "exact FL optimum (FL weights 1/N, or the data-size shares in table6)",
            "rad, in [0, π/2]",
            EXT,
            _STAGE,
        ),
        "exact_probe": _t(
            "the ridge-probe accuracy of the exact DecL optimum (the same probe as probe_accuracy)",
            "fraction in [0, 1]",
            EXT,
            _STAGE,
        ),
        "angle_to_fl": _t(
            "largest principal angle between the trained consensus W̄ and the FL target's top-c "
            "eigenspace (mean over seeds; _se: standard error)",
            "rad, in [0, π/2]",
            EXT,
            _STAGE,
        ),
        "probe_reference": _t(
            "reference accuracies of the probe: probe_chance, probe_majority, probe_raw_input",
            "object",
            EXT,
            _STAGE,
        ),
        "probe_chance": _t(
            "1/K: the accuracy of guessing with K = 2N classes (K = 10 for digits)",
            "fraction in [0, 1]",
            EXT,
            _STAGE,
        ),
        "probe_majority": _t(
            "share of the most frequent test class (always guessing it)",
            "fraction in [0, 1]",
            EXT,
            _STAGE,
        ),
        "probe_raw_input": _t(
            "the same ridge probe fitted on the raw input x (no encoder)",
            "fraction in [0, 1]",
            EXT,
            _STAGE,
        ),
        "digits_probe_reference": _t(
            "probe_chance, probe_majority and probe_raw_input of the digits probe (K = 10)",
            "object",
            EXT,
            _STAGE,
        ),
        "abars": _t("|Ā| values of an experiment", "list", "Fig 2a", _STAGE),
        "alphas": _t("Dirichlet α values (label skew)", "list", "Fig 2b", _STAGE),
        "alpha": _t("Dirichlet α of the label skew", "> 0", "§6", _STAGE),
        "test_per_client": _t("held-out samples per client", "integer", EXT, _STAGE),
        "init_scale": _t("scale of the initial parameters", "> 0", EXT, _STAGE),
        "compute_seconds": _t("seconds of the stage's computation", "s", EXT, _STAGE),
        "avg_degrees": _t("average degrees of a sweep", "list", EXT, _STAGE),
        "connectivities": _t("|Ā| values of a sweep", "list", "Cor 4.5", _STAGE),
        "degree_seeds": _t("seeds per degree of a sweep", "integer", EXT, _STAGE),
        "degree_sweep": _t("degrees of a sweep", "list", EXT, _STAGE),
        "ds": _t("d values", "list", EXT, _STAGE),
        "gammas": _t("γ values of the effective-neighbours walk", "list", EXT, _STAGE),
        "generators": _t("graph generators audited", "list", EXT, _STAGE),
        "sizes_range": _t("range of client data sizes", "[lo, hi]", EXT, _STAGE),
        "sizes_seed": _t("seed of the client data sizes", "integer", EXT, _STAGE),
        "zoo_degree": _t("degree of the topology zoo's random graphs", "integer", EXT, _STAGE),
        "zoo_graphs": _t("graphs of the topology zoo", "list", EXT, _STAGE),
        "zoo_n": _t("N of the topology zoo", "integer", EXT, _STAGE),
        "zoo_seeds": _t("seeds of the topology zoo", "integer", EXT, _STAGE),
        "digits_alphas": _t("α values of the digits experiment", "list", "Fig 2b", _STAGE),
        "digits_c": _t("embedding width of the digits experiment", "integer", EXT, _STAGE),
        "digits_clients": _t("clients of the digits experiment", "integer", EXT, _STAGE),
        "digits_lr": _t("learning rate of the digits experiment", "> 0", EXT, _STAGE),
        "digits_rounds": _t("rounds of the digits experiment", "integer", EXT, _STAGE),
        "track_a": _t(
            "Track A verdict (the paper's formulas): informative, vacuous, invalid, not-run "
            "(report configuration: the track_a stage)",
            "verdict word",
            "docs/verdict_rules.md",
            _CLAIMS,
        ),
    }
)

# the verdict words (theory.verdicts.WORDS) and the reading values of theory.claims
VERDICT_WORDS: dict[str, str] = {
    "informative": "Track A: the formula is defined and says something at the configuration",
    "vacuous": "Track A: the formula is defined but says nothing (LB <= tolerance)",
    "invalid": "Track A: a denominator <= 0, a non-finite value, LB outside [0, 1], or the "
    "paper's formula differs from the exact derivation of the same quantity",
    "holds": "Tracks B/C: the computed quantity satisfies the claim by more than the tolerance",
    "violated": "Tracks B/C: the computed quantity contradicts the claim by more than the "
    "tolerance",
    "degenerate": "Tracks B/C: decided by a tie, not by the model (both sides equal within "
    "tolerance, a flat series, a trivial bound, or a collapsed optimum)",
    "not-unique": "Tracks B/C: the optimum is not unique and the verdict differs across the "
    "optimal set",
    "inconclusive": "Track D (rule D3): the runs cannot tell, the mean difference within "
    "max(2 SE, one test image), or fewer than 2 seeds",
    "void": "Track D (rule D3): an arm of the comparison did not learn (probe not above its "
    "untrained encoder's by 2 SE), is at chance, or has no untrained baseline recorded",
    "not-run": "no evidence was computed (e.g. Track C without --simulate)",
    "mismatch": "report (older runs): the paper's formula and the exact quantity differ",
}
for _w, _m in VERDICT_WORDS.items():
    GLOSSARY[_w] = Term(
        _m,
        "verdict word (also a key of verdict counts)",
        "docs/verdict_rules.md",
        ("verify", "map", "report", "trackd"),
    )

READING_VALUES: dict[str, str] = {
    "eq4-complementary": "MIM target of Eq. (4) with complementary masks, computed exactly "
    "(hollow: zero diagonal)",
    "eq4-independent": "MIM target of Eq. (4) with two independent masks",
    "eq3-reconstruction": "MIM as the reconstruction loss of Eq. (3) (reduced-rank regression)",
    "eq17-surrogate": "the paper's Eq. (17) surrogate target (diagonal)",
    "similar": "CL with similar augmentations",
    "dissimilar-identity": "dissimilar CL with H = I",
    "dissimilar-rotation": "dissimilar CL with a random rotation H of the leading block",
    "dissimilar-rotation-full": "dissimilar CL with a rotation H of all d coordinates (the "
    "DCT-based matrix-free operator; exact Track B only for d <= 2000, not-run above)",
    "dissimilar-permutation": "dissimilar CL with a random permutation H",
    "dissimilar-sign-flip": "dissimilar CL with random sign flips H",
    "spread-N": "sensitivity s_N = max − min RV over the client axes [N]",
    "spread-c": "sensitivity s_c = max − min RV over the first c axes",
}
for _w, _m in READING_VALUES.items():
    GLOSSARY[_w] = Term(
        _m,
        "reading value",
        "theory.claims readings (an extension: the paper is ambiguous here)",
        ("verify", "map"),
    )

CLAIMS: dict[str, str] = {
    "eq17": "Eq. (17): the mask expectation of Eq. (4) is 2p(1−p)·diag(E[x∘x])",
    "eq29-30": "Eqs. (27)-(30): the DecL neighbourhood average gives (1−1/|Ā|)τ² on [N]",
    "thm4.2.local": "Thm 4.2 item 1: local MIM RV lower bound",
    "thm4.2.decl": "Thm 4.2 item 2: DecL MIM RV lower bound",
    "thm4.2.fl": "Thm 4.2 item 3: FL MIM RV lower bound",
    "thm4.3.local": "Thm 4.3 item 1: local CL RV lower bound",
    "thm4.3.decl": "Thm 4.3 item 2: DecL CL RV lower bound",
    "thm4.3.fl": "Thm 4.3 item 3: FL CL RV lower bound",
    "thm4.4": "Thm 4.4: MIM is more robust than CL (lim s^C > s^M)",
    "cor4.5": "Cor 4.5: DecL robustness improves with |Ā|",
    "thm4.6": "Thm 4.6: FL is no less robust than DecL (s_Dec >= s_Fed)",
    "thm4.6.eq87": "Thm 4.6, Eq. (87): s_Dec > s_Fed when |Ā| < N",
    "thm4.6.eq89": "Thm 4.6, Eq. (89): s_Dec = s_Fed when |A_i| = N for all i",
}
for _w, _m in CLAIMS.items():
    GLOSSARY[_w] = Term(_m, "claim id", "§4", ("verify", "map", "report", "trackd"))
del _w, _m

#: Key families: (regular expression, meaning with {0} for the first group, unit, source,
#: groups). Tried in order when a key has no entry of its own.
PATTERNS: tuple[tuple[str, str, str, str, tuple], ...] = (
    (
        r"(.+)_se",
        "standard error over seeds (or Monte Carlo samples) of {0}",
        ">= 0",
        "rule T6 (docs/verdict_rules.md)",
        ("simulate", "verify", "map", "report"),
    ),
    (r"d=(\d+)", "results at dimension d = {0}", "object", EXT, ("verify", "report")),
    (
        r"(\d+(?:\.\d+)?)",
        "a value keyed by a number: a dimension d (d_sweep), a client count N (atlas), an "
        "|Ā| or a Dirichlet α (trackd)",
        "object or verdict",
        EXT,
        ("verify", "map", "report", "trackd"),
    ),
    (
        r"local(\d+)",
        "the local optimum of client {0} (1-based)",
        "object",
        "Thms 4.2/4.3 item 1",
        ("exact",),
    ),
    (
        r"([a-z_]+=[^,]*(?:,[a-z_]+=[^,]*)*)",
        "a reading or configuration label (dimension=value pairs): {0}",
        "label",
        EXT,
        ("verify", "map"),
    ),
    (
        r"(.+)_min",
        "smallest value of {0} (the min of a (min, max) pair, as a CSV column)",
        "as {0}",
        EXT,
        ("exact",),
    ),
    (
        r"(.+)_max",
        "largest value of {0} (the max of a (min, max) pair, as a CSV column)",
        "as {0}",
        EXT,
        ("exact",),
    ),
    (
        r"(.+)\[([0-9,]+)\]",
        "entry {1} (0-based) of the list {0} (a CSV column)",
        "as {0}",
        EXT,
        ("exact", "simulate", "topology"),
    ),
    (r"-", "the only reading of a claim with one reading", "label", EXT, ("verify", "map")),
    (
        r"track C (.+)",
        "the Track C headline of claim {0} (stage summary of the verdict map)",
        "text",
        EXT,
        ("map", "report"),
    ),
    (r"A\.(\d+)", "Assumption A.{0} of the paper (met / not met)", "text", "Appendix A", ("map",)),
    (
        r"([A-Za-z0-9-]+)-diagonal",
        "assumption check: the target of {0} is diagonal (met / not met)",
        "text",
        PAPER,
        ("map",),
    ),
)

#: the families whose first group must itself be an explained key
_NEEDS_BASE = {r"(.+)_se", r"(.+)_min", r"(.+)_max", r"(.+)\[([0-9,]+)\]"}

#: Keys whose children are names (claim ids, labels, values), not output keys; the number is
#: how many levels below are names (None: every level down to the records that carry a
#: ``mean``). Their children's names are not looked up.
NAME_CONTAINERS = {
    "files": 1,  # compare: per file name
    "readings": 1,
    "d_sweep": 1,
    "rows": 1,
    "columns": 1,
    "counts": 1,
    "track_a_counts": 1,
    "assumptions": 2,
    "summary": 1,
    "configuration": 1,
    "software": 1,
    "experiments": None,
    "verdicts": 1,
    "atlas": 1,
    "claim_readings": 1,
    "thm46": 1,
    "eq87": 1,
}


def _check_command(command) -> str | None:
    if command is None:
        return None
    return v.choice(command, "command", COMMANDS)


def describe(key: str, command: str | None = None) -> Term | None:
    """The glossary entry of an output ``key`` (in ``command``'s output, if given), or None.

    Looks up ``command:key``, then ``key``, then the families of :data:`PATTERNS`.

    >>> describe("p", "topology").meaning.startswith("p = 1 − λ²")
    True
    >>> describe("alignment_se").meaning
    'standard error over seeds (or Monte Carlo samples) of alignment'
    """
    command = _check_command(command)
    if not isinstance(key, str):
        v.fail("key", "a string", key)
    if command is not None and f"{command}:{key}" in GLOSSARY:
        return GLOSSARY[f"{command}:{key}"]
    if key in GLOSSARY:
        return GLOSSARY[key]
    for pattern, meaning, unit, source, groups in PATTERNS:
        m = re.fullmatch(pattern, key)
        if m is None:
            continue
        if pattern in _NEEDS_BASE and describe(m.group(1), command) is None:
            continue  # "x_se" is explained only where x is
        return Term(meaning.format(*m.groups()), unit.format(*m.groups()), source, groups)
    return None


def iter_keys(obj, command: str | None = None) -> Iterator[str]:
    """Every key of a JSON-like output ``obj`` (nested dicts and lists), skipping the names
    under :data:`NAME_CONTAINERS` (their values are still visited)."""
    _check_command(command)

    def walk(o, skip):
        if isinstance(o, dict):
            for k, val in o.items():
                if skip <= 0:
                    yield str(k)
                depth = NAME_CONTAINERS.get(str(k), 0) if skip <= 0 else skip - 1
                if depth is None:  # names down to the records that carry a "mean"
                    yield from walk_records(val)
                else:
                    yield from walk(val, depth)
        elif isinstance(o, (list, tuple)):
            for x in o:
                yield from walk(x, skip)

    def walk_records(o):
        if isinstance(o, dict):
            if "mean" in o:
                yield from walk(o, 0)
            else:
                for val in o.values():
                    yield from walk_records(val)

    yield from walk(obj, 0)


def unknown_keys(obj, command: str | None = None) -> list[str]:
    """The keys of ``obj`` that the glossary does not explain (sorted, each once).

    >>> unknown_keys({"lambda2": 0.5, "no_such_key": 1}, "topology")
    ['no_such_key']
    """
    return sorted({k for k in iter_keys(obj, command) if describe(k, command) is None})


def _entries(groups) -> list[tuple[str, Term]]:
    out = []
    for key, term in GLOSSARY.items():
        cmd, _, bare = key.rpartition(":")
        if cmd and cmd not in groups:
            continue
        if not set(term.commands) & set(groups):
            continue
        if not cmd and any(f"{g}:{key}" in GLOSSARY for g in groups):
            continue  # the command's own meaning replaces the general one
        out.append((bare, term))
    return sorted(out, key=lambda kv: kv[0].lower())


def epilog(command: str) -> str:
    """Text for ``dssl <command> --help`` (argparse epilog, RawDescriptionHelpFormatter): the
    command's output keys, each with its meaning, unit or range, and source.

    >>> "probe_accuracy" in epilog("simulate")
    True
    """
    command = v.choice(command, "command", tuple(HELP_GROUPS))
    groups = HELP_GROUPS[command]
    lines = [
        "output keys (--json; --csv columns use the same names; full glossary: docs/glossary.md):"
    ]
    wrap = textwrap.TextWrapper(width=100, initial_indent="  ", subsequent_indent="      ")
    evidence = []
    for key, term in _entries(groups):
        if "evidence" in groups and term.commands[0] == "evidence":
            evidence.append(key)
            continue
        text = f"{key}: {term.meaning} [{term.unit}] ({term.source})"
        lines.extend(wrap.wrap(text))
    if evidence:
        lines.append("numbers of the claims' evidence (each explained in docs/glossary.md):")
        lines.extend(wrap.wrap(", ".join(evidence)))
    return "\n".join(lines)


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown() -> str:
    """The whole glossary as Markdown: one table of keys (with the outputs that emit them),
    then the key families and the containers whose children are names.

    >>> markdown().splitlines()[0]
    '# Output keys explained'
    """
    lines = [
        "# Output keys explained",
        "",
        "Every key that a `dssl` subcommand prints with `--json` (and writes as a `--csv` "
        "column), and the keys of `report.json` and `verdict_map.json`. *Source* is the "
        f"equation of {PAPER} the quantity comes from, or *{EXT}*. Generated from "
        "`sims/glossary.py` (`python -m sims.glossary`); `dssl <command> --help` lists the "
        "same entries for one command.",
        "",
        "Two quantities share the letter p: the **mask ratio** p of MIM (`p` everywhere) and "
        "**p = 1 − λ²** of a mixing matrix (`p` in `dssl topology`). |Ā| (`abar`, "
        "`avg_connectivity`) counts the node itself: it is the average degree + 1. π of "
        "Eq. (1) (`objective_weights`, `decl`) is not the stationary distribution of W "
        "(`stationary_weights`, `decl_stationary`). `gap` is 1 − min r over the client axes, "
        "not the spectral gap (`spectral_gap` = 1 − λ). In the *output* column, *evidence* "
        "marks the numbers behind a claim's verdict (`evidence.track_*.numbers`).",
        "",
        "| key | output | meaning | unit / range | source |",
        "|---|---|---|---|---|",
    ]
    for key in sorted(GLOSSARY, key=lambda k: (k.rpartition(":")[2].lower(), k)):
        t = GLOSSARY[key]
        cmd, _, bare = key.rpartition(":")
        where = cmd if cmd else ", ".join(t.commands)
        lines.append(
            f"| `{_md(bare)}` | {_md(where)} | {_md(t.meaning)} | {_md(t.unit)} | {_md(t.source)} |"
        )
    lines += [
        "",
        "## Key families",
        "",
        "| pattern | meaning | unit / range | source |",
        "|---|---|---|---|",
    ]
    for pattern, meaning, unit, source, _ in PATTERNS:
        lines.append(
            f"| `{_md(pattern)}` | {_md(meaning.replace('{0}', '…').replace('{1}', '…'))} "
            f"| {_md(unit.replace('{0}', '…'))} | {_md(source)} |"
        )
    lines += [
        "",
        "## Containers whose children are names",
        "",
        "The children of these keys are names (claim ids, reading labels, verdict words, "
        "configuration labels), not further keys: "
        + ", ".join(f"`{k}`" for k in NAME_CONTAINERS)
        + ".",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(markdown(), end="")
