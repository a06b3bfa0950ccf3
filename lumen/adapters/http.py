"""HTTP that cannot outlive its budget: the requests/urllib3 pieces every service client uses.

requests' `timeout` bounds each socket operation, not a request: a server that trickles one
byte a second, or answers 429 with `Retry-After: 3600`, keeps a plain session busy for an hour.
`BoundedAdapter` closes each gap for one `lumen.budget.Budget`:

- connect and header reads get the time left (`DeadlineTimeout`, re-read at every attempt);
- the body is read piecewise against the clock, so a trickle ends at the deadline;
- urllib3's retries (`bounded_retry`) stop at the deadline, and a backoff or `Retry-After`
  that would pass it fails at once instead of sleeping;
- a connection broken after the request was sent (a reset before the answer, or a body cut
  mid-way: requests' ChunkedEncodingError) is retried, through the same `Retry` and its count,
  only for the methods the adapter was told are reads (`reads`): a write that may already have
  been applied is never sent again blindly.

Each call may also have its own limit (`per_call`, e.g. 10 s a Prometheus query) inside the
command's budget. Past either one: `BudgetExceeded`, which no library in between catches.
PyGithub builds its own sessions; `bound_pygithub` gives them this adapter.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, ProtocolError, ReadTimeoutError
from urllib3.util.retry import Retry
from urllib3.util.timeout import Timeout

from lumen.budget import Budget, BudgetExceeded

# The smallest socket timeout handed out: 0 would switch the socket to non-blocking mode.
_MIN_WAIT_S = 0.05
_CHUNK = 64 * 1024
# The methods that only read, hence safe to send again after the connection broke mid-exchange.
READS = frozenset({"GET", "HEAD"})


@dataclass(frozen=True)
class Call:
    """One request's deadline within a budget."""

    budget: Budget
    deadline: float
    per_call: float | None
    what: str
    # Methods that may be sent again after the connection broke mid-exchange (None: the
    # Retry's own `allowed_methods` decide, and a body cut is not retried).
    reads: frozenset[str] | None = None

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def exceeded(self) -> BudgetExceeded:
        if self.per_call is not None and self.deadline < self.budget.deadline:
            return BudgetExceeded(
                f"{self.budget.service}: connection timed out: {self.what} did not finish within "
                f"{self.per_call:g}s"
            )
        return self.budget.exceeded(self.what)

    def wait_left(self) -> float:
        """Seconds a socket may still wait; BudgetExceeded when none are left."""
        left = self.remaining()
        if left <= 0:
            raise self.exceeded()
        return max(_MIN_WAIT_S, left)


_current = threading.local()


class DeadlineTimeout(Timeout):
    """A urllib3 Timeout whose connect and read limits are the time left of a call, read anew
    at each attempt (urllib3 clones it per attempt and reads them when it needs them)."""

    def __init__(self, call: Call, per_read: float | None) -> None:
        super().__init__(connect=per_read, read=per_read)
        self.call = call
        self.per_read = per_read

    def clone(self) -> DeadlineTimeout:
        return DeadlineTimeout(self.call, self.per_read)

    def _limit(self) -> float:
        left = self.call.wait_left()
        return left if self.per_read is None else min(self.per_read, left)

    @property
    def connect_timeout(self) -> float:
        return self._limit()

    @property
    def read_timeout(self) -> float:
        return self._limit()


class _BudgetRetryMixin(Retry):
    """urllib3 retries that stop at the current call's deadline and never sleep past it."""

    def _call(self) -> Call | None:
        call: Call | None = getattr(_current, "call", None)
        return call

    def increment(self, *args: Any, **kwargs: Any) -> Retry:  # type: ignore[override]
        call = self._call()
        method = kwargs.get("method", args[0] if args else None)
        error = kwargs.get("error")
        if (
            call is not None
            and call.reads is not None
            and error is not None
            and self._is_read_error(error)
            and str(method or "").upper() not in call.reads
        ):
            # The request reached the server and may have been applied: not sent again.
            raise error
        retry = super().increment(*args, **kwargs)
        if call is not None and call.remaining() <= 0:
            raise call.exceeded()
        if call is not None:
            call.budget.resent += 1
        return retry

    def sleep(self, response: Any = None) -> None:
        call = self._call()
        if call is None:
            super().sleep(response)
            return
        wait = None
        if self.respect_retry_after_header and response is not None:
            wait = self.get_retry_after(response)
        if wait is None:
            wait = self.get_backoff_time()
        if wait <= 0:
            return
        left = call.remaining()
        if wait >= left:
            detail = f"asked to wait {wait:g}s with {max(left, 0):.1f}s left"
            if call.per_call is not None and call.deadline < call.budget.deadline:
                raise BudgetExceeded(
                    f"{call.budget.service}: connection timed out: {call.what} did not "
                    f"finish within {call.per_call:g}s: {detail}"
                )
            raise call.budget.exceeded(call.what, detail=detail)
        time.sleep(wait)


