"""Flipback (docs/reference.md#flipback) as a use case: find the last known-good version and return
to it.

Two stages: `plan` reads the history (the platform's own, or the deploy log), skips versions
that failed a gate or whose bundle does not verify, and names the target; `execute` changes the
platform, then records the flipback (deploy event, ledger entry) and announces it, whatever the
outcome. One flipback at a time per env×service on a machine (`env_lock`).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gates.errors import LumenError, SourceError, UsageError
from lumen.app.notify import Channels
from lumen.app.signing import VerifySettings

if TYPE_CHECKING:
    from lumen.adapters.git_state import StateLocation

PLATFORMS = ("github", "helm", "argo-rollouts", "argocd", "none")


@dataclass(frozen=True)
class FlipbackSettings:
    """Resolved `flipback:` (policy/defaults/flipback.yml under the config and the flags)."""

    platform: str
    target: str
    timeout_s: float
    lock_dir: str
    namespace: str
    approval_severity: str

    @classmethod
    def from_section(cls, values: Mapping[str, Any]) -> FlipbackSettings:
        from lumen.settings import number, required

        return cls(
            platform=str(required(values, "flipback", "platform")),
            target=str(required(values, "flipback", "target")),
            timeout_s=number(values, "flipback", "timeout"),
            lock_dir=str(required(values, "flipback", "lock-dir")),
            namespace=str(required(values, "flipback", "namespace")),
            approval_severity=str(required(values, "flipback", "approval-severity")),
        )


@dataclass(frozen=True)
class PlatformTarget:
    """What the platform acts on: a helm release, a rollout, an Argo CD app, or the GitHub
    repository and environment (GitHub keeps the user's environment name, e.g. production)."""

    release: str
    namespace: str
    rollout: str
    app: str
    repository: str
    environment: str


@dataclass(frozen=True)
class FlipbackRequest:
    mode: str  # plan | execute
    settings: FlipbackSettings
    env: str | None
    service: str | None
    target: PlatformTarget
    deploys: str | None  # the deploy log: history (when the platform keeps none) and record
    ledger: str | None  # gate failures are read from it, the flipback is appended
    verify: VerifySettings  # known-good candidates' bundles must verify (when configured)
    announcement: Channels
    author: str
    now: datetime
    # where the deploy log and the ledger live: the data branch, or None for local paths
    state: StateLocation | None = None


@dataclass
class Planned:
    """A plan and the platform it is for; `report` is the result document's `flipback`."""

    platform: Any
    plan: Any
    report: dict[str, Any]


@contextlib.contextmanager
def env_lock(directory: str, env: str | None, service: str | None) -> Iterator[Path]:
    """One flipback at a time per env×service on this machine (workflows add `concurrency:`)."""
    from lumen.fileio import file_in

    # env and service come from flags: confined to `directory` whatever they hold.
    path = file_in(directory, "flipback", env or "any", service or "any", suffix=".lock")
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


def platform_for(request: FlipbackRequest) -> Any:
    from lumen.flipback import platforms as p

    name = request.settings.platform
    timeout = request.settings.timeout_s
    target = request.target
    if name == "helm":
        return p.Helm(timeout_s=timeout, release=target.release, namespace=target.namespace)
    if name == "argo-rollouts":
        return p.ArgoRollouts(timeout_s=timeout, rollout=target.rollout, namespace=target.namespace)
    if name == "argocd":
        return p.ArgoCD(timeout_s=timeout, app=target.app)
    if name == "github":
        from lumen.flipback.github_platform import GitHubDeployments

        return GitHubDeployments(
            timeout_s=timeout,
            repository=target.repository,
            environment=target.environment,
            service=request.service or "",
        )
    return p.Platform(timeout_s=timeout)


def _history_from_log(
    path: str | None, env: str | None, service: str | None, state: StateLocation | None
) -> list[Any]:
    from lumen.sources.deploys import load_deploy_events
    from lumen.statefiles import readable
    from release.flipback import Outcome

    if not path:
        raise UsageError("this platform keeps no history of its own: give --deploys PATH")
    with readable(path, state) as local:
        if not os.path.exists(local):
            return []
        events = [
            e
            for e in load_deploy_events(local)
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


def _gate_failures(
    ledger: str | None, env: str | None, service: str | None, state: StateLocation | None
) -> dict[str, str]:
    from lumen.ledger import iter_entries
    from lumen.statefiles import readable
    from release.flipback import gate_failures

    if not ledger:
        return {}
    with readable(ledger, state) as local:
        if not os.path.exists(local):
            return {}
        entries = (entry for _, entry in iter_entries(local))
        return gate_failures(entries, env=env, service=service)


def _signature_checker(settings: VerifySettings) -> Callable[[Any], bool | None] | None:
    """A bundle check under the `verify:` identity policy, or None (not configured)."""
    if not settings.configured:
        return None

    def check(outcome: Any) -> bool | None:
        from lumen.app.signing import verify_files

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


def plan(request: FlipbackRequest, requested: str | None) -> Planned:
    """The target and the steps that would reach it (changes nothing). `requested` is the
    --target flag (else the settings' target)."""
    from release.flipback import choose_target

    platform = platform_for(request)
    history = platform.history()
    if history is None:
        history = _history_from_log(request.deploys, request.env, request.service, request.state)
    chosen = choose_target(
        history,
        requested=requested or request.settings.target,
        gate_failed=_gate_failures(request.ledger, request.env, request.service, request.state),
        signature_ok=_signature_checker(request.verify),
    )
    steps = [] if not chosen.actionable else platform.steps(chosen)
    report: dict[str, Any] = {
        "mode": request.mode,
        "platform": platform.name,
        "env": request.env,
        "service": request.service,
        "current": chosen.current,
        "target": chosen.target,
        "nothing_to_do": chosen.nothing_to_do,
        "reason": chosen.reason,
        "skipped": [{"version": s.version, "reason": s.reason} for s in chosen.skipped],
        "steps": steps,
        "executed": False,
        "result": None,
    }
    return Planned(platform, chosen, report)


def execute(planned: Planned, request: FlipbackRequest) -> None:
    """Change the platform, then record (and announce) the flipback whatever the outcome; a
    platform failure is raised after it is recorded."""
    report = planned.report
    try:
        planned.platform.execute(planned.plan)
    except SourceError as exc:
        report.update(executed=True, result="failure", error=str(exc))
        _record(request, planned)
        raise
    report.update(executed=True, result="success")
    _record(request, planned)


def _record(request: FlipbackRequest, planned: Planned) -> None:
    """A flipback deploy event, a ledger entry and the announcement."""
    from gates.timeutil import format_timestamp
    from lumen.statefiles import append_records

    report, chosen = planned.report, planned.plan
    ts = format_timestamp(request.now)
    event = {
        "ts": ts,
        "env": request.env or "unknown",
        "service": request.service or "unknown",
        "action": "flipback",
        "version": chosen.target,
        "result": report["result"],
        "author": request.author,
        "notes": f"flipback from {chosen.current} on {report['platform']}"
        + (f": {report['error']}" if report.get("error") else ""),
    }
    if chosen.target_outcome is not None and chosen.target_outcome.commit:
        event["commit"] = chosen.target_outcome.commit
    entry = {
        "type": "flipback",
        "ts": ts,
        "env": request.env,
        "service": request.service,
        "platform": report["platform"],
        "from": chosen.current,
        "to": chosen.target,
        "result": report["result"],
        "error": report.get("error"),
    }
    # The deploy event and the ledger entry: local appends, or one commit on the data branch.
    head = append_records(
        request.state,
        lines={request.deploys: json.dumps(event, separators=(",", ":"))}
        if request.deploys
        else None,
        ledger=(request.ledger, entry) if request.ledger else None,
        message=f"lumen flipback: {chosen.current} -> {chosen.target} of "
        f"{event['service']} in {event['env']} ({report['result']})",
    )
    if head is not None:
        report["ledger_head"] = head
    if request.announcement:
        _announce(request.announcement, report)


def _announce(channels: Channels, report: dict[str, Any]) -> None:
    from lumen.app.notify import post_card

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

    def warn(_channel: str, exc: SourceError) -> None:
        print(f"warning: {exc}")  # the flipback happened; a failed announcement says so

    for _delivered in post_card(channels, result, on_error=warn):
        pass
