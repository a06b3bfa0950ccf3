"""Sampler parts without servers: exposition text, promtool check metrics, textfile, retries
with backoff and their bound, the spool bound, partial runs, --hz aggregation."""

from __future__ import annotations

import json
import math
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from example_data import EX, NOW, example_sources
from harness.binaries import require_binary
from hypothesis import given
from hypothesis import strategies as st

from gates.errors import InputError
from gates.sampling import aggregate, quantile
from lumen.adapters.pushgateway import PushError, Pushgateway, group_path
from lumen.cli import main
from lumen.config import Config
from lumen.sampler import history
from lumen.sampler.exposition import Series, check_series, format_value, render
from lumen.sampler.spool import Spool
from lumen.settings import Scope, Settings


def gateway(url: str, **options: Any) -> Pushgateway:
    """A Pushgateway with the shipped `sampler:` defaults and `options` on top."""
    import argparse
    from dataclasses import replace

    shipped = Settings.build(Config()).section("sampler", Scope(None, None))
    resolved = Pushgateway.resolve(argparse.Namespace(pushgateway=url), shipped)
    assert resolved is not None
    return replace(resolved, **options)


def base(tmp_path: Path) -> list[str]:
    return [
        "sample",
        "--history",
        str(tmp_path / "history.jsonl"),
        "--spool",
        str(tmp_path / "spool"),
        "--now",
        NOW,
    ]


ALL = [
    *example_sources(snapshot=True),
    "--env",
    "prod",
    "--service",
    "api",
]


# ------------------------------------------------------------------------------ exposition


def test_render_escapes_orders_and_keeps_values_unrounded() -> None:
    text = render(
        [
            Series("lumen_b", 0.1 + 0.2, {"window": "6h"}),
            Series("lumen_a", 1 / 3, {"note": 'say "hi"\\\nbye'}),
            Series("lumen_b", 2.0, {"window": "24h"}),
        ],
        help_text={"lumen_a": "line\nbreak \\ slash", "lumen_b": "b"},
    )
    assert text == (
        "# HELP lumen_a line\\nbreak \\\\ slash\n"
        "# TYPE lumen_a gauge\n"
        'lumen_a{note="say \\"hi\\"\\\\\\nbye"} 0.3333333333333333\n'
        "# HELP lumen_b b\n"
        "# TYPE lumen_b gauge\n"
        'lumen_b{window="24h"} 2.0\n'
        'lumen_b{window="6h"} 0.30000000000000004\n'
    )
    assert format_value(math.nan) == "NaN" and format_value(-math.inf) == "-Inf"


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_values_round_trip_exactly(value: float) -> None:
    assert float(format_value(value)) == value


def test_check_series_refuses_duplicates_bad_names_and_grouping_labels() -> None:
    with pytest.raises(InputError, match="duplicate series"):
        check_series([Series("lumen_x", 1, {"a": "1"}), Series("lumen_x", 2, {"a": "1"})])
    with pytest.raises(InputError, match="invalid metric name"):
        check_series([Series("lumen-x", 1)])
    with pytest.raises(InputError, match="invalid label name"):
        check_series([Series("lumen_x", 1, {"__x": "1"})])
    with pytest.raises(InputError, match="grouping key"):
        check_series([Series("lumen_x", 1, {"env": "prod"})], reserved=["job", "env"])
    check_series([Series("lumen_x", 1, {"a": "1"}), Series("lumen_x", 2, {"a": "2"})])


def test_group_path_uses_base64_where_needed() -> None:
    assert group_path("lumen_sampler", {"env": "prod", "service": "api"}) == (
        "/metrics/job/lumen_sampler/env/prod/service/api"
    )
    assert group_path("j", {"env": "", "service": "a/b"}) == (
        "/metrics/job/j/env@base64/=/service@base64/YS9i"
    )


