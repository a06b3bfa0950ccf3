"""Run actionlint on the workflows and zizmor (offline) on the workflows and actions.

Used by the test command; exits non-zero on any finding. zizmor findings may only be silenced
in zizmor.yml, each with its reason written beside it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _bin(name: str) -> str:
    here = Path(sys.executable).parent / name
    found = str(here) if here.exists() else shutil.which(name)
    if not found:
        sys.exit(f"lint_workflows: {name} is not installed (pip install -e '.[test]')")
    return found


def main() -> int:
    workflows = sorted(
        str(p)
        for d in (
            "workflows",
            "workflows/starters",
            ".github/workflows",
            "examples/.github/workflows",
        )
        for p in (ROOT / d).glob("*.y*ml")
    )
    actions = [*sorted(str(p) for p in ROOT.glob("actions/*/action.yml")), str(ROOT / "action.yml")]
    actions = [a for a in actions if Path(a).exists()]
    rc = 0
    if workflows:
        print(f"actionlint: {len(workflows)} workflow files", flush=True)
        rc |= subprocess.call([_bin("actionlint"), "-no-color", *workflows])
    targets = workflows + actions
    if targets:
        print(f"zizmor --offline: {len(targets)} files", flush=True)
        cmd = [_bin("zizmor"), "--offline", "--no-progress", "--min-severity", "low"]
        config = ROOT / "zizmor.yml"
        if config.exists():
            cmd += ["--config", str(config)]
        rc |= subprocess.call([*cmd, *targets])
    print("workflow lint:", "clean" if rc == 0 else "FINDINGS", flush=True)
    return 1 if rc else 0


if __name__ == "__main__":
    raise SystemExit(main())
