"""Instant PromQL queries for the ROI and SLO sources, over the shared connection helper
(`lumen.adapters.prometheus.PrometheusConnection`: auth, headers, TLS, timeouts, SourceError)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lumen.adapters.prometheus import PrometheusConnection


def instant_vector(
    connection: PrometheusConnection, query: str, now: datetime | None = None
) -> list[tuple[dict[str, str], float]]:
    """(labels, value) per series of an instant query at `now`; NaN and ±Inf are no data: a
    gate cannot compare them, and must never pass on them."""
    out: list[tuple[dict[str, str], float]] = []
    for series in connection.query(query, at=now):
        try:
            value = float(series["value"][1])
        except (KeyError, IndexError, TypeError, ValueError):
            continue
        if math.isfinite(value):
            out.append((dict(series.get("metric") or {}), value))
    return out


def instant_sum(
    connection: PrometheusConnection, query: str, now: datetime | None = None
) -> float | None:
    """The sum of an instant query's series; None when it returned nothing."""
    series = instant_vector(connection, query, now)
    if not series:
        return None
    return math.fsum(value for _, value in series)
