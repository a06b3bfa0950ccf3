"""The metric-rule runner's own guarantees, with an in-process connection whose answers and
delays the test controls: the deadline, early stopping, intervals and result shapes."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from gates.errors import SourceError
from gates.policy import MetricRule
from lumen.adapters.policy_metrics import clear_message, evaluate, samples_of


@dataclass(frozen=True)
class Scripted:
    """Answers queries from a script; `delay` seconds per query."""

    answers: dict[str, list[Any]]
    delay: float = 0.0
    timeout: float = 1.0
    retries: int = 0
    calls: list[str] = field(default_factory=list)
    instants: list[datetime | None] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # When set, every query waits there for the others: only queries in flight together pass.
    barrier: threading.Barrier | None = None
    # When set, no query answers before it is set: a server that is silent until released.
    hold: threading.Event | None = None

    def query(
        self, promql: str, *, at: datetime | None = None, timeout: float | None = None
    ) -> list[Any]:
        time.sleep(self.delay)
        if self.hold is not None:
            self.hold.wait()
        if self.barrier is not None:
            self.barrier.wait()
        with self.lock:
            self.calls.append(promql)
            self.instants.append(at)
            script = self.answers[promql]
            answer = script.pop(0) if len(script) > 1 else script[0]
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[no-any-return]


def series(value: str, **labels: str) -> dict[str, Any]:
    return {"metric": labels, "value": [0, value]}


def rule(query: str, **kw: Any) -> MetricRule:
    return MetricRule(id=query.upper(), query=query, comparator="<=", threshold=1.0, **kw)


def test_deadline_bounds_the_run_whatever_the_server_does() -> None:
    silent = threading.Event()  # the server answers only once the run is over
    conn = Scripted({"slow": [[series("0")]]}, hold=silent)
    started = time.monotonic()
    try:
        (outcome,) = evaluate(conn, [rule("slow")], deadline=0.3)
        # Without the deadline this would wait for ever; the bound only has to tell them apart.
        assert time.monotonic() - started < 20
    finally:
        silent.set()
    assert outcome.error == "SLOW: no answer within 0.3s"


def test_rules_run_in_parallel() -> None:
    queries = [f"q{i}" for i in range(8)]
    # All eight queries must be in flight at once to pass the barrier; one at a time, the first
    # would wait there until the barrier's timeout breaks it (an error, not a PASS). No clock.
    barrier = threading.Barrier(len(queries), timeout=30)
    conn = Scripted({q: [[series("0")]] for q in queries}, barrier=barrier)
    outcomes = evaluate(conn, [rule(q) for q in queries], parallel=8, deadline=60)
    assert all(o.error is None and o.checks[0].verdict.value == "PASS" for o in outcomes)


def test_queries_evaluate_at_the_pinned_instant_or_at_prometheus_present() -> None:
    pinned = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    conn = Scripted({"q": [[series("5")]]})
    evaluate(conn, [rule("q", count=3, interval=0, failure_limit=5)], at=pinned)
    assert conn.instants == [pinned, pinned, pinned]
    free = Scripted({"q": [[series("5")]]})
    evaluate(free, [rule("q", count=2, interval=0, failure_limit=5)])
    assert free.instants == [None, None]


def test_early_stop_and_interval() -> None:
    conn = Scripted({"bad": [[series("5")]]})
    started = time.monotonic()
    (outcome,) = evaluate(conn, [rule("bad", count=10, interval=0.2, failure_limit=1)])
    assert len(conn.calls) == 2  # decided after the second failure
    assert 0.2 <= time.monotonic() - started < 1.0  # one interval waited
    assert outcome.checks[0].extra["measurements"]["failed"] == 2


def test_error_then_recovery_is_not_an_error() -> None:
    conn = Scripted(
        {"flaky": [SourceError("Prometheus unreachable: ConnectionError: x"), [series("0")]]}
    )
    (outcome,) = evaluate(conn, [rule("flaky", count=2)])
    assert outcome.error is None
    assert outcome.checks[0].extra["measurements"] == {
        "successful": 1,
        "failed": 0,
        "inconclusive": 0,
        "error": 1,
    }


def test_result_shapes() -> None:
    assert samples_of([1.0, "0.5"])[0].value == 0.5  # scalar
    (nan,) = samples_of([series("NaN")])
    assert nan.value != nan.value
    with pytest.raises(ValueError, match="range vector"):
        samples_of([{"metric": {}, "values": [[0, "1"]]}])


def test_prometheus_error_body_becomes_its_message() -> None:
    raw = (
        "Prometheus refused query 'x(': HTTP Status Code 400 "
        '(b\'{"status":"error","errorType":"bad_data","error":"invalid parameter '
        '\\\\"query\\\\": 1:3: parse error: unclosed left parenthesis"}\')'
    )
    assert clear_message(raw) == (
        'Prometheus refused the query: invalid parameter "query": 1:3: parse error:'
        " unclosed left parenthesis"
    )
    assert clear_message("Prometheus unreachable: ConnectionError: ... Connection refused") == (
        "Prometheus unreachable (ConnectionError: connection refused)"
    )
