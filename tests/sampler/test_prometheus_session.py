"""One Prometheus HTTP session per command: the connection opens its client on the first query
and every later query reuses it, so the sampler's --hz loop (up to 100 queries a second) does not
build a session per query."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lumen.adapters.prometheus import PrometheusConnection
from lumen.cli import main

pytestmark = pytest.mark.prometheus


def count_clients(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    made: list[int] = []
    original = PrometheusConnection._new_client

    def counting(self: PrometheusConnection) -> Any:
        made.append(1)
        return original(self)

    monkeypatch.setattr(PrometheusConnection, "_new_client", counting)
    return made


def test_queries_of_one_connection_share_one_client(
    prometheus: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import argparse

    from lumen.config import Config
    from lumen.settings import Scope, Settings

    made = count_clients(monkeypatch)
    section = Settings.build(Config()).section("prometheus", Scope(None, None))
    connection = PrometheusConnection.resolve(
        argparse.Namespace(prometheus=prometheus.url), section
    )
    assert connection is not None
    for _ in range(5):
        assert connection.query("vector(1)")[0]["value"][1] == "1"
    assert len(made) == 1
    connection.close()
    assert connection.query_value("vector(2)") == 2.0
    assert len(made) == 2  # closed: the next query opened a new session


def test_the_hz_loop_uses_one_session(
    prometheus: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = count_clients(monkeypatch)
    out = tmp_path / "run.json"
    code = main(
        [
            "sample",
            "--history",
            str(tmp_path / "history.jsonl"),
            "--spool",
            str(tmp_path / "spool"),
            "--prometheus",
            prometheus.url,
            "--hz",
            "50",
            "--duration",
            "400ms",
            "--sample-query",
            "one=vector(1)",
            "--textfile",
            str(tmp_path / "hz.prom"),
            "--json",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    sampled = json.loads(out.read_text())["values"]["sampled"]
    assert sampled["ticks"] == 20 and sampled["one"]["samples"] == 20
    assert len(made) == 1, f"{len(made)} sessions for 20 queries"
