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
from typing import Any

import pytest

from harness.action_runner import Runner, make_runner


@pytest.fixture
def run_action(tmp_path: Path) -> Runner:
    return make_runner(tmp_path)


def double_env(double: Any, repository: str, sha: str | None = None) -> dict[str, str]:
    """The job environment of a run against the GitHub double (passed to run_action or a
    WorkflowRunner, which build their own environment rather than read this process's)."""
    repo = double.state.repo(repository)
    return {
        "GITHUB_API_URL": double.url,
        "GITHUB_GRAPHQL_URL": double.graphql_url,
        "GITHUB_TOKEN": double.token,
        "GITHUB_REPOSITORY": repository,
        "GITHUB_SHA": sha or double.state.resolve(repo, repo.default_branch),
        # no pacing or back-off waits against a loopback double
        "LUMEN_GITHUB_WRITE_INTERVAL": "0",
        "LUMEN_GITHUB_BACKOFF": "0",
    }


PR_REPOSITORY = "octo-org/app"


@pytest.fixture
def github_pr(github_double: Any) -> tuple[Any, dict[str, str], dict[str, Any]]:
    """The GitHub double holding pull request #7 of octo-org/app (same-repository head), the
    job environment of a run against it, and the `pull_request` event payload."""
    from harness.webhooks import webhook_example

    repo = github_double.state.add_repo(PR_REPOSITORY)
    github_double.state.add_label("do-not-merge", repo=repo)
    github_double.state.add_pull("Add feature", repo=repo, number=7)
    event = webhook_example("pull_request", "opened")
    event["number"] = 7
    event["pull_request"]["number"] = 7
    event["pull_request"]["head"]["repo"]["full_name"] = PR_REPOSITORY
    return github_double, double_env(github_double, PR_REPOSITORY), event


def sticky_comments(double: Any, gate: str) -> list[Any]:
    """The comments on octo-org/app carrying `gate`'s sticky marker."""
    from lumen.reporting.comment import marker

    comments = double.state.repo(PR_REPOSITORY).comments.values()
    return [c for c in comments if marker(gate) in (c.body or "")]


def plant_shadow_packages(workspace: Path) -> None:
    """`release/`, `gates/` and `lumen/` packages in the user's repository, as common names
    would have them. Each raises on import, so any Lumen action (or child interpreter it
    starts) that puts the workspace on its import path fails (issue 19: isolation)."""
    for name in ("release", "gates", "lumen"):
        package = workspace / name
        package.mkdir(parents=True, exist_ok=True)
        (package / "__init__.py").write_text(
            f"raise ImportError('the workspace {name}/ package shadowed Lumen')\n",
            encoding="utf-8",
        )
