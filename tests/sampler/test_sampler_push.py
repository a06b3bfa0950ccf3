"""`lumen sample` against a real Pushgateway scraped by a real Prometheus
(docs/reference.md#sampler).

Two Prometheus starts in this file (each takes seconds): the end-to-end push/replace/dashboard
test and the spool round trip through an authenticating proxy.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from example_data import EX, NOW, example_sources
from harness.binaries import require_binary
from harness.prometheus import free_port, wait_for_scrape

from lumen.cli import main
from lumen.sampler import history
from lumen.sampler.spool import Spool

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "policy" / "prometheus" / "lumen-rules.yml"
DASHBOARD = ROOT / "policy" / "grafana" / "lumen.json"
TOKEN = "s3cret-token"


def sample(tmp_path: Path, *argv: str, name: str = "run") -> tuple[int, dict[str, Any]]:
    out = tmp_path / f"{name}.json"
    code = main(
        [
            "sample",
            "--history",
            str(tmp_path / "history.jsonl"),
            "--spool",
            str(tmp_path / "spool"),
            "--push-retries",
            "2",
            "--push-backoff",
            "10ms",
            "--now",
            NOW,
            "--json",
            str(out),
            "--quiet",
            *argv,
        ]
    )
    return code, json.loads(out.read_text()) if out.exists() else {}


def all_sources() -> list[str]:
    return example_sources(snapshot=True)


def key_of(name: str, labels: dict[str, str]) -> tuple[str, tuple[tuple[str, str], ...]]:
    return name, tuple(sorted(labels.items()))


def pushed(doc: dict[str, Any], group: int = 0) -> dict[Any, float]:
    """The run's series as Prometheus will label them (grouping key labels added)."""
    g = doc["groups"][group]
    extra = {"job": "lumen_sampler", **{k: v for k, v in g["grouping"].items() if v}}
    return {key_of(s["name"], {**s["labels"], **extra}): s["value"] for s in g["series"]}


def scraped(client: Any, selector: str) -> dict[Any, float]:
    """Series from Prometheus through prometheus-api-client (the product's client)."""
    result = client.custom_query(selector)
    out = {}
    for series in result:
        labels = dict(series["metric"])
        name = labels.pop("__name__")
        out[key_of(name, labels)] = float(series["value"][1])
    return out


SAMPLER_SERIES = '{job="lumen_sampler",__name__=~"lumen_.+|resonance_.+"}'


