"""The canary judge against a real Prometheus: canary and baseline series backfilled with
promtool, read with `query_range` through the product's Prometheus connection, judged end to
end by `lumen policy --pack`."""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from harness.prometheus import BACKFILL_STEP, Series
from test_compare_pack import RULE

from gates.result import Verdict, decide
from lumen.cli import main

pytestmark = pytest.mark.prometheus

# The latency rule (test_compare_pack loads it), judged live here.
PACK = (
    "id: latency-compare\nrules:\n" + RULE + "    direction: increase\n    allowed-increase: 10%\n"
)


@pytest.fixture
def now() -> float:
    """The test's one clock reading, in whole seconds: the series end there and the judge's
    windows end there (`--now`), so which samples a window holds does not depend on how long
    Prometheus took to start."""
    return float(int(time.time()) - 60)


def at(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).isoformat().replace("+00:00", "Z")


def tracks(
    canary_factor: float, *, seed: int, end: float, same_noise: bool = False
) -> list[Series]:
    """35 minutes of a latency gauge per track every 15 s up to `end`: about 200 ms with ±10 %
    noise; the canary's values scaled by `canary_factor`."""
    steps = int(35 * 60 / BACKFILL_STEP)
    start = end - steps * BACKFILL_STEP
    stable_rng = random.Random(seed)
    canary_rng = random.Random(seed if same_noise else seed + 1)
    stable = [
        (start + i * BACKFILL_STEP, 0.2 * (1 + stable_rng.uniform(-0.1, 0.1)))
        for i in range(steps + 1)
    ]
    canary = [
        (start + i * BACKFILL_STEP, canary_factor * 0.2 * (1 + canary_rng.uniform(-0.1, 0.1)))
        for i in range(steps + 1)
    ]
    return [
        Series("latency_seconds", {"job": "api", "track": "stable"}, stable),
        Series("latency_seconds", {"job": "api", "track": "canary"}, canary),
    ]


def judge(
    prometheus_factory: Any, tmp_path: Path, series: list[Series], now: float
) -> tuple[int, Any]:
    prom = prometheus_factory(backfill=series)
    pack = tmp_path / "pack.yml"
    pack.write_text(PACK, encoding="utf-8")
    return run_policy(tmp_path, prom.url, now, "--pack", str(pack))


def run_policy(tmp_path: Path, prometheus_url: str, now: float, *pack: str) -> tuple[int, Any]:
    """`lumen policy` with the `pack` arguments against `prometheus_url` at `now`: its exit code
    and its JSON result."""
    out = tmp_path / "result.json"
    code = main(
        [
            "policy",
            *pack,
            "--prometheus",
            prometheus_url,
            "--now",
            at(now),
            "--json",
            str(out),
            "--quiet",
        ]
    )
    return code, json.loads(out.read_text(encoding="utf-8"))


def _check(doc: Any, name: str) -> Any:
    return next(c for c in doc["checks"] if c["name"] == name)


def test_a_clear_regression_fails(prometheus_factory: Any, tmp_path: Path, now: float) -> None:
    code, doc = judge(prometheus_factory, tmp_path, tracks(1.3, seed=7, end=now), now)
    latency = _check(doc, "LATENCY")
    assert latency["classification"] == "High"
    assert latency["p_value"] < 1e-6
    assert 0.045 < latency["effect"] < 0.075  # about 30 % of 200 ms
    assert latency["interval"][0] <= latency["effect"] <= latency["interval"][1]
    assert latency["samples"] == {"canary": 60, "baseline": 60}
    assert _check(doc, "canary_score")["value"] == 0.0
    assert doc["verdict"] == Verdict.FAIL.value
    assert code == 2


def test_a_harmless_shift_inside_the_allowance_passes(
    prometheus_factory: Any, tmp_path: Path, now: float
) -> None:
    code, doc = judge(
        prometheus_factory, tmp_path, tracks(1.05, seed=11, same_noise=True, end=now), now
    )
    latency = _check(doc, "LATENCY")
    assert latency["p_value"] < 0.05  # a clear difference ...
    assert latency["classification"] == "Pass"  # ... but under the 10 % that matters
    assert doc["verdict"] == Verdict.PASS.value
    assert code == 0


