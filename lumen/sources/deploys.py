"""Deploy events from a JSONL log (docs/reference.md#roi), streamed into a `gates.roi.RoiTally`.

Validation is equivalent to `policy/schemas/deploy-event.schema.json`, done by hand on the fast
path (the schema validator costs ~50 µs an event; the ROI bench reads a million). Any event the
fast path rejects is handed to the schema validator, so the message a user sees is the schema's,
naming file, line and field. Environment aliases (`production` → `prod`) are applied on reading,
so `--env production` and `env: prod` in a log select the same events.
"""

from __future__ import annotations

import re
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
from lumen.schema import json_type_name

SCHEMA = "deploy-event.schema.json"
_OPTIONAL_STRINGS = ("author", "notes", "commit", "id", "digest", "bundle")
_KNOWN = frozenset(
    ("ts", "env", "service", "action", "version", "result", "duration_s", "commit_ts")
).union(_OPTIONAL_STRINGS)
_TS_EXPECTED = "an RFC 3339 timestamp with a zone, such as 2026-11-20T18:00:00Z"


@dataclass
class DeployRead:
    source: str
    lines: int = 0
    events: int = 0  # valid events read (inside or outside the window)

    def summary(self) -> dict[str, Any]:
        return {"source": self.source, "events_read": self.events}


_FULL_TS = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(?:\.\d+)?(?:[Zz]|[+-]\d\d:\d\d)\Z")
_MINUTE = re.compile(r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d)\Z")
_MINUTES: dict[str, float] = {}
_MINUTES_CAP = 200_000
_SECONDS = {f"{n:02d}": n for n in range(61)}  # 60: a leap second, as RFC 3339 allows


def _epoch(value: Any, field: str) -> float:
    """Epoch seconds of an RFC 3339 timestamp (seconds and a zone required, as the schema's
    `date-time` format). `...:SSZ`, the form every writer here produces, takes a cached path."""
    if type(value) is not str:
        raise _Bad(field, f"expected a string, got {json_type_name(value)}", _TS_EXPECTED)
    if len(value) == 20 and value[19] in "Zz" and value[16] == ":":
        minute = value[:16]
        base = _MINUTES.get(minute)
        if base is None:
            match = _MINUTE.match(minute)
            if match is None:
                raise _Bad(field, f"invalid timestamp {value!r}", _TS_EXPECTED)
            try:
                year, month, day, hour, minute_of_hour = map(int, match.groups())
                base = datetime(year, month, day, hour, minute_of_hour, tzinfo=UTC).timestamp()
            except ValueError:
                raise _Bad(field, f"invalid timestamp {value!r}", _TS_EXPECTED) from None
            if len(_MINUTES) > _MINUTES_CAP:
                _MINUTES.clear()
            _MINUTES[minute] = base
        seconds = _SECONDS.get(value[17:19])
        if seconds is None:
            raise _Bad(field, f"invalid timestamp {value!r}", _TS_EXPECTED)
        return base + seconds
    if not _FULL_TS.match(value):
        raise _Bad(field, f"invalid timestamp {value!r}", _TS_EXPECTED)
    text = value[:-1] + "+00:00" if value[-1] in "Zz" else value
    try:
        return datetime.fromisoformat(text.replace("t", "T")).timestamp()
    except ValueError:
        raise _Bad(field, f"invalid timestamp {value!r}", _TS_EXPECTED) from None


