"""`lumen maturity --prometheus`: the real Prometheus with backfilled `lumen_maturity_*` history,
and the connection options against a recording HTTP server."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from harness.prometheus import PrometheusServer, Series, free_port

from lumen.cli import main

STEP = 60
SWITCH = 86_400 + 600  # samples up to a day and 10 minutes in hold the "previous" values
PROD_NOW = {"sense": 0.8, "feedback": 0.7, "release": 0.9, "overall": 0.8}
PROD_BEFORE = {"sense": 0.7, "feedback": 0.7, "release": 0.7, "overall": 0.7}
DEV = {"sense": 0.1, "feedback": 0.2, "release": 0.3, "overall": 0.17}


def _base() -> int:
    return (int(time.time()) - 3 * 86_400) // STEP * STEP


def _history(base: int) -> list[Series]:
    series = []
    samples = range(0, 2 * 86_400 + STEP, STEP)
    for band in ("sense", "feedback", "release", "overall"):
        series.append(
            Series(
                f"lumen_maturity_{band}",
                {"window": "24h", "env": "prod"},
                [(base + t, PROD_BEFORE[band] if t <= SWITCH else PROD_NOW[band]) for t in samples],
            )
        )
        series.append(
            Series(
                f"lumen_maturity_{band}",
                {"window": "24h", "env": "dev"},
                [(base + t, DEV[band]) for t in samples],
            )
        )
    series.append(Series("lumen_m_score", {"env": "prod"}, [(base + t, 0.47) for t in samples]))
    series.append(Series("lumen_h_eff", {"env": "prod"}, [(base + t, 0.69) for t in samples]))
    series.append(
        Series(
            "ALERTS",
            {"alertname": "LumenFastBurn", "alertstate": "firing", "env": "prod"},
            [(base + t, 1) for t in samples if t >= 2 * 86_400 - 600],
        )
    )
    return series


@pytest.fixture
def history(prometheus_factory: Any) -> tuple[PrometheusServer, int]:
    base = _base()
    return prometheus_factory(backfill=_history(base)), base


def _now(base: int) -> str:
    moment = datetime.fromtimestamp(base + 2 * 86_400 + 30, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _run(args: list[str], tmp_path: Path) -> tuple[int, dict[str, Any]]:
    out = tmp_path / "r.json"
    code = main(["maturity", *args, "--json", str(out), "--quiet"])
    return code, json.loads(out.read_text()) if out.exists() else {}


@pytest.mark.prometheus
def test_spectrum_trend_and_hint_from_backfilled_series(
    history: tuple[PrometheusServer, int], tmp_path: Path
) -> None:
    server, base = history
    prom_file = tmp_path / "maturity_spectrum.prom"
    code, doc = _run(
        [
            "--prometheus",
            server.url,
            "--prometheus-selector",
            'env="prod"',
            "--now",
            _now(base),
            "--prom",
            str(prom_file),
        ],
        tmp_path,
    )
    assert code == 0, doc
    block = doc["maturity"]
    for band, value in PROD_NOW.items():
        assert block[band] == pytest.approx(value), band
    # previous value: the same query at now - 24h, when overall was 0.7
    assert block["previous_overall"] == pytest.approx(0.7)
    assert block["trend"] == pytest.approx(0.1)
    assert block["hint"] == "tighten"
    assert block["events"] == 2  # samples in the 2m smoothing range
    assert doc["verdict"] == "PASS"
    assert 'lumen_maturity_overall{window="24h"} 0.8' in prom_file.read_text()
    assert any('env="prod"' in q for q in doc["input"]["queries"])


@pytest.mark.prometheus
def test_selector_and_missing_window(history: tuple[PrometheusServer, int], tmp_path: Path) -> None:
    server, base = history
    code, doc = _run(
        ["--prometheus", server.url, "--prometheus-selector", '{env="dev"}', "--now", _now(base)],
        tmp_path,
    )
    assert code == 2 and doc["maturity"]["overall"] == pytest.approx(0.17)
    assert doc["maturity"]["hint"] == "relax"
    # no series carry window="6h": no data, never zeros
    code, doc = _run(
        ["--prometheus", server.url, "--window", "6h", "--now", _now(base), "--on-no-data", "warn"],
        tmp_path,
    )
    assert code == 0 and doc["verdict"] == "WARN"
    assert doc["maturity"]["overall"] is None


@pytest.mark.prometheus
def test_legacy_m_score_preset(history: tuple[PrometheusServer, int], tmp_path: Path) -> None:
    server, base = history
    args = ["--prometheus", server.url, "--prometheus-selector", 'env="prod"', "--now"]
    code, doc = _run([*args, _now(base), "--m-score-preset", "prod"], tmp_path)
    checks = {c["name"]: c for c in doc["checks"]}
    # prod: m_score 0.47 < 0.48 fails, h_eff 0.69 <= 0.70 passes, LumenFastBurn firing (key)
    assert checks["m-score"]["verdict"] == "FAIL" and checks["m-score"]["threshold"] == 0.48
    assert checks["h-eff"]["verdict"] == "PASS"
    assert checks["no-fast-burn"]["verdict"] == "FAIL" and checks["no-fast-burn"]["key"]
    assert code == 2
    # an hour earlier the alert was not firing and stage accepts 0.47
    earlier = datetime.fromtimestamp(base + 2 * 86_400 - 3600, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    code, doc = _run([*args, earlier, "--m-score-preset", "stage"], tmp_path)
    checks = {c["name"]: c for c in doc["checks"]}
    assert checks["m-score"]["verdict"] == "PASS"
    assert checks["no-fast-burn"]["verdict"] == "PASS"


def test_unreachable_prometheus_is_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    code = main(["maturity", "--prometheus", url, "--prometheus-timeout", "2s"])
    assert code == 1
    err = capsys.readouterr().err
    assert "Prometheus unreachable" in err and url in err


# ------------------------------------------------------------------ connection options


class _Recorder(BaseHTTPRequestHandler):
    seen: ClassVar[list[dict[str, str]]] = []

    def do_GET(self) -> None:
        _Recorder.seen.append({k.lower(): v for k, v in self.headers.items()})
        body = {"status": "success", "data": {"resultType": "vector", "result": []}}
        payload = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Recorder.seen = []
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_bearer_token_and_tenant_header(recorder: str, tmp_path: Path) -> None:
    code, doc = _run(
        [
            "--prometheus",
            recorder,
            "--prometheus-bearer-token",
            "s3cret",
            "--prometheus-header",
            "X-Scope-OrgID: team-a",
            "--now",
            "2026-11-21T12:00:00Z",
        ],
        tmp_path,
    )
    assert code == 0 and doc["verdict"] == "NO_DATA"
    assert _Recorder.seen
    assert all(h["authorization"] == "Bearer s3cret" for h in _Recorder.seen)
    assert all(h["x-scope-orgid"] == "team-a" for h in _Recorder.seen)


def test_basic_auth_from_environment(
    recorder: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LUMEN_PROMETHEUS_BASIC_AUTH", "lumen:pa:ss")
    code, _ = _run(["--prometheus", recorder, "--now", "2026-11-21T12:00:00Z"], tmp_path)
    assert code == 0
    expected = "Basic " + base64.b64encode(b"lumen:pa:ss").decode()
    assert _Recorder.seen and all(h["authorization"] == expected for h in _Recorder.seen)


def test_bad_header_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["maturity", "--prometheus", "http://127.0.0.1:9", "--prometheus-header", "nocolon"]
    )
    assert code == 1
    assert "NAME: VALUE" in capsys.readouterr().err
