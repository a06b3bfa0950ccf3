"""Send a gate result to Slack, Discord or a signed JSON webhook (docs/reference.md#notify)."""

from __future__ import annotations

import argparse
import os
from typing import Any

from gates.errors import UsageError
from lumen import actions_runtime as gha
from lumen.commands.common import settings_of
from lumen.outputs import Output, publish
from lumen.report import read_result
from lumen.settings import Scope, default_of

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
        help="when to send: always, only on FAIL (and the recovery after it), or when the "
        f"verdict changed ({default_of('notify', 'on')})",
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
        help=f"label of the incident issue ({default_of('notify', 'incident-label')})",
    )
    parser.add_argument(
        "--failure-log",
        metavar="LOGFILE",
        help="log of the failed step: the card names its failure class",
    )
    parser.add_argument("--repository", metavar="OWNER/REPO", help="default: GITHUB_REPOSITORY")
    parser.add_argument("--config", metavar="PATH", help="config file (default: .github/lumen.yml)")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")


def run(args: argparse.Namespace) -> int:
    from lumen.app import notify

    if not args.result:
        raise UsageError("--result RESULT_JSON is required")
    channels = notify.Channels(
        slack=args.slack,
        discord=args.discord,
        webhook=args.webhook,
        webhook_secret=args.webhook_secret or os.environ.get("LUMEN_WEBHOOK_SECRET"),
    )
    if not channels and not args.incident:
        raise UsageError("nothing to notify: give --slack, --discord, --webhook and/or --incident")
    secret = channels.webhook_secret
    if args.webhook and not secret:
        raise UsageError(
            "--webhook needs --webhook-secret or LUMEN_WEBHOOK_SECRET (it signs the body)"
        )
    if gha.in_actions():
        for value in [url for _, url in channels.targets()] + ([secret] if secret else []):
            gha.mask(value)
    result = read_result(args.result)
    verdict = str(result.get("verdict") or result.get("status"))
    settings = notify.NotifySettings.from_section(
        settings_of(
            args, {"notify": {"on": args.on, "incident-label": args.incident_label}}
        ).section("notify", Scope(None, None))
    )
    state = notify.load_state(args.state)
    decision = notify.decide(settings.on, verdict, state.get(notify.state_key(result)))
    if decision.send:
        link = args.link or gha.GitHubContext.from_env().run_url()
        for name, delivery in notify.post_card(
            channels, result, link=link, recovered=decision.recovered
        ):
            if not args.quiet:
                print(
                    f"notified {name}: HTTP {delivery.status} after {delivery.attempts} attempt(s)"
                    + (" (recovery)" if decision.recovered else "")
                )
    elif not args.quiet:
        print(f"not sent: verdict {verdict} with --on {settings.on}")
    if args.incident:
        _sync_incident(args, result, settings.incident_label)
    if args.state:
        state[notify.state_key(result)] = verdict
        notify.save_state(args.state, state)
    return 0


def _sync_incident(args: argparse.Namespace, result: dict[str, Any], label: str) -> None:
    from lumen.app.notify import sync_incident

    ctx = gha.GitHubContext.from_env()
    repository = args.repository or ctx.repository
    if not repository:
        raise UsageError("--incident needs --repository or GITHUB_REPOSITORY")
    action, number = sync_incident(
        repository,
        result,
        label=label,
        run_url=args.link or ctx.run_url(),
        failure_log=args.failure_log,
    )
    if not args.quiet:
        print(f"incident: {action}" + (f" #{number}" if number else ""))
    publish(OUTPUTS, {"incident": str(number or "")})
