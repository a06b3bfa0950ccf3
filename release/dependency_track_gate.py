"""Dependency-Track's findings as gate checks: vulnerability counts by severity and policy
violations by state, each against its limit (`max-critical: 0` …, policy/defaults/sbom.yml).

A limit of None is not checked. A count above its limit FAILs (a key check: the release stops);
at or below, PASS. Policy violations in state FAIL name the policies and components that broke.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from gates.result import Check, Verdict

SEVERITIES = ("critical", "high", "medium", "low", "unassigned")
STATES = ("FAIL", "WARN", "INFO")
# config key → (what is counted, where)
LIMITS = {
    **{f"max-{s}": ("severity", s) for s in SEVERITIES},
    **{f"max-policy-{s.lower()}": ("policy", s) for s in STATES},
}


def findings_checks(
    severities: Mapping[str, int],
    violations: Mapping[str, int],
    limits: Mapping[str, int | None],
    *,
    violation_list: Sequence[Mapping[str, Any]] = (),
) -> list[Check]:
    checks = []
    for key, (kind, which) in LIMITS.items():
        limit = limits.get(key)
        if limit is None:
            continue
        count = severities.get(which, 0) if kind == "severity" else violations.get(which, 0)
        over = count > limit
        if kind == "severity":
            reason = f"{count} {which} vulnerabilit{'y' if count == 1 else 'ies'}, at most {limit}"
        else:
            plural = "" if count == 1 else "s"
            reason = f"{count} policy violation{plural} in state {which}, at most {limit}"
            broken = [v for v in violation_list if _state(v) == which]
            if over and broken:
                reason += ": " + "; ".join(_describe(v) for v in broken[:5])
                if len(broken) > 5:
                    reason += f"; and {len(broken) - 5} more"
        checks.append(
            Check(
                f"dependency-track:{key.removeprefix('max-')}",
                count,
                "<=",
                limit,
                Verdict.FAIL if over else Verdict.PASS,
                reason,
                key=True,
            )
        )
    return checks


def _state(violation: Mapping[str, Any]) -> str:
    policy = ((violation.get("policyCondition") or {}).get("policy")) or {}
    return str(policy.get("violationState") or "")


def _describe(violation: Mapping[str, Any]) -> str:
    policy = ((violation.get("policyCondition") or {}).get("policy")) or {}
    component = violation.get("component") or {}
    name = f"{component.get('name', '?')} {component.get('version', '')}".strip()
    return f"{policy.get('name', '?')} ({violation.get('type', '?')}) on {name}"
