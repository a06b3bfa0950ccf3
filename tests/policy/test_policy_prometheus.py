"""Metric rule packs against a real Prometheus (and Pushgateway): pass, fail, no data,
errors (server down, bad PromQL, a server that never answers), several series, repeated
measurements with a failure limit, and the canary pack's per-environment guards.

History is backfilled with promtool so windows like [10m] hold known values at once; every
expected number below is worked out from the backfilled samples.
"""

from __future__ import annotations

import json
import socket
import textwrap
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from harness.prometheus import (
    PrometheusServer,
    PushgatewayServer,
    Series,
    counter,
    gauge,
    wait_for_scrape,
)

from lumen.cli import main


def write_pack(tmp_path: Path, rules: str, *, name: str = "pack.yml") -> Path:
    path = tmp_path / name
    path.write_text(
        "id: test\nrules:\n" + textwrap.indent(textwrap.dedent(rules).strip() + "\n", "  "),
        encoding="utf-8",
    )
    return path


Runner = Callable[..., tuple[int, dict[str, Any] | None, str]]


@pytest.fixture
def lumen_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Runner:
    def run(*argv: str) -> tuple[int, dict[str, Any] | None, str]:
        out_json = tmp_path / "result.json"
        out_json.unlink(missing_ok=True)
        code = main(["policy", *argv, "--json", str(out_json)])
        _, err = capsys.readouterr()
        doc = json.loads(out_json.read_text()) if out_json.exists() else None
        return code, doc, err

    return run


def verdicts(doc: dict[str, Any] | None) -> dict[str, str]:
    assert doc is not None
    return {c["name"]: c["verdict"] for c in doc["checks"]}


# --------------------------------------------------------------------------- shipped rmb pack


@pytest.fixture
def now() -> float:
    """The test's one clock reading, in whole seconds: its series end there and the rules are
    evaluated there (`--now`), so no window depends on how long Prometheus took to start."""
    return float(int(time.time()) - 60)


def at(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).isoformat().replace("+00:00", "Z")


def rmb_history(rollbacks_per_step: float, entropy: list[float], *, end: float) -> list[Series]:
    return [
        counter("rmb_events_total", {"job": "loop"}, 10, end=end),
        counter("rmb_rollback_total", {"job": "loop"}, rollbacks_per_step, end=end),
        gauge("rmb_residual_entropy_last", {"job": "loop"}, entropy, end=end),
    ]


def test_shipped_rmb_pack_passes(prometheus_factory: Any, lumen_policy: Runner, now: float) -> None:
    # 10m = 40 steps: 8 rollbacks of 400 events = 0.02 <= 0.05; entropy stddev 0.01 <= 0.03.
    prom = prometheus_factory(backfill=rmb_history(0.2, [0.40, 0.42], end=now))
    code, doc, _ = lumen_policy("--pack", "rmb", "--prometheus", prom.url, "--now", at(now))
    assert code == 0
    assert verdicts(doc) == {'RMB-ROLL-001{job="loop"}': "PASS", 'RMB-RES-002{job="loop"}': "PASS"}
    roll = doc["checks"][0]  # type: ignore[index]
    assert roll["value"] == pytest.approx(0.02)
    assert roll["threshold"] == 0.05
    assert roll["key"] is True  # severity critical
    assert doc["metrics"]["pass"] == 2  # type: ignore[index]
    assert doc["inputs"]["metrics"]["prometheus"] == prom.url  # type: ignore[index]


def test_shipped_rmb_pack_fails(prometheus_factory: Any, lumen_policy: Runner, now: float) -> None:
    # 1 rollback per 10 events = 0.1 > 0.05; entropy swinging 0.3/0.5 has stddev 0.1 > 0.03.
    prom = prometheus_factory(backfill=rmb_history(1.0, [0.3, 0.5], end=now))
    code, doc, _ = lumen_policy("--pack", "rmb", "--prometheus", prom.url, "--now", at(now))
    assert code == 2
    assert doc is not None and doc["verdict"] == "FAIL"
    roll, res = doc["checks"]
    assert roll["value"] == pytest.approx(0.1)
    assert roll["reason"] == 'RMB-ROLL-001{job="loop"} = 0.1 is not <= 0.05'
    assert res["value"] == pytest.approx(0.1, abs=1e-3)
    assert res["verdict"] == "FAIL"


