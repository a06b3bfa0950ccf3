"""GraphQL side of the GitHub double, executed against GitHub's full published schema.

`@octokit/graphql-schema`'s `schema.graphql` is built once per process with graphql-core; every
document is validated against it (an unknown field, a wrong argument or variable type is a
contract violation and answered the way GitHub does: HTTP 200 with `errors`), then executed
against the same schema with a default resolver over plain dicts built from the double's state.
A dict value may be a callable: it is called with the field's arguments (connections).

Modelled: `repository(owner, name)` { deployments, pullRequests, issues, releases, ref,
defaultBranchRef, … }, `search(type: ISSUE, query: "repo:o/r is:pr is:merged merged:>=…")`,
`rateLimit`, `viewer`, `organization(login) { team(slug) { members } }`. Connections follow
GitHub's rules: `first` or `last` is required, at most 100, opaque cursors, `totalCount`,
`pageInfo`, `nodes` and `edges`; search stops at 1,000 results (`issueCount` is the total).
A null for a non-null field (something the double does not model yet) is a violation too.

GitHub's SDL is not strictly valid for graphql-core (a duplicated field, deprecated interface
implementations), so it is built with `assume_valid_sdl` and the schema marked validated: the
*queries* are still fully validated against it.
"""

from __future__ import annotations

import base64
import functools
import json
import re
import shlex
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import graphql
from graphql import GraphQLError, GraphQLSchema

from harness import github_state as gs
from harness.github_double import node_id as _node
from harness.github_rest import _in_range
from harness.github_state import iso
from harness.openapi_validate import NPM, require_npm_file

if TYPE_CHECKING:
    from harness.github_double import GitHubDouble, TokenPolicy

SCHEMA_PATH = NPM / "@octokit" / "graphql-schema" / "schema.graphql"
MAX_PAGE = 100
SEARCH_LIMIT = 1000

_ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


class GitHubGraphQLError(GraphQLError):
    """An error GitHub itself would return (NOT_FOUND, FORBIDDEN…): not a double defect."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message, extensions={"type": kind})


def _checked_scalar(name: str, check: Callable[[Any], bool]) -> Callable[[Any], Any]:
    def serialize(value: Any) -> Any:
        if not check(value):
            raise GraphQLError(f"double sent an invalid {name}: {value!r}")
        return value

    return serialize


@functools.cache
def schema() -> GraphQLSchema:
    require_npm_file(SCHEMA_PATH)
    built = graphql.build_schema(SCHEMA_PATH.read_text(encoding="utf-8"), assume_valid_sdl=True)
    built._validation_errors = []  # see the module docstring: GitHub's SDL, trusted as published
    # Custom scalars pass anything by default; check the ones whose format products parse.
    checks: dict[str, Callable[[Any], bool]] = {
        "DateTime": lambda v: isinstance(v, str) and bool(_ISO.match(v)),
        "GitObjectID": lambda v: isinstance(v, str) and bool(re.fullmatch(r"[0-9a-f]{40}", v)),
        "URI": lambda v: isinstance(v, str) and v.startswith(("http://", "https://")),
    }
    for name, check in checks.items():
        scalar = built.type_map[name]
        assert isinstance(scalar, graphql.GraphQLScalarType)
        scalar.serialize = _checked_scalar(name, check)  # type: ignore[method-assign]
    return built


def _resolve(source: Any, info: graphql.GraphQLResolveInfo, **args: Any) -> Any:
    value = (
        source.get(info.field_name)
        if isinstance(source, dict)
        else getattr(source, info.field_name, None)
    )
    return value(**args) if callable(value) else value


def _type_of(value: Any, info: graphql.GraphQLResolveInfo, abstract: Any) -> str | None:
    return value.get("__typename") if isinstance(value, dict) else None


def execute(double: GitHubDouble, request: Any, policy: TokenPolicy) -> dict[str, Any]:
    """One GraphQL HTTP request body -> GitHub's response body (always HTTP 200)."""
    if not isinstance(request, dict) or not isinstance(request.get("query"), str):
        double.violation("POST /graphql: body must be an object with a `query` string")
        return {
            "errors": [{"message": "A query attribute must be specified and must be a string."}]
        }
    try:
        document = graphql.parse(request["query"])
    except GraphQLError as syntax:
        double.violation(f"GraphQL syntax error: {syntax.message}")
        return {"errors": [syntax.formatted]}
    invalid = graphql.validate(schema(), document)
    if invalid:
        for problem in invalid:
            double.violation(f"GraphQL query does not match GitHub's schema: {problem.message}")
        return {"errors": [problem.formatted for problem in invalid]}
    operations = [d for d in document.definitions if isinstance(d, graphql.OperationDefinitionNode)]
    if any(o.operation == graphql.OperationType.MUTATION for o in operations) and not policy.write:
        return {
            "errors": [{"type": "FORBIDDEN", "message": "Resource not accessible by integration"}]
        }
    result = graphql.execute(
        schema(),
        document,
        root_value=Root(double, policy).fields(),
        variable_values=request.get("variables") or {},
        operation_name=request.get("operationName"),
        field_resolver=_resolve,
        type_resolver=_type_of,
    )
    assert not isinstance(result, Awaitable)  # every resolver is synchronous
    out: dict[str, Any] = {"data": result.data}
    if result.errors:
        formatted = []
        for error in result.errors:
            item = dict(error.formatted)
            github_error = error.original_error or error
            if isinstance(github_error, GitHubGraphQLError):
                # GitHub's own error shape: a top-level `type`, no `extensions`
                item["type"] = (github_error.extensions or {}).get("type")
                item.pop("extensions", None)
            else:
                double.violation(f"GraphQL execution failed: {error.message} at {error.path}")
            formatted.append(item)
        out["errors"] = formatted
    return out


