"""Flipback decisions (docs/reference.md#flipback): which version is the last known-good one, and is
there anything to do? Plain data in, a plan out; running helm/kubectl/argocd or calling GitHub is
the adapters' business.

The history is a list of deploy outcomes for one env×service, oldest first. "Current" is the
version of the newest outcome (what was last rolled out, healthy or not). The target is the
newest earlier version that deployed successfully, did not fail a gate, was not itself flipped
away from, and — when it carries a signature — whose signature verifies.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

DEPLOY_ACTIONS = ("deploy", "rollback", "flipback")


@dataclass(frozen=True)
class Outcome:
    """One deploy outcome of the history (from the deploy log, GitHub or a platform)."""

    version: str
    ts: str
    action: str = "deploy"  # deploy | rollback | flipback
    ok: bool = True
    commit: str | None = None
    digest: str | None = None
    bundle: str | None = None
    ref: str | None = None  # what a platform deploys: a git ref, a helm revision, …


@dataclass(frozen=True)
class Skipped:
    version: str
    reason: str


@dataclass(frozen=True)
class Plan:
    current: str | None
    target: str | None
    target_outcome: Outcome | None
    skipped: tuple[Skipped, ...]
    nothing_to_do: bool = False
    reason: str = ""
    steps: tuple[str, ...] = field(default_factory=tuple)

    @property
    def actionable(self) -> bool:
        return self.target is not None and not self.nothing_to_do


def choose_target(
    history: Sequence[Outcome],
    *,
    requested: str = "previous",
    gate_failed: Mapping[str, str] | None = None,
    signature_ok: Callable[[Outcome], bool | None] | None = None,
) -> Plan:
    """The plan for one env×service.

    `gate_failed` maps a version to the gate it failed (from the ledger). `signature_ok` says
    whether an outcome's bundle verifies (None: it has no signature to check).
    """
    failed_gates = dict(gate_failed or {})
    if not history:
        return Plan(None, None, None, (), reason="no deploys recorded for this env and service")
    current = history[-1]
    flipped_from = _flipped_away_from(history)
    if requested == "previous" and current.action in ("rollback", "flipback") and current.ok:
        return Plan(
            current.version,
            current.version,
            current,
            (),
            nothing_to_do=True,
            reason=f"already flipped back to {current.version} ({current.action} at "
            f"{current.ts}); nothing to do",
        )
    if requested == current.version and current.ok:
        return Plan(
            current.version,
            current.version,
            current,
            (),
            nothing_to_do=True,
            reason=f"already on {current.version}; nothing to do",
        )
    skipped: list[Skipped] = []
    seen: set[str] = set()
    for outcome in reversed(history[:-1]):
        version = outcome.version
        if version in seen:
            continue
        if requested not in ("previous", version):
            continue
        reason = _rejection(outcome, current, failed_gates, flipped_from, signature_ok)
        if reason:
            skipped.append(Skipped(version, reason))
            seen.add(version)
            continue
        return Plan(
            current.version,
            version,
            outcome,
            tuple(skipped),
            reason=f"{version} is the last known-good version before {current.version}",
        )
    if requested == "previous":
        why = f"no known-good version before {current.version}"
    else:
        why = f"{requested} is not a known-good version before {current.version}"
    return Plan(current.version, None, None, tuple(skipped), reason=f"no flipback target: {why}")


def _rejection(
    outcome: Outcome,
    current: Outcome,
    failed_gates: Mapping[str, str],
    flipped_from: set[str],
    signature_ok: Callable[[Outcome], bool | None] | None,
) -> str | None:
    if outcome.version == current.version:
        return "it is the current version"
    if not outcome.ok:
        return f"its {outcome.action} at {outcome.ts} failed"
    if outcome.version in failed_gates:
        return f"it failed the {failed_gates[outcome.version]} gate (ledger)"
    if outcome.version in flipped_from:
        return "it was flipped back from before"
    if signature_ok is not None and outcome.bundle:
        verdict = signature_ok(outcome)
        if verdict is False:
            return "its signature does not verify"
    return None


def _flipped_away_from(history: Sequence[Outcome]) -> set[str]:
    """Versions that were live when a rollback or flipback moved away from them."""
    out: set[str] = set()
    for before, after in itertools.pairwise(history):
        if (
            after.action in ("rollback", "flipback")
            and after.ok
            and before.version != after.version
        ):
            out.add(before.version)
    return out


def gate_failures(
    entries: Iterable[Mapping[str, object]], *, env: str | None, service: str | None
) -> dict[str, str]:
    """version -> gate, for ledger gate entries that FAILed for this env×service and name a
    version (`inputs.version`, or the result's `version`)."""
    failed: dict[str, str] = {}
    for entry in entries:
        if entry.get("type") != "gate" or entry.get("verdict") != "FAIL":
            continue
        if env and entry.get("env") not in (None, env):
            continue
        if service and entry.get("service") not in (None, service):
            continue
        result = entry.get("result")
        version = None
        if isinstance(result, Mapping):
            inputs = result.get("inputs")
            if isinstance(inputs, Mapping):
                version = inputs.get("version")
            version = version or result.get("version")
        if isinstance(version, str) and version:
            failed.setdefault(version, str(entry.get("gate")))
    return failed
