"""ROI rates from Prometheus (docs/reference.md#roi): `lumen_deploy_success_rate`,
`lumen_rollback_rate` and `lumen_deploys` with `env`/`service` labels, as the loop sampler pushes
them.

The queries are configurable (`roi.queries`), with `$env`, `$service` (".*" when not given) and
`$window` substituted, so the older single-environment names
(`lumen_prod_deploy_success_rate`, `lumen_prod_rollback_rate`) work by configuration. Series are
keyed by their `env`/`service` labels; the overall figure weights each series by its deploys
(or averages them when the deploy count is unknown).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from gates.roi import DeployCounts
from gates.timeutil import format_duration
from lumen.config import canonical_env
from lumen.sources.promql import instant_vector

Scope = tuple[str | None, str | None]


def _query(template: str, env: str | None, service: str | None, window: timedelta) -> str:
    return (
        template.replace("$env", env or ".*")
        .replace("$service", service or ".*")
        .replace("$window", format_duration(window))
    )


def read_rates(
    connection: Any,
    queries: Mapping[str, str],
    *,
    window: timedelta,
    now: datetime,
    env: str | None,
    service: str | None,
) -> dict[Scope, DeployCounts]:
    """Counts per (env, service) series plus the overall `(env, service)` asked for."""
    series: dict[Scope, dict[str, float]] = {}
    for name in ("success-rate", "rollback-rate", "deploys"):
        template = queries.get(name)
        if not template:
            continue
        for labels, value in instant_vector(
            connection, _query(str(template), env, service, window), now
        ):
            scope = (canonical_env(labels.get("env")) or env, labels.get("service") or service)
            series.setdefault(scope, {})[name] = value
    out: dict[Scope, DeployCounts] = {}
    for scope, values in series.items():
        out[scope] = DeployCounts.from_rates(
            values.get("success-rate"), values.get("rollback-rate"), values.get("deploys")
        )
    out[(env, service)] = _combine(list(out.values())) if out else DeployCounts(deploys_known=True)
    return out


def _combine(parts: list[DeployCounts]) -> DeployCounts:
    if len(parts) == 1:
        return parts[0]
    known = all(p.deploys_known for p in parts)
    if known:
        deploys = sum(p.deploys for p in parts)

        def weighted(attr: str) -> float | None:
            pairs = [(getattr(p, attr), p.deploys) for p in parts if getattr(p, attr) is not None]
            total = sum(n for _, n in pairs)
            return sum(v * n for v, n in pairs) / total if total else None

        return DeployCounts.from_rates(
            weighted("success_rate"), weighted("rollback_rate"), float(deploys)
        )

    def mean(attr: str) -> float | None:
        values = [getattr(p, attr) for p in parts if getattr(p, attr) is not None]
        return sum(values) / len(values) if values else None

    return DeployCounts.from_rates(mean("success_rate"), mean("rollback_rate"), None)
