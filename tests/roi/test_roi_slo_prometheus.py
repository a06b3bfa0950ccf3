"""The ROI and SLO gates against a real Prometheus with backfilled history."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from harness.prometheus import Series

from lumen.cli import main

NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
NOW_TS = NOW.timestamp()
NOW_ARG = "2026-11-20T18:00:00Z"


def gauge(name: str, value: float, **labels: str) -> Series:
    # A sample a minute for the last 10 minutes: inside the 5-minute lookback of an instant query.
    return Series(name, labels, [(NOW_TS - 60 * i, value) for i in range(10, -1, -1)])


def run(argv: list[str], tmp_path: Path) -> tuple[int, dict[str, Any]]:
    out = tmp_path / "out.json"
    out.unlink(missing_ok=True)
    code = main([*argv, "--now", NOW_ARG, "--json", str(out), "--quiet"])
    return code, json.loads(out.read_text()) if out.exists() else {}


@pytest.mark.prometheus
def test_roi_from_sampler_metrics(prometheus_factory: Any, tmp_path: Path) -> None:
    server = prometheus_factory(
        backfill=[
            gauge("lumen_deploy_success_rate", 0.95, env="prod", service="api"),
            gauge("lumen_rollback_rate", 0.05, env="prod", service="api"),
            gauge("lumen_deploys", 40, env="prod", service="api"),
            gauge("lumen_deploy_success_rate", 0.70, env="prod", service="web"),
            gauge("lumen_rollback_rate", 0.10, env="prod", service="web"),
            gauge("lumen_deploys", 10, env="prod", service="web"),
            # Old single-environment names, for the config override below.
            gauge("lumen_prod_deploy_success_rate", 0.91),
            gauge("lumen_prod_rollback_rate", 0.02),
        ]
    )
    code, doc = run(
        ["roi", "--prometheus", server.url, "--env", "prod", "--service", "api"], tmp_path
    )
    assert code == 0 and doc["success_rate"] == pytest.approx(0.95) and doc["deploys"] == 40
    # all of prod: weighted by deploys, (0.95*40 + 0.70*10) / 50 = 0.90
    code, doc = run(["roi", "--prometheus", server.url, "--env", "prod", "--matrix"], tmp_path)
    assert doc["success_rate"] == pytest.approx(0.90) and doc["deploys"] == 50
    web = next(row for row in doc["matrix"] if row["service"] == "web")
    assert web["verdict"] == "FAIL" and code == 2
    config = tmp_path / "old.yml"
    config.write_text(
        "roi:\n  queries:\n    success-rate: lumen_prod_deploy_success_rate\n"
        "    rollback-rate: lumen_prod_rollback_rate\n    deploys: ''\n"
    )
    code, doc = run(["roi", "--prometheus", server.url, "--config", str(config)], tmp_path)
    assert code == 0 and doc["success_rate"] == pytest.approx(0.91)
    assert doc["deploys"] is None  # the old metrics carry no deploy count: min-deploys unusable


@pytest.mark.prometheus
def test_roi_and_slo_no_data_from_an_empty_prometheus(prometheus: Any, tmp_path: Path) -> None:
    code, doc = run(["roi", "--prometheus", prometheus.url], tmp_path)
    assert code == 0 and doc["verdict"] == "NO_DATA"
    code, doc = run(
        [
            "slo",
            "--prometheus",
            prometheus.url,
            "--errors",
            "sum(increase(http_errors_total[$window]))",
            "--requests",
            "sum(increase(http_requests_total[$window]))",
        ],
        tmp_path,
    )
    assert code == 0 and doc["verdict"] == "NO_DATA"


@pytest.mark.prometheus
def test_slo_burn_rates_from_counters(prometheus_factory: Any, tmp_path: Path) -> None:
    # 26 hours of counters, a sample every 5 minutes: 100 req/s with 0.5% errors, except the
    # last hour, which fails 20% of requests (a fast burn: 20x budget over 1h and 5m).
    requests: list[tuple[float, float]] = []
    errors: list[tuple[float, float]] = []
    total = bad = 0.0
    for i in range(26 * 12, -1, -1):
        ts = NOW_TS - 300 * i
        total += 100 * 300
        bad += 100 * 300 * (0.2 if i < 12 else 0.005)
        requests.append((ts, total))
        errors.append((ts, bad))
    server = prometheus_factory(
        backfill=[
            Series("http_requests_total", {"job": "api"}, requests),
            Series("http_errors_total", {"job": "api"}, errors),
        ]
    )
    argv = [
        "slo",
        "--prometheus",
        server.url,
        "--errors",
        "sum(increase(http_errors_total[$window]))",
        "--requests",
        "sum(increase(http_requests_total[$window]))",
    ]
    code, doc = run(argv, tmp_path)
    assert code == 2
    verdicts = {c["name"]: c["verdict"] for c in doc["checks"]}
    assert verdicts["burn_rate_1h_5m"] == "FAIL"
    assert doc["error_rate"]["1h"] == pytest.approx(0.2, rel=0.05)
    assert doc["slo_burn_rate"] == pytest.approx(20, rel=0.05)