def test_no_data_is_reported_not_passed(prometheus: PrometheusServer, lumen_policy: Runner) -> None:
    code, doc, _ = lumen_policy("--pack", "rmb", "--prometheus", prometheus.url)
    assert code == 0
    assert doc is not None
    assert verdicts(doc) == {"RMB-ROLL-001": "NO_DATA", "RMB-RES-002": "NO_DATA"}
    assert doc["verdict"] == "NO_DATA"
    code, doc, _ = lumen_policy(
        "--pack", "rmb", "--prometheus", prometheus.url, "--on-no-data", "fail"
    )
    assert code == 2
    assert set(verdicts(doc).values()) == {"FAIL"}


# --------------------------------------------------------------------------- errors


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_server_down_exits_1_naming_the_rule(lumen_policy: Runner) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    started = time.monotonic()
    code, doc, err = lumen_policy("--pack", "rmb", "--prometheus", url)
    assert time.monotonic() - started < 10
    assert code == 1
    assert doc is None
    assert "rmb.yml:" in err
    assert "rule RMB-ROLL-001: Prometheus unreachable" in err
    assert "(1 more rule(s) failed the same way)" in err
    assert "Traceback" not in err


def test_server_down_with_on_error_warn(tmp_path: Path, lumen_policy: Runner) -> None:
    pack = write_pack(
        tmp_path,
        """
        - id: UP
          query: up
          comparator: ">="
          threshold: 1
          on-error: warn
        """,
    )
    code, doc, _ = lumen_policy(
        "--pack", str(pack), "--prometheus", f"http://127.0.0.1:{closed_port()}"
    )
    assert code == 0
    (check,) = doc["checks"]  # type: ignore[index]
    assert check["verdict"] == "WARN"
    assert check["phase"] == "Error"
    assert "query failed: Prometheus unreachable" in check["reason"]


def test_bad_promql_is_a_clear_message(
    tmp_path: Path, prometheus: PrometheusServer, lumen_policy: Runner
) -> None:
    pack = write_pack(
        tmp_path,
        """
        - id: OK
          query: vector(1)
          comparator: "=="
          threshold: 1
        - id: BROKEN
          query: sum(rate(http_requests_total[5m])
          comparator: "<="
          threshold: 1
        """,
    )
    code, _, err = lumen_policy("--pack", str(pack), "--prometheus", prometheus.url)
    assert code == 1
    assert f"{pack}:7: rule BROKEN: Prometheus refused the query:" in err
    assert "parse error" in err and "unclosed left parenthesis" in err


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers: the slowest possible Prometheus."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


def test_slow_prometheus_never_hangs(silent_server: str, lumen_policy: Runner) -> None:
    started = time.monotonic()
    code, _, err = lumen_policy(
        "--pack", "canary", "--prometheus", silent_server, "--prometheus-timeout", "500ms"
    )
    elapsed = time.monotonic() - started
    assert code == 1
    assert "Prometheus unreachable (no answer within 0.5s)" in err
    # 6 rules in parallel, 3 attempts of 0.5 s each plus backoff: seconds, not minutes.
    assert elapsed < 15


# --------------------------------------------------------------------------- several series


def test_vector_result_is_judged_per_series(
    pushgateway: PushgatewayServer, prometheus_factory: Any, tmp_path: Path, lumen_policy: Runner
) -> None:
    for service, score in (("api", 0.61), ("web", 0.30), ("db", 0.45)):
        pushgateway.push("lumen_sampler", f"lumen_m_score {score}\n", {"service": service})
    prom = prometheus_factory(scrape_targets=[pushgateway])
    wait_for_scrape(prom, "lumen_m_score", predicate=lambda r: len(r) == 3)
    pack = write_pack(
        tmp_path,
        """
        - id: M
          query: max by (service) (lumen_m_score)
          comparator: ">="
          threshold: {default: 0.45, prod: 0.5}
        """,
    )
    code, doc, _ = lumen_policy("--pack", str(pack), "--prometheus", prom.url)
    assert code == 2
    assert verdicts(doc) == {
        'M{service="api"}': "PASS",
        'M{service="db"}': "PASS",  # 0.45 >= 0.45
        'M{service="web"}': "FAIL",
    }
    code, doc, _ = lumen_policy(
        "--pack", str(pack), "--prometheus", prom.url, "--env", "production"
    )
    assert verdicts(doc)['M{service="db"}'] == "FAIL"  # prod floor 0.5


