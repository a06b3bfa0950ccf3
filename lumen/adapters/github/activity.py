"""Loop events from a repository's GitHub activity (spec §3), through PyGithub.

- deployments -> `action`: severity 0.1 when the latest status is success (or inactive, i.e.
  superseded after success), 0.75 on failure/error; deployments still pending are not counted.
- workflow runs, and check runs of apps other than GitHub Actions (whose jobs are already
  counted as workflow runs) -> `evidence`: failure 0.75, cancelled 0.5, success 0.1; runs still
  in progress, skipped or neutral are not counted.
- issues labelled `incident` or `alert` -> `signal`: the severity is the first label that names a
  configured severity (`critical`, `severity:high`, `sev/low` ...), else `warning`.

Only activity created inside `(since, until]` is fetched. The API URL and token come from the
runner (`GITHUB_API_URL`, `GITHUB_TOKEN`) through `lumen.adapters.github.api`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gates.maturity import LoopEvent
from gates.timeutil import parse_timestamp

RUN_SEVERITY = {
    "success": 0.1,
    "failure": 0.75,
    "timed_out": 0.75,
    "startup_failure": 0.75,
    "cancelled": 0.5,
}
DEPLOYMENT_SEVERITY = {"success": 0.1, "inactive": 0.1, "failure": 0.75, "error": 0.75}
SIGNAL_LABELS = ("incident", "alert")
DEFAULT_SIGNAL_SEVERITY = "warning"
ACTIONS_APP_SLUG = "github-actions"


@dataclass
class ActivityCount:
    deployments: int = 0
    workflow_runs: int = 0
    check_runs: int = 0
    issues: int = 0
    requests: int = 0  # GitHub API requests the read took (REST pages and GraphQL queries)

    def to_dict(self) -> dict[str, int]:
        return {
            "deployments": self.deployments,
            "workflow_runs": self.workflow_runs,
            "check_runs": self.check_runs,
            "issues": self.issues,
            "requests": self.requests,
        }


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _micros(moment: datetime) -> int:
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def issue_severity(labels: list[str], severity_labels: Mapping[str, float]) -> float:
    """The first label naming a configured severity (`high`, `severity:high`, `sev/high`)."""
    for name in labels:
        lowered = name.strip().lower()
        for candidate in (lowered, *_suffixes(lowered)):
            if candidate in severity_labels:
                return float(severity_labels[candidate])
    return float(severity_labels.get(DEFAULT_SIGNAL_SEVERITY, 0.5))


def _suffixes(label: str) -> list[str]:
    out = []
    for sep in (":", "/", "-", "="):
        if sep in label:
            out.append(label.rsplit(sep, 1)[1].strip())
    return out


HISTORY_QUERY = """
query($owner: String!, $name: String!, $since: GitTimestamp!, $until: GitTimestamp!,
      $cursor: String) {
  repository(owner: $owner, name: $name) {
    defaultBranchRef {
      target {
        ... on Commit {
          history(first: 100, after: $cursor, since: $since, until: $until) {
            pageInfo { hasNextPage endCursor }
            nodes {
              checkSuites(first: 20) {
                nodes {
                  app { slug }
                  checkRuns(first: 100) { nodes { conclusion startedAt completedAt } }
                }
              }
            }
          }
        }
      }
    }
  }
}
"""


ISSUES_QUERY = """
query($owner: String!, $name: String!, $labels: [String!], $since: DateTime, $cursor: String) {
  repository(owner: $owner, name: $name) {
    issues(first: 100, after: $cursor, labels: $labels, filterBy: {since: $since},
           orderBy: {field: CREATED_AT, direction: DESC}) {
      pageInfo { hasNextPage endCursor }
      nodes { createdAt labels(first: 50) { nodes { name } } }
    }
  }
}
"""


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _pages(items: int) -> int:
    """REST pages of 100 a listing of `items` costs (an empty listing still costs one)."""
    return max(1, -(-items // 100))


def activity_events(
    owner_repo: str,
    since: datetime,
    until: datetime,
    *,
    severity_labels: Mapping[str, float],
    counts: ActivityCount | None = None,
    gh: Any = None,
) -> Iterator[LoopEvent]:
    """Events from deployments, workflow/check runs and incident issues created in the span.

    Requests are what a busy repository pays for on every PR, against a `GITHUB_TOKEN` budget of
    about 1,000 an hour: deployments with their latest status come 100 to a GraphQL request,
    check runs come with the default branch's commits (GraphQL, 100 commits a request), and
    workflow runs and incident issues 100 to a REST page. `counts.requests` says what it took.
    """
    from lumen.adapters.github import api as gh_adapter
    from lumen.adapters.github.deploys import Mapper, fetch_graphql

    owner, name = gh_adapter.split_repo(owner_repo)
    counts = counts if counts is not None else ActivityCount()
    client = gh if gh is not None else gh_adapter.client()
    loop_id = f"{owner}/{name}"

    def inside(moment: datetime | None) -> bool:
        moment = _utc(moment)
        return moment is not None and since < moment <= until

    with gh_adapter.github_errors(f"read the activity of {loop_id}"):
        # Lazy: no request for the repository itself, only URLs are built from it.
        repo = client.withLazy(True).get_repo(loop_id)

        listed = 0
        window = f"{_stamp(since)}..{_stamp(until)}"
        for run in repo.get_workflow_runs(created=window):
            listed += 1
            severity = RUN_SEVERITY.get(run.conclusion or "")
            created = _utc(run.created_at)
            if severity is None or created is None or not inside(created):
                continue
            counts.workflow_runs += 1
            yield LoopEvent(_micros(created), "evidence", severity, loop_id)
        counts.requests += _pages(listed)

    deployments, requests = fetch_graphql(owner, name, start=since, mapper=Mapper({}, name))
    counts.requests += requests
    for deployment in sorted(deployments, key=lambda d: d.created_at):
        severity = DEPLOYMENT_SEVERITY.get(deployment.state or "")
        if severity is None or not inside(deployment.created_at):
            continue
        counts.deployments += 1
        yield LoopEvent(_micros(deployment.created_at), "action", severity, loop_id)

    yield from _check_run_events(
        owner, name, since=since, until=until, counts=counts, inside=inside, loop_id=loop_id
    )

    yield from _incident_events(
        owner,
        name,
        since=since,
        counts=counts,
        inside=inside,
        loop_id=loop_id,
        severity_labels=severity_labels,
    )


def _incident_events(
    owner: str,
    name: str,
    *,
    since: datetime,
    counts: ActivityCount,
    inside: Callable[[datetime | None], bool],
    loop_id: str,
    severity_labels: Mapping[str, float],
) -> Iterator[LoopEvent]:
    """Issues labelled incident or alert (either label: GitHub ORs them), newest first, until
    the page that reaches past the span."""
    from lumen.adapters.github.api import graphql

    cursor: str | None = None
    while True:
        data = graphql(
            ISSUES_QUERY,
            {
                "owner": owner,
                "name": name,
                "labels": list(SIGNAL_LABELS),
                "since": _stamp(since),
                "cursor": cursor,
            },
            what=f"read the incident issues of {loop_id}",
        )
        counts.requests += 1
        connection = (data.get("repository") or {}).get("issues") or {}
        oldest: datetime | None = None
        for node in connection.get("nodes") or []:
            created = parse_timestamp(node["createdAt"], field="issue.createdAt")
            oldest = created if oldest is None else min(oldest, created)
            if not inside(created):
                continue
            names = [str(label["name"]) for label in (node.get("labels") or {}).get("nodes") or []]
            counts.issues += 1
            yield LoopEvent(
                _micros(created), "signal", issue_severity(names, severity_labels), loop_id
            )
        page = connection.get("pageInfo") or {}
        if not page.get("hasNextPage") or (oldest is not None and oldest <= since):
            return
        cursor = page.get("endCursor")


def _check_run_events(
    owner: str,
    name: str,
    *,
    since: datetime,
    until: datetime,
    counts: ActivityCount,
    inside: Callable[[datetime | None], bool],
    loop_id: str,
) -> Iterator[LoopEvent]:
    """Check runs of the default branch's commits in the span, except GitHub Actions' own
    (its jobs are already counted as workflow runs)."""
    from lumen.adapters.github.api import graphql

    cursor: str | None = None
    while True:
        data = graphql(
            HISTORY_QUERY,
            {
                "owner": owner,
                "name": name,
                "since": _stamp(since),
                "until": _stamp(until),
                "cursor": cursor,
            },
            what=f"read the check runs of {loop_id}",
        )
        counts.requests += 1
        ref = (data.get("repository") or {}).get("defaultBranchRef") or {}
        history = (ref.get("target") or {}).get("history") or {}
        for commit in history.get("nodes") or []:
            for suite in (commit.get("checkSuites") or {}).get("nodes") or []:
                if ((suite.get("app") or {}).get("slug")) == ACTIONS_APP_SLUG:
                    continue
                for check in (suite.get("checkRuns") or {}).get("nodes") or []:
                    severity = RUN_SEVERITY.get(str(check.get("conclusion") or "").lower())
                    stamp = check.get("startedAt") or check.get("completedAt")
                    started = None if not stamp else parse_timestamp(stamp, field="startedAt")
                    if severity is None or started is None or not inside(started):
                        continue
                    counts.check_runs += 1
                    yield LoopEvent(_micros(started), "evidence", severity, loop_id)
        page = history.get("pageInfo") or {}
        if not page.get("hasNextPage"):
            return
        cursor = page.get("endCursor")