# -- connections --------------------------------------------------------------------------------


def _cursor(index: int) -> str:
    return base64.b64encode(f"cursor:v2:{index}".encode()).decode()


def _index(cursor: str | None, name: str) -> int | None:
    if cursor is None:
        return None
    try:
        text = base64.b64decode(cursor).decode()
        return int(text.rsplit(":", 1)[1])
    except (ValueError, IndexError):
        raise GitHubGraphQLError(
            f"`{cursor}` does not appear to be a valid cursor.", "INVALID_CURSOR_ARGUMENTS"
        ) from None


def connection(
    name: str,
    items: list[Any],
    render: Callable[[Any], Any],
    *,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    total: int | None = None,
    require_limit: bool = True,
    **_ignored: Any,
) -> dict[str, Any]:
    """GitHub's cursor pagination over `items` (already filtered and ordered)."""
    for arg, value in (("first", first), ("last", last)):
        if value is not None and value > MAX_PAGE:
            raise GraphQLError(
                f"Requesting {value} records on the `{name}` connection exceeds the `{arg}` "
                f"limit of {MAX_PAGE} records."
            )
        if value is not None and value < 0:
            raise GraphQLError(f"`{arg}` on the `{name}` connection cannot be less than zero.")
    if first is None and last is None:
        if require_limit:
            raise GraphQLError(
                f"You must provide a `first` or `last` value to properly paginate the `{name}` "
                "connection."
            )
        first = MAX_PAGE
    start = 0
    end = len(items)
    after_index = _index(after, name)
    before_index = _index(before, name)
    if after_index is not None:
        start = after_index + 1
    if before_index is not None:
        end = min(end, before_index)
    if first is not None:
        end = min(end, start + first)
    if last is not None:
        start = max(start, end - last)
    window = list(range(start, end))
    nodes = [render(items[i]) for i in window]
    return {
        "totalCount": len(items) if total is None else total,
        "nodes": nodes,
        "edges": [{"cursor": _cursor(i), "node": n} for i, n in zip(window, nodes, strict=True)],
        "pageInfo": {
            "hasNextPage": end < len(items),
            "hasPreviousPage": start > 0,
            "startCursor": _cursor(window[0]) if window else None,
            "endCursor": _cursor(window[-1]) if window else None,
        },
    }


def _order(
    items: list[Any],
    order_by: dict[str, Any] | None,
    keys: dict[str, Callable[[Any], Any]],
    default: str,
    direction: str = "ASC",
) -> list[Any]:
    field = (order_by or {}).get("field", default)
    direction = (order_by or {}).get("direction", direction)
    key = keys.get(field, keys[default])
    return sorted(items, key=key, reverse=direction == "DESC")


# -- the graph ----------------------------------------------------------------------------------


