"""Third-party action pins: one table (scripts/action_pins.py) with each commit's runtime.

Every `uses:` in the actions, the reusable and starter workflows, this repository's own
workflows and the examples names a commit of that table with its tag beside it, and every
pinned commit runs on node24 or newer (runners dropped Node 20 in September 2026).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import action_pins  # noqa: E402

FILES = sorted(
    {
        ROOT / "action.yml",
        *ROOT.glob("actions/*/action.yml"),
        *ROOT.glob("workflows/**/*.yml"),
        *ROOT.glob(".github/workflows/*.yml"),
        *ROOT.glob("examples/.github/workflows/*.yml"),
    }
)


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_every_pinned_action_runs_on_node24_or_newer() -> None:
    assert action_pins.stale() == []


def test_an_old_runtime_is_caught() -> None:
    old = {
        **action_pins.PINS,
        "actions/cache": action_pins.Pin(
            "5a3ec84eff668545956fd18022155c47e93e2684", "v4.2.3", "node20"
        ),
        "docker/thing": action_pins.Pin("0" * 40, "v1", "docker"),
    }
    assert action_pins.stale(old) == [
        "actions/cache@v4.2.3 runs on node20, older than node24",
        "docker/thing@v1 runs on docker, older than node24",
    ]


@pytest.mark.parametrize("path", FILES, ids=rel)
def test_every_uses_names_a_pin_of_the_table(path: Path) -> None:
    assert action_pins.check_uses(path.read_text(encoding="utf-8"), rel(path)) == []


def test_a_stale_or_unknown_pin_is_caught() -> None:
    text = (
        "steps:\n"
        "  - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n"
        "  - uses: some/action@v3\n"
        f"  - uses: {action_pins.REPOSITORY}/actions/roi-gate@v1\n"
        "  - uses: ./actions/sbom\n"
    )
    assert action_pins.check_uses(text, "w.yml") == [
        "w.yml:2: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2 is not "
        f"the pin {action_pins.PINS['actions/checkout'].uses('actions/checkout')}",
        "w.yml:3: some/action@v3 is not in scripts/action_pins.py",
    ]


def test_pins_are_full_commit_shas() -> None:
    for name, pin in action_pins.PINS.items():
        assert len(pin.sha) == 40 and int(pin.sha, 16) >= 0, name
        assert pin.tag.startswith("v"), name


def test_a_mirror_changes_the_repository_in_one_place(tmp_path: Path) -> None:
    """`action_pins.py --repository acme/lumen` rewrites REPOSITORY and every workflow's Lumen
    references; the tests above then hold the mirror's workflows to the new name."""
    for name in ("workflows", "scripts", "examples"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / ".github" / "workflows", tmp_path / ".github" / "workflows")
    changed = action_pins.rename_repository(tmp_path, "acme/lumen")
    assert tmp_path / "scripts" / "action_pins.py" in changed
    assert 'REPOSITORY = "acme/lumen"' in (tmp_path / "scripts" / "action_pins.py").read_text()
    for path in tmp_path.glob("workflows/**/*.yml"):
        text = path.read_text(encoding="utf-8")
        assert f"uses: {action_pins.REPOSITORY}/" not in text, path
    pr_gate = (tmp_path / "workflows" / "starters" / "lumen-pr-gate.yml").read_text()
    assert "uses: acme/lumen/.github/workflows/pr-gate.yml@v1" in pr_gate
    # the GitHub Enterprise Server fallback of the reusable workflows follows the mirror too
    for path in [*tmp_path.glob("workflows/*.yml"), *tmp_path.glob(".github/workflows/*.yml")]:
        text = path.read_text(encoding="utf-8")
        if "lumen-repository:" in text:
            assert "default: acme/lumen\n" in text, path
            assert action_pins.REPOSITORY not in text, path
    with pytest.raises(ValueError, match="OWNER/NAME"):
        action_pins.rename_repository(tmp_path, "not a repo")


@pytest.mark.parametrize("path", [p for p in FILES if p.name != "action.yml"], ids=rel)
def test_a_floating_lumen_reference_says_so(path: Path) -> None:
    """No workflow depends on the floating major tag of Lumen without saying so in its header.
    The starters call the reusable workflows at @v1; those run the actions of the commit they
    are called at (test_workflows.py holds them to it), so a SHA in the starter pins both."""
    text = path.read_text(encoding="utf-8")
    floating = f"{action_pins.REPOSITORY}/" in text and f"@{action_pins.MAJOR_TAG}" in text
    if floating:
        header = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
        assert "floating major tag" in header, f"{rel(path)} uses @{action_pins.MAJOR_TAG}"