def test_push_scrape_exact_values_replace_and_dashboard(
    tmp_path: Path, pushgateway: Any, prometheus_factory: Any
) -> None:
    prom = prometheus_factory(
        scrape_targets=[pushgateway], rule_files=[RULES], backfill=slo_history()
    )
    code, first = sample(
        tmp_path,
        *all_sources(),
        "--env",
        "prod",
        "--service",
        "api",
        "--pushgateway",
        pushgateway.url,
        name="first",
    )
    assert code == 0, first
    assert first["status"] == "pushed" and first["errors"] == []
    expected = pushed(first)
    names = {name for name, _ in expected}
    assert {
        "lumen_maturity_overall",
        "lumen_maturity_sense",
        "lumen_maturity_feedback",
        "lumen_maturity_release",
        "lumen_maturity_trend",
        "lumen_deploy_success_rate",
        "lumen_rollback_rate",
        "lumen_deploys",
        "lumen_slo_error_rate",
        "lumen_slo_burn_rate",
        "lumen_gate_verdict",
        "resonance_symmetry",
        "resonance_continuity",
        "resonance_entropy",
        "resonance_safety",
        "resonance_phase",
        "resonance_coherence",
        "lumen_sampler_last_success_timestamp_seconds",
        "lumen_sampler_duration_seconds",
    } <= names
    # One group, keyed job/env/service, replaced with PUT.
    groups = pushgateway.groups()
    assert [g["labels"] for g in groups] == [
        {"job": "lumen_sampler", "env": "prod", "service": "api"}
    ]

    wait_for_scrape(
        prom,
        "lumen_sampler_last_success_timestamp_seconds",
        predicate=lambda r: (
            len(r) == 1
            and float(r[0]["value"][1])
            == expected[
                key_of(
                    "lumen_sampler_last_success_timestamp_seconds",
                    {"job": "lumen_sampler", "env": "prod", "service": "api"},
                )
            ]
        ),
    )
    client = prom.client()
    got = scraped(client, SAMPLER_SERIES)
    # Exactly the computed values: same series, bit-for-bit the same floats (no rounding).
    assert got == expected

    # The verdict gauge mirrors the gates: 1 pass, 0.5 warn, 0 fail.
    verdicts = first["verdicts"]
    for gate, verdict in verdicts.items():
        value = client.custom_query(f'lumen_gate_verdict{{gate="{gate}"}}')
        assert float(value[0]["value"][1]) == {"PASS": 1.0, "WARN": 0.5, "FAIL": 0.0}[verdict]

    # Every dashboard panel query returns data (and no error) against what was just pushed.
    dashboard = json.loads(DASHBOARD.read_text())
    queries = [
        target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])
    ]
    assert len(queries) >= 20
    for expr in queries:
        promql = expr.replace("$env", ".*").replace("$service", ".*")
        result = prom.query(promql)  # raises PromQLError on a query error
        assert result, f"dashboard query returned nothing: {expr}"

    # The shipped rules load and evaluate against the pushed series.
    groups_loaded = {g["name"] for g in prom.api("rules")["groups"]}
    assert groups_loaded == {"lumen-recording", "lumen-alerts"}
    wait_for_scrape(prom, 'lumen:gate_verdict:min{env="prod",service="api"}')

    # Second run without the snapshot: PUT replaces the group, resonance_* vanish.
    code, second = sample(
        tmp_path,
        "--events",
        str(EX / "events.jsonl"),
        "--env",
        "prod",
        "--service",
        "api",
        "--pushgateway",
        pushgateway.url,
        name="second",
    )
    assert code == 0
    assert "resonance_coherence" not in pushgateway.metrics()
    assert "lumen_deploy_success_rate" not in pushgateway.metrics()
    expected2 = pushed(second)
    wait_for_scrape(
        prom,
        "resonance_coherence",
        predicate=lambda r: not r,
    )
    wait_for_scrape(
        prom,
        'lumen_gate_verdict{gate="resonance"}',
        predicate=lambda r: not r,
    )
    got2 = scraped(client, SAMPLER_SERIES)
    assert got2 == expected2
    # Both runs are in the history, values included.
    runs = [r for r in history.records(tmp_path / "history.jsonl") if r["type"] == "run"]
    assert [r["run_id"] for r in runs] == [first["run_id"], second["run_id"]]
    assert pushed(runs[0]) == expected

    # SLO from Prometheus queries and a query sampled at --hz: the same numbers the SLO gate
    # computes from the same queries.
    slo_flags = [
        "--prometheus",
        prom.url,
        "--errors",
        "sum(increase(http_errors_total[$window]))",
        "--requests",
        "sum(increase(http_requests_total[$window]))",
    ]
    code, third = sample(
        tmp_path,
        *slo_flags,
        "--hz",
        "10",
        "--duration",
        "300ms",
        "--sample-query",
        "targets_up=count(up == 1)",
        "--env",
        "prod",
        "--service",
        "slo",
        "--pushgateway",
        pushgateway.url,
        name="third",
    )
    assert code == 0, third
    gate_json = tmp_path / "slo.json"
    assert main(["slo", *slo_flags, "--now", NOW, "--json", str(gate_json), "--quiet"]) == 0
    gate = json.loads(gate_json.read_text())
    values = {
        (s["name"], s["labels"].get("window") or s["labels"].get("metric")): s["value"]
        for s in third["groups"][0]["series"]
    }
    for window, rate in gate["error_rate"].items():
        assert values[("lumen_slo_error_rate", window)] == rate
        assert values[("lumen_slo_burn_rate", window)] == gate["burn_rate"][window]
    assert values[("lumen_slo_error_rate", "1h")] == pytest.approx(0.005)
    assert third["verdicts"]["slo"] == gate["verdict"] == "PASS"
    assert values[("lumen_sampled_mean", "targets_up")] == 1.0
    assert values[("lumen_sampled_samples", "targets_up")] == 3.0


def slo_history() -> list[Any]:
    """Two days of counters up to NOW, every minute: 200 requests and 1 error a minute."""
    from datetime import datetime

    from harness.prometheus import Series

    end = datetime.fromisoformat(NOW.replace("Z", "+00:00")).timestamp()
    steps = 2 * 24 * 60
    start = end - steps * 60
    return [
        Series(
            "http_requests_total",
            {"job": "api"},
            [(start + k * 60, 200.0 * k) for k in range(steps + 1)],
        ),
        Series(
            "http_errors_total",
            {"job": "api"},
            [(start + k * 60, 1.0 * k) for k in range(steps + 1)],
        ),
    ]


