"""ROI gate over a million deploy events, and the integrated gate end to end on the examples."""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchlib import Case, Subject, venv_bin

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
EVENTS = 1_000_000

# The naive approach the gate is compared with: json.loads per line, counting in a dict.
NAIVE = """
import json, sys
deploys = ok = back = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["action"] == "deploy":
        deploys += 1
        ok += e["result"] == "success"
    else:
        back += 1
print(ok / deploys, min(1, back / deploys))
"""


def make_deploys(work: Path) -> None:
    """1M events over 90 days, 2 envs x 2 services, ~6% failures and ~3% rollbacks, with ids
    (so de-duplication is part of the cost) and commit times (so is lead time)."""
    rng = random.Random(1)
    start = NOW - timedelta(days=90)
    step = timedelta(days=90) / (EVENTS + 1)
    scopes = [("prod", "api"), ("prod", "web"), ("stage", "api"), ("stage", "web")]
    with open(work / "deploys.jsonl", "w", encoding="utf-8") as out:
        for i in range(EVENTS):
            moment = start + step * (i + 1)
            ts = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
            commit_ts = (moment - timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
            env, service = scopes[i % 4]
            roll = rng.random() < 0.03
            action = "rollback" if roll else "deploy"
            result = "failure" if rng.random() < 0.06 else "success"
            out.write(
                f'{{"ts":"{ts}","env":"{env}","service":"{service}","action":"{action}",'
                f'"version":"1.{i}.0","result":"{result}","author":"bench",'
                f'"commit":"{i:040x}","commit_ts":"{commit_ts}","id":"e{i}"}}\n'
            )


CASES = [
    Case(
        name="deploys-1m",
        description=(
            "`lumen roi --matrix` over 1,000,000 deploy events (90 days, 4 env/service streams, "
            "ids de-duplicated, DORA included), cold process; peer: a bare json.loads loop that "
            "only computes the two rates."
        ),
        subject=Subject(
            "lumen roi",
            [
                venv_bin("lumen"),
                "roi",
                "--deploys",
                "{work}/deploys.jsonl",
                "--now",
                "2026-11-20T18:00:00Z",
                "--matrix",
                "--quiet",
                "--json",
                "{work}/roi.json",
            ],
            exit_codes=(0, 2),
        ),
        peer=Subject("json.loads loop", [sys.executable, "-c", NAIVE, "{work}/deploys.jsonl"]),
        setup=make_deploys,
        repeat=3,
        warmup=1,
        budget=10.0,
    ),
    Case(
        name="integrated-examples",
        description=(
            "`make demo`'s command: the integrated gate on examples/ (loop events, 90 days of "
            "deploys, SLO samples) from process start to exit; peer: `lumen --version`."
        ),
        subject=Subject(
            "lumen integrated",
            [
                venv_bin("lumen"),
                "integrated",
                "--config",
                str(ROOT / "examples/.github/lumen.yml"),
                "--events",
                str(ROOT / "examples/events.jsonl"),
                "--deploys",
                str(ROOT / "examples/deploys.jsonl"),
                "--slo",
                str(ROOT / "examples/slo-samples.json"),
                "--now",
                "2026-11-20T18:00:00Z",
                "--quiet",
                "--json",
                "{work}/integrated.json",
            ],
        ),
        peer=Subject("lumen --version", [venv_bin("lumen"), "--version"]),
        repeat=10,
        budget=2.0,
    ),
]
