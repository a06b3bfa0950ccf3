"""Failure classes of a failed step, from its log (docs/reference.md#failure-classes).

Ordered patterns: the first class whose pattern matches anywhere in the log wins, so a log that
shows both a timeout and a 500 is `network`. The shipped workflows retry only the classes in
`RETRYABLE`, at most `len(RETRY_DELAYS_S)` times, after those delays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FAILURE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "network",
        re.compile(
            r"connection (?:timed out|reset)|timed? ?out while connecting|ECONNREFUSED|"
            r"ECONNRESET|ETIMEDOUT|connection refused|TLS handshake|SSL handshake|"
            r"Temporary failure in name resolution|Could not resolve host|"
            # requests/urllib3 spellings, as lumen's own errors print them
            r"Failed to establish a new connection|NewConnectionError|ConnectionError|"
            r"Network is unreachable",
            re.IGNORECASE,
        ),
    ),
    (
        "token_expired",
        re.compile(
            r"\b401\b|\b403\b|\bexpired\b|invalid (?:token|credentials)|bad credentials|"
            r"Unauthorized|Forbidden",
            re.IGNORECASE,
        ),
    ),
    (
        "external_api",
        re.compile(
            r"\b5\d\d\b.*(?:Internal|Bad Gateway|Service Unavailable|Gateway Time-?out)|"
            r"Internal Server Error|Bad Gateway|Service Unavailable|Gateway Time-?out",
            re.IGNORECASE,
        ),
    ),
    ("dependency", re.compile(r"ModuleNotFoundError|ImportError|No module named")),
    ("build", re.compile(r"SyntaxError|TypeError|NameError")),
    (
        "environment",
        re.compile(r"No space left on device|ENOSPC|Permission denied|EACCES", re.IGNORECASE),
    ),
)

RETRYABLE = frozenset({"network", "external_api"})
RETRY_DELAYS_S = (5, 30)

RUNBOOK_HINTS = {
    "network": "transient network failure: retried automatically; check the runner's egress "
    "and the remote host if it persists",
    "token_expired": "credentials rejected: rotate the token or check the job's `permissions:`",
    "external_api": "the remote service answered 5xx: retried automatically; check its status",
    "dependency": "a module is missing: check the lock file and the install step",
    "build": "the code does not build or run: see the first error in the log",
    "environment": "the runner is out of disk or lacks a permission: clean up or fix ownership",
    "unknown": "no known pattern matched: read the log from its first error",
}


@dataclass(frozen=True)
class Classification:
    failure_class: str
    retryable: bool
    matched: str | None
    line: int | None
    hint: str


def classify(log: str) -> Classification:
    """The class of a failed step's log; `unknown` when no pattern matches."""
    for name, pattern in FAILURE_PATTERNS:
        match = pattern.search(log)
        if match:
            line = log.count("\n", 0, match.start()) + 1
            return Classification(
                name, name in RETRYABLE, match.group(0), line, RUNBOOK_HINTS[name]
            )
    return Classification("unknown", False, None, None, RUNBOOK_HINTS["unknown"])
