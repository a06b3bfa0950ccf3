"""Pushing to a Prometheus Pushgateway (docs/reference.md#pushgateway): PUT a whole group, auth,
TLS, bounded retries.

PUT replaces every metric of the group, so series a run no longer produces vanish instead of
lingering with their last value. The grouping key is `job` plus the given labels in order;
values that are empty or contain `/` use the `@base64` form of the Pushgateway's URL API.

Retries: connection errors, timeouts, 429 and 5xx are retried with exponential backoff
(`backoff`, doubled each time) while attempts remain and the total `deadline` allows; any other
4xx is final (the same body would be refused again). Every failure ends as a `PushError` naming
the group URL, never a traceback.
"""

from __future__ import annotations

import argparse
import base64
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from gates.errors import SourceError, UsageError
from gates.timeutil import parse_duration
from lumen.adapters.urls import split_userinfo
from lumen.budget import BudgetExceeded
from lumen.settings import default_text, required

TOKEN_ENV = "LUMEN_PUSHGATEWAY_BEARER_TOKEN"
BASIC_AUTH_ENV = "LUMEN_PUSHGATEWAY_BASIC_AUTH"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
RETRYABLE = frozenset({408, 429, 500, 502, 503, 504})


class PushError(SourceError):
    """The Pushgateway could not be reached or refused the push (after the retries)."""


def add_pushgateway_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("Pushgateway (config `sampler:`)")
    group.add_argument("--pushgateway", metavar="URL", help="Pushgateway base URL")
    group.add_argument(
        "--pushgateway-bearer-token", metavar="TOKEN", help=f"bearer token (default: ${TOKEN_ENV})"
    )
    group.add_argument(
        "--pushgateway-basic-auth",
        metavar="USER:PASSWORD",
        help=f"HTTP basic auth (default: ${BASIC_AUTH_ENV})",
    )
    group.add_argument("--pushgateway-ca-bundle", metavar="PATH", help="CA bundle for TLS")
    group.add_argument(
        "--pushgateway-insecure", action="store_true", help="do not verify the TLS certificate"
    )
    group.add_argument(
        "--push-retries",
        type=int,
        metavar="N",
        help=f"retries after the first attempt ({default_text('sampler', 'push-retries')})",
    )
    group.add_argument(
        "--push-backoff",
        metavar="DURATION",
        help=f"first retry delay, doubled each time ({default_text('sampler', 'push-backoff')})",
    )
    group.add_argument(
        "--push-deadline",
        metavar="DURATION",
        help=f"bound on all attempts together ({default_text('sampler', 'push-deadline')})",
    )
    group.add_argument(
        "--push-timeout",
        metavar="DURATION",
        help=f"timeout of one request ({default_text('sampler', 'push-timeout')})",
    )


def group_path(job: str, grouping: Mapping[str, str]) -> str:
    """`/metrics/job/<job>/<label>/<value>...` with the `@base64` form where a value needs it."""
    path = "/metrics"
    for key, value in [("job", job), *grouping.items()]:
        if value == "" or "/" in value:
            encoded = base64.urlsafe_b64encode(value.encode()).decode() or "="
            path += f"/{key}@base64/{encoded}"
        else:
            path += f"/{key}/{quote(value, safe='')}"
    return path


