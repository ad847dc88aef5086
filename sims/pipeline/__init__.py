"""The ``dssl reproduce`` machinery: typed stage configs (:mod:`~sims.pipeline.config`), the
:class:`~sims.pipeline.stage.Stage` contract, JSON and figure files
(:mod:`~sims.pipeline.jsonio`) and the cached, atomic runner (:mod:`~sims.pipeline.runner`).
The stages themselves, in run order, are :data:`sims.stages.STAGES`.
"""

from sims.pipeline.config import StageConfig, field
from sims.pipeline.runner import Interrupted, run_stages, select_stages
from sims.pipeline.stage import Stage

__all__ = ["Stage", "StageConfig", "field", "run_stages", "select_stages", "Interrupted"]
