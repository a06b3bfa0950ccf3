"""SLO use case (docs/reference.md#slo): error and request counts per window from a samples JSON
file or Prometheus (one instant query per window and query), judged by `gates.slo`.

Samples file (`lumen.sources.slo_samples`):
`{"windows": {"5m": {"errors": 3, "requests": 1200}, "1h": {"error_rate": 0.004}}}`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from gates import slo
from gates.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from lumen.adapters.prometheus import PrometheusConnection
    from lumen.settings import SloSettings


def query_samples(
    connection: PrometheusConnection,
    errors: str,
    requests: str,
    windows: list[timedelta],
    now: datetime,
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


def queries_configured(settings: SloSettings) -> bool:
    """Both Prometheus queries are known (flags or `slo:`)."""
    return bool(settings.errors and settings.requests)


def evaluate(
    settings: SloSettings,
    *,
    now: datetime,
    samples_path: str | None,
    prometheus: PrometheusConnection | None,
) -> tuple[slo.SloOutcome, dict[str, Any]]:
    """The SLO checks from a samples file (`samples_path`, else `slo.samples`) or Prometheus."""
    inputs: dict[str, Any] = {"objective": settings.objective, "preset": settings.preset}
    samples_path = samples_path or settings.samples
    if samples_path and prometheus is not None:
        raise UsageError("choose --samples or --prometheus, not both")
    samples: dict[timedelta, slo.WindowSample] = {}
    objective = settings.objective
    if samples_path:
        from lumen.sources.slo_samples import read_samples

        loaded = read_samples(str(samples_path))
        samples = loaded.windows
        inputs["samples"] = str(samples_path)
        if loaded.objective is not None and not settings.objective_from_flag:
            # The samples file states the SLO it measures; only --objective overrides it.
            objective = loaded.objective
            inputs["objective"] = objective
    elif prometheus is not None:
        errors, requests = settings.errors, settings.requests
        if not errors or not requests:
            raise ConfigError(
                "the Prometheus source needs the errors and requests queries",
                field="slo.errors/slo.requests",
                expected="--errors/--requests or `slo: {errors: ..., requests: ...}`, "
                "each with a $window placeholder",
            )
        samples = query_samples(
            prometheus,
            errors,
            requests,
            slo.windows_needed(settings.preset, settings.rules),
            now,
        )
        inputs.update({"prometheus": prometheus.url, "errors": errors, "requests": requests})
    outcome = slo.evaluate(
        samples,
        objective=objective,
        preset=settings.preset,
        rules=settings.rules,
        on_no_data=settings.on_no_data,
        key=settings.key,
    )
    return outcome, inputs
