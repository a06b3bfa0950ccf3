"""The sampler's policy verdict (docs/reference.md#sampler, policy verdicts): metric packs judged
against a real Prometheus with backfilled history, schema rules over files, pushed to a real
Pushgateway as `lumen_gate_verdict{gate="policy"}` and read back through Prometheus; NO_DATA pushes
nothing; an unreachable Prometheus is a failed source (exit 1) that still delivers the other
values."""

from __future__ import annotations

import socket
import textwrap
from pathlib import Path
from typing import Any

from example_data import EX
from harness.prometheus import Series, counter, gauge, wait_for_scrape
from prometheus_api_client import PrometheusConnect
from test_sampler_push import pushed, sample, scraped


def rmb_history(rollbacks_per_step: float, entropy: list[float]) -> list[Series]:
    """What the shipped rmb pack reads (as in tests/policy/test_policy_prometheus.py)."""
    return [
        counter("rmb_events_total", {"job": "loop"}, 10),
        counter("rmb_rollback_total", {"job": "loop"}, rollbacks_per_step),
        gauge("rmb_residual_entropy_last", {"job": "loop"}, entropy),
    ]


def verdict_series(doc: dict[str, Any]) -> dict[str, float]:
    return {
        s["labels"]["gate"]: s["value"]
        for s in doc["groups"][0]["series"]
        if s["name"] == "lumen_gate_verdict"
    }


def test_failing_pack_is_pushed_as_0_and_scraped(
    tmp_path: Path, pushgateway: Any, prometheus_factory: Any
) -> None:
    # The rmb pack over 1 rollback per 10 events (0.1 > 0.05): FAIL.
    prom = prometheus_factory(scrape_targets=[pushgateway], backfill=rmb_history(1.0, [0.3, 0.5]))
    code, doc = sample(
        tmp_path,
        "--events",
        str(EX / "events.jsonl"),
        "--pack",
        "rmb",
        "--prometheus",
        prom.url,
        "--env",
        "prod",
        "--service",
        "api",
        "--pushgateway",
        pushgateway.url,
    )
    # A FAIL verdict is a measurement for the sampler, not a reason to exit 2.
    assert code == 0, doc
    assert doc["verdicts"]["policy"] == "FAIL"
    assert verdict_series(doc)["policy"] == 0.0
    assert doc["values"]["policy"]["failed"] == 2
    assert doc["inputs"]["policy"]["metrics"]["packs"] == ["rmb"]
    expected = {k: v for k, v in pushed(doc).items() if k[0] == "lumen_gate_verdict"}
    selector = '{job="lumen_sampler",__name__="lumen_gate_verdict",gate="policy"}'
    client = PrometheusConnect(url=prom.url, disable_ssl=True)
    wait_for_scrape(prom, selector)
    got = scraped(client, selector)
    assert got == {k: v for k, v in expected.items() if ("gate", "policy") in k[1]}
    assert list(got.values()) == [0.0]


def test_passing_pack_from_the_config_is_1(tmp_path: Path, prometheus_factory: Any) -> None:
    prom = prometheus_factory(backfill=rmb_history(0.2, [0.40, 0.42]))
    config = tmp_path / "lumen.yml"
    config.write_text(
        textwrap.dedent(
            f"""\
            prometheus:
              url: {prom.url}
            policy:
              pack: [rmb]
            """
        )
    )
    code, doc = sample(tmp_path, "--config", str(config))
    assert code == 0, doc
    assert doc["verdicts"] == {"policy": "PASS"}
    assert verdict_series(doc) == {"policy": 1.0}


def test_no_data_pushes_no_verdict(tmp_path: Path, prometheus: Any) -> None:
    code, doc = sample(tmp_path, "--pack", "rmb", "--prometheus", prometheus.url)
    assert code == 0, doc
    assert doc["verdicts"]["policy"] == "NO_DATA"
    assert "policy" not in verdict_series(doc)


def test_schema_rules_without_prometheus(tmp_path: Path) -> None:
    broken = tmp_path / "events.jsonl"
    broken.write_text('{"ts": "2026-11-20T10:00:00Z", "kind": "not-a-kind"}\n')
    code, doc = sample(tmp_path, "--schema", f"loop-event={broken}", name="bad")
    assert code == 0, doc
    assert doc["verdicts"]["policy"] == "FAIL"
    assert verdict_series(doc) == {"policy": 0.0}
    code, doc = sample(tmp_path, "--schema", f"loop-event={EX / 'events.jsonl'}", name="good")
    assert code == 0, doc
    assert verdict_series(doc) == {"policy": 1.0}


def test_unreachable_prometheus_fails_the_run_but_keeps_the_rest(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code, doc = sample(
        tmp_path,
        "--events",
        str(EX / "events.jsonl"),
        "--pack",
        "rmb",
        "--prometheus",
        f"http://127.0.0.1:{port}",
        "--prometheus-timeout",
        "2s",
    )
    assert code == 1
    assert len(doc["errors"]) == 1 and doc["errors"][0].startswith("policy: ")
    assert "policy" not in doc["verdicts"]
    names = {s["name"] for s in doc["groups"][0]["series"]}
    assert "lumen_maturity_overall" in names
    assert "lumen_sampler_last_success_timestamp_seconds" not in names  # no success yet