# ------------------------------------------------------------------------- auth proxy


class AuthProxy:
    """A loopback reverse proxy in front of the Pushgateway that demands credentials (the
    Pushgateway itself only does basic auth, from a web config file)."""

    def __init__(self, upstream: str, port: int, *, token: str | None, basic: str | None) -> None:
        self.upstream = upstream
        self.port = port
        self.token = token
        self.basic = basic
        self.seen: list[tuple[str, str, int]] = []
        self.bodies: list[str] = []  # what reached the Pushgateway
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _forward(self) -> None:
                auth = self.headers.get("Authorization", "")
                ok = (proxy.token and auth == f"Bearer {proxy.token}") or (
                    proxy.basic
                    and auth == "Basic " + base64.b64encode(proxy.basic.encode()).decode()
                )
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if not ok:
                    proxy.seen.append((self.command, self.path, 401))
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", "Bearer")
                    self.send_header("Content-Length", "12")
                    self.end_headers()
                    self.wfile.write(b"unauthorized")
                    return
                upstream = requests.request(
                    self.command,
                    proxy.upstream + self.path,
                    data=body,
                    headers={"Content-Type": self.headers.get("Content-Type", "text/plain")},
                    timeout=10,
                )
                proxy.seen.append((self.command, self.path, upstream.status_code))
                if self.command == "PUT":
                    proxy.bodies.append(body.decode())
                self.send_response(upstream.status_code)
                self.send_header("Content-Length", str(len(upstream.content)))
                self.end_headers()
                self.wfile.write(upstream.content)

            do_PUT = do_POST = do_GET = do_DELETE = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def proxy(pushgateway: Any) -> Iterator[AuthProxy]:
    p = AuthProxy(pushgateway.url, free_port(), token=TOKEN, basic="lumen:pa55")
    try:
        yield p
    finally:
        p.stop()


