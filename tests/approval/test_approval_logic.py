"""Quorum decisions on plain data (docs/reference.md#approval)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gates.approval import Review, decide_quorum, latest_decisive, required_for
from gates.result import Verdict
from lumen.config import Config, shipped_defaults

ROOT = Path(__file__).resolve().parents[2]

ALLOWED = {"alice", "bob", "carol"}


def allowed(login: str) -> bool:
    return login.lower() in ALLOWED


def r(user: str, state: str, at: str, commit: str = "head") -> Review:
    return Review(user, state, commit, at)


def test_latest_decisive_review_wins_and_comments_do_not_withdraw() -> None:
    reviews = [
        r("alice", "CHANGES_REQUESTED", "2026-01-01T00:00:00Z"),
        r("alice", "APPROVED", "2026-01-02T00:00:00Z"),
        r("alice", "COMMENTED", "2026-01-03T00:00:00Z"),
    ]
    assert latest_decisive(reviews)["alice"].state == "APPROVED"


def test_quorum_met_and_one_short() -> None:
    reviews = [r("alice", "APPROVED", "1"), r("bob", "APPROVED", "2")]
    assert decide_quorum(reviews, allowed=allowed, required=2).verdict is Verdict.PASS
    short = decide_quorum(reviews[:1], allowed=allowed, required=2)
    assert short.verdict is Verdict.FAIL
    assert short.checks[0].reason == "1 of 2 required approvals (alice)"


def test_changes_requested_by_allowlisted_blocks_even_with_quorum() -> None:
    reviews = [
        r("alice", "APPROVED", "1"),
        r("bob", "APPROVED", "2"),
        r("carol", "CHANGES_REQUESTED", "3"),
    ]
    decision = decide_quorum(reviews, allowed=allowed, required=2)
    assert decision.verdict is Verdict.FAIL
    assert decision.blocked_by == ("carol",)
    assert decision.checks[1].key


def test_changes_requested_by_outsider_does_not_block() -> None:
    reviews = [
        r("alice", "APPROVED", "1"),
        r("mallory", "CHANGES_REQUESTED", "2"),
        r("eve", "APPROVED", "3"),
    ]
    decision = decide_quorum(reviews, allowed=allowed, required=1)
    assert decision.verdict is Verdict.PASS
    assert {(i.user, i.reason) for i in decision.ignored} == {
        ("mallory", "not on the allowlist"),
        ("eve", "not on the allowlist"),
    }


def test_stale_reviews_ignored_only_with_dismiss_stale() -> None:
    reviews = [r("alice", "APPROVED", "1", commit="old"), r("bob", "APPROVED", "2", commit="new")]
    assert (
        decide_quorum(reviews, allowed=allowed, required=2, head_sha="new").verdict is Verdict.PASS
    )
    decision = decide_quorum(
        reviews, allowed=allowed, required=2, head_sha="new", dismiss_stale=True
    )
    assert decision.verdict is Verdict.FAIL
    assert decision.ignored[0].reason == "review of an outdated commit old"


def test_author_and_dismissed_reviews_do_not_count() -> None:
    reviews = [r("alice", "APPROVED", "1"), r("bob", "APPROVED", "2"), r("bob", "DISMISSED", "3")]
    decision = decide_quorum(reviews, allowed=allowed, required=1, author="alice")
    assert decision.verdict is Verdict.FAIL
    assert [i.reason for i in decision.ignored] == [
        "the pull request's author cannot approve it",
        "review dismissed",
    ]


def test_required_by_severity() -> None:
    shipped = shipped_defaults("approval")["min"]
    assert required_for("normal", shipped) == 1
    assert required_for("critical", shipped) == 2
    configured = Config({"approval": {"min": {"critical": 3}}}).section("approval")["min"]
    assert required_for("critical", configured) == 3
    assert required_for("normal", configured) == 1  # what the config does not set stays
    assert required_for("normal", shipped, 4) == 4
    with pytest.raises(ValueError):
        required_for("urgent", shipped)


def test_the_quorum_is_written_once_in_policy_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Changing approval.min in policy/defaults changes the quorum the gate asks for and the
    --help text (the docs' tables are generated from the same file: tests/docs)."""
    from lumen.cli import build_parser, subparser
    from lumen.commands.options import approval_request

    defaults = tmp_path / "defaults"
    shutil.copytree(ROOT / "policy" / "defaults", defaults)
    text = (defaults / "approval.yml").read_text(encoding="utf-8")
    assert "critical: 2" in text
    (defaults / "approval.yml").write_text(text.replace("critical: 2", "critical: 3"), "utf-8")
    monkeypatch.setattr("lumen.config.defaults_dir", lambda: defaults)
    monkeypatch.setattr("lumen.settings.defaults_dir", lambda: defaults)
    monkeypatch.chdir(tmp_path)
    parser = build_parser("approval")
    request = approval_request(parser.parse_args(["approval", "--severity", "critical"]))
    assert required_for(request.severity, request.quorum) == 3
    assert "critical: 3" in " ".join(subparser(parser, "approval").format_help().split())


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["alice", "bob", "carol", "eve"]),
            st.sampled_from(["APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED"]),
        ),
        max_size=12,
    ),
    st.integers(min_value=0, max_value=4),
)
def test_quorum_properties(events: list[tuple[str, str]], required: int) -> None:
    reviews = [r(user, state, f"{i:03d}") for i, (user, state) in enumerate(events)]
    decision = decide_quorum(reviews, allowed=allowed, required=required)
    assert len(decision.approved_by) == len(set(decision.approved_by))  # one vote per person
    assert set(decision.approved_by) <= ALLOWED
    assert not set(decision.approved_by) & set(decision.blocked_by)
    expected = len(decision.approved_by) >= required and not decision.blocked_by
    assert (decision.verdict is Verdict.PASS) == expected
