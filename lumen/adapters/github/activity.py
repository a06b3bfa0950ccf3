"""Loop events from a repository's GitHub activity (docs/reference.md#maturity), through PyGithub.

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
from datetime import UTC, datetime, timedelta
from typing import Any

from gates.maturity import LoopEvent
from gates.timeutil import parse_timestamp
from gates.trend import Activity
from lumen.adapters.github.api import split_repo

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
    reads: RepositoryReads | None = None,
) -> Iterator[LoopEvent]:
    """Events from deployments, workflow/check runs and incident issues created in the span.

    Requests are what a busy repository pays for on every PR, against a `GITHUB_TOKEN` budget of
    about 1,000 an hour: deployments with their latest status come 100 to a GraphQL request,
    check runs come with the default branch's commits (GraphQL, 100 commits a request), and
    workflow runs and incident issues 100 to a REST page. `counts.requests` says what it took.
    """
    owner, name = split_repo(owner_repo)
    counts = counts if counts is not None else ActivityCount()
    reads = reads if reads is not None else RepositoryReads(owner_repo, since=since, gh=gh)
    before = reads.requests
    loop_id = f"{owner}/{name}"

    def inside(moment: datetime | None) -> bool:
        moment = _utc(moment)
        return moment is not None and since < moment <= until

    for created, conclusion in reads.workflow_runs(since, until):
        severity = RUN_SEVERITY.get(conclusion)
        if severity is None or not inside(created):
            continue
        counts.workflow_runs += 1
        yield LoopEvent(_micros(created), "evidence", severity, loop_id)

    for deployment in sorted(reads.deployments(), key=lambda d: d.created_at):
        severity = DEPLOYMENT_SEVERITY.get(deployment.state or "")
        if severity is None or not inside(deployment.created_at):
            continue
        counts.deployments += 1
        yield LoopEvent(_micros(deployment.created_at), "action", severity, loop_id)

    yield from _check_run_events(
        reads, since=since, until=until, counts=counts, inside=inside, loop_id=loop_id
    )

    for created, names in reads.incidents():
        if not inside(created):
            continue
        counts.issues += 1
        yield LoopEvent(_micros(created), "signal", issue_severity(names, severity_labels), loop_id)
    counts.requests += reads.requests - before


class RepositoryReads:
    """One repository's GitHub reads, shared by the gates of one run and counted once.

    Deployments and incident issues are read once, from `since` (the earliest moment any
    caller needs) to now, and every caller filters them: the spectrum, the ROI tally and the
    trend windows cost one read between them. Workflow runs are listed per span (the spectrum
    needs each run); a count over a span already listed is taken from that listing, any other
    count costs one REST request of one item (`total_count`). `requests` is what it all took.
    """

    def __init__(
        self,
        owner_repo: str,
        *,
        since: datetime,
        gh: Any = None,
        deploy_settings: Mapping[str, Any] | None = None,
    ) -> None:
        self.owner, self.name = split_repo(owner_repo)
        self.repository = f"{self.owner}/{self.name}"
        self.since = since
        self.requests = 0
        self._gh = gh
        self._deploy_settings = dict(deploy_settings or {})
        self._deployments: list[Any] | None = None
        self._incidents: list[tuple[datetime, list[str]]] | None = None
        self._listed: list[tuple[datetime, datetime, list[tuple[datetime, str]]]] = []

    def resent(self) -> int:
        """Requests of this command that GitHub saw again after a transient failure (a 5xx, a
        429, a read cut mid-answer): on top of `requests`, what the run cost GitHub."""
        from lumen import budget as budgets

        return budgets.github().resent

    def _client(self) -> Any:
        if self._gh is None:
            from lumen.adapters.github.api import client

            self._gh = client()
        return self._gh

    def deployments(self) -> list[Any]:
        """`gates.roi.GitHubDeployment`s created after `since` (plus the rest of the last
        page), read once through GraphQL (REST with `roi.github.graphql: false`)."""
        if self._deployments is None:
            from lumen.adapters.github.deploys import Mapper, fetch_graphql, fetch_rest

            graphql = self._deploy_settings.get("graphql", True)
            fetch = fetch_graphql if graphql else fetch_rest
            self._deployments, requests = fetch(
                self.owner,
                self.name,
                start=self.since,
                mapper=Mapper(self._deploy_settings, self.name),
            )
            self.requests += requests
        return self._deployments

    def incidents(self) -> list[tuple[datetime, list[str]]]:
        """(created, label names) of the issues labelled incident or alert since `since`."""
        if self._incidents is None:
            self._incidents = list(self._read_incidents())
        return self._incidents

    def _read_incidents(self) -> Iterator[tuple[datetime, list[str]]]:
        from lumen.adapters.github.api import graphql_pages

        for nodes in graphql_pages(
            ISSUES_QUERY,
            {
                "owner": self.owner,
                "name": self.name,
                "labels": list(SIGNAL_LABELS),
                "since": _stamp(self.since),
            },
            path=("repository", "issues"),
            what=f"read the incident issues of {self.repository}",
        ):
            self.requests += 1
            oldest: datetime | None = None
            for node in nodes:
                created = parse_timestamp(node["createdAt"], field="issue.createdAt")
                oldest = created if oldest is None else min(oldest, created)
                labels = (node.get("labels") or {}).get("nodes") or []
                yield created, [str(label["name"]) for label in labels]
            if oldest is not None and oldest <= self.since:
                return

    def workflow_runs(self, since: datetime, until: datetime) -> list[tuple[datetime, str]]:
        """(created, conclusion) of the workflow runs created in `(since, until]`, listed 100
        to a REST page; kept so that counts inside the span cost nothing more."""
        from lumen.adapters.github import api as gh_adapter

        runs: list[tuple[datetime, str]] = []
        listed = 0
        with gh_adapter.github_errors(f"read the workflow runs of {self.repository}"):
            # Lazy: no request for the repository itself, only URLs are built from it.
            repo = self._client().withLazy(True).get_repo(self.repository)
            for run in repo.get_workflow_runs(created=f"{_stamp(since)}..{_stamp(until)}"):
                listed += 1
                created = _utc(run.created_at)
                if created is not None:
                    runs.append((created, str(run.conclusion or "")))
        self.requests += _pages(listed)
        self._listed.append((since, until, runs))
        return runs

    def count_runs(self, since: datetime, until: datetime, conclusion: str) -> int:
        """Workflow runs created in `(since, until]` that ended with `conclusion`."""
        for listed_since, listed_until, runs in self._listed:
            if listed_since <= since and until <= listed_until:
                return sum(1 for c, k in runs if k == conclusion and since < c <= until)
        from lumen.adapters.github import api as gh_adapter

        with gh_adapter.github_errors(f"count the workflow runs of {self.repository}"):
            requester = self._client().requester
            _, data = requester.requestJsonAndCheck(
                "GET",
                f"/repos/{self.repository}/actions/runs",
                parameters={
                    "status": conclusion,
                    # GitHub's `created` range is inclusive; one second later keeps it `(a, b]`.
                    "created": f"{_stamp(since + ONE_SECOND)}..{_stamp(until)}",
                    "per_page": 1,
                },
            )
        self.requests += 1
        return int((data or {}).get("total_count") or 0)


ONE_SECOND = timedelta(seconds=1)


def trend_activity(
    reads: RepositoryReads, *, now: datetime, recent: timedelta, baseline: timedelta
) -> tuple[Activity, Activity]:
    """(recent, baseline) counts for the trend checks (`gates.trend`): the recent window
    `(now - recent, now]` and the baseline window of `baseline` before it.

    CI: workflow runs that succeeded or failed (cancelled and skipped runs say nothing about
    the failure rate). Deployments: outcomes and rollbacks/flipbacks as the ROI gate classifies
    them (`gates.roi.classify_deployments`), rollbacks not counted as deployments. Incidents:
    issues labelled incident or alert, by creation time.
    """
    from gates.roi import classify_deployments

    if reads.since > now - recent - baseline:
        raise ValueError("the shared reads start after the baseline window")
    spans = ((now - recent, now), (now - recent - baseline, now - recent))
    events = classify_deployments(reads.deployments())
    incidents = reads.incidents()
    out: list[Activity] = []
    for (start, end), length in zip(spans, (recent, baseline), strict=True):
        successes = reads.count_runs(start, end, "success")
        failures = reads.count_runs(start, end, "failure")
        inside = [e for e in events if start < e.ts <= end]
        deploys = [e for e in inside if e.action not in ("rollback", "flipback")]
        out.append(
            Activity(
                days=length / timedelta(days=1),
                ci_runs=successes + failures,
                ci_failures=failures,
                deploys=len(deploys),
                deploy_failures=sum(1 for e in deploys if not e.ok),
                rollbacks=sum(1 for e in inside if e.action in ("rollback", "flipback")),
                incidents=sum(1 for created, _ in incidents if start < created <= end),
            )
        )
    return out[0], out[1]


def _check_run_events(
    reads: RepositoryReads,
    *,
    since: datetime,
    until: datetime,
    counts: ActivityCount,
    inside: Callable[[datetime | None], bool],
    loop_id: str,
) -> Iterator[LoopEvent]:
    """Check runs of the default branch's commits in the span, except GitHub Actions' own
    (its jobs are already counted as workflow runs)."""
    from lumen.adapters.github.api import graphql_pages

    for commits in graphql_pages(
        HISTORY_QUERY,
        {"owner": reads.owner, "name": reads.name, "since": _stamp(since), "until": _stamp(until)},
        path=("repository", "defaultBranchRef", "target", "history"),
        what=f"read the check runs of {loop_id}",
    ):
        reads.requests += 1
        for commit in commits:
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
