"""Config loading and validation: unknown keys name the key and the line; precedence order."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from gates.errors import ConfigError
from lumen.cli import main
from lumen.config import Config, canonical_env, deep_merge, load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lumen.yml"
    path.write_text(textwrap.dedent(text))
    return path


def test_unknown_top_level_key_names_key_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        version: 1
        env: prod

        maturiti:
          min-overall: 0.7
        """,
    )
    with pytest.raises(ConfigError) as exc:
        load_config(str(path))
    assert exc.value.line == 4
    assert exc.value.field == "maturiti"
    assert "unknown key 'maturiti'" in str(exc.value)
    assert str(exc.value).startswith(f"{path}:4: maturiti: ")


def test_unknown_nested_key_in_environment_block(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        environments:
          prod:
            roi:
              min-success-rate: 0.9
              max-rollbak-rate: 0.1
        """,
    )
    with pytest.raises(ConfigError) as exc:
        load_config(str(path))
    assert exc.value.line == 5
    assert exc.value.field == "environments.prod.roi.max-rollbak-rate"


def test_wrong_type_names_the_value_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        maturity:
          window: 24h
          min-overall: "high"
        """,
    )
    with pytest.raises(ConfigError) as exc:
        load_config(str(path))
    assert exc.value.line == 3
    assert exc.value.field == "maturity.min-overall"


def test_yaml_syntax_error_has_line(tmp_path: Path) -> None:
    path = write(tmp_path, "maturity:\n  window: [24h\n  min-overall: 0.6\n")
    with pytest.raises(ConfigError) as exc:
        load_config(str(path))
    assert exc.value.line is not None and exc.value.line >= 2
    assert "not valid YAML" in str(exc.value)


def test_config_check_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(tmp_path, "version: 1\nenv: production\n")
    assert main(["config", "check", str(good)]) == 0
    assert "OK" in capsys.readouterr().out
    bad = tmp_path / "bad.yml"
    bad.write_text("version: 1\nfoo: 1\n")
    assert main(["config", "check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:2: foo: unknown key 'foo'" in err


def test_threshold_precedence(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        maturity:
          min-overall: 0.61
          min-band: 0.51
        environments:
          prod:
            maturity:
              min-overall: 0.70
            services:
              api:
                maturity:
                  min-overall: 0.80
        """,
    )
    config = load_config(str(path))
    # shipped default < top level < env < env×service < flag
    assert Config().section("maturity")["min-overall"] == pytest.approx(0.60)
    assert config.section("maturity")["min-overall"] == pytest.approx(0.61)
    assert config.section("maturity", env="production")["min-overall"] == pytest.approx(0.70)
    assert config.section("maturity", env="prod", service="api")["min-overall"] == 0.80
    assert config.section("maturity", env="prod", service="web")["min-overall"] == 0.70
    assert config.section("maturity", env="prod", service="api")["min-band"] == 0.51
    flags = {"min-overall": 0.9, "min-band": None}
    resolved = config.resolve("maturity", flags, env="prod", service="api")
    assert resolved["min-overall"] == 0.9
    assert resolved["min-band"] == 0.51  # None means "flag not given"


def test_env_aliases() -> None:
    assert canonical_env("production") == "prod"
    assert canonical_env("Staging") == "stage"
    assert canonical_env("dev") == "dev"
    assert canonical_env(None) is None


def test_deep_merge_does_not_mutate() -> None:
    base = {"a": {"b": 1, "c": [1]}}
    merged = deep_merge(base, {"a": {"c": [2]}})
    assert merged == {"a": {"b": 1, "c": [2]}}
    assert base == {"a": {"b": 1, "c": [1]}}


def test_default_path_used_when_present(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_config(None).file is None
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github/lumen.yml").write_text("env: stage\n")
    config = load_config(None)
    assert config.file == ".github/lumen.yml"
    assert config.env() == "stage"


def test_shipped_config_schema_and_defaults_are_consistent() -> None:
    """Every shipped default file validates as a section of the config schema."""
    import yaml

    from lumen.resources import policy_path
    from lumen.schema import iter_errors

    for path in sorted(policy_path("defaults").glob("*.yml")):
        section = path.stem
        document = {section: yaml.safe_load(path.read_text())}
        errors = [e.message for e in iter_errors("lumen-config.schema.json", document)]
        assert errors == [], f"{path.name}: {errors}"