class Root:
    """Dict views of the double's state (fresh per request, built lazily per field)."""

    def __init__(self, double: GitHubDouble, policy: TokenPolicy) -> None:
        self.d = double
        self.st = double.state
        self.policy = policy

    def fields(self) -> dict[str, Any]:
        return {
            "repository": self.repository,
            "search": self.search,
            "rateLimit": self.rate_limit,
            "viewer": lambda: self.actor(self.policy.login),
            "user": lambda login: self.actor(login) if login.lower() in self.st.users else None,
            "organization": self.organization,
        }

    # -- basics --

    def actor(self, login: str | None) -> dict[str, Any] | None:
        if login is None:
            return None
        user = self.st.user(login)
        kind = "Bot" if user.type == "Bot" else "User"
        return {
            "__typename": kind,
            "id": _node("U", user.id),
            "databaseId": user.id,
            "login": user.login.removesuffix("[bot]") if kind == "Bot" else user.login,
            "name": user.name,
            "email": user.email or "",
            "url": f"https://github.com/{user.login}",
            "resourcePath": f"/{user.login}",
            "avatarUrl": lambda size=None: f"https://avatars.githubusercontent.com/u/{user.id}",
            "createdAt": iso(user.created_at),
            "updatedAt": iso(user.created_at),
        }

    def rate_limit(self, dryRun: bool = False) -> dict[str, Any]:
        reset = datetime.fromtimestamp(self.st.now().timestamp() + 3600, tz=self.st.now().tzinfo)
        return {
            "cost": 1,
            "limit": 5000,
            "remaining": 5000 - len([r for r in self.d.requests if r.template == "/graphql"]),
            "used": len([r for r in self.d.requests if r.template == "/graphql"]),
            "resetAt": iso(reset),
            "nodeCount": 0,
        }

    def organization(self, login: str) -> dict[str, Any] | None:
        if login not in self.st.orgs:
            raise GitHubGraphQLError(
                f"Could not resolve to an Organization with the login of '{login}'.", "NOT_FOUND"
            )
        if not self.policy.read_org:
            raise GitHubGraphQLError("Resource not accessible by integration", "FORBIDDEN")

        def team(slug: str) -> dict[str, Any] | None:
            t = self.st.teams.get((login.lower(), slug.lower()))
            if t is None:
                return None
            return {
                "__typename": "Team",
                "id": _node("T", t.id),
                "databaseId": t.id,
                "name": t.name,
                "slug": t.slug,
                "combinedSlug": f"{login}/{t.slug}",
                "members": lambda **a: connection(
                    "members",
                    [u for u, r in t.members.items() if a.get("role") in (None, r.upper())],
                    self.actor,
                    **a,
                ),
            }

        return {
            "__typename": "Organization",
            "id": _node("O", self.st.orgs[login]),
            "login": login,
            "team": team,
        }

    # -- repository --

    def repository(self, owner: str, name: str, followRenames: bool = True) -> dict[str, Any]:
        r = self.st.find_repo(owner, name)
        if r is None:
            raise GitHubGraphQLError(
                f"Could not resolve to a Repository with the name '{owner}/{name}'.", "NOT_FOUND"
            )
        return self.repo(r)

    def repo(self, r: gs.Repo) -> dict[str, Any]:
        def ref(qualifiedName: str) -> dict[str, Any] | None:
            key = qualifiedName.removeprefix("refs/")
            for candidate in (key, f"heads/{key}", f"tags/{key}"):
                if candidate in r.refs:
                    return self.ref(r, candidate)
            return None

        return {
            "__typename": "Repository",
            "id": _node("R", r.id),
            "databaseId": r.id,
            "name": r.name,
            "nameWithOwner": r.full_name,
            "owner": {"__typename": "Organization", "login": r.owner, "id": _node("O", 1)},
            "url": f"https://github.com/{r.full_name}",
            "isPrivate": r.private,
            "createdAt": iso(r.created_at),
            "defaultBranchRef": lambda: self.ref(r, f"heads/{r.default_branch}"),
            "ref": ref,
            "deployments": lambda **a: self.deployments(r, **a),
            "pullRequests": lambda **a: self.pull_requests(r, **a),
            "pullRequest": lambda number: self.pull_by_number(r, number),
            "issues": lambda **a: self.issues(r, **a),
            "releases": lambda **a: self.releases(r, **a),
            "latestRelease": lambda: self.latest_release(r),
            "release": lambda tagName: next(
                (self.release(r, x) for x in r.releases.values() if x.tag_name == tagName), None
            ),
            "object": lambda expression=None, oid=None: self.git_object(r, expression or oid),
        }

    def git_object(self, r: gs.Repo, expression: str | None) -> dict[str, Any] | None:
        """`object(expression:)`: a sha, branch, tag or `refs/...` name (commits only)."""
        if not expression:
            return None
        try:
            sha = self.st.resolve(r, expression)
        except gs.NotFoundError:
            return None
        return self.commit(r, sha)

    def ref(self, r: gs.Repo, key: str) -> dict[str, Any] | None:
        if key not in r.refs:
            return None
        prefix, _, name = key.partition("/")
        return {
            "__typename": "Ref",
            "id": _node("REF", abs(hash(key)) % 10**9),
            "name": name,
            "prefix": f"refs/{prefix}/",
            "target": self.commit(r, r.refs[key]),
            "compare": lambda headRef: self.compare(r, r.refs[key], headRef),
        }

    def compare(self, r: gs.Repo, base: str, head_ref: str) -> dict[str, Any] | None:
        """`Ref.compare(headRef:)`: the commits reachable from the head and not from the
        base, oldest first (as GitHub lists a comparison)."""
        try:
            head = self.st.resolve(r, head_ref)
        except gs.NotFoundError:
            raise GitHubGraphQLError(
                f"Could not resolve to a commit for '{head_ref}'.", "NOT_FOUND"
            ) from None
        ahead = self.st.ancestors(r, head) - self.st.ancestors(r, base)
        behind = self.st.ancestors(r, base) - self.st.ancestors(r, head)
        commits = sorted((r.commits[s] for s in ahead), key=lambda c: (c.date, c.sha))
        return {
            "__typename": "Comparison",
            "id": _node("CMP", int(base[:6], 16) ^ int(head[:6], 16)),
            "aheadBy": len(ahead),
            "behindBy": len(behind),
            "status": "AHEAD" if not behind else ("BEHIND" if not ahead else "DIVERGED"),
            "baseTarget": self.commit(r, base),
            "headTarget": self.commit(r, head),
            "commits": lambda **a: connection(
                "commits", commits, lambda c: self.commit(r, c.sha), **a
            ),
        }

    def commit(self, r: gs.Repo, sha: str | None) -> dict[str, Any] | None:
        if sha is None or sha not in r.commits:
            return None
        c = r.commits[sha]
        person = {
            "name": c.author,
            "email": f"{c.author}@users.noreply.github.com",
            "date": iso(c.date),
            "user": lambda: self.actor(c.author),
        }
        return {
            "__typename": "Commit",
            "id": _node("C", int(sha[:8], 16)),
            "oid": sha,
            "abbreviatedOid": sha[:7],
            "message": c.message,
            "messageHeadline": c.message.splitlines()[0] if c.message else "",
            "committedDate": iso(c.date),
            "authoredDate": iso(c.date),
            "pushedDate": iso(c.date),
            "url": f"https://github.com/{r.full_name}/commit/{sha}",
            "author": person,
            "committer": person,
            "authors": lambda **a: connection(
                "authors", [person], lambda p: {"__typename": "GitActor", **p}, **a
            ),
            "history": lambda **a: self.history(r, sha, **a),
            "checkSuites": lambda **a: self.check_suites(r, sha, **a),
            "associatedPullRequests": lambda **a: connection(
                "associatedPullRequests",
                [
                    i
                    for i in sorted(r.issues.values(), key=lambda i: i.number)
                    if i.pull is not None
                    and (i.pull.merge_commit_sha == sha or sha in i.pull.commits)
                ],
                lambda i: self.pull(r, i),
                **a,
            ),
        }

    def check_suites(self, r: gs.Repo, sha: str, **page: Any) -> dict[str, Any]:
        """`Commit.checkSuites`: the commit's check runs grouped by app, one suite per app."""
        by_app: dict[str | None, list[gs.CheckRun]] = {}
        for run in sorted(r.check_runs.values(), key=lambda run: run.id):
            if run.head_sha == sha:
                by_app.setdefault(run.app, []).append(run)

        def suite(item: tuple[str | None, list[gs.CheckRun]]) -> dict[str, Any]:
            app, runs = item
            return {
                "__typename": "CheckSuite",
                "app": None if app is None else {"__typename": "App", "slug": app, "name": app},
                "checkRuns": lambda **a: connection("checkRuns", runs, self.check_run, **a),
            }

        return connection("checkSuites", list(by_app.items()), suite, **page)

    @staticmethod
    def check_run(run: gs.CheckRun) -> dict[str, Any]:
        return {
            "__typename": "CheckRun",
            "databaseId": run.id,
            "name": run.name,
            "status": run.status.upper(),
            "conclusion": None if run.conclusion is None else run.conclusion.upper(),
            "startedAt": iso(run.started_at) if run.started_at else None,
            "completedAt": iso(run.completed_at) if run.completed_at else None,
        }

    def history(
        self,
        r: gs.Repo,
        sha: str,
        *,
        since: str | None = None,
        until: str | None = None,
        path: str | None = None,
        author: Any = None,
        **page: Any,
    ) -> dict[str, Any]:
        """`Commit.history`: the commit and its ancestors, newest first; `since`/`until`
        bound the commit date (inclusive), `path` keeps commits that changed it (or a file
        under it)."""
        low = datetime.fromisoformat(since.replace("Z", "+00:00")) if since else None
        high = datetime.fromisoformat(until.replace("Z", "+00:00")) if until else None
        prefix = path.rstrip("/") + "/" if path else None
        commits = [
            c
            for c in (r.commits[s] for s in self.st.ancestors(r, sha))
            if (low is None or c.date >= low)
            and (high is None or c.date <= high)
            and (path is None or any(f == path or f.startswith(prefix or "") for f in c.files))
        ]
        commits.sort(key=lambda c: c.date, reverse=True)
        return connection("history", commits, lambda c: self.commit(r, c.sha), **page)

    # -- deployments --

    def deployments(
        self,
        r: gs.Repo,
        *,
        environments: Iterable[str] | None = None,
        orderBy: dict[str, Any] | None = None,
        **page: Any,
    ) -> dict[str, Any]:
        items = [
            x for x in r.deployments.values() if not environments or x.environment in environments
        ]
        items = _order(items, orderBy, {"CREATED_AT": lambda x: (x.created_at, x.id)}, "CREATED_AT")
        return connection("deployments", items, lambda x: self.deployment(r, x), **page)

    def deployment(self, r: gs.Repo, x: gs.Deployment) -> dict[str, Any]:
        latest = x.latest
        state = _DEPLOYMENT_STATE.get(latest.state if latest else "", "PENDING")
        ref_key = next(
            (
                k
                for k in (f"heads/{x.ref}", f"tags/{x.ref}", x.ref.removeprefix("refs/"))
                if k in r.refs
            ),
            None,
        )
        return {
            "__typename": "Deployment",
            "id": _node("DE", x.id),
            "databaseId": x.id,
            "commitOid": x.sha,
            "commit": lambda: self.commit(r, x.sha),
            "ref": lambda: self.ref(r, ref_key) if ref_key else None,
            "task": x.task,
            "environment": x.environment,
            "originalEnvironment": x.environment,
            "latestEnvironment": x.environment,
            "description": x.description,
            "payload": json.dumps(x.payload),
            "createdAt": iso(x.created_at),
            "updatedAt": iso(latest.created_at if latest else x.created_at),
            "creator": self.actor(x.creator),
            "state": state,
            "latestStatus": self.deployment_status(x, latest) if latest else None,
            "statuses": lambda **a: connection(
                "statuses",
                list(reversed(x.statuses)),
                lambda s: self.deployment_status(x, s),
                **a,
            ),
            "repository": lambda: self.repo(r),
        }

    def deployment_status(self, x: gs.Deployment, s: gs.DeploymentStatus) -> dict[str, Any]:
        return {
            "__typename": "DeploymentStatus",
            "id": _node("DES", s.id),
            "state": s.state.upper(),
            "description": s.description or None,
            "environment": s.environment or x.environment,
            "environmentUrl": s.environment_url or None,
            "logUrl": s.log_url or None,
            "createdAt": iso(s.created_at),
            "updatedAt": iso(s.created_at),
            "creator": self.actor(s.creator),
        }

    # -- pull requests and issues --

    def pull_requests(
        self,
        r: gs.Repo,
        *,
        states: Iterable[str] | None = None,
        labels: Iterable[str] | None = None,
        baseRefName: str | None = None,
        headRefName: str | None = None,
        orderBy: dict[str, Any] | None = None,
        **page: Any,
    ) -> dict[str, Any]:
        wanted = set(states or ())
        items = [
            i
            for i in r.pulls
            if (not wanted or _pull_state(i) in wanted)
            and (not labels or set(labels) & set(i.labels))
            and (baseRefName is None or (i.pull and i.pull.base_ref == baseRefName))
            and (headRefName is None or (i.pull and i.pull.head_ref == headRefName))
        ]
        items = _order(
            items,
            orderBy,
            {
                "CREATED_AT": lambda i: (i.created_at, i.number),
                "UPDATED_AT": lambda i: (i.updated_at or i.created_at, i.number),
            },
            "CREATED_AT",
        )
        return connection("pullRequests", items, lambda i: self.pull(r, i), **page)

    def pull_by_number(self, r: gs.Repo, number: int) -> dict[str, Any] | None:
        issue = r.issues.get(number)
        if issue is None or issue.pull is None:
            raise GitHubGraphQLError(
                f"Could not resolve to a PullRequest with the number of {number}.", "NOT_FOUND"
            )
        return self.pull(r, issue)

    def _issue_common(self, r: gs.Repo, i: gs.Issue, kind: str) -> dict[str, Any]:
        path = "pull" if kind == "PullRequest" else "issues"
        return {
            "__typename": kind,
            "number": i.number,
            "title": i.title,
            "body": i.body or "",
            "url": f"https://github.com/{r.full_name}/{path}/{i.number}",
            "permalink": f"https://github.com/{r.full_name}/{path}/{i.number}",
            "resourcePath": f"/{r.full_name}/{path}/{i.number}",
            "createdAt": iso(i.created_at),
            "updatedAt": iso(i.updated_at or i.created_at),
            "closedAt": iso(i.closed_at),
            "closed": i.state == "closed",
            "author": self.actor(i.user),
            "authorAssociation": "MEMBER",
            "labels": lambda **a: connection(
                "labels", list(i.labels), lambda n: self.label(r, n), **a
            ),
            "repository": lambda: self.repo(r),
        }

    def label(self, r: gs.Repo, name: str) -> dict[str, Any]:
        label = r.labels[name.lower()]
        return {
            "__typename": "Label",
            "id": _node("LA", label.id),
            "name": label.name,
            "color": label.color,
            "description": label.description,
            "url": f"https://github.com/{r.full_name}/labels/{label.name}",
        }

    def pull(self, r: gs.Repo, i: gs.Issue) -> dict[str, Any]:
        p = i.pull
        assert p is not None
        out = self._issue_common(r, i, "PullRequest")
        out.update(
            id=_node("PR", p.id),
            databaseId=p.id,
            state=_pull_state(i),
            merged=p.merged_at is not None,
            mergedAt=iso(p.merged_at),
            mergedBy=self.actor(p.merged_by),
            mergeCommit=lambda: self.commit(r, p.merge_commit_sha),
            baseRepository=lambda: self.repo(r),
            headRepository=lambda: self.repo(r),
            isCrossRepository=False,
            baseRefName=p.base_ref,
            headRefName=p.head_ref,
            baseRefOid=p.base_sha,
            headRefOid=p.head_sha,
            isDraft=p.draft,
            additions=0,
            deletions=0,
            changedFiles=0,
            reviewDecision=None,
            reviews=lambda states=None, **a: connection(
                "reviews",
                [v for v in p.reviews if not states or v.state in states],
                lambda v: {
                    "__typename": "PullRequestReview",
                    "id": _node("PRR", v.id),
                    "databaseId": v.id,
                    "state": v.state,
                    "body": v.body,
                    "submittedAt": iso(v.submitted_at),
                    "createdAt": iso(v.submitted_at),
                    "author": self.actor(v.user),
                    "commit": self.commit(r, v.commit_id),
                },
                **a,
            ),
            files=lambda **a: connection(
                "files",
                sorted(
                    {
                        f
                        for s in [*p.commits, p.merge_commit_sha]
                        if s in r.commits
                        for f in r.commits[s].files
                    }
                ),
                lambda f: {
                    "__typename": "PullRequestChangedFile",
                    "path": f,
                    "additions": 1,
                    "deletions": 0,
                    "changeType": "MODIFIED",
                    "viewerViewedState": "UNVIEWED",
                },
                **a,
            ),
            commits=lambda **a: connection(
                "commits",
                list(p.commits),
                lambda s: {
                    "__typename": "PullRequestCommit",
                    "id": _node("PRC", int(s[:8], 16)),
                    "commit": self.commit(r, s),
                },
                **a,
            ),
        )
        return out

    def issue(self, r: gs.Repo, i: gs.Issue) -> dict[str, Any]:
        out = self._issue_common(r, i, "Issue")
        out.update(
            id=_node("I", i.id),
            databaseId=i.id,
            state=i.state.upper(),
            stateReason=(i.state_reason or "").upper() or None,
        )
        return out

    def issues(
        self,
        r: gs.Repo,
        *,
        states: Iterable[str] | None = None,
        labels: Iterable[str] | None = None,
        orderBy: dict[str, Any] | None = None,
        filterBy: dict[str, Any] | None = None,
        **page: Any,
    ) -> dict[str, Any]:
        wanted = set(states or ())
        since = gs.to_dt((filterBy or {}).get("since"))
        items = [
            i
            for i in r.issues.values()
            if i.pull is None
            and (not wanted or i.state.upper() in wanted)
            and (not labels or set(labels) & set(i.labels))
            and (since is None or (i.updated_at or i.created_at) >= since)
        ]
        items = _order(
            items,
            orderBy,
            {
                "CREATED_AT": lambda i: (i.created_at, i.number),
                "UPDATED_AT": lambda i: (i.updated_at or i.created_at, i.number),
            },
            "CREATED_AT",
        )
        return connection("issues", items, lambda i: self.issue(r, i), **page)

    # -- releases --

    def release(self, r: gs.Repo, x: gs.Release) -> dict[str, Any]:
        return {
            "__typename": "Release",
            "id": _node("RE", x.id),
            "databaseId": x.id,
            "name": x.name,
            "tagName": x.tag_name,
            "description": x.body,
            "isDraft": x.draft,
            "isPrerelease": x.prerelease,
            "isLatest": False,
            "createdAt": iso(x.created_at),
            "publishedAt": iso(x.published_at),
            "url": f"https://github.com/{r.full_name}/releases/tag/{x.tag_name}",
            "author": self.actor(x.author),
            "tagCommit": lambda: self.commit(r, r.refs.get(f"tags/{x.tag_name}")),
            "tag": lambda: self.ref(r, f"tags/{x.tag_name}"),
        }

    def releases(
        self, r: gs.Repo, orderBy: dict[str, Any] | None = None, **page: Any
    ) -> dict[str, Any]:
        items = _order(
            list(r.releases.values()),
            orderBy,
            {"CREATED_AT": lambda x: (x.created_at, x.id), "NAME": lambda x: x.name or ""},
            "CREATED_AT",
        )
        return connection("releases", items, lambda x: self.release(r, x), **page)

    def latest_release(self, r: gs.Repo) -> dict[str, Any] | None:
        published = [x for x in r.releases.values() if not x.draft and not x.prerelease]
        if not published:
            return None
        return self.release(r, max(published, key=lambda x: (x.published_at, x.id)))

    # -- search --

    def search(self, query: str, type: str, **page: Any) -> dict[str, Any]:
        if type != "ISSUE":
            raise GraphQLError(f"the double models search(type: ISSUE) only, not {type}")
        matches = search_issues(self.st, query)
        total = len(matches)
        out = connection(
            "search",
            matches[:SEARCH_LIMIT],
            lambda pair: self.pull(*pair) if pair[1].pull else self.issue(*pair),
            total=total,
            **page,
        )
        out.update(
            issueCount=total,
            repositoryCount=0,
            userCount=0,
            codeCount=0,
            discussionCount=0,
            wikiCount=0,
        )
        return out


