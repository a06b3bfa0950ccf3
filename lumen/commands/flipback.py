"""Return to the last known-good version: plan (dry run, default) or execute
(docs/reference.md#flipback).

The use case is lumen.app.flipback; this module turns the flags into its request and prints.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from gates.errors import LumenError, SourceError, UsageError
from lumen import actions_runtime as gha
from lumen.app.flipback import PLATFORMS
from lumen.commands.common import (
    ON_DATA_BRANCH,
    add_common,
    add_state_argument,
    config_of,
    env_service,
    now_of,
    settings_of,
    state_of,
)
from lumen.commands.options import add_require_approval, approval_request
from lumen.outputs import JSON, Output, publish
from lumen.settings import default_of, default_text

# The step outputs this command writes in Actions (and its action.yml declares).
OUTPUTS = (
    Output("target", "the known-good version flipped back to (or that would be)"),
    Output("current", "the version deployed before the flipback"),
    Output("executed", "`true` when execute changed the platform, else `false`"),
    JSON,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "mode",
        nargs="?",
        choices=["plan", "execute"],
        default="plan",
        help="plan (default, changes nothing) or execute",
    )
    parser.add_argument(
        "--platform",
        choices=PLATFORMS,
        help=f"where to flip back ({default_of('flipback', 'platform')})",
    )
    parser.add_argument(
        "--deploys",
        metavar="PATH",
        help="deploy events JSONL: the history (github, helm and argocd read their "
        f"own) and where the flipback event is appended; {ON_DATA_BRANCH}",
    )
    parser.add_argument(
        "--target", metavar="previous|VERSION", help=default_of("flipback", "target")
    )
    parser.add_argument("--confirm", metavar="yes", help="must be 'yes' to execute")
    parser.add_argument("--release", metavar="NAME", help="helm release")
    parser.add_argument(
        "--namespace",
        metavar="NS",
        help=f"Kubernetes namespace ({default_of('flipback', 'namespace')})",
    )
    parser.add_argument("--rollout", metavar="NAME", help="Argo Rollouts rollout")
    parser.add_argument("--app", metavar="NAME", help="Argo CD application")
    parser.add_argument(
        "--repository",
        metavar="OWNER/REPO",
        help="github platform: repository (default: GITHUB_REPOSITORY)",
    )
    parser.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=float,
        help=f"bound on each platform command ({default_of('flipback', 'timeout')})",
    )
    parser.add_argument(
        "--lock-dir",
        metavar="DIR",
        help=f"where the per env×service lock lives ({default_of('flipback', 'lock-dir')})",
    )
    add_require_approval(
        parser,
        guards="execute",
        severity_default=f"flipback.approval-severity, shipped as "
        f"{default_text('flipback', 'approval-severity')}",
    )
    parser.add_argument("--slack", metavar="URL", help="announce the flipback on Slack")
    parser.add_argument("--discord", metavar="URL", help="announce the flipback on Discord")
    parser.add_argument("--webhook", metavar="URL", help="announce on a signed JSON webhook")
    parser.add_argument("--webhook-secret", metavar="SECRET", help="default: $LUMEN_WEBHOOK_SECRET")
    add_common(parser, gate=False)
    parser.add_argument(
        "--ledger",
        metavar="PATH",
        help="decision ledger: gate failures are read from it, the flipback is appended",
    )
    add_state_argument(parser, "--deploys and --ledger")


def _request(args: argparse.Namespace) -> Any:
    """The flipback request these flags and the config's `flipback:` section describe."""
    from lumen.app.flipback import FlipbackRequest, FlipbackSettings, PlatformTarget
    from lumen.app.notify import Channels
    from lumen.app.signing import VerifySettings
    from lumen.settings import Scope

    config = config_of(args)
    env, service = env_service(args)
    flags = {
        "platform": args.platform,
        "target": args.target,
        "timeout": args.timeout,
        "lock-dir": args.lock_dir,
        "namespace": args.namespace,
    }
    values = settings_of(args, {"flipback": flags}).section("flipback", Scope(env, service))
    settings = FlipbackSettings.from_section(values)
    ctx = gha.GitHubContext.from_env()
    return FlipbackRequest(
        mode=args.mode,
        settings=settings,
        env=env,
        service=service,
        target=PlatformTarget(
            release=args.release or "",
            namespace=settings.namespace,
            rollout=args.rollout or "",
            app=args.app or "",
            repository=args.repository or ctx.repository or "",
            # GitHub environments keep the user's name ("production"), not the canonical one.
            environment=args.env or config.get("env") or env or "",
        ),
        deploys=args.deploys,
        ledger=args.ledger,
        verify=VerifySettings.from_settings(config.section("verify")),
        announcement=Channels(
            slack=args.slack,
            discord=args.discord,
            webhook=args.webhook,
            webhook_secret=args.webhook_secret or os.environ.get("LUMEN_WEBHOOK_SECRET"),
        ),
        author=ctx.actor or os.environ.get("USER") or "lumen",
        now=now_of(args),
        state=state_of(args),
    )


def run(args: argparse.Namespace) -> int:
    from lumen.app import flipback

    if args.mode == "execute" and (args.confirm or "").strip().lower() != "yes":
        raise UsageError(
            "`flipback execute` changes production: pass --confirm yes "
            "(action input confirm: yes); nothing was changed"
        )
    request = _request(args)
    with flipback.env_lock(request.settings.lock_dir, request.env, request.service):
        planned = flipback.plan(request, args.target)
        report = planned.report
        _print_plan(args, report)
        if planned.plan.target is None:
            _finish(args, report)
            raise LumenError(planned.plan.reason)
        if args.mode == "plan" or planned.plan.nothing_to_do:
            return _finish(args, report)
        if args.require_approval:
            _require_approval(args, request.settings.approval_severity)
        try:
            flipback.execute(planned, request)
        except SourceError:  # the platform failed: recorded, and reported as the result
            _finish(args, report)
            raise
        return _finish(args, report)


def _print_plan(args: argparse.Namespace, report: dict[str, Any]) -> None:
    if args.quiet:
        return
    print(
        f"lumen flipback {report['mode']} on {report['platform']} "
        f"({report['env'] or '-'}/{report['service'] or '-'})"
    )
    print(f"  current: {report['current'] or '—'}")
    print(f"  target:  {report['target'] or '—'}")
    for skipped in report["skipped"]:
        print(f"  skipped {skipped['version']}: {skipped['reason']}")
    print(f"  {report['reason']}")
    for step in report["steps"]:
        print(f"  {'would run' if report['mode'] == 'plan' else 'runs'}: {step}")


def _require_approval(args: argparse.Namespace, severity: str) -> None:
    from lumen.app.approval import require_quorum

    require_quorum(
        approval_request(args, severity=severity),
        gha.GitHubContext.from_env(),
        refused="flipback refused",
        unchanged="nothing was changed",
    )


def _finish(args: argparse.Namespace, report: dict[str, Any]) -> int:
    if args.json:
        from lumen.fileio import write_json

        write_json(args.json, {"schema_version": "1", "flipback": report})
    publish(
        OUTPUTS,
        {
            "current": report["current"] or "",
            "target": report["target"] or "",
            "executed": "true" if report["executed"] else "false",
        },
        json_path=args.json,
    )
    return 0
