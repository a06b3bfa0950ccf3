"""lumen.action_main's pure helpers: argv from the umbrella inputs, outputs from results."""

from __future__ import annotations

import io
from pathlib import Path

from lumen import action_main


def test_umbrella_args_are_one_argument_per_line_verbatim() -> None:
    env = {
        "INPUT_COMMAND": " flipback plan ",
        "INPUT_ARGS": "--platform\nnone\n\n--notes\nrolled back; $(rm -rf /) `x` *\r\n",
    }
    assert action_main.umbrella_argv(env) == [
        "flipback",
        "plan",
        "--platform",
        "none",
        "--notes",
        "rolled back; $(rm -rf /) `x` *",
    ]


def test_json_path_in_args() -> None:
    assert action_main.json_path_in(["roi", "--json", "a.json"]) == "a.json"
    assert action_main.json_path_in(["roi", "--json=b.json"]) == "b.json"
    assert action_main.json_path_in(["roi", "--junit", "x"]) is None


def test_result_values_become_kebab_case_outputs() -> None:
    document = {
        "schema_version": "1",
        "gate": "integrated",
        "verdict": "PASS",
        "checks": [],
        "success_rate": 0.9,
        "deploys": 10,
        "matrix": True,
        "maturity": {"overall": 0.71, "sense": 0.7},
        "roi_slo": {"score": 100, "deploys": 99},
        "list": [1, 2],
    }
    assert action_main.result_outputs(document) == {
        "success-rate": "0.9",
        "deploys": "10",  # the top-level value wins over a nested one
        "matrix": "true",
        "overall": "0.71",
        "sense": "0.7",
        "score": "100",
    }


def test_written_outputs_reads_both_forms(tmp_path: Path) -> None:
    path = tmp_path / "out"
    path.write_text("a=1\nb<<EOF\nc=not a name\nEOF\nd=x<<y\n", encoding="utf-8")
    assert action_main.written_outputs(str(path)) == {"a", "b", "d"}
    assert action_main.written_outputs(str(tmp_path / "missing")) == set()


def test_publish_fills_only_outputs_the_command_did_not_write(tmp_path: Path) -> None:
    output = tmp_path / "out"
    output.write_text("overall=0.707\n", encoding="utf-8")
    result = tmp_path / "r.json"
    result.write_text('{"verdict": "WARN", "maturity": {"overall": 0.70712}, "hint": "steady"}')
    action_main.publish("maturity", str(result), {"GITHUB_OUTPUT": str(output)}, {"log": "l"})
    text = output.read_text(encoding="utf-8")
    assert text.count("overall") == 1  # the command's rounded value stays the only one
    for name in ("verdict<<", "WARN", "hint<<", "steady", "json<<", "log<<"):
        assert name in text


def test_secret_looking_inputs_are_masked() -> None:
    stream = io.StringIO()
    masked = action_main.mask_secrets(
        {
            "INPUT_WEBHOOK_SECRET": "s3cr3t",
            "INPUT_SLACK": "https://hooks.slack.com/services/T/B/x",
            "INPUT_PROMETHEUS_BEARER_TOKEN": "tok\nen",
            "GITHUB_TOKEN": "ghs_x",
            "INPUT_EVENTS": "events.jsonl",
            "INPUT_GITHUB_TOKEN": "",
        },
        stream=stream,
    )
    assert masked == [
        "GITHUB_TOKEN",
        "INPUT_PROMETHEUS_BEARER_TOKEN",
        "INPUT_SLACK",
        "INPUT_WEBHOOK_SECRET",
    ]
    lines = stream.getvalue().splitlines()
    assert "::add-mask::s3cr3t" in lines and "::add-mask::tok" in lines
    assert "::add-mask::en" in lines and not any("events" in line for line in lines)


def test_retry_delays() -> None:
    assert action_main.retry_delays({}) == ()
    assert action_main.retry_delays({"LUMEN_RETRY": "true"}) == (5.0, 30.0)
    assert action_main.retry_delays({"LUMEN_RETRY": "true", "LUMEN_RETRY_DELAYS": "0,0,9"}) == (
        0.0,
        0.0,
    )
