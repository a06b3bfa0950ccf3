"""In-memory state of the GitHub double: what a test seeds and what the product changes.

Plain records, no HTTP here. `github_double.py` renders them as GitHub's REST and GraphQL objects
(so REST and GraphQL always agree) and mutates them from API calls. Every seeding helper takes
`repo=` (default: the first repository added) and returns the created record.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

Timestamp = datetime | str | None


def to_dt(value: Timestamp, default: datetime | None = None) -> datetime | None:
    """Accept `datetime` (naive = UTC) or ISO text; None -> `default`."""
    if value is None:
        return default
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class User:
    login: str
    id: int
    type: str = "User"  # "Bot" for logins ending in [bot]
    name: str | None = None
    email: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime(2020, 1, 1, tzinfo=UTC))


@dataclass
class Label:
    id: int
    name: str
    color: str = "ededed"
    description: str | None = None


@dataclass
class Commit:
    sha: str
    message: str
    author: str  # login
    date: datetime
    parents: list[str]
    files: list[str] = field(default_factory=list)  # paths the commit changed


@dataclass
class Review:
    id: int
    user: str
    state: str  # APPROVED | CHANGES_REQUESTED | COMMENTED | DISMISSED | PENDING
    commit_id: str
    submitted_at: datetime
    body: str = ""


@dataclass
class Comment:
    id: int
    issue_number: int
    user: str
    body: str
    created_at: datetime
    updated_at: datetime


@dataclass
class Issue:
    """An issue, or the issue half of a pull request (GitHub numbers them together)."""

    number: int
    id: int
    title: str
    user: str
    body: str | None = None
    state: str = "open"
    labels: list[str] = field(default_factory=list)
    created_at: datetime = field(default_factory=lambda: datetime(2020, 1, 1, tzinfo=UTC))
    updated_at: datetime | None = None
    closed_at: datetime | None = None
    state_reason: str | None = None
    assignees: list[str] = field(default_factory=list)
    pull: Pull | None = None


@dataclass
class Pull:
    id: int
    head_ref: str
    head_sha: str
    base_ref: str
    base_sha: str
    merged_at: datetime | None = None
    merge_commit_sha: str | None = None
    merged_by: str | None = None
    draft: bool = False
    reviews: list[Review] = field(default_factory=list)
    requested_reviewers: list[str] = field(default_factory=list)
    requested_teams: list[str] = field(default_factory=list)
    commits: list[str] = field(default_factory=list)
    # A fork's full name when the head branch lives there (seed the fork with add_repo); None:
    # the head branch is in the pull request's own repository.
    head_repo: str | None = None


@dataclass
class CheckRun:
    id: int
    name: str
    head_sha: str
    status: str = "completed"
    conclusion: str | None = "success"
    started_at: datetime | None = None
    completed_at: datetime | None = None
    output: dict[str, Any] = field(default_factory=dict)
    details_url: str | None = None
    external_id: str | None = None
    app: str | None = None  # the GitHub App's slug (github-actions for workflow jobs)


@dataclass
class Status:
    id: int
    sha: str
    state: str
    context: str
    description: str | None
    target_url: str | None
    creator: str
    created_at: datetime


@dataclass
class DeploymentStatus:
    id: int
    state: str
    creator: str
    created_at: datetime
    description: str = ""
    environment: str = ""
    environment_url: str = ""
    log_url: str = ""


@dataclass
class Deployment:
    id: int
    sha: str
    ref: str
    task: str
    environment: str
    creator: str
    created_at: datetime
    description: str | None = None
    payload: Any = field(default_factory=dict)
    transient_environment: bool = False
    production_environment: bool = False
    statuses: list[DeploymentStatus] = field(default_factory=list)  # oldest first

    @property
    def latest(self) -> DeploymentStatus | None:
        return self.statuses[-1] if self.statuses else None


@dataclass
class Asset:
    id: int
    name: str
    label: str | None
    content_type: str
    data: bytes
    uploader: str
    created_at: datetime


@dataclass
class Release:
    id: int
    tag_name: str
    target_commitish: str
    name: str | None
    body: str | None
    draft: bool
    prerelease: bool
    author: str
    created_at: datetime
    published_at: datetime | None
    assets: list[Asset] = field(default_factory=list)


@dataclass
class Team:
    id: int
    org: str
    slug: str
    name: str
    members: dict[str, str] = field(default_factory=dict)  # login -> "member" | "maintainer"


@dataclass
class EnvironmentApproval:
    user: str
    state: str  # approved | rejected
    environments: list[str]
    comment: str = ""


@dataclass
class PendingEnvironment:
    environment: str
    reviewers: list[str]  # logins, or "team:<slug>"
    wait_timer: int = 0


@dataclass
class WorkflowRun:
    id: int
    name: str
    head_sha: str
    head_branch: str
    event: str
    status: str
    conclusion: str | None
    created_at: datetime
    updated_at: datetime
    actor: str
    run_number: int
    approvals: list[EnvironmentApproval] = field(default_factory=list)
    pending: list[PendingEnvironment] = field(default_factory=list)


@dataclass
class Repo:
    owner: str
    name: str
    id: int
    default_branch: str = "main"
    private: bool = False
    created_at: datetime = field(default_factory=lambda: datetime(2020, 1, 1, tzinfo=UTC))
    issues: dict[int, Issue] = field(default_factory=dict)
    labels: dict[str, Label] = field(default_factory=dict)  # lower-cased name -> label
    comments: dict[int, Comment] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)  # "heads/main" / "tags/v1" -> sha
    check_runs: dict[int, CheckRun] = field(default_factory=dict)
    statuses: list[Status] = field(default_factory=list)
    deployments: dict[int, Deployment] = field(default_factory=dict)
    releases: dict[int, Release] = field(default_factory=dict)
    workflow_runs: dict[int, WorkflowRun] = field(default_factory=dict)
    collaborators: dict[str, str] = field(default_factory=dict)  # login -> permission
    environments: dict[str, int] = field(default_factory=dict)  # name -> id
    # dependency submission API: the snapshots received, as sent (ids are positions + 1)
    dependency_snapshots: list[dict[str, Any]] = field(default_factory=list)
    next_number: int = 1

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def pulls(self) -> list[Issue]:
        return [i for i in self.issues.values() if i.pull is not None]


class NotFoundError(LookupError):
    pass


class State:
    """Everything the double knows. All access goes through `lock` (the server is threaded)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._ids = itertools.count(1000)
        self.users: dict[str, User] = {}
        self.repos: dict[str, Repo] = {}  # "owner/name" (lower case) -> repo
        self.teams: dict[tuple[str, str], Team] = {}  # (org, slug), lower case
        self.orgs: dict[str, int] = {}  # org login -> id
        self.default_repo: str | None = None
        self.clock: datetime | None = None  # fixed "now" for API-created objects; None = real

    # -- basics ------------------------------------------------------------------------------

    def new_id(self) -> int:
        return next(self._ids)

    def now(self) -> datetime:
        return self.clock or datetime.now(UTC).replace(microsecond=0)

    def user(self, login: str) -> User:
        key = login.lower()
        if key not in self.users:
            self.users[key] = User(
                login, self.new_id(), "Bot" if login.endswith("[bot]") else "User"
            )
        return self.users[key]

    def add_user(self, login: str, *, name: str | None = None, email: str | None = None) -> User:
        user = self.user(login)
        user.name, user.email = name, email
        return user

    def repo(self, repo: str | Repo | None = None) -> Repo:
        if isinstance(repo, Repo):
            return repo
        name = repo or self.default_repo
        if name is None or name.lower() not in self.repos:
            raise NotFoundError(f"repository {name!r} was not seeded")
        return self.repos[name.lower()]

    def find_repo(self, owner: str, name: str) -> Repo | None:
        return self.repos.get(f"{owner}/{name}".lower())

    def add_repo(
        self,
        full_name: str = "octo-org/app",
        *,
        default_branch: str = "main",
        private: bool = False,
        initial_commit: bool = True,
    ) -> Repo:
        owner, name = full_name.split("/")
        repo = Repo(owner, name, self.new_id(), default_branch, private)
        self.repos[full_name.lower()] = repo
        self.default_repo = self.default_repo or full_name
        self.user(owner)
        self.orgs.setdefault(owner, self.new_id())
        if initial_commit:
            self.add_commit("Initial commit", repo=repo, date="2020-01-01T00:00:00Z")
        return repo

    # -- git ---------------------------------------------------------------------------------

    def add_commit(
        self,
        message: str = "change",
        *,
        repo: str | Repo | None = None,
        sha: str | None = None,
        parents: Iterable[str] | None = None,
        branch: str | None = None,
        author: str = "octocat",
        date: Timestamp = None,
        files: Iterable[str] = (),
    ) -> str:
        """Add a commit on `branch` (default branch; parent = its head) and move the branch;
        `files` are the paths it changed (GraphQL `history(path:)` filters on them)."""
        r = self.repo(repo)
        branch = branch or r.default_branch
        if parents is None:
            head = r.refs.get(f"heads/{branch}")
            parents = [head] if head else []
        sha = sha or hashlib.sha1(f"{r.full_name}:{message}:{self.new_id()}".encode()).hexdigest()
        when = to_dt(date) or self.now()
        assert when is not None
        r.commits[sha] = Commit(sha, message, author, when, list(parents), list(files))
        r.refs[f"heads/{branch}"] = sha
        self.user(author)
        return sha

    def add_branch(
        self, name: str, sha: str | None = None, *, repo: str | Repo | None = None
    ) -> str:
        r = self.repo(repo)
        r.refs[f"heads/{name}"] = sha or self.resolve(r, r.default_branch)
        return r.refs[f"heads/{name}"]

    def add_tag(self, name: str, sha: str | None = None, *, repo: str | Repo | None = None) -> str:
        r = self.repo(repo)
        r.refs[f"tags/{name}"] = sha or self.resolve(r, r.default_branch)
        return r.refs[f"tags/{name}"]

    def resolve(self, repo: Repo, ref: str) -> str:
        """A sha for a sha, short sha, branch, tag or `heads/x` / `tags/x` / `refs/…` name."""
        ref = ref.removeprefix("refs/")
        if ref in repo.commits:
            return ref
        for key in (ref, f"heads/{ref}", f"tags/{ref}"):
            if key in repo.refs:
                return repo.refs[key]
        if len(ref) >= 7:
            hits = [s for s in repo.commits if s.startswith(ref)]
            if len(hits) == 1:
                return hits[0]
        raise NotFoundError(f"No commit found for SHA: {ref}")

    def ancestors(self, repo: Repo, sha: str) -> set[str]:
        seen: set[str] = set()
        stack = [sha]
        while stack:
            s = stack.pop()
            if s in seen or s not in repo.commits:
                continue
            seen.add(s)
            stack.extend(repo.commits[s].parents)
        return seen

    # -- issues and pulls --------------------------------------------------------------------

    def add_label(
        self,
        name: str,
        *,
        repo: str | Repo | None = None,
        color: str = "ededed",
        description: str | None = None,
    ) -> Label:
        r = self.repo(repo)
        if name.lower() not in r.labels:
            r.labels[name.lower()] = Label(self.new_id(), name, color, description)
        return r.labels[name.lower()]

    def add_issue(
        self,
        title: str = "An issue",
        *,
        repo: str | Repo | None = None,
        number: int | None = None,
        user: str = "octocat",
        body: str | None = None,
        labels: Iterable[str] = (),
        state: str = "open",
        created_at: Timestamp = None,
        closed_at: Timestamp = None,
        assignees: Iterable[str] = (),
    ) -> Issue:
        r = self.repo(repo)
        number = number or r.next_number
        r.next_number = max(r.next_number, number + 1)
        for name in labels:
            self.add_label(name, repo=r)
        created = to_dt(created_at) or self.now()
        closed = to_dt(closed_at)
        if state == "closed" and closed is None:
            closed = created
        issue = Issue(
            number,
            self.new_id(),
            title,
            self.user(user).login,
            body,
            state,
            [r.labels[n.lower()].name for n in labels],
            created,  # type: ignore[arg-type]
            max(d for d in (created, closed) if d is not None),
            closed,
            "completed" if state == "closed" else None,
            list(assignees),
        )
        r.issues[number] = issue
        return issue

    def add_pull(
        self,
        title: str = "A change",
        *,
        repo: str | Repo | None = None,
        number: int | None = None,
        user: str = "octocat",
        body: str | None = None,
        labels: Iterable[str] = (),
        state: str = "open",
        merged: bool = False,
        merged_at: Timestamp = None,
        merged_by: str | None = None,
        merge_commit_sha: str | None = None,
        created_at: Timestamp = None,
        closed_at: Timestamp = None,
        base: str | None = None,
        head: str | None = None,
        head_sha: str | None = None,
        base_sha: str | None = None,
        draft: bool = False,
        requested_reviewers: Iterable[str] = (),
        requested_teams: Iterable[str] = (),
        files: Iterable[str] = (),
    ) -> Issue:
        """A pull request. `merged=True` or `merged_at=` makes it closed+merged; a merge commit
        is added to the base branch unless `merge_commit_sha` names an existing one."""
        r = self.repo(repo)
        merged_dt = to_dt(merged_at)
        if merged and merged_dt is None:
            merged_dt = to_dt(created_at) or self.now()
        if merged_dt is not None:
            state = "closed"
            closed_at = closed_at or merged_dt
        issue = self.add_issue(
            title,
            repo=r,
            number=number,
            user=user,
            body=body,
            labels=labels,
            state=state,
            created_at=created_at or (merged_dt - timedelta(hours=1) if merged_dt else None),
            closed_at=closed_at,
        )
        base = base or r.default_branch
        head = head or f"feature-{issue.number}"
        base_sha = base_sha or r.refs.get(f"heads/{base}") or self.resolve(r, r.default_branch)
        if head_sha is None:
            head_sha = self.add_commit(
                title,
                repo=r,
                branch=head,
                parents=[base_sha],
                author=user,
                date=issue.created_at,
                files=files,
            )
            r.refs[f"heads/{base}"] = base_sha  # add_commit moved `head`, keep base where it was
        pull = Pull(self.new_id(), head, head_sha, base, base_sha, draft=draft)
        pull.requested_reviewers = list(requested_reviewers)
        pull.requested_teams = list(requested_teams)
        pull.commits = [head_sha]
        if merged_dt is not None:
            pull.merged_at = merged_dt
            pull.merged_by = merged_by or r.owner
            if merge_commit_sha is None or merge_commit_sha not in r.commits:
                merge_commit_sha = self.add_commit(
                    f"{title} (#{issue.number})",
                    repo=r,
                    sha=merge_commit_sha,
                    branch=base,
                    author=user,
                    date=merged_dt,
                    files=files,
                )
            pull.merge_commit_sha = merge_commit_sha
        issue.pull = pull
        return issue

    def add_review(
        self,
        number: int,
        user: str,
        state: str = "APPROVED",
        *,
        repo: str | Repo | None = None,
        commit_id: str | None = None,
        submitted_at: Timestamp = None,
        body: str = "",
    ) -> Review:
        pull = self.pull(number, repo)
        review = Review(
            self.new_id(),
            self.user(user).login,
            state,
            commit_id or pull.head_sha,
            to_dt(submitted_at) or self.now(),  # type: ignore[arg-type]
            body,
        )
        pull.reviews.append(review)
        return review

    def pull(self, number: int, repo: str | Repo | None = None) -> Pull:
        issue = self.repo(repo).issues.get(number)
        if issue is None or issue.pull is None:
            raise NotFoundError(f"pull request #{number} was not seeded")
        return issue.pull

    def add_comment(
        self,
        number: int,
        body: str,
        *,
        repo: str | Repo | None = None,
        user: str = "octocat",
        created_at: Timestamp = None,
    ) -> Comment:
        r = self.repo(repo)
        if number not in r.issues:
            raise NotFoundError(f"issue #{number} was not seeded")
        when = to_dt(created_at) or self.now()
        comment = Comment(self.new_id(), number, self.user(user).login, body, when, when)  # type: ignore[arg-type]
        r.comments[comment.id] = comment
        return comment

    # -- checks and statuses -----------------------------------------------------------------

    def add_check_run(
        self,
        name: str,
        head_sha: str | None = None,
        *,
        repo: str | Repo | None = None,
        status: str = "completed",
        conclusion: str | None = "success",
        started_at: Timestamp = None,
        completed_at: Timestamp = None,
        output: Mapping[str, Any] | None = None,
        app: str | None = None,
    ) -> CheckRun:
        r = self.repo(repo)
        started = to_dt(started_at) or self.now()
        run = CheckRun(
            self.new_id(),
            name,
            head_sha or self.resolve(r, r.default_branch),
            status,
            conclusion if status == "completed" else None,
            started,
            (to_dt(completed_at) or started) if status == "completed" else None,
            dict(output or {}),
            app=app,
        )
        r.check_runs[run.id] = run
        return run

    def add_status(
        self,
        state: str,
        sha: str | None = None,
        *,
        repo: str | Repo | None = None,
        context: str = "default",
        description: str | None = None,
        target_url: str | None = None,
        creator: str = "octocat",
        created_at: Timestamp = None,
    ) -> Status:
        r = self.repo(repo)
        status = Status(
            self.new_id(),
            sha or self.resolve(r, r.default_branch),
            state,
            context,
            description,
            target_url,
            self.user(creator).login,
            to_dt(created_at) or self.now(),  # type: ignore[arg-type]
        )
        r.statuses.append(status)
        return status

    # -- deployments -------------------------------------------------------------------------

    def add_deployment(
        self,
        environment: str = "production",
        *,
        repo: str | Repo | None = None,
        sha: str | None = None,
        ref: str | None = None,
        task: str = "deploy",
        creator: str = "octocat",
        created_at: Timestamp = None,
        description: str | None = None,
        payload: Any = None,
        state: str | None = None,
        statuses: Iterable[tuple[str, Timestamp]] = (),
        transient_environment: bool = False,
        production_environment: bool | None = None,
    ) -> Deployment:
        """A deployment; `state="success"` adds one status at `created_at`, `statuses=` a list of
        (state, time) added in order. `sha` defaults to `ref`'s head (a new commit when neither)."""
        r = self.repo(repo)
        created = to_dt(created_at) or self.now()
        assert created is not None
        if sha is None:
            sha = (
                self.resolve(r, ref)
                if ref
                else self.add_commit(f"deploy {environment}", repo=r, date=created)
            )
        deployment = Deployment(
            self.new_id(),
            sha,
            ref or sha,
            task,
            environment,
            self.user(creator).login,
            created,
            description,
            payload if payload is not None else {},
            transient_environment,
            environment == "production"
            if production_environment is None
            else production_environment,
        )
        r.deployments[deployment.id] = deployment
        if state is not None:
            self.add_deployment_status(deployment.id, state, repo=r, created_at=created)
        for st, when in statuses:
            self.add_deployment_status(deployment.id, st, repo=r, created_at=when)
        return deployment

    def add_deployment_status(
        self,
        deployment_id: int,
        state: str,
        *,
        repo: str | Repo | None = None,
        created_at: Timestamp = None,
        creator: str | None = None,
        description: str = "",
        environment_url: str = "",
        log_url: str = "",
        auto_inactive: bool = True,
    ) -> DeploymentStatus:
        """Append a status; like GitHub, a `success` marks earlier successful deployments of the
        same (non-transient) environment `inactive` unless `auto_inactive=False`."""
        r = self.repo(repo)
        deployment = r.deployments.get(deployment_id)
        if deployment is None:
            raise NotFoundError(f"deployment {deployment_id} was not seeded")
        when = to_dt(created_at) or self.now()
        assert when is not None
        status = DeploymentStatus(
            self.new_id(),
            state,
            self.user(creator or deployment.creator).login,
            when,
            description,
            deployment.environment,
            environment_url,
            log_url,
        )
        deployment.statuses.append(status)
        if state == "success" and auto_inactive:
            for other in r.deployments.values():
                if (
                    other.id != deployment.id
                    and other.environment == deployment.environment
                    and not other.transient_environment
                    and other.created_at <= deployment.created_at
                    and other.latest is not None
                    and other.latest.state == "success"
                ):
                    other.statuses.append(
                        DeploymentStatus(
                            self.new_id(), "inactive", status.creator, when, "", other.environment
                        )
                    )
        return status

    # -- releases ----------------------------------------------------------------------------

    def add_release(
        self,
        tag_name: str,
        *,
        repo: str | Repo | None = None,
        name: str | None = None,
        body: str | None = "",
        draft: bool = False,
        prerelease: bool = False,
        author: str = "octocat",
        target_commitish: str | None = None,
        created_at: Timestamp = None,
        published_at: Timestamp = None,
    ) -> Release:
        """A release; a published one creates its tag at `target_commitish` when missing."""
        r = self.repo(repo)
        created = to_dt(created_at) or self.now()
        target = target_commitish or r.default_branch
        release = Release(
            self.new_id(),
            tag_name,
            target,
            name if name is not None else tag_name,
            body,
            draft,
            prerelease,
            self.user(author).login,
            created,  # type: ignore[arg-type]
            None if draft else (to_dt(published_at) or created),
        )
        if not draft and f"tags/{tag_name}" not in r.refs:
            r.refs[f"tags/{tag_name}"] = self.resolve(r, target)
        r.releases[release.id] = release
        return release

    def add_asset(
        self,
        release_id: int,
        name: str,
        data: bytes = b"",
        *,
        repo: str | Repo | None = None,
        label: str | None = None,
        content_type: str = "application/octet-stream",
        uploader: str = "octocat",
    ) -> Asset:
        release = self.repo(repo).releases[release_id]
        asset = Asset(
            self.new_id(),
            name,
            label,
            content_type,
            data,
            self.user(uploader).login,
            self.now(),
        )
        release.assets.append(asset)
        return asset

    # -- orgs and teams ----------------------------------------------------------------------

    def add_team(
        self,
        org: str,
        slug: str,
        members: Iterable[str] | Mapping[str, str] = (),
        *,
        name: str | None = None,
    ) -> Team:
        """A team; `members` logins (role member) or {login: "member"|"maintainer"}."""
        self.orgs.setdefault(org, self.new_id())
        roles = dict(members) if isinstance(members, Mapping) else dict.fromkeys(members, "member")
        for login in roles:
            self.user(login)
        team = Team(self.new_id(), org, slug, name or slug, roles)
        self.teams[(org.lower(), slug.lower())] = team
        return team

    def add_workflow_run(
        self,
        name: str = "CI",
        *,
        repo: str | Repo | None = None,
        head_sha: str | None = None,
        head_branch: str | None = None,
        event: str = "push",
        status: str = "completed",
        conclusion: str | None = "success",
        created_at: Timestamp = None,
        updated_at: Timestamp = None,
        actor: str = "octocat",
    ) -> WorkflowRun:
        r = self.repo(repo)
        created = to_dt(created_at) or self.now()
        run = WorkflowRun(
            self.new_id(),
            name,
            head_sha or self.resolve(r, r.default_branch),
            head_branch or r.default_branch,
            event,
            status,
            conclusion if status == "completed" else None,
            created,  # type: ignore[arg-type]
            to_dt(updated_at) or created,  # type: ignore[arg-type]
            self.user(actor).login,
            len(r.workflow_runs) + 1,
        )
        r.workflow_runs[run.id] = run
        return run

    def add_collaborator(
        self, login: str, permission: str = "write", *, repo: str | Repo | None = None
    ) -> None:
        """`permission`: admin | maintain | write | triage | read."""
        self.user(login)
        self.repo(repo).collaborators[login.lower()] = permission

    def environment_id(self, name: str, *, repo: str | Repo | None = None) -> int:
        r = self.repo(repo)
        return r.environments.setdefault(name, self.new_id())

    def add_pending_deployment(
        self,
        run_id: int,
        environment: str = "production",
        reviewers: Iterable[str] = (),
        *,
        repo: str | Repo | None = None,
        wait_timer: int = 0,
    ) -> PendingEnvironment:
        """A run waiting for a protected environment; reviewers are logins or `team:<slug>`."""
        r = self.repo(repo)
        self.environment_id(environment, repo=r)
        pending = PendingEnvironment(environment, list(reviewers), wait_timer)
        r.workflow_runs[run_id].pending.append(pending)
        return pending

    def add_environment_approval(
        self,
        run_id: int,
        user: str,
        state: str = "approved",
        environments: Iterable[str] = ("production",),
        *,
        repo: str | Repo | None = None,
        comment: str = "",
    ) -> EnvironmentApproval:
        r = self.repo(repo)
        for name in environments:
            self.environment_id(name, repo=r)
        approval = EnvironmentApproval(self.user(user).login, state, list(environments), comment)
        r.workflow_runs[run_id].approvals.append(approval)
        return approval
