"""What a bench case is. Case modules (`bench/cases/<area>.py`) import from here; see README.md."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"

# A subject is either an argv (strings may contain "{work}", replaced by the case's work
# folder) run as its own process, or a function `fn(work)` run in a fresh worker process
# and timed around the call only (interpreter start-up and imports are not counted).
Command = Sequence[str]
Function = Callable[[Path], object]


@dataclass(frozen=True)
class Subject:
    """One thing to time: the case itself, or its peer."""

    label: str
    run: Command | Function
    env: Mapping[str, str] = field(default_factory=dict)
    # Exit codes that count as success (a gate that FAILs on purpose exits 2).
    exit_codes: tuple[int, ...] = (0,)


@dataclass(frozen=True)
class Case:
    """A timed subject, optionally against a named peer measured in the same run."""

    name: str
    subject: Subject
    peer: Subject | None = None
    description: str = ""
    repeat: int = 5
    # Unrecorded runs first, so page cache and .pyc files are warm for every recorded one.
    warmup: int = 1
    # Called once before timing with the case's work folder (bench/.work/<area>/<name>/),
    # to generate input files; skipped when the folder already holds a ".ready" stamp.
    setup: Callable[[Path], None] | None = None
    # Optional target for the median, in seconds: shown as met/missed in RESULTS.md.
    budget: float | None = None
    timeout: float = 600.0


def venv_bin(name: str) -> str:
    """Path of a console script installed next to the running Python (the bench venv)."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"bench: {name} is not installed next to {sys.executable} or on PATH")
    return found
