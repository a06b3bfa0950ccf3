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

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gates.maturity import LoopEvent

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

    def to_dict(self) -> dict[str, int]:
        return {
            "deployments": self.deployments,
            "workflow_runs": self.workflow_runs,
            "check_runs": self.check_runs,
            "issues": self.issues,
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


def activity_events(
    owner_repo: str,
    since: datetime,
    until: datetime,
    *,
    severity_labels: Mapping[str, float],
    counts: ActivityCount | None = None,
    gh: Any = None,
) -> Iterator[LoopEvent]:
    """Events from deployments, workflow/check runs and incident issues created in the span."""
    from lumen.adapters.github import api as gh_adapter

    owner, name = gh_adapter.split_repo(owner_repo)
    counts = counts if counts is not None else ActivityCount()
    client = gh if gh is not None else gh_adapter.client()
    loop_id = f"{owner}/{name}"

    def inside(moment: datetime | None) -> bool:
        moment = _utc(moment)
        return moment is not None and since < moment <= until

    with gh_adapter.github_errors(f"read the activity of {loop_id}"):
        repo = client.get_repo(loop_id)

        # Deployments come newest first; stop at the first one older than the span.
        for deployment in repo.get_deployments():
            created = _utc(deployment.created_at)
            if created is not None and created <= since:
                break
            if not inside(created):
                continue
            latest = next(iter(deployment.get_statuses()), None)  # newest first
            state = None if latest is None else latest.state
            severity = DEPLOYMENT_SEVERITY.get(state or "")
            if severity is None or created is None:
                continue
            counts.deployments += 1
            yield LoopEvent(_micros(created), "action", severity, loop_id)

        window = f">{since.strftime('%Y-%m-%dT%H:%M:%SZ')}"
        for run in repo.get_workflow_runs(created=window):
            severity = RUN_SEVERITY.get(run.conclusion or "")
            created = _utc(run.created_at)
            if severity is None or created is None or not inside(created):
                continue
            counts.workflow_runs += 1
            yield LoopEvent(_micros(created), "evidence", severity, loop_id)

        for commit in repo.get_commits(since=since, until=until):
            for check in commit.get_check_runs():
                app = getattr(check, "app", None)
                if app is not None and getattr(app, "slug", None) == ACTIONS_APP_SLUG:
                    continue
                severity = RUN_SEVERITY.get(check.conclusion or "")
                started = _utc(check.started_at or check.completed_at)
                if severity is None or started is None or not inside(started):
                    continue
                counts.check_runs += 1
                yield LoopEvent(_micros(started), "evidence", severity, loop_id)

        seen: set[int] = set()
        for label in SIGNAL_LABELS:
            for issue in repo.get_issues(state="all", labels=[label], since=since):
                if issue.number in seen or issue.pull_request is not None:
                    continue
                seen.add(issue.number)
                created = _utc(issue.created_at)
                if created is None or not inside(created):
                    continue
                names = [lab.name for lab in issue.labels]
                counts.issues += 1
                yield LoopEvent(
                    _micros(created), "signal", issue_severity(names, severity_labels), loop_id
                )
