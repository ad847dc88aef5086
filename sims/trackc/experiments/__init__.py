r"""The paper's experiments redone with linear encoders (Section 6 of arXiv 2607.02447).

Each experiment is a preset in :mod:`sims.core.config` (one frozen dataclass per figure), a function
returning a JSON-ready dict, a figure in :mod:`sims.reproduce.figures.experiments`, and a stage of
``dssl reproduce`` (one module each in :mod:`sims.reproduce.stages`).

* :func:`fig2a` — DecL MIM on 20 clients over :math:`\lvert\bar A\rvert \in \{3, 5, 10, 20\}`,
  "general" (Erdős–Rényi, uneven degrees) vs "uniform" (random regular) graphs, FL
  reference = :math:`\lvert\bar A\rvert = 20` (all clients): sensitivity over [N], mean RV over
  [N] and probe accuracy against :math:`\lvert\bar A\rvert`, :math:`\lambda_2` and the effective
  number of neighbours (Vogels et al. 2022; an extension, not the paper's theory).
* :func:`table6` — DecL MIM with uniform, data-size, Metropolis and max-degree mixing on the
  official code's graph at :math:`\lvert\bar A\rvert \approx 5` and :math:`\approx 10`,
  Dirichlet(0.1) label-skewed clients; FL reference: data-size FedAvg with all clients.
* :func:`fig2b` — MAR (γ cosine schedule, Eq. 5–7) vs MIM over
  :math:`\alpha \in \{1, 0.1, 0.01, 0.001\}` in FL (all clients per round) and DecL, Dirichlet
  label skew of the 2N classes of the paper's model.

FL runs use full participation: FedAvg with :math:`S = N` is the mixing matrix
:math:`M_t = \mathbf{1} s^\top` (uniform: J), so it shares one compiled sweep with the DecL
runs (deviation from the paper's 5-of-N sampling, made for speed: each distinct engine
configuration costs one XLA compilation).

* :func:`mim_vs_cl` — MIM vs CL in FL on the paper's model across d (the theorems' scaling)
  and on scikit-learn digits across Dirichlet α.

Linear-setting stand-ins for the paper's measurements (deviations, stated): "accuracy" is the
held-out accuracy of a closed-form ridge probe on :math:`\bar W x`
(``sims.metrics.probe_accuracy``), not fine-tuning; robustness is the RV sensitivity over
[N] of the consensus model :math:`\bar W` (RV on the significant row space,
``sims.metrics.representability_vector``). Dirichlet partitions are Hsu et al.'s form
over a pooled sample of the paper's model (labels = the 2N classes and the rare classes'
labels). Seeds vary initialisation, minibatches and masks; the sample and the graph are drawn
once per experiment.

Every name above is importable from here; the code lives in
:mod:`sims.trackc.experiments.connectivity` (Fig. 2a, Table 6),
:mod:`sims.trackc.experiments.method_comparisons` (Fig. 2b, MIM vs CL) and
:mod:`sims.trackc.experiments.consensus_rounds` (the consensus stage).
"""

from __future__ import annotations

from sims.trackc.experiments._common import _exact_row, _probe_references  # noqa: F401
from sims.trackc.experiments.connectivity import fig2a, table6
from sims.trackc.experiments.consensus_rounds import CONSENSUS_GRAPHS, consensus  # noqa: F401
from sims.trackc.experiments.method_comparisons import fig2b, mim_vs_cl

__all__ = ["fig2a", "table6", "fig2b", "mim_vs_cl", "consensus"]
