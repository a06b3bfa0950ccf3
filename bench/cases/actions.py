"""What a composite action adds around the CLI once its venv is ready (docs/reference.md#actions).

Every action run pays `scripts/venv_key.py` (hashing the shipped sources for the cache key) and
`lumen.action_main` (masking, result outputs, stderr kept for classify) on top of the command.
"""

from __future__ import annotations

import sys

from benchlib import Case, Subject, venv_bin

ROI = [
    "--deploys",
    "examples/deploys.jsonl",
    "--config",
    "examples/.github/lumen.yml",
    "--now",
    "2026-11-20T18:00:00Z",
]

CASES = [
    Case(
        name="run-step-roi",
        description=(
            "The action's run step (`python -m lumen.action_main roi`, inputs as INPUT_* "
            "variables, result JSON and outputs) against the bare `lumen roi` on the examples."
        ),
        subject=Subject(
            "action_main roi",
            [
                "env",
                "RUNNER_TEMP={work}",
                "GITHUB_OUTPUT={work}/github_output",
                "INPUT_DEPLOYS=examples/deploys.jsonl",
                "INPUT_CONFIG=examples/.github/lumen.yml",
                "INPUT_NOW=2026-11-20T18:00:00Z",
                "INPUT_QUIET=true",
                sys.executable,
                "-m",
                "lumen.action_main",
                "roi",
            ],
        ),
        peer=Subject("lumen roi", [venv_bin("lumen"), "roi", *ROI, "--quiet"]),
        repeat=9,
        budget=2.0,
    ),
    Case(
        name="venv-key",
        description=(
            "Step 2 of every action: the venv path and cache key (SHA-256 over the shipped "
            "sources), against a bare interpreter start."
        ),
        subject=Subject("venv_key.py", [sys.executable, "scripts/venv_key.py"]),
        peer=Subject("python -c pass", [sys.executable, "-c", "pass"]),
        repeat=9,
        budget=0.5,
    ),
]
