"""theory.assumptions: which readings the A.5 check computes."""

from __future__ import annotations

import pytest

from theory import assumptions as A
from theory import claims as cl


def test_default_readings_skip_what_is_not_computable_above_the_dense_limit():
    """The full-space rotation reading has an exact optimum only for d <= 2000: by default it is
    left out of A.5 above that, and naming it explicitly raises NotApplicable."""
    from theory._precision import x64
    from theory.claims_model import NotApplicable

    cfg = cl.VerifyConfig(d=2500, n_clients=4)
    with x64():
        rows = A.check(cfg)
        methods = [r["value"]["method"] for r in rows if r["assumption"] == "A.5"]
        assert "dissimilar-rotation-full" not in methods and "similar" in methods
        with pytest.raises(NotApplicable):
            A.check(cfg, methods=("dissimilar-rotation-full",))