def search_issues(state: gs.State, query: str) -> list[tuple[gs.Repo, gs.Issue]]:
    """Issues and pull requests matching a GitHub search query (the qualifiers products use:
    repo, is/type/state, label, merged/created/closed/updated ranges, author, base, head,
    sort); an unmodelled qualifier is an error rather than a silent match-all."""
    try:
        tokens = shlex.split(query)
    except ValueError:
        tokens = query.split()
    repos: list[gs.Repo] = []
    tests: list[Callable[[gs.Repo, gs.Issue], bool]] = []
    sort = "created-desc"
    words: list[str] = []
    for token in tokens:
        negate = token.startswith("-")
        key, sep, value = token.lstrip("-").partition(":")
        if not sep:
            words.append(token.lower())
            continue
        test: Callable[[gs.Repo, gs.Issue], bool] | None = None
        if key == "repo":
            found = state.find_repo(*value.split("/", 1)) if "/" in value else None
            if found is None:
                raise GraphQLError(f"search: repository {value!r} is unknown to the double")
            repos.append(found)
        elif key in ("is", "type", "state"):
            test = _IS.get(value)
            if test is None:
                raise GraphQLError(f"search: qualifier {token!r} is not modelled by the double")
        elif key == "label":
            names = {n.lower() for n in value.split(",")}
            test = lambda r, i, names=names: bool(names & {n.lower() for n in i.labels})  # noqa: E731
        elif key in ("merged", "created", "closed", "updated"):
            test = _date_test(key, value)
        elif key == "author":
            test = lambda r, i, v=value: i.user.lower() == v.lower()  # noqa: E731
        elif key == "base":
            test = lambda r, i, v=value: bool(i.pull and i.pull.base_ref == v)  # noqa: E731
        elif key == "head":
            test = lambda r, i, v=value: bool(i.pull and i.pull.head_ref == v)  # noqa: E731
        elif key == "sort":
            sort = value
        else:
            raise GraphQLError(f"search: qualifier {key!r} is not modelled by the double")
        if test is not None:
            tests.append((lambda r, i, t=test: not t(r, i)) if negate else test)
    pool = repos or list(state.repos.values())
    hits = [
        (r, i)
        for r in pool
        for i in r.issues.values()
        if all(t(r, i) for t in tests)
        and all(w in f"{i.title} {i.body or ''}".lower() for w in words)
    ]
    field, _, direction = sort.partition("-")
    key_of: dict[str, Callable[[tuple[gs.Repo, gs.Issue]], Any]] = {
        "created": lambda p: (p[1].created_at, p[1].number),
        "updated": lambda p: (p[1].updated_at or p[1].created_at, p[1].number),
    }
    hits.sort(key=key_of.get(field, key_of["created"]), reverse=direction != "asc")
    return hits


