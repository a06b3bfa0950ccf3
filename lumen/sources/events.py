"""Loop events from JSONL (a file or stdin), streamed in constant memory into a `Tally`.

Validation is equivalent to `policy/schemas/loop-event.schema.json` (kind enum, RFC 3339 `ts`
with a zone, severity a number in [0, 1] or a configured label, optional string fields), but the
schema validator costs ~50 µs an event and the goal is a million events a second, so:

- Lines are read in ~1 MiB blocks and parsed by orjson in one call per block (the block becomes
  one JSON array: a `,` before every newline). JSON strings cannot hold a raw newline, so an
  element never spans lines; when the element count differs from the line count (blank lines, two
  values on one line) or the block does not parse, that block is re-read line by line.
- Timestamps are split into the minute prefix and the rest (`:SS[.frac](Z|±HH:MM)`); both parts
  are validated once and cached, so a timestamp costs two dictionary look-ups.
- Events are counted per (bucket, loop, kind, raw severity). A combination is validated in full the
  first time it is seen (the slow path) and only counted afterwards; bool severities, which equal
  0 and 1 in Python, are sent to the slow path explicitly.

Anything unusual takes the slow path, which validates the event from scratch and names the line.
"""

from __future__ import annotations

import gc
import itertools
import os
import re
import sys
from bisect import bisect_left
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, BinaryIO

import orjson

from gates.errors import InputError
from gates.maturity import KIND_INDEX, KINDS, Tally, WindowPlan
from lumen.fileio import display_name
from lumen.schema import json_type_name

BLOCK_SIZE = 1 << 20
# Caches and the raw counter are bounded so memory stays constant whatever the input.
_MINUTE_CACHE_CAP = 32_768
_SUFFIX_CACHE_CAP = 32_768
_STAMP_CACHE_CAP = 16_384
_COUNTER_CAP = 200_000
INVALID_SAMPLES = 20

_PREFIX_RE = re.compile(r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d)\Z", re.ASCII)
_SUFFIX_RE = re.compile(r":(\d\d)(?:\.(\d+))?(?:([Zz])|([+-])(\d\d):(\d\d))\Z", re.ASCII)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TS_EXPECTED = "an RFC 3339 timestamp with a zone, such as 2026-11-21T10:00:00Z"
_BOM = b"\xef\xbb\xbf"
_ABSENT = object()  # loop_id not given (distinct from any string, including "")


class _Invalid(Exception):
    def __init__(self, field: str, message: str, expected: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.expected = expected


@dataclass
class EventRead:
    """What one pass over an event stream produced."""

    tally: Tally
    source: str
    lines: int = 0
    events: int = 0
    invalid: int = 0
    invalid_samples: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "source": self.source,
            "events_read": self.events,
            "invalid": self.invalid,
        }
        if self.invalid_samples:
            out["invalid_samples"] = list(self.invalid_samples)
        return out


