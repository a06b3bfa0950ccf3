"""The busy week of issue 18's request budget, seeded into the GitHub double: 1,000 workflow
runs (10 % failing), 200 deployments, 300 commits with a check run each and 20 incident issues,
spread over the seven days from `start`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

MINUTE = timedelta(minutes=1)


def seed_busy_week(state: Any, repo: str, start: datetime, *, actions_check_runs: bool) -> None:
    """With `actions_check_runs`, each commit also has a GitHub Actions check run, which the
    activity read must skip (its jobs are counted as workflow runs)."""
    for i in range(1000):
        state.add_workflow_run(
            "CI",
            repo=repo,
            conclusion="failure" if i % 10 == 0 else "success",
            created_at=start + i * 10 * MINUTE,
        )
    for i in range(200):
        state.add_deployment(
            "production", repo=repo, created_at=start + i * 50 * MINUTE, state="success"
        )
    for i in range(300):
        sha = state.add_commit(f"change {i}", repo=repo, date=start + i * 33 * MINUTE)
        state.add_check_run(
            "lint", sha, repo=repo, conclusion="success", started_at=start + i * 33 * MINUTE
        )
        if actions_check_runs:
            state.add_check_run(
                "build", sha, repo=repo, app="github-actions", started_at=start + i * 33 * MINUTE
            )
    for i in range(20):
        state.add_issue(
            f"incident {i}", repo=repo, labels=["incident"], created_at=start + i * 8 * 60 * MINUTE
        )