# --------------------------------------------------------------------------- AnalysisRun


def test_repeated_measurement_with_failure_limit(
    prometheus: PrometheusServer, tmp_path: Path, lumen_policy: Runner
) -> None:
    # vector(0.2) > 0.1 fails every time; the limit decides whether that fails the rule.
    def pack(count: int, limit: int) -> Path:
        return write_pack(
            tmp_path,
            f"""
            - id: LAT
              query: vector(0.2)
              comparator: "<="
              threshold: 0.1
              count: {count}
              interval: 100ms
              failure-limit: {limit}
            """,
            name=f"p{count}-{limit}.yml",
        )

    code, doc, _ = lumen_policy("--pack", str(pack(3, 2)), "--prometheus", prometheus.url)
    assert code == 2
    (check,) = doc["checks"]  # type: ignore[index]
    assert check["measurements"]["failed"] == 3
    assert check["values"] == [0.2, 0.2, 0.2]
    assert "3 of 3 measurements failed, failure-limit 2" in check["reason"]

    code, doc, _ = lumen_policy("--pack", str(pack(3, 3)), "--prometheus", prometheus.url)
    assert code == 0
    assert doc["checks"][0]["measurements"]["failed"] == 3  # type: ignore[index]

    # Settled after 2 failures (> limit 1): the remaining 8 measurements are not taken.
    started = time.monotonic()
    code, doc, _ = lumen_policy("--pack", str(pack(10, 1)), "--prometheus", prometheus.url)
    assert code == 2
    assert doc["checks"][0]["measurements"]["failed"] == 2  # type: ignore[index]
    assert time.monotonic() - started < 5