class EventReader:
    """One streaming pass: feed it blocks of bytes, then `finish()`.

    Usable directly for other byte sources (tests feed it strings); `read_events` wraps a file.
    """

    def __init__(
        self,
        plan: WindowPlan,
        *,
        labels: Mapping[str, float],
        skip_invalid: bool = False,
        source: str = "<events>",
        tally: Tally | None = None,
    ) -> None:
        self.plan = plan
        self.labels = dict(labels)
        self.skip_invalid = skip_invalid
        self.result = EventRead(tally=tally or Tally(), source=source)
        self._stamps: dict[str, int] = {}
        self._minutes: dict[str, int] = {}
        self._suffixes: dict[str, int] = {}
        self._counts: dict[tuple[int, Any, Any, Any], int] = {}
        self._line = 0  # lines consumed so far
        self._pending = b""

    # ------------------------------------------------------------------ feeding

    def feed(self, data: bytes) -> None:
        """Consume bytes; a trailing partial line waits for the next call or `finish()`."""
        if self._line == 0 and not self._pending and data.startswith(_BOM):
            data = data[len(_BOM) :]  # editors on Windows write one; it is not part of line 1
        if self._pending:
            data = self._pending + data
        cut = data.rfind(b"\n")
        if cut < 0:
            self._pending = data
            return
        self._pending = data[cut + 1 :]
        self._block(data[: cut + 1])

    def finish(self) -> EventRead:
        if self._pending:
            tail, self._pending = self._pending, b""
            self._block(tail + b"\n")
        self._flush_counts()
        self.result.lines = self._line
        return self.result

    # ------------------------------------------------------------------ blocks

    def _block(self, block: bytes) -> None:
        """`block` is whole lines, each ending in a newline."""
        first = self._line + 1
        lines = block.count(b"\n")
        self._line += lines
        items = _parse_block(block, lines)
        if items is None:
            self._block_by_line(block, first)
        else:
            self._fast(items, first)
        if len(self._counts) > _COUNTER_CAP:
            self._flush_counts()
        if len(self._minutes) > _MINUTE_CACHE_CAP:
            self._minutes.clear()
        if len(self._suffixes) > _SUFFIX_CACHE_CAP:
            self._suffixes.clear()
        if len(self._stamps) > _STAMP_CACHE_CAP:
            self._stamps.clear()

    def _fast(self, items: list[Any], first: int) -> None:
        """Count the events of a parsed block, `items[i]` being the value of line `first + i`.

        Locals: this loop runs a million times a second. `stamps` maps a whole timestamp to
        its bucket (events often share a second); a miss splits it into the minute prefix and
        the rest, each validated once; anything else raises and takes the slow path.
        """
        stamps = self._stamps
        minutes = self._minutes
        suffixes = self._suffixes
        counts = self._counts
        edges = self.plan.edges
        absent = _ABSENT
        line = first
        for item in items:
            try:
                ts = item["ts"]
                bucket = stamps.get(ts)
                if bucket is None:
                    bucket = stamps[ts] = bisect_left(edges, minutes[ts[:16]] + suffixes[ts[16:]])
                severity = item["severity"]
                if (
                    severity is True
                    or severity is False
                    or item.get("source", "").__class__ is not str
                    or item.get("message", "").__class__ is not str
                ):
                    raise LookupError
                counts[(bucket, item.get("loop_id", absent), item["kind"], severity)] += 1
            except Exception:
                self._slow(item, line)
            line += 1

    def _block_by_line(self, block: bytes, first: int) -> None:
        for offset, raw in enumerate(block.split(b"\n")[:-1]):
            line = first + offset
            if not raw.strip():
                continue
            try:
                item = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                self._reject(line, "(line)", f"not valid JSON ({exc})", "one JSON object per line")
                continue
            self._slow(item, line)

    # ------------------------------------------------------------------ validation

    def _slow(self, item: Any, line: int) -> None:
        """Validate one event from scratch; count it or reject it naming the line."""
        try:
            key = self._validate(item)
        except _Invalid as exc:
            self._reject(line, exc.field, exc.message, exc.expected)
            return
        self._counts[key] = self._counts.get(key, 0) + 1

    def _validate(self, item: Any) -> tuple[int, Any, str, Any]:
        if not isinstance(item, dict):
            raise _Invalid("(line)", f"expected a JSON object, got {json_type_name(item)}")
        for name in ("ts", "kind", "severity"):
            if name not in item:
                raise _Invalid(name, "required field is missing")
        moment = self._timestamp(item["ts"])
        kind = item["kind"]
        if not isinstance(kind, str) or kind not in KIND_INDEX:
            raise _Invalid("kind", f"{_show(kind)} is not a kind", " | ".join(KINDS))
        severity = item["severity"]
        self._severity(severity)
        for name in ("loop_id", "source", "message"):
            if name in item and not isinstance(item[name], str):
                raise _Invalid(name, f"expected a string, got {json_type_name(item[name])}")
        loop_id = item.get("loop_id", _ABSENT)
        return (self.plan.bucket(moment), loop_id, kind, severity)

    def _severity(self, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise _Invalid(
                "severity",
                f"expected a number or a label, got {json_type_name(value)}",
                self._sev(),
            )
        if isinstance(value, str):
            if value not in self.labels:
                raise _Invalid("severity", f"unknown severity label {value!r}", self._sev())
        elif not 0 <= value <= 1:
            raise _Invalid("severity", f"{value!r} is outside [0, 1]", self._sev())

    def _sev(self) -> str:
        return "a number in [0, 1] or one of " + ", ".join(sorted(self.labels))

    def _timestamp(self, value: Any) -> int:
        """Epoch microseconds of an RFC 3339 timestamp; fills the two caches."""
        if not isinstance(value, str):
            raise _Invalid("ts", f"expected a string, got {json_type_name(value)}", _TS_EXPECTED)
        prefix, suffix = value[:16], value[16:]
        base = self._minutes.get(prefix)
        if base is None:
            match = _PREFIX_RE.match(prefix)
            try:
                if not match:
                    raise ValueError
                year, month, day, hour, minute = (int(g) for g in match.groups())
                moment = datetime(year, month, day, hour, minute, tzinfo=UTC)
            except ValueError:
                raise _Invalid("ts", f"invalid timestamp {value!r}", _TS_EXPECTED) from None
            base = (moment - _EPOCH) // _ONE_MICRO
            self._minutes[prefix] = base
        offset = self._suffixes.get(suffix)
        if offset is None:
            match = _SUFFIX_RE.match(suffix)
            if not match:
                raise _Invalid("ts", f"invalid timestamp {value!r}", _TS_EXPECTED)
            seconds, fraction, zulu, sign, zone_h, zone_m = match.groups()
            if int(seconds) > 59 or (not zulu and (int(zone_h) > 23 or int(zone_m) > 59)):
                raise _Invalid("ts", f"invalid timestamp {value!r}", _TS_EXPECTED)
            # Sub-microsecond digits are truncated, like datetime does.
            offset = int(seconds) * 1_000_000 + int((fraction or "0")[:6].ljust(6, "0"))
            if not zulu:
                shift = (int(zone_h) * 60 + int(zone_m)) * 60_000_000
                offset += -shift if sign == "+" else shift
            self._suffixes[suffix] = offset
        return base + offset

    def _reject(self, line: int, field_name: str, message: str, expected: str | None) -> None:
        if not self.skip_invalid:
            raise InputError(
                message, file=self.result.source, line=line, field=field_name, expected=expected
            )
        self.result.invalid += 1
        if len(self.result.invalid_samples) < INVALID_SAMPLES:
            self.result.invalid_samples.append(
                {"line": line, "field": field_name, "message": message}
            )

    # ------------------------------------------------------------------ counting

    def _flush_counts(self) -> None:
        """Move the raw counter (labels, raw numbers) into the tally as plain numbers."""
        tally = self.result.tally
        labels = self.labels
        for (bucket, loop_id, kind, severity), count in self._counts.items():
            value = labels[severity] if isinstance(severity, str) else float(severity)
            tally.add(
                bucket, None if loop_id is _ABSENT else loop_id, KIND_INDEX[kind], value, count
            )
            self.result.events += count
        self._counts.clear()


_ONE_MICRO = datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC) - _EPOCH


