"""Files written the safe way: atomic replace for outputs, locked appends for logs and ledgers,
streamed JSONL reading with errors that name the line."""

from __future__ import annotations

import contextlib
import fcntl
import fnmatch
import json
import math
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gates.errors import InputError


def atomic_write(path: str | os.PathLike[str], data: str | bytes, *, mode: int = 0o644) -> None:
    """Write `data` to `path` so readers see the old file or the new one, never half of it."""
    target = Path(path)
    if target.is_dir():
        raise InputError("is a directory, expected a file to write", file=str(path))
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


_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


def file_in(directory: str | os.PathLike[str], *parts: str, suffix: str = "") -> Path:
    """`directory/<parts joined by '-'><suffix>`, whatever the parts hold: characters other
    than letters, digits, `.`, `_` and `-` become `%XX`, so a value such as `../../x` (a
    service name from a flag) names a file inside `directory`, never one elsewhere."""

    def safe(part: str) -> str:
        encoded = _UNSAFE_NAME.sub(lambda m: "".join(f"%{b:02X}" for b in m[0].encode()), part)
        return encoded.replace("..", "%2E%2E") if encoded.strip(".") == "" else encoded

    name = "-".join(safe(part) for part in parts) + suffix
    base = Path(directory)
    path = base / name
    if path.resolve().parent != base.resolve():
        raise InputError(f"{name!r} would leave the directory", file=str(base))
    return path


# Where Lumen's reusable workflows check Lumen itself out, inside the caller's workspace, to run
# its actions at the called workflow's commit (docs/workflows.md, Pinning). Walks over the
# user's folders skip it: its policies, manifests and test fixtures are Lumen's, not the
# repository under review.
LUMEN_CHECKOUT = ".lumen-ci"


def files_under(root: str | os.PathLike[str], pattern: str = "*") -> list[Path]:
    """Files whose name matches `pattern` at any depth under the folder `root`, sorted, without
    descending into Lumen's own checkout (LUMEN_CHECKOUT) or symlinked folders. `root` itself
    may be that checkout when a user names it."""
    found = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d != LUMEN_CHECKOUT]
        found += [Path(folder, n) for n in names if fnmatch.fnmatchcase(n, pattern)]
    return sorted(p for p in found if p.is_file())


def display_name(path: str | os.PathLike[str]) -> str:
    return "<stdin>" if str(path) == "-" else str(path)


def open_text(path: str | os.PathLike[str]) -> Any:
    """Open a file for reading text, `-` meaning stdin; a missing file is an InputError."""
    if str(path) == "-":
        return contextlib.nullcontext(sys.stdin)
    try:
        # utf-8-sig: a byte-order mark (Windows editors write one) is accepted and dropped.
        return open(path, encoding="utf-8-sig")
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
    lineno = 0
    with open_text(path) as handle:
        lines = enumerate(handle, start=1)
        while True:
            try:
                lineno, raw = next(lines)
            except StopIteration:
                return
            except UnicodeDecodeError:
                raise _not_utf8(name, lineno + 1) from None
            if not raw.strip():
                continue
            try:
                yield lineno, loads_strict(raw)
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"not valid JSON ({exc.msg} at column {exc.colno})",
                    file=name,
                    line=lineno,
                    expected="one JSON object per line",
                ) from None
            except _StrictJSONError as exc:
                raise InputError(str(exc), file=name, line=lineno) from None


# Strict JSON (docs/reliability.md): numbers are finite (`NaN`, `Infinity` and `1e400` are
# refused: a gate must never judge what it cannot compare), and nesting is bounded.
MAX_JSON_NESTING = 256


class _StrictJSONError(ValueError):
    def __init__(self, message: str, token: str = "") -> None:
        super().__init__(message)
        self.token = token

    def line_in(self, text: str) -> int | None:
        at = text.find(self.token) if self.token else -1
        return None if at < 0 else text.count("\n", 0, at) + 1


def _refuse_constant(name: str) -> Any:
    raise _StrictJSONError(f"{name} is not a number JSON allows (expected a finite number)", name)


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _StrictJSONError(f"{text} is out of range (expected a finite number)", text)
    return value


def loads_strict(text: str) -> Any:
    """json.loads with non-finite numbers refused; deep nesting raises _StrictJSONError."""
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise _StrictJSONError(
            f"nested too deeply (at most {MAX_JSON_NESTING} levels are accepted)"
        ) from None


def nesting_depth(document: Any) -> int:
    """Deepest nesting of lists and objects, without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_NESTING:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _not_utf8(name: str, line: int | None) -> InputError:
    return InputError("not UTF-8 text", file=name, line=line, expected="a UTF-8 text file")


def read_text(path: str | os.PathLike[str]) -> str:
    """A whole text file (or stdin for `-`), UTF-8 with or without a byte-order mark; binary
    data is an InputError naming the file and the line of the first bad byte."""
    name = display_name(path)
    if str(path) == "-":
        data = sys.stdin.buffer.read()
    else:
        with open_text(path) as handle:
            data = handle.buffer.read()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _not_utf8(name, data.count(b"\n", 0, exc.start) + 1) from None


def parse_json(text: str, name: str) -> Any:
    """One strict JSON document; every problem is an InputError naming `name` and the line."""
    try:
        document = loads_strict(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg})", file=name, line=exc.lineno) from None
    except _StrictJSONError as exc:
        raise InputError(str(exc), file=name, line=exc.line_in(text)) from None
    if nesting_depth(document) > MAX_JSON_NESTING:
        raise InputError(
            f"nested more than {MAX_JSON_NESTING} levels deep",
            file=name,
            expected=f"at most {MAX_JSON_NESTING} levels of nesting",
        )
    return document


def read_json(path: str | os.PathLike[str]) -> Any:
    """Read a strict JSON document; any problem names the file (and the line where known)."""
    return parse_json(read_text(path), display_name(path))
