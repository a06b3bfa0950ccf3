"""Files written the safe way: atomic replace for outputs, locked appends for logs and ledgers,
streamed JSONL reading with errors that name the line."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gates.errors import InputError


def atomic_write(path: str | os.PathLike[str], data: str | bytes, *, mode: int = 0o644) -> None:
    """Write `data` to `path` so readers see the old file or the new one, never half of it."""
    target = Path(path)
    if target.parent and not target.parent.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_json(path: str | os.PathLike[str], document: Any) -> None:
    atomic_write(path, json.dumps(document, indent=2, sort_keys=False, ensure_ascii=False) + "\n")


@contextlib.contextmanager
def locked(path: str | os.PathLike[str]) -> Iterator[Any]:
    """An exclusive lock held on `path` (opened for appending, created if missing)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield handle
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def append_line(path: str | os.PathLike[str], line: str) -> None:
    """Append one line under an exclusive lock, in one write, fsynced.

    Concurrent writers never interleave; a file whose last line lacks its newline (a writer that
    died mid-line) gets the newline first so the new line is never glued to a broken one.
    """
    payload = line.rstrip("\n").encode("utf-8") + b"\n"
    with locked(path) as handle:
        handle.seek(0, os.SEEK_END)
        if handle.tell() > 0:
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) != b"\n":
                payload = b"\n" + payload
        handle.seek(0, os.SEEK_END)
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())


def display_name(path: str | os.PathLike[str]) -> str:
    return "<stdin>" if str(path) == "-" else str(path)


def open_text(path: str | os.PathLike[str]) -> Any:
    """Open a file for reading text, `-` meaning stdin; a missing file is an InputError."""
    if str(path) == "-":
        return contextlib.nullcontext(sys.stdin)
    try:
        return open(path, encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", file=str(path)) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a file", file=str(path)) from None
    except PermissionError:
        raise InputError("permission denied", file=str(path)) from None


def iter_jsonl(path: str | os.PathLike[str]) -> Iterator[tuple[int, Any]]:
    """Yield (line number, parsed object) for each non-blank line, streaming in constant memory.

    A line that is not JSON raises InputError naming the file and line.
    """
    name = display_name(path)
    with open_text(path) as handle:
        for lineno, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                yield lineno, json.loads(raw)
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"not valid JSON ({exc.msg} at column {exc.colno})",
                    file=name,
                    line=lineno,
                    expected="one JSON object per line",
                ) from None


def read_json(path: str | os.PathLike[str]) -> Any:
    """Read a JSON document; a syntax error names the file and line."""
    name = display_name(path)
    with open_text(path) as handle:
        text = handle.read()
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg})", file=name, line=exc.lineno) from None