def test_spool_when_down_then_delivered_via_bearer_proxy(
    tmp_path: Path, pushgateway: Any, proxy: AuthProxy, prometheus_factory: Any
) -> None:
    auth = ["--pushgateway", proxy.url, "--pushgateway-bearer-token", TOKEN]
    events = ["--events", str(EX / "events.jsonl")]
    # 1. Gateway (behind the proxy) down: exit 1, the exposition is spooled, history written.
    code, a = sample(tmp_path, *events, "--env", "prod", "--service", "api", *auth, name="a")
    assert code == 1 and a["status"] == "spooled" and a["push_errors"]
    assert "unreachable" in a["push_errors"][0]
    code, b = sample(
        tmp_path,
        "--deploys",
        str(EX / "deploys.jsonl"),
        "--env",
        "stage",
        "--service",
        "api",
        *auth,
        "--on-push-error",
        "warn",
        name="b",
    )
    assert code == 0 and b["status"] == "spooled"  # warn: exit 0, still spooled
    assert len(list((tmp_path / "spool").glob("*.json"))) == 2

    # 2. A wrong token is refused by the proxy: no retry helps, spooled again, exit 1.
    proxy.start()
    code, bad = sample(
        tmp_path,
        *events,
        "--env",
        "dev",
        "--service",
        "api",
        "--pushgateway",
        proxy.url,
        "--pushgateway-bearer-token",
        "wrong",
        name="bad",
    )
    assert code == 1 and "HTTP 401" in bad["push_errors"][0]
    assert pushgateway.groups() == []

    # 3. Gateway up, right token: the next prod run supersedes the spooled prod values (it has
    # newer ones for that group) and delivers the spooled stage values (nothing newer).
    prom = prometheus_factory(scrape_targets=[pushgateway])
    code, c = sample(tmp_path, *events, "--env", "prod", "--service", "api", *auth, name="c")
    assert code == 0 and c["status"] == "pushed"
    assert list((tmp_path / "spool").glob("*.json")) == []
    assert all(status != 401 for _, _, status in proxy.seen[-3:])
    labels = sorted((g["labels"]["env"], g["labels"]["service"]) for g in pushgateway.groups())
    assert labels == [("dev", "api"), ("prod", "api"), ("stage", "api")]

    wait_for_scrape(prom, 'lumen_deploy_success_rate{env="stage"}')
    wait_for_scrape(prom, 'lumen_maturity_overall{env="prod"}')
    client = prom.client()
    got_stage = scraped(client, '{job="lumen_sampler",env="stage"}')
    got_prod = scraped(client, '{job="lumen_sampler",env="prod"}')
    got_stage = {k: v for k, v in got_stage.items() if not k[0].startswith("push_")}
    got_prod = {k: v for k, v in got_prod.items() if not k[0].startswith("push_")}
    assert got_stage == pushed(b)
    assert got_prod == pushed(c)

    records = list(history.records(tmp_path / "history.jsonl"))
    runs = [r["run_id"] for r in records if r["type"] == "run"]
    assert runs == [a["run_id"], b["run_id"], bad["run_id"], c["run_id"]]
    spool_events = {(r["action"], r["run_id"]) for r in records if r["type"] == "spool"}
    assert ("superseded", a["run_id"]) in spool_events
    assert ("delivered", b["run_id"]) in spool_events
    assert ("delivered", bad["run_id"]) in spool_events
    superseded = next(r for r in records if r["type"] == "spool" and r["action"] == "superseded")
    assert superseded["series"] == pushed_series(a)  # the spooled values stay on record

    # Basic auth through the same proxy works too.
    code, d = sample(
        tmp_path,
        *events,
        "--env",
        "prod",
        "--service",
        "web",
        "--pushgateway",
        proxy.url,
        "--pushgateway-basic-auth",
        "lumen:pa55",
        name="d",
    )
    assert code == 0 and d["status"] == "pushed"

    # Every exposition that reached the gateway passes `promtool check metrics` without a lint
    # finding (names, HELP/TYPE, gauge conventions).
    assert len(proxy.bodies) == 4
    for body in proxy.bodies:
        proc = subprocess.run(
            [require_binary("promtool"), "check", "metrics"],
            input=body,
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0 and not (proc.stdout + proc.stderr).strip(), proc.stdout


def pushed_series(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return doc["groups"][0]["series"]


def test_duplicate_series_refused_before_sending(
    tmp_path: Path, pushgateway: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = sample(
        tmp_path,
        "--events",
        str(EX / "events.jsonl"),
        "--window",
        "24h",
        "--window",
        "24h",
        "--pushgateway",
        pushgateway.url,
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "duplicate series" in err and "Traceback" not in err
    assert pushgateway.groups() == []


def test_instance_in_grouping_key_and_empty_env(tmp_path: Path, pushgateway: Any) -> None:
    code, doc = sample(
        tmp_path,
        "--events",
        str(EX / "events.jsonl"),
        "--service",
        "a/b",  # a value with a slash needs the @base64 form of the URL API
        "--instance",
        "runner-1",
        "--pushgateway",
        pushgateway.url,
    )
    assert code == 0, doc
    (group,) = pushgateway.groups()
    assert group["labels"] == {
        "job": "lumen_sampler",
        "env": "",
        "service": "a/b",
        "instance": "runner-1",
    }
    assert re.search(r'lumen_maturity_overall\{.*instance="runner-1"', pushgateway.metrics())


def _waiting_on_a_lock(pid: int) -> bool:
    """Whether process `pid` is blocked on a flock (Linux lists waiters with `->`)."""
    lines = Path("/proc/locks").read_text().splitlines()
    return any("->" in line and "FLOCK" in line and f" {pid} " in line for line in lines)


def test_runs_sharing_a_spool_take_turns(tmp_path: Path, pushgateway: Any) -> None:
    """A run delivers only while it holds the spool: a second run sharing the spool waits for
    the first (else both could flush the same old entry over newer values)."""
    spool = Spool(tmp_path / "spool")
    argv = [
        sys.executable,
        "-m",
        "lumen.cli",
        "sample",
        "--snapshot",
        str(EX / "resonance-snapshot.json"),
        "--env",
        "prod",
        "--service",
        "turns",
        "--pushgateway",
        pushgateway.url,
        "--spool",
        str(spool.directory),
        "--history",
        str(tmp_path / "history.jsonl"),
        "--quiet",
    ]
    with spool.exclusive():
        run = subprocess.Popen(argv, cwd=ROOT)
        deadline = time.monotonic() + 30
        while not _waiting_on_a_lock(run.pid):
            assert run.poll() is None, "the run delivered without waiting for the spool"
            assert time.monotonic() < deadline, "the run never reached its delivery"
            time.sleep(0.05)
        assert not [g for g in pushgateway.groups() if "turns" in json.dumps(g["labels"])]
    assert run.wait(timeout=60) == 0
    assert [g for g in pushgateway.groups() if g["labels"].get("service") == "turns"]
