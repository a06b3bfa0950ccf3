"""Loop sampler: one run over the examples as a cold process, and pushing 1,000 series.

The Pushgateway (real binary) is started when a bench worker imports this module, so its
start-up is not timed; it is stopped when the worker exits.
"""

from __future__ import annotations

import atexit
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchlib import ROOT, Case, Subject, venv_bin

sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

EX = ROOT / "examples"
NOW = "2026-11-20T18:00:00Z"
SERIES = 1000


def _pushgateway() -> Any:
    from harness.prometheus import _stop, start_pushgateway

    server = start_pushgateway(Path(tempfile.mkdtemp(prefix="lumen-bench-pushgateway-")))
    atexit.register(_stop, server.process)
    return server


PUSHGATEWAY = (
    _pushgateway() if "--worker" in sys.argv and "sampler/push-1000-series" in sys.argv else None
)


def _series() -> list[Any]:
    from lumen.sampler.exposition import Series

    # 1,000 series the way a big matrix looks: 10 metrics x 100 (window, loop) label sets.
    return [
        Series(f"lumen_bench_metric_{m}", 0.5 + i / 3000, {"window": f"{i % 4}h", "loop": f"l{i}"})
        for m in range(10)
        for i in range(SERIES // 10)
    ]


def push_1000(work: Path) -> None:
    """What the sampler does per group: check the series, render the exposition, PUT it."""
    from lumen.adapters.pushgateway import Pushgateway
    from lumen.sampler.exposition import check_series, render

    assert PUSHGATEWAY is not None
    series = _series()
    check_series(series, reserved=["job", "env", "service"])
    body = render(series)
    Pushgateway(PUSHGATEWAY.url).put("lumen_sampler", {"env": "prod", "service": "bench"}, body)


def put_plain(work: Path) -> None:
    """The floor: rendering without the checks, then one plain requests.put."""
    import requests

    from lumen.sampler.exposition import render

    assert PUSHGATEWAY is not None
    body = render(_series()).encode()
    requests.put(
        f"{PUSHGATEWAY.url}/metrics/job/lumen_sampler/env/prod/service/bench-peer",
        data=body,
        timeout=10,
    ).raise_for_status()


SAMPLE = [
    venv_bin("lumen"),
    "sample",
    "--quiet",
    "--config",
    str(EX / ".github" / "lumen.yml"),
    "--events",
    str(EX / "events.jsonl"),
    "--deploys",
    str(EX / "deploys.jsonl"),
    "--slo",
    str(EX / "slo-samples.json"),
    "--snapshot",
    str(EX / "resonance-snapshot.json"),
    "--env",
    "prod",
    "--service",
    "api",
    "--now",
    NOW,
    "--textfile",
    "{work}/lumen.prom",
    "--history",
    "{work}/history.jsonl",
]

INTEGRATED = [
    venv_bin("lumen"),
    "integrated",
    "--quiet",
    "--config",
    str(EX / ".github" / "lumen.yml"),
    "--events",
    str(EX / "events.jsonl"),
    "--deploys",
    str(EX / "deploys.jsonl"),
    "--slo",
    str(EX / "slo-samples.json"),
    "--env",
    "prod",
    "--service",
    "api",
    "--now",
    NOW,
]

CASES = [
    Case(
        name="examples-run",
        description=(
            "`lumen sample` over examples/ (loop events, deploys, SLO samples, resonance "
            "snapshot: maturity 24h+6h, ROI/DORA, SLO, resonance, integrated) to a textfile, "
            "cold process, against `lumen integrated` over the same files (one gate)."
        ),
        subject=Subject("lumen sample", SAMPLE),
        peer=Subject("lumen integrated", INTEGRATED, exit_codes=(0, 2)),
        repeat=7,
        budget=2.0,
    ),
    Case(
        name="push-1000-series",
        description=(
            "Check, render and PUT 1,000 gauge series to a real Pushgateway on loopback, "
            "against one requests.put of the same series (rendered inside the call too)."
        ),
        subject=Subject("lumen push", push_1000),
        peer=Subject("requests.put", put_plain),
        repeat=10,
        budget=0.5,
    ),
]
