"""Send a gate result to Slack, Discord or a signed JSON webhook (spec §9)."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from gates.errors import InputError, UsageError
from lumen import actions_runtime as gha
from lumen.fileio import atomic_write, read_json
from lumen.outputs import Output, publish

# The step outputs this command writes in Actions (and its action.yml declares).
OUTPUTS = (
    Output("incident", "number of the incident issue opened, updated or closed (with incident)"),
)


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
    parser.add_argument(
        "--incident",
        action="store_true",
        help="also keep one GitHub issue for this gate: opened (or updated) on "
        "FAIL, commented and closed on the next PASS",
    )
    parser.add_argument(
        "--incident-label",
        metavar="NAME",
        default="incident",
        help="label of the incident issue (default: incident)",
    )
    parser.add_argument(
        "--failure-log",
        metavar="LOGFILE",
        help="log of the failed step: the card names its failure class",
    )
    parser.add_argument("--repository", metavar="OWNER/REPO", help="default: GITHUB_REPOSITORY")
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
    if not targets and not args.incident:
        raise UsageError("nothing to notify: give --slack, --discord, --webhook and/or --incident")
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
    if args.incident:
        _sync_incident(args, result)
    if args.state:
        state[_state_key(result)] = verdict
        atomic_write(args.state, json.dumps(state, indent=2, sort_keys=True) + "\n")
    return 0


def _sync_incident(args: argparse.Namespace, result: dict[str, Any]) -> None:
    from lumen.adapters.github.pr import sync_incident
    from lumen.reporting import comment as render

    ctx = gha.GitHubContext.from_env()
    repository = args.repository or ctx.repository
    if not repository:
        raise UsageError("--incident needs --repository or GITHUB_REPOSITORY")
    inputs = result.get("inputs") or {}
    key = ":".join(str(inputs[k]) for k in ("env", "service") if inputs.get(k)) or None
    failure_class = hint = None
    if args.failure_log:
        from gates.failure_class import classify
        from lumen.fileio import open_text

        with open_text(args.failure_log) as handle:
            found = classify(handle.read())
        failure_class, hint = found.failure_class, found.hint
    gate = str(result.get("gate", "gate"))
    body = render.incident_body(
        result, key=key, failure_class=failure_class, hint=hint, run_url=args.link or _run_link()
    )
    title = f"Lumen {gate} gate failing" + (f" ({key})" if key else "")
    action, number = sync_incident(
        repository,
        result,
        mark=render.incident_marker(gate, key),
        body=body,
        title=title,
        label=args.incident_label,
    )
    if not args.quiet:
        print(f"incident: {action}" + (f" #{number}" if number else ""))
    publish(OUTPUTS, {"incident": str(number or "")})
