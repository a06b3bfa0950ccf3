"""lumen.settings: one way from the merged config to typed settings; defaults only in
policy/defaults; flag values checked by the config file's rules."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from gates.errors import ConfigError, UsageError
from gates.result import OnNoData
from lumen.config import Config, shipped_defaults
from lumen.settings import Scope, Settings, default_of, default_text, validate_flags

NOWHERE = Scope(None, None)


def test_default_of_reads_the_shipped_text() -> None:
    assert default_of("integrated", "min-overall") == "default 0.60"
    assert default_of("roi", "min-success-rate") == "default 0.80"
    assert default_text("sampler", "window") == "24h, 6h"
    with pytest.raises(ConfigError, match="no shipped default"):
        default_text("integrated", "no-such-key")


@pytest.mark.parametrize("bad", [-1.0, 1.5, math.nan, math.inf, -math.inf])
def test_flag_values_follow_the_config_rules(bad: float) -> None:
    with pytest.raises(UsageError) as caught:
        validate_flags("integrated", {"min-overall": bad, "min-band": None})
    assert caught.value.field == "--min-overall"
    assert "\n" not in str(caught.value)


def test_flag_names_can_differ_from_keys() -> None:
    with pytest.raises(UsageError) as caught:
        Settings.build(Config(), {"integrated": {"qa-min-overall": 2.0}}, {"qa-min-overall": "--x"})
    assert caught.value.field == "--x"
    validate_flags("integrated", {"min-overall": 0.0, "borderline": "warn"})


def test_precedence_flag_env_service_env_section_default() -> None:
    config = Config(
        data={
            "integrated": {"min-overall": 0.61},
            "environments": {
                "prod": {
                    "integrated": {"min-overall": 0.62},
                    "services": {"api": {"integrated": {"min-overall": 0.63}}},
                }
            },
        }
    )
    plain = Settings.build(Config())
    assert plain.integrated(NOWHERE).gate.min_overall == 0.60
    settings = Settings.build(config)
    assert settings.integrated(NOWHERE).gate.min_overall == 0.61
    assert settings.integrated(Scope("prod", None)).gate.min_overall == 0.62
    assert settings.integrated(Scope("prod", "api")).gate.min_overall == 0.63
    flagged = Settings.build(config, {"integrated": {"min-overall": 0.64}})
    assert flagged.integrated(Scope("prod", "api")).gate.min_overall == 0.64


def test_integrated_on_no_data_falls_back_to_the_top_level() -> None:
    assert Settings.build(Config()).integrated(NOWHERE).on_no_data is OnNoData.PASS
    top = Config(data={"on-no-data": "warn"})
    assert Settings.build(top).integrated(NOWHERE).on_no_data is OnNoData.WARN
    section = Config(data={"on-no-data": "warn", "integrated": {"on-no-data": "fail"}})
    assert Settings.build(section).integrated(NOWHERE).on_no_data is OnNoData.FAIL


def test_every_shipped_section_builds() -> None:
    settings = Settings.build(Config())
    assert settings.maturity(NOWHERE).thresholds.min_overall == 0.60
    assert settings.maturity(NOWHERE).thresholds.min_sense == 0.50
    assert settings.maturity(NOWHERE).windows == ("24h",)
    assert settings.roi(NOWHERE).checks.min_deploys == 5
    assert settings.slo(NOWHERE).objective == 0.99
    assert settings.score(NOWHERE).score_min == 70
    assert settings.resonance(NOWHERE).thresholds.max_phase == 1.2
    assert settings.integrated(NOWHERE).qa.min_overall == 0.65


def test_a_missing_default_is_an_error_naming_the_defaults_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yaml

    data = shipped_defaults("integrated")
    del data["min-overall"]
    (tmp_path / "integrated.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    monkeypatch.setattr("lumen.config.defaults_dir", lambda: tmp_path)
    monkeypatch.setattr("lumen.settings.defaults_dir", lambda: tmp_path)
    with pytest.raises(ConfigError, match="no value and no shipped default") as caught:
        Settings.build(Config()).integrated(NOWHERE)
    assert caught.value.file == str(tmp_path / "integrated.yml")
