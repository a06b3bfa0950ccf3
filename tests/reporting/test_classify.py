"""Failure classes by ordered patterns (docs/reference.md#failure-classes)."""

from __future__ import annotations

import json

import pytest

from gates.failure_class import classify
from lumen.cli import main


@pytest.mark.parametrize(
    ("log", "expected"),
    [
        ("curl: (28) Connection timed out after 10001 ms", "network"),
        ("Error: connect ECONNREFUSED 127.0.0.1:9091", "network"),
        ("read: connection reset by peer", "network"),
        ("error: TLS handshake timeout", "network"),
        ("urllib3: Failed to establish a new connection: [Errno 111]", "network"),
        ("lumen: error: Pushgateway unreachable: ConnectionError", "network"),
        ("connect: Network is unreachable", "network"),
        ("HTTP 401 Unauthorized", "token_expired"),
        ("remote: Invalid token", "token_expired"),
        ("The provided credentials have expired", "token_expired"),
        ("Got HTTP 403 from api.github.com", "token_expired"),
        ("HTTP 502 Bad Gateway", "external_api"),
        ("503 Service Unavailable", "external_api"),
        ("500 Internal Server Error", "external_api"),
        ("ModuleNotFoundError: No module named 'yaml'", "dependency"),
        ("ImportError: cannot import name 'x'", "dependency"),
        ("  File 'a.py', line 1\nSyntaxError: invalid syntax", "build"),
        ("TypeError: unsupported operand", "build"),
        ("OSError: [Errno 28] No space left on device", "environment"),
        ("bash: ./run.sh: Permission denied", "environment"),
        ("everything is fine but exit 1", "unknown"),
        ("", "unknown"),
    ],
)
def test_classes(log: str, expected: str) -> None:
    assert classify(log).failure_class == expected


def test_order_network_before_external_api_and_token() -> None:
    log = "upstream 503 Service Unavailable\nretry...\nConnection timed out"
    assert classify(log).failure_class == "network"
    assert classify("403 Forbidden then 502 Bad Gateway").failure_class == "token_expired"


def test_only_network_and_external_api_retry() -> None:
    assert classify("ECONNREFUSED").retryable
    assert classify("502 Bad Gateway").retryable
    assert not classify("401 Unauthorized").retryable
    assert not classify("No module named x").retryable
    assert not classify("nothing").retryable


def test_line_of_match() -> None:
    result = classify("step 1 ok\nstep 2 ok\nNo space left on device\n")
    assert result.line == 3
    assert result.matched == "No space left on device"


def test_cli_json(tmp_path, capsys) -> None:
    log = tmp_path / "step.log"
    log.write_text("fetching...\nECONNRESET\n")
    out = tmp_path / "c.json"
    assert main(["classify", str(log), "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["class"] == "network" and doc["retry_delays_s"] == [5, 30] and doc["line"] == 2


def test_cli_missing_file(tmp_path, capsys) -> None:
    assert main(["classify", str(tmp_path / "nope.log")]) == 1
    assert "file not found" in capsys.readouterr().err
