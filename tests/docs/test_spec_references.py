"""The contract is cited by link: `docs/reference.md#anchor`, never a bare "spec §N" pointing at a
file that does not ship. Every such link names a file and an anchor that exist."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "docs" / "reference.md"
# docs/reference.md keeps the § numbers in its own headings, for readers who know them.
SECTION_NUMBERS_ALLOWED = {"docs/reference.md"}
THIS = "tests/docs/test_spec_references.py"
SPEC_SECTION = re.compile(r"\bspec(?:ification)?(?:'s)?\s*§|§\s*\d", re.IGNORECASE)
REFERENCE_LINK = re.compile(r"docs/reference\.md#([A-Za-z0-9_-]+)")


def repository_files() -> list[str]:
    """Tracked and new (not ignored) files, as a fresh clone in CI has them."""
    done = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return sorted(set(done.stdout.split()))


def texts() -> list[tuple[str, str]]:
    found = []
    for name in repository_files():
        path = ROOT / name
        if path.is_symlink() or not path.is_file() or name.startswith("tests/npm/"):
            continue
        try:
            found.append((name, path.read_text(encoding="utf-8")))
        except UnicodeDecodeError:
            continue  # binary test data
    return found


def reference_anchors() -> set[str]:
    text = REFERENCE.read_text(encoding="utf-8")
    return set(re.findall(r'<a id="([^"]+)"></a>', text))


def test_no_spec_section_reference_without_a_link() -> None:
    bad = []
    for name, text in texts():
        if name in SECTION_NUMBERS_ALLOWED or name == THIS:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if SPEC_SECTION.search(line):
                bad.append(f"{name}:{number}: {line.strip()[:100]}")
    assert not bad, (
        "cite the contract as docs/reference.md#ANCHOR (the spec file does not ship):\n"
        + "\n".join(bad)
    )


def test_every_reference_link_names_an_anchor_that_exists() -> None:
    anchors = reference_anchors()
    bad = []
    for name, text in texts():
        if name == THIS:
            continue
        for match in REFERENCE_LINK.finditer(text):
            if match.group(1) not in anchors:
                line = text.count("\n", 0, match.start()) + 1
                bad.append(f"{name}:{line}: #{match.group(1)}")
    assert not bad, "docs/reference.md has no such anchor:\n" + "\n".join(bad)


@pytest.mark.parametrize(
    "line",
    ["Maturity gate (spec §3).", "see the specification's §11", "(§6)", "Spec § 5 says"],
)
def test_the_check_catches_the_old_forms(line: str) -> None:
    assert SPEC_SECTION.search(line)


def test_the_check_lets_links_through() -> None:
    assert not SPEC_SECTION.search("Maturity gate (docs/reference.md#maturity).")
