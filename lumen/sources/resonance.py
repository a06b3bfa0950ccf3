"""Resonance metrics snapshots (docs/reference.md#resonance): a JSON file read into
`gates.resonance.Snapshot`s.

One window:  `{"window": "24h", "series_deltas": [..], "gap_minutes": 12, "failure_hist":
{"timeout": 3, "oom": 1}, "chain_ok": true, "dsse_ok": true, "tlog_ok": true,
"last_ceremony_age_d": 30, "latency_p95_ms": 420, "fail_rate": 0.02}`.
Several windows: `{"windows": {"24h": {...}, "6h": {...}}}`. `failure_hist` may also be a list
of counts. A field left out makes the signals it feeds NO_DATA; a field of the wrong type is an
error naming the file and the field.
"""

from __future__ import annotations

import math
from typing import Any

from gates.errors import InputError
from gates.resonance import TRUST_FIELDS, Snapshot
from gates.timeutil import parse_duration

_NUMBERS = ("gap_minutes", "last_ceremony_age_d", "latency_p95_ms", "fail_rate")
KNOWN = frozenset({"window", "series_deltas", "failure_hist", *_NUMBERS, *TRUST_FIELDS})


def _number(value: Any, file: str, field: str, *, minimum: float | None = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError("expected a finite number", file=file, field=field, expected="a number")
    if minimum is not None and value < minimum:
        raise InputError(f"expected a number >= {minimum:g}, got {value}", file=file, field=field)
    return float(value)


def _flag(value: Any, file: str, field: str) -> bool:
    """A trust flag is JSON true or false: `1`, `"yes"` or `"true"` are refused, not guessed
    (a trust check must never pass on a value that only looks like success)."""
    if isinstance(value, bool):
        return value
    raise InputError(
        f"{value!r} is not true or false", file=file, field=field, expected="a JSON boolean"
    )


def snapshot_of(doc: Any, *, file: str, window: str, prefix: str = "") -> Snapshot:
    """One window's snapshot from its JSON object (`prefix` locates it in error messages)."""
    if not isinstance(doc, dict):
        raise InputError("expected a JSON object", file=file, field=prefix or None)
    unknown = sorted(set(doc) - KNOWN)
    if unknown:
        raise InputError(
            f"unknown field {unknown[0]!r}",
            file=file,
            field=prefix + unknown[0],
            expected=", ".join(sorted(KNOWN)),
        )
    label = doc.get("window", window)
    if not isinstance(label, str):
        raise InputError("expected a duration string", file=file, field=prefix + "window")
    if prefix and label != window:
        raise InputError(
            f"window {label!r} differs from its key {window!r}",
            file=file,
            field=prefix + "window",
        )
    parse_duration(label, field=prefix + "window")
    deltas = None
    if doc.get("series_deltas") is not None:
        raw = doc["series_deltas"]
        if not isinstance(raw, list):
            raise InputError(
                "expected a list of numbers", file=file, field=prefix + "series_deltas"
            )
        deltas = tuple(
            _number(x, file, f"{prefix}series_deltas[{i}]", minimum=None) for i, x in enumerate(raw)
        )
    hist = None
    if doc.get("failure_hist") is not None:
        raw = doc["failure_hist"]
        if isinstance(raw, dict):
            hist = tuple(
                _number(v, file, f"{prefix}failure_hist.{k}") for k, v in sorted(raw.items())
            )
        elif isinstance(raw, list):
            hist = tuple(_number(v, file, f"{prefix}failure_hist[{i}]") for i, v in enumerate(raw))
        else:
            raise InputError(
                "expected an object of counts per failure class (or a list of counts)",
                file=file,
                field=prefix + "failure_hist",
            )
    numbers = {
        name: None if doc.get(name) is None else _number(doc[name], file, prefix + name)
        for name in _NUMBERS
    }
    flags = {
        name: None if doc.get(name) is None else _flag(doc[name], file, prefix + name)
        for name in TRUST_FIELDS
    }
    return Snapshot(
        window=label,
        series_deltas=deltas,
        failure_hist=hist,
        gap_minutes=numbers["gap_minutes"],
        last_ceremony_age_d=numbers["last_ceremony_age_d"],
        latency_p95_ms=numbers["latency_p95_ms"],
        fail_rate=numbers["fail_rate"],
        chain_ok=flags["chain_ok"],
        dsse_ok=flags["dsse_ok"],
        tlog_ok=flags["tlog_ok"],
    )


def read_snapshots(path: str, *, window: str) -> list[Snapshot]:
    """Every window of a snapshot file, in file order."""
    from lumen.fileio import display_name, read_json

    doc = read_json(path)
    name = display_name(path)
    if isinstance(doc, dict) and "windows" in doc:
        windows = doc["windows"]
        if not isinstance(windows, dict) or not windows:
            raise InputError(
                "expected an object of windows",
                file=name,
                field="windows",
                expected='{"24h": {...}, "6h": {...}}',
            )
        extra = sorted(set(doc) - {"windows"})
        if extra:
            raise InputError(
                f"unexpected field {extra[0]!r} next to `windows`", file=name, field=extra[0]
            )
        return [
            snapshot_of(body, file=name, window=str(label), prefix=f"windows.{label}.")
            for label, body in windows.items()
        ]
    return [snapshot_of(doc, file=name, window=window)]
