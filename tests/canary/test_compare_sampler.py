"""The sampler pushes the canary judgement like every other gate's verdict: the shipped
canary-compare pack against a real Prometheus, the verdict on a real Pushgateway."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sampler"))

from example_data import EX
from test_compare_prometheus import SHIPPED_PACK, red_series
from test_sampler_policy import verdict_series
from test_sampler_push import sample


def _sample(tmp_path: Path, pushgateway: Any, prom: Any) -> tuple[int, Any]:
    return sample(
        tmp_path,
        "--events",
        str(EX / "events.jsonl"),
        *SHIPPED_PACK,
        "--prometheus",
        prom.url,
        "--env",
        "prod",
        "--service",
        "shop",
        "--pushgateway",
        pushgateway.url,
    )


def test_a_failing_canary_is_pushed_as_0(
    tmp_path: Path, pushgateway: Any, prometheus_factory: Any
) -> None:
    end = time.time() - 2
    prom = prometheus_factory(
        backfill=red_series("stable", error_share=0.01, slow_share=0.05, end=end)
        + red_series("canary", error_share=0.05, slow_share=0.05, end=end)
    )
    code, doc = _sample(tmp_path, pushgateway, prom)
    assert code == 0, doc  # a FAIL is a measurement for the sampler
    assert doc["verdicts"]["policy"] == "FAIL"
    assert verdict_series(doc)["policy"] == 0.0


def test_a_canary_like_its_baseline_is_pushed_as_1(
    tmp_path: Path, pushgateway: Any, prometheus_factory: Any
) -> None:
    end = time.time() - 2
    prom = prometheus_factory(
        backfill=red_series("stable", error_share=0.01, slow_share=0.05, end=end)
        + red_series("canary", error_share=0.01, slow_share=0.05, end=end)
    )
    code, doc = _sample(tmp_path, pushgateway, prom)
    assert code == 0, doc
    assert doc["verdicts"]["policy"] == "PASS"
    assert verdict_series(doc)["policy"] == 1.0
