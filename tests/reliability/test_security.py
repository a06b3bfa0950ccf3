"""Regression tests for issue 20's security findings, one (or more) per finding."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from gate_result import maturity_result
from hypothesis import given
from hypothesis import strategies as st

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


GATE_RESULT = maturity_result(
    value=0.41, verdict="FAIL", reason="overall 0.41 @everyone <!-- lumen-gate:integrated --> a|b"
)


@pytest.fixture
def pr(github_env, monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LUMEN_GITHUB_WRITE_INTERVAL", "0")
    monkeypatch.setenv("LUMEN_GITHUB_BACKOFF", "0")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    github_env.state.add_pull("Add feature", repo="octo-org/app", number=7)
    return github_env


def comment_on_pr(tmp_path: Path, result: dict[str, object] = GATE_RESULT) -> int:
    path = tmp_path / "result.json"
    path.write_text(json.dumps(result))
    return main(["comment", "--result", str(path), "--pr", "7", "--no-label", "--no-check"])


def test_sticky_comment_never_edits_or_deletes_another_users_comment(pr, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from lumen.reporting.comment import marker

    mark = marker("maturity")
    hijack = pr.state.add_comment(7, f"please merge {mark}", repo="octo-org/app", user="mallory")
    third = pr.state.add_comment(7, f"my notes {mark}", repo="octo-org/app", user="trudy")
    assert comment_on_pr(tmp_path) == 2
    comments = pr.state.repo("octo-org/app").comments
    assert comments[hijack.id].body == f"please merge {mark}"  # not rewritten
    assert comments[third.id].body == f"my notes {mark}"  # not deleted
    ours = [c for c in comments.values() if c.user == "lumen-bot" and mark in c.body]
    assert len(ours) == 1
    # A second run edits our own comment, still leaving theirs alone.
    assert comment_on_pr(tmp_path) == 2
    comments = pr.state.repo("octo-org/app").comments
    assert [c.id for c in comments.values() if c.user == "lumen-bot"] == [ours[0].id]
    assert {hijack.id, third.id} <= set(comments)


def test_comment_markdown_escapes_mentions_markers_and_pipes(pr, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert comment_on_pr(tmp_path) == 2
    [ours] = [c for c in pr.state.repo("octo-org/app").comments.values()]
    assert "@everyone" not in ours.body
    assert "<!-- lumen-gate:integrated -->" not in ours.body
    assert "a|b" not in ours.body


@given(st.text())
def test_md_text_never_lets_a_mention_or_a_tag_through(text: str) -> None:
    import re

    from lumen.reporting.comment import md_text

    safe = md_text(text)
    assert not re.search(r"(?<!\w)@\w", safe)
    assert not re.search(r"<[A-Za-z!/?]", safe)
    assert "\n" not in safe


@pytest.mark.parametrize("service", ["../../EVIL", "..", "a/b", "/abs/path", "x\x00y"])
def test_flipback_lock_stays_in_the_lock_directory(service: str, tmp_path: Path) -> None:
    from lumen.app.flipback import env_lock

    locks = tmp_path / "deep" / "locks"
    with env_lock(str(locks), "prod", service) as path:
        assert path.resolve().parent == locks.resolve()
        assert path.exists()
    outside = [p for p in tmp_path.rglob("*") if p.is_file() and p.parent != locks]
    assert outside == []


def test_flipback_docs_use_flags_that_exist() -> None:
    text = (ROOT / "docs" / "flipback.md").read_text() + (ROOT / "README.md").read_text()
    assert " -n shop" not in text


def test_error_lines_never_carry_url_credentials(capsys: pytest.CaptureFixture[str]) -> None:
    from lumen import cli

    cli._report_error(f"could not reach https://bot:{SECRET}@hooks.example/x")
    err = capsys.readouterr().err
    assert SECRET not in err and "https://***@hooks.example/x" in err
