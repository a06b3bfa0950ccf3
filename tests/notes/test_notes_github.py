"""Release notes on GitHub, against the double: merged PRs in a tag range by GraphQL search,
first-timers and bots, and publishing the release idempotently with its assets
(docs/reference.md#notes)."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from lumen.cli import main

REPO = "octo-org/app"
T_TAG = datetime(2026, 2, 1, tzinfo=UTC)
T_TARGET = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def gh(github_env, monkeypatch):
    """Two PRs before v1.4.0 (by dave), PRs between v1.4.0 and the target, two after it."""
    monkeypatch.setenv("LUMEN_GITHUB_WRITE_INTERVAL", "0")
    state = github_env.state
    state.add_pull(
        "fix: old bug", repo=REPO, user="dave", labels=["bug"], merged_at=T_TAG - timedelta(days=3)
    )
    state.add_pull("feat: old feature", repo=REPO, user="dave", merged_at=T_TAG - timedelta(days=2))
    tag_sha = state.add_commit("release 1.4.0", repo=REPO, date=T_TAG)
    state.add_tag("v1.4.0", tag_sha, repo=REPO)
    state.add_release("v1.4.0", repo=REPO, target_commitish=tag_sha, published_at=T_TAG)
    github_env.tag_sha = tag_sha
    return github_env


def seed_range(state, count: int) -> str:
    """`count` PRs merged after the tag, the target commit, then two PRs after the target."""
    authors = ["dave", "erin", "dependabot[bot]"]
    for i in range(count):
        state.add_pull(
            f"fix: change {i}" if i % 7 else f"feat: feature {i}",
            repo=REPO,
            user=authors[i % 3],
            merged_at=T_TAG + timedelta(minutes=5 + i),
        )
    target = state.add_commit("cut the release", repo=REPO, date=T_TARGET)
    state.add_pull(
        "feat: too late", repo=REPO, user="frank", merged_at=T_TARGET + timedelta(hours=1)
    )
    state.add_pull(
        "fix: later still", repo=REPO, user="frank", merged_at=T_TARGET + timedelta(days=2)
    )
    return target


def run_notes(tmp_path: Path, *extra: str) -> dict:
    meta = tmp_path / "notes.json"
    rc = main(
        [
            "notes",
            "--github",
            REPO,
            "--output",
            str(tmp_path / "notes.md"),
            "--json",
            str(meta),
            *extra,
        ]
    )
    assert rc == 0
    return json.loads(meta.read_text())


def test_500_prs_between_two_tags_in_at_most_10_requests(gh, tmp_path) -> None:
    target = seed_range(gh.state, 500)
    gh.reset_log()
    doc = run_notes(tmp_path, "--target", target)
    requests = [(r.method, r.path) for r in gh.requests]
    # 3 REST reads (latest release, two commits), 6 comparison pages (501 commits: the 500
    # merges and the target), 1 batched author history
    assert len(requests) <= 10, requests
    assert sum(1 for r in requests if r == ("POST", "/graphql")) == 7
    assert doc["previous_tag"] == "v1.4.0"  # default: the latest release
    numbers = [n for section in doc["sections"].values() for n in section]
    assert len(numbers) == 500
    body = (tmp_path / "notes.md").read_text()
    assert "too late" not in body and "later still" not in body and "old bug" not in body
    assert doc["version"] == "v1.5.0"
    assert doc["bots"] == ["dependabot"]
    assert doc["contributors"] == ["dave", "erin"]
    assert doc["first_time_contributors"] == ["erin"]


def test_range_bounds_and_explicit_previous_tag(gh, tmp_path) -> None:
    """The range is the history `v1.4.0...target`: the tag's own commit is out, the target's
    own commit is in, whatever the merge times say."""
    state = gh.state
    state.add_pull(
        "fix: in the tag", repo=REPO, user="erin", merged_at=T_TAG, merge_commit_sha=gh.tag_sha
    )
    state.add_pull(
        "fix: first after", repo=REPO, user="erin", merged_at=T_TAG + timedelta(seconds=1)
    )
    pull = state.add_pull("fix: the target itself", repo=REPO, user="dave", merged_at=T_TARGET)
    assert pull.pull is not None
    target = pull.pull.merge_commit_sha
    state.add_pull(
        "fix: after the target", repo=REPO, user="dave", merged_at=T_TARGET + timedelta(seconds=1)
    )
    doc = run_notes(tmp_path, "--target", target, "--previous-tag", "v1.4.0")
    body = (tmp_path / "notes.md").read_text()
    assert "first after" in body and "the target itself" in body
    assert "in the tag" not in body and "after the target" not in body
    assert doc["version"] == "v1.4.1"
    # erin's earlier PR was merged at the tag commit: she is not new; nobody is
    assert doc["first_time_contributors"] == []


PRS = [
    {
        "number": 1,
        "title": "feat: release notes",
        "user": {"login": "alice", "type": "User"},
        "labels": [],
        "html_url": f"https://github.com/{REPO}/pull/1",
    }
]


@pytest.fixture
def offline(tmp_path: Path) -> dict[str, Path]:
    prs = tmp_path / "prs.json"
    prs.write_text(json.dumps(PRS))
    sbom = tmp_path / "sbom.cdx.json"
    sbom.write_text('{"bomFormat": "CycloneDX", "v": 1}')
    bundle = tmp_path / "sbom.cdx.json.sigstore.json"
    bundle.write_text('{"bundle": 1}')
    return {"prs": prs, "sbom": sbom, "bundle": bundle}


def publish(tmp_path: Path, files: dict[str, Path], mode: str, *extra: str) -> int:
    return main(
        [
            "notes",
            "--prs-json",
            str(files["prs"]),
            "--previous-tag",
            "v1.4.0",
            "--repository",
            REPO,
            "--asset",
            str(files["sbom"]),
            "--output",
            str(tmp_path / "notes.md"),
            "--json",
            str(tmp_path / "notes.json"),
            "--publish",
            mode,
            *extra,
        ]
    )


def releases(gh, tag: str) -> list:
    return [r for r in gh.state.repo(REPO).releases.values() if r.tag_name == tag]


@pytest.mark.parametrize("mode", ["draft", "prerelease", "release"])
def test_publish_creates_the_release_with_body_and_assets(gh, tmp_path, offline, mode) -> None:
    assert publish(tmp_path, offline, mode) == 0
    [release] = releases(gh, "v1.5.0")
    assert release.draft is (mode == "draft") and release.prerelease is (mode == "prerelease")
    assert release.body == (tmp_path / "notes.md").read_text()
    assert "lumen verify --bundle sbom.cdx.json.sigstore.json" in release.body
    assert {a.name: a.data for a in release.assets} == {
        "sbom.cdx.json": offline["sbom"].read_bytes(),
        "sbom.cdx.json.sigstore.json": offline["bundle"].read_bytes(),
    }
    assert all(a.content_type == "application/json" for a in release.assets)
    doc = json.loads((tmp_path / "notes.json").read_text())
    assert doc["release_url"] == f"https://github.com/{REPO}/releases/tag/v1.5.0"


def test_rerun_replaces_body_and_assets_never_duplicates(gh, tmp_path, offline) -> None:
    assert publish(tmp_path, offline, "draft") == 0
    [first] = releases(gh, "v1.5.0")
    # Re-run with new content: the draft (invisible to "get by tag") is found and updated.
    offline["sbom"].write_text('{"bomFormat": "CycloneDX", "v": 2}')
    PRS2 = [*PRS, {**PRS[0], "number": 2, "title": "fix: second thoughts"}]
    offline["prs"].write_text(json.dumps(PRS2))
    posts = gh.count("POST", "/repos/*/releases")
    assert publish(tmp_path, offline, "draft") == 0
    assert gh.count("POST", "/repos/*/releases") == posts  # no second release created
    [again] = releases(gh, "v1.5.0")
    assert again.id == first.id and again.draft
    assert "second thoughts" in again.body
    assert sorted(a.name for a in again.assets) == ["sbom.cdx.json", "sbom.cdx.json.sigstore.json"]
    assert {a.name: a.data for a in again.assets}["sbom.cdx.json"] == offline["sbom"].read_bytes()
    # Promoting the draft to a release keeps the same release, now published.
    assert publish(tmp_path, offline, "release") == 0
    [final] = releases(gh, "v1.5.0")
    assert final.id == first.id and not final.draft and not final.prerelease
    assert len(final.assets) == 2


def test_existing_release_and_foreign_assets_kept(gh, tmp_path, offline) -> None:
    release = gh.state.add_release("v1.5.0", repo=REPO, body="old body", draft=True)
    gh.state.add_asset(release.id, "sbom.cdx.json", b"stale", repo=REPO)
    gh.state.add_asset(release.id, "binary.tar.gz", b"keep me", repo=REPO)
    assert publish(tmp_path, offline, "prerelease") == 0
    [updated] = releases(gh, "v1.5.0")
    assert updated.id == release.id and updated.prerelease and not updated.draft
    data = {a.name: a.data for a in updated.assets}
    assert data == {
        "binary.tar.gz": b"keep me",
        "sbom.cdx.json": offline["sbom"].read_bytes(),
        "sbom.cdx.json.sigstore.json": offline["bundle"].read_bytes(),
    }


def test_read_only_token_is_a_clear_error(gh, tmp_path, offline, monkeypatch, capsys) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", gh.add_token("ghs_readonly", write=False))
    assert publish(tmp_path, offline, "draft") == 1
    err = capsys.readouterr().err
    assert "publish the release v1.5.0 of octo-org/app" in err
    assert "403" in err and "contents: write" in err
    assert "Traceback" not in err
    assert releases(gh, "v1.5.0") == []


def test_pygithub_log_bound_to_a_closed_stderr_is_not_a_traceback(
    gh, tmp_path, offline, monkeypatch, capsys
) -> None:
    """PyGithub binds its log handler to the stderr of its import; when that was an earlier
    test's (since closed) capture, its 403 retry note became a "--- Logging error ---" traceback
    on this stderr. Lumen routes it to the stderr of now."""
    import github  # noqa: F401  (attaches the import-time handler)

    closed = io.StringIO()
    closed.close()
    stale = logging.StreamHandler(closed)
    logger = logging.getLogger("github")
    logger.addHandler(stale)
    try:
        monkeypatch.setenv("GITHUB_TOKEN", gh.add_token("ghs_readonly", write=False))
        assert publish(tmp_path, offline, "draft") == 1
    finally:
        logger.removeHandler(stale)
    err = capsys.readouterr().err
    assert "Logging error" not in err and "Traceback" not in err
    assert "Request POST /repos/octo-org/app/releases failed with 403" in err
    assert "the token needs contents: write" in err


def test_require_approval_refuses_without_quorum_and_publishes_with_it(
    gh, tmp_path, offline, capsys
) -> None:
    gh.state.add_pull("Release 1.5.0", repo=REPO, number=90, user="releaser")
    gh.state.add_review(90, "alice", "APPROVED", repo=REPO)
    gate = ["--require-approval", "--pr", "90", "--allowlist", "alice,bob", "--severity"]
    writes = gh.count("POST", "/repos/*") + gh.count("PATCH") + gh.count("DELETE")
    assert publish(tmp_path, offline, "draft", *gate, "critical") == 1
    err = capsys.readouterr().err
    assert "publishing refused: approval quorum not met (1 of 2 required approvals" in err
    assert "nothing was published" in err
    assert releases(gh, "v1.5.0") == []
    assert gh.count("POST", "/repos/*") + gh.count("PATCH") + gh.count("DELETE") == writes
    # normal severity needs one approval: alice's is enough
    assert publish(tmp_path, offline, "draft", *gate, "normal") == 0
    assert len(releases(gh, "v1.5.0")) == 1
    # a second allowlisted approval makes the critical quorum
    gh.state.add_review(90, "bob", "APPROVED", repo=REPO)
    assert publish(tmp_path, offline, "release", *gate, "critical") == 0
    [release] = releases(gh, "v1.5.0")
    assert not release.draft


def test_require_approval_needs_publish(gh, tmp_path, offline, capsys) -> None:
    rc = main(
        [
            "notes",
            "--prs-json",
            str(offline["prs"]),
            "--previous-tag",
            "v1.0.0",
            "--require-approval",
        ]
    )
    assert rc == 1
    assert "--require-approval guards publishing" in capsys.readouterr().err


def test_first_release_and_unknown_previous_tag(github_env, tmp_path, capsys) -> None:
    state = github_env.state
    state.add_pull("feat: the beginning", repo=REPO, user="alice", merged_at="2026-01-02T00:00:00Z")
    doc = run_notes(tmp_path, "--target", "main")  # no release yet: all merged, first version
    assert doc["previous_tag"] is None and doc["version"] == "v0.1.0"
    assert doc["sections"] == {"Features": [1]}
    rc = main(["notes", "--github", REPO, "--previous-tag", "v9.9.9"])
    assert rc == 1
    err = capsys.readouterr().err
    assert "tag 'v9.9.9' not found in octo-org/app" in err and "--previous-tag" in err


def test_first_release_reads_the_whole_history_a_page_per_100_commits(github_env, tmp_path) -> None:
    """No release yet: the target's history, 100 commits a GraphQL page, until the last."""
    state = github_env.state
    for i in range(250):
        state.add_pull(
            f"fix: change {i}", repo=REPO, user="dave", merged_at=T_TAG + timedelta(minutes=i)
        )
    github_env.reset_log()
    doc = run_notes(tmp_path, "--target", "main")
    assert doc["previous_tag"] is None
    assert len([n for section in doc["sections"].values() for n in section]) == 250
    graphql = [r for r in github_env.requests if (r.method, r.path) == ("POST", "/graphql")]
    # 3 history pages of up to 100 commits (the 250 merges and the repository's first commit);
    # with no earlier release there is no earlier history to ask about
    assert len(graphql) == 3


