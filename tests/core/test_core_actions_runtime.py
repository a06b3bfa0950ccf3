"""The Actions runtime adapter against the runner's file-command formats."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from lumen import actions_runtime as gha


def parse_output_file(text: str) -> dict[str, str]:
    """Parse GITHUB_OUTPUT the way the runner does (name<<DELIM ... DELIM, or name=value)."""
    out: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line:
            i += 1
            continue
        if "<<" in line:
            name, delim = line.split("<<", 1)
            j = lines.index(delim, i + 1)
            out[name] = "\n".join(lines[i + 1 : j])
            i = j + 1
        else:
            name, value = line.split("=", 1)
            out[name] = value
            i += 1
    return out


def test_set_output_multiline_safe(tmp_path: Path) -> None:
    path = tmp_path / "out"
    env = {"GITHUB_OUTPUT": str(path), "GITHUB_ACTIONS": "true"}
    tricky = "line1\nEOF\nname<<x\n%0A"
    gha.set_output("body", tricky, env)
    gha.set_output("verdict", "PASS", env)
    gha.set_output("data", {"a": 1}, env)
    parsed = parse_output_file(path.read_text())
    assert parsed == {"body": tricky, "verdict": "PASS", "data": '{"a": 1}'}


def test_summary_appends(tmp_path: Path) -> None:
    path = tmp_path / "summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(path)}
    assert gha.add_summary("# one", env)
    assert gha.add_summary("two\n", env)
    assert path.read_text() == "# one\ntwo\n"
    assert not gha.add_summary("x", {})


def test_annotation_escaping() -> None:
    stream = io.StringIO()
    gha.annotate("error", "50% bad\nsecond line", file="a,b:c.py", line=3, title="t", stream=stream)
    assert (
        stream.getvalue() == "::error file=a%2Cb%3Ac.py,line=3,title=t::50%25 bad%0Asecond line\n"
    )
    with pytest.raises(ValueError):
        gha.annotate("fatal", "x", stream=stream)


def test_mask_each_line() -> None:
    stream = io.StringIO()
    gha.mask("abc\ndef", stream=stream)
    assert stream.getvalue() == "::add-mask::abc\n::add-mask::def\n"


def test_inputs_runner_and_lumen_spelling() -> None:
    assert gha.get_input("min-overall", {"INPUT_MIN-OVERALL": " 0.7 "}) == "0.7"
    assert gha.get_input("min-overall", {"INPUT_MIN_OVERALL": "0.8"}) == "0.8"
    assert gha.get_input("missing", {}, default="d") == "d"


def test_github_context_defaults_and_overrides(tmp_path: Path) -> None:
    ctx = gha.GitHubContext.from_env({})
    assert ctx.api_url == "https://api.github.com"
    assert ctx.graphql_url == "https://api.github.com/graphql"
    assert ctx.event() == {}
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 42}}))
    ctx = gha.GitHubContext.from_env(
        {
            "GITHUB_API_URL": "http://127.0.0.1:1/api/v3",
            "GITHUB_GRAPHQL_URL": "http://127.0.0.1:1/api/graphql",
            "GITHUB_TOKEN": "t",
            "GITHUB_REPOSITORY": "octo/repo",
            "GITHUB_SHA": "a" * 40,
            "GITHUB_EVENT_PATH": str(event),
        }
    )
    assert ctx.api_url.endswith("/api/v3")
    assert ctx.owner_repo() == ("octo", "repo")
    assert ctx.pull_request_number() == 42


def test_broken_event_payload_is_an_input_error(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text("{not json")
    ctx = gha.GitHubContext.from_env({"GITHUB_EVENT_PATH": str(event)})
    with pytest.raises(gha.InputError) as exc:
        ctx.event()
    assert exc.value.file == str(event)


def test_report_publishes_outputs_summary_annotations(tmp_path: Path) -> None:
    from gates.result import GateResult, Verdict, threshold_check
    from lumen.outputs import GATE, Output
    from lumen.report import publish_to_actions

    out, summary = tmp_path / "out", tmp_path / "summary"
    env = {"GITHUB_OUTPUT": str(out), "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_ACTIONS": "true"}
    result = GateResult(
        "maturity",
        Verdict.FAIL,
        [threshold_check("overall", 0.4, ">=", 0.6), threshold_check("sense", 0.9, ">=", 0.5)],
        generated_at="2026-11-21T00:00:00Z",
    )
    stream = io.StringIO()
    declared = (*GATE, Output("overall", "overall maturity"))
    publish_to_actions(
        result, declared, json_path="r.json", values={"overall": 0.4}, environ=env, stream=stream
    )
    parsed = parse_output_file(out.read_text())
    assert parsed == {"verdict": "FAIL", "json": "r.json", "overall": "0.4"}
    assert "| overall | 0.400 | >= 0.600 | ❌ FAIL |" in summary.read_text()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1 and re.match(r"::error title=lumen maturity%3A overall::", lines[0])
