"""A stateful GitHub served on loopback HTTP, checked against GitHub's published contracts.

Why: product code talks to GitHub through PyGithub and `requests`; mocking those libraries tests
our guesses about GitHub, not GitHub. The double is a real HTTP server (stdlib
`ThreadingHTTPServer`, 127.0.0.1, free port) with in-memory state, so the product's real client
code runs unchanged against `GITHUB_API_URL`, and every exchange is checked against GitHub's own
descriptions:

- REST: each request's method+path must match an operation of `@octokit/openapi`
  (`api.github.com.json`); its query parameters and JSON body must match the documented
  parameters/request schema; each JSON response body the double sends must match the documented
  response schema for that status (OpenAPI 3.0 semantics incl. `nullable`). Objects are built from
  a minimal valid instance of the component schema (`OpenAPIContract.skeleton`) overlaid with
  the double's state, so the validation bites exactly on what the double models.
- GraphQL (`POST /graphql`): each document is validated against `@octokit/graphql-schema` with
  graphql-core, then executed against that full schema with resolvers over the same state.

A mismatch is a *contract violation*: recorded in `double.violations`, and the `github_double`
fixture fails the test at teardown (an unknown path is also answered 404, an invalid request
body 422, as GitHub would). Tests that provoke violations on purpose call
`double.take_violations()`.

Files: `openapi_validate.py` (contract loading, routing, validation, skeletons),
`github_state.py` (records + seeding), `github_rest.py` (REST handlers, keyed by OpenAPI
templates), `github_graphql.py` (GraphQL), `github.py` (fixtures), `webhooks.py` (payloads).

State and seeding: `double.state` (`github_state.State`; `double.add_*` forwards to it):
`add_repo`, `add_commit`, `add_branch`, `add_tag`, `add_label`, `add_issue`, `add_pull`
(`merged_at=` makes a merge commit), `add_review`, `add_comment`, `add_check_run`,
`add_status`, `add_deployment` (`state=` or `statuses=[(state, time)]`),
`add_deployment_status` (auto-inactive like GitHub), `add_release`, `add_asset`, `add_team`,
`add_workflow_run`, `add_pending_deployment`, `add_environment_approval`, `add_collaborator`,
`add_user`. `repo=` defaults to the first repository; `state.clock` fixes "now" for objects the
API creates.

Tokens: `double.token` has full access. `double.add_token(name, write=False)` simulates a
read-only fork `GITHUB_TOKEN` (403 "Resource not accessible by integration" on writes, REST and
GraphQL mutations); `read_org=False` makes org/team reads answer `org_denied_status` (403
default, 404 possible). No token or an unknown one: 401.

Failures: `double.fail(status, method=, path=, times=)` (5xx or anything; `path` is an fnmatch
pattern over the path or the OpenAPI template, "/graphql" included),
`double.rate_limit(times=, status=403|429, reset_in=)` (primary: `x-ratelimit-remaining: 0`,
`x-ratelimit-reset`), `double.secondary_rate_limit(retry_after=, times=)` (403 +
`retry-after`), `double.rate_limit_total = N` (a budget: request N+1 is rate limited),
`double.corrupt(pattern, mutate)` (mangle the next matching response body before validation —
proves the validator is live), `double.cut(method=, path=, times=)` (handle the request, then
cut the connection half-way through the body). Request log: `double.requests` (method, path relative to the API
root, query, template, status, token), `double.count(method=None, path=None)`,
`double.reset_log()`. Pagination as GitHub: `per_page` (default 30, capped at 100), `page`,
RFC 8288 `Link` headers with absolute URLs.

URLs: `double.url` (REST), `double.graphql_url`, `double.uploads_url` (release `upload_url`
points there: GitHub's uploads host is a separate origin; PyGithub keeps only the path).
`GitHubDouble(ghes=True)` lays them out as GitHub Enterprise Server does (`/api/v3`,
`/api/graphql`, `/api/uploads`).

Known PyGithub calls that GitHub no longer documents, hence flagged: `Commit.get_statuses()`
(legacy `GET /statuses/{sha}`; use `/commits/{ref}/statuses`), `Team.has_in_members()` (use
`Team.get_team_membership()`). PyGithub throttles by default (`seconds_between_requests` 0.25 s,
`seconds_between_writes` 1 s): pass `None` in tests that make many calls.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import json
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from harness import github_state as gs
from harness.github_state import NotFoundError, State, iso
from harness.openapi_validate import OpenAPIContract, Operation, contract

DEFAULT_TOKEN = "ghs_lumenDoubleToken000000000000000000"
DOCS = "https://docs.github.com/rest"
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
NOT_ACCESSIBLE = "Resource not accessible by integration"
_BARE_LABEL_ARRAY = {
    "POST /repos/{owner}/{repo}/issues/{issue_number}/labels",
    "PUT /repos/{owner}/{repo}/issues/{issue_number}/labels",
}


@dataclass
class TokenPolicy:
    login: str = "lumen-bot"
    write: bool = True
    read_org: bool = True
    org_denied_status: int = 403


@dataclass
class Fault:
    status: int
    method: str | None
    path: str | None
    times: int | None  # None = every matching request
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


@dataclass
class RequestRecord:
    method: str
    path: str
    query: dict[str, str]
    template: str | None
    status: int = 0
    token: str | None = None
    body: Any = None  # the parsed JSON request body (a GraphQL request: query + variables)


class ApiError(Exception):
    def __init__(
        self, status: int, message: str, errors: list[Any] | None = None, **extra: Any
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.errors, self.extra = status, message, errors, extra


@dataclass
class Req:
    method: str
    path: str
    query: dict[str, str]
    params: dict[str, str]
    body: Any
    raw: bytes
    headers: dict[str, str]
    policy: TokenPolicy
    op: Operation


@dataclass
class Resp:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # non-JSON payload (asset download)


Handler = Callable[["GitHubDouble", Req], Resp]
ROUTES: dict[str, Handler] = {}


def route(*keys: str) -> Callable[[Handler], Handler]:
    """Register a handler under OpenAPI `"METHOD /template"` keys (checked against the spec)."""

    def register(fn: Handler) -> Handler:
        for key in keys:
            ROUTES[key] = fn
        return fn

    return register


def node_id(kind: str, ident: int) -> str:
    return f"{kind}_" + base64.b64encode(f"0:{ident}".encode()).decode().rstrip("=")


class GitHubDouble:
    def __init__(self, contract_: OpenAPIContract | None = None, *, ghes: bool = False) -> None:
        """`ghes=True` serves the API under `/api/v3`, GraphQL at `/api/graphql` and uploads at
        `/api/uploads`, as GitHub Enterprise Server does (its runner URLs look like that)."""
        self.contract = contract_ or contract()
        self.ghes = ghes
        self.origin = ""
        self.state = State()
        self.tokens: dict[str, TokenPolicy] = {DEFAULT_TOKEN: TokenPolicy()}
        self.token = DEFAULT_TOKEN
        self.requests: list[RequestRecord] = []
        self.violations: list[str] = []
        self.faults: list[Fault] = []
        self.corruptions: list[tuple[str, Callable[[Any], Any]]] = []
        self.cuts: list[Fault] = []
        self._serving = threading.local()  # the record of the request this thread serves
        self.rate_limit_total = 5000
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""
        missing = [k for k in ROUTES if k.split(" ", 1)[1] != "/graphql" and _op(self, k) is None]
        if missing:
            raise AssertionError(f"double routes not in GitHub's OpenAPI description: {missing}")

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> GitHubDouble:
        double = self

        class RequestHandler(_HTTPHandler):
            owner = double

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
        self._server.daemon_threads = True
        port = self._server.server_address[1]
        self.origin = f"http://127.0.0.1:{port}"
        self.url = self.origin + ("/api/v3" if self.ghes else "")
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> GitHubDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def graphql_url(self) -> str:
        return self.origin + ("/api/graphql" if self.ghes else "/graphql")

    @property
    def uploads_url(self) -> str:
        return self.origin + ("/api/uploads" if self.ghes else "/uploads")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("add_") and name != "add_token":
            return getattr(self.__dict__["state"], name)
        raise AttributeError(name)

    # -- test controls -----------------------------------------------------------------------

    def add_token(
        self,
        token: str,
        *,
        login: str = "lumen-bot",
        write: bool = True,
        read_org: bool = True,
        org_denied_status: int = 403,
    ) -> str:
        self.tokens[token] = TokenPolicy(login, write, read_org, org_denied_status)
        return token

    def fail(
        self,
        status: int = 502,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int | None = 1,
        headers: dict[str, str] | None = None,
        body: Any = None,
    ) -> None:
        """Answer matching requests (fnmatch on path or OpenAPI template) with `status`."""
        if body is None:
            body = {"message": "Server Error" if status >= 500 else "Error"}
        self.faults.append(Fault(status, method, path, times, dict(headers or {}), body))

    def rate_limit(
        self,
        *,
        times: int | None = 1,
        status: int = 403,
        reset_in: int = 1,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """Primary rate limit: `status` (403 or 429) with remaining 0 and the reset epoch."""
        fault = self._primary_limit(status, reset_in)
        self.faults.append(Fault(status, method, path, times, fault.headers, fault.body))

    def _primary_limit(self, status: int = 403, reset_in: int = 1) -> Fault:
        reset = int(time.time()) + reset_in  # clients compare it with their wall clock
        return Fault(
            status,
            None,
            None,
            1,
            headers={
                "x-ratelimit-limit": str(self.rate_limit_total),
                "x-ratelimit-remaining": "0",
                "x-ratelimit-used": str(self.rate_limit_total),
                "x-ratelimit-reset": str(reset),
                "x-ratelimit-resource": "core",
            },
            body={
                "message": "API rate limit exceeded for installation ID 1.",
                "documentation_url": f"{DOCS}/overview/rate-limits-for-the-rest-api",
            },
        )

    def _budget_exhausted(self) -> Fault:
        """Every request past `rate_limit_total` (a test may lower it to model a small budget)."""
        return self._primary_limit(403, 3600)

    def secondary_rate_limit(
        self,
        *,
        retry_after: int = 1,
        times: int | None = 1,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        self.fail(
            403,
            method=method,
            path=path,
            times=times,
            headers={"retry-after": str(retry_after)},
            body={
                "message": "You have exceeded a secondary rate limit. Please wait a few minutes "
                "before you try again.",
                "documentation_url": f"{DOCS}/overview/rate-limits-for-the-rest-api"
                "#about-secondary-rate-limits",
            },
        )

    def cut(self, *, method: str | None = None, path: str | None = None, times: int = 1) -> None:
        """Cut the connection mid-body on matching requests: the request is handled (a write is
        applied), its headers and half its body are sent, then the connection closes — what a
        client sees as a ChunkedEncodingError / IncompleteRead under load."""
        self.cuts.append(Fault(200, method, path, times))

    def take_cut(self) -> bool:
        """Whether the response this thread is about to send is to be cut (see `cut`)."""
        record: RequestRecord | None = getattr(self._serving, "record", None)
        if record is None:
            return False
        with self.state.lock:
            for cut in self.cuts:
                if cut.method and cut.method.upper() != record.method:
                    continue
                if cut.path and not _matches(cut.path, record.path, record.template):
                    continue
                assert cut.times is not None
                cut.times -= 1
                if cut.times <= 0:
                    self.cuts.remove(cut)
                return True
        return False

    def corrupt(self, pattern: str, mutate: Callable[[Any], Any]) -> None:
        """Pass the next response body matching `pattern` through `mutate` (which may edit in
        place and return None) before validation: a test hook proving the validator bites."""
        self.corruptions.append((pattern, mutate))

    def count(self, method: str | None = None, path: str | None = None) -> int:
        return len(
            [
                r
                for r in self.requests
                if (method is None or r.method == method.upper())
                and (path is None or _matches(path, r.path, r.template))
            ]
        )

    def reset_log(self) -> None:
        self.requests.clear()

    def take_violations(self) -> list[str]:
        taken, self.violations[:] = list(self.violations), []
        return taken

    def violation(self, message: str) -> None:
        with self.state.lock:
            self.violations.append(message)

    # -- request pipeline --------------------------------------------------------------------

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        self._serving.record = None
        parsed = urllib.parse.urlsplit(raw_path)
        query = dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True))
        # `rel`: the path relative to the API root (what OpenAPI templates describe), still
        # percent-encoded; the log keeps it decoded.
        rel = parsed.path
        uploads = rel.startswith(_prefix(self.uploads_url) + "/")
        graphql_path = rel == _prefix(self.graphql_url)
        if uploads:
            rel = rel.removeprefix(_prefix(self.uploads_url))
        elif not graphql_path and self.ghes and not rel.startswith("/_download/"):
            # on GHES the REST API lives under /api/v3 only; anything else is not an operation
            rel = rel.removeprefix("/api/v3") if rel.startswith("/api/v3/") else "/-" + rel
        path = urllib.parse.unquote(rel)
        record = RequestRecord(method, path, query, None)
        self._serving.record = record
        with self.state.lock:
            self.requests.append(record)

        if method == "GET" and rel.startswith("/_download/"):
            status, out_headers, payload = self._download(path)
            record.status = status
            return status, out_headers, payload

        token = _token(headers)
        record.token = token
        if graphql_path and method == "POST":
            record.template = "/graphql"
            status, out_headers, payload = self._graphql(record, raw, token)
            record.status = status
            return status, out_headers, payload

        match = self.contract.match(method, rel)
        if match is None:
            self.violation(f"{method} {path}: no such operation in GitHub's OpenAPI description")
            return self._finish(record, None, Resp(404, _error_body(404, "Not Found")))
        op = match.operation
        record.template = op.template
        if uploads != bool(op.raw.get("servers")):
            self.violation(
                f"{method} {path}: {op.template} is served by "
                f"{'uploads.github.com' if op.raw.get('servers') else 'the API host'}"
            )

        fault = self._take_fault(method, path, op.template)
        if fault is None and len(self.requests) > self.rate_limit_total:
            fault = self._budget_exhausted()
        if fault is not None:
            return self._finish(record, None, Resp(fault.status, fault.body, dict(fault.headers)))

        if token is None:
            return self._finish(record, op, Resp(401, _error_body(401, "Requires authentication")))
        policy = self.tokens.get(token)
        if policy is None:
            return self._finish(record, op, Resp(401, _error_body(401, "Bad credentials")))

        body: Any = None
        content_type = headers.get("content-type", "")
        if raw and not uploads and ("json" in content_type or raw[:1] in (b"{", b"[")):
            try:
                body = json.loads(raw)
            except ValueError:
                self.violation(f"{method} {path}: request body is not JSON")
                return self._finish(
                    record, op, Resp(400, _error_body(400, "Problems parsing JSON"))
                )
        checked = body
        if op.key in _BARE_LABEL_ARRAY and isinstance(body, list):
            # The description's prose allows a bare array of label names ("You can also pass an
            # array of labels directly"), which PyGithub sends; its schema only has the object.
            checked = {"labels": body}
        record.body = body
        problems = self.contract.request_errors(op, query, checked)
        if problems:
            for problem in problems:
                self.violation(problem)
            return self._finish(
                record, op, Resp(422, _error_body(422, "Invalid request.\n\n" + problems[0]))
            )

        if method in WRITE_METHODS and not policy.write:
            return self._finish(record, op, Resp(403, _error_body(403, NOT_ACCESSIBLE)))
        if not policy.read_org and ("/teams" in op.template or "/members" in op.template):
            status = policy.org_denied_status
            message = NOT_ACCESSIBLE if status == 403 else "Not Found"
            return self._finish(record, op, Resp(status, _error_body(status, message)))

        handler = ROUTES.get(op.key)
        if handler is None:
            self.violation(f"{op.key}: documented by GitHub but not implemented by the double")
            return self._finish(record, op, Resp(501, _error_body(501, "not implemented")))
        req = Req(method, rel, query, match.params, body, raw, headers, policy, op)
        try:
            with self.state.lock:
                resp = handler(self, req)
        except ApiError as err:
            error_body = _error_body(err.status, err.message, **err.extra)
            if err.errors:
                error_body["errors"] = err.errors
            resp = Resp(err.status, error_body)
        except NotFoundError:
            resp = Resp(404, _error_body(404, "Not Found"))
        return self._finish(record, op, resp)

    def _take_fault(self, method: str, path: str, template: str) -> Fault | None:
        with self.state.lock:
            for fault in self.faults:
                if fault.method and fault.method.upper() != method:
                    continue
                if fault.path and not _matches(fault.path, path, template):
                    continue
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                return fault
        return None

    def _finish(
        self, record: RequestRecord, op: Operation | None, resp: Resp
    ) -> tuple[int, dict[str, str], bytes]:
        record.status = resp.status
        headers = {
            "content-type": "application/json; charset=utf-8",
            "x-github-media-type": "github.v3; format=json",
            "x-github-request-id": f"DOUBLE:{len(self.requests)}",
        }
        headers.update(self._rate_headers("core"))
        headers.update(resp.headers)
        if resp.raw is not None:
            return resp.status, headers, resp.raw
        body = resp.body
        if op is not None:
            for pattern, mutate in list(self.corruptions):
                if _matches(pattern, record.path, op.template) or pattern == op.key:
                    self.corruptions.remove((pattern, mutate))
                    changed = mutate(body)
                    body = body if changed is None else changed
                    break
            if body is not None or self.contract.documents_status(op, resp.status):
                for problem in self.contract.response_errors(op, resp.status, body):
                    self.violation(problem)
        if body is None:
            headers.pop("content-type")
            return resp.status, headers, b""
        return resp.status, headers, json.dumps(body).encode()

    def _rate_headers(self, resource: str) -> dict[str, str]:
        used = min(self.rate_limit_total, len(self.requests))
        return {
            "x-ratelimit-limit": str(self.rate_limit_total),
            "x-ratelimit-remaining": str(self.rate_limit_total - used),
            "x-ratelimit-used": str(used),
            "x-ratelimit-reset": str(int(time.time()) + 3600),
            "x-ratelimit-resource": resource,
        }

    def _download(self, path: str) -> tuple[int, dict[str, str], bytes]:
        # /_download/{owner}/{repo}/releases/download/{tag}/{name}: github.com, not the API
        parts = path.split("/")
        try:
            repo = self.state.repo(f"{parts[2]}/{parts[3]}")
            tag, name = parts[6], "/".join(parts[7:])
            for release in repo.releases.values():
                if release.tag_name == tag:
                    for asset in release.assets:
                        if asset.name == name:
                            return 200, {"content-type": asset.content_type}, asset.data
        except (NotFoundError, IndexError):
            pass
        return 404, {"content-type": "text/plain"}, b"Not Found"

    def _graphql(
        self, record: RequestRecord, raw: bytes, token: str | None
    ) -> tuple[int, dict[str, str], bytes]:
        from harness.github_graphql import execute

        policy = self.tokens.get(token or "")
        if policy is None:
            body = {"message": "Bad credentials", "documentation_url": f"{DOCS}"}
            return 401, {"content-type": "application/json"}, json.dumps(body).encode()
        fault = self._take_fault("POST", "/graphql", "/graphql")
        if fault is None and len(self.requests) > self.rate_limit_total:
            fault = self._budget_exhausted()
        if fault is not None:
            return fault.status, dict(fault.headers), json.dumps(fault.body).encode()
        try:
            request = json.loads(raw)
        except ValueError:
            self.violation("POST /graphql: body is not JSON")
            return 400, {"content-type": "application/json"}, b'{"message":"Problems parsing JSON"}'
        record.body = request
        with self.state.lock:
            result = execute(self, request, policy)
        headers = {"content-type": "application/json; charset=utf-8"}
        headers.update(self._rate_headers("graphql"))
        return 200, headers, json.dumps(result).encode()

    # -- pagination --------------------------------------------------------------------------

    def page(self, req: Req, items: list[Any], resp: Resp) -> list[Any]:
        """GitHub pagination: slice `items` by page/per_page and set the Link header."""
        per_page = max(1, min(100, int(req.query.get("per_page", 30) or 30)))
        page = max(1, int(req.query.get("page", 1) or 1))
        last = max(1, -(-len(items) // per_page))
        links = []

        def link(n: int, rel: str) -> None:
            query = dict(req.query, page=str(n))
            links.append(f'<{self.url}{req.path}?{urllib.parse.urlencode(query)}>; rel="{rel}"')

        if page > 1:
            link(page - 1, "prev")
        if page < last:
            link(page + 1, "next")
            link(last, "last")
        if page > 1:
            link(1, "first")
        if links:
            resp.headers["Link"] = ", ".join(links)
        return items[(page - 1) * per_page : page * per_page]

    # -- renderers: state -> GitHub objects --------------------------------------------------

    def api(self, path: str) -> str:
        return f"{self.url}{path}"

    def user(self, login: str | None, schema: str = "simple-user") -> Any:
        if login is None:
            return None
        u = self.state.user(login)
        out = self.contract.skeleton(schema)
        out.update(
            login=u.login,
            id=u.id,
            node_id=node_id("U", u.id),
            type=u.type,
            url=self.api(f"/users/{u.login}"),
            html_url=f"https://github.com/{u.login}",
            avatar_url=f"https://avatars.githubusercontent.com/u/{u.id}?v=4",
            site_admin=False,
        )
        if schema != "simple-user":
            out.update(name=u.name, email=u.email, created_at=iso(u.created_at))
            out["user_view_type"] = "private" if schema == "private-user" else "public"
            out["updated_at"] = iso(u.created_at)
        return out

    def repo_obj(self, r: gs.Repo, schema: str = "repository") -> Any:
        out = self.contract.skeleton(schema)
        base = self.api(f"/repos/{r.full_name}")
        out.update(
            id=r.id,
            node_id=node_id("R", r.id),
            name=r.name,
            full_name=r.full_name,
            owner=self.user(r.owner),
            private=r.private,
            visibility="private" if r.private else "public",
            html_url=f"https://github.com/{r.full_name}",
            url=base,
            default_branch=r.default_branch,
            created_at=iso(r.created_at),
            updated_at=iso(r.created_at),
            pushed_at=iso(r.created_at),
            description=None,
            deployments_url=f"{base}/deployments",
            releases_url=f"{base}/releases{{/id}}",
            pulls_url=f"{base}/pulls{{/number}}",
            issues_url=f"{base}/issues{{/number}}",
            labels_url=f"{base}/labels{{/name}}",
            tags_url=f"{base}/tags",
            statuses_url=f"{base}/statuses/{{sha}}",
            compare_url=f"{base}/compare/{{base}}...{{head}}",
            commits_url=f"{base}/commits{{/sha}}",
            git_refs_url=f"{base}/git/refs{{/sha}}",
        )
        return out

    def label_obj(self, r: gs.Repo, name: str) -> Any:
        label = r.labels.get(name.lower()) or self.state.add_label(name, repo=r)
        out = self.contract.skeleton("label")
        out.update(
            id=label.id,
            node_id=node_id("LA", label.id),
            url=self.api(f"/repos/{r.full_name}/labels/{urllib.parse.quote(label.name)}"),
            name=label.name,
            color=label.color,
            description=label.description,
            default=False,
        )
        return out

    def issue_obj(self, r: gs.Repo, issue: gs.Issue) -> Any:
        out = self.contract.skeleton("issue")
        base = self.api(f"/repos/{r.full_name}/issues/{issue.number}")
        out.update(
            id=issue.id,
            node_id=node_id("I", issue.id),
            url=base,
            repository_url=self.api(f"/repos/{r.full_name}"),
            labels_url=f"{base}/labels{{/name}}",
            comments_url=f"{base}/comments",
            events_url=f"{base}/events",
            html_url=f"https://github.com/{r.full_name}/issues/{issue.number}",
            number=issue.number,
            state=issue.state,
            state_reason=issue.state_reason,
            title=issue.title,
            body=issue.body,
            user=self.user(issue.user),
            labels=[self.label_obj(r, n) for n in issue.labels],
            assignee=self.user(issue.assignees[0]) if issue.assignees else None,
            assignees=[self.user(a) for a in issue.assignees],
            comments=len([c for c in r.comments.values() if c.issue_number == issue.number]),
            created_at=iso(issue.created_at),
            updated_at=iso(issue.updated_at or issue.created_at),
            closed_at=iso(issue.closed_at),
            author_association="MEMBER",
            locked=False,
        )
        if issue.pull is not None:
            pulls = self.api(f"/repos/{r.full_name}/pulls/{issue.number}")
            out["pull_request"] = {
                "url": pulls,
                "html_url": f"https://github.com/{r.full_name}/pull/{issue.number}",
                "diff_url": f"https://github.com/{r.full_name}/pull/{issue.number}.diff",
                "patch_url": f"https://github.com/{r.full_name}/pull/{issue.number}.patch",
                "merged_at": iso(issue.pull.merged_at),
            }
        return out

    def comment_obj(self, r: gs.Repo, c: gs.Comment) -> Any:
        out = self.contract.skeleton("issue-comment")
        out.update(
            id=c.id,
            node_id=node_id("IC", c.id),
            url=self.api(f"/repos/{r.full_name}/issues/comments/{c.id}"),
            html_url=f"https://github.com/{r.full_name}/issues/{c.issue_number}#issuecomment-{c.id}",
            issue_url=self.api(f"/repos/{r.full_name}/issues/{c.issue_number}"),
            body=c.body,
            user=self.user(c.user),
            created_at=iso(c.created_at),
            updated_at=iso(c.updated_at),
            author_association="MEMBER",
        )
        return out

    def pull_obj(self, r: gs.Repo, issue: gs.Issue, full: bool = True) -> Any:
        pull = issue.pull
        assert pull is not None
        out = self.contract.skeleton("pull-request" if full else "pull-request-simple")
        base = self.api(f"/repos/{r.full_name}/pulls/{issue.number}")
        html = f"https://github.com/{r.full_name}/pull/{issue.number}"
        links = {
            "self": base,
            "html": html,
            "issue": self.api(f"/repos/{r.full_name}/issues/{issue.number}"),
            "comments": self.api(f"/repos/{r.full_name}/issues/{issue.number}/comments"),
            "review_comments": f"{base}/comments",
            "review_comment": self.api(f"/repos/{r.full_name}/pulls/comments{{/number}}"),
            "commits": f"{base}/commits",
            "statuses": self.api(f"/repos/{r.full_name}/statuses/{pull.head_sha}"),
        }
        out.update(
            id=pull.id,
            node_id=node_id("PR", pull.id),
            url=base,
            html_url=html,
            diff_url=f"{html}.diff",
            patch_url=f"{html}.patch",
            issue_url=links["issue"],
            commits_url=links["commits"],
            review_comments_url=links["review_comments"],
            review_comment_url=links["review_comment"],
            comments_url=links["comments"],
            statuses_url=links["statuses"],
            number=issue.number,
            state=issue.state,
            locked=False,
            title=issue.title,
            body=issue.body,
            user=self.user(issue.user),
            # this schema's inline label has a non-nullable description
            labels=[
                {**self.label_obj(r, n), "description": self.label_obj(r, n)["description"] or ""}
                for n in issue.labels
            ],
            created_at=iso(issue.created_at),
            updated_at=iso(issue.updated_at or issue.created_at),
            closed_at=iso(issue.closed_at),
            merged_at=iso(pull.merged_at),
            merge_commit_sha=pull.merge_commit_sha,
            assignee=self.user(issue.assignees[0]) if issue.assignees else None,
            assignees=[self.user(a) for a in issue.assignees],
            requested_reviewers=[self.user(u) for u in pull.requested_reviewers],
            requested_teams=[
                self.team_obj(self._team(r.owner, t), "team-simple") for t in pull.requested_teams
            ],
            head=self._branch_obj(
                self.state.repo(pull.head_repo) if pull.head_repo else r,
                pull.head_ref,
                pull.head_sha,
            ),
            base=self._branch_obj(r, pull.base_ref, pull.base_sha),
            _links={k: {"href": v} for k, v in links.items()},
            author_association="MEMBER",
            draft=pull.draft,
            milestone=None,
            auto_merge=None,
            active_lock_reason=None,
        )
        if full:
            out.update(
                merged=pull.merged_at is not None,
                mergeable=None,
                mergeable_state="unknown",
                merged_by=self.user(pull.merged_by),
                comments=len([c for c in r.comments.values() if c.issue_number == issue.number]),
                review_comments=0,
                maintainer_can_modify=False,
                commits=len(pull.commits),
                additions=0,
                deletions=0,
                changed_files=0,
            )
        return out

    def _branch_obj(self, r: gs.Repo, ref: str, sha: str) -> Any:
        return {
            "label": f"{r.owner}:{ref}",
            "ref": ref,
            "sha": sha,
            "user": self.user(r.owner),
            "repo": self.repo_obj(r),
        }

    def review_obj(self, r: gs.Repo, number: int, review: gs.Review) -> Any:
        out = self.contract.skeleton("pull-request-review")
        html = f"https://github.com/{r.full_name}/pull/{number}"
        pull_url = self.api(f"/repos/{r.full_name}/pulls/{number}")
        out.update(
            id=review.id,
            node_id=node_id("PRR", review.id),
            user=self.user(review.user),
            body=review.body,
            state=review.state,
            commit_id=review.commit_id,
            html_url=f"{html}#pullrequestreview-{review.id}",
            pull_request_url=pull_url,
            _links={"html": {"href": html}, "pull_request": {"href": pull_url}},
            submitted_at=iso(review.submitted_at),
            author_association="MEMBER",
        )
        return out

    def _team(self, org: str, slug: str) -> gs.Team:
        team = self.state.teams.get((org.lower(), slug.lower()))
        if team is None:
            raise NotFoundError(slug)
        return team

    def team_obj(self, team: gs.Team, schema: str = "team") -> Any:
        out = self.contract.skeleton(schema)
        base = self.api(f"/orgs/{team.org}/teams/{team.slug}")
        out.update(
            id=team.id,
            node_id=node_id("T", team.id),
            url=base,
            html_url=f"https://github.com/orgs/{team.org}/teams/{team.slug}",
            name=team.name,
            slug=team.slug,
            description=None,
            permission="pull",
            privacy="closed",
            notification_setting="notifications_enabled",
            members_url=f"{base}/members{{/member}}",
            repositories_url=f"{base}/repos",
            type="organization",
        )
        out.pop("parent", None)
        if schema == "team-full":
            out.update(
                members_count=len(team.members),
                organization=self.org_obj(team.org),
                parent=None,
            )
        elif "parent" in self.contract.skeleton(schema):
            out["parent"] = None
        return out

    def org_obj(self, login: str) -> Any:
        org_id = self.state.orgs.get(login)
        if org_id is None:
            raise NotFoundError(login)
        out = self.contract.skeleton("organization-full")
        out.update(
            login=login,
            id=org_id,
            node_id=node_id("O", org_id),
            url=self.api(f"/orgs/{login}"),
            html_url=f"https://github.com/{login}",
            type="Organization",
            description=None,
            archived_at=None,
        )
        return out

    def commit_obj(self, r: gs.Repo, sha: str) -> Any:
        c = r.commits[sha]
        author = self.state.user(c.author)
        out = self.contract.skeleton("commit")
        person = {
            "name": author.name or author.login,
            "email": author.email or f"{author.login}@users.noreply.github.com",
            "date": iso(c.date),
        }
        out.update(
            url=self.api(f"/repos/{r.full_name}/commits/{sha}"),
            sha=sha,
            node_id=node_id("C", int(sha[:8], 16)),
            html_url=f"https://github.com/{r.full_name}/commit/{sha}",
            comments_url=self.api(f"/repos/{r.full_name}/commits/{sha}/comments"),
            commit={
                "url": self.api(f"/repos/{r.full_name}/git/commits/{sha}"),
                "author": person,
                "committer": person,
                "message": c.message,
                "comment_count": 0,
                "tree": {"sha": sha, "url": self.api(f"/repos/{r.full_name}/git/trees/{sha}")},
            },
            author=self.user(c.author),
            committer=self.user(c.author),
            parents=[
                {
                    "sha": p,
                    "url": self.api(f"/repos/{r.full_name}/commits/{p}"),
                    "html_url": f"https://github.com/{r.full_name}/commit/{p}",
                }
                for p in c.parents
            ],
        )
        return out

    def app_obj(self, slug: str) -> Any:
        out = self.contract.skeleton("integration")
        number = int(hashlib.sha1(slug.encode()).hexdigest()[:6], 16)
        out.update(
            id=number,
            slug=slug,
            node_id=node_id("A", number),
            name=slug,
            html_url=f"https://github.com/apps/{slug}",
        )
        return out

    def check_run_obj(self, r: gs.Repo, run: gs.CheckRun) -> Any:
        out = self.contract.skeleton("check-run")
        output: dict[str, Any] = {"title": None, "summary": None, "text": None}
        output["annotations_count"] = 0
        output.update({k: v for k, v in run.output.items() if k in output})
        output["annotations_url"] = self.api(
            f"/repos/{r.full_name}/check-runs/{run.id}/annotations"
        )
        out.update(
            id=run.id,
            node_id=node_id("CR", run.id),
            head_sha=run.head_sha,
            name=run.name,
            url=self.api(f"/repos/{r.full_name}/check-runs/{run.id}"),
            html_url=f"https://github.com/{r.full_name}/runs/{run.id}",
            details_url=run.details_url,
            external_id=run.external_id,
            status=run.status,
            conclusion=run.conclusion,
            started_at=iso(run.started_at),
            completed_at=iso(run.completed_at),
            output=output,
            check_suite={"id": run.id},
            app=None if run.app is None else self.app_obj(run.app),
            pull_requests=[],
        )
        return out

    def status_obj(self, r: gs.Repo, s: gs.Status) -> Any:
        out = self.contract.skeleton("status")
        out.update(
            url=self.api(f"/repos/{r.full_name}/statuses/{s.sha}"),
            avatar_url=None,
            id=s.id,
            node_id=node_id("SC", s.id),
            state=s.state,
            description=s.description,
            target_url=s.target_url,
            context=s.context,
            created_at=iso(s.created_at),
            updated_at=iso(s.created_at),
            creator=self.user(s.creator),
        )
        return out

    def deployment_obj(self, r: gs.Repo, d: gs.Deployment) -> Any:
        out = self.contract.skeleton("deployment")
        url = self.api(f"/repos/{r.full_name}/deployments/{d.id}")
        out.update(
            url=url,
            id=d.id,
            node_id=node_id("DE", d.id),
            sha=d.sha,
            ref=d.ref,
            task=d.task,
            payload=d.payload,
            original_environment=d.environment,
            environment=d.environment,
            description=d.description,
            creator=self.user(d.creator),
            created_at=iso(d.created_at),
            updated_at=iso(d.latest.created_at if d.latest else d.created_at),
            statuses_url=f"{url}/statuses",
            repository_url=self.api(f"/repos/{r.full_name}"),
            transient_environment=d.transient_environment,
            production_environment=d.production_environment,
        )
        return out

    def deployment_status_obj(self, r: gs.Repo, d: gs.Deployment, s: gs.DeploymentStatus) -> Any:
        out = self.contract.skeleton("deployment-status")
        url = self.api(f"/repos/{r.full_name}/deployments/{d.id}")
        out.update(
            url=f"{url}/statuses/{s.id}",
            id=s.id,
            node_id=node_id("DES", s.id),
            state=s.state,
            creator=self.user(s.creator),
            description=s.description,
            environment=s.environment or d.environment,
            # documented as `uri` (GitHub itself sends "" when unset; the schema forbids it)
            target_url=s.log_url or f"https://github.com/{r.full_name}/deployments",
            log_url=s.log_url or f"https://github.com/{r.full_name}/deployments",
            environment_url=s.environment_url or f"https://github.com/{r.full_name}/deployments",
            created_at=iso(s.created_at),
            updated_at=iso(s.created_at),
            deployment_url=url,
            repository_url=self.api(f"/repos/{r.full_name}"),
        )
        return out

    def release_obj(self, r: gs.Repo, rel: gs.Release) -> Any:
        out = self.contract.skeleton("release")
        url = self.api(f"/repos/{r.full_name}/releases/{rel.id}")
        out.update(
            url=url,
            html_url=f"https://github.com/{r.full_name}/releases/tag/{rel.tag_name}",
            assets_url=f"{url}/assets",
            upload_url=f"{self.uploads_url}/repos/{r.full_name}/releases/{rel.id}/assets"
            "{?name,label}",
            tarball_url=self.api(f"/repos/{r.full_name}/tarball/{rel.tag_name}"),
            zipball_url=self.api(f"/repos/{r.full_name}/zipball/{rel.tag_name}"),
            id=rel.id,
            node_id=node_id("RE", rel.id),
            tag_name=rel.tag_name,
            target_commitish=rel.target_commitish,
            name=rel.name,
            body=rel.body,
            draft=rel.draft,
            prerelease=rel.prerelease,
            immutable=False,
            created_at=iso(rel.created_at),
            published_at=iso(rel.published_at),
            updated_at=iso(rel.published_at or rel.created_at),
            author=self.user(rel.author),
            assets=[self.asset_obj(r, rel, a) for a in rel.assets],
        )
        return out

    def asset_obj(self, r: gs.Repo, rel: gs.Release, a: gs.Asset) -> Any:
        import hashlib

        out = self.contract.skeleton("release-asset")
        out.update(
            url=self.api(f"/repos/{r.full_name}/releases/assets/{a.id}"),
            browser_download_url=f"{self.origin}/_download/{r.full_name}/releases/download/"
            f"{rel.tag_name}/{a.name}",
            id=a.id,
            node_id=node_id("RA", a.id),
            name=a.name,
            label=a.label,
            state="uploaded",
            content_type=a.content_type,
            size=len(a.data),
            digest="sha256:" + hashlib.sha256(a.data).hexdigest(),
            download_count=0,
            created_at=iso(a.created_at),
            updated_at=iso(a.created_at),
            uploader=self.user(a.uploader),
        )
        return out

    def ref_obj(self, r: gs.Repo, name: str) -> Any:
        sha = r.refs[name]
        return {
            "ref": f"refs/{name}",
            "node_id": node_id("REF", abs(hash(name)) % 10**9),
            "url": self.api(f"/repos/{r.full_name}/git/refs/{name}"),
            "object": {
                "type": "commit",
                "sha": sha,
                "url": self.api(f"/repos/{r.full_name}/git/commits/{sha}"),
            },
        }

    def workflow_run_obj(self, r: gs.Repo, run: gs.WorkflowRun) -> Any:
        out = self.contract.skeleton("workflow-run")
        url = self.api(f"/repos/{r.full_name}/actions/runs/{run.id}")
        out.update(
            id=run.id,
            node_id=node_id("WFR", run.id),
            name=run.name,
            display_title=run.name,
            head_branch=run.head_branch,
            head_sha=run.head_sha,
            run_number=run.run_number,
            run_attempt=1,
            event=run.event,
            status=run.status,
            conclusion=run.conclusion,
            url=url,
            html_url=f"https://github.com/{r.full_name}/actions/runs/{run.id}",
            created_at=iso(run.created_at),
            updated_at=iso(run.updated_at),
            run_started_at=iso(run.created_at),
            actor=self.user(run.actor),
            triggering_actor=self.user(run.actor),
            repository=self.repo_obj(r, "minimal-repository"),
            head_repository=self.repo_obj(r, "minimal-repository"),
            head_commit=None,
            pull_requests=[],
        )
        return out


# -- helpers -------------------------------------------------------------------------------


def _op(double: GitHubDouble, key: str) -> Operation | None:
    method, template = key.split(" ", 1)
    return double.contract.operation(method, template)


def _matches(pattern: str, path: str, template: str | None) -> bool:
    if " " in pattern:  # "GET /repos/{owner}/..." form
        pattern = pattern.split(" ", 1)[1]
    return fnmatch.fnmatchcase(path, pattern) or (
        template is not None and fnmatch.fnmatchcase(template, pattern)
    )


def _prefix(url: str) -> str:
    return urllib.parse.urlsplit(url).path


def _token(headers: dict[str, str]) -> str | None:
    auth = headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() in ("token", "bearer") and value:
        return value.strip()
    if scheme.lower() == "basic" and value:
        user, _, password = base64.b64decode(value).decode().partition(":")
        return password or user
    return None


def _error_body(status: int, message: str, **extra: Any) -> dict[str, Any]:
    return {"message": message, "documentation_url": DOCS, "status": str(status), **extra}


class _HTTPHandler(BaseHTTPRequestHandler):
    owner: GitHubDouble
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log lives in the double, not on stderr

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            status, out_headers, payload = self.owner.handle(self.command, self.path, headers, raw)
        except Exception as err:  # a bug in the double must fail the test, not hang it
            self.owner.violation(f"{self.command} {self.path}: double crashed: {err!r}")
            status, out_headers, payload = 500, {"content-type": "text/plain"}, repr(err).encode()
        self.send_response(status)
        for key, value in out_headers.items():
            self.send_header(key, value)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        if self.owner.take_cut() and len(payload) > 1:
            self.wfile.write(payload[: len(payload) // 2])
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve


# REST handlers live in their own module; importing it fills ROUTES.
from harness import github_rest as _rest  # noqa: E402

__all__ = ["DEFAULT_TOKEN", "ApiError", "GitHubDouble", "Req", "Resp", "TokenPolicy", "_rest"]
