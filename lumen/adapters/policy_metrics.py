"""Run metric rules against Prometheus: every rule in its own worker, each measurement with a
timeout, repeated `count` times `interval` apart and stopped early once the outcome is
settled (as an Argo Rollouts AnalysisRun does). The judging itself is `gates.policy`.

Nothing here can hang the gate: each HTTP request has a timeout, Prometheus is asked to give
up on its side too, and the whole run has a deadline after which unfinished rules are
reported as errors.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime
from typing import Any, Protocol

from gates.errors import LumenError
from gates.policy import (
    Measurement,
    MetricRule,
    RuleOutcome,
    Sample,
    is_decided,
    judge_rule,
    labels_of,
)


class Connection(Protocol):
    """What the runner needs of `lumen.adapters.prometheus.PrometheusConnection`."""

    @property
    def timeout(self) -> float: ...

    @property
    def retries(self) -> int: ...

    def query(
        self, promql: str, *, at: datetime | None = None, timeout: float | None = None
    ) -> list[Any]: ...


def samples_of(result: Any) -> tuple[Sample, ...]:
    """Series of an instant-query result. prometheus-api-client hands back `data.result`
    only, so the shape tells the type: a list of series is a vector (a range vector has
    `values` and is refused), `[time, "value"]` is a scalar."""
    if isinstance(result, list) and all(isinstance(item, dict) for item in result):
        if any("values" in item for item in result):
            raise ValueError(
                "query returned a range vector, expected an instant vector or scalar"
                " (wrap the range selector in a *_over_time function)"
            )
        return tuple(
            Sample(labels_of(item.get("metric", {})), _number(item["value"][1])) for item in result
        )
    if isinstance(result, list) and len(result) == 2:
        return (Sample((), _number(result[1])),)
    raise ValueError(f"unexpected query result {str(result)[:80]!r}")


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


_PROMETHEUS_ERROR = re.compile(r'"error"\s*:\s*"((?:[^"\\]|\\.)*)"')


_UNREACHABLE = re.compile(r"Prometheus unreachable: (\w+)")


def clear_message(message: str) -> str:
    """Prometheus's own words for a refused query (`parse error: unclosed left parenthesis`)
    instead of the HTTP body the client library quotes."""
    unreachable = _UNREACHABLE.search(message)
    if unreachable:
        # requests' text (pool, URL with the encoded query, nested causes) says less than this.
        kind = unreachable.group(1)
        if "Timeout" in kind:
            return f"Prometheus unreachable ({kind}: no answer in time)"
        if "refused" in message or "Failed to establish" in message:
            return f"Prometheus unreachable ({kind}: connection refused)"
        return f"Prometheus unreachable ({kind})"
    match = _PROMETHEUS_ERROR.search(message.replace("\\\\", "\\"))
    if not match:
        return message
    try:
        text = str(json.loads(f'"{match.group(1)}"'))
    except json.JSONDecodeError:
        text = match.group(1)
    return f"Prometheus refused the query: {text}"


def measure(connection: Connection, rule: MetricRule, *, at: datetime | None = None) -> Measurement:
    """One measurement of `rule`: its query evaluated at `at` (None: Prometheus's present)."""
    limit = connection.timeout if rule.timeout is None else rule.timeout
    started = time.monotonic()
    try:
        return Measurement(samples=samples_of(connection.query(rule.query, at=at, timeout=limit)))
    except LumenError as exc:
        message = clear_message(exc.message)
        # The library's text is cut before its cause when the query is long; the clock is not.
        # (A query past its own timeout says "connection timed out"; past the command's budget
        # it names the budget, which is kept.)
        per_query = message.startswith(
            ("Prometheus unreachable", "Prometheus: connection timed out")
        )
        if per_query and "budget" not in message and (time.monotonic() - started >= limit * 0.9):
            message = f"Prometheus unreachable (no answer within {limit:g}s)"
        return Measurement(error=message)
    except ValueError as exc:
        return Measurement(error=str(exc))


def run_rule(
    connection: Connection,
    rule: MetricRule,
    *,
    stop: threading.Event,
    sleep: Callable[[float], Any] | None = None,
    at: datetime | None = None,
) -> list[Measurement]:
    measurements: list[Measurement] = []
    for index in range(rule.count):
        measurements.append(measure(connection, rule, at=at))
        if index + 1 == rule.count or is_decided(rule, measurements):
            break
        # Event.wait doubles as an interruptible sleep: the deadline stops every rule at once.
        if sleep is not None:
            sleep(rule.interval)
        elif stop.wait(rule.interval):
            break
    return measurements


def budget(rules: Sequence[MetricRule], timeout: float, retries: int) -> float:
    """Longest time a rule may legitimately take, plus slack: the run's deadline."""
    worst = 0.0
    for rule in rules:
        per_query = (rule.timeout or timeout) * (retries + 1) + retries
        worst = max(worst, rule.count * per_query + (rule.count - 1) * rule.interval)
    return worst + 5.0


def evaluate(
    connection: Connection,
    rules: Sequence[MetricRule],
    *,
    parallel: int = 8,
    deadline: float | None = None,
    at: datetime | None = None,
) -> list[RuleOutcome]:
    """Outcomes in rule order. Rules still running at the deadline count as errors.

    `at` pins the instant every query evaluates at (a pinned `--now`); by default each
    measurement asks about Prometheus's present.
    """
    if not rules:
        return []
    limit = (
        deadline if deadline is not None else budget(rules, connection.timeout, connection.retries)
    )
    stop = threading.Event()
    measurements: dict[int, list[Measurement]] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, min(parallel, len(rules))))
    try:
        futures: dict[Future[list[Measurement]], int] = {
            pool.submit(run_rule, connection, rule, stop=stop, at=at): i
            for i, rule in enumerate(rules)
        }
        pending = set(futures)
        end = time.monotonic() + limit
        while pending:
            remaining = end - time.monotonic()
            if remaining <= 0:
                break
            done, pending = wait(pending, timeout=remaining, return_when=FIRST_COMPLETED)
            for future in done:
                measurements[futures[future]] = future.result()
        for future in pending:
            index = futures[future]
            measurements[index] = [Measurement(error=f"no answer within {limit:g}s")]
    finally:
        stop.set()
        # Do not wait for stragglers: their requests time out on their own.
        pool.shutdown(wait=False, cancel_futures=True)
    return [judge_rule(rule, measurements[i]) for i, rule in enumerate(rules)]
