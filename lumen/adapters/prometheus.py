"""Connecting to Prometheus (and Mimir, Cortex, Thanos) the same way from every command.

Every Prometheus-backed command (docs/reference.md#prometheus-connection) takes basic auth, a bearer
token, extra headers (e.g. `X-Scope-OrgID` for tenants), a CA bundle and TLS verify off.
`add_connection_arguments` gives a command those flags under shared names;
`PrometheusConnection.resolve` reads them back over the config's `prometheus:` section (shipped
defaults in `policy/defaults/prometheus.yml`); `connection.query(...)` runs an instant query through
prometheus-api-client and turns every failure into a `SourceError` naming the URL and the query. A
connection opens one HTTP session on its first query and reuses it for every later one (the
sampler's `--hz` loop queries up to 100 times a second); `close()` ends it.

prometheus-api-client (and through it requests) is imported lazily, inside the methods.
"""

from __future__ import annotations

import argparse
import math
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gates.errors import SourceError, UsageError
from gates.timeutil import parse_duration
from lumen.adapters.urls import split_userinfo
from lumen.budget import BudgetExceeded
from lumen.settings import default_of, required

# Environment fallbacks keep secrets out of the process list and out of workflow logs.
TOKEN_ENV = "LUMEN_PROMETHEUS_BEARER_TOKEN"
BASIC_AUTH_ENV = "LUMEN_PROMETHEUS_BASIC_AUTH"


def add_connection_arguments(
    parser: argparse.ArgumentParser, *, url_flag: bool = True, required: bool = False
) -> None:
    """The shared Prometheus flags: `--prometheus URL` plus the connection options."""
    group = parser.add_argument_group("Prometheus connection")
    if url_flag:
        group.add_argument(
            "--prometheus", metavar="URL", required=required, help="Prometheus base URL"
        )
    group.add_argument(
        "--prometheus-bearer-token",
        metavar="TOKEN",
        help=f"bearer token (default: ${TOKEN_ENV})",
    )
    group.add_argument(
        "--prometheus-basic-auth",
        metavar="USER:PASSWORD",
        help=f"HTTP basic auth (default: ${BASIC_AUTH_ENV})",
    )
    group.add_argument(
        "--prometheus-header",
        action="append",
        metavar="'NAME: VALUE'",
        help="extra request header, repeatable (e.g. 'X-Scope-OrgID: team-a')",
    )
    group.add_argument(
        "--prometheus-ca-bundle", metavar="PATH", help="CA bundle to verify the server with"
    )
    group.add_argument(
        "--prometheus-insecure",
        action="store_true",
        help="do not verify the server's TLS certificate",
    )
    group.add_argument(
        "--prometheus-timeout",
        metavar="DURATION",
        help=f"timeout of each query ({default_of('prometheus', 'timeout')})",
    )


def parse_basic_auth(text: str, *, field: str) -> tuple[str, str]:
    """`USER:PASSWORD` (the password may contain colons) for requests' `auth=`."""
    user, sep, password = text.partition(":")
    if not sep:
        raise UsageError("invalid basic auth", field=field, expected="USER:PASSWORD")
    return user, password


def parse_header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise UsageError(
            f"invalid header {text!r}",
            field="--prometheus-header",
            expected="'NAME: VALUE', e.g. 'X-Scope-OrgID: team-a'",
        )
    return name.strip(), value.strip()


