"""lumen.action_main's pure helpers: argv from the umbrella inputs, outputs from results."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from harness.action_runner import parse_file_command

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


def test_action_main_writes_only_its_own_outputs(tmp_path: Path) -> None:
    output = tmp_path / "out"
    output.write_text("overall=0.707\n", encoding="utf-8")  # what the command wrote
    env = {"GITHUB_OUTPUT": str(output), "GITHUB_ACTIONS": "true"}
    action_main.publish("", "l", env)
    action_main.publish("network", "m", env)
    parsed = parse_file_command(output)
    assert parsed == {"overall": "0.707", "log": "m", "failure-class": "network"}
    text = output.read_text(encoding="utf-8")
    assert text.count("overall") == 1 and text.count("failure-class") == 1


def test_every_command_writes_json_exactly_when_it_has_the_flag() -> None:
    """A command's OUTPUTS table promises `json` iff the command takes `--json`."""
    from lumen import cli

    for name in cli.COMMANDS:
        flags = {
            flag
            for action in cli.subparser(cli.build_parser(name), name)._actions
            for flag in action.option_strings
        }
        declared = [output.name for output in cli.outputs_of(name)]
        assert ("json" in declared) == ("--json" in flags), name
        assert len(declared) == len(set(declared)), name


def test_an_undeclared_output_is_refused(tmp_path: Path) -> None:
    from lumen.outputs import JSON, publish

    env = {"GITHUB_OUTPUT": str(tmp_path / "out"), "GITHUB_ACTIONS": "true"}
    with pytest.raises(ValueError, match="series"):
        publish((JSON,), {"series": 3}, env)
    assert not (tmp_path / "out").exists()
    publish((JSON,), {}, env, json_path="r.json")
    assert parse_file_command(tmp_path / "out") == {"json": "r.json"}


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