def promtool_check_metrics(text: str) -> str:
    """`promtool check metrics` on `text`: fails on an error, returns the lint findings."""
    proc = subprocess.run(
        [require_binary("promtool"), "check", "metrics"],
        input=text,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return (proc.stdout + proc.stderr).strip()


def test_stdout_exposition_passes_promtool_check_metrics(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main([*base(tmp_path), *ALL]) == 0
    text = capsys.readouterr().out
    assert "# TYPE lumen_gate_verdict gauge" in text
    assert "counter" not in text
    assert promtool_check_metrics(text) == ""  # valid, and no lint findings either


def test_textfile_atomic_with_labels(tmp_path: Path) -> None:
    target = tmp_path / "textfile" / "lumen.prom"
    out = tmp_path / "r.json"
    code = main([*base(tmp_path), *ALL, "--textfile", str(target), "--json", str(out), "--quiet"])
    assert code == 0
    text = target.read_text()
    assert 'lumen_deploys{env="prod",service="api"} 30.0' in text
    assert "job=" not in text  # node_exporter sets job/instance itself
    assert list(target.parent.iterdir()) == [target]  # no temporary file left behind
    doc = json.loads(out.read_text())
    assert doc["status"] == "textfile"
    assert promtool_check_metrics(text) == ""


def test_gate_verdicts_and_no_data_not_pushed(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    # Events far before the window: maturity is NO_DATA, so no verdict gauge for it.
    code = main(
        [
            *base(tmp_path),
            "--events",
            str(EX / "events.jsonl"),
            "--textfile",
            str(tmp_path / "x.prom"),
            "--now",
            "2030-01-01T00:00:00Z",
            "--json",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    doc = json.loads(out.read_text())
    assert doc["verdicts"] == {"maturity": "NO_DATA"}
    names = {s["name"] for s in doc["groups"][0]["series"]}
    assert "lumen_gate_verdict" not in names and "lumen_maturity_overall" not in names
    assert "lumen_sampler_last_success_timestamp_seconds" in names


def test_source_error_is_partial_run_without_fresh_success_gauges(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.json"
    assert (
        main(
            [
                *base(tmp_path),
                *ALL,
                "--textfile",
                str(tmp_path / "a.prom"),
                "--json",
                str(good),
                "--quiet",
            ]
        )
        == 0
    )
    first = json.loads(good.read_text())
    bad_events = tmp_path / "bad.jsonl"
    bad_events.write_text('{"ts": "2026-11-20T10:00:00Z", "kind": "nope", "severity": 0.1}\n')
    out = tmp_path / "r.json"
    argv = [
        *base(tmp_path),
        *ALL,
        "--events",
        str(bad_events),
        "--textfile",
        str(tmp_path / "b.prom"),
    ]
    code = main([*argv, "--json", str(out), "--quiet"])
    assert code == 1
    err = capsys.readouterr().err
    assert "bad.jsonl" in err and "Traceback" not in err
    doc = json.loads(out.read_text())
    assert doc["errors"] and doc["errors"][0].startswith("maturity:")
    series = {s["name"]: s["value"] for s in doc["groups"][0]["series"]}
    # Other sources still measured; no duration gauge; the success time is the previous run's.
    assert "lumen_deploy_success_rate" in series and "lumen_sampler_duration_seconds" not in series
    assert series["lumen_sampler_last_success_timestamp_seconds"] == first["success_ts"]
    assert doc["success_ts"] is None


# ------------------------------------------------------------------------------ retries


class Flaky:
    """A loopback HTTP server answering PUTs from a script of status codes."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = list(statuses)
        self.requests: list[dict[str, Any]] = []
        flaky = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_PUT(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                flaky.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body.decode()}
                )
                status = flaky.statuses.pop(0) if flaky.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"no")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def flaky() -> Iterator[Any]:
    servers: list[Flaky] = []

    def make(statuses: list[int]) -> Flaky:
        servers.append(Flaky(statuses))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


def test_retries_with_exponential_backoff_then_success(flaky: Any) -> None:
    server = flaky([503, 502, 200])
    sleeps: list[float] = []
    gw = gateway(server.url, bearer_token="t0k", retries=3, backoff=0.5, deadline=30)
    attempts = gw.put("lumen_sampler", {"env": "prod"}, "x 1\n", sleep=sleeps.append)
    assert attempts == 3 and sleeps == [0.5, 1.0]
    assert server.requests[0]["headers"]["Authorization"] == "Bearer t0k"
    assert server.requests[0]["path"] == "/metrics/job/lumen_sampler/env/prod"
    assert server.requests[0]["headers"]["Content-Type"].startswith("text/plain; version=0.0.4")


def test_retries_bounded_by_count_and_deadline(flaky: Any) -> None:
    server = flaky([503] * 10)
    sleeps: list[float] = []
    gw = gateway(server.url, retries=2, backoff=0.1, deadline=30)
    with pytest.raises(PushError, match="after 3 attempt"):
        gw.put("j", {}, "x 1\n", sleep=sleeps.append)
    assert sleeps == [pytest.approx(0.1), pytest.approx(0.2)]
    # The deadline stops earlier than the count: fake clock advancing 10 s per attempt.
    ticks = iter(range(0, 1000, 10))
    sleeps.clear()
    gw = gateway(server.url, retries=10, backoff=1, deadline=25)
    with pytest.raises(PushError):
        gw.put("j", {}, "x 1\n", sleep=sleeps.append, clock=lambda: float(next(ticks)))
    assert len(sleeps) <= 2


def test_client_errors_are_not_retried(flaky: Any) -> None:
    server = flaky([400, 200])
    sleeps: list[float] = []
    with pytest.raises(PushError, match="HTTP 400"):
        gateway(server.url, retries=3, backoff=0.1).put("j", {}, "x\n", sleep=sleeps.append)
    assert sleeps == [] and len(server.requests) == 1


# ------------------------------------------------------------------------------ spool


def test_spool_bound_drops_oldest_with_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spool = Spool(tmp_path / "spool", max_bytes=2500)
    for i in range(4):
        dropped = spool.add(
            run_id=f"run{i}" + "0" * 28,
            ts=f"t{i}",
            grouping={"env": "prod"},
            exposition="x" * 900,
            series=[],
        )
    assert [e.run_id[:4] for e in spool.entries()] == ["run2", "run3"]
    assert dropped and dropped[0].run_id.startswith("run1")
    assert "dropped the oldest entry" in capsys.readouterr().err


def test_spool_dropped_recorded_in_history(tmp_path: Path) -> None:
    argv = [
        *base(tmp_path),
        "--events",
        str(EX / "events.jsonl"),
        "--pushgateway",
        "http://127.0.0.1:9",  # discard port: nothing listens
        "--push-retries",
        "0",
        "--spool-max-bytes",
        "6000",
        "--quiet",
    ]
    # Different services: different groups, so no entry supersedes another.
    for service in ("a", "b", "c"):
        assert main([*argv, "--service", service]) == 1
    records = list(history.records(tmp_path / "history.jsonl"))
    runs = [r for r in records if r["type"] == "run"]
    assert [r["status"] for r in runs] == ["spooled"] * 3
    dropped = [r for r in records if r["type"] == "spool" and r["action"] == "dropped"]
    assert dropped and dropped[0]["run_id"] == runs[0]["run_id"]  # the oldest went first
    sizes = [p.stat().st_size for p in (tmp_path / "spool").glob("*.json")]
    assert 0 < sum(sizes) <= 6000 and len(sizes) < 3


# ------------------------------------------------------------------------------ --hz mode


def test_quantile_and_aggregate_known_answers() -> None:
    # 1..20: p95 at rank 0.95 * 19 = 18.05 -> 19 + 0.05 * (20 - 19) = 19.05
    values = [float(v) for v in range(1, 21)]
    agg = aggregate(values)
    assert agg is not None
    assert agg.mean == 10.5 and agg.p95 == pytest.approx(19.05)
    # population variance of 1..n is (n^2 - 1) / 12 = 399 / 12 = 33.25
    assert agg.stdev == pytest.approx(math.sqrt(33.25))
    assert aggregate([]) is None and aggregate([math.nan]) is None
    assert quantile([4.0], 0.95) == 4.0


@given(st.lists(st.floats(-1e9, 1e9), min_size=1, max_size=200))
def test_aggregate_properties(values: list[float]) -> None:
    agg = aggregate(values)
    assert agg is not None
    assert min(values) <= agg.p95 <= max(values)
    assert min(values) - 1e-6 <= agg.mean <= max(values) + 1e-6
    assert agg.stdev >= 0 and agg.samples == len(values)


class Live:
    """A metrics endpoint whose value changes on every scrape; it remembers what it served."""

    def __init__(self) -> None:
        self.served: list[float] = []
        live = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                value = float(len(live.served) % 7)
                live.served.append(value)
                body = (
                    "# TYPE queue_depth gauge\n"
                    f'queue_depth{{shard="a",note="x}} y"}} {value}\n'
                    f'queue_depth{{shard="b"}} {value * 2}\n'
                    "other_metric 5\n"
                ).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/metrics"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_hz_mode_samples_live_endpoint_and_aggregates(tmp_path: Path) -> None:
    live = Live()
    out = tmp_path / "r.json"
    try:
        code = main(
            [
                *base(tmp_path),
                "--hz",
                "40",
                "--duration",
                "250ms",
                "--sample-url",
                live.url,
                "--sample-metric",
                "queue_depth",
                "--textfile",
                str(tmp_path / "hz.prom"),
                "--json",
                str(out),
                "--quiet",
            ]
        )
    finally:
        live.server.shutdown()
        live.server.server_close()
    assert code == 0
    assert len(live.served) == 10  # 40 Hz x 0.25 s, bounded
    expected = aggregate([3 * v for v in live.served])  # both shards summed per tick
    assert expected is not None
    series = {
        s["name"]: s["value"]
        for s in json.loads(out.read_text())["groups"][0]["series"]
        if s["labels"].get("metric") == "queue_depth"
    }
    assert series == {
        "lumen_sampled_mean": expected.mean,
        "lumen_sampled_p95": expected.p95,
        "lumen_sampled_stdev": expected.stdev,
        "lumen_sampled_samples": 10.0,
    }


def test_hz_bounds_and_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*base(tmp_path), "--hz", "1000", "--sample-query", "x=up"]) == 1
    assert main([*base(tmp_path), "--hz", "100", "--duration", "2d", "--sample-query", "x=up"]) == 1
    assert main([*base(tmp_path), "--hz", "1", "--sample-url", "http://127.0.0.1:9/"]) == 1
    assert main([*base(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "nothing to sample" in err


# ------------------------------------------------------------------------------ config, matrix


def test_config_sections_validate_and_feed_the_sampler(tmp_path: Path) -> None:
    config = tmp_path / "lumen.yml"
    config.write_text(
        "version: 1\n"
        "sampler:\n"
        f"  events: {EX / 'events.jsonl'}\n"
        "  window: [24h]\n"
        f"  textfile: {tmp_path / 'cfg.prom'}\n"
        "  push-retries: 1\n"
        "  spool-max-bytes: 4096\n"
        "resonance:\n"
        "  min-coherence: 0.5\n"
        "  weights: {safety: 2}\n"
    )
    assert main(["config", "check", str(config)]) == 0
    assert main([*base(tmp_path), "--config", str(config), "--quiet"]) == 0
    text = (tmp_path / "cfg.prom").read_text()
    assert 'window="24h"' in text and 'window="6h"' not in text
    bad = tmp_path / "bad.yml"
    bad.write_text("version: 1\nsampler:\n  spool-max-bytes: 10\n  bogus: 1\n")
    assert main(["config", "check", str(bad)]) == 1
    bad.write_text("version: 1\nresonance:\n  weights: {symmetry: -1}\n")
    assert main(["config", "check", str(bad)]) == 1


def test_roi_matrix_gets_one_group_per_env_service(tmp_path: Path) -> None:
    config = ["--config", str(EX / ".github" / "lumen.yml")]  # roi: {matrix: true}
    out = tmp_path / "r.json"
    argv = [*base(tmp_path), *config, "--deploys", str(EX / "deploys.jsonl")]
    # No --env/--service: the main group is every deploy, each env x service gets its own.
    assert main([*argv, "--json", str(out), "--textfile", str(tmp_path / "m.prom")]) == 0
    doc = json.loads(out.read_text())
    roi_json = tmp_path / "roi.json"
    main(["roi", *config, "--deploys", str(EX / "deploys.jsonl"), "--now", NOW,
          "--json", str(roi_json), "--quiet"])  # fmt: skip
    roi_doc = json.loads(roi_json.read_text())
    assert roi_doc["verdict"] == doc["verdicts"]["roi"]
    groups = {(g["grouping"]["env"], g["grouping"]["service"]): g for g in doc["groups"]}
    scopes = {(row["env"], row["service"]) for row in roi_doc["matrix"]}
    assert set(groups) == {("", ""), *scopes} and len(scopes) >= 2
    text = (tmp_path / "m.prom").read_text()
    for env, service in scopes:
        assert f'lumen_deploys{{env="{env}",service="{service}"}}' in text
    for (env, service), group in groups.items():
        if not env:
            continue
        rate = next(s["value"] for s in group["series"] if s["name"] == "lumen_rollback_rate")
        one = tmp_path / f"{env}-{service}.json"
        main(["roi", "--deploys", str(EX / "deploys.jsonl"), "--now", NOW, "--env", env,
              "--service", service, "--json", str(one), "--quiet"])  # fmt: skip
        assert rate == json.loads(one.read_text())["rollback_rate"]


# ------------------------------------------------------------------------------ TLS


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    import ipaddress

    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_tls_verification_configurable(tmp_path: Path, flaky: Any) -> None:
    import ssl

    cert, key = _self_signed(tmp_path)
    server = flaky([])
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.server.socket = context.wrap_socket(server.server.socket, server_side=True)
    url = server.url.replace("http://", "https://")
    # Verified by default: a self-signed certificate is refused at once (no retries).
    with pytest.raises(PushError, match="TLS error"):
        gateway(url, retries=3, backoff=0.01).put("j", {}, "x 1\n", sleep=lambda _: None)
    assert server.requests == []
    assert gateway(url, ca_bundle=str(cert)).put("j", {}, "x 1\n") == 1
    assert gateway(url, verify=False).put("j", {}, "x 1\n") == 1
    assert len(server.requests) == 2


# ------------------------------------------------------------------------------ reuse


def _values(doc: dict[str, Any]) -> dict[tuple[str, str], float]:
    return {
        (s["name"], s["labels"].get("window", s["labels"].get("gate", ""))): s["value"]
        for s in doc["groups"][0]["series"]
    }


def _gate(tmp_path: Path, argv: list[str]) -> dict[str, Any]:
    out = tmp_path / f"{argv[0]}.json"
    main([*argv, "--now", NOW, "--json", str(out), "--quiet"])
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def test_sampled_values_and_verdicts_are_the_gates_own(tmp_path: Path) -> None:
    """Each gauge equals what the standalone command computes from the same inputs."""
    config = ["--config", str(EX / ".github" / "lumen.yml")]
    scope = ["--env", "prod", "--service", "api"]
    out = tmp_path / "s.json"
    argv = [*base(tmp_path), *config, *ALL, "--window", "24h", "--json", str(out), "--quiet"]
    assert main([*argv, "--textfile", str(tmp_path / "s.prom")]) == 0
    doc = json.loads(out.read_text())
    got = _values(doc)
    maturity = _gate(tmp_path, ["maturity", *config, *scope, "--events", ALL[1]])
    roi = _gate(tmp_path, ["roi", *config, *scope, "--deploys", ALL[3]])
    slo = _gate(tmp_path, ["slo", *config, *scope, "--samples", ALL[5]])
    resonance = _gate(tmp_path, ["resonance", *config, *scope, "--snapshot", ALL[7]])
    integrated = _gate(
        tmp_path,
        ["integrated", *config, *scope, "--events", ALL[1], "--deploys", ALL[3], "--slo", ALL[5]],
    )
    for band in ("overall", "sense", "feedback", "release", "trend"):
        assert got[(f"lumen_maturity_{band}", "24h")] == maturity["maturity"][band]
    assert got[("lumen_deploy_success_rate", "")] == roi["success_rate"]
    assert got[("lumen_rollback_rate", "")] == roi["rollback_rate"]
    assert got[("lumen_deploys", "")] == roi["deploys"]
    for window, rate in slo["burn_rate"].items():
        assert got[("lumen_slo_burn_rate", window)] == rate
    for window in resonance["windows"]:
        assert got[("resonance_coherence", window["window"])] == window["coherence"]
    for gate, result in [
        ("maturity", maturity),
        ("roi", roi),
        ("slo", slo),
        ("resonance", resonance),
        ("integrated", integrated),
    ]:
        assert doc["verdicts"][gate] == result["verdict"], gate
        gauge = {"PASS": 1.0, "WARN": 0.5, "FAIL": 0.0}[result["verdict"]]
        assert got[("lumen_gate_verdict", gate)] == gauge


@pytest.mark.github
def test_github_sources_for_maturity_and_deploys(github_env: Any, tmp_path: Path) -> None:
    state = github_env.state
    repo = "octo-org/app"
    for hour, result in [("01", "success"), ("03", "failure"), ("05", "success")]:
        state.add_deployment(
            "production", repo=repo, created_at=f"2026-11-20T{hour}:00:00Z", state=result
        )
    for hour, conclusion in [("02", "success"), ("04", "failure"), ("06", "success")]:
        state.add_workflow_run(
            "CI", repo=repo, conclusion=conclusion, created_at=f"2026-11-20T{hour}:00:00Z"
        )
    state.add_issue("db down", repo=repo, labels=["incident"], created_at="2026-11-20T07:00:00Z")
    out = tmp_path / "s.json"
    argv = [*base(tmp_path), "--github", repo, "--window", "24h", "--json", str(out), "--quiet"]
    assert main([*argv, "--textfile", str(tmp_path / "g.prom")]) == 0
    doc = json.loads(out.read_text())
    got = _values(doc)
    maturity = _gate(tmp_path, ["maturity", "--github", repo])
    roi = _gate(tmp_path, ["roi", "--github", repo, "--min-deploys", "1"])
    assert got[("lumen_maturity_overall", "24h")] == maturity["maturity"]["overall"]
    assert doc["inputs"]["events"]["deployments"] == 3
    assert got[("lumen_deploys", "")] == roi["deploys"] == 3
    assert got[("lumen_deploy_success_rate", "")] == roi["success_rate"]


def test_actions_outputs_and_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outputs, summary = tmp_path / "out", tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    argv = [*base(tmp_path), *ALL, "--textfile", str(tmp_path / "a.prom"), "--quiet"]
    assert main(argv) == 0
    lines = outputs.read_text().splitlines()
    values = {lines[i].split("<<")[0]: lines[i + 1] for i in range(len(lines)) if "<<" in lines[i]}
    # All five sampled gates pass on the examples; resonance PASSes on its snapshot too.
    assert values["verdict"] == "PASS" and values["status"] == "textfile"
    assert int(values["series"]) > 40
    assert "| resonance | PASS |" in summary.read_text()