def test_noise_without_an_effect_passes(
    prometheus_factory: Any, tmp_path: Path, now: float
) -> None:
    code, doc = judge(prometheus_factory, tmp_path, tracks(1.0, seed=3, end=now), now)
    assert _check(doc, "LATENCY")["classification"] == "Pass"
    assert doc["verdict"] == Verdict.PASS.value
    assert code == 0


def test_identical_series_pass(prometheus_factory: Any, tmp_path: Path, now: float) -> None:
    code, doc = judge(
        prometheus_factory, tmp_path, tracks(1.0, seed=5, same_noise=True, end=now), now
    )
    latency = _check(doc, "LATENCY")
    assert latency["effect"] == 0.0
    assert latency["classification"] == "Pass"
    assert code == 0


def test_no_series_is_no_data_not_pass(prometheus_factory: Any, tmp_path: Path, now: float) -> None:
    series = [s for s in tracks(1.0, seed=1, end=now) if s.labels["track"] == "stable"]
    code, doc = judge(prometheus_factory, tmp_path, series, now)
    assert _check(doc, "LATENCY")["classification"] == "NoData"
    assert doc["verdict"] == Verdict.NO_DATA.value
    assert decide([]) is Verdict.NO_DATA
    assert code == 0


def _counter(name: str, labels: dict[str, str], per_step: float, end: float) -> Series:
    """A counter growing by `per_step` every 15 s for 35 minutes, up to `end`."""
    steps = int(35 * 60 / BACKFILL_STEP)
    start = end - steps * BACKFILL_STEP
    return Series(
        name, labels, [(start + i * BACKFILL_STEP, i * per_step) for i in range(steps + 1)]
    )


def red_series(track: str, *, error_share: float, slow_share: float, end: float) -> list[Series]:
    """A track's RED counters, 15 s apart up to `end`: 100 requests a step, `error_share` of
    them 500s; latency buckets with `slow_share` of requests over 300 ms. Both tracks share
    `end`: samples at other instants would make every rate differ a little, and with no
    allowance even that tiny systematic difference is a clear one."""
    series = [
        _counter(
            "http_requests_total",
            {"job": "shop", "track": track, "code": "200"},
            100 * (1 - error_share),
            end,
        ),
        _counter(
            "http_requests_total",
            {"job": "shop", "track": track, "code": "500"},
            100 * error_share,
            end,
        ),
    ]
    fast = 100 * (1 - slow_share)
    for le, n in (("0.1", fast * 0.5), ("0.3", fast), ("1", 100.0), ("+Inf", 100.0)):
        series.append(
            _counter(
                "http_request_duration_seconds_bucket",
                {"job": "shop", "track": track, "le": le},
                n,
                end,
            )
        )
    return series


# The shipped canary-compare pack on red_series' job, canary track against the stable one.
SHIPPED_PACK = [
    "--pack",
    "canary-compare",
    "--var",
    'canary=job="shop", track="canary"',
    "--var",
    'baseline=job="shop", track="stable"',
]


def shipped_pack(
    prometheus_factory: Any, tmp_path: Path, canary_errors: float, now: float
) -> tuple[int, Any]:
    prom = prometheus_factory(
        backfill=red_series("stable", error_share=0.01, slow_share=0.05, end=now)
        + red_series("canary", error_share=canary_errors, slow_share=0.05, end=now)
    )
    return run_policy(tmp_path, prom.url, now, *SHIPPED_PACK)


def test_the_shipped_pack_passes_a_canary_like_its_baseline(
    prometheus_factory: Any, tmp_path: Path, now: float
) -> None:
    code, doc = shipped_pack(prometheus_factory, tmp_path, 0.01, now)
    classes = {c["name"]: c.get("classification") for c in doc["checks"]}
    assert classes["CANARY-ERROR-RATIO"] == "Pass"
    assert classes["CANARY-LATENCY-P95"] == "Pass"
    assert _check(doc, "canary_score")["value"] == 100.0
    assert code == 0


def test_the_shipped_pack_fails_a_canary_with_more_errors(
    prometheus_factory: Any, tmp_path: Path, now: float
) -> None:
    code, doc = shipped_pack(prometheus_factory, tmp_path, 0.05, now)
    errors = _check(doc, "CANARY-ERROR-RATIO")
    assert errors["classification"] == "High"
    assert errors["verdict"] == "FAIL"  # a key metric: fails on its own
    assert errors["effect"] == pytest.approx(0.04, abs=1e-6)
    assert code == 2
