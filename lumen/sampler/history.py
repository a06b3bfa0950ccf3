"""The sampler's run history: one JSON object per line, appended under a lock
(docs/reference.md#sampler).

The Pushgateway keeps only the latest value of a group and refuses timestamps, so the history,
not the gateway, is the record of every run. Record types:

- `run`: one sampler run: its groups and every series value, verdicts, delivery, errors.
- `spool`: what happened to a spooled exposition later: `delivered`, `superseded` (a newer run
  had values for the same group; the spooled values are repeated here) or `dropped` (the spool
  bound).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from typing import Any

from lumen.fileio import append_line


def append(path: str | os.PathLike[str], record: Mapping[str, Any]) -> None:
    append_line(path, json.dumps(record, separators=(",", ":"), ensure_ascii=False))


def records(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Every record; a torn or foreign line is skipped (the history must never block a run)."""
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        return
    with handle:
        for line in handle:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                yield record


def last_success(path: str | os.PathLike[str], grouping: Mapping[str, str]) -> float | None:
    """Unix time of the last successful run of this group, for a partial run to carry over."""
    best = None
    wanted = dict(grouping)
    for record in records(path):
        if record.get("type") != "run" or record.get("errors"):
            continue
        ts = record.get("success_ts")
        if not isinstance(ts, int | float):
            continue
        if any(group.get("grouping") == wanted for group in record.get("groups") or []):
            best = ts if best is None else max(best, ts)
    return best
