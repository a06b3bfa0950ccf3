"""Regression tests for issue 20's security findings, one (or more) per finding."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from lumen.adapters.urls import redact, split_userinfo
from lumen.cli import main

ROOT = Path(__file__).resolve().parents[2]
EX = ROOT / "examples"
NOW = "2026-11-20T18:00:00Z"
SECRET = "hunter2-s3cret"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_split_userinfo_moves_credentials_out_of_the_url() -> None:
    assert split_userinfo("https://bo:p%40ss@prom.example:9090/x?q=1") == (
        "https://prom.example:9090/x?q=1",
        ("bo", "p@ss"),
    )
    assert split_userinfo("http://prom:9090") == ("http://prom:9090", None)
    assert redact("see https://u:pw@h/x and http://h2/") == "see https://***@h/x and http://h2/"


def test_prometheus_url_credentials_never_reach_errors_or_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://reader:{SECRET}@127.0.0.1:{closed_port()}"
    out = tmp_path / "roi.json"
    code = main(
        ["roi", "--prometheus", url, "--env", "prod", "--service", "api", "--json", str(out)]
    )
    captured = capsys.readouterr()
    assert code == 1
    assert "127.0.0.1" in captured.err  # the error still names the server...
    assert SECRET not in captured.err + captured.out  # ...but not the password
    assert not out.exists() or SECRET not in out.read_text()


def test_pushgateway_url_credentials_never_reach_history_or_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://pusher:{SECRET}@127.0.0.1:{closed_port()}"
    out = tmp_path / "sample.json"
    history = tmp_path / "history.jsonl"
    code = main(
        [
            "sample",
            "--pushgateway",
            url,
            "--events",
            str(EX / "events.jsonl"),
            "--history",
            str(history),
            "--spool",
            str(tmp_path / "spool"),
            "--push-retries",
            "0",
            "--now",
            NOW,
            "--json",
            str(out),
        ]
    )
    captured = capsys.readouterr()
    assert code == 1
    assert SECRET not in captured.err + captured.out
    written = "".join(p.read_text() for p in tmp_path.rglob("*") if p.is_file())
    assert SECRET not in written
    assert "127.0.0.1" in json.dumps(json.loads(out.read_text()))