@dataclass(frozen=True)
class Pushgateway:
    url: str
    bearer_token: str | None
    basic_auth: tuple[str, str] | None
    ca_bundle: str | None
    verify: bool
    timeout: float
    retries: int
    backoff: float
    deadline: float

    @classmethod
    def resolve(
        cls,
        args: argparse.Namespace,
        settings: Mapping[str, Any],
        environ: Mapping[str, str] | None = None,
    ) -> Pushgateway | None:
        """Flags over the resolved `sampler:` section (shipped defaults included); None when no
        URL is known. Secrets come from flags or the variables the config names, never from the
        config itself."""
        env = os.environ if environ is None else environ
        url = getattr(args, "pushgateway", None) or settings.get("pushgateway")
        if not url:
            return None
        # Credentials in the URL become basic auth, so the URL itself is safe to show.
        url, url_auth = split_userinfo(str(url))
        token = (
            getattr(args, "pushgateway_bearer_token", None)
            or env.get(str(settings.get("bearer-token-env") or TOKEN_ENV))
            or None
        )
        basic = (
            getattr(args, "pushgateway_basic_auth", None)
            or env.get(str(settings.get("basic-auth-env") or BASIC_AUTH_ENV))
            or None
        )
        auth = url_auth
        if basic:
            user, sep, password = basic.partition(":")
            if not sep:
                raise UsageError(
                    "invalid basic auth", field="--pushgateway-basic-auth", expected="USER:PASSWORD"
                )
            auth = (user, password)

        def seconds(flag: str, key: str) -> float:
            raw = getattr(args, flag, None) or required(settings, "sampler", key)
            return parse_duration(str(raw), field=f"--{key}").total_seconds()

        retries = getattr(args, "push_retries", None)
        if retries is None:
            retries = required(settings, "sampler", "push-retries")
        if int(retries) < 0:
            raise UsageError("--push-retries must be >= 0")
        insecure = bool(getattr(args, "pushgateway_insecure", False) or settings.get("insecure"))
        return cls(
            url=str(url).rstrip("/"),
            bearer_token=token,
            basic_auth=auth,
            ca_bundle=getattr(args, "pushgateway_ca_bundle", None) or settings.get("ca-bundle"),
            verify=not insecure,
            timeout=seconds("push_timeout", "push-timeout"),
            retries=int(retries),
            backoff=seconds("push_backoff", "push-backoff"),
            deadline=seconds("push_deadline", "push-deadline"),
        )

    def secrets(self) -> list[str]:
        out = [self.bearer_token] if self.bearer_token else []
        if self.basic_auth and self.basic_auth[1]:
            out.append(self.basic_auth[1])
        return out

    @property
    def tls_verify(self) -> bool | str:
        return self.ca_bundle if (self.verify and self.ca_bundle) else self.verify

    def session(self) -> Any:
        """A session bounded by the command's Pushgateway budget (`deadline`): connect, reads
        and a trickling answer all end by then."""
        from lumen import budget
        from lumen.adapters.http import bounded_session

        session = bounded_session(
            budget.for_service("Pushgateway", self.deadline, setting="--push-deadline"),
            per_read=self.timeout,
            what="the push",
        )
        session.verify = self.tls_verify
        if self.bearer_token:
            session.headers["Authorization"] = f"Bearer {self.bearer_token}"
        if self.basic_auth:
            session.auth = self.basic_auth
        return session

    def group_url(self, job: str, grouping: Mapping[str, str]) -> str:
        return self.url + group_path(job, grouping)

    def put(
        self,
        job: str,
        grouping: Mapping[str, str],
        body: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> int:
        """PUT `body` as the whole group; returns the number of attempts it took."""
        import requests

        url = self.group_url(job, grouping)
        started = clock()
        attempt = 0
        delay = self.backoff
        with self.session() as session:
            while True:
                attempt += 1
                remaining = self.deadline - (clock() - started)
                problem = ""
                retryable = True
                try:
                    response = session.put(
                        url,
                        data=body.encode("utf-8"),
                        headers={"Content-Type": CONTENT_TYPE},
                        timeout=max(0.1, min(self.timeout, remaining)),
                        # Per request: requests lets $REQUESTS_CA_BUNDLE override a
                        # session's `verify` (psf/requests#3829), which would silently drop
                        # --pushgateway-ca-bundle and --pushgateway-insecure.
                        verify=self.tls_verify,
                    )
                except BudgetExceeded as exc:
                    raise PushError(
                        f"push failed after {attempt} attempt(s): {exc.message}",
                        file=url,
                        hint=exc.hint,
                    ) from None
                except requests.exceptions.SSLError as exc:
                    raise PushError(
                        f"TLS error talking to the Pushgateway: {_short(str(exc))}",
                        file=url,
                        hint="pass --pushgateway-ca-bundle PATH, or --pushgateway-insecure",
                    ) from None
                except requests.exceptions.RequestException as exc:
                    problem = f"unreachable: {type(exc).__name__}"
                else:
                    if response.status_code < 300:
                        return attempt
                    problem = f"HTTP {response.status_code}: {_short(response.text)}"
                    retryable = response.status_code in RETRYABLE
                    if response.status_code in (401, 403):
                        problem += " (check the bearer token or basic auth)"
                elapsed = clock() - started
                if not retryable or attempt > self.retries or elapsed + delay > self.deadline:
                    raise PushError(f"push failed after {attempt} attempt(s): {problem}", file=url)
                sleep(delay)
                delay *= 2


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
