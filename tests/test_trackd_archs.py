"""Track D's architecture registry (``sims.trackd.models.Arch``): every name resolves, an
unknown name fails with one line naming ``arch``, the registry's names are those the presets
use, and each preset's per-architecture settings exist and reach the arm's configurations.

No test here asserts anything about the paper's claims: they check the computations.
"""

from __future__ import annotations

import dataclasses

import pytest

from sims.trackd import experiments, presets
from sims.trackd.models import ARCHS, Arch, NetConfig, arch_of


def _preset_archs() -> set:
    names = set()
    for experiments_of in presets.PRESETS.values():
        for cfg in experiments_of.values():
            names.update(getattr(cfg, "archs", ()))
            if hasattr(cfg, "arch"):
                names.add(cfg.arch)
    return names


@pytest.mark.parametrize("name", ARCHS)
def test_every_arch_name_resolves_to_its_value(name):
    arch = arch_of(name)
    assert isinstance(arch, Arch)
    assert arch.name == name


@pytest.mark.parametrize("bad", ["resnet", "MLP", "", 3])
def test_an_unknown_arch_fails_in_one_line_naming_arch(bad):
    with pytest.raises((ValueError, TypeError)) as err:
        arch_of(bad)
    msg = str(err.value)
    assert "arch" in msg
    assert "\n" not in msg
    with pytest.raises((ValueError, TypeError), match="arch"):
        NetConfig(arch=bad)


def test_the_registry_names_the_architectures_the_presets_use():
    assert set(ARCHS) == _preset_archs()


@pytest.mark.parametrize("name", ARCHS)
def test_own_settings_are_preset_fields(name):
    fields = {f.name for f in dataclasses.fields(presets.Common)}
    for setting in arch_of(name).own_settings:
        assert f"{name}_{setting}" in fields
        assert setting == "dec_hidden" or setting in fields


@pytest.mark.parametrize("preset", list(presets.PRESETS))
@pytest.mark.parametrize("name", ARCHS)
def test_arm_configs_take_the_architectures_own_settings(preset, name):
    c = presets.preset(preset, "table1").common
    nc = experiments.net_config(c, name, "mae", (28, 28, 1))
    lc = experiments.loss_config(c, "mae", name)
    # the per-architecture choices written out by hand
    want_width = {"mlp": c.width, "cnn": c.cnn_width, "vit": c.vit_width}[name]
    assert nc.width == (c.width if want_width is None else want_width)
    assert nc.depth == (c.cnn_depth if name == "cnn" else c.depth)
    assert nc.dec_hidden == (c.cnn_dec_hidden if name == "cnn" else None)
    assert lc.p == (c.cnn_p if name == "cnn" and c.cnn_p is not None else c.p)
    assert nc.rep_dim == (nc.width if name == "vit" else nc.embed)
