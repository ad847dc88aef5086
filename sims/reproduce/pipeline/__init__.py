"""The ``dssl reproduce`` machinery: typed stage configs (:mod:`~sims.core.experiment_config`), the
:class:`~sims.reproduce.pipeline.stage.Stage` contract, JSON and figure files
(:mod:`~sims.reproduce.pipeline.jsonio`) and the cached, atomic runner
(:mod:`~sims.reproduce.pipeline.runner`). The stages themselves, in run order, are
:data:`sims.reproduce.stages.STAGES`.
"""

from sims.core.experiment_config import StageConfig, field
from sims.reproduce.pipeline.runner import Interrupted, run_stages, select_stages
from sims.reproduce.pipeline.stage import Stage

__all__ = ["Stage", "StageConfig", "field", "run_stages", "select_stages", "Interrupted"]
