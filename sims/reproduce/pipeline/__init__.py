"""The ``dssl reproduce`` machinery: typed stage configs (:class:`theory._config.StageConfig`), the
:class:`~sims.reproduce.pipeline.stage.Stage` contract, JSON and figure files
(:mod:`~sims.reproduce.pipeline.jsonio`) and the cached, atomic runner
(:mod:`~sims.reproduce.pipeline.runner`). The stages themselves, in run order, are
:data:`sims.reproduce.stages.STAGES`.
"""

from sims.reproduce.pipeline.runner import Interrupted, run_stages, select_stages
from sims.reproduce.pipeline.stage import Stage
from theory._config import StageConfig, field

__all__ = ["Stage", "StageConfig", "field", "run_stages", "select_stages", "Interrupted"]
