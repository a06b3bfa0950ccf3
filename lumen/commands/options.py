"""Flags more than one command takes, and their translation into the use cases' typed inputs.

Not a command (commands never import each other): `lumen approval`, `lumen notes` and `lumen
flipback` all build an approval request here.
"""

from __future__ import annotations

import argparse

from lumen.app.approval import ApprovalRequest
from lumen.commands.common import config_of, now_of, settings_of


def add_require_approval(
    parser: argparse.ArgumentParser, *, guards: str, severity_default: str
) -> None:
    """`--require-approval` with `--pr`, `--allowlist`, `--severity`, for commands that act
    only with a quorum (release publishing, flipback execute; docs/reference.md#approval).
    `severity_default` says where the severity comes from without the flag."""
    parser.add_argument(
        "--require-approval",
        action="store_true",
        help=f"{guards} only with an approval quorum (see lumen approval)",
    )
    parser.add_argument("--pr", type=int, metavar="N", help="with --require-approval: the PR")
    parser.add_argument(
        "--allowlist",
        action="append",
        metavar="USER|ORG/TEAM",
        help="with --require-approval: who may approve",
    )
    parser.add_argument(
        "--severity",
        choices=["normal", "critical"],
        help=f"with --require-approval: quorum size (default {severity_default})",
    )


def approval_request(
    args: argparse.Namespace,
    *,
    severity: str | None = None,
    repository: str | None = None,
) -> ApprovalRequest:
    """The approval request these flags and the config's `approval:` section describe.

    `severity` is the command's default when --severity is not given (None: the config's);
    `repository` overrides --repository (notes: the release's repository).
    """
    from lumen.settings import Scope, required

    config = config_of(args)
    dismiss_stale = bool(getattr(args, "dismiss_stale", False))
    flags = {
        "severity": getattr(args, "severity", None) or severity,
        "dismiss-stale": True if dismiss_stale else None,
    }
    # approval: is read at the top level only (a quorum is not per environment)
    settings = settings_of(args, {"approval": flags}).section("approval", Scope(None, None))
    quorum = required(settings, "approval", "min")
    return ApprovalRequest(
        repository=repository or getattr(args, "repository", None),
        allowlist=getattr(args, "allowlist", None) or settings.get("allowlist") or [],
        severity=str(required(settings, "approval", "severity")),
        quorum={str(name): int(count) for name, count in quorum.items()},
        minimum=getattr(args, "min", None),
        dismiss_stale=bool(required(settings, "approval", "dismiss-stale")),
        pr=getattr(args, "pr", None),
        environment=getattr(args, "environment", None),
        run_id=getattr(args, "run_id", None),
        env=config.env(getattr(args, "env", None)),
        service=getattr(args, "service", None),
        now=now_of(args),
    )
