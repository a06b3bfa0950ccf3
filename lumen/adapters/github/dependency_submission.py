"""GitHub's dependency submission API: send a dependency snapshot for a commit.

`POST /repos/{owner}/{repo}/dependency-graph/snapshots` (needs `contents: write`). GitHub then
shows the dependencies in the repository's dependency graph and raises Dependabot alerts for
them. The client is the one `lumen.adapters.github.api` configures (token, retries, budget).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gates.errors import SourceError
from lumen.actions_runtime import GitHubContext
from lumen.adapters.github.api import client, github_errors, split_repo


@dataclass(frozen=True)
class Submitted:
    """GitHub's answer: the snapshot id and whether the dependency graph took it."""

    id: int
    result: str  # SUCCESS | ACCEPTED | INVALID
    message: str
    created_at: str


def submit(
    payload: Mapping[str, Any], *, repository: str, ctx: GitHubContext | None = None
) -> Submitted:
    owner, repo = split_repo(repository)
    github = client(ctx)
    with github_errors(f"submit a dependency snapshot to {owner}/{repo}", kind="release"):
        _headers, data = github.requester.requestJsonAndCheck(
            "POST", f"/repos/{owner}/{repo}/dependency-graph/snapshots", input=dict(payload)
        )
    if not isinstance(data, Mapping) or not isinstance(data.get("id"), int):
        raise SourceError("GitHub answered the dependency submission without a snapshot id")
    return Submitted(
        id=int(data["id"]),
        result=str(data.get("result") or ""),
        message=str(data.get("message") or ""),
        created_at=str(data.get("created_at") or ""),
    )
