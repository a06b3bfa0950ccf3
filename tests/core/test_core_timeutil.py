"""Prometheus durations and RFC 3339 timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gates.errors import InputError
from gates.timeutil import format_duration, format_timestamp, parse_duration, parse_timestamp


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("5m", 300),
        ("6h", 21600),
        ("1d", 86400),
        ("1w", 604800),
        ("1h30m", 5400),
        ("90d", 7776000),
        ("500ms", 0.5),
        ("1y", 31536000),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "5", "m5", "5M", "1.5h", "30m1h", "-5m", "5m5m", "0s", "1 h"])
def test_bad_durations_are_rejected(text: str) -> None:
    with pytest.raises(InputError) as exc:
        parse_duration(text, field="--window")
    assert exc.value.field == "--window"
    assert "Prometheus duration" in (exc.value.expected or "") or "positive" in str(exc.value)


@given(st.integers(min_value=1, max_value=10**10))
def test_duration_round_trip(millis: int) -> None:
    delta = timedelta(milliseconds=millis)
    assert parse_duration(format_duration(delta)) == delta


def test_parse_timestamp_variants() -> None:
    expected = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    assert parse_timestamp("2026-11-21T10:00:00Z") == expected
    assert parse_timestamp("2026-11-21T11:00:00+01:00") == expected
    assert parse_timestamp("2026-11-21t10:00:00z") == expected
    assert parse_timestamp("2026-11-21T10:00:00.250Z").microsecond == 250000


@pytest.mark.parametrize(
    "text", ["2026-11-21T10:00:00", "2026-11-21", "yesterday", "", "2026-13-01T00:00:00Z"]
)
def test_bad_timestamps(text: str) -> None:
    with pytest.raises(InputError) as exc:
        parse_timestamp(text)
    assert "RFC 3339" in (exc.value.expected or "")


def test_format_timestamp() -> None:
    assert format_timestamp(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05Z"