def test_measurements_follow_a_changing_metric(
    pushgateway: PushgatewayServer,
    prometheus_factory: Any,
    tmp_path: Path,
    lumen_policy: Runner,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One failing measurement within the failure limit, taken from live scrapes: the metric
    recovers between the first and the second measurement (pushed, and scraped, right after the
    first is taken, instead of at a wall-clock moment a slow start could miss)."""
    from lumen.adapters import policy_metrics

    pushgateway.push("canary", "canary_error_ratio 0.5\n")
    prom = prometheus_factory(scrape_targets=[pushgateway], scrape_interval="1s")
    wait_for_scrape(prom, "canary_error_ratio == 0.5")
    pack = write_pack(
        tmp_path,
        """
        - id: ERR
          query: max(canary_error_ratio)
          comparator: "<="
          threshold: 0.05
          count: 3
          interval: 1s
          failure-limit: 1
        """,
    )
    measure = policy_metrics.measure
    taken: list[Any] = []

    def measure_then_recover(*args: Any, **kwargs: Any) -> Any:
        measurement = measure(*args, **kwargs)
        taken.append(measurement)
        if len(taken) == 1:
            pushgateway.push("canary", "canary_error_ratio 0.01\n")
            wait_for_scrape(prom, "canary_error_ratio == 0.01")
        return measurement

    monkeypatch.setattr(policy_metrics, "measure", measure_then_recover)
    code, doc, _ = lumen_policy("--pack", str(pack), "--prometheus", prom.url)
    assert code == 0
    (check,) = doc["checks"]  # type: ignore[index]
    assert check["values"] == [0.5, 0.01, 0.01]
    assert check["measurements"]["failed"] == 1
    assert len(taken) == 3


# --------------------------------------------------------------------------- canary pack


def canary_history(end: float) -> list[Series]:
    """Per 15 s: 100 reads (all under 100 ms, none failing) and 100 writes (10 under 100 ms,
    40 under 300 ms, all under 500 ms; 1 failing). Combined p95 (rank 190 of 200) falls in
    the 0.3-0.5 bucket: 0.3 + (190 - 140) / 60 * 0.2 = 0.4667 s. Read p95: 0.095 s.
    Error rate 1/200 = 0.5%; read path 0%. Coherence 0.58."""
    series = []
    for path, buckets, errors in (
        ("/read", {"0.1": 100, "0.3": 100, "0.5": 100, "+Inf": 100}, 0),
        ("/write", {"0.1": 10, "0.3": 40, "0.5": 100, "+Inf": 100}, 1),
    ):
        for le, n in buckets.items():
            series.append(
                counter(
                    "http_request_duration_seconds_bucket",
                    {"job": "api", "path": path, "le": le},
                    n,
                    end=end,
                )
            )
        series.append(
            counter(
                "http_requests_total",
                {"job": "api", "path": path, "code": "200"},
                100 - errors,
                end=end,
            )
        )
        series.append(
            counter(
                "http_requests_total", {"job": "api", "path": path, "code": "500"}, errors, end=end
            )
        )
    series.append(gauge("resonance_coherence", {"window": "24h"}, [0.58], end=end))
    return series


@pytest.mark.parametrize(
    ("env", "code", "failing"),
    [
        ("dev", 0, set()),
        ("stage", 0, set()),
        ("prod", 2, {"CANARY-P95", "CANARY-COHERENCE"}),
    ],
)
def test_canary_pack_guards_per_environment(
    *,
    prometheus_factory: Any,
    lumen_policy: Runner,
    now: float,
    env: str,
    code: int,
    failing: set[str],
) -> None:
    prom = prometheus_factory(backfill=canary_history(now))
    got, doc, err = lumen_policy(
        "--now",
        at(now),
        "--pack",
        "canary",
        "--prometheus",
        prom.url,
        "--env",
        env,
        "--var",
        'selector=job="api"',
        "--var",
        'read_selector=job="api", path="/read"',
    )
    assert got == code, err
    assert doc is not None
    values = {c["name"]: c["value"] for c in doc["checks"]}
    assert values["CANARY-P95"] == pytest.approx(0.4667, abs=1e-3)
    assert values["CANARY-ERROR-RATE"] == pytest.approx(0.005, abs=1e-6)
    assert values["CANARY-COHERENCE"] == pytest.approx(0.58)
    assert values["CANARY-SAMPLES"] > 100
    assert values["CANARY-HALT-ERROR-RATE"] == 0
    assert values["CANARY-HALT-P95"] == pytest.approx(0.095, abs=1e-3)
    assert {c["name"] for c in doc["checks"] if c["verdict"] == "FAIL"} == failing
    thresholds = {c["name"]: c["threshold"] for c in doc["checks"]}
    expected = {"dev": (0.6, 0.05, 0.5), "stage": (0.5, 0.03, 0.55), "prod": (0.4, 0.02, 0.6)}[env]
    assert (
        thresholds["CANARY-P95"],
        thresholds["CANARY-ERROR-RATE"],
        thresholds["CANARY-COHERENCE"],
    ) == expected


def test_canary_halt_signal(prometheus_factory: Any, lumen_policy: Runner, now: float) -> None:
    """Judged on the write path, the halt rules fire: p95 0.4833 s > 0.3 s and 1% errors."""
    prom = prometheus_factory(backfill=canary_history(now))
    code, doc, _ = lumen_policy(
        "--now",
        at(now),
        "--pack",
        "canary",
        "--prometheus",
        prom.url,
        "--env",
        "dev",
        "--var",
        'selector=job="api"',
        "--var",
        'read_selector=job="api", path="/write"',
    )
    assert code == 2
    checks = {c["name"]: c for c in doc["checks"]}  # type: ignore[index]
    assert checks["CANARY-HALT-P95"]["verdict"] == "FAIL"
    assert checks["CANARY-HALT-P95"]["value"] == pytest.approx(0.4833, abs=1e-3)
    assert checks["CANARY-HALT-P95"]["key"] is True
    assert checks["CANARY-HALT-ERROR-RATE"]["value"] == pytest.approx(0.01, abs=1e-6)
