"""SLO gate: error rate and multi-window burn rates (spec §5).

Error and request counts per window come from Prometheus (`--errors`/`--requests` queries with a
`$window` placeholder, one instant query per window) or from a samples JSON file:
`{"windows": {"5m": {"errors": 3, "requests": 1200}, "1h": {"error_rate": 0.004}, ...}}`.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta
from typing import Any

from gates import slo
from gates.errors import ConfigError, UsageError
from gates.result import Check, GateResult, OnNoData, decide
from gates.timeutil import format_timestamp, parse_duration
from lumen.commands.common import add_common, config_of, env_service, now_of
from lumen.config import Config
from lumen.outputs import GATE, Output

# The step outputs this command writes in Actions (and its action.yml declares).
OUTPUTS = (
    *GATE,
    Output("burn-rate", "burn rate of the shortest window: error rate / (1 - objective)"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from lumen.adapters.prometheus import add_connection_arguments

    source = parser.add_argument_group("source (one of --samples or --prometheus)")
    source.add_argument(
        "--errors", metavar="PROMQL", help="errors query with a $window placeholder"
    )
    source.add_argument(
        "--requests", metavar="PROMQL", help="requests query with a $window placeholder"
    )
    source.add_argument(
        "--samples", metavar="PATH", help="error/request samples JSON instead of Prometheus"
    )
    add_connection_arguments(parser)
    add_slo_options(parser)
    add_common(parser, gate=True)


def add_slo_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("SLO settings (config `slo:`)")
    group.add_argument("--objective", type=float, metavar="X", help="SLO objective (default 0.99)")
    group.add_argument("--preset", choices=list(slo.PRESETS), help="rule set (default multiwindow)")


def slo_flags(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "objective": getattr(args, "objective", None),
        "preset": getattr(args, "preset", None),
        "errors": getattr(args, "errors", None),
        "requests": getattr(args, "requests", None),
        "on-no-data": getattr(args, "on_no_data", None),
    }


def query_samples(
    connection: Any, errors: str, requests: str, windows: list[timedelta], now: datetime
) -> dict[timedelta, slo.WindowSample]:
    """One instant query per window and query, at `now`; an empty result is no data."""
    from gates.timeutil import format_duration
    from lumen.sources.promql import instant_sum

    out: dict[timedelta, slo.WindowSample] = {}
    for window in windows:
        label = format_duration(window)
        error_count = instant_sum(connection, errors.replace("$window", label), now)
        request_count = instant_sum(connection, requests.replace("$window", label), now)
        out[window] = slo.WindowSample(errors=error_count, requests=request_count)
    return out


def evaluate(
    config: Config,
    args: argparse.Namespace,
    *,
    env: str | None,
    service: str | None,
    now: datetime,
    samples_path: str | None,
    prometheus: str | None,
) -> tuple[slo.SloOutcome, dict[str, Any]]:
    settings = config.resolve("slo", slo_flags(args), env=env, service=service)
    preset = str(settings.get("preset", "multiwindow"))
    rules = slo.parse_rules(settings["rules"]) if settings.get("rules") else slo.MULTIWINDOW
    objective = float(settings.get("objective", 0.99))
    on_no_data = OnNoData(settings.get("on-no-data", "pass"))
    samples_path = samples_path or settings.get("samples")
    inputs: dict[str, Any] = {"objective": objective, "preset": preset}
    if samples_path and prometheus:
        raise UsageError("choose --samples or --prometheus, not both")
    samples: dict[timedelta, slo.WindowSample] = {}
    if samples_path:
        from lumen.sources.slo_samples import read_samples

        loaded = read_samples(str(samples_path))
        samples = loaded.windows
        inputs["samples"] = str(samples_path)
        if loaded.objective is not None and getattr(args, "objective", None) is None:
            # The samples file states the SLO it measures; only --objective overrides it.
            objective = loaded.objective
            inputs["objective"] = objective
    elif prometheus:
        errors, requests = settings.get("errors"), settings.get("requests")
        if not errors or not requests:
            raise ConfigError(
                "the Prometheus source needs the errors and requests queries",
                field="slo.errors/slo.requests",
                expected="--errors/--requests or `slo: {errors: ..., requests: ...}`, "
                "each with a $window placeholder",
            )
        from lumen.adapters.prometheus import PrometheusConnection

        samples = query_samples(
            PrometheusConnection.from_args(args),
            str(errors),
            str(requests),
            slo.windows_needed(preset, rules),
            now,
        )
        inputs.update({"prometheus": prometheus, "errors": errors, "requests": requests})
    outcome = slo.evaluate(
        samples,
        objective=objective,
        preset=preset,
        rules=rules,
        on_no_data=on_no_data,
        key=bool(settings.get("key", False)),
    )
    return outcome, inputs


def run(args: argparse.Namespace) -> int:
    from lumen.report import emit

    config = config_of(args)
    env, service = env_service(args)
    now = now_of(args)
    if (
        not args.samples
        and not args.prometheus
        and not config.resolve("slo", {}, env=env, service=service).get("samples")
    ):
        raise UsageError("a source is required: --samples PATH or --prometheus URL")
    outcome, inputs = evaluate(
        config,
        args,
        env=env,
        service=service,
        now=now,
        samples_path=args.samples,
        prometheus=args.prometheus,
    )
    checks: list[Check] = outcome.checks
    result = GateResult(
        gate="slo",
        verdict=decide(checks),
        checks=checks,
        inputs={"env": env, "service": service, **inputs},
        window=",".join(sorted(outcome.error_rates, key=parse_duration)),
        generated_at=format_timestamp(now),
        values=outcome.values(),
    )
    burn = outcome.burn_rate
    return emit(result, args, OUTPUTS, {"burn-rate": "" if burn is None else f"{burn:.6g}"})
