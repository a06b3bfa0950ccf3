"""The shipped packs' queries against a real Prometheus: they parse, select what they should
and give the hand-computed values (rmb and canary are covered in test_policy_prometheus)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from harness.prometheus import Series

from lumen.adapters.metric_packs import load_pack, shipped_packs
from lumen.cli import main

STEP = 60.0


@pytest.fixture
def now() -> float:
    """The test's one clock reading, in whole seconds: its series end there and the rules are
    evaluated there (`--now`), so no window depends on how long Prometheus took to start. A
    minute back, so Prometheus's present is after it; recent, so it is inside the retention."""
    return float(int(time.time()) - 60)


def counter(
    name: str, labels: dict[str, str], per_step: float, *, end: float, hours: float = 2
) -> Series:
    steps = int(hours * 3600 / STEP)
    return Series(
        name, labels, [(end - (steps - i) * STEP, i * per_step) for i in range(steps + 1)]
    )


def gauge(
    name: str, labels: dict[str, str], value: float, *, end: float, minutes: int = 20
) -> Series:
    return Series(name, labels, [(end - (minutes - i) * STEP, value) for i in range(minutes + 1)])


def policy(tmp_path: Path, now: float, *argv: str) -> tuple[int, dict[str, Any]]:
    out = tmp_path / "r.json"
    pinned = datetime.fromtimestamp(now, UTC).isoformat().replace("+00:00", "Z")
    code = main(["policy", *argv, "--now", pinned, "--json", str(out)])
    return code, json.loads(out.read_text())


@pytest.mark.parametrize(
    ("error_share", "code", "verdicts"),
    [
        # 1% errors against a 99% objective burns the budget exactly at 1x: all pass.
        (0.01, 0, {"SLO-BURN-FAST": "PASS", "SLO-BURN-SLOW": "PASS", "SLO-BURN-TICKET": "PASS"}),
        # 10% errors burn at 10x: under the fast 14.4x, over the slow 6x and ticket 3x.
        (0.10, 2, {"SLO-BURN-FAST": "PASS", "SLO-BURN-SLOW": "FAIL", "SLO-BURN-TICKET": "WARN"}),
    ],
)
def test_slo_burn_pack(
    *,
    prometheus_factory: Any,
    tmp_path: Path,
    now: float,
    error_share: float,
    code: int,
    verdicts: dict[str, str],
) -> None:
    prom = prometheus_factory(
        backfill=[
            counter("http_requests_total", {"code": "200"}, 1000 * (1 - error_share), end=now),
            counter("http_requests_total", {"code": "500"}, 1000 * error_share, end=now),
        ]
    )
    got, doc = policy(tmp_path, now, "--pack", "slo-burn", "--prometheus", prom.url)
    assert got == code
    assert {c["name"]: c["verdict"] for c in doc["checks"]} == verdicts
    for check in doc["checks"]:
        assert check["value"] == pytest.approx(error_share / 0.01, rel=1e-6)


@pytest.mark.parametrize(("age_hours", "verdict"), [(1, "PASS"), (4, "FAIL")])
def test_pipeline_stalled(
    prometheus_factory: Any, tmp_path: Path, now: float, age_hours: float, verdict: str
) -> None:
    last_run = now - age_hours * 3600
    stamp = gauge("lumen_pipeline_last_run_timestamp", {"pipeline": "nightly"}, last_run, end=now)
    prom = prometheus_factory(backfill=[stamp])
    _, doc = policy(tmp_path, now, "--pack", "pipeline", "--prometheus", prom.url)
    (check,) = doc["checks"]
    assert check["name"] == 'LumenPipelineStalled{pipeline="nightly"}'
    assert check["verdict"] == verdict
    assert check["value"] == age_hours * 3600  # time() is the pinned --now


def test_m_score_presets_per_environment(
    prometheus_factory: Any, tmp_path: Path, now: float
) -> None:
    prom = prometheus_factory(
        backfill=[
            gauge("lumen_m_score", {}, 0.47, end=now),
            gauge("lumen_h_eff", {}, 0.71, end=now),
        ]
    )
    argv = ("--pack", "m-score", "--prometheus", prom.url, "--env")
    code, doc = policy(tmp_path, now, *argv, "stage")
    assert code == 0
    assert {c["name"]: c["verdict"] for c in doc["checks"]} == {
        "M-SCORE": "PASS",  # 0.47 >= 0.45
        "M-SCORE-H-EFF": "PASS",  # 0.71 <= 0.72
        "M-SCORE-CANARY": "PASS",
        "M-SCORE-NO-FAST-BURN": "PASS",  # no ALERTS series: `or vector(0)` gives 0
    }
    code, doc = policy(tmp_path, now, *argv, "prod")
    assert code == 2
    failing = {c["name"] for c in doc["checks"] if c["verdict"] == "FAIL"}
    assert failing == {"M-SCORE", "M-SCORE-H-EFF"}  # 0.47 < 0.48, 0.71 > 0.70


def test_every_shipped_pack_loads_for_every_environment() -> None:
    from lumen.adapters.metric_packs import load_compare_rules
    from lumen.config import shipped_defaults

    for pack in shipped_packs():
        for env in (None, "dev", "stage", "prod"):
            rules = load_pack(pack, env=env)
            comparisons, _ = load_compare_rules(pack, base=shipped_defaults("compare"), env=env)
            assert rules or comparisons, pack
            assert all("${" not in r.query for r in rules)
            # a compare rule's query keeps ${selector} until each side fills it in
            assert all(
                "${" not in r.query_for(side)
                for r in comparisons
                for side in ("canary", "baseline")
            )
