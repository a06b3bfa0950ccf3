"""`lumen approval` against the GitHub double: reviews, teams, pagination, deployment reviews."""

from __future__ import annotations

import json

import pytest

from lumen.cli import main

REPO = "octo-org/app"


@pytest.fixture
def gh(github_env, monkeypatch):
    monkeypatch.setenv("LUMEN_GITHUB_WRITE_INTERVAL", "0")
    github_env.state.add_pull("Risky change", repo=REPO, number=3, user="author")
    github_env.state.add_team("octo-org", "release-managers", ["tina", "tom"])
    return github_env


def run(tmp_path, *extra: str) -> tuple[int, dict]:
    out = tmp_path / "approval.json"
    code = main(["approval", "--pr", "3", "--json", str(out), *extra])
    return code, (json.loads(out.read_text()) if out.exists() else {})


def test_quorum_met_by_user_and_team_member(gh, tmp_path) -> None:
    gh.state.add_review(3, "alice", "APPROVED", repo=REPO)
    gh.state.add_review(3, "tina", "APPROVED", repo=REPO)
    code, doc = run(
        tmp_path, "--allowlist", "alice,octo-org/release-managers", "--severity", "critical"
    )
    assert code == 0 and doc["verdict"] == "PASS"
    assert doc["approval"]["approved_by"] == ["alice", "tina"]
    assert doc["approval"]["required"] == 2


def test_one_short_and_non_member_ignored(gh, tmp_path) -> None:
    gh.state.add_review(3, "tina", "APPROVED", repo=REPO)
    gh.state.add_review(3, "outsider", "APPROVED", repo=REPO)
    code, doc = run(tmp_path, "--allowlist", "octo-org/release-managers", "--severity", "critical")
    assert code == 2 and doc["verdict"] == "FAIL"
    assert doc["approval"]["ignored"] == [{"user": "outsider", "reason": "not on the allowlist"}]
    assert doc["checks"][0]["reason"] == "1 of 2 required approvals (tina)"


def test_blocked_by_changes_requested(gh, tmp_path) -> None:
    gh.state.add_review(3, "alice", "APPROVED", repo=REPO)
    gh.state.add_review(3, "tom", "CHANGES_REQUESTED", repo=REPO)
    code, doc = run(tmp_path, "--allowlist", "alice", "--allowlist", "octo-org/release-managers")
    assert code == 2
    assert doc["approval"]["changes_requested_by"] == ["tom"]


def test_stale_review_ignored_with_dismiss_stale(gh, tmp_path) -> None:
    old = gh.state.add_commit("old", repo=REPO)
    gh.state.add_review(3, "alice", "APPROVED", repo=REPO, commit_id=old)
    assert run(tmp_path, "--allowlist", "alice")[0] == 0
    code, doc = run(tmp_path, "--allowlist", "alice", "--dismiss-stale")
    assert code == 2
    assert doc["approval"]["ignored"][0]["reason"].startswith("review of an outdated commit")


def test_pagination_of_reviews(gh, tmp_path) -> None:
    for i in range(130):
        gh.state.add_review(3, f"user{i}", "COMMENTED", repo=REPO)
    gh.state.add_review(3, "alice", "APPROVED", repo=REPO)  # the 131st review, on page 2
    code, doc = run(tmp_path, "--allowlist", "alice")
    assert code == 0 and doc["approval"]["approved_by"] == ["alice"]
    assert gh.count("GET", "/repos/*/pulls/3/reviews") == 2


def test_team_lookups_are_cached(gh, tmp_path) -> None:
    for user in ("tina", "tom"):
        gh.state.add_review(3, user, "APPROVED", repo=REPO)
    assert (
        run(tmp_path, "--allowlist", "octo-org/release-managers", "--severity", "critical")[0] == 0
    )
    assert gh.count("GET", "/orgs/*/teams/release-managers/memberships/*") == 2
    assert gh.count("GET", "/orgs/*/teams/release-managers") <= 3


def test_token_without_read_org_names_the_permission(gh, tmp_path, monkeypatch, capsys) -> None:
    gh.state.add_review(3, "tina", "APPROVED", repo=REPO)
    monkeypatch.setenv("GITHUB_TOKEN", gh.add_token("ghs_noOrg", read_org=False))
    code, _ = run(tmp_path, "--allowlist", "octo-org/release-managers")
    assert code == 1
    assert "read:org" in capsys.readouterr().err


def test_deployment_review_mode(gh, tmp_path) -> None:
    run_ = gh.state.add_workflow_run("deploy", repo=REPO)
    gh.state.add_pending_deployment(run_.id, "production", ["alice"], repo=REPO)
    gh.state.add_environment_approval(run_.id, "alice", "approved", ["production"], repo=REPO)
    gh.state.add_environment_approval(run_.id, "bob", "approved", ["staging"], repo=REPO)
    out = tmp_path / "a.json"
    code = main(
        [
            "approval",
            "--environment",
            "production",
            "--run-id",
            str(run_.id),
            "--allowlist",
            "alice,bob",
            "--json",
            str(out),
        ]
    )
    assert code == 0
    assert json.loads(out.read_text())["approval"]["approved_by"] == ["alice"]


def test_ledger_records_the_decision(gh, tmp_path) -> None:
    gh.state.add_review(3, "alice", "APPROVED", repo=REPO)
    ledger = tmp_path / "ledger.jsonl"
    code, doc = run(tmp_path, "--allowlist", "alice", "--ledger", str(ledger))
    assert code == 0
    entry = json.loads(ledger.read_text().splitlines()[-1])
    assert entry["gate"] == "approval" and entry["result"]["approval"]["approved_by"] == ["alice"]
    assert doc["ledger_head"]


def test_no_allowlist_is_a_usage_error(gh, tmp_path, capsys) -> None:
    assert run(tmp_path)[0] == 1
    assert "no allowlist" in capsys.readouterr().err
