"""The decision ledger (docs/reference.md#ledger): a hash-chained JSONL file.

Each line is the canonical JSON of one entry (sorted keys, no spaces). An entry carries
`prev`, the SHA-256 of the previous line's bytes (64 zeros for the first), and `hash`, the
SHA-256 of its own canonical JSON without `hash`. Editing, inserting, deleting or reordering
lines breaks the chain; cutting off the tail is only visible against an expected head
(`ledger_head` in the last result JSON): the SHA-256 of the last line's bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

from gates.errors import InputError
from gates.result import GateResult
from gates.timeutil import format_timestamp, utcnow
from lumen.fileio import loads_strict, locked

GENESIS = "0" * 64


def canonical(entry: Mapping[str, Any]) -> bytes:
    return json.dumps(
        entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _last_line(handle: BinaryIO) -> bytes | None:
    """The last non-empty line of an open binary file, read backwards from the end.

    Linear in the length of that line (and nothing before it): blocks are collected and
    joined once, and only each new block is searched for the line break."""
    handle.seek(0, os.SEEK_END)
    position = handle.tell()
    block = 64 * 1024
    chunks: list[bytes] = []
    trailing = True  # still inside the file's trailing newlines
    while position > 0:
        step = min(block, position)
        position -= step
        handle.seek(position)
        chunk = handle.read(step)
        if trailing:
            chunk = chunk.rstrip(b"\n")
            if not chunk:
                continue
            trailing = False
        cut = chunk.rfind(b"\n")
        if cut >= 0:
            chunks.append(chunk[cut + 1 :])
            break
        chunks.append(chunk)
    line = b"".join(reversed(chunks))
    return line or None


def check_entry(entry: Mapping[str, Any]) -> None:
    """Refuse an entry that sets the chain fields itself or that JSON cannot represent."""
    if "prev" in entry or "hash" in entry:
        raise InputError("a ledger entry must not set 'prev' or 'hash' itself", field="entry")
    try:
        canonical(entry)
    except ValueError:  # json.dumps(allow_nan=False): NaN and ±Infinity are not JSON
        raise InputError(
            "a ledger entry holds NaN or Infinity, which JSON cannot represent",
            field="entry",
            expected="finite numbers",
        ) from None


def append(path: str | os.PathLike[str], entry: Mapping[str, Any]) -> str:
    """Append `entry` under an exclusive lock; returns the new head (SHA-256 of the new line)."""
    check_entry(entry)
    with locked(path) as handle:
        last = _last_line(handle)
        if last is None:
            prev, seq = GENESIS, 1
        else:
            try:
                seq = int(loads_strict(last.decode("utf-8")).get("seq", 0)) + 1
            except (ValueError, AttributeError, TypeError):
                raise InputError(
                    "the last line is not a ledger entry; run `lumen ledger verify`", file=str(path)
                ) from None
            prev = sha256(last)
        body = dict(entry)
        body.setdefault("ts", format_timestamp(utcnow()))
        body["seq"] = seq
        body["prev"] = prev
        body["hash"] = sha256(canonical(body))
        line = canonical(body)
        handle.seek(0, os.SEEK_END)
        if handle.tell() > 0:
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) != b"\n":
                raise InputError(
                    "the ledger's last line is incomplete (a torn write); "
                    "run `lumen ledger verify`",
                    file=str(path),
                )
            handle.seek(0, os.SEEK_END)
        handle.write(line + b"\n")
        handle.flush()
        os.fsync(handle.fileno())
    return sha256(line)


def append_result(path: str | os.PathLike[str], result: GateResult) -> str:
    """Record a gate decision; the returned head goes into the result's `ledger_head`."""
    return append(path, result_entry(result))


def result_entry(result: GateResult) -> dict[str, Any]:
    """The ledger entry of a gate decision."""
    document = result.to_dict()
    document.pop("ledger_head", None)
    document.pop("status", None)
    inputs = document.get("inputs") or {}
    return {
        "type": "gate",
        "gate": result.gate,
        "verdict": result.verdict.value,
        "env": inputs.get("env"),
        "service": inputs.get("service"),
        "result": document,
    }


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    entries: int
    head: str | None
    problem: str | None = None
    line: int | None = None


def iter_entries(path: str | os.PathLike[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, entry) for each entry, without verifying the chain."""
    with open(path, "rb") as handle:
        for lineno, raw in enumerate(handle, start=1):
            line = raw.rstrip(b"\n")
            if not line:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                raise InputError("not valid JSON", file=str(path), line=lineno) from None
            yield lineno, entry


def verify(path: str | os.PathLike[str], *, head: str | None = None) -> VerifyReport:
    """Check the whole chain; report the first bad line. `head` also catches a cut-off tail."""
    prev = GENESIS
    count = 0
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        raise InputError("ledger not found", file=str(path)) from None
    with handle:
        data = handle.read()
    if data and not data.endswith(b"\n"):
        lineno = data.count(b"\n") + 1
        return VerifyReport(False, count, None, "last line is incomplete (no newline)", lineno)
    for lineno, raw in enumerate(data.split(b"\n")[:-1] if data else [], start=1):
        if not raw:
            return VerifyReport(False, count, prev, "empty line inside the ledger", lineno)
        try:
            # Strict: NaN/Infinity (which canonical JSON cannot hold) and deep nesting too.
            entry = loads_strict(raw.decode("utf-8"))
        except ValueError:
            return VerifyReport(False, count, prev, "not valid JSON", lineno)
        if not isinstance(entry, dict):
            return VerifyReport(False, count, prev, "entry is not a JSON object", lineno)
        if canonical(entry) != raw:
            return VerifyReport(
                False, count, prev, "entry is not in canonical form (edited)", lineno
            )
        if entry.get("prev") != prev:
            return VerifyReport(
                False,
                count,
                prev,
                "'prev' does not match the previous line (inserted, deleted or reordered)",
                lineno,
            )
        claimed = entry.get("hash")
        body = {k: v for k, v in entry.items() if k != "hash"}
        if claimed != sha256(canonical(body)):
            return VerifyReport(
                False, count, prev, "'hash' does not match the entry (edited)", lineno
            )
        if entry.get("seq") != count + 1:
            return VerifyReport(
                False, count, prev, f"'seq' is {entry.get('seq')}, expected {count + 1}", lineno
            )
        prev = sha256(raw)
        count += 1
    current_head = prev if count else None
    if head is not None and head != current_head:
        return VerifyReport(
            False,
            count,
            current_head,
            f"head is {current_head or 'empty'}, expected {head} "
            "(entries cut off or added at the end)",
            None,
        )
    return VerifyReport(True, count, current_head)
