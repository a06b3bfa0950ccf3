"""CLI start-up cost: what every composite action pays before doing any work."""

from __future__ import annotations

import sys

from benchlib import Case, Subject, venv_bin

CASES = [
    Case(
        name="version-cold-start",
        description=(
            "`lumen --version` from process start to exit, against a bare interpreter start "
            "(`python -c pass`): the ratio is what the CLI's imports add."
        ),
        subject=Subject("lumen --version", [venv_bin("lumen"), "--version"]),
        peer=Subject("python -c pass", [sys.executable, "-c", "pass"]),
        repeat=15,
        budget=1.0,
    ),
]
