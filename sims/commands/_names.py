"""The names the ``dssl`` options offer at parse time (choices, defaults, file names), kept
here so that parsing imports nothing heavy (:mod:`sims.commands._lazy`).

Each is a copy of the name in the module that defines it, named beside it;
``tests/test_cli_light.py`` checks every copy against its source, so they cannot drift.
"""

from __future__ import annotations

#: theory.topology.GRAPHS
GRAPHS = (
    "complete",
    "ring",
    "torus",
    "star",
    "hypercube",
    "exponential",
    "erdos_renyi",
    "random_regular",
    "paper_code",
)
#: sims.core.mixing.RULE_GRAPHS (graphs that are their own mixing rule)
RULE_GRAPHS = ("one_peer_exp", "static_exp", "matching")
#: theory.sparse_graphs.SPARSE_GRAPHS, SPARSE_MIXINGS (the sparse summary's graphs and rules)
SPARSE_GRAPHS = ("ring", "torus", "hypercube", "exponential", "random_regular")
SPARSE_MIXINGS = ("uniform", "metropolis", "max_degree")
#: sims.core.mixing.DENSE_GOSSIP_MAX_BYTES (above it, dssl topology's automatic solver is sparse)
DENSE_GOSSIP_MAX_BYTES = 2**28
#: theory.topology.MIXINGS
MIXINGS = ("uniform", "metropolis", "max_degree", "data_size", "fedavg")
#: theory.bounds.SIGNS, theory.bounds.FL_TERMS
SIGNS = ("+", "-")
FL_TERMS = ("eq37", "theta")
#: theory.bounds.CONSTANT_RANGE (the range of a hidden constant C_num, C_den, C_F, C_N)
BOUND_CONSTANT_RANGE = (1e-100, 1e100)
#: theory.objectives.METHODS, theory.objectives.TRANSFORMS
OBJECTIVE_METHODS = ("cl", "cl-dissimilar", "mim", "mim-paper", "mim-independent", "mim-recon")
OBJECTIVE_TRANSFORMS = ("identity", "permutation", "sign-flip", "rotation")
#: the methods whose target the mask ratio enters: theory.objectives.uses_mask_ratio(name)
MASK_RATIO_METHODS = ("mim", "mim-paper", "mim-independent", "mim-recon")
#: the methods with a transform H: theory.objectives.takes_transform(name)
TRANSFORM_METHODS = ("cl-dissimilar",)
#: theory.structured.STRUCTURED_TRANSFORMS
STRUCTURED_TRANSFORMS = ("identity", "block-sign-flip", "block-permutation", "block-rotation")
#: sims.trackc.engine_config.METHODS, FRAMEWORKS, OPTIMIZERS, AGGREGATIONS, DTYPES, ALGORITHMS
SIM_METHODS = ("cl", "cl-dissimilar", "mim", "mim-independent", "mim-recon", "mar", "ssd")
ALGORITHMS = ("none", "fedprox", "scaffold")
FRAMEWORKS = ("fl", "decl")
OPTIMIZERS = ("sgd", "momentum", "adam", "adamw")
AGGREGATIONS = ("uniform", "data-size")
DTYPES = ("float32", "float64")
#: the frameworks whose mixing rule takes a matrix (a graph):
#: sims.trackc.engine_config.MIXING_RULES[name].takes_matrix
MATRIX_FRAMEWORKS = ("decl",)
#: the methods whose clients exchange embeddings (MAR): sims.losses.methods.get(name).embeddings
EMBEDDING_METHODS = ("mar",)
#: the methods that mask their views (--p enters): sims.losses.methods.get(name).masks
MASKING_METHODS = ("mim", "mim-independent", "mim-recon", "mar", "ssd")
#: sims.trackc.simulate.DEFAULTS, sims.trackc.simulate.LR_STABLE_FRACTION
SIM_DEFAULTS = dict(rounds=300, lr=0.01, local_steps=5, batch=256, samples_per_client=None)
LR_STABLE_FRACTION = 0.25
#: sims.trackd.data.DATASETS
DATASETS = ("mnist", "digits", "cifar10", "npz")
#: what each dataset's --data-path names: sims.trackd.data.SOURCES[name].path
DATA_PATHS = {"mnist": None, "digits": None, "cifar10": "directory", "npz": "file"}
#: sims.data.datasets._CIFAR_TRAIN + (_CIFAR_TEST,): the batch files of a CIFAR-10 folder
CIFAR10_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)
#: SAMPLES_PER_CLIENT of benchmarks/timing.py
BENCH_SAMPLES_PER_CLIENT = 256
#: theory.claims.CLAIM_IDS
CLAIM_IDS = (
    "eq17",
    "eq29-30",
    "thm4.2.local",
    "thm4.2.decl",
    "thm4.2.fl",
    "thm4.3.local",
    "thm4.3.decl",
    "thm4.3.fl",
    "thm4.4",
    "cor4.5",
    "thm4.6",
    "thm4.6.eq87",
    "thm4.6.eq89",
)
#: sims.trackd.verdicts.VERDICTS_FILE, DECISIVE_DIR, DECISIVE_COMMAND, CLAIM_OF (and below)
TRACKD_VERDICTS_FILE = "trackd_verdicts.json"
TRACKD_DECISIVE_DIR = "figures/trackd_decisive"
TRACKD_DECISIVE_COMMAND = f"dssl trackd --preset decisive --save {TRACKD_DECISIVE_DIR}"
#: sims.trackd.verdicts.PAPER_SCALE_DIR
TRACKD_PAPER_SCALE_DIR = "figures/trackd_paper_scale"
TRACKD_CLAIM_OF = {"mim_vs_cl": "thm4.4", "connectivity": "cor4.5", "fl_vs_decl": "thm4.6"}
#: sims.reproduce.stages.STAGES: each stage's name in run order, and what a stage needs
STAGE_NAMES = (
    "track_a",
    "mask",
    "topology_audit",
    "verify",
    "fig2a",
    "table6",
    "fig2b",
    "mim_vs_cl",
    "consensus",
    "track_c",
    "verdict_map",
    "trackd_table1",
    "trackd_fig2a",
    "trackd_fig2b",
    "trackd_verdicts",
    "report",
)
STAGE_NEEDS = {"report": ("verify", "runs")}
