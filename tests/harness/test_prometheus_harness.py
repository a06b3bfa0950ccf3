"""The Prometheus/Pushgateway harness answers real PromQL over backfilled and pushed data."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
import requests

from harness.binaries import require_binary
from harness.prometheus import (
    PrometheusServer,
    PushgatewayServer,
    Series,
    openmetrics,
    start_pushgateway,
    wait_for_scrape,
)

STEP = 300  # one sample every 5 minutes
DAYS = 3
SAMPLES = DAYS * 86400 // STEP  # 864


def _base() -> int:
    """Start of the backfilled history: 4 days ago, on a 5-minute boundary."""
    return (int(time.time()) - 4 * 86400) // STEP * STEP


def _history(base: int) -> list[Series]:
    # Sample i has value i: every window average is then the midpoint of its index range.
    return [
        Series(
            "lumen_bf_value", {"service": "api"}, [(base + i * STEP, i) for i in range(SAMPLES)]
        ),
        Series(
            "lumen_bf_value", {"service": "web"}, [(base + i * STEP, 2) for i in range(SAMPLES)]
        ),
    ]


@pytest.fixture
def backfilled(prometheus_factory) -> tuple[PrometheusServer, int]:
    base = _base()
    return prometheus_factory(backfill=_history(base)), base


def test_openmetrics_text_is_promtool_input() -> None:
    text = openmetrics(
        [
            Series("b", {}, [(20, 1.5), (10, float("nan"))]),
            Series("a", {"z": "1", "q": 'say "hi"\\'}, [(1_700_000_000.25, 3)]),
            Series("b", {"k": "v"}, [(10, float("inf"))]),
        ]
    )
    assert text == (
        "b NaN 10\n"
        "b 1.5 20\n"
        'b{k="v"} +Inf 10\n'
        'a{q="say \\"hi\\"\\\\",z="1"} 3 1700000000.250\n'
        "# EOF\n"
    )


@pytest.mark.prometheus
def test_backfilled_window_known_answer_raw_http(backfilled) -> None:
    prom, base = backfilled
    # Evaluate 30s after sample 500, so no sample sits on the window's edge:
    # the 6h window holds samples 429..500 (72 samples), average (429 + 500) / 2.
    at = base + 500 * STEP + 30
    assert prom.query_value('avg_over_time(lumen_bf_value{service="api"}[6h])', at) == 464.5
    assert prom.query_value('count_over_time(lumen_bf_value{service="api"}[6h])', at) == 72
    # Two days back from sample 800: samples 225..800.
    at = base + 800 * STEP + 30
    assert prom.query_value('count_over_time(lumen_bf_value{service="api"}[2d])', at) == 576
    assert prom.query_value('min_over_time(lumen_bf_value{service="api"}[2d])', at) == 225
    assert prom.query_value('max_over_time(lumen_bf_value{service="api"}[2d])', at) == 800
    assert prom.query_value("sum(lumen_bf_value)", at) == 802

    resp = requests.get(
        f"{prom.url}/api/v1/query",
        params={"query": "avg_over_time(lumen_bf_value[6h])", "time": base + 100 * STEP + 30},
        timeout=10,
    ).json()
    assert resp["status"] == "success"
    got = {r["metric"]["service"]: float(r["value"][1]) for r in resp["data"]["result"]}
    assert got == {"api": (29 + 100) / 2, "web": 2.0}


@pytest.mark.prometheus
def test_backfilled_window_known_answer_prometheus_api_client(backfilled) -> None:
    prom, base = backfilled
    client = prom.client()
    at = base + 500 * STEP + 30
    result = client.custom_query(
        'avg_over_time(lumen_bf_value{service="api"}[6h])', params={"time": at}
    )
    assert [float(r["value"][1]) for r in result] == [464.5]

    # A day of hourly points: each is the sample that sits exactly on the hour step.
    start = base + 12 * STEP  # sample 12 = one hour in
    rows = client.custom_query_range(
        'lumen_bf_value{service="api"}',
        start_time=datetime.fromtimestamp(start, UTC),
        end_time=datetime.fromtimestamp(start + 86400, UTC),
        step="1h",
    )
    assert len(rows) == 1
    assert [(int(t), float(v)) for t, v in rows[0]["values"]] == [
        (start + h * 3600, 12 + h * 12) for h in range(25)
    ]


@pytest.mark.prometheus
def test_push_is_scraped_with_honor_labels(pushgateway: PushgatewayServer, prometheus_factory):
    pushgateway.push(
        "lumen-ci", 'lumen_harness_pushed{stage="canary"} 42\n', {"instance": "runner-1"}
    )
    prom = prometheus_factory(scrape_targets=[pushgateway])
    result = wait_for_scrape(prom, "lumen_harness_pushed")
    assert len(result) == 1
    metric = result[0]["metric"]
    assert (metric["job"], metric["instance"], metric["stage"]) == (
        "lumen-ci",
        "runner-1",
        "canary",
    )
    assert float(result[0]["value"][1]) == 42
    assert prom.client().custom_query('lumen_harness_pushed{job="lumen-ci"}')[0]["value"][1] == "42"


@pytest.mark.prometheus
def test_without_honor_labels_the_scrape_job_wins(
    pushgateway: PushgatewayServer, prometheus_factory
):
    pushgateway.push("lumen-ci", "lumen_harness_pushed 1\n")
    prom = prometheus_factory(scrape_targets=[pushgateway.url], honor_labels=False)
    metric = wait_for_scrape(prom, "lumen_harness_pushed")[0]["metric"]
    assert metric["job"] == "lumen-test"
    assert metric["exported_job"] == "lumen-ci"


@pytest.mark.prometheus
def test_rule_files_are_evaluated(pushgateway: PushgatewayServer, prometheus_factory) -> None:
    pushgateway.push("lumen-ci", "lumen_harness_pushed 21\n")
    rules = (
        "groups:\n- name: t\n  rules:\n"
        "  - record: lumen:harness_pushed:doubled\n    expr: lumen_harness_pushed * 2\n"
    )
    prom = prometheus_factory(scrape_targets=[pushgateway], rule_files=[rules])
    assert float(wait_for_scrape(prom, "lumen:harness_pushed:doubled")[0]["value"][1]) == 42


@pytest.mark.prometheus
def test_pushgateway_groups_and_wipe(pushgateway: PushgatewayServer) -> None:
    assert pushgateway.groups() == []
    pushgateway.push("a", "x 1\n", {"path": "/with/slash"})
    pushgateway.push("b", "y 2\n", {"empty": ""})
    labels = sorted(g["labels"]["job"] for g in pushgateway.groups())
    assert labels == ["a", "b"]
    assert any(g["labels"].get("path") == "/with/slash" for g in pushgateway.groups())
    pushgateway.delete("a", {"path": "/with/slash"})
    assert [g["labels"]["job"] for g in pushgateway.groups()] == ["b"]
    pushgateway.wipe()
    assert pushgateway.groups() == []


@pytest.mark.prometheus
def test_a_delete_is_applied_before_it_returns_even_behind_a_busy_store(
    pushgateway: PushgatewayServer,
) -> None:
    """The gateway answers DELETE and wipe with 202 and applies them later, behind whatever
    its store loop has queued. A neighbour pushing a large group keeps that queue busy."""
    big = "".join(f"lumen_noise_{i} {i}\n" for i in range(1000))
    stop = threading.Event()

    def neighbour() -> None:
        while not stop.is_set():
            pushgateway.push("noise", big)

    pushers = [threading.Thread(target=neighbour, daemon=True) for _ in range(2)]
    for pusher in pushers:
        pusher.start()
    try:
        for round_ in range(10):
            pushgateway.push("a", f"x {round_}\n", {"path": "/with/slash"})
            pushgateway.delete("a", {"path": "/with/slash"})
            assert [g for g in pushgateway.groups() if g["labels"]["job"] == "a"] == []
    finally:
        stop.set()
        for pusher in pushers:
            pusher.join(timeout=30)
    pushgateway.wipe()
    assert pushgateway.groups() == []


@pytest.mark.prometheus
def test_each_test_gets_a_clean_pushgateway(pushgateway: PushgatewayServer) -> None:
    # Runs after the test above pushed groups: a shared gateway would still hold them.
    assert "lumen_harness_pushed" not in pushgateway.metrics()
    assert pushgateway.groups() == []


def test_missing_binary_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        require_binary("lumen-no-such-binary")


def test_missing_binary_skips_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        require_binary("lumen-no-such-binary")


def test_fixture_server_start_fails_under_ci_without_binary(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("PATH", str(tmp_path))  # no prometheus-pushgateway here
    with pytest.raises(pytest.fail.Exception, match="prometheus-pushgateway"):
        start_pushgateway(tmp_path / "pg")
