"""The PR surfaces of a gate on GitHub: the sticky comment, the merge-blocking label, the
check run (or commit status) and the nightly incident issue.

Writes that GitHub refuses with 403 (a fork's read-only token) are not errors: the caller
degrades to the job summary. Everything else goes through `lumen.adapters.github.api`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lumen.adapters.github.api import client, explain, github_errors, is_forbidden
from lumen.reporting import comment as render


@dataclass
class Outcome:
    """What was done, and which writes were refused (403) and skipped."""

    comment_id: int | None = None
    comment_action: str | None = None
    label_action: str | None = None
    check: str | None = None
    refused: list[str] = field(default_factory=list)


# Whose comments Lumen may edit when GitHub cannot say who the token is: `GET /user` answers 403
# for the workflow's GITHUB_TOKEN (an app installation token), whose comments are this bot's.
BOT_LOGIN_ENV = "LUMEN_GITHUB_BOT_LOGIN"
DEFAULT_BOT_LOGIN = "github-actions[bot]"


def own_login(gh: Any) -> str:
    """The login this token writes as: `GET /user`, else the app's bot login."""
    import os

    from github import GithubException

    try:
        return str(gh.get_user().login)
    except GithubException as exc:
        if exc.status not in (401, 403, 404):
            raise
    return os.environ.get(BOT_LOGIN_ENV) or DEFAULT_BOT_LOGIN


def _marked(comments: Sequence[Any], mark: str, owner: str) -> list[Any]:
    """Comments carrying the marker that `owner` wrote. Anyone can paste the marker into a
    comment; only our own are ever edited or deleted (a marker alone would let another user
    have Lumen rewrite their comment, or delete a third user's)."""
    mine = owner.lower()
    return sorted(
        (
            c
            for c in comments
            if mark in (c.body or "")
            and getattr(getattr(c, "user", None), "login", "").lower() == mine
        ),
        key=lambda c: c.id,
    )


def _delete_quietly(comment: Any) -> None:
    """Delete a duplicate; another racing job may have deleted it first (404), which is fine."""
    from github import GithubException

    try:
        comment.delete()
    except GithubException as exc:
        if exc.status != 404:
            raise


def upsert_sticky_comment(issue: Any, body: str, mark: str, owner: str) -> tuple[int, str]:
    """Edit our marked comment, or create it. Two jobs racing may both create one: after a
    create the comments are read again, the oldest of ours is kept (and given this body)
    and our others are deleted, so the PR always ends with one. `owner` is our login."""
    existing = _marked(list(issue.get_comments()), mark, owner)
    if existing:
        keep = existing[0]
        if keep.body != body:
            keep.edit(body)
        for extra in existing[1:]:
            _delete_quietly(extra)
        return keep.id, "updated"
    created = issue.create_comment(body)
    again = _marked(list(issue.get_comments()), mark, owner)
    if len(again) > 1:
        keep = again[0]
        if keep.id != created.id:
            keep.edit(body)
        for extra in again[1:]:
            _delete_quietly(extra)
        return keep.id, "updated"
    return created.id, "created"


def toggle_label(issue: Any, label: str, verdict: str) -> str:
    """Add the label on FAIL, remove it on PASS; WARN and NO_DATA leave it as it is."""
    present = any(lb.name == label for lb in issue.get_labels())
    if verdict == "FAIL" and not present:
        issue.add_to_labels(label)
        return "added"
    if verdict == "PASS" and present:
        issue.remove_from_labels(label)
        return "removed"
    return "unchanged"


def publish_check(repo: Any, sha: str, name: str, result: Mapping[str, Any], body: str) -> str:
    """A check run named `name` with the verdict as conclusion; when check runs are not
    allowed (403, e.g. a token without `checks: write`), a commit status of the same name."""
    from github import GithubException

    verdict = render.verdict_of(result)
    try:
        repo.create_check_run(
            name=name,
            head_sha=sha,
            status="completed",
            conclusion=render.CHECK_CONCLUSIONS.get(verdict, "neutral"),
            output={
                "title": f"{verdict}: {render.status_description(result)}"[:255],
                "summary": render.status_description(result),
                "text": body[:65535],
            },
        )
        return "check-run"
    except GithubException as exc:
        if not is_forbidden(exc):
            raise
    repo.get_commit(sha).create_status(
        state=render.STATUS_STATES.get(verdict, "success"),
        description=render.status_description(result),
        context=name,
    )
    return "status"


def report_on_pr(
    owner_repo: str,
    number: int,
    result: Mapping[str, Any],
    body: str,
    *,
    mark: str,
    label: str | None,
    check_name: str | None,
    sha: str | None,
) -> Outcome:
    """Comment, label and check for one gate on one PR; 403s are collected, not raised."""
    import requests
    from github import GithubException

    gh = client()
    outcome = Outcome()
    verdict = render.verdict_of(result)
    with github_errors(f"read pull request #{number} of {owner_repo}"):
        repo = gh.get_repo(owner_repo)
        issue = repo.get_issue(number)

    def comment() -> None:
        outcome.comment_id, outcome.comment_action = upsert_sticky_comment(
            issue, body, mark, own_login(gh)
        )

    def labels() -> None:
        if label:
            outcome.label_action = toggle_label(issue, label, verdict)

    def check() -> None:
        if check_name:
            head = sha or repo.get_pull(number).head.sha
            outcome.check = publish_check(repo, head, check_name, result, body)

    steps = [("comment", "comment on the pull request", comment)]
    if label:
        steps.append(("label", f"set the {label!r} label", labels))
    if check_name:
        steps.append(("check", f"publish the {check_name} check", check))
    for kind, what, step in steps:
        try:
            step()
        except GithubException as exc:
            if not is_forbidden(exc):
                raise explain(exc, what, kind=kind) from None
            outcome.refused.append(what)
        except requests.RequestException as exc:
            raise explain(exc, what, kind=kind) from None
    return outcome


def sync_incident(
    owner_repo: str,
    result: Mapping[str, Any],
    *,
    mark: str,
    body: str,
    title: str,
    label: str = "incident",
) -> tuple[str, int | None]:
    """FAIL: open the incident (or comment on the open one). PASS/WARN: comment and close the
    open incident. NO_DATA: nothing. Returns (action, issue number)."""
    from github import GithubException

    verdict = render.verdict_of(result)
    gh = client()
    try:
        repo = gh.get_repo(owner_repo)
        owner = own_login(gh).lower()
        open_issues = [
            i
            for i in repo.get_issues(state="open", labels=[label])
            if mark in (i.body or "") and str(getattr(i.user, "login", "")).lower() == owner
        ]
        current = min(open_issues, key=lambda i: i.number) if open_issues else None
        if verdict == "FAIL":
            if current is None:
                created = repo.create_issue(title=title, body=body, labels=[label])
                return "opened", created.number
            current.create_comment(body.replace(mark, "").lstrip())
            return "updated", current.number
        if verdict in ("PASS", "WARN") and current is not None:
            current.create_comment(
                f"✅ Recovered: the {result.get('gate')} gate is {verdict} again."
            )
            current.edit(state="closed", state_reason="completed")
            return "closed", current.number
        return "unchanged", current.number if current else None
    except GithubException as exc:
        raise explain(exc, f"update the incident issue of {owner_repo}", kind="issue") from None
