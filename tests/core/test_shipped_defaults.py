"""Each default is written once, in policy/defaults: changing it there changes the gate's
decision, the `--help` text and the generated action docs; flag values are checked like config
values."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from example_data import EX, NOW, example_sources

from lumen.cli import main

ROOT = Path(__file__).resolve().parents[2]


def integrated(tmp_path: Path, *extra: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    config = tmp_path / "lumen.yml"
    config.write_text("version: 1\n", encoding="utf-8")  # nothing set: the shipped defaults
    out = tmp_path / "result.json"
    out.unlink(missing_ok=True)
    code = main(
        [
            "integrated",
            "--config",
            str(config),
            *example_sources(),
            "--now",
            NOW,
            "--json",
            str(out),
            "--quiet",
            *extra,
        ]
    )
    return code, json.loads(out.read_text()) if out.exists() else {}


def help_text(capsys: pytest.CaptureFixture[str], command: str) -> str:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    return capsys.readouterr().out


@pytest.fixture
def defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of policy/defaults that the run reads instead of the shipped one."""
    copy = tmp_path / "defaults"
    shutil.copytree(ROOT / "policy" / "defaults", copy)
    monkeypatch.setattr("lumen.config.defaults_dir", lambda: copy)
    monkeypatch.setattr("lumen.settings.defaults_dir", lambda: copy)
    return copy


def test_changing_a_shipped_default_changes_decision_and_help(
    defaults: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, doc = integrated(tmp_path)
    assert code == 0 and doc["verdict"] == "PASS"
    assert doc["integrated"]["min_overall"] == 0.60
    assert "default 0.60" in help_text(capsys, "integrated")

    shipped = defaults / "integrated.yml"
    shipped.write_text(
        shipped.read_text(encoding="utf-8").replace("min-overall: 0.60", "min-overall: 0.95"),
        encoding="utf-8",
    )
    code, doc = integrated(tmp_path)
    assert code == 2 and doc["verdict"] == "FAIL"  # overall 0.846 is below the new floor
    assert doc["integrated"]["min_overall"] == 0.95
    text = help_text(capsys, "integrated")
    assert "default 0.95" in text and "default 0.60" not in text.split("--min-band")[0]


def test_the_generated_action_docs_read_the_same_defaults() -> None:
    # gen_actions.py / gen_action_docs.py write these from --help (drift-checked elsewhere), so
    # a changed default reaches them through the help text shown above.
    readme = (ROOT / "actions" / "integrated-gate" / "README.md").read_text(encoding="utf-8")
    action = (ROOT / "actions" / "integrated-gate" / "action.yml").read_text(encoding="utf-8")
    assert "Default 0.60 (`--min-overall`)" in readme
    assert "Default 0.60 (`--min-overall`)" in action


@pytest.mark.parametrize("value", ["-1", "1.5", "nan", "inf", "-inf"])
def test_out_of_range_flags_exit_1_naming_the_flag(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, doc = integrated(tmp_path, "--min-overall", value)
    err = capsys.readouterr().err
    assert code == 1 and doc == {}
    assert err.count("\n") == 1 and "--min-overall" in err and "Traceback" not in err


SOURCES = {
    "maturity": ["--events", str(EX / "events.jsonl")],
    "roi": ["--deploys", str(EX / "deploys.jsonl")],
    "slo": ["--samples", str(EX / "slo-samples.json")],
    "resonance": ["--snapshot", str(EX / "resonance-snapshot.json")],
}


@pytest.mark.parametrize(
    ("command", "flag", "value"),
    [
        ("maturity", "--min-band", "2"),
        ("maturity", "--min-overall", "nan"),
        ("roi", "--min-success-rate", "nan"),
        ("roi", "--min-deploys", "-3"),
        ("slo", "--objective", "inf"),
        ("resonance", "--max-phase", "nan"),
    ],
)
def test_every_gate_checks_its_flags(
    command: str, flag: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command, *SOURCES[command], flag, value, "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and flag in err
    assert main([command, *SOURCES[command], "--quiet"]) in (0, 2)  # the source is fine
