"""GitHub Deployments as deploy events: rollback detection (pure) and the source against the
GitHub double (pagination, a rollback found by redeploy, the request count)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gates.roi import GitHubDeployment, classify_deployments
from lumen.cli import main

NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


def dep(
    i: int, sha: str, state: str | None = "success", task: str = "deploy", env: str = "prod"
) -> GitHubDeployment:
    return GitHubDeployment(i, NOW - timedelta(hours=100 - i), env, "app", task, sha, state)


def actions(deployments: list[GitHubDeployment]) -> list[str]:
    return [e.action for e in classify_deployments(deployments)]


def test_redeploy_of_an_earlier_sha_is_a_rollback() -> None:
    assert actions([dep(1, "a"), dep(2, "b"), dep(3, "a")]) == ["deploy", "deploy", "rollback"]


def test_immediate_retry_is_not_a_rollback() -> None:
    assert actions([dep(1, "a"), dep(2, "b", "failure"), dep(3, "b")]) == ["deploy"] * 3


def test_task_rollback_and_flipback_and_env_separation() -> None:
    got = actions(
        [
            dep(1, "a"),
            dep(2, "b", task="rollback"),
            dep(3, "c", task="flipback"),
            dep(4, "a", env="stage"),
        ]
    )
    assert got == ["deploy", "rollback", "flipback", "deploy"]


def test_unfinished_deployments_are_skipped_and_inactive_was_success() -> None:
    events = classify_deployments(
        [dep(1, "a", "inactive"), dep(2, "b", "in_progress"), dep(3, "c", "error")]
    )
    assert [(e.commit, e.result) for e in events] == [("a", "success"), ("c", "failure")]


# --- against the double ---------------------------------------------------------------------


def seed(double: Any, count: int, *, days: int = 90) -> list[str]:
    """`count` production deployments spread over `days`, newest last; every 10th fails; the
    last one redeploys the SHA of the one before the previous (a rollback by redeploy)."""
    state = double.state
    shas: list[str] = []
    step = timedelta(days=days) / (count + 1)
    start = NOW - timedelta(days=days)
    for i in range(count):
        when = start + step * (i + 1)
        sha = shas[-2] if i == count - 1 else None
        deployment = state.add_deployment(
            "production",
            sha=sha,
            created_at=when,
            state="failure" if i % 10 == 5 else "success",
            payload={"service": "api"},
        )
        shas.append(deployment.sha)
    return shas


def run_roi(tmp_path: Path, *extra: str, graphql: bool = True) -> tuple[int, dict[str, Any]]:
    config = tmp_path / "lumen.yml"
    config.write_text(
        "roi:\n  github:\n    environments: {production: prod}\n"
        f"    graphql: {'true' if graphql else 'false'}\n"
    )
    out = tmp_path / "roi.json"
    code = main(
        [
            "roi",
            "--github",
            "octo-org/app",
            "--config",
            str(config),
            "--now",
            NOW.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "--json",
            str(out),
            "--quiet",
            *extra,
        ]
    )
    return code, json.loads(out.read_text()) if out.exists() else {}


@pytest.mark.github
def test_rest_source_pages_and_detects_the_rollback(github_env: Any, tmp_path: Path) -> None:
    seed(github_env, 120)
    github_env.reset_log()
    code, doc = run_roi(tmp_path, graphql=False)
    assert code == 0, doc
    # 120 deployments: 119 deploys (12 failed) + 1 rollback by redeploy
    assert doc["deploys"] == 119 and doc["rollbacks"] == 1
    assert doc["successes"] == 107
    assert doc["inputs"]["github"]["repository"] == "octo-org/app"
    # two pages of deployments, then one statuses request per deployment: why GraphQL is default
    assert github_env.count("GET", "/repos/{owner}/{repo}/deployments") == 2
    assert doc["inputs"]["requests"] == 1 + 2 + 120
    # and the trend's: four workflow-run counts and one page of incident issues
    assert doc["inputs"]["github"]["requests"] == github_env.count() == 1 + 2 + 120 + 4 + 1


@pytest.mark.github
def test_graphql_source_reads_1000_deployments_in_few_requests(
    github_env: Any, tmp_path: Path
) -> None:
    seed(github_env, 1000)
    github_env.reset_log()
    code, doc = run_roi(tmp_path, "--env", "prod", "--service", "api")
    assert code == 0, doc
    assert doc["deploys"] == 999 and doc["rollbacks"] == 1
    assert doc["inputs"]["api"] == "graphql"
    assert doc["inputs"]["requests"] == 10  # 100 per page
    # the trend shares them, adding four workflow-run counts and one page of incident issues
    assert doc["inputs"]["github"]["requests"] == github_env.count() == 10 + 4 + 1


@pytest.mark.github
def test_github_source_with_no_deployments_is_no_data(github_env: Any, tmp_path: Path) -> None:
    code, doc = run_roi(tmp_path)
    assert code == 0
    verdicts = {c["name"]: c["verdict"] for c in doc["checks"]}
    # no deployments and no activity at all: nothing was judged, so the gate is NO_DATA (a
    # count of 0 rollbacks or incidents with nothing to count them by is no judgement)
    assert verdicts == {
        "success_rate": "NO_DATA",
        "rollback_rate": "NO_DATA",
        "ci_failure_rate": "NO_DATA",
        "deploy_failure_rate": "NO_DATA",
        "rollbacks": "NO_DATA",
        "incidents": "NO_DATA",
    }
    assert doc["verdict"] == "NO_DATA"
