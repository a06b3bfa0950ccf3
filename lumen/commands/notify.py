"""Send a gate result to Slack, Discord or a signed JSON webhook (spec §9)."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from gates.errors import InputError, UsageError
from lumen import actions_runtime as gha
from lumen.fileio import atomic_write, read_json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--result", metavar="RESULT_JSON", help="gate result JSON (required)")
    parser.add_argument("--slack", metavar="URL", help="Slack incoming webhook URL")
    parser.add_argument("--discord", metavar="URL", help="Discord webhook URL")
    parser.add_argument("--webhook", metavar="URL", help="generic JSON webhook URL (HMAC-signed)")
    parser.add_argument(
        "--webhook-secret",
        metavar="SECRET",
        help="HMAC secret for --webhook (default: $LUMEN_WEBHOOK_SECRET)",
    )
    parser.add_argument(
        "--link", metavar="URL", help="link on the card (default: this Actions run)"
    )
    parser.add_argument(
        "--state",
        metavar="PATH",
        help="file remembering the last verdict per gate/env/service, so a PASS "
        "after a FAIL is sent as a recovery",
    )
    parser.add_argument(
        "--on",
        choices=["always", "fail", "change"],
        default="always",
        help="when to send: always (default), only on FAIL, or when the verdict changed",
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")


def _run_link() -> str | None:
    ctx = gha.GitHubContext.from_env()
    if ctx.repository and ctx.run_id:
        return f"{ctx.server_url}/{ctx.repository}/actions/runs/{ctx.run_id}"
    return None


def _state_key(result: dict[str, Any]) -> str:
    inputs = result.get("inputs") or {}
    return f"{result.get('gate')}|{inputs.get('env') or ''}|{inputs.get('service') or ''}"


def _load_state(path: str | None) -> dict[str, str]:
    if not path or not os.path.exists(path):
        return {}
    state = read_json(path)
    if not isinstance(state, dict):
        raise InputError("state file must be a JSON object", file=path)
    return {str(k): str(v) for k, v in state.items()}


def run(args: argparse.Namespace) -> int:
    from lumen.reporting import cards, webhooks

    if not args.result:
        raise UsageError("--result RESULT_JSON is required")
    targets = [
        (name, url)
        for name, url in (
            ("slack", args.slack),
            ("discord", args.discord),
            ("webhook", args.webhook),
        )
        if url
    ]
    if not targets:
        raise UsageError("nothing to notify: give --slack, --discord and/or --webhook")
    secret = args.webhook_secret or os.environ.get("LUMEN_WEBHOOK_SECRET")
    if args.webhook and not secret:
        raise UsageError(
            "--webhook needs --webhook-secret or LUMEN_WEBHOOK_SECRET (it signs the body)"
        )
    if gha.in_actions():
        for value in [url for _, url in targets] + ([secret] if secret else []):
            gha.mask(value)
    result = read_json(args.result)
    if not isinstance(result, dict) or ("verdict" not in result and "status" not in result):
        raise InputError(
            "not a gate result (no 'verdict')",
            file=args.result,
            expected="the JSON written by a gate's --json",
        )
    verdict = str(result.get("verdict") or result.get("status"))
    state = _load_state(args.state)
    previous = state.get(_state_key(result))
    recovered = previous == "FAIL" and verdict in ("PASS", "WARN")
    send = (
        args.on == "always"
        or (args.on == "fail" and (verdict == "FAIL" or recovered))
        or (args.on == "change" and previous != verdict)
    )
    if send:
        card = cards.card_from_result(result, link=args.link or _run_link(), recovered=recovered)
        builders = {
            "slack": lambda: cards.slack_payload(card),
            "discord": lambda: cards.discord_payload(card),
            "webhook": lambda: cards.webhook_payload(card, result),
        }
        for name, url in targets:
            delivery = webhooks.post_json(
                url, builders[name](), label=name, secret=secret if name == "webhook" else None
            )
            if not args.quiet:
                print(
                    f"notified {name}: HTTP {delivery.status} after {delivery.attempts} attempt(s)"
                    + (" (recovery)" if recovered else "")
                )
    elif not args.quiet:
        print(f"not sent: verdict {verdict} with --on {args.on}")
    if args.state:
        state[_state_key(result)] = verdict
        atomic_write(args.state, json.dumps(state, indent=2, sort_keys=True) + "\n")
    return 0
