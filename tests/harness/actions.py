"""Fixtures for running composite actions (see harness.action_runner for what is modelled).

    def test_gate(run_action):
        result = run_action("maturity-gate", {"events": "examples/events.jsonl"})
        assert result.outputs["verdict"] == "PASS"

`run_action(name_or_path, inputs, *, env=, event=, workspace=, fresh_venv=False)`: a name is
an action under actions/ ("." is the umbrella action.yml). By default the action uses the
development venv through LUMEN_ACTION_VENV (no pip install); `fresh_venv=True` lets the action
create and install its own venv under RUNNER_TEMP as it does on a runner.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.action_runner import Runner, make_runner


@pytest.fixture
def run_action(tmp_path: Path) -> Runner:
    return make_runner(tmp_path)
