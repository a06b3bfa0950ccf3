"""ROI use case (docs/reference.md#roi): read deploy events (a JSONL log, GitHub Deployments or
Prometheus rates) and judge them with `gates.roi`, for the run's scope and, with `matrix: true`, for
every (env, service) in the data with that scope's own thresholds."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from gates.errors import UsageError
from gates.result import Check, decide
from gates.roi import DeployCounts, RoiTally, roi_checks
from gates.timeutil import parse_duration
from lumen.settings import Scope, Settings

if TYPE_CHECKING:
    from lumen.adapters.git_state import StateLocation
    from lumen.adapters.github.activity import RepositoryReads
    from lumen.adapters.prometheus import PrometheusConnection

RateScopes = dict[tuple[str | None, str | None], DeployCounts]


@dataclass(frozen=True)
class DeploySource:
    """Where the deploy events come from: exactly one of the three. With `state` (the data
    branch, docs/reference.md#state) `deploys` is that path on the branch, where `lumen record`
    and the flipback append to it."""

    deploys: str | None = None
    github: str | None = None
    prometheus: PrometheusConnection | None = None
    state: StateLocation | None = None
    # The run's shared GitHub reads (`lumen.app.trend`); None reads on its own.
    reads: RepositoryReads | None = field(default=None, compare=False)


@dataclass
class Deploys:
    """What a source gave: a tally of events, or rate-only counts per (env, service) (None
    meaning all) from Prometheus; and a description for the result's inputs."""

    tally: RoiTally | None
    rate_scopes: RateScopes | None
    inputs: dict[str, Any]


@dataclass
class RoiOutcome:
    checks: list[Check]
    values: dict[str, Any]
    window: str
    inputs: dict[str, Any] = field(default_factory=dict)


def collect(settings: Settings, scope: Scope, source: DeploySource, *, now: datetime) -> Deploys:
    """Read the chosen source over the ROI window ending at `now`."""
    chosen = [
        name
        for name, value in (
            ("--deploys", source.deploys),
            ("--github", source.github),
            ("--prometheus", source.prometheus),
        )
        if value
    ]
    if len(chosen) > 1:
        raise UsageError(f"choose one deploy source, not {' and '.join(chosen)}")
    roi = settings.roi(scope)
    window = parse_duration(roi.window, field="window")
    start = now - window
    if source.prometheus is not None:
        from lumen.sources.deploys_prometheus import read_rates

        scopes = read_rates(
            source.prometheus,
            roi.queries,
            window=window,
            now=now,
            env=scope.env,
            service=scope.service,
        )
        return Deploys(None, scopes, {"prometheus": source.prometheus.url})
    tally = RoiTally(start, now)
    if source.github:
        from lumen.adapters.github.deploys import read_github

        info = read_github(
            source.github, tally, start=start, end=now, config=settings.config, reads=source.reads
        )
        return Deploys(tally, None, {"github": {"repository": source.github}, **info})
    if not source.deploys:
        raise UsageError(
            "a deploy source is required: --deploys PATH, --github OWNER/REPO or --prometheus URL"
        )
    from lumen.sources.deploys import read_deploys
    from lumen.statefiles import readable

    with readable(source.deploys, source.state, required=True) as local:
        read = read_deploys(local, tally)
    summary = read.summary()
    if source.state is not None and source.deploys != "-":
        summary.update(source=source.deploys, branch=source.state.branch)
    return Deploys(tally, None, {"deploys": summary})


def evaluate(settings: Settings, scope: Scope, deploys: Deploys) -> RoiOutcome:
    """Checks and values of the ROI gate for `scope` (and its matrix)."""
    roi = settings.roi(scope)
    tally, rate_scopes = deploys.tally, deploys.rate_scopes
    env, service = scope.env, scope.service
    if tally is not None:
        counts = tally.counts(env, service)
    else:
        counts = (rate_scopes or {}).get((env, service)) or DeployCounts()
    checks = roi_checks(counts, roi.checks)
    values: dict[str, Any] = {
        "success_rate": counts.success_rate,
        "rollback_rate": counts.rollback_rate,
        "deploys": counts.deploys if counts.deploys_known else None,
        "successes": counts.successes if counts.deploys_known else None,
        "rollbacks": counts.rollbacks if counts.deploys_known else None,
        "min_deploys": roi.checks.min_deploys,
        "statistic": roi.checks.statistic,
    }
    for check in checks:
        if "interval" in check.extra:
            values[check.name.split("@")[0] + "_interval"] = check.extra["interval"]
    if tally is not None:
        values["dora"] = tally.dora(env, service).to_dict()
        values["duplicates_dropped"] = tally.duplicates
    if roi.matrix:
        rows = []
        scopes: list[tuple[str, str]]
        if tally is not None:
            scopes = tally.scopes()
        else:
            scopes = sorted(
                (e, s) for (e, s) in (rate_scopes or {}) if e is not None and s is not None
            )
        for scope_env, scope_service in scopes:
            if env is not None and scope_env != env:
                continue
            if service is not None and scope_service != service:
                continue
            scoped = settings.roi(Scope(scope_env, scope_service)).checks
            if tally is not None:
                scope_counts = tally.counts(scope_env, scope_service)
            else:
                scope_counts = (rate_scopes or {})[(scope_env, scope_service)]
            scope_checks = [
                replace(check, extra={**check.extra, "env": scope_env, "service": scope_service})
                for check in roi_checks(
                    scope_counts, scoped, suffix=f"@{scope_env}/{scope_service}"
                )
            ]
            checks.extend(scope_checks)
            row: dict[str, Any] = {
                "env": scope_env,
                "service": scope_service,
                "deploys": scope_counts.deploys if scope_counts.deploys_known else None,
                "success_rate": scope_counts.success_rate,
                "rollback_rate": scope_counts.rollback_rate,
                "verdict": decide(scope_checks).value,
            }
            if tally is not None:
                row["dora"] = tally.dora(scope_env, scope_service).to_dict()
            rows.append(row)
        values["matrix"] = rows
    return RoiOutcome(checks=checks, values=values, window=roi.window)


def judge(
    settings: Settings, scope: Scope, source: DeploySource, *, now: datetime
) -> tuple[Deploys, RoiOutcome]:
    """Collect and evaluate. From GitHub the gate also judges the repository's trend (its
    recent window against its own history, `lumen.app.trend`): over the ROI window alone a
    degrading week hides in months of good deployments, or is NO_DATA over a few days."""
    if not source.github:
        deploys = collect(settings, scope, source, now=now)
        return deploys, evaluate(settings, scope, deploys)
    from lumen.adapters.github.deploys import github_settings
    from lumen.app import trend as trend_app

    trend = settings.trend(scope)
    reads = source.reads or trend_app.open_reads(
        source.github,
        since=trend_app.earliest(
            now, trend, parse_duration(settings.roi(scope).window, field="window")
        ),
        deploy_settings=github_settings(settings.config),
    )
    deploys = collect(settings, scope, replace(source, reads=reads), now=now)
    outcome = evaluate(settings, scope, deploys)
    judged = trend_app.github_trend(reads, trend, now=now)
    outcome.checks.extend(judged.checks)
    outcome.values["trend"] = judged.values(trend)
    deploys.inputs["github"] = trend_app.github_inputs(reads)
    return deploys, outcome
