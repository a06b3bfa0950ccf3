"""The one way Lumen talks to GitHub: a PyGithub client and a GraphQL call, both configured
from the runner's variables (`GITHUB_API_URL`, `GITHUB_GRAPHQL_URL`, `GITHUB_TOKEN`), with
bounded retries for rate limits and 5xx, and errors that say what to fix.

Every GitHub-facing adapter (deployments, activity, comments, check runs, releases, reviews)
gets its client here; nothing else constructs `github.Github`.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from gates.errors import LumenError, SourceError, UsageError
from lumen.actions_runtime import GitHubContext

if TYPE_CHECKING:
    from lumen.settings import GitHubClientSettings

# What a 403 usually means for each kind of write, to name the missing permission.
PERMISSION_HINTS = {
    "comment": "pull-requests: write (or issues: write)",
    "label": "issues: write (or pull-requests: write)",
    "check": "checks: write",
    "status": "statuses: write",
    "deployment": "deployments: write",
    "release": "contents: write",
    "issue": "issues: write",
    "team": "read:org (a token that can read the organisation's teams)",
}


def _float_env(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        raise UsageError(f"{name} must be a number of seconds") from None


def client_settings() -> GitHubClientSettings:
    """The run's `github:` settings (policy/defaults/github.yml under the config), each
    overridden for one run by its LUMEN_GITHUB_* variable."""
    from lumen.settings import GitHubClientSettings, run_settings

    settings, scope = run_settings()
    shipped = settings.github(scope)
    return GitHubClientSettings(
        timeout=_float_env("LUMEN_GITHUB_TIMEOUT", shipped.timeout),
        retries=int(_float_env("LUMEN_GITHUB_RETRIES", shipped.retries)),
        backoff=_float_env("LUMEN_GITHUB_BACKOFF", shipped.backoff),
        secondary_rate_wait=_float_env("LUMEN_GITHUB_SECONDARY_WAIT", shipped.secondary_rate_wait),
        read_interval=_float_env("LUMEN_GITHUB_READ_INTERVAL", shipped.read_interval),
        write_interval=_float_env("LUMEN_GITHUB_WRITE_INTERVAL", shipped.write_interval),
    )


def token_of(ctx: GitHubContext, token: str | None = None) -> str:
    value = token or ctx.token
    if not value:
        raise UsageError(
            "no GitHub token: set GITHUB_TOKEN (in a workflow: `env: GITHUB_TOKEN: "
            "${{ github.token }}` or the action's `github-token` input)"
        )
    return value


def client(ctx: GitHubContext | None = None, *, token: str | None = None) -> Any:
    """A PyGithub client for this run's API URL and token."""
    from github import Auth, Github, GithubRetry

    from lumen import budget as budgets
    from lumen.adapters.http import bound_pygithub, bounded_retry
    from lumen.adapters.library_logs import to_current_stderr

    # PyGithub's retry notes ("failed with 403", "next backoff 4s") go to the stderr of now.
    to_current_stderr("github")
    ctx = ctx or GitHubContext.from_env()
    budget = budgets.github()
    settings = client_settings()
    # 429 is a primary rate limit too; GithubRetry adds 403 to whatever is listed here. Its
    # waits (backoff, `Retry-After`, a rate limit's reset) end at the GitHub budget's deadline.
    retry = bounded_retry(
        GithubRetry,
        status_forcelist=[429, *range(500, 600)],
        total=settings.retries,
        backoff_factor=settings.backoff,
        secondary_rate_wait=settings.secondary_rate_wait,
        max_rate_limit_wait=budget.seconds,
    )
    github = Github(
        base_url=ctx.api_url.rstrip("/"),
        auth=Auth.Token(token_of(ctx, token)),
        retry=retry,
        timeout=int(settings.timeout),
        per_page=100,
        # GitHub asks integrators to space writes to avoid secondary rate limits.
        seconds_between_requests=settings.read_interval or None,
        seconds_between_writes=settings.write_interval or None,
        user_agent="lumen-ci",
    )
    bound_pygithub(github, budget, per_read=settings.timeout)
    return github


def explain(exc: Exception, what: str, *, kind: str | None = None) -> SourceError:
    """A SourceError for a failed GitHub call, naming the fix (token, permission, rate limit)."""
    from github import GithubException, RateLimitExceededException

    if isinstance(exc, RateLimitExceededException):
        return SourceError(
            f"GitHub rate limit while trying to {what}; waited as long as allowed "
            "(LUMEN_GITHUB_MAX_WAIT) — try again later"
        )
    if isinstance(exc, GithubException):
        status = exc.status
        message = ""
        if isinstance(exc.data, Mapping):
            message = str(exc.data.get("message") or "")
        if status == 401:
            return SourceError(
                f"GitHub rejected the token (401) while trying to {what}: "
                "GITHUB_TOKEN is missing, expired or invalid"
            )
        if status == 403:
            need = PERMISSION_HINTS.get(kind or "", "a permission this token does not have")
            return SourceError(
                f"GitHub refused to {what} (403 {message or 'Forbidden'}): the token needs {need}"
            )
        if status == 404:
            return SourceError(
                f"GitHub found nothing to {what} (404): the repository, number or "
                "ref does not exist, or the token cannot see it"
            )
        if status == 422:
            return SourceError(f"GitHub rejected the request to {what} (422 {message})")
        return SourceError(f"GitHub failed to {what} (HTTP {status} {message})".rstrip())
    import requests

    if isinstance(exc, requests.exceptions.RetryError):
        found = re.search(r"too many (\d+) error responses", str(exc))
        failures = f"HTTP {found.group(1)}" if found else "errors"
        return SourceError(f"GitHub kept failing to {what} ({failures} after every retry)")
    if isinstance(exc, requests.RequestException):
        return SourceError(f"cannot reach GitHub to {what}: {type(exc).__name__}")
    raise exc