def test_unknown_target_is_one_clear_error(gh, tmp_path, capsys) -> None:
    gh.reset_log()
    rc = main(["notes", "--github", REPO, "--previous-tag", "v1.4.0", "--target", "no-such-ref"])
    assert rc == 1
    err = capsys.readouterr().err
    assert "GitHub rejected the request to read octo-org/app" in err and "no-such-ref" in err
    assert "Traceback" not in err
    # the target is resolved (REST) before any comparison page is asked for
    assert gh.count("POST", "/graphql") == 0


def test_duplicate_asset_names_refused(gh, tmp_path, offline, capsys) -> None:
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "sbom.cdx.json").write_text("{}")
    assert publish(tmp_path, offline, "draft", "--asset", str(other / "sbom.cdx.json")) == 1
    assert "two assets named 'sbom.cdx.json'" in capsys.readouterr().err
    assert releases(gh, "v1.5.0") == []


def test_graphql_node_to_rest_shape_bots_and_first_timers() -> None:
    """What GitHub (not the double, which always answers MEMBER) says about authors."""
    from lumen.adapters.github.releases import _iso, _rest_shape
    from release.notes import PullRequest

    node = {
        "number": 7,
        "title": "Bump x",
        "url": f"https://github.com/{REPO}/pull/7",
        "mergedAt": "2026-02-03T00:00:00Z",
        "authorAssociation": "NONE",
        "author": {"login": "dependabot", "__typename": "Bot"},
        "labels": {"nodes": [{"name": "dependencies"}]},
    }
    bot = PullRequest.from_github(_rest_shape(node))
    assert bot.author_is_bot and bot.author == "dependabot" and bot.labels == ("dependencies",)
    human = {
        **node,
        "authorAssociation": "FIRST_TIME_CONTRIBUTOR",
        "author": {"login": "zoe", "__typename": "User"},
    }
    assert PullRequest.from_github(_rest_shape(human)).first_time
    ghost = PullRequest.from_github(_rest_shape({**node, "author": None}))
    assert ghost.author == "ghost" and not ghost.author_is_bot
    eastern = datetime(2026, 2, 1, 5, 0, tzinfo=UTC).astimezone(timezone(timedelta(hours=-5)))
    assert _iso(eastern) == "2026-02-01T05:00:00Z"


