"""GitHub side of release notes: the merged PRs of a tag range, by history (the comparison's
commits and their pull requests, GraphQL, 100 commits a page), and publishing the release with
its assets, idempotently."""

from __future__ import annotations

import mimetypes
from datetime import UTC
from pathlib import Path
from typing import Any

from gates.errors import InputError, UsageError
from lumen.adapters.github.api import (
    client,
    github_errors,
    graphql,
    graphql_pages,
    split_repo,
)

_PR_FIELDS = """
        number
        title
        url
        body
        mergedAt
        merged
        authorAssociation
        author { login __typename }
        baseRepository { nameWithOwner }
        labels(first: 50) { nodes { name } }
        mergeCommit { oid }
"""

# The commits of `<previous tag>...<target>` with their pull requests, 100 commits a page:
# the PRs whose commits are in the range, so a PR merged into another branch is left out and
# a backport merged into this one is in (selecting by merge date gets both wrong).
COMPARISON_QUERY = (
    """
query($owner: String!, $name: String!, $base: String!, $head: String!, $cursor: String) {
  repository(owner: $owner, name: $name) {
    ref(qualifiedName: $base) {
      compare(headRef: $head) {
        commits(first: 100, after: $cursor) {
          pageInfo { hasNextPage endCursor }
          nodes { associatedPullRequests(first: 5) { nodes {"""
    + _PR_FIELDS
    + """} } }
        }
      }
    }
  }
}
"""
)

# With no previous release: the target's whole history.
HISTORY_QUERY = (
    """
query($owner: String!, $name: String!, $head: String!, $cursor: String) {
  repository(owner: $owner, name: $name) {
    object(expression: $head) {
      ... on Commit {
        history(first: 100, after: $cursor) {
          pageInfo { hasNextPage endCursor }
          nodes { associatedPullRequests(first: 5) { nodes {"""
    + _PR_FIELDS
    + """} } }
        }
      }
    }
  }
}
"""
)

# Authors checked for earlier merged PRs per GraphQL request (one aliased search each).
HISTORY_BATCH = 50