def _parse_block(block: bytes, lines: int) -> list[Any] | None:
    """The value of each line of the block, or None when some line is not exactly one JSON
    value (the caller then goes line by line and names the line).

    Parsing the block as one document costs a fraction of one call per line. The lines are
    joined into one array with a marker element between them (`line,0,\nline`). When the lines
    hold no bracket there are no arrays in them, so no value can run on into the next line: an
    object left open at a line end meets `,0` where a key must come (a syntax error), and JSON
    strings cannot hold a raw newline. Each line then yields at least one value (a blank line
    makes `,,`, a syntax error), so `2 * lines - 1` elements means exactly one value per line,
    at the even positions. Blocks with brackets in the data (a message such as "[ci] failed")
    are parsed line by line instead, still in C (`map`).
    """
    try:
        if block.find(b"[") < 0 and block.find(b"]") < 0:
            joined = orjson.loads(b"[" + block[:-1].replace(b"\n", b",0,\n") + b"]")
            return joined[::2] if len(joined) == 2 * lines - 1 else None
        return list(map(orjson.loads, block[:-1].split(b"\n")))
    except orjson.JSONDecodeError:
        return None


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else json_type_name(value)


def _blocks(handle: BinaryIO) -> Iterator[bytes]:
    while True:
        data = handle.read(BLOCK_SIZE)
        if not data:
            return
        yield data


