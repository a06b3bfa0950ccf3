"""The two repositories of issue 18, day by day: a healthy four weeks, and the same four weeks
whose last two days degrade. Shared by the trend tests and (as GitHub double seeds) the
end-to-end day-one tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from gates.trend import Activity

DAYS = 28
RECENT_DAYS = 2


def healthy_day(day: int) -> Activity:
    # 40 CI runs a day, 90 % green; two successful deployments a day; one incident a week
    return Activity(
        days=1,
        ci_runs=40,
        ci_failures=4,
        deploys=2,
        deploy_failures=0,
        rollbacks=0,
        incidents=1 if day % 7 == 3 else 0,
    )


def degrading_day(day: int) -> Activity:
    if day < DAYS - RECENT_DAYS:
        return healthy_day(day)
    # the last two days: CI failures x3.5, half the deployments failing, six rollbacks and
    # five incidents in all
    return Activity(
        days=1,
        ci_runs=40,
        ci_failures=14,
        deploys=4,
        deploy_failures=2,
        rollbacks=3,
        incidents=3 if day == DAYS - 1 else 2,
    )


def split(daily: list[Activity]) -> tuple[Activity, Activity]:
    """(recent, baseline): the last RECENT_DAYS days and the days before them."""
    baseline = sum(daily[: DAYS - RECENT_DAYS], Activity(days=0))
    recent = sum(daily[DAYS - RECENT_DAYS :], Activity(days=0))
    return recent, baseline


HEALTHY = [healthy_day(d) for d in range(DAYS)]
DEGRADING = [degrading_day(d) for d in range(DAYS)]


def seed_github(state: Any, repo: str, daily: list[Activity], now: datetime) -> None:
    """Seed a GitHub double's `state` with `daily` counts, the last day ending at `now`: CI
    workflow runs (successes and failures), deployments (failing ones failed), rollbacks as
    `rollback` deployments, incidents as issues labelled `incident`. Events sit inside their
    day, away from its edges."""
    for day, activity in enumerate(daily):
        start = now - timedelta(days=len(daily) - day)

        def at(index: int, count: int, start: datetime = start) -> datetime:
            return start + timedelta(days=1) * (index + 0.5) / max(count, 1)

        for i in range(activity.ci_runs):
            state.add_workflow_run(
                "CI",
                repo=repo,
                conclusion="failure" if i < activity.ci_failures else "success",
                created_at=at(i, activity.ci_runs),
            )
        for i in range(activity.deploys):
            state.add_deployment(
                "production",
                repo=repo,
                created_at=at(i, activity.deploys),
                state="failure" if i < activity.deploy_failures else "success",
            )
        for i in range(activity.rollbacks):
            state.add_deployment(
                "production",
                repo=repo,
                task="rollback",
                created_at=at(i, activity.rollbacks) + timedelta(minutes=7),
                state="success",
            )
        for i in range(activity.incidents):
            state.add_issue(
                f"incident {day}.{i}",
                repo=repo,
                labels=["incident"],
                created_at=at(i, activity.incidents) + timedelta(minutes=11),
            )
