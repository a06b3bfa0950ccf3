"""The sampler's spool: expositions that could not be pushed, bounded in bytes
(docs/reference.md#pushgateway).

One JSON file per (run, group), named so that lexical order is age order. Adding an entry past
the bound drops the oldest entries, each with a warning: the history still holds their values,
so the spool only ever loses deliveries, never measurements.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path
from typing import Any

from lumen.fileio import atomic_write, locked

DEFAULT_MAX_BYTES = 10 * 1024 * 1024


def group_id(grouping: Mapping[str, str]) -> str:
    """Stable id of a grouping key (the file name must not carry label values)."""
    text = json.dumps(sorted(grouping.items()), separators=(",", ":"))
    return sha256(text.encode()).hexdigest()[:16]


@dataclass
class Entry:
    path: Path
    run_id: str
    ts: str
    grouping: dict[str, str]
    exposition: str
    series: list[dict[str, Any]]

    @property
    def group(self) -> str:
        return group_id(self.grouping)

    @property
    def size(self) -> int:
        return self.path.stat().st_size if self.path.exists() else 0


LOCK_NAME = ".lock"


class Spool:
    def __init__(
        self,
        directory: str | os.PathLike[str],
        max_bytes: int = DEFAULT_MAX_BYTES,
        *,
        on_add: Callable[[Path], None] | None = None,
    ):
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        # Called with each new entry's file once it is written, before the push it guards
        # starts: the data branch keeps a copy there (write-ahead beyond the runner's disk).
        self.on_add = on_add

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """Held by a run for its whole delivery (flush, push, spool), so runs sharing a spool
        take turns: a second run waits, then sees what the first left."""
        with locked(self.directory / LOCK_NAME):
            yield

    def entries(self) -> list[Entry]:
        """Oldest first. An unreadable file (a crash mid-write cannot make one: writes are
        atomic) is reported and skipped rather than blocking every later run."""
        if not self.directory.is_dir():
            return []
        out = []
        for path in sorted(self.directory.glob("*.json")):
            try:
                doc = json.loads(path.read_text(encoding="utf-8"))
                out.append(
                    Entry(
                        path=path,
                        run_id=str(doc["run_id"]),
                        ts=str(doc["ts"]),
                        grouping={str(k): str(v) for k, v in doc["grouping"].items()},
                        exposition=str(doc["exposition"]),
                        series=list(doc.get("series") or []),
                    )
                )
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
                warn(f"spool entry {path} is unreadable ({type(exc).__name__}); skipped")
        return out

    def add(
        self,
        *,
        run_id: str,
        ts: str,
        grouping: Mapping[str, str],
        exposition: str,
        series: Sequence[Mapping[str, Any]],
    ) -> list[Entry]:
        """Spool one group's exposition; returns the entries dropped to stay within the bound."""
        return self.add_entry(
            run_id=run_id, ts=ts, grouping=grouping, exposition=exposition, series=series
        )[1]

    def add_entry(
        self,
        *,
        run_id: str,
        ts: str,
        grouping: Mapping[str, str],
        exposition: str,
        series: Sequence[Mapping[str, Any]],
    ) -> tuple[Entry, list[Entry]]:
        """Like `add`, also returning the new entry (to remove once it is delivered)."""
        name = f"{time.time_ns():020d}-{group_id(grouping)}-{run_id[:8]}.json"
        doc = {
            "run_id": run_id,
            "ts": ts,
            "grouping": dict(grouping),
            "exposition": exposition,
            "series": list(series),
        }
        atomic_write(self.directory / name, json.dumps(doc, separators=(",", ":")) + "\n")
        if self.on_add is not None:
            self.on_add(self.directory / name)
        entry = Entry(
            path=self.directory / name,
            run_id=run_id,
            ts=ts,
            grouping=dict(grouping),
            exposition=exposition,
            series=[dict(s) for s in series],
        )
        return entry, self.enforce()

    def enforce(self) -> list[Entry]:
        entries = self.entries()
        sizes = [entry.size for entry in entries]
        total = sum(sizes)
        dropped = []
        for entry, size in zip(entries, sizes, strict=True):
            if total <= self.max_bytes:
                break
            warn(
                f"spool over {self.max_bytes} bytes: dropped the oldest entry "
                f"(run {entry.run_id}, {entry.ts}, {size} bytes); its values stay in the history"
            )
            self.remove(entry)
            total -= size
            dropped.append(entry)
        return dropped

    def remove(self, entry: Entry) -> None:
        entry.path.unlink(missing_ok=True)


def warn(message: str) -> None:
    print(f"lumen sample: warning: {message}", file=sys.stderr, flush=True)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        from lumen.actions_runtime import annotate

        annotate("warning", message, title="lumen sample")