class _Bad(Exception):
    def __init__(self, field: str, message: str, expected: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.expected = expected


_REQUIRED = ("ts", "env", "service", "action", "version", "result")
_ACTIONS = frozenset(ACTIONS)
_RESULTS = frozenset(RESULTS)
_ENVS: dict[str, str] = {}


def check_event(item: Any) -> tuple[float, str, str, str, bool, float | None, str | None]:
    """Validate one parsed line; (ts, env, service, action, ok, commit_ts, id) or `_Bad`.

    Accepts exactly what the schema accepts (a test holds the two together): the six required
    fields, the optional strings as strings, `duration_s` a number >= 0, `commit_ts` a
    timestamp; any other key is an error (the schema is closed: a typo such as `reslt` must not
    pass unnoticed).
    """
    if type(item) is not dict:
        raise _Bad("(line)", f"expected a JSON object, got {json_type_name(item)}")
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
    if type(env) is not str or not env:
        raise _Bad("env", "expected a non-empty string")
    if type(service) is not str or not service:
        raise _Bad("service", "expected a non-empty string")
    if type(version) is not str or not version:
        raise _Bad("version", "expected a non-empty string")
    if type(action) is not str or action not in _ACTIONS:
        raise _Bad("action", f"{action!r} is not one of {', '.join(ACTIONS)}")
    if type(result) is not str or result not in _RESULTS:
        raise _Bad("result", f"{result!r} is not one of {', '.join(RESULTS)}")
    commit_ts = None
    if len(item) > 6:
        unknown = item.keys() - _KNOWN
        if unknown:
            raise _Bad(min(unknown), f"unknown field {min(unknown)!r}")
        get = item.get
        for name in _OPTIONAL_STRINGS:
            if type(get(name, "")) is not str:
                raise _Bad(name, f"expected a string, got {json_type_name(item[name])}")
        if "duration_s" in item:
            duration = item["duration_s"]
            if type(duration) not in (int, float) or duration < 0:
                raise _Bad("duration_s", "expected a number >= 0")
        if "commit_ts" in item:
            commit_ts = _epoch(item["commit_ts"], "commit_ts")
    canonical = _ENVS.get(env)
    if canonical is None:
        canonical = _ENVS[env] = canonical_env(env) or env
    return (ts, canonical, service, action, result == "success", commit_ts, item.get("id"))


def _reject(item: Any, name: str, line: int, bad: _Bad) -> InputError:
    """The schema's message when the schema also rejects the event, else ours."""
    from lumen.schema import describe, iter_errors

    for error in iter_errors(SCHEMA, item):
        field, message = describe(error)
        return InputError(message, file=name, line=line, field=field)
    return InputError(bad.message, file=name, line=line, field=bad.field, expected=bad.expected)


BLOCK_SIZE = 1 << 20


def _blocks(path: str) -> Iterator[bytes]:
    """Whole lines in ~1 MiB blocks (the last line may lack its newline)."""
    name = display_name(path)
    if path == "-":
        handle: Any = sys.stdin.buffer
    else:
        try:
            handle = open(path, "rb")  # noqa: SIM115 - closed below
        except FileNotFoundError:
            raise InputError("file not found", file=name) from None
        except IsADirectoryError:
            raise InputError("is a directory, expected a file", file=name) from None
        except PermissionError:
            raise InputError("permission denied", file=name) from None
    with handle:
        pending = b""
        while True:
            data = handle.read(BLOCK_SIZE)
            if not data:
                break
            data = pending + data
            cut = data.rfind(b"\n")
            if cut < 0:
                pending = data
                continue
            pending = data[cut + 1 :]
            yield data[: cut + 1]
        if pending:
            yield pending + b"\n"


def read_deploys(path: str, tally: RoiTally) -> DeployRead:
    """Stream a JSONL deploy log (`-` for stdin) into `tally` (window and `id` de-duplication
    happen there).

    Each ~1 MiB block of lines is parsed by one orjson call (the block becomes one JSON array);
    a block with blank lines, or one that does not parse, is re-read line by line so errors
    name their line.
    """
    name = display_name(path)
    read = DeployRead(source=name)
    add = tally.add
    lineno = 0
    for block in _blocks(path):
        lines = block.count(b"\n")
        items: Any = None
        if b"\n\n" not in block and not block.startswith(b"\n"):
            try:
                items = orjson.loads(b"[" + block[:-1].replace(b"\n", b",") + b"]")
            except orjson.JSONDecodeError:
                items = None
        if items is None or len(items) != lines:
            numbered = list(_parse_lines(block, lineno, name))
        else:
            numbered = list(enumerate(items, start=lineno + 1))
        lineno += lines
        for number, item in numbered:
            try:
                ts, env, service, action, ok, commit_ts, event_id = check_event(item)
            except _Bad as bad:
                raise _reject(item, name, number, bad) from None
            add(ts, env, service, action, ok, commit_ts=commit_ts, event_id=event_id)
        read.events += len(numbered)
    read.lines = lineno
    return read


def _parse_lines(block: bytes, first: int, name: str) -> Iterator[tuple[int, Any]]:
    for offset, raw in enumerate(block.split(b"\n")[:-1], start=1):
        if not raw.strip():
            continue
        try:
            yield first + offset, orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise InputError(
                f"not valid JSON ({exc.msg})",
                file=name,
                line=first + offset,
                expected="one JSON object per line",
            ) from None


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
    from lumen.fileio import iter_jsonl

    name = display_name(path)
    seen: set[str] = set()
    out: list[DeployEvent] = []
    for lineno, item in iter_jsonl(path):
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
