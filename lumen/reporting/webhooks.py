"""Sending notifications: HMAC signing, retries with backoff honouring Retry-After."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from gates.errors import SourceError

SIGNATURE_HEADER = "X-Lumen-Signature"
TIMESTAMP_HEADER = "X-Lumen-Timestamp"
MAX_SKEW_S = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256 over `<unix-seconds>.<body>` (docs/reference.md#notify)."""
    message = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None
) -> bool:
    """What a receiver does: constant-time compare and a ±300 s timestamp window."""
    lowered = {k.lower(): v for k, v in headers.items()}
    try:
        timestamp = int(lowered[TIMESTAMP_HEADER.lower()])
    except (KeyError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > MAX_SKEW_S:
        return False
    expected = sign(secret, timestamp, body)
    return hmac.compare_digest(expected, lowered.get(SIGNATURE_HEADER.lower(), ""))


@dataclass(frozen=True)
class Delivery:
    url_label: str
    status: int
    attempts: int


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def post_json(
    url: str,
    payload: Any,
    *,
    label: str,
    secret: str | None = None,
    attempts: int | None = None,
    backoff_s: float | None = None,
    max_wait_s: float | None = None,
    timeout_s: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
) -> Delivery:
    """POST JSON; retry 429 and 5xx (and connection errors) with exponential backoff, honouring
    `Retry-After` up to `max_wait_s`. Other 4xx fail at once. The URL never appears in errors:
    webhook URLs are secrets. Attempts, backoff, longest wait and per-attempt timeout not given
    are the run's `webhook:` settings (policy/defaults/webhook.yml under the config).

    Every delivery of the command shares the webhook budget (config `budget.webhook`,
    `LUMEN_WEBHOOK_BUDGET`): connects, reads, a trickling answer and the waits between attempts
    all end by then."""
    from lumen import budget as budgets
    from lumen.adapters.http import bounded_session
    from lumen.settings import run_settings

    settings, scope = run_settings()
    shipped = settings.webhook(scope)
    attempts = shipped.attempts if attempts is None else attempts
    backoff_s = shipped.backoff if backoff_s is None else backoff_s
    max_wait_s = shipped.max_wait if max_wait_s is None else max_wait_s
    timeout_s = shipped.timeout if timeout_s is None else timeout_s
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    session = bounded_session(budgets.webhooks(), per_read=timeout_s, what=f"the {label} delivery")
    with session:
        return _deliver(
            session,
            url,
            body,
            label=label,
            secret=secret,
            attempts=attempts,
            backoff_s=backoff_s,
            max_wait_s=max_wait_s,
            timeout_s=timeout_s,
            sleep=sleep,
            clock=clock,
        )


def _deliver(
    session: Any,
    url: str,
    body: bytes,
    *,
    label: str,
    secret: str | None,
    attempts: int,
    backoff_s: float,
    max_wait_s: float,
    timeout_s: float,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> Delivery:
    import requests

    from lumen import budget as budgets
    from lumen.budget import BudgetExceeded

    budget = budgets.webhooks()
    last_problem = ""
    for attempt in range(1, attempts + 1):
        headers = {"Content-Type": "application/json", "User-Agent": "lumen-ci"}
        if secret:
            timestamp = int(clock())
            headers[TIMESTAMP_HEADER] = str(timestamp)
            headers[SIGNATURE_HEADER] = sign(secret, timestamp, body)
        wait = backoff_s * (2 ** (attempt - 1))
        try:
            response = session.post(url, data=body, headers=headers, timeout=timeout_s)
        except requests.RequestException as exc:
            last_problem = f"{type(exc).__name__}"
        else:
            if response.status_code < 300:
                return Delivery(label, response.status_code, attempt)
            last_problem = f"HTTP {response.status_code}"
            if response.status_code != 429 and response.status_code < 500:
                raise SourceError(
                    f"{label} webhook refused the message: HTTP {response.status_code} "
                    f"{response.text[:200]!r}"
                )
            hinted = _retry_after(response.headers.get("Retry-After"))
            if hinted is not None:
                wait = hinted
        if attempt < attempts:
            try:
                budget.sleep(min(wait, max_wait_s), f"the {label} delivery", sleep=sleep)
            except BudgetExceeded as exc:
                raise BudgetExceeded(
                    f"{exc.message}; attempt {attempt} failed with {last_problem}", hint=exc.hint
                ) from None
    raise SourceError(f"{label} webhook failed after {attempts} attempts ({last_problem})")
