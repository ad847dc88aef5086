"""Table 1 under the official code's balanced Dirichlet (``Table1.balanced``, ``dssl trackd
--balanced``): the split is the balanced form, its arms are kept apart from the Hsu form's,
and the flag is refused where it has no effect. Nothing here reads a paper claim."""

from __future__ import annotations

import argparse
import dataclasses

import pytest

from sims.trackd import presets
from sims.trackd.arms import ArmKey, Arms

_ARM = Arms.arm  # the real method, wrapped by each call's spy


def _table1(monkeypatch, balanced: bool) -> tuple[dict, list]:
    from sims.trackd import experiments as ex

    keys = []

    def fake_run_arm(common, arch, data, *, seed_key, objective="mae", **kw):
        return None, {"probe": 0.5, "knn": 0.5, "erank": 1.0, "untrained_probe": 0.3}

    def spy(self, key, curve_every, train):
        keys.append(key)
        return _ARM(self, key, curve_every, train)

    monkeypatch.setattr(ex, "run_arm", fake_run_arm)
    monkeypatch.setattr(Arms, "arm", spy)
    monkeypatch.setattr(Arms, "put", lambda *a, **k: None)  # the fake result keeps nothing
    base = presets.PRESETS["fast"]["table1"]
    common = dataclasses.replace(base.common, seeds=1, curve_every=0)
    cfg = dataclasses.replace(base, common=common, skews=("label",), balanced=balanced)
    return ex.table1(cfg, arms=Arms()), keys


def test_balanced_table1_splits_equal_clients_and_keys_its_arms_apart(monkeypatch):
    hsu, hsu_keys = _table1(monkeypatch, False)
    bal, bal_keys = _table1(monkeypatch, True)
    assert hsu["meta"]["partition"] == "hsu" and bal["meta"]["partition"] == "balanced"
    sizes = bal["partitions"]["label"][0]["sizes"]
    assert max(sizes) - min(sizes) <= 0.02 * max(sizes)  # the official form: equal sizes
    assert max(hsu["partitions"]["label"][0]["sizes"]) > max(sizes)
    assert {k.partition for k in hsu_keys} == {"hsu"}
    assert {k.partition for k in bal_keys} == {"balanced"}
    assert ArmKey._fields[-1] == "partition"


def test_balanced_is_refused_where_it_has_no_effect():
    from sims.commands import trackd as cmd

    args = argparse.Namespace(dataset=None, data_path=None, seeds=None, rounds=None,
                              balanced=True)  # fmt: skip
    assert cmd._override(presets.preset("fast", "table1"), args).balanced is True
    with pytest.raises(ValueError, match=r"^--balanced: must be omitted except with"):
        cmd._override(presets.preset("fast", "fig2a"), args)