def _iso(moment: Any) -> str:
    """A search qualifier's timestamp, in UTC (a naive datetime from PyGithub is UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return str(moment.strftime("%Y-%m-%dT%H:%M:%SZ"))


def fetch_merged_prs(
    owner_repo: str, *, previous_tag: str | None, target: str | None, tag: str | None = None
) -> tuple[str | None, list[dict[str, Any]]]:
    """(previous tag, PRs merged after it and up to the target), as REST-shaped dicts.

    The previous tag defaults to the latest release — unless that release is the one being
    made (its tag is `tag`, or it points at the target commit: a re-run after publishing), then
    the newest published release before it, so re-running resolves the same version and notes.
    The range is by history: the commits in `<previous tag>...<target>` and their merged pull
    requests into this repository (as release-drafter reads it), so PRs merged into other
    branches stay out and backports merged into this one are in. A human author with no PR
    merged up to the previous tag is marked `first_time_contributor` (GitHub's
    `authorAssociation` says FIRST_TIME_CONTRIBUTOR only until the first PR merges).
    """
    from github import GithubException

    split_repo(owner_repo)
    gh = client()
    with github_errors(f"read {owner_repo}"):
        # Lazy: the repository object itself is never needed, only its sub-resources.
        repo = gh.withLazy(True).get_repo(owner_repo)
        head_sha = _commit_of(repo, target)[0] if target else None
        since = None
        if previous_tag is None:
            try:
                previous_tag = repo.get_latest_release().tag_name
            except GithubException as exc:
                if exc.status != 404:
                    raise
            if previous_tag is not None:
                since_sha, since = _tag_commit(repo, previous_tag, owner_repo)
                if previous_tag == tag or since_sha == head_sha:
                    previous_tag = _release_before(repo, previous_tag)
                    since = None
                    if previous_tag is not None:
                        since = _tag_commit(repo, previous_tag, owner_repo)[1]
        elif previous_tag:
            since = _tag_commit(repo, previous_tag, owner_repo)[1]
        head = target or repo.default_branch
    prs = _prs_in_range(owner_repo, previous_tag, head)
    if since is not None:
        newcomers = _without_history(owner_repo, _human_authors(prs), since)
        for pr in prs:
            if pr["user"]["login"] in newcomers:
                pr["first_time_contributor"] = True
    return previous_tag, prs


def _prs_in_range(owner_repo: str, previous_tag: str | None, head: str) -> list[dict[str, Any]]:
    owner, name = split_repo(owner_repo)
    query, variables, path = (
        (COMPARISON_QUERY, {"base": f"refs/tags/{previous_tag}"}, ("ref", "compare", "commits"))
        if previous_tag
        else (HISTORY_QUERY, {}, ("object", "history"))
    )
    missing = InputError(
        f"cannot compare {previous_tag or 'the start'}...{head} in {owner_repo}",
        field="--target",
        expected="an existing branch, tag or commit",
    )
    seen: dict[int, dict[str, Any]] = {}
    for commits in graphql_pages(
        query,
        {"owner": owner, "name": name, "head": head, **variables},
        path=("repository", *path),
        what=f"list the pull requests of {owner_repo} up to {head}",
        missing=lambda: missing,
    ):
        for commit in commits:
            for pr in ((commit or {}).get("associatedPullRequests") or {}).get("nodes") or []:
                base = (pr or {}).get("baseRepository") or {}
                if pr and pr.get("merged") and base.get("nameWithOwner") == owner_repo:
                    seen.setdefault(int(pr["number"]), _rest_shape(pr))
    return sorted(seen.values(), key=lambda pr: str(pr["merged_at"] or ""))


def _commit_of(repo: Any, ref: str) -> tuple[str, Any]:
    """(sha, committer date) of a ref; the date is read first, which loads the lazy commit."""
    commit = repo.get_commit(ref)
    date = commit.commit.committer.date
    return str(commit.sha), date


def _tag_commit(repo: Any, tag: str, owner_repo: str) -> tuple[str, Any]:
    from github import GithubException

    try:
        return _commit_of(repo, tag)
    except GithubException as exc:
        if exc.status not in (404, 422):
            raise
        raise InputError(
            f"tag {tag!r} not found in {owner_repo}",
            field="--previous-tag",
            expected="an existing tag (or none: the latest release)",
        ) from None


def _release_before(repo: Any, tag: str) -> str | None:
    """The newest published, non-prerelease release other than `tag` (newest first)."""
    for release in repo.get_releases():
        if not release.draft and not release.prerelease and release.tag_name != tag:
            return str(release.tag_name)
    return None


def _human_authors(prs: list[dict[str, Any]]) -> list[str]:
    return sorted({pr["user"]["login"] for pr in prs if pr["user"]["type"] != "Bot"})


def _without_history(owner_repo: str, authors: list[str], since: Any) -> set[str]:
    """The authors with no PR merged in the repository up to `since`: one aliased search
    per author, HISTORY_BATCH of them per request."""
    out: set[str] = set()
    for start in range(0, len(authors), HISTORY_BATCH):
        batch = authors[start : start + HISTORY_BATCH]
        declared = ", ".join(f"$q{i}: String!" for i in range(len(batch)))
        fields = " ".join(
            f"a{i}: search(type: ISSUE, query: $q{i}, first: 1) {{ issueCount }}"
            for i in range(len(batch))
        )
        variables = {
            f"q{i}": f"repo:{owner_repo} is:pr is:merged author:{login} merged:<={_iso(since)}"
            for i, login in enumerate(batch)
        }
        data = graphql(
            f"query({declared}) {{ {fields} }}",
            variables,
            what=f"look up earlier pull requests of {owner_repo}",
        )
        for i, login in enumerate(batch):
            if int((data.get(f"a{i}") or {}).get("issueCount") or 0) == 0:
                out.add(login)
    return out


def _rest_shape(node: dict[str, Any]) -> dict[str, Any]:
    author = node.get("author") or {}
    return {
        "number": node["number"],
        "title": node.get("title") or "",
        "html_url": node.get("url") or "",
        "body": node.get("body") or "",
        "merged_at": node.get("mergedAt"),
        "author_association": node.get("authorAssociation") or "",
        "user": {
            "login": author.get("login") or "ghost",
            "type": "Bot" if author.get("__typename") == "Bot" else "User",
        },
        "labels": [{"name": n["name"]} for n in (node.get("labels") or {}).get("nodes") or []],
    }


def publish_release(
    owner_repo: str | None,
    *,
    tag: str,
    body: str,
    mode: str,
    target: str | None,
    assets: list[str],
    name: str | None = None,
) -> str:
    """Create or update the release for `tag` and replace its assets; returns its html_url.

    Re-running replaces the body and every asset of the same name: it never duplicates.
    Draft releases are invisible to "get release by tag", so the release is found by listing.
    """
    if not owner_repo:
        raise UsageError("--publish needs --repository (or GITHUB_REPOSITORY)")
    names: dict[str, str] = {}
    for path in assets:
        if not Path(path).is_file():
            raise InputError("asset not found", file=path)
        name = Path(path).name
        if name in names:
            # A release holds one asset per name: the second would silently replace the first.
            raise UsageError(f"two assets named {name!r}: {names[name]} and {path}")
        names[name] = path
    draft = mode == "draft"
    prerelease = mode == "prerelease"
    gh = client()
    with github_errors(f"publish the release {tag} of {owner_repo}", kind="release"):
        repo = gh.get_repo(owner_repo)
        release = next((r for r in repo.get_releases() if r.tag_name == tag), None)
        if release is None:
            kwargs: dict[str, Any] = {"draft": draft, "prerelease": prerelease}
            if target:
                kwargs["target_commitish"] = target
            release = repo.create_git_release(tag, name or tag, body, **kwargs)
        else:
            release = release.update_release(name or tag, body, draft=draft, prerelease=prerelease)
        existing = {asset.name: asset for asset in release.get_assets()}
        for path in assets:
            name = Path(path).name
            if name in existing:
                existing[name].delete_asset()
            content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
            if name.endswith(".sigstore.json") or name.endswith(".json"):
                content_type = "application/json"
            release.upload_asset(path, name=name, content_type=content_type)
        return str(release.html_url)