@contextlib.contextmanager
def github_errors(what: str, *, kind: str | None = None) -> Iterator[None]:
    """Turn PyGithub and requests errors inside the block into one clear SourceError."""
    import requests
    from github import GithubException

    try:
        yield
    except (GithubException, requests.RequestException) as exc:
        raise explain(exc, what, kind=kind) from None


def is_forbidden(exc: BaseException) -> bool:
    """True for a 403 that is a permission problem (e.g. a fork's read-only token)."""
    from github import GithubException, RateLimitExceededException

    return (
        isinstance(exc, GithubException)
        and exc.status == 403
        and not isinstance(exc, RateLimitExceededException)
    )


def graphql(
    query: str,
    variables: Mapping[str, Any] | None = None,
    *,
    ctx: GitHubContext | None = None,
    token: str | None = None,
    what: str = "run a GraphQL query",
) -> dict[str, Any]:
    """POST one GraphQL query; GraphQL `errors` become a SourceError.

    A query only reads, so, like a REST GET, it is sent again (within `github.retries` and
    the GitHub budget) after a 429, a 5xx or a connection broken mid-answer; a mutation is
    sent once."""
    import requests
    from urllib3.util.retry import Retry

    from lumen import budget as budgets
    from lumen.adapters.http import bounded_retry, bounded_session

    ctx = ctx or GitHubContext.from_env()
    settings = client_settings()
    reads = frozenset() if is_mutation(query) else frozenset({"POST"})
    retry = bounded_retry(
        Retry,
        total=settings.retries,
        backoff_factor=settings.backoff,
        status_forcelist=[429, *range(500, 600)],
        allowed_methods=reads,
        raise_on_status=False,
    )
    session = bounded_session(
        budgets.github(), what="the GitHub GraphQL call", retry=retry, reads=reads
    )
    try:
        response = session.post(
            ctx.graphql_url,
            json={"query": query, "variables": dict(variables or {})},
            headers={"Authorization": f"bearer {token_of(ctx, token)}", "User-Agent": "lumen-ci"},
            timeout=settings.timeout,
        )
    except requests.RequestException as exc:
        raise SourceError(f"cannot reach GitHub GraphQL to {what}: {type(exc).__name__}") from None
    finally:
        session.close()
    if response.status_code == 401:
        raise SourceError(f"GitHub rejected the token (401) while trying to {what}")
    if response.status_code >= 400:
        raise SourceError(f"GitHub GraphQL failed to {what} (HTTP {response.status_code})")
    try:
        payload = response.json()
    except ValueError:
        raise SourceError(f"GitHub GraphQL answered non-JSON while trying to {what}") from None
    if payload.get("errors"):
        first = payload["errors"][0].get("message", "unknown error")
        raise SourceError(f"GitHub GraphQL refused to {what}: {first}")
    data: dict[str, Any] = payload.get("data") or {}
    return data


_OPERATION = re.compile(r"(?:\s|,|#[^\n]*)*(\w+)")


def is_mutation(document: str) -> bool:
    """True when the GraphQL document's (first) operation is a mutation (it writes)."""
    found = _OPERATION.match(document)
    return bool(found and found.group(1) == "mutation")


def graphql_pages(
    query: str,
    variables: Mapping[str, Any],
    *,
    path: tuple[str, ...],
    what: str,
    missing: Callable[[], LumenError] | None = None,
) -> Iterator[list[dict[str, Any]]]:
    """The nodes of the connection at `path` (e.g. `("repository", "issues")`), one page (one
    request) at a time, following `pageInfo` until the last page or until the caller stops.
    The query takes a `$cursor: String` variable for `after:`. A connection that is not there
    (a ref that does not exist) reads as empty, or raises what `missing` gives."""
    cursor: str | None = None
    while True:
        connection: Any = graphql(query, {**variables, "cursor": cursor}, what=what)
        for key in path:
            connection = (connection or {}).get(key)
        if connection is None and missing is not None:
            raise missing()
        connection = connection or {}
        yield list(connection.get("nodes") or [])
        page = connection.get("pageInfo") or {}
        if not page.get("hasNextPage"):
            return
        cursor = page.get("endCursor")


def split_repo(owner_repo: str | None) -> tuple[str, str]:
    if not owner_repo or owner_repo.count("/") != 1 or "" in owner_repo.split("/"):
        raise UsageError(f"expected OWNER/REPO, got {owner_repo!r}")
    owner, name = owner_repo.split("/")
    return owner, name
