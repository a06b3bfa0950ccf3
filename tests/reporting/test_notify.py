"""Notifications: HMAC-signed webhook against a loopback receiver, retries, Slack and Discord
payloads checked field by field against their documented limits."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lumen.cli import main
from lumen.reporting import cards, webhooks

FAIL_RESULT = {
    "schema_version": "1",
    "gate": "integrated",
    "verdict": "FAIL",
    "checks": [
        {
            "name": "maturity.overall",
            "value": 0.52,
            "comparator": ">=",
            "threshold": 0.6,
            "verdict": "FAIL",
            "reason": "maturity.overall 0.520 is not >= 0.6",
        },
        {
            "name": "roi.success_rate",
            "value": 0.95,
            "comparator": ">=",
            "threshold": 0.8,
            "verdict": "PASS",
            "reason": "ok",
        },
    ],
    "inputs": {"env": "prod", "service": "api"},
    "window": "24h",
    "generated_at": "2026-11-21T10:00:00Z",
}


def write_result(tmp_path: Path, verdict: str = "FAIL") -> Path:
    doc = dict(FAIL_RESULT, verdict=verdict)
    path = tmp_path / f"result-{verdict}.json"
    path.write_text(json.dumps(doc))
    return path


def test_signed_webhook_verifies_at_receiver(
    tmp_path, webhook_receiver, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("LUMEN_WEBHOOK_SECRET", "s3cret")
    assert (
        main(
            [
                "notify",
                "--result",
                str(write_result(tmp_path)),
                "--webhook",
                webhook_receiver.url + "/hook",
            ]
        )
        == 0
    )
    (req,) = webhook_receiver.requests
    assert webhooks.verify_signature("s3cret", req.headers, req.body)
    assert not webhooks.verify_signature("other", req.headers, req.body)
    assert not webhooks.verify_signature("s3cret", req.headers, req.body + b" ")
    timestamp = int(req.headers["X-Lumen-Timestamp"])
    assert abs(timestamp - time.time()) < 60
    # the signature is over "<unix-seconds>.<body>"
    import hashlib
    import hmac

    expected = hmac.new(b"s3cret", f"{timestamp}.".encode() + req.body, hashlib.sha256).hexdigest()
    assert req.headers["X-Lumen-Signature"] == f"sha256={expected}"
    body = req.json()
    assert body["verdict"] == "FAIL" and body["env"] == "prod" and body["service"] == "api"
    assert body["reasons"] == ["maturity.overall: maturity.overall 0.520 is not >= 0.6"]


def test_receiver_rejects_stale_timestamp() -> None:
    # One pinned clock: reading time.time() twice let a slow moment push `fresh` out of the window.
    body = b"{}"
    now = 1_764_000_000.0

    def signed(timestamp: int) -> dict[str, str]:
        return {
            "X-Lumen-Timestamp": str(timestamp),
            "X-Lumen-Signature": webhooks.sign("k", timestamp, body),
        }

    assert not webhooks.verify_signature("k", signed(int(now) - 301), body, now=now)
    assert webhooks.verify_signature("k", signed(int(now) - 300), body, now=now)
    assert webhooks.verify_signature("k", signed(int(now) - 299), body, now=now)
    assert webhooks.verify_signature("k", signed(int(now) + 300), body, now=now)
    assert not webhooks.verify_signature("k", signed(int(now) + 301), body, now=now)


def test_retries_on_429_with_retry_after_then_succeeds(webhook_receiver) -> None:
    webhook_receiver.script = [(429, {"Retry-After": "2"}), (503, {}), (200, {})]
    slept: list[float] = []
    delivery = webhooks.post_json(
        webhook_receiver.url, {"a": 1}, label="slack", sleep=slept.append, backoff_s=1
    )
    assert delivery.status == 200 and delivery.attempts == 3
    assert slept == [2.0, 2.0]  # Retry-After honoured, then exponential backoff (1·2¹)
    assert len(webhook_receiver.requests) == 3


def test_4xx_fails_at_once_without_leaking_url(webhook_receiver) -> None:
    webhook_receiver.script = [(404, {})]
    with pytest.raises(webhooks.SourceError) as exc:
        webhooks.post_json(
            webhook_receiver.url + "/T000/secret-path", {}, label="slack", sleep=lambda s: None
        )
    assert "HTTP 404" in str(exc.value)
    assert "secret-path" not in str(exc.value)
    assert len(webhook_receiver.requests) == 1


def test_gives_up_after_bounded_attempts(webhook_receiver, tmp_path, capsys, monkeypatch) -> None:
    webhook_receiver.script = [(500, {})] * 10
    with pytest.raises(webhooks.SourceError, match="after 3 attempts"):
        webhooks.post_json(
            webhook_receiver.url, {}, label="discord", attempts=3, sleep=lambda s: None
        )
    assert len(webhook_receiver.requests) == 3


def test_unreachable_webhook_is_exit_1(tmp_path, capsys) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # nothing listens on `port` now; keep the test fast with a patched sleep
    from lumen.reporting import webhooks as wh

    original = wh.post_json

    def fast(*args, **kwargs):
        kwargs["sleep"] = lambda s: None
        return original(*args, **kwargs)

    wh.post_json = fast
    try:
        rc = main(
            [
                "notify",
                "--result",
                str(write_result(tmp_path)),
                "--slack",
                f"http://127.0.0.1:{port}/x",
            ]
        )
    finally:
        wh.post_json = original
    assert rc == 1
    assert "slack webhook failed after 4 attempts (ConnectionError)" in capsys.readouterr().err


def test_slack_payload_structure(tmp_path) -> None:
    card = cards.card_from_result(FAIL_RESULT, link="https://github.com/o/r/actions/runs/1")
    payload = cards.slack_payload(card)
    (attachment,) = payload["attachments"]
    assert attachment["color"] == cards.COLOURS["FAIL"]
    blocks = attachment["blocks"]
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Lumen integrated gate: FAIL"},
    }
    assert blocks[1]["type"] == "context" and "env `prod`" in blocks[1]["elements"][0]["text"]
    section = blocks[2]
    assert [f["text"].split("\n")[0] for f in section["fields"]] == [
        "*maturity.overall*",
        "*roi.success_rate*",
    ]
    reasons = blocks[3]["text"]["text"]
    assert reasons.startswith("*Reasons*\n• maturity.overall")
    assert "roi.success_rate" not in reasons  # only failing/warning checks are reasons
    assert payload["text"].startswith(":x: ")


def big_result(n_checks: int, reason_len: int) -> dict:
    checks = [
        {
            "name": f"check-{i}-" + "n" * 300,
            "value": i,
            "comparator": ">=",
            "threshold": 1,
            "verdict": "FAIL",
            "reason": "r" * reason_len,
        }
        for i in range(n_checks)
    ]
    return dict(FAIL_RESULT, checks=checks)


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=0, max_value=600), st.integers(min_value=0, max_value=5000))
def test_slack_limits_hold_for_any_size(n_checks: int, reason_len: int) -> None:
    blocks = cards.slack_payload(cards.card_from_result(big_result(n_checks, reason_len)))[
        "attachments"
    ][0]["blocks"]
    assert len(blocks) <= 50
    for block in blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "section":
            if "text" in block:
                assert len(block["text"]["text"]) <= 3000
            assert len(block.get("fields", [])) <= 10
            assert all(len(f["text"]) <= 2000 for f in block.get("fields", []))


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=0, max_value=200), st.integers(min_value=0, max_value=8000))
def test_discord_limits_hold_for_any_size(n_checks: int, reason_len: int) -> None:
    (embed,) = cards.discord_payload(cards.card_from_result(big_result(n_checks, reason_len)))[
        "embeds"
    ]
    assert len(embed["fields"]) <= 25
    assert len(embed["title"]) <= 256
    assert len(embed.get("description", "")) <= 4096
    assert len(embed["footer"]["text"]) <= 2048
    assert all(len(f["name"]) <= 256 and len(f["value"]) <= 1024 for f in embed["fields"])
    assert cards.embed_size(embed) <= 6000


def test_discord_embed_colour_and_fields() -> None:
    (embed,) = cards.discord_payload(cards.card_from_result(FAIL_RESULT))["embeds"]
    assert embed["color"] == 0xE01E5A
    assert embed["fields"][0]["name"] == "maturity.overall"
    assert embed["fields"][0]["value"] == "0.520 >= 0.600 → FAIL"
    assert "**Reasons**" in embed["description"]


def test_recovery_after_fail_via_state(tmp_path, webhook_receiver, capsys) -> None:
    state = tmp_path / "state.json"
    url = webhook_receiver.url + "/slack"
    assert (
        main(
            [
                "notify",
                "--result",
                str(write_result(tmp_path, "FAIL")),
                "--slack",
                url,
                "--state",
                str(state),
                "--on",
                "fail",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "notify",
                "--result",
                str(write_result(tmp_path, "PASS")),
                "--slack",
                url,
                "--state",
                str(state),
                "--on",
                "fail",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "notify",
                "--result",
                str(write_result(tmp_path, "PASS")),
                "--slack",
                url,
                "--state",
                str(state),
                "--on",
                "fail",
            ]
        )
        == 0
    )
    headers = [
        r.json()["attachments"][0]["blocks"][0]["text"]["text"] for r in webhook_receiver.requests
    ]
    assert headers == ["Lumen integrated gate: FAIL", "Lumen integrated gate recovered: PASS"]
    assert json.loads(state.read_text()) == {"integrated|prod|api": "PASS"}


def test_when_to_send_comes_from_the_config_then_the_flag(
    tmp_path, webhook_receiver, capsys
) -> None:
    """notify.on (policy/defaults/notify.yml: always) set in lumen.yml, the flag over it."""
    config = tmp_path / "lumen.yml"
    config.write_text('notify:\n  "on": fail\n', encoding="utf-8")
    passed = str(write_result(tmp_path, "PASS"))
    url = webhook_receiver.url + "/slack"
    base = ["notify", "--result", passed, "--slack", url, "--config", str(config)]
    assert main(base) == 0
    assert "not sent: verdict PASS with --on fail" in capsys.readouterr().out
    assert not webhook_receiver.requests
    assert main([*base, "--on", "always"]) == 0
    assert len(webhook_receiver.requests) == 1


def test_bad_inputs(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("LUMEN_WEBHOOK_SECRET", raising=False)
    result = write_result(tmp_path)
    assert main(["notify", "--result", str(result)]) == 1
    assert "nothing to notify" in capsys.readouterr().err
    assert main(["notify", "--result", str(result), "--webhook", "http://127.0.0.1:9/"]) == 1
    assert "LUMEN_WEBHOOK_SECRET" in capsys.readouterr().err
    bogus = tmp_path / "bogus.json"
    bogus.write_text("[1, 2]")
    assert main(["notify", "--result", str(bogus), "--slack", "http://127.0.0.1:9/"]) == 1
    assert "not a gate result" in capsys.readouterr().err
