"""Return to the last known-good version: plan (dry run, default) or execute (spec §8)."""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from gates.errors import LumenError, SourceError, UsageError
from lumen import actions_runtime as gha
from lumen.commands.common import add_common, config_of, env_service, now_of
from lumen.commands.options import add_require_approval, approval_request
from lumen.outputs import JSON, Output, publish

PLATFORMS = ["github", "helm", "argo-rollouts", "argocd", "none"]


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
    parser.add_argument("--platform", choices=PLATFORMS, help="where to flip back (default: none)")
    parser.add_argument(
        "--deploys",
        metavar="PATH",
        help="deploy events JSONL: the history (github, helm and argocd read their "
        "own) and where the flipback event is appended",
    )
    parser.add_argument("--target", metavar="previous|VERSION", help="default previous")
    parser.add_argument("--confirm", metavar="yes", help="must be 'yes' to execute")
    parser.add_argument("--release", metavar="NAME", help="helm release")
    parser.add_argument("--namespace", metavar="NS", help="Kubernetes namespace (default: default)")
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
        help="bound on each platform command (default 300)",
    )
    parser.add_argument(
        "--lock-dir",
        metavar="DIR",
        help="where the per env×service lock lives (default: .lumen/locks)",
    )
    add_require_approval(parser, guards="execute", severity_default="critical")
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


@contextlib.contextmanager
def env_lock(directory: str, env: str | None, service: str | None) -> Iterator[Path]:
    """One flipback at a time per env×service on this machine (workflows add `concurrency:`)."""
    path = Path(directory) / f"flipback-{env or 'any'}-{service or 'any'}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LumenError(
                f"another flipback for {env}/{service} is running (lock {path})"
            ) from None
        try:
            yield path
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _platform(args: argparse.Namespace, env: str | None, service: str | None) -> Any:
    from lumen.flipback import platforms as p

    name = args.platform or "none"
    timeout = args.timeout or 300.0
    namespace = args.namespace or "default"
    if name == "helm":
        return p.Helm(timeout_s=timeout, release=args.release or "", namespace=namespace)
    if name == "argo-rollouts":
        return p.ArgoRollouts(timeout_s=timeout, rollout=args.rollout or "", namespace=namespace)
    if name == "argocd":
        return p.ArgoCD(timeout_s=timeout, app=args.app or "")
    if name == "github":
        from lumen.flipback.github_platform import GitHubDeployments

        repository = args.repository or gha.GitHubContext.from_env().repository or ""
        return GitHubDeployments(
            timeout_s=timeout,
            repository=repository,
            # GitHub environments keep the user's name ("production"), not the canonical one.
            environment=args.env or config_of(args).get("env") or env or "",
            service=service or "",
        )
    return p.Platform(timeout_s=timeout)


def _history_from_log(path: str | None, env: str | None, service: str | None) -> list[Any]:
    from lumen.sources.deploys import load_deploy_events
    from release.flipback import Outcome

    if not path:
        raise UsageError("this platform keeps no history of its own: give --deploys PATH")
    if not os.path.exists(path):
        return []
    events = [
        e
        for e in load_deploy_events(path)
        if (env is None or e.env == env) and (service is None or e.service == service)
    ]
    events.sort(key=lambda e: e.ts)
    return [
        Outcome(
            version=e.version,
            ts=e.ts.isoformat(),
            action=e.action,
            ok=e.ok,
            commit=e.commit,
            digest=e.digest,
            bundle=e.bundle,
            ref=e.commit or e.version,
        )
        for e in events
    ]


def _gate_failures(ledger: str | None, env: str | None, service: str | None) -> dict[str, str]:
    from lumen.ledger import iter_entries
    from release.flipback import gate_failures

    if not ledger or not os.path.exists(ledger):
        return {}
    return gate_failures((entry for _, entry in iter_entries(ledger)), env=env, service=service)


def _signature_checker(args: argparse.Namespace) -> Any:
    """A bundle check under the config's `verify:` identity policy, or None (not configured)."""
    from lumen.app.signing import VerifySettings, verify_files

    settings = VerifySettings.from_settings(config_of(args).section("verify"))
    if not settings.configured:
        return None

    def check(outcome: Any) -> bool | None:

        bundle = outcome.bundle
        if not bundle or not os.path.exists(bundle):
            return False
        artifact = bundle.removesuffix(".sigstore.json")
        file = artifact if artifact != bundle and os.path.isfile(artifact) else None
        try:
            result = verify_files([(file, bundle)], settings, generated_at="")
        except LumenError:
            return False
        return result.verdict.value == "PASS"

    return check


