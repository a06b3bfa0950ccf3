"""Reviews and deployment approvals from GitHub, and allowlist membership with team lookups
(cached per run)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gates.approval import Review
from gates.errors import SourceError
from lumen.adapters.github.api import client, github_errors


class Allowlist:
    """Users and `org/team` slugs; teams are resolved through the API once per team and user."""

    def __init__(self, entries: Iterable[str], gh: Any) -> None:
        self.users: set[str] = set()
        self.teams: list[tuple[str, str]] = []
        for raw in entries:
            for entry in (part.strip() for part in raw.split(",")):
                if not entry:
                    continue
                entry = entry.lstrip("@")
                if "/" in entry:
                    org, slug = entry.split("/", 1)
                    self.teams.append((org, slug))
                else:
                    self.users.add(entry.lower())
        self._gh = gh
        self._members: dict[tuple[str, str, str], bool] = {}
        self._checked_teams: set[tuple[str, str]] = set()
        self.lookups = 0

    def __bool__(self) -> bool:
        return bool(self.users or self.teams)

    def _check_team(self, org: str, slug: str) -> None:
        from github import GithubException

        if (org, slug) in self._checked_teams:
            return
        try:
            self.lookups += 1
            self._gh.get_organization(org).get_team_by_slug(slug)
        except GithubException as exc:
            if exc.status in (401, 403, 404):
                raise SourceError(
                    f"cannot read the team {org}/{slug} (HTTP {exc.status}): the token needs "
                    "read:org (a GITHUB_TOKEN cannot read teams; use a GitHub App or a token with "
                    "the read:org scope), or the team does not exist"
                ) from None
            raise
        self._checked_teams.add((org, slug))

    def allows(self, login: str) -> bool:
        from github import GithubException

        if login.lower() in self.users:
            return True
        for org, slug in self.teams:
            key = (org.lower(), slug.lower(), login.lower())
            if key not in self._members:
                self._check_team(org, slug)
                with github_errors(f"read the membership of {login} in {org}/{slug}", kind="team"):
                    try:
                        self.lookups += 1
                        membership = (
                            self._gh.get_organization(org)
                            .get_team_by_slug(slug)
                            .get_team_membership(login)
                        )
                        self._members[key] = membership.state == "active"
                    except GithubException as exc:
                        if exc.status != 404:
                            raise
                        self._members[key] = False  # 404 on a readable team: not a member
            if self._members[key]:
                return True
        return False


def pull_reviews(gh: Any, owner_repo: str, number: int) -> tuple[list[Review], str, str]:
    """(reviews in GitHub's order, head SHA, author login) of a pull request."""
    with github_errors(f"read the reviews of pull request #{number} of {owner_repo}"):
        pull = gh.get_repo(owner_repo).get_pull(number)
        reviews = [
            Review(
                user=r.user.login if r.user else "ghost",
                state=str(r.state),
                commit_id=r.commit_id,
                submitted_at=r.submitted_at.isoformat() if r.submitted_at else "",
                order=index,
            )
            for index, r in enumerate(pull.get_reviews())
        ]
        return reviews, pull.head.sha, pull.user.login


def deployment_approvals(gh: Any, owner_repo: str, run_id: int, environment: str) -> list[Review]:
    """Approvals of a workflow run's pending deployment review for one environment."""
    with github_errors(f"read the deployment reviews of run {run_id} of {owner_repo}"):
        _, data = gh.requester.requestJsonAndCheck(
            "GET", f"/repos/{owner_repo}/actions/runs/{run_id}/approvals"
        )
    reviews = []
    for index, item in enumerate(data or []):
        names = [e.get("name") for e in item.get("environments") or []]
        if environment not in names:
            continue
        state = {"approved": "APPROVED", "rejected": "CHANGES_REQUESTED"}.get(
            item.get("state"), "COMMENTED"
        )
        reviews.append(
            Review(user=(item.get("user") or {}).get("login", "ghost"), state=state, order=index)
        )
    return reviews


def new_client() -> Any:
    return client()
