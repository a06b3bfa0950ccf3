"""PRs are selected by history, not by merge date (both modes), against the GitHub double: a PR
merged into another branch stays out, a backport merged into the release branch is in."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lumen.cli import main

REPO = "octo-org/app"
T0 = datetime(2026, 2, 1, tzinfo=UTC)
CONFIG = """\
template: |
  $CHANGES
categories:
  - title: Fixes
    labels: [bug]
  - title: Features
    labels: [feature]
name-template: v$RESOLVED_VERSION
tag-template: v$RESOLVED_VERSION
"""


@pytest.fixture
def branches(github_env):
    """v1.0.0 on main; release/1.x and develop cut from it; a feature and a fix on main, a
    feature on develop, and the fix backported to release/1.x (all merged after the tag)."""
    state = github_env.state
    tag_sha = state.add_commit("release 1.0.0", repo=REPO, date=T0)
    state.add_tag("v1.0.0", tag_sha, repo=REPO)
    state.add_release("v1.0.0", repo=REPO, target_commitish=tag_sha, created_at=T0)
    state.add_branch("release/1.x", tag_sha, repo=REPO)
    state.add_branch("develop", tag_sha, repo=REPO)
    numbers = {
        "main-feature": state.add_pull(
            "Add widgets",
            repo=REPO,
            user="alice",
            labels=["feature"],
            merged_at=T0 + timedelta(days=1),
        ).number,
        "develop-feature": state.add_pull(
            "Add gadgets",
            repo=REPO,
            user="bob",
            labels=["feature"],
            base="develop",
            merged_at=T0 + timedelta(days=2),
        ).number,
        "main-fix": state.add_pull(
            "Fix the crash",
            repo=REPO,
            user="carol",
            labels=["bug"],
            merged_at=T0 + timedelta(days=2, hours=12),
        ).number,
        "backport": state.add_pull(
            "[1.x] Fix the crash",
            repo=REPO,
            user="carol",
            labels=["bug"],
            base="release/1.x",
            merged_at=T0 + timedelta(days=3),
        ).number,
    }
    return github_env, numbers


def _run(tmp_path: Path, *argv: str) -> tuple[dict, str]:
    out, meta = tmp_path / "notes.md", tmp_path / "notes.json"
    assert main(["notes", *argv, "--output", str(out), "--json", str(meta), "--quiet"]) == 0
    return json.loads(meta.read_text()), out.read_text()


def test_drafter_mode_release_branch_gets_only_its_backport(branches, tmp_path) -> None:
    _, numbers = branches
    config = tmp_path / "release-drafter.yml"
    config.write_text(CONFIG)
    doc, body = _run(
        tmp_path, "--drafter-config", str(config), "--github", REPO, "--target", "release/1.x"
    )
    assert body == f"## Fixes\n\n* [1.x] Fix the crash (#{numbers['backport']}) @carol\n"
    assert doc["pull_requests"] == [numbers["backport"]]
    assert (doc["name"], doc["tag_name"], doc["previous_tag"]) == ("v1.0.1", "v1.0.1", "v1.0.0")
    assert doc["target_commitish"] == "release/1.x"


def test_drafter_mode_main_gets_neither_develop_nor_the_backport(branches, tmp_path) -> None:
    _, numbers = branches
    config = tmp_path / "release-drafter.yml"
    config.write_text(CONFIG)
    doc, body = _run(
        tmp_path, "--drafter-config", str(config), "--github", REPO, "--target", "main"
    )
    assert sorted(doc["pull_requests"]) == sorted([numbers["main-feature"], numbers["main-fix"]])
    assert "Add gadgets" not in body and "[1.x]" not in body


def test_lumen_mode_selects_by_history_too(branches, tmp_path) -> None:
    _, numbers = branches
    doc, body = _run(
        tmp_path, "--github", REPO, "--target", "release/1.x", "--previous-tag", "v1.0.0"
    )
    assert [n for section in doc["sections"].values() for n in section] == [numbers["backport"]]
    assert "Add widgets" not in body and "Add gadgets" not in body


def test_drafter_mode_500_prs_in_at_most_10_requests(github_env, tmp_path) -> None:
    state = github_env.state
    tag_sha = state.add_commit("release 1.0.0", repo=REPO, date=T0)
    state.add_tag("v1.0.0", tag_sha, repo=REPO)
    state.add_release("v1.0.0", repo=REPO, target_commitish=tag_sha, created_at=T0)
    for i in range(500):
        state.add_pull(
            f"Change {i}",
            repo=REPO,
            user=["dave", "erin"][i % 2],
            labels=["bug"] if i % 3 else ["feature"],
            merged_at=T0 + timedelta(minutes=5 + i),
        )
    config = tmp_path / "release-drafter.yml"
    config.write_text(CONFIG)
    github_env.reset_log()
    doc, _ = _run(tmp_path, "--drafter-config", str(config), "--github", REPO, "--target", "main")
    requests = [(r.method, r.path) for r in github_env.requests]
    # 1 release page (REST) and 5 comparison pages of 100 commits (GraphQL)
    assert len(requests) <= 10, requests
    assert sum(1 for r in requests if r == ("POST", "/graphql")) == 5
    assert len(doc["pull_requests"]) == 500
    assert doc["tag_name"] == "v1.0.1"


def test_drafter_mode_unknown_target_is_one_clear_error(github_env, tmp_path, capsys) -> None:
    state = github_env.state
    tag_sha = state.add_commit("release 1.0.0", repo=REPO, date=T0)
    state.add_tag("v1.0.0", tag_sha, repo=REPO)
    state.add_release("v1.0.0", repo=REPO, target_commitish=tag_sha, created_at=T0)
    config = tmp_path / "release-drafter.yml"
    config.write_text(CONFIG)
    github_env.reset_log()
    argv = ["notes", "--drafter-config", str(config), "--github", REPO]
    assert main([*argv, "--target", "no-such-branch"]) == 1
    err = capsys.readouterr().err
    assert "refused to compare refs/tags/v1.0.0...no-such-branch in octo-org/app" in err
    assert "Could not resolve to a commit" in err and "Traceback" not in err
    assert sum(1 for r in github_env.requests if (r.method, r.path) == ("POST", "/graphql")) == 1


def test_drafter_mode_release_without_its_tag_is_an_input_error(
    github_env, tmp_path, capsys
) -> None:
    """The last release names a tag since deleted: the comparison's base ref is missing, which
    the first page says; nothing more is requested."""
    state = github_env.state
    tag_sha = state.add_commit("release 1.0.0", repo=REPO, date=T0)
    state.add_release("v1.0.0", repo=REPO, target_commitish=tag_sha, created_at=T0)
    del state.repo(REPO).refs["tags/v1.0.0"]
    config = tmp_path / "release-drafter.yml"
    config.write_text(CONFIG)
    github_env.reset_log()
    argv = ["notes", "--drafter-config", str(config), "--github", REPO, "--target", "main"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "cannot compare refs/tags/v1.0.0...main in octo-org/app" in err
    assert "ref or comparison not found" in err and "Traceback" not in err
    assert sum(1 for r in github_env.requests if (r.method, r.path) == ("POST", "/graphql")) == 1