class BoundedRetry(_BudgetRetryMixin, Retry):
    """`urllib3.Retry` bounded by the call's deadline."""


def bounded_retry(base: type[Retry] = Retry, **kwargs: Any) -> Retry:
    """An instance of `base` (Retry, or a subclass such as PyGithub's GithubRetry) whose sleeps
    and retries are bounded by the deadline of the call it serves."""
    if base is Retry:
        return BoundedRetry(**kwargs)
    bounded = type(f"Bounded{base.__name__}", (_BudgetRetryMixin, base), {})
    retry: Retry = bounded(**kwargs)
    return retry


class BoundedAdapter(HTTPAdapter):
    """An HTTPAdapter whose every request ends by the budget's deadline (and `per_call`)."""

    def __init__(
        self,
        budget: Budget,
        *,
        per_call: float | None = None,
        per_read: float | None = None,
        what: str = "the request",
        caller_timeout: bool = True,
        reads: frozenset[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.budget = budget
        self.per_call = per_call
        self.per_read = per_read
        self.what = what
        self.caller_timeout = caller_timeout
        self.reads = reads

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, stream: bool = False, **kwargs: Any
    ) -> requests.Response:
        self.budget.check(self.what)
        per_call, per_read = self.per_call, self.per_read
        given = kwargs.get("timeout")
        if (
            self.caller_timeout
            and isinstance(given, int | float)
            and not isinstance(given, bool)
            and given > 0
        ):
            # A caller's own limit for this request (e.g. a policy rule's timeout).
            per_call = per_read = float(given)
        call = Call(self.budget, self.budget.until(per_call), per_call, self.what, self.reads)
        kwargs["timeout"] = DeadlineTimeout(call, per_read)
        previous = getattr(_current, "call", None)
        _current.call = call
        try:
            response = super().send(request, stream=True, **kwargs)
            if not stream:
                try:
                    _read_body(response, call)
                except _BodyCut as cut:
                    response = self._resend(request, response, cut, {**kwargs, "timeout": given})
        finally:
            _current.call = previous
        return response

    def _resend(
        self,
        request: requests.PreparedRequest,
        response: requests.Response,
        cut: _BodyCut,
        kwargs: dict[str, Any],
    ) -> requests.Response:
        """The answer to `request` sent again after its body was cut, when its method is a
        read: the same urllib3 `Retry` that retries a 5xx decides (its count as it stood for
        this request, the deadline, the backoff), so this is that retry, not a second one."""
        retry = getattr(response.raw, "retries", None) or self.max_retries
        if self.reads is None or not isinstance(retry, Retry):
            raise cut.error from None
        try:
            retry = retry.increment(request.method, request.url, error=cut.protocol)
        except (MaxRetryError, ProtocolError):
            raise cut.error from None
        retry.sleep()
        saved = getattr(_current, "retry", None)
        _current.retry = retry
        try:
            return self.send(request, stream=False, **kwargs)
        finally:
            _current.retry = saved

    @property  # type: ignore[override]
    def max_retries(self) -> Retry:
        """The adapter's Retry, or the one a resend of this thread carries on (`_resend`)."""
        carried: Retry | None = getattr(_current, "retry", None)
        return carried or self._max_retries

    @max_retries.setter
    def max_retries(self, value: Retry) -> None:
        self._max_retries = value


class _BodyCut(Exception):
    """The connection broke mid-body: urllib3's error (for `Retry.increment`) and the
    requests error a caller sees when it is not sent again."""

    def __init__(self, protocol: ProtocolError, error: requests.RequestException) -> None:
        super().__init__(str(error))
        self.protocol = protocol
        self.error = error


def _read_body(response: requests.Response, call: Call) -> None:
    """Read the whole body, each read bounded by the time left: a trickle ends at the deadline."""
    raw = response.raw
    chunks: list[bytes] = []
    try:
        while True:
            left = call.remaining()
            if left <= 0:
                raise call.exceeded()
            sock = getattr(getattr(raw, "connection", None), "sock", None)
            if sock is not None:
                sock.settimeout(max(_MIN_WAIT_S, left))
            try:
                chunk = raw.read1(_CHUNK, decode_content=True)
            except ReadTimeoutError:
                if call.remaining() <= 0:
                    raise call.exceeded() from None
                raise requests.exceptions.ReadTimeout(
                    f"{call.budget.service}: read timed out during {call.what}"
                ) from None
            except ProtocolError as exc:
                raise _BodyCut(
                    exc,
                    requests.exceptions.ConnectionError(
                        f"{call.budget.service}: connection broken during {call.what}: "
                        f"{type(exc.args[-1]).__name__ if exc.args else 'ProtocolError'}"
                    ),
                ) from None
            if not chunk:
                break
            chunks.append(chunk)
    except BaseException:
        response.close()
        raise
    response._content = b"".join(chunks)
    response._content_consumed = True  # type: ignore[attr-defined]
    raw.release_conn()


def bounded_session(
    budget: Budget,
    *,
    per_call: float | None = None,
    per_read: float | None = None,
    retry: Retry | int = 0,
    what: str = "the request",
    reads: frozenset[str] | None = None,
) -> requests.Session:
    """A requests.Session whose http and https requests are bounded by `budget`; `reads`: the
    methods sent again after a broken connection (`BoundedAdapter`)."""
    session = requests.Session()
    adapter = BoundedAdapter(
        budget, per_call=per_call, per_read=per_read, what=what, max_retries=retry, reads=reads
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def bound_pygithub(github: Any, budget: Budget, *, per_read: float | None) -> None:
    """Make a PyGithub client's requests go through a `BoundedAdapter` for `budget`.

    PyGithub creates its session inside its connection classes; subclasses of those mount the
    bounded adapter instead, set on this client's requester only (not class-wide), and on the
    lazy copies `withLazy` makes (a new client from the same settings, which would otherwise
    talk through PyGithub's own unbounded adapter)."""
    from github import Requester as requester_module

    base_http = requester_module.HTTPRequestsConnectionClass
    base_https = requester_module.HTTPSRequestsConnectionClass

    def mount(connection: Any, prefix: str) -> None:
        connection.adapter = BoundedAdapter(
            budget,
            per_read=per_read,
            what="the GitHub API call",
            # PyGithub's `timeout` is per socket read (per_read), not per call.
            caller_timeout=False,
            # GithubRetry also resends POST (for rate limits); a broken connection resends reads.
            reads=READS,
            max_retries=connection.retry,
            pool_connections=connection.pool_size,
            pool_maxsize=connection.pool_size,
        )
        connection.session.mount(prefix, connection.adapter)

    class BoundedHTTP(base_http):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            mount(self, "http://")

    class BoundedHTTPS(base_https):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            mount(self, "https://")

    def bind(requester: Any) -> Any:
        # The requester picks its connection class once, at construction, from these two.
        https = getattr(requester, "_Requester__connectionClass", None) is base_https
        requester._Requester__connectionClass = BoundedHTTPS if https else BoundedHTTP
        plain = type(requester).withLazy
        # A lazy copy is a new requester built from the settings (a lazy `get_repo`): bound too.
        requester.withLazy = lambda lazy: bind_if_new(requester, plain(requester, lazy))
        return requester

    def bind_if_new(original: Any, copy: Any) -> Any:
        return copy if copy is original else bind(copy)

    def with_lazy(lazy: bool) -> Any:
        # `Github.withLazy` builds a new client (and requester) from the settings.
        copy = type(github).withLazy(github, lazy)
        bound_pygithub(copy, budget, per_read=per_read)
        return copy

    bind(github.requester)
    github.withLazy = with_lazy
