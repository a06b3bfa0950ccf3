"""Flipback on GitHub Deployments against the double, and --require-approval."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lumen.cli import main

REPO = "octo-org/app"


@pytest.fixture
def gh(github_env, monkeypatch):
    monkeypatch.setenv("LUMEN_GITHUB_WRITE_INTERVAL", "0")
    state = github_env.state
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    shas = [state.add_commit(f"release {i}", repo=REPO) for i in range(3)]
    ids = []
    for i, sha in enumerate(shas):
        dep = state.add_deployment(
            repo=REPO,
            sha=sha,
            ref=sha,
            environment="production",
            created_at=t0 + timedelta(days=i),
            task="deploy",
        )
        state.add_deployment_status(
            dep.id,
            "success" if i != 1 else "failure",
            repo=REPO,
            created_at=t0 + timedelta(days=i, minutes=5),
        )
        ids.append(dep.id)
    github_env.shas, github_env.ids = shas, ids
    return github_env


def test_github_plan_and_execute(gh, tmp_path, capsys) -> None:
    common = [
        "flipback",
        "--platform",
        "github",
        "--env",
        "production",
        "--lock-dir",
        str(tmp_path / "l"),
    ]
    assert main([*common, "plan"]) == 0
    out = capsys.readouterr().out
    shas = [sha[:12] for sha in gh.shas]  # GitHub deployments of a bare SHA show its short form
    assert f"current: {shas[2]}" in out and f"target:  {shas[0]}" in out
    assert f"skipped {shas[1]}: its deploy" in out
    assert gh.count("POST", "/repos/*") == 0  # plan changes nothing (GraphQL reads are POSTs)
    assert main([*common, "execute", "--confirm", "yes"]) == 0
    repo = gh.state.repo(REPO)
    newest = max(repo.deployments.values(), key=lambda d: d.id)
    assert (
        newest.task == "flipback"
        and newest.sha == gh.shas[0]
        and newest.environment == "production"
    )
    assert [s.state for s in newest.statuses] == ["in_progress", "success"]
    replaced = repo.deployments[gh.ids[2]]
    assert replaced.statuses[-1].state == "inactive"
    posts = gh.count("POST", "/repos/*")
    assert main([*common, "execute", "--confirm", "yes"]) == 0  # idempotent
    assert "already flipped back" in capsys.readouterr().out
    assert gh.count("POST", "/repos/*") == posts


def test_require_approval_refuses_without_quorum_and_proceeds_with_it(gh, tmp_path, capsys) -> None:
    gh.state.add_pull("Flip back", repo=REPO, number=5, user="oncall")
    gh.state.add_review(5, "alice", "APPROVED", repo=REPO)
    common = [
        "flipback",
        "execute",
        "--confirm",
        "yes",
        "--platform",
        "github",
        "--env",
        "production",
        "--lock-dir",
        str(tmp_path / "l"),
        "--require-approval",
        "--pr",
        "5",
        "--allowlist",
        "alice,bob",
    ]
    posts = gh.count("POST", "/repos/*")
    assert main(common) == 1
    err = capsys.readouterr().err
    assert "flipback refused: approval quorum not met (1 of 2 required approvals (alice))" in err
    assert gh.count("POST", "/repos/*") == posts
    gh.state.add_review(5, "bob", "APPROVED", repo=REPO)
    assert main(common) == 0
    assert any(d.task == "flipback" for d in gh.state.repo(REPO).deployments.values())
