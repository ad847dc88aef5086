"""One config style: VerifyConfig, EvidenceSettings and the stage configs round-trip through
JSON and reject bad values with one line naming the field (theory._config)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from theory import _config, claims


def test_verify_config_round_trip_through_json_text():
    cfg = claims.VerifyConfig(d=300, graph="ring", d_sweep=(100, 300), c_num=2.0, sign="-")
    text = json.dumps(claims.config_dict(cfg))
    back = claims.config_from_json(json.loads(text))
    assert back == cfg and isinstance(back.d_sweep, tuple)
    # the JSON form is the one reports always wrote (dataclasses.asdict, dumped), without the
    # rules chosen for one evaluation, not a configuration (T2's positivity, R4's free_rows,
    # T7's certify: each set only to report a changed rule's old answer)
    rules = ("positivity", "free_rows", "certify")
    plain = {k: v for k, v in dataclasses.asdict(cfg).items() if k not in rules}
    assert text == json.dumps(plain)


@pytest.mark.parametrize(
    ("data", "field"),
    [({"d": "x"}, "d"), ({"dd": 3}, "dd"), ({"p": 1.5}, "p"), ({"graph": "nope"}, "graph")],
)
def test_verify_config_from_json_names_the_bad_field(data, field):
    with pytest.raises(ValueError, match=rf"^{field}: ") as err:
        claims.config_from_json(data)
    assert "\n" not in str(err.value)


def test_evidence_settings_round_trip_and_limits():
    from sims.trackc.evidence import DEFAULT_SETTINGS, FAST_SETTINGS, EvidenceSettings

    for s in (DEFAULT_SETTINGS, FAST_SETTINGS, EvidenceSettings(lr=1, dtype="float64")):
        assert EvidenceSettings.from_json(json.loads(json.dumps(s.to_json()))) == s
    assert EvidenceSettings(lr=1).lr == 1.0 and isinstance(EvidenceSettings(lr=1).lr, float)
    for bad, field in [
        ({"rounds": 0}, "rounds"),
        ({"lr_schedule": "step"}, "lr_schedule"),
        ({"dtype": "float16"}, "dtype"),
        ({"seeds": 1.5}, "seeds"),
    ]:
        with pytest.raises(ValueError, match=rf"^{field}: "):
            EvidenceSettings(**bad)
    with pytest.raises(ValueError, match="^epochs: "):
        EvidenceSettings.from_json({"epochs": 3})


def test_stage_config_builds_on_the_same_base():
    from sims.reproduce.pipeline import StageConfig

    assert issubclass(StageConfig, _config.JsonConfig)
    with pytest.raises(ValueError, match="^config: "):
        _config.to_json(3)
