"""ROI gate and DORA figures over deploy events (spec §4).

Sources: a JSONL log (`--deploys`), GitHub Deployments (`--github OWNER/REPO`) or Prometheus
(`--prometheus URL`). Thresholds resolve flag > env×service > env > `roi:` > shipped default;
with `matrix: true` every (env, service) in the data is also judged with its own thresholds.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from gates.errors import UsageError
from gates.result import Check, GateResult, decide
from gates.roi import DeployCounts, RoiSettings, RoiTally, roi_checks
from gates.timeutil import format_duration, format_timestamp, parse_duration
from lumen.commands.common import add_common, config_of, env_service, now_of
from lumen.config import Config
from lumen.outputs import GATE, Output

# The step outputs this command writes in Actions (and its action.yml declares).
OUTPUTS = (
    *GATE,
    Output("success-rate", "successful deploys / deploys"),
    Output("rollback-rate", "rollbacks / deploys (capped at 1)"),
    Output("deploys", "number of deploys in the window"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_argument_group("source (one of)")
    source.add_argument(
        "--deploys", metavar="PATH", help="deploy events JSONL file, or - for stdin"
    )
    source.add_argument("--github", metavar="OWNER/REPO", help="read GitHub Deployments instead")
    from lumen.adapters.prometheus import add_connection_arguments

    add_connection_arguments(parser)  # --prometheus URL: lumen_deploy_success_rate & co.
    add_roi_options(parser)
    add_common(parser, gate=True)


def add_roi_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("ROI thresholds (config `roi:`)")
    group.add_argument("--window", metavar="DURATION", help="window (default 90d)")
    group.add_argument("--min-success-rate", type=float, metavar="X", help="default 0.80")
    group.add_argument("--max-rollback-rate", type=float, metavar="X", help="default 0.20")
    group.add_argument(
        "--min-deploys", type=int, metavar="N", help="fewer deploys is NO_DATA (default 5)"
    )
    group.add_argument(
        "--statistic",
        choices=["plain", "wilson"],
        help="plain rates, or the three-way decision on the 95%% Wilson interval",
    )
    group.add_argument(
        "--matrix",
        action="store_const",
        const=True,
        default=None,
        help="also judge every (env, service) in the data with its own thresholds",
    )


def roi_flags(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "window": getattr(args, "window", None),
        "min-success-rate": getattr(args, "min_success_rate", None),
        "max-rollback-rate": getattr(args, "max_rollback_rate", None),
        "min-deploys": getattr(args, "min_deploys", None),
        "statistic": getattr(args, "statistic", None),
        "matrix": getattr(args, "matrix", None),
        "on-no-data": getattr(args, "on_no_data", None),
    }


@dataclass
class RoiOutcome:
    checks: list[Check]
    values: dict[str, Any]
    window: str
    inputs: dict[str, Any] = field(default_factory=dict)


def window_of(config: Config, args: argparse.Namespace, env: str | None, svc: str | None) -> str:
    return str(config.resolve("roi", roi_flags(args), env=env, service=svc)["window"])


def evaluate(
    config: Config,
    args: argparse.Namespace,
    *,
    env: str | None,
    service: str | None,
    now: datetime,
    tally: RoiTally | None = None,
    rate_scopes: dict[tuple[str | None, str | None], DeployCounts] | None = None,
) -> RoiOutcome:
    """Checks and values of the ROI gate from a tally (events) or rate-only counts
    (Prometheus: keyed by (env, service), None meaning all)."""
    settings_map = config.resolve("roi", roi_flags(args), env=env, service=service)
    window = str(settings_map["window"])
    settings = RoiSettings.from_mapping(settings_map)
    if tally is not None:
        counts = tally.counts(env, service)
    else:
        counts = (rate_scopes or {}).get((env, service)) or DeployCounts()
    checks = roi_checks(counts, settings)
    values: dict[str, Any] = {
        "success_rate": counts.success_rate,
        "rollback_rate": counts.rollback_rate,
        "deploys": counts.deploys if counts.deploys_known else None,
        "successes": counts.successes if counts.deploys_known else None,
        "rollbacks": counts.rollbacks if counts.deploys_known else None,
        "min_deploys": settings.min_deploys,
        "statistic": settings.statistic,
    }
    for check in checks:
        if "interval" in check.extra:
            values[check.name.split("@")[0] + "_interval"] = check.extra["interval"]
    if tally is not None:
        values["dora"] = tally.dora(env, service).to_dict()
        values["duplicates_dropped"] = tally.duplicates
    if settings_map.get("matrix"):
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
            scoped = RoiSettings.from_mapping(
                config.resolve("roi", roi_flags(args), env=scope_env, service=scope_service)
            )
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
    return RoiOutcome(checks=checks, values=values, window=window)


def collect(
    config: Config,
    args: argparse.Namespace,
    *,
    env: str | None,
    service: str | None,
    now: datetime,
    deploys: str | None,
    github: str | None = None,
    prometheus: str | None = None,
) -> tuple[
    RoiTally | None, dict[tuple[str | None, str | None], DeployCounts] | None, dict[str, Any]
]:
    """Read the chosen source: (tally, rate scopes, inputs description)."""
    chosen = [
        name
        for name, value in (
            ("--deploys", deploys),
            ("--github", github),
            ("--prometheus", prometheus),
        )
        if value
    ]
    if len(chosen) > 1:
        raise UsageError(f"choose one deploy source, not {' and '.join(chosen)}")
    window = parse_duration(window_of(config, args, env, service), field="window")
    start = now - window
    if prometheus:
        from lumen.sources.deploys_prometheus import read_rates

        settings = config.resolve("roi", roi_flags(args), env=env, service=service)
        from lumen.adapters.prometheus import PrometheusConnection

        scopes = read_rates(
            PrometheusConnection.from_args(args),
            settings,
            config=config,
            window=window,
            now=now,
            env=env,
            service=service,
        )
        return None, scopes, {"prometheus": prometheus}
    tally = RoiTally(start, now)
    if github:
        from lumen.adapters.github.deploys import read_github

        info = read_github(github, tally, start=start, end=now, config=config)
        return tally, None, {"github": github, **info}
    if not deploys:
        raise UsageError(
            "a deploy source is required: --deploys PATH, --github OWNER/REPO or --prometheus URL"
        )
    from lumen.sources.deploys import read_deploys

    read = read_deploys(deploys, tally)
    return tally, None, {"deploys": read.summary()}


def run(args: argparse.Namespace) -> int:
    from lumen.report import emit

    config = config_of(args)
    env, service = env_service(args)
    now = now_of(args)
    tally, rate_scopes, inputs = collect(
        config,
        args,
        env=env,
        service=service,
        now=now,
        deploys=args.deploys,
        github=args.github,
        prometheus=args.prometheus,
    )
    outcome = evaluate(
        config, args, env=env, service=service, now=now, tally=tally, rate_scopes=rate_scopes
    )
    window = parse_duration(outcome.window, field="window")
    result = GateResult(
        gate="roi",
        verdict=decide(outcome.checks),
        checks=outcome.checks,
        inputs={"env": env, "service": service, **inputs},
        window=format_duration(window),
        generated_at=format_timestamp(now),
        values={
            **outcome.values,
            "window_start": format_timestamp(now - window),
            "window_end": format_timestamp(now),
        },
    )
    return emit(
        result,
        args,
        OUTPUTS,
        {
            "success-rate": _out(outcome.values["success_rate"]),
            "rollback-rate": _out(outcome.values["rollback_rate"]),
            "deploys": outcome.values["deploys"],
        },
    )


def _out(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"
