"""Deploy events from a JSONL log (spec §4), streamed into a `gates.roi.RoiTally`.

Validation is equivalent to `policy/schemas/deploy-event.schema.json`, done by hand on the fast
path (the schema validator costs ~50 µs an event; the ROI bench reads a million). Any event the
fast path rejects is handed to the schema validator, so the message a user sees is the schema's,
naming file, line and field. Environment aliases (`production` → `prod`) are applied on reading,
so `--env production` and `env: prod` in a log select the same events.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from gates.errors import InputError
from gates.roi import ACTIONS, RESULTS, DeployEvent, RoiTally
from lumen.config import canonical_env
from lumen.fileio import display_name

SCHEMA = "deploy-event.schema.json"
_OPTIONAL_STRINGS = ("author", "notes", "commit", "id", "digest", "bundle")
_TS_EXPECTED = "an RFC 3339 timestamp with a zone, such as 2026-11-20T18:00:00Z"


@dataclass
class DeployRead:
    source: str
    lines: int = 0
    events: int = 0  # valid events read (inside or outside the window)

    def summary(self) -> dict[str, Any]:
        return {"source": self.source, "events_read": self.events}


def _epoch(value: Any, field: str) -> float:
    if not isinstance(value, str):
        raise _Bad(field, f"expected a string, got {type(value).__name__}", _TS_EXPECTED)
    text = value
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise _Bad(field, f"invalid timestamp {value!r}", _TS_EXPECTED) from None
    if parsed.tzinfo is None or "T" not in text.upper():
        raise _Bad(field, f"invalid timestamp {value!r}", _TS_EXPECTED)
    return parsed.timestamp()


class _Bad(Exception):
    def __init__(self, field: str, message: str, expected: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.expected = expected


def check_event(item: Any) -> tuple[float, str, str, str, bool, float | None, str | None]:
    """Validate one parsed line; (ts, env, service, action, ok, commit_ts, id) or `_Bad`."""
    if not isinstance(item, dict):
        raise _Bad("(line)", "expected a JSON object")
    try:
        ts_raw = item["ts"]
        env = item["env"]
        service = item["service"]
        action = item["action"]
        version = item["version"]
        result = item["result"]
    except KeyError as exc:
        raise _Bad(str(exc.args[0]), f"{exc.args[0]!r} is a required property") from None
    ts = _epoch(ts_raw, "ts")
    for name, value in (("env", env), ("service", service), ("version", version)):
        if not isinstance(value, str) or not value:
            raise _Bad(name, "expected a non-empty string")
    if action not in ACTIONS:
        raise _Bad("action", f"{action!r} is not one of {', '.join(ACTIONS)}")
    if result not in RESULTS:
        raise _Bad("result", f"{result!r} is not one of {', '.join(RESULTS)}")
    for name in _OPTIONAL_STRINGS:
        value = item.get(name)
        if value is not None and not isinstance(value, str):
            raise _Bad(name, "expected a string")
    duration = item.get("duration_s")
    if duration is not None and (
        isinstance(duration, bool) or not isinstance(duration, int | float) or duration < 0
    ):
        raise _Bad("duration_s", "expected a number >= 0")
    commit_ts_raw = item.get("commit_ts")
    commit_ts = None if commit_ts_raw is None else _epoch(commit_ts_raw, "commit_ts")
    return (
        ts,
        canonical_env(env) or env,
        service,
        action,
        result == "success",
        commit_ts,
        item.get("id"),
    )


def _reject(item: Any, name: str, line: int, bad: _Bad) -> InputError:
    """The schema's message when the schema also rejects the event, else ours."""
    from lumen.schema import describe, iter_errors

    for error in iter_errors(SCHEMA, item):
        field, message = describe(error)
        return InputError(message, file=name, line=line, field=field)
    return InputError(bad.message, file=name, line=line, field=bad.field, expected=bad.expected)


def _lines(path: str) -> Iterator[tuple[int, bytes]]:
    name = display_name(path)
    if path == "-":
        yield from enumerate(sys.stdin.buffer, start=1)
        return
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        raise InputError("file not found", file=name) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a file", file=name) from None
    except PermissionError:
        raise InputError("permission denied", file=name) from None
    with handle:
        yield from enumerate(handle, start=1)


def _parsed(path: str) -> Iterator[tuple[int, Any]]:
    name = display_name(path)
    for lineno, raw in _lines(path):
        if not raw.strip():
            continue
        try:
            yield lineno, orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise InputError(
                f"not valid JSON ({exc.msg})",
                file=name,
                line=lineno,
                expected="one JSON object per line",
            ) from None


def read_deploys(path: str, tally: RoiTally) -> DeployRead:
    """Stream a JSONL deploy log (`-` for stdin) into `tally` (window and `id` de-duplication
    happen there)."""
    name = display_name(path)
    read = DeployRead(source=name)
    add = tally.add
    for lineno, item in _parsed(path):
        read.lines = lineno
        try:
            ts, env, service, action, ok, commit_ts, event_id = check_event(item)
        except _Bad as bad:
            raise _reject(item, name, lineno, bad) from None
        read.events += 1
        add(ts, env, service, action, ok, commit_ts=commit_ts, event_id=event_id)
    return read


def to_event(item: dict[str, Any]) -> DeployEvent:
    """A validated JSON object as a `DeployEvent` (callers ran `check_event` first)."""
    ts, env, service, action, ok, commit_ts, event_id = check_event(item)
    duration = item.get("duration_s")
    return DeployEvent(
        ts=datetime.fromtimestamp(ts, UTC),
        env=env,
        service=service,
        action=action,
        version=item["version"],
        result="success" if ok else "failure",
        author=item.get("author"),
        commit=item.get("commit"),
        commit_ts=None if commit_ts is None else datetime.fromtimestamp(commit_ts, UTC),
        id=event_id,
        duration_s=None if duration is None else float(duration),
        notes=item.get("notes"),
        digest=item.get("digest"),
        bundle=item.get("bundle"),
    )


def load_deploy_events(path: str) -> list[DeployEvent]:
    """Every event of a log as `DeployEvent`s, in file order, duplicates (by `id`) dropped.

    For callers that need whole events (flipback's target choice); the gate streams instead.
    """
    name = display_name(path)
    seen: set[str] = set()
    out: list[DeployEvent] = []
    for lineno, item in _parsed(path):
        try:
            event = to_event(item)
        except _Bad as bad:
            raise _reject(item, name, lineno, bad) from None
        if event.id is not None:
            if event.id in seen:
                continue
            seen.add(event.id)
        out.append(event)
    return out


def event_to_json(event: DeployEvent) -> dict[str, Any]:
    """The JSONL form of an event (schema field names, no empty optionals)."""
    from gates.timeutil import format_timestamp

    out: dict[str, Any] = {
        "ts": format_timestamp(event.ts),
        "env": event.env,
        "service": event.service,
        "action": event.action,
        "version": event.version,
        "result": event.result,
    }
    for name in ("author", "notes", "commit", "id", "digest", "bundle", "duration_s"):
        value = getattr(event, name)
        if value is not None:
            out[name] = value
    if event.commit_ts is not None:
        out["commit_ts"] = format_timestamp(event.commit_ts)
    return out
