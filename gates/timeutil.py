"""Prometheus-style durations and RFC 3339 timestamps (docs/reference.md#precedence)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from gates.errors import InputError

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
# Prometheus's grammar: one or more <number><unit>, units in descending order, no repeats.
_DURATION_RE = re.compile(
    r"^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$"
)
_ORDER = ("y", "w", "d", "h", "m", "s", "ms")


def parse_duration(text: str, *, field: str = "duration") -> timedelta:
    """Parse `90s`, `5m`, `6h`, `1d`, `1w`, `1h30m` (Prometheus's grammar) into a timedelta."""
    match = _DURATION_RE.match(text.strip()) if isinstance(text, str) else None
    if not match or not text.strip() or not any(match.groups()):
        raise InputError(
            f"invalid duration {text!r}",
            field=field,
            expected="a Prometheus duration such as 90s, 5m, 6h, 1d, 1w or 1h30m",
        )
    seconds = 0.0
    for unit, amount in zip(_ORDER, match.groups(), strict=True):
        if amount:
            seconds += int(amount) * _UNITS[unit]
    if seconds <= 0:
        raise InputError(f"duration {text!r} must be positive", field=field)
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """The shortest Prometheus duration for `delta` (whole milliseconds)."""
    millis = round(delta.total_seconds() * 1000)
    if millis <= 0:
        return "0s"
    parts = []
    for unit in _ORDER:
        size = round(_UNITS[unit] * 1000)
        if millis >= size:
            parts.append(f"{millis // size}{unit}")
            millis %= size
    return "".join(parts)


def parse_timestamp(text: str, *, field: str = "ts") -> datetime:
    """Parse an RFC 3339 timestamp; a `Z` or an offset is required (no naive times)."""
    if not isinstance(text, str):
        raise InputError(
            f"expected a string, got {type(text).__name__}",
            field=field,
            expected="an RFC 3339 timestamp such as 2026-11-21T10:00:00Z",
        )
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None or "T" not in value.upper():
        raise InputError(
            f"invalid timestamp {text!r}",
            field=field,
            expected="an RFC 3339 timestamp with a zone, such as 2026-11-21T10:00:00Z",
        )
    return parsed.astimezone(UTC)


def format_timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with a `Z`, seconds precision unless there are fractions."""
    moment = moment.astimezone(UTC)
    if moment.microsecond:
        return moment.isoformat().replace("+00:00", "Z")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def utcnow() -> datetime:
    return datetime.now(UTC)
