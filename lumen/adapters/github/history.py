"""What release-drafter reads from GitHub, read the way it reads it: the releases (REST, 100 a
page, at most 1,000), the target's commit history since the last release with each commit's
associated pull requests (GraphQL, 100 commits a page), and for `include-paths` /
`exclude-paths` the commits that touched each path. Selecting by history (not by merge date)
keeps out PRs merged into other branches and keeps backports merged into this one.

release-drafter compares the last release's tag with the target (`refs/tags/<tag>...<commitish>`)
and takes each commit's associated pull requests; this module reads the same, 100 commits a
page, so 500 squash-merged PRs take 5 comparison pages plus the release listing."""

from __future__ import annotations

from typing import Any

from gates.errors import InputError, SourceError
from lumen.adapters.github.api import (
    client,
    github_errors,
    graphql,
    graphql_pages,
    split_repo,
)
from release import drafter as rd

# GitHub answers 500 past 1,000 releases (release-drafter stops there too).
RELEASE_LIMIT = 1000
# Commits per GraphQL page: GitHub's maximum, so 500 squash-merged PRs take 5 pages
# (release-drafter's `history-limit` is its page size; Lumen reads full pages).
HISTORY_PAGE = 100

PR_FIELDS = """
fragment PullRequestFields on PullRequest {
  title
  number
  url @include(if: $withPullRequestURL)
  body @include(if: $withPullRequestBody)
  author { __typename login url }
  baseRepository { nameWithOwner }
  mergedAt
  isCrossRepository
  labels(first: 100) { nodes { name } }
  merged
  baseRefName @include(if: $withBaseRefName)
  headRefName @include(if: $withHeadRefName)
  mergeCommit { oid }
}
"""

COMPARISON_QUERY = (
    """
query findCommitsInComparison(
  $name: String!
  $owner: String!
  $baseRef: String!
  $headRef: String!
  $withPullRequestBody: Boolean!
  $withPullRequestURL: Boolean!
  $cursor: String
  $withBaseRefName: Boolean!
  $withHeadRefName: Boolean!
  $pullRequestLimit: Int!
  $historyLimit: Int!
) {
  repository(name: $name, owner: $owner) {
    ref(qualifiedName: $baseRef) {
      compare(headRef: $headRef) {
        commits(first: $historyLimit, after: $cursor) {
          pageInfo { hasNextPage endCursor }
          nodes {
            id
            oid
            committedDate
            message
            author { name user { login } }
            authors(first: 100) { nodes { name user { login } } }
            associatedPullRequests(first: $pullRequestLimit) {
              nodes { ...PullRequestFields }
            }
          }
        }
      }
    }
  }
}
"""
    + PR_FIELDS
)

# Changed files of this many PRs per GraphQL request (one aliased pullRequest each).
FILES_BATCH = 25
# Authors asked about earlier merged PRs per GraphQL request (one aliased search each).
CONTRIBUTOR_BATCH = 50


def list_releases(owner_repo: str) -> list[rd.Release]:
    """Every release (drafts included, as the token can see them), API order."""
    gh = client()
    out: list[rd.Release] = []
    with github_errors(f"list the releases of {owner_repo}"):
        repo = gh.withLazy(True).get_repo(owner_repo)
        for release in repo.get_releases():
            out.append(rd.Release.from_mapping(release.raw_data))
            if len(out) >= RELEASE_LIMIT:
                break
    return out


def read_comparison(
    owner_repo: str, config: rd.DrafterConfig, *, base: str, head: str
) -> list[rd.Commit]:
    """The commits in `base...head` with their pull requests (GraphQL, 100 a page)."""
    owner, name = split_repo(owner_repo)
    template = config.change_template
    variables: dict[str, Any] = {
        "name": name,
        "owner": owner,
        "baseRef": base,
        "headRef": head,
        "withPullRequestBody": "$BODY" in template,
        "withPullRequestURL": "$URL" in template,
        "withBaseRefName": "$BASE_REF_NAME" in template,
        "withHeadRefName": "$HEAD_REF_NAME" in template,
        "pullRequestLimit": max(1, min(100, config.pull_request_limit)),
        "historyLimit": HISTORY_PAGE,
    }
    missing = InputError(
        f"cannot compare {base}...{head} in {owner_repo}: ref or comparison not found",
        field="commitish",
        expected="an existing tag and branch, tag or commit",
    )
    pages = graphql_pages(
        COMPARISON_QUERY,
        variables,
        path=("repository", "ref", "compare", "commits"),
        what=f"compare {base}...{head} in {owner_repo}",
        missing=lambda: missing,
    )
    return [rd.Commit.from_mapping(node) for nodes in pages for node in nodes if node]


