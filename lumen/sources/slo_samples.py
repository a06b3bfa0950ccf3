"""The SLO samples file (`lumen slo --samples PATH`): error and request counts per window.

    {"objective": 0.99, "windows": {"5m": {"errors": 3, "requests": 1200}, ...}}

Strict, as every loader (docs/reliability.md): counts are finite numbers >= 0, errors never
exceed requests, a ready `error_rate` lies in [0, 1], and `objective`, when the file gives one,
lies strictly between 0 and 1. Each error names the file, the line and the field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from gates import slo
from gates.errors import InputError
from gates.timeutil import parse_duration
from lumen.fileio import read_json, read_text


@dataclass(frozen=True)
class SloSamples:
    windows: dict[timedelta, slo.WindowSample] = field(default_factory=dict)
    objective: float | None = None  # the file's own objective, when it states one


def _line(text: str, key: str) -> int | None:
    """Line of the first `"key"` in the file: close enough to point a reader at the field."""
    at = text.find(f'"{key}"')
    return None if at < 0 else text.count("\n", 0, at) + 1


def _number(value: Any) -> bool:
    return (
        not isinstance(value, bool)
        and isinstance(value, int | float)
        and math.isfinite(float(value))
    )


def read_samples(path: str) -> SloSamples:
    text = read_text(path) if path != "-" else ""
    document = read_json(path)
    windows = document.get("windows", document) if isinstance(document, dict) else None
    if not isinstance(windows, dict):
        raise InputError(
            "expected an object of windows", file=path, expected='{"windows": {"5m": {...}}}'
        )
    objective: float | None = None
    raw_objective = document.get("objective") if isinstance(document, dict) else None
    if raw_objective is not None:
        if not _number(raw_objective) or not 0 < float(raw_objective) < 1:
            raise InputError(
                f"objective {raw_objective!r} is not a fraction",
                file=path,
                line=_line(text, "objective"),
                field="objective",
                expected="a number strictly between 0 and 1, e.g. 0.99",
            )
        objective = float(raw_objective)
    out: dict[timedelta, slo.WindowSample] = {}
    for label, sample in windows.items():
        if label == "objective":
            continue
        name = f"windows.{label}"
        line = _line(text, str(label))
        window = parse_duration(str(label), field=name)
        if window <= timedelta(0):
            raise InputError("a window must be longer than zero", file=path, line=line, field=name)
        if not isinstance(sample, dict):
            raise InputError(
                "expected an object",
                file=path,
                line=line,
                field=name,
                expected="{errors, requests}",
            )
        numbers: dict[str, float | None] = {}
        for key in ("errors", "requests", "error_rate"):
            value = sample.get(key)
            if value is not None and (not _number(value) or value < 0):
                raise InputError(
                    f"{value!r} is not a count",
                    file=path,
                    line=line,
                    field=f"{name}.{key}",
                    expected="a finite number >= 0",
                )
            numbers[key] = None if value is None else float(value)
        errors, requests, rate = numbers["errors"], numbers["requests"], numbers["error_rate"]
        if rate is None and (errors is None or requests is None):
            raise InputError(
                "needs errors and requests, or error_rate",
                file=path,
                line=line,
                field=name,
                expected='{"errors": 3, "requests": 1200}',
            )
        if errors is not None and requests is not None and errors > requests:
            raise InputError(
                f"{errors:g} errors out of {requests:g} requests",
                file=path,
                line=line,
                field=f"{name}.errors",
                expected="errors <= requests",
            )
        if rate is not None and rate > 1:
            raise InputError(
                f"error_rate {rate:g} is more than every request failing",
                file=path,
                line=line,
                field=f"{name}.error_rate",
                expected="a fraction between 0 and 1",
            )
        out[window] = slo.WindowSample(errors=errors, requests=requests, rate=rate)
    return SloSamples(out, objective)
