"""The composite-action runner itself (tests/harness/action_runner.py): expressions, file
commands, conditions and failures behave as on GitHub, so the action tests mean something."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness.action_runner import (
    ActionWiringError,
    Contexts,
    condition,
    evaluate,
    interpolate,
    run_action,
)


def ctx(**inputs: str) -> Contexts:
    return Contexts(
        inputs=dict(inputs),
        declared_inputs=frozenset(inputs),
        steps={"venv": {"outputs": {"path": "/tmp/v", "key": "k"}, "outcome": "success"}},
        github={"token": "t", "action_path": "/a", "event": {"pull_request": {"number": 7}}},
        runner={"temp": "/rt", "os": "Linux"},
        env={"HOME": "/root"},
    )


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("inputs.a || 'fallback'", "fallback"),
        ("inputs.b || 'fallback'", "x"),
        ("inputs.b && 'yes' || 'no'", "yes"),
        ("inputs.a && 'yes' || 'no'", "no"),
        ("inputs.b == 'X'", True),  # strings compare ignoring case
        ("inputs.b != 'x'", False),
        ("!inputs.a", True),
        ("(inputs.a || inputs.b) == 'x'", True),
        ("steps.venv.outputs.path", "/tmp/v"),
        ("steps.venv.outputs.missing", None),
        ("github.event.pull_request.number == 7", True),
        ("runner.temp", "/rt"),
        ("env.HOME", "/root"),
        ("inputs['b']", "x"),
        ("contains('abc', 'B')", True),
        ("startsWith(runner.os, 'lin')", True),
        ("format('{0}-{1}', inputs.b, 2)", "x-2"),
        ("1 < 2 && 3 >= 3", True),
        ("'it''s'", "it's"),
    ],
)
def test_expressions(expression: str, expected: object) -> None:
    assert evaluate(expression, ctx(a="", b="x")) == expected


def test_interpolation_and_conditions() -> None:
    context = ctx(a="", b="x")
    assert interpolate("k=${{ steps.venv.outputs.key }}/${{ inputs.b }}", context) == "k=k/x"
    assert interpolate("${{ github.event.pull_request.number }}", context) == "7"
    assert condition(None, context) is True
    assert condition("inputs.b == 'x'", context) is True
    assert condition("${{ failure() }}", context) is False
    context.status = "failure"
    assert condition(None, context) is False
    assert condition("inputs.b == 'x'", context) is False  # implicit success()
    assert condition("always() && inputs.b == 'x'", context) is True
    assert condition("failure()", context) is True


@pytest.mark.parametrize(
    "expression",
    ["inputs.nope", "steps.other.outputs.x", "secrets.TOKEN", "toJSON(inputs)", "inputs.b ==="],
)
def test_wiring_errors(expression: str) -> None:
    with pytest.raises(ActionWiringError):
        evaluate(expression, ctx(b="x"))


ACTION = """\
name: harness self-test
description: exercises the runner
inputs:
  greeting:
    description: what to say
    default: hello
outputs:
  said:
    description: what was said
    value: ${{ steps.say.outputs.text }}
  recovered:
    description: whether the failure step ran
    value: ${{ steps.recover.outputs.ran || 'no' }}
runs:
  using: composite
  steps:
    - id: say
      shell: bash
      env:
        GREETING: ${{ inputs.greeting }}
      run: |
        {
          echo "text<<EOT"
          printf '%s\\nsecond line\\n' "$GREETING"
          echo "EOT"
        } >> "$GITHUB_OUTPUT"
        echo "CARRIED=over" >> "$GITHUB_ENV"
        mkdir -p "$RUNNER_TEMP/bin" && printf '#!/bin/sh\\necho tool\\n' > "$RUNNER_TEMP/bin/tool"
        chmod +x "$RUNNER_TEMP/bin/tool" && echo "$RUNNER_TEMP/bin" >> "$GITHUB_PATH"
        echo "# summary" >> "$GITHUB_STEP_SUMMARY"
    - id: check
      shell: bash
      run: |
        test "$CARRIED" = over
        test "$(tool)" = tool
        test -f "$GITHUB_ACTION_PATH/action.yml"
        echo "::warning file=a.py,line=3::careful"
    - id: soft
      shell: bash
      continue-on-error: true
      run: exit 3
    - id: hard
      shell: bash
      run: exit 4
    - id: skipped
      shell: bash
      run: echo "never"
    - id: recover
      if: failure()
      shell: bash
      run: echo "ran=yes" >> "$GITHUB_OUTPUT"
"""


def test_a_composite_action_runs_like_on_the_runner(tmp_path: Path) -> None:
    action = tmp_path / "action" / "action.yml"
    action.parent.mkdir()
    action.write_text(ACTION, encoding="utf-8")
    result = run_action(action, {"greeting": "hi there"}, workdir=tmp_path / "work")
    assert result.returncode == 4
    assert result.outputs == {"said": "hi there\nsecond line", "recovered": "yes"}
    assert [(s.id, s.outcome) for s in result.steps] == [
        ("say", "success"),
        ("check", "success"),
        ("soft", "failure"),
        ("hard", "failure"),
        ("skipped", "skipped"),
        ("recover", "success"),
    ]
    assert result.summary == "# summary\n"
    assert result.annotations == [
        {"level": "warning", "message": "careful", "file": "a.py", "line": "3"}
    ]
    assert result.env == {"CARRIED": "over"}


def test_unknown_inputs_and_unpinned_actions_are_rejected(tmp_path: Path) -> None:
    action = tmp_path / "action" / "action.yml"
    action.parent.mkdir()
    action.write_text(ACTION, encoding="utf-8")
    with pytest.raises(ActionWiringError, match="unexpected input"):
        run_action(action, {"greting": "typo"}, workdir=tmp_path / "w1")
    action.write_text(
        "name: n\ndescription: d\nruns:\n  using: composite\n  steps:\n"
        "    - uses: actions/cache@v4\n      with: {path: p, key: k}\n",
        encoding="utf-8",
    )
    with pytest.raises(ActionWiringError, match="pinned"):
        run_action(action, {}, workdir=tmp_path / "w2")
