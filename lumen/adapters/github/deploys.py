"""Deploy events from GitHub Deployments and their statuses (docs/reference.md#roi).

GraphQL by default: one request returns 100 deployments with their latest status and commit
time, newest first, so 1,000 deployments over 90 days cost 10 requests (REST needs one more
request per deployment for its statuses). Paging stops at the first page that reaches past the
window. `roi.github.graphql: false` uses REST through PyGithub instead (for servers without
GraphQL). Rollback detection and outcomes are `gates.roi.classify_deployments`.

Env: the GitHub environment name through `roi.github.environments` (e.g. `production: prod`),
else the usual aliases. Service: the deployment payload's `service`, else `roi.github.service`,
else the repository name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from gates.roi import GitHubDeployment, RoiTally, classify_deployments
from gates.timeutil import parse_timestamp
from lumen.config import Config, canonical_env

if TYPE_CHECKING:
    from lumen.adapters.github.activity import RepositoryReads

PAGE = 100

QUERY = """
query($owner: String!, $name: String!, $cursor: String) {
  repository(owner: $owner, name: $name) {
    deployments(first: 100, after: $cursor, orderBy: {field: CREATED_AT, direction: DESC}) {
      pageInfo { hasNextPage endCursor }
      nodes {
        databaseId
        createdAt
        environment
        task
        commitOid
        payload
        ref { name }
        creator { login }
        commit { committedDate }
        latestStatus { state }
      }
    }
  }
}
"""


class Mapper:
    """GitHub environment -> Lumen env, deployment payload -> service."""

    def __init__(self, settings: Mapping[str, Any], repo_name: str) -> None:
        self.environments = {
            str(k): str(v) for k, v in (settings.get("environments") or {}).items()
        }
        self.service = str(settings.get("service") or repo_name)

    def env(self, environment: str | None) -> str:
        name = environment or "unknown"
        mapped = self.environments.get(name)
        return mapped if mapped else canonical_env(name) or name

    def service_of(self, payload: Any) -> str:
        if isinstance(payload, str) and payload:
            try:
                payload = json.loads(payload)
            except ValueError:
                payload = None
        if isinstance(payload, Mapping) and isinstance(payload.get("service"), str):
            return str(payload["service"])
        return self.service


_Mapper = Mapper  # the name flipback imported first


def fetch_graphql(
    owner: str, name: str, *, start: datetime, mapper: Mapper
) -> tuple[list[GitHubDeployment], int]:
    """Deployments created after `start` (plus the rest of the last page: earlier SHAs help
    rollback detection); returns them and the number of requests made."""
    from lumen.adapters.github.api import graphql_pages

    out: list[GitHubDeployment] = []
    requests = 0
    for nodes in graphql_pages(
        QUERY,
        {"owner": owner, "name": name},
        path=("repository", "deployments"),
        what=f"read the deployments of {owner}/{name}",
    ):
        requests += 1
        oldest: datetime | None = None
        for node in nodes:
            created = parse_timestamp(node["createdAt"], field="deployment.createdAt")
            oldest = created if oldest is None else min(oldest, created)
            commit = node.get("commit") or {}
            committed = commit.get("committedDate")
            status = node.get("latestStatus") or {}
            out.append(
                GitHubDeployment(
                    id=int(node.get("databaseId") or 0),
                    created_at=created,
                    env=mapper.env(node.get("environment")),
                    service=mapper.service_of(node.get("payload")),
                    task=str(node.get("task") or "deploy"),
                    sha=str(node.get("commitOid") or ""),
                    state=(status.get("state") or "").lower() or None,
                    creator=(node.get("creator") or {}).get("login"),
                    commit_ts=None if not committed else parse_timestamp(committed),
                    ref=(node.get("ref") or {}).get("name"),
                )
            )
        if oldest is not None and oldest <= start:
            break
    return out, requests


def fetch_rest(
    owner: str, name: str, *, start: datetime, mapper: Mapper
) -> tuple[list[GitHubDeployment], int]:
    """The same through REST (PyGithub): one request per page plus one per deployment."""
    from datetime import UTC

    from lumen.adapters.github.api import client, github_errors

    gh = client()
    out: list[GitHubDeployment] = []
    requests = 0
    with github_errors(f"read the deployments of {owner}/{name}"):
        repo = gh.get_repo(f"{owner}/{name}")
        requests += 1
        for index, deployment in enumerate(repo.get_deployments()):
            if index % PAGE == 0:
                requests += 1
            created = deployment.created_at
            if created.tzinfo is None:
                created = created.replace(tzinfo=UTC)
            statuses = deployment.get_statuses()
            requests += 1
            latest = None
            for status in statuses:  # newest first
                latest = status.state
                break
            out.append(
                GitHubDeployment(
                    id=deployment.id,
                    created_at=created,
                    env=mapper.env(deployment.environment),
                    service=mapper.service_of(deployment.payload),
                    task=deployment.task or "deploy",
                    sha=deployment.sha,
                    state=(latest or "").lower() or None,
                    creator=deployment.creator.login if deployment.creator else None,
                    ref=deployment.ref,
                )
            )
            if created <= start:
                break
    return out, requests


def github_settings(config: Config) -> dict[str, Any]:
    """The `roi.github` settings (environment names, service, graphql)."""
    return dict(config.resolve("roi", {}).get("github") or {})


def read_github(
    owner_repo: str,
    tally: RoiTally,
    *,
    start: datetime,
    end: datetime,
    config: Config,
    reads: RepositoryReads | None = None,
) -> dict[str, Any]:
    """Fill `tally` from the repository's deployments; returns the inputs description. With
    `reads` (GraphQL, shared with the other gates of the run) its deployments are used."""
    from lumen.adapters.github.api import split_repo

    owner, name = split_repo(owner_repo)
    settings = github_settings(config)
    mapper = Mapper(settings, name)
    fetch = fetch_graphql if settings.get("graphql", True) else fetch_rest
    if reads is not None:  # the same settings chose its fetch
        before = reads.requests
        deployments = list(reads.deployments())  # the tally keeps its own window
        requests = reads.requests - before
    else:
        deployments, requests = fetch(owner, name, start=start, mapper=mapper)
    events = classify_deployments(deployments)
    for event in events:
        tally.add_event(event)
    return {
        "deployments_read": len(deployments),
        "requests": requests,
        "api": "graphql" if fetch is fetch_graphql else "rest",
    }