def read_events(
    path: str,
    plan: WindowPlan,
    *,
    labels: Mapping[str, float],
    skip_invalid: bool = False,
    tally: Tally | None = None,
    jobs: int | None = None,
) -> EventRead:
    """Stream a JSONL file (`-` for stdin) into a tally for `plan`'s windows.

    A large regular file is split at line boundaries and read by `jobs` processes (default: one
    per available CPU, up to 4, for files of 32 MiB or more). Tallies are exact counts, so
    merging them gives the same result, bit for bit, as one pass; errors name the same line.
    """
    name = display_name(path)
    # Parsed events are acyclic and short-lived; the cyclic collector would only rescan the
    # block being parsed over and over (measured: ~10% of the pass).
    collecting = gc.isenabled()
    gc.disable()
    try:
        if path == "-":
            reader = EventReader(
                plan, labels=labels, skip_invalid=skip_invalid, source=name, tally=tally
            )
            for data in _blocks(sys.stdin.buffer):
                reader.feed(data)
            return reader.finish()
        handle = _open(path, name)
        with handle:
            size = os.fstat(handle.fileno()).st_size
            ranges = _ranges(handle, size, _jobs(jobs, size))
        job = _Job(path, plan, dict(labels), skip_invalid, name)
        if len(ranges) == 1:
            result = _read_range(job, 0, size)
            if isinstance(result, _RangeError):
                raise result.error(name, 0)
            if tally is not None:
                tally.merge(result.tally)
                result.tally = tally
            return result
        return _read_parallel(job, ranges, tally)
    finally:
        if collecting:
            gc.enable()


PARALLEL_MIN_BYTES = 32 << 20
MAX_JOBS = 4


def _jobs(requested: int | None, size: int) -> int:
    if requested is not None:
        return max(1, requested)
    if size < PARALLEL_MIN_BYTES:
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_JOBS))


def _open(path: str, name: str) -> BinaryIO:
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise InputError("file not found", file=name) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a file", file=name) from None
    except PermissionError:
        raise InputError("permission denied", file=name) from None


def _ranges(handle: BinaryIO, size: int, parts: int) -> list[tuple[int, int]]:
    """`parts` byte ranges of the file that start at line starts."""
    if parts <= 1 or not handle.seekable():
        return [(0, size)]
    cuts = [0]
    for index in range(1, parts):
        position = size * index // parts
        if position <= cuts[-1]:
            continue
        # Step back one byte so a cut that falls exactly on a line start keeps that line.
        handle.seek(position - 1)
        handle.readline()
        cut = handle.tell()
        if cuts[-1] < cut < size:
            cuts.append(cut)
    cuts.append(size)
    return list(itertools.pairwise(cuts))


@dataclass
class _RangeError:
    """An InputError raised in a worker, with its line relative to the worker's range."""

    line: int | None
    field: str | None
    message: str
    expected: str | None

    def error(self, name: str, offset: int) -> InputError:
        line = None if self.line is None else self.line + offset
        return InputError(
            self.message, file=name, line=line, field=self.field, expected=self.expected
        )


@dataclass(frozen=True)
class _Job:
    """What every worker needs (pickled once per range)."""

    path: str
    plan: WindowPlan
    labels: dict[str, float]
    skip_invalid: bool
    name: str


def _read_range(job: _Job, start: int, end: int) -> EventRead | _RangeError:
    reader = EventReader(
        job.plan, labels=job.labels, skip_invalid=job.skip_invalid, source=job.name
    )
    try:
        with open(job.path, "rb") as handle:
            handle.seek(start)
            remaining = end - start
            while remaining > 0:
                data = handle.read(min(BLOCK_SIZE, remaining))
                if not data:
                    break
                remaining -= len(data)
                reader.feed(data)
        return reader.finish()
    except InputError as exc:
        return _RangeError(exc.line, exc.field, exc.message, exc.expected)


def _read_parallel(job: _Job, ranges: list[tuple[int, int]], tally: Tally | None) -> EventRead:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    try:
        # fork: the workers inherit the imported modules and the plan instead of re-importing.
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=len(ranges), mp_context=context) as pool:
            futures = [pool.submit(_read_range, job, start, end) for start, end in ranges]
            parts = [future.result() for future in futures]
    except (ValueError, OSError, BrokenProcessPool):
        # No fork on this platform, no processes left, a worker killed (OOM): one pass instead.
        parts = [_read_range(job, ranges[0][0], ranges[-1][1])]
    name = job.name
    merged = EventRead(tally=tally or Tally(), source=name)
    offset = 0
    for part in parts:
        if isinstance(part, _RangeError):
            # Earlier ranges were clean, so this is the first bad line of the file.
            raise part.error(name, offset)
        merged.tally.merge(part.tally)
        merged.events += part.events
        merged.invalid += part.invalid
        for sample in part.invalid_samples:
            if len(merged.invalid_samples) < INVALID_SAMPLES:
                merged.invalid_samples.append({**sample, "line": sample["line"] + offset})
        offset += part.lines
    merged.lines = offset
    return merged