_DEPLOYMENT_STATE = {
    "success": "ACTIVE",
    "inactive": "INACTIVE",
    "failure": "FAILURE",
    "error": "ERROR",
    "pending": "PENDING",
    "queued": "QUEUED",
    "in_progress": "IN_PROGRESS",
}


def _pull_state(i: gs.Issue) -> str:
    if i.pull is not None and i.pull.merged_at is not None:
        return "MERGED"
    return i.state.upper()


_IS: dict[str, Callable[[gs.Repo, gs.Issue], bool]] = {
    "pr": lambda r, i: i.pull is not None,
    "issue": lambda r, i: i.pull is None,
    "open": lambda r, i: i.state == "open",
    "closed": lambda r, i: i.state == "closed",
    "merged": lambda r, i: bool(i.pull and i.pull.merged_at),
    "unmerged": lambda r, i: bool(i.pull and not i.pull.merged_at and i.state == "closed"),
    "draft": lambda r, i: bool(i.pull and i.pull.draft),
}


def _date_test(key: str, spec: str) -> Callable[[gs.Repo, gs.Issue], bool]:
    def when(i: gs.Issue) -> datetime | None:
        if key == "merged":
            return i.pull.merged_at if i.pull else None
        if key == "closed":
            return i.closed_at
        if key == "updated":
            return i.updated_at or i.created_at
        return i.created_at

    def test(r: gs.Repo, i: gs.Issue) -> bool:
        moment = when(i)
        return moment is not None and _in_range(moment, spec)

    return test