@dataclass(frozen=True)
class PrometheusConnection:
    """Where and how to reach a Prometheus-compatible query API."""

    url: str
    bearer_token: str | None
    basic_auth: tuple[str, str] | None
    headers: Mapping[str, str]
    ca_bundle: str | None
    verify: bool
    timeout: float
    retries: int
    # The open client (one HTTP session), made on the first query and reused after.
    _open: list[Any] = field(default_factory=list, init=False, compare=False, repr=False)
    _lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, compare=False, repr=False
    )

    @classmethod
    def resolve(
        cls,
        args: argparse.Namespace,
        section: Mapping[str, Any],
        environ: Mapping[str, str] | None = None,
    ) -> PrometheusConnection | None:
        """Flags over the config's resolved `prometheus:` section (shipped defaults included);
        None when no URL is known.

        The config never holds secrets: `bearer-token-env` / `basic-auth-env` name the
        variables that do (defaults LUMEN_PROMETHEUS_BEARER_TOKEN / _BASIC_AUTH).
        """
        env = os.environ if environ is None else environ
        url = getattr(args, "prometheus", None) or section.get("url")
        if not url:
            return None
        # Credentials in the URL become basic auth, so the URL itself is safe to show.
        url, url_auth = split_userinfo(str(url))
        token_env = section.get("bearer-token-env") or TOKEN_ENV
        basic_env = section.get("basic-auth-env") or BASIC_AUTH_ENV
        token = getattr(args, "prometheus_bearer_token", None) or env.get(token_env) or None
        basic = getattr(args, "prometheus_basic_auth", None) or env.get(basic_env) or None
        auth = parse_basic_auth(basic, field="--prometheus-basic-auth") if basic else url_auth
        headers = {str(k): str(v) for k, v in (section.get("headers") or {}).items()}
        headers.update(parse_header(h) for h in getattr(args, "prometheus_header", None) or [])
        timeout_text = getattr(args, "prometheus_timeout", None) or required(
            section, "prometheus", "timeout"
        )
        timeout = parse_duration(str(timeout_text), field="--prometheus-timeout").total_seconds()
        insecure = bool(getattr(args, "prometheus_insecure", False) or section.get("insecure"))
        return cls(
            url=str(url).rstrip("/"),
            bearer_token=token,
            basic_auth=auth,
            headers=headers,
            ca_bundle=getattr(args, "prometheus_ca_bundle", None) or section.get("ca-bundle"),
            verify=not insecure,
            timeout=timeout,
            retries=int(required(section, "prometheus", "retries")),
        )

    def secrets(self) -> list[str]:
        """Values to mask in logs."""
        out = []
        if self.bearer_token:
            out.append(self.bearer_token)
        if self.basic_auth and self.basic_auth[1]:
            out.append(self.basic_auth[1])
        return out

    def mask_secrets(self) -> None:
        """In Actions, keep the token and password out of the log."""
        from lumen import actions_runtime as gha

        if not gha.in_actions():
            return
        for secret in self.secrets():
            gha.mask(secret)

    def request_headers(self) -> dict[str, str]:
        headers = dict(self.headers)
        if self.bearer_token:
            headers["Authorization"] = f"Bearer {self.bearer_token}"
        return headers

    def client(self) -> Any:
        """This connection's `prometheus_api_client.PrometheusConnect` (one HTTP session),
        made on first use and reused after."""
        with self._lock:  # the policy gate queries from several threads
            if not self._open:
                self._open.append(self._new_client())
            return self._open[0]

    def close(self) -> None:
        """End the HTTP session (a later query opens a new one)."""
        with self._lock:
            while self._open:
                self._open.pop().close()

    def _new_client(self) -> Any:
        """A `prometheus_api_client.PrometheusConnect` configured with every option."""
        from prometheus_api_client.prometheus_connect import PrometheusConnect

        session = self._bounded_session()
        session.verify = self.ca_bundle if (self.verify and self.ca_bundle) else self.verify
        # The library annotates auth as a tuple and timeout as an int; requests takes None and
        # fractional seconds, which is what they are passed on to.
        options: dict[str, Any] = {"auth": self.basic_auth, "timeout": self.timeout}
        client = PrometheusConnect(
            url=self.url, headers=self.request_headers(), session=session, **options
        )
        # It mounts a plain adapter for its URL; the longest prefix wins, so put ours back there.
        session.mount(self.url, session.get_adapter("http://"))
        return client

    def _bounded_session(self) -> Any:
        """A session bounded by the command's Prometheus budget and `timeout` per query, with
        retries of connection errors, 429 and 502-504 inside both."""
        from lumen import budget
        from lumen.adapters.http import bounded_retry, bounded_session

        retry = bounded_retry(
            total=self.retries,
            backoff_factor=0.2,
            status_forcelist=[429, 502, 503, 504],
            allowed_methods=["GET", "POST"],
        )
        return bounded_session(
            budget.prometheus(),
            per_call=self.timeout,
            per_read=self.timeout,
            retry=retry,
            what="the query",
        )

    def query(
        self, promql: str, *, at: datetime | None = None, timeout: float | None = None
    ) -> list[dict[str, Any]]:
        """Instant query: the `result` vector. Any failure is a SourceError naming URL and query."""
        params: dict[str, Any] = {}
        if at is not None:
            params["time"] = f"{at.timestamp():.3f}"
        # A timeout of this query's own (a policy rule's) replaces the connection's.
        return self._call(
            promql, lambda: self.client().custom_query(promql, params=params, timeout=timeout)
        )

    def query_range(
        self, promql: str, *, start: datetime, end: datetime, step: float
    ) -> list[dict[str, Any]]:
        """Range query: the `result` matrix of `promql` from `start` to `end`, `step` seconds
        apart (both ends included, as Prometheus evaluates them)."""
        return self._call(
            promql,
            lambda: self.client().custom_query_range(
                promql, start_time=start, end_time=end, step=f"{step:g}"
            ),
        )

    def _call(self, promql: str, call: Callable[[], Any]) -> list[dict[str, Any]]:
        """Run one API call; any failure is a SourceError naming the URL and the query."""
        import requests
        from prometheus_api_client.exceptions import PrometheusApiClientException

        try:
            result = call()
        except BudgetExceeded as exc:
            raise BudgetExceeded(
                f"{exc.message} (query {promql!r})", file=self.url, hint=exc.hint
            ) from None
        except PrometheusApiClientException as exc:
            raise SourceError(
                f"Prometheus refused query {promql!r}: {_short(str(exc))}", file=self.url
            ) from None
        except requests.exceptions.SSLError as exc:
            raise SourceError(
                f"TLS error talking to Prometheus: {_short(str(exc))}",
                file=self.url,
                hint="pass --prometheus-ca-bundle PATH, or --prometheus-insecure to skip checks",
            ) from None
        except requests.exceptions.RequestException as exc:
            raise SourceError(
                f"Prometheus unreachable: {type(exc).__name__}: {_short(str(exc))}", file=self.url
            ) from None
        except ValueError as exc:  # a proxy answering HTML instead of JSON
            raise SourceError(
                f"Prometheus answered something that is not its API: {exc}", file=self.url
            ) from None
        return list(result or [])

    def query_value(
        self, promql: str, *, at: datetime | None = None, reduce: str = "single"
    ) -> float | None:
        """One number from an instant query: None when no series; `reduce` combines several
        (`single` refuses more than one, `mean`, `min`, `max`). NaN and ±Inf count as no data."""
        values = sample_values(self.query(promql, at=at))
        if not values:
            return None
        if reduce == "single":
            if len(values) > 1:
                raise SourceError(
                    f"query {promql!r} returned {len(values)} series, expected one",
                    file=self.url,
                    hint="narrow it with label matchers or aggregate it (avg, sum)",
                )
            return values[0]
        if reduce == "mean":
            return math.fsum(values) / len(values)
        if reduce == "min":
            return min(values)
        if reduce == "max":
            return max(values)
        raise ValueError(f"unknown reduce {reduce!r}")


def sample_values(result: Sequence[Mapping[str, Any]]) -> list[float]:
    """The finite sample values of an instant-vector result (NaN and ±Inf are no data)."""
    values = []
    for series in result:
        try:
            value = float(series["value"][1])
        except (KeyError, IndexError, TypeError, ValueError):
            continue
        if math.isfinite(value):
            values.append(value)
    return values


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
