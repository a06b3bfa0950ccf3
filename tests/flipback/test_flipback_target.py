"""Target selection on plain data (release/flipback.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from release.flipback import Outcome, choose_target, gate_failures


def o(
    version: str, day: int, *, ok: bool = True, action: str = "deploy", bundle: str | None = None
) -> Outcome:
    return Outcome(
        version=version, ts=f"2026-11-{day:02d}T00:00:00Z", action=action, ok=ok, bundle=bundle
    )


def test_previous_good_version() -> None:
    plan = choose_target([o("v1", 1), o("v2", 2), o("v3", 3)])
    assert (plan.current, plan.target) == ("v3", "v2")
    assert plan.actionable and plan.skipped == ()


def test_failed_deploy_and_gate_failed_versions_are_skipped_with_reasons() -> None:
    history = [o("v1", 1), o("v2", 2), o("v3", 3, ok=False), o("v4", 4)]
    plan = choose_target(history, gate_failed={"v2": "integrated"})
    assert plan.target == "v1"
    assert [(s.version, s.reason) for s in plan.skipped] == [
        ("v3", "its deploy at 2026-11-03T00:00:00Z failed"),
        ("v2", "it failed the integrated gate (ledger)"),
    ]


def test_a_failed_current_deploy_flips_to_the_last_good() -> None:
    plan = choose_target([o("v1", 1), o("v2", 2, ok=False)])
    assert (plan.current, plan.target) == ("v2", "v1")


def test_same_version_redeployed_is_not_a_target() -> None:
    plan = choose_target([o("v1", 1), o("v2", 2), o("v2", 3)])
    assert plan.target == "v1"
    assert plan.skipped[0].reason == "it is the current version"


def test_nothing_to_flip_back_to() -> None:
    assert choose_target([]).target is None
    plan = choose_target([o("v1", 1, ok=False), o("v2", 2)])
    assert plan.target is None and not plan.actionable
    assert plan.reason == "no flipback target: no known-good version before v2"


def test_after_a_flipback_there_is_nothing_to_do() -> None:
    history = [o("v1", 1), o("v2", 2), o("v1", 3, action="flipback")]
    plan = choose_target(history)
    assert plan.nothing_to_do and not plan.actionable and plan.target == "v1"


def test_version_flipped_away_from_is_never_a_target_again() -> None:
    history = [o("v1", 1), o("v2", 2), o("v1", 3, action="flipback"), o("v3", 4)]
    plan = choose_target(history)
    assert plan.target == "v1"
    assert ("v2", "it was flipped back from before") not in [
        (s.version, s.reason) for s in plan.skipped
    ]
    history = [
        o("v1", 1),
        o("v2", 2),
        o("v3", 3, action="rollback"),
        o("v4", 4),
        o("v5", 5, ok=False),
    ]
    plan = choose_target(history, gate_failed={"v4": "slo"})
    assert plan.target == "v3"


def test_explicit_target() -> None:
    history = [o("v1", 1), o("v2", 2), o("v3", 3)]
    assert choose_target(history, requested="v1").target == "v1"
    bad = choose_target(history, requested="v9")
    assert (
        bad.target is None
        and bad.reason == "no flipback target: v9 is not a known-good version before v3"
    )
    assert choose_target(history, requested="v3").nothing_to_do


def test_signature_that_does_not_verify_is_skipped() -> None:
    history = [
        o("v1", 1, bundle="v1.sigstore.json"),
        o("v2", 2, bundle="v2.sigstore.json"),
        o("v3", 3),
    ]
    plan = choose_target(history, signature_ok=lambda out: out.version != "v2")
    assert plan.target == "v1"
    assert plan.skipped[0].reason == "its signature does not verify"
    # unsigned versions are not held against: signature_ok is only asked about bundles
    assert choose_target([o("v1", 1), o("v2", 2)], signature_ok=lambda out: False).target == "v1"


def test_gate_failures_from_ledger_entries() -> None:
    entries = [
        {
            "type": "gate",
            "gate": "integrated",
            "verdict": "FAIL",
            "env": "prod",
            "service": "api",
            "result": {"inputs": {"version": "v2"}},
        },
        {
            "type": "gate",
            "gate": "integrated",
            "verdict": "FAIL",
            "env": "stage",
            "service": "api",
            "result": {"inputs": {"version": "v3"}},
        },
        {
            "type": "gate",
            "gate": "slo",
            "verdict": "PASS",
            "env": "prod",
            "result": {"version": "v4"},
        },
        {"type": "deploy"},
    ]
    assert gate_failures(entries, env="prod", service="api") == {"v2": "integrated"}


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["v1", "v2", "v3", "v4"]),
            st.booleans(),
            st.sampled_from(["deploy", "deploy", "rollback", "flipback"]),
        ),
        max_size=10,
    )
)
def test_target_properties(rows: list[tuple[str, bool, str]]) -> None:
    history = [o(v, i + 1, ok=ok, action=a) for i, (v, ok, a) in enumerate(rows)]
    plan = choose_target(history)
    if plan.actionable:
        assert plan.target != plan.current
        assert plan.target_outcome is not None and plan.target_outcome.ok
        assert plan.target_outcome in history[:-1]
