"""Every third-party action Lumen uses, pinned by commit, with the runtime that commit runs on.

One table for the generators (scripts/gen_actions.py), the workflows (workflows/,
.github/workflows/, the starters and examples) and the tests (tests/actions/test_pins.py),
which fail when a `uses:` names a commit that is not here, a tag comment that disagrees, or a
runtime older than MIN_NODE. `runtime` is the `runs.using` of that commit's action.yml, read
when the pin was moved (shared/reference/action-pins.md, 2026-12-06): GitHub's runners dropped
Node 20 in September 2026.

REPOSITORY is where Lumen's own actions live. Teams that mirror the actions into an internal
organisation change it here and rerun `python scripts/gen_actions.py` and
`python scripts/gen_action_docs.py`; tests/actions/test_pins.py checks that every workflow
follows it.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path

REPOSITORY = "lumen-ci/lumen-ci"
# The major tag of Lumen's own releases, moved by .github/workflows/release.yml.
MAJOR_TAG = "v1"
MIN_NODE = 24


@dataclass(frozen=True)
class Pin:
    sha: str
    tag: str
    runtime: str  # runs.using of the pinned commit's action.yml

    def uses(self, action: str) -> str:
        """The `uses:` value with its tag comment, for a generator to write."""
        return f"{action}@{self.sha} # {self.tag}"


PINS: dict[str, Pin] = {
    # v6: node24 (needs runner 2.327.1+); inputs unchanged for what Lumen passes.
    "actions/setup-python": Pin("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0", "node24"),
    # v5: node24 and the new cache service only; restore/ and save/ are the same commit.
    "actions/cache": Pin("27d5ce7f107fe9357f9df03efb73ab90386fccae", "v5.0.5", "node24"),
    "actions/cache/restore": Pin("27d5ce7f107fe9357f9df03efb73ab90386fccae", "v5.0.5", "node24"),
    "actions/cache/save": Pin("27d5ce7f107fe9357f9df03efb73ab90386fccae", "v5.0.5", "node24"),
    # v5+: node24; artifacts by name are unchanged (v5 changed only downloads by id).
    "actions/upload-artifact": Pin("bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0", "node24"),
    "actions/download-artifact": Pin(
        "3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", "v8.0.1", "node24"
    ),
    # v6+: persisted credentials live in a file under RUNNER_TEMP; Lumen never persists them.
    "actions/checkout": Pin("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1", "node24"),
    "astral-sh/setup-uv": Pin("20cfd1bf945f4377ade1205e4dbc17946fc9a30d", "v10.0.1", "node24"),
}


def node_major(runtime: str) -> int:
    """`node24` -> 24; anything else (composite, docker) -> 0."""
    return int(runtime[4:]) if runtime.startswith("node") and runtime[4:].isdigit() else 0


def stale(pins: dict[str, Pin] | None = None) -> list[str]:
    """Pins whose runtime is older than node MIN_NODE (or not a node runtime at all)."""
    table = PINS if pins is None else pins
    return [
        f"{name}@{pin.tag} runs on {pin.runtime}, older than node{MIN_NODE}"
        for name, pin in sorted(table.items())
        if node_major(pin.runtime) < MIN_NODE
    ]


_USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)(?:\s+#\s*(\S+))?", re.MULTILINE)


def check_uses(text: str, where: str, pins: dict[str, Pin] | None = None) -> list[str]:
    """Every `uses:` of a workflow or action file: a third-party action pinned to the commit and
    tag of the table, or Lumen's own (REPOSITORY, a local `./` path, or this repository at the
    run's commit, `$/`)."""
    table = PINS if pins is None else pins
    problems = []
    for match in _USES.finditer(text):
        uses, tag = match.group(1), match.group(2)
        line = text.count("\n", 0, match.start()) + 1
        name, _, ref = uses.partition("@")
        own = name == REPOSITORY or name.startswith(REPOSITORY + "/")
        if uses.startswith(("./", "$/")) or own:
            continue
        pin = table.get(name)
        if pin is None:
            problems.append(f"{where}:{line}: {uses} is not in scripts/action_pins.py")
        elif ref != pin.sha or tag != pin.tag:
            problems.append(f"{where}:{line}: {uses} # {tag} is not the pin {pin.uses(name)}")
    return problems


WORKFLOW_GLOBS = (
    "workflows/**/*.yml",
    ".github/workflows/*.yml",
    "examples/.github/workflows/*.yml",
)


# The default of the reusable workflows' `lumen-repository` input: where their jobs check Lumen
# out when the job context does not name the workflow's repository (GitHub Enterprise Server).
_FALLBACK_DEFAULT = re.compile(
    rf"^(\s+lumen-repository:\n(?:\s+(?!default:).*\n)*?\s+default:\s*){re.escape(REPOSITORY)}$",
    re.MULTILINE,
)


def rename_repository(root: Path, new: str) -> list[Path]:
    """Point every Lumen `uses:` of the workflows, the default of their `lumen-repository`
    input, and REPOSITORY itself at `new` (a mirror). The generated action.yml files and their
    docs follow when the generators run next."""
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", new):
        raise ValueError(f"expected OWNER/NAME, got {new!r}")
    pattern = re.compile(rf"(uses:\s*){re.escape(REPOSITORY)}([/@])")
    changed = []
    for glob in WORKFLOW_GLOBS:
        for path in sorted(root.glob(glob)):
            text = path.read_text(encoding="utf-8")
            updated = pattern.sub(rf"\g<1>{new}\g<2>", text)
            updated = _FALLBACK_DEFAULT.sub(rf"\g<1>{new}", updated)
            if updated != text:
                path.write_text(updated, encoding="utf-8")
                changed.append(path)
    me = root / "scripts" / "action_pins.py"
    text = me.read_text(encoding="utf-8")
    me.write_text(
        text.replace(f'REPOSITORY = "{REPOSITORY}"', f'REPOSITORY = "{new}"', 1), encoding="utf-8"
    )
    return [*changed, me]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Pins and Lumen's own repository name.")
    parser.add_argument(
        "--repository",
        metavar="OWNER/NAME",
        help="mirror: point REPOSITORY and every workflow's Lumen references at OWNER/NAME",
    )
    args = parser.parse_args(argv)
    if args.repository:
        root = Path(__file__).resolve().parent.parent
        for path in rename_repository(root, args.repository):
            print("wrote", path.relative_to(root))
        print("now run: python scripts/gen_actions.py && python scripts/gen_action_docs.py")
        return 0
    for problem in stale():
        print(problem)
    return 1 if stale() else 0


if __name__ == "__main__":
    raise SystemExit(main())
