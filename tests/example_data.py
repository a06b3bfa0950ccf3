"""The repository's example inputs (`examples/`) as the `lumen` flags that read them, and the
`--now` they were recorded for: one place for the set of sources most CLI tests run against."""

from __future__ import annotations

from pathlib import Path

EX = Path(__file__).resolve().parents[1] / "examples"
NOW = "2026-11-20T18:00:00Z"


def example_sources(*, snapshot: bool = False) -> list[str]:
    """`--events`, `--deploys` and `--slo` at the example files; with `snapshot`, also the
    example resonance `--snapshot`."""
    argv = [
        "--events",
        str(EX / "events.jsonl"),
        "--deploys",
        str(EX / "deploys.jsonl"),
        "--slo",
        str(EX / "slo-samples.json"),
    ]
    if snapshot:
        argv += ["--snapshot", str(EX / "resonance-snapshot.json")]
    return argv