def changed_files(owner_repo: str, numbers: list[int]) -> dict[int, list[str]]:
    """Each PR's changed paths (first 100), FILES_BATCH PRs a request."""
    owner, name = split_repo(owner_repo)
    out: dict[int, list[str]] = {}
    for start in range(0, len(numbers), FILES_BATCH):
        batch = numbers[start : start + FILES_BATCH]
        fields = " ".join(
            f"p{n}: pullRequest(number: {n}) {{ files(first: 100) {{ nodes {{ path }} }} }}"
            for n in batch
        )
        data = graphql(
            f"query($owner: String!, $name: String!) {{ repository(owner: $owner, name: $name) "
            f"{{ {fields} }} }}",
            {"owner": owner, "name": name},
            what=f"read the changed files of pull requests in {owner_repo}",
        )
        repository = data.get("repository") or {}
        for n in batch:
            files = ((repository.get(f"p{n}") or {}).get("files") or {}).get("nodes") or []
            out[n] = [str(f["path"]) for f in files if f and f.get("path")]
    return out


def first_time_contributors(owner_repo: str, candidates: dict[str, str]) -> set[str]:
    """The authors with no PR merged in the repository before their first one here."""
    out: set[str] = set()
    items = sorted(candidates.items())
    for start in range(0, len(items), CONTRIBUTOR_BATCH):
        batch = items[start : start + CONTRIBUTOR_BATCH]
        declared = ", ".join(f"$q{i}: String!" for i in range(len(batch)))
        fields = " ".join(
            f"a{i}: search(query: $q{i}, type: ISSUE, first: 1) {{ issueCount }}"
            for i in range(len(batch))
        )
        variables = {
            f"q{i}": f"repo:{owner_repo} is:pr is:merged author:{login} merged:<{merged_at}"
            for i, (login, merged_at) in enumerate(batch)
        }
        data = graphql(
            f"query findPreviousContributions({declared}) {{ {fields} }}",
            variables,
            what=f"look up earlier pull requests of {owner_repo}",
        )
        for i, (login, _) in enumerate(batch):
            if int((data.get(f"a{i}") or {}).get("issueCount") or 0) == 0:
                out.add(login)
    return out


def read_drafter_data(owner_repo: str, config: rd.DrafterConfig, inputs: Any) -> Any:
    """Releases, the comparison's commits, and (when the config needs them) changed files
    and first-time contributors, for one release-drafter run (`config` has the inputs
    merged). Requests: the release pages, one comparison page per 100 commits, and the
    batched extras."""
    releases = list_releases(owner_repo)
    if not config.commitish:
        raise InputError(
            "no target: give --target (a branch or sha), the commitish input or GITHUB_REF",
            field="--target",
        )
    found = rd.find_releases(releases, config)
    data = rd.DrafterData(releases=releases)
    base = (inputs.get("from") or None) if inputs else None
    if base is None and found.last is not None:
        base = f"refs/tags/{found.last.tag_name}"
    if base is None:
        return data  # no baseline: release-drafter finds no changes
    data.comparison_read = True
    data.commits = read_comparison(owner_repo, config, base=base, head=config.commitish)
    prs = rd.select_pull_requests(data.commits, repository=owner_repo)
    if rd.needs_changed_files(config) and prs:
        data.changed_files = changed_files(owner_repo, sorted({pr.number for pr in prs}))
    wants_new = any(
        "$NEW_CONTRIBUTORS" in text for text in (config.header, config.template, config.footer)
    )
    data.new_contributors = set()
    if wants_new:
        candidates = rd.new_contributor_candidates(prs)
        if candidates:
            data.new_contributors = first_time_contributors(owner_repo, candidates)
    return data


def fetch_file(owner_repo: str, path: str) -> str:
    """A file's text from a repository's default branch (for `_extends`)."""
    from github import GithubException

    gh = client()
    with github_errors(f"read {path} from {owner_repo}"):
        try:
            content = gh.get_repo(owner_repo).get_contents(path)
        except GithubException as exc:
            if exc.status == 404:
                raise SourceError(f"_extends: {owner_repo} has no {path}") from None
            raise
    if isinstance(content, list):
        raise SourceError(f"_extends: {path} in {owner_repo} is a directory")
    return str(content.decoded_content.decode("utf-8"))


def read_pull_request(owner_repo: str, number: int) -> tuple[Any, list[str]]:
    """(PullRequestFacts: branch, title, body, changed files; its current labels) of one PR
    (REST; the files paged 100 at a time)."""
    from release.drafter_autolabel import PullRequestFacts

    gh = client()
    with github_errors(f"read pull request #{number} of {owner_repo}"):
        pull = gh.get_repo(owner_repo).get_pull(number)
        facts = PullRequestFacts(
            str(pull.head.ref),
            str(pull.title or ""),
            None if pull.body is None else str(pull.body),
            tuple(str(f.filename) for f in pull.get_files()),
        )
        labels = [str(label.name) for label in pull.labels]
    return facts, labels


def add_labels(owner_repo: str, number: int, labels: list[str]) -> None:
    """Add labels to a PR in one request (existing labels stay)."""
    if not labels:
        return
    gh = client()
    with github_errors(f"label pull request #{number} of {owner_repo}", kind="label"):
        gh.get_repo(owner_repo).get_issue(number).add_to_labels(*labels)