def test_rerun_after_publishing_resolves_the_same_release(gh, tmp_path, offline) -> None:
    """The published release becomes the latest one: a re-run must not take it as the previous
    release (which would resolve v1.4.1 with no changes and publish a second release)."""
    state = gh.state
    state.add_pull("feat: shiny", repo=REPO, user="erin", merged_at=T_TAG + timedelta(days=1))
    target = state.add_commit("cut", repo=REPO, date=T_TARGET)
    command = ["--target", target, "--asset", str(offline["sbom"]), "--publish", "release"]
    first = run_notes(tmp_path, *command)
    body = (tmp_path / "notes.md").read_text()
    assert first["version"] == "v1.5.0" and first["previous_tag"] == "v1.4.0"
    [release] = releases(gh, "v1.5.0")
    assert not release.draft and state.repo(REPO).refs["tags/v1.5.0"] == target
    again = run_notes(tmp_path, *command)  # v1.5.0 is now the latest release, at the target
    assert again["version"] == "v1.5.0" and again["previous_tag"] == "v1.4.0"
    assert (tmp_path / "notes.md").read_text() == body
    assert [r.id for r in releases(gh, "v1.5.0")] == [release.id]
    assert len(state.repo(REPO).releases) == 2
    # the same with --tag naming the release being made
    third = run_notes(tmp_path, *command, "--tag", "v1.5.0")
    assert third["previous_tag"] == "v1.4.0" and releases(gh, "v1.5.0")[0].body == body


def test_whole_directory_listing_uploads_each_file_once(gh, tmp_path, offline) -> None:
    """As workflows/release.yml passes them: every file of the release directory as an asset
    (bundles included) plus the SBOM again as --sbom."""
    wheel = tmp_path / "app-1.5.0-py3-none-any.whl"
    wheel.write_bytes(b"PK wheel")
    listing = [str(offline["bundle"]), str(offline["sbom"]), str(wheel)]
    extra = [x for path in listing for x in ("--asset", path)]
    assert publish(tmp_path, offline, "release", *extra, "--sbom", str(offline["sbom"])) == 0
    [release] = releases(gh, "v1.5.0")
    assert sorted(a.name for a in release.assets) == [
        "app-1.5.0-py3-none-any.whl",
        "sbom.cdx.json",
        "sbom.cdx.json.sigstore.json",
    ]
    assert "Assets: `sbom.cdx.json`, `app-1.5.0-py3-none-any.whl`" in release.body
    assert release.body.count("lumen verify --bundle") == 1
