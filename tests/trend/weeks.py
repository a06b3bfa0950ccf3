"""The two repositories of issue 18, day by day: a healthy four weeks, and the same four weeks
whose last two days degrade. Shared by the trend tests and (as GitHub double seeds) the
end-to-end day-one tests."""

from __future__ import annotations

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
