"""Maturity gate throughput: 1,000,000 loop events (~90 MB JSONL), validated, windowed and
reduced to the spectrum, against a naive stdlib loop that only counts kinds (no validation,
no windows), both as whole processes (interpreter start-up included).

Goals (issue 3): at least 1M events/s, at least 1.5x the naive loop, peak RSS under 100 MB.
"""

from __future__ import annotations

import os
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchlib import Case, Subject, venv_bin

EVENTS = 1_000_000
NOW = "2026-11-21T12:00:00Z"
SPAN = timedelta(days=3)  # 24h window, the 24h before it (trend) and a day out of window

NAIVE = """
import collections, json, sys
counts = collections.Counter()
with open(sys.argv[1], encoding="utf-8") as handle:
    for line in handle:
        counts[json.loads(line)["kind"]] += 1
print(dict(counts))
"""


def make_events(work: Path) -> None:
    """Deterministic events: ~3.9 a second over three days, seven loops, labels and numbers,
    one in three with a source, one in ten with a message; written in one pass."""
    rnd = random.Random(20261121)
    now = datetime(2026, 11, 21, 12, tzinfo=UTC)
    start = now - SPAN
    step = SPAN.total_seconds() / EVENTS
    kinds = ["signal", "evidence", "action"]
    weights = [0.4, 0.35, 0.25]
    severities = ['"info"', '"low"', '"warning"', "0.25", "0.3", "0.35", "0.4", '"high"']
    path = work / "events.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        second = -1
        stamp = ""
        for index in range(EVENTS):
            offset = int(index * step)
            if offset != second:
                second = offset
                stamp = (start + timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%SZ")
            kind = rnd.choices(kinds, weights)[0]
            severity = rnd.choice(severities)
            tail = ',"source":"ci"' if index % 3 == 0 else ""
            if index % 10 == 0:
                tail += ',"message":"deploy api v1.2.3 to prod"'
            handle.write(
                f'{{"ts":"{stamp}","kind":"{kind}","severity":{severity},'
                f'"loop_id":"loop-{index % 7}"{tail}}}\n'
            )
    (work / "naive.py").write_text(NAIVE, encoding="utf-8")


CASES = [
    Case(
        name="events-1m",
        description=(
            "`lumen maturity` over 1,000,000 events (~90 MB JSONL, windows 24h + previous 24h, "
            "seven loops, full validation) against a naive stdlib `json.loads` loop that only "
            "counts kinds. Events/s = 1,000,000 / median. A file this size is read by one "
            "process per CPU (`--jobs`), which only pays off while the CPUs are free: load "
            f"average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs when this "
            "case was loaded."
        ),
        subject=Subject(
            "lumen maturity",
            [
                venv_bin("lumen"),
                "maturity",
                "--events",
                "{work}/events.jsonl",
                "--now",
                NOW,
                "--quiet",
            ],
            exit_codes=(0, 2),
        ),
        peer=Subject(
            "naive stdlib loop", [sys.executable, "{work}/naive.py", "{work}/events.jsonl"]
        ),
        setup=make_events,
        repeat=5,
        warmup=1,
        budget=1.0,
    ),
]
