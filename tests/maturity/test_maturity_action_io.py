"""The maturity gate as the composite action runs it: inputs from INPUT_*, outputs, summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lumen.cli import main

EVENTS = [
    {"ts": "2026-11-21T11:00:00Z", "kind": "signal", "severity": "low"},
    {"ts": "2026-11-21T11:30:00Z", "kind": "evidence", "severity": 0.25},
    {"ts": "2026-11-21T11:45:00Z", "kind": "action", "severity": 0.25},
]


def _outputs(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    lines = path.read_text().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line:
            name, delim = line.split("<<", 1)
            j = lines.index(delim, i + 1)
            out[name] = "\n".join(lines[i + 1 : j])
            i = j + 1
        elif "=" in line:
            name, value = line.split("=", 1)
            out[name] = value
            i += 1
        else:
            i += 1
    return out


@pytest.fixture
def runner_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    files = {name: tmp_path / name for name in ("output", "summary")}
    for path in files.values():
        path.touch()
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_OUTPUT", str(files["output"]))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(files["summary"]))
    return files


def test_inputs_from_env_outputs_and_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner_env: dict[str, Path]
) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text("".join(json.dumps(e) + "\n" for e in EVENTS))
    result = tmp_path / "maturity.json"
    for name, value in {
        "EVENTS": str(events),
        "WINDOW": "24h\n6h\n",
        "MIN_OVERALL": "0.9",
        "NOW": "2026-11-21T12:00:00Z",
        "JSON": str(result),
        "QUIET": "true",
    }.items():
        monkeypatch.setenv(f"INPUT_{name}", value)
    assert main(["--inputs-from-env", "maturity"]) == 0
    outputs = _outputs(runner_env["output"])
    assert outputs["verdict"] == "PASS"
    assert outputs["json"] == str(result)
    assert outputs["overall"] == "1.000" and outputs["hint"] == "tighten"
    assert outputs["trend"] == ""
    doc = json.loads(result.read_text())
    assert [w["window"] for w in doc["windows"]] == ["24h", "6h"]
    assert doc["inputs"]["thresholds"]["min-overall"] == 0.9
    assert "Lumen maturity gate" in runner_env["summary"].read_text()


def test_failing_check_is_an_error_annotation(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    runner_env: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps(EVENTS[0]) + "\n")
    monkeypatch.setenv("INPUT_EVENTS", str(events))
    monkeypatch.setenv("INPUT_NOW", "2026-11-21T12:00:00Z")
    assert main(["--inputs-from-env", "maturity"]) == 2
    out = capsys.readouterr().out
    assert "::error" in out and "sense[24h]" in out
    assert _outputs(runner_env["output"])["verdict"] == "FAIL"