def run(args: argparse.Namespace) -> int:
    from release.flipback import choose_target

    env, service = env_service(args)
    settings = config_of(args).section("flipback", env=env, service=service)
    args.platform = args.platform or settings.get("platform")
    args.timeout = args.timeout or settings.get("timeout")
    if args.mode == "execute" and (args.confirm or "").strip().lower() != "yes":
        raise UsageError(
            "`flipback execute` changes production: pass --confirm yes "
            "(action input confirm: yes); nothing was changed"
        )
    platform = _platform(args, env, service)
    lock_dir = args.lock_dir or settings.get("lock-dir") or ".lumen/locks"
    with env_lock(lock_dir, env, service):
        history = platform.history()
        if history is None:
            history = _history_from_log(args.deploys, env, service)
        plan = choose_target(
            history,
            requested=args.target or settings.get("target") or "previous",
            gate_failed=_gate_failures(args.ledger, env, service),
            signature_ok=_signature_checker(args),
        )
        steps = [] if not plan.actionable else platform.steps(plan)
        report: dict[str, Any] = {
            "mode": args.mode,
            "platform": platform.name,
            "env": env,
            "service": service,
            "current": plan.current,
            "target": plan.target,
            "nothing_to_do": plan.nothing_to_do,
            "reason": plan.reason,
            "skipped": [{"version": s.version, "reason": s.reason} for s in plan.skipped],
            "steps": steps,
            "executed": False,
            "result": None,
        }
        _print_plan(args, report)
        if plan.target is None:
            _finish(args, report)
            raise LumenError(plan.reason)
        if args.mode == "plan" or plan.nothing_to_do:
            return _finish(args, report)
        if args.require_approval:
            _require_approval(args)
        try:
            platform.execute(plan)
        except SourceError as exc:
            report.update(executed=True, result="failure", error=str(exc))
            _record(args, report, env, service, plan)
            _finish(args, report)
            raise
        report.update(executed=True, result="success")
        _record(args, report, env, service, plan)
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


def _require_approval(args: argparse.Namespace) -> None:
    from lumen.app.approval import require_quorum

    require_quorum(
        approval_request(args, severity="critical"),
        gha.GitHubContext.from_env(),
        refused="flipback refused",
        unchanged="nothing was changed",
    )


def _record(
    args: argparse.Namespace,
    report: dict[str, Any],
    env: str | None,
    service: str | None,
    plan: Any,
) -> None:
    """A flipback deploy event, a ledger entry and the announcement, whatever the outcome."""
    from gates.timeutil import format_timestamp
    from lumen.fileio import append_line

    ts = format_timestamp(now_of(args))
    event = {
        "ts": ts,
        "env": env or "unknown",
        "service": service or "unknown",
        "action": "flipback",
        "version": plan.target,
        "result": report["result"],
        "author": gha.GitHubContext.from_env().actor or os.environ.get("USER") or "lumen",
        "notes": f"flipback from {plan.current} on {report['platform']}"
        + (f": {report['error']}" if report.get("error") else ""),
    }
    if plan.target_outcome is not None and plan.target_outcome.commit:
        event["commit"] = plan.target_outcome.commit
    if args.deploys:
        append_line(args.deploys, json.dumps(event, separators=(",", ":")))
    if args.ledger:
        from lumen.ledger import append

        report["ledger_head"] = append(
            args.ledger,
            {
                "type": "flipback",
                "ts": ts,
                "env": env,
                "service": service,
                "platform": report["platform"],
                "from": plan.current,
                "to": plan.target,
                "result": report["result"],
                "error": report.get("error"),
            },
        )
    if args.slack or args.discord or args.webhook:
        _announce(args, report)


def _announce(args: argparse.Namespace, report: dict[str, Any]) -> None:
    from lumen.reporting import cards, webhooks

    verdict = "PASS" if report["result"] == "success" else "FAIL"
    result = {
        "gate": "flipback",
        "verdict": verdict,
        "inputs": {"env": report["env"], "service": report["service"]},
        "checks": [
            {
                "name": "flipback",
                "value": report["target"],
                "comparator": "from",
                "threshold": report["current"],
                "verdict": verdict,
                "reason": report.get("error")
                or f"flipped back from {report['current']} to {report['target']} "
                f"on {report['platform']}",
            }
        ],
    }
    card = cards.card_from_result(result)
    secret = args.webhook_secret or os.environ.get("LUMEN_WEBHOOK_SECRET")
    targets: list[tuple[str, str | None, Callable[[], dict[str, Any]]]] = [
        ("slack", args.slack, lambda: cards.slack_payload(card)),
        ("discord", args.discord, lambda: cards.discord_payload(card)),
        ("webhook", args.webhook, lambda: cards.webhook_payload(card, result)),
    ]
    for name, url, payload in targets:
        if url:
            if gha.in_actions():
                gha.mask(url)
            try:
                webhooks.post_json(
                    url, payload(), label=name, secret=secret if name == "webhook" else None
                )
            except SourceError as exc:  # the flipback happened; a failed announcement says so
                print(f"warning: {exc}")


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
