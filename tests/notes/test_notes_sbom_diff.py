"""`lumen notes --sbom NEW --previous-sbom OLD`: the dependency changes in the notes
(docs/reference.md#notes), known answers from two small CycloneDX fixtures (tests/notes/data)."""

from __future__ import annotations

import json
from pathlib import Path

from lumen.cli import main

DATA = Path(__file__).parent / "data"
PREVIOUS, CURRENT = DATA / "previous.cdx.json", DATA / "current.cdx.json"

# previous: requests 2.31.0 (Apache-2.0), urllib3 1.26.18 (MIT), six 1.16.0 (MIT)
# current:  requests 2.32.3, urllib3 1.26.18, idna 3.7 (BSD-3-Clause), certifi 2024.2.2 (MPL-2.0)
EXPECTED = """\
### Dependency changes

#### Dependencies added

- `certifi` 2024.2.2
- `idna` 3.7

#### Dependencies removed

- `six` 1.16.0

#### Dependencies bumped

- `requests` 2.31.0 → 2.32.3

#### New licences

- BSD-3-Clause: idna@3.7
- MPL-2.0: certifi@2024.2.2
"""


def notes(tmp_path: Path, *extra: str) -> tuple[int, str]:
    prs = tmp_path / "prs.json"
    prs.write_text(json.dumps([{"number": 1, "title": "fix: x", "user": {"login": "a"}}]))
    out = tmp_path / "notes.md"
    rc = main(
        ["notes", "--prs-json", str(prs), "--previous-tag", "v2.0.0", "--output", str(out), *extra]
    )
    return rc, out.read_text() if out.exists() else ""


def test_dependency_changes_listed(tmp_path: Path) -> None:
    rc, body = notes(tmp_path, "--sbom", str(CURRENT), "--previous-sbom", str(PREVIOUS))
    assert rc == 0
    assert EXPECTED in body
    # the section sits under "What's changed", after the categorised PRs
    assert body.index("### Bug Fixes") < body.index("### Dependency changes")
    assert body.index("### Dependency changes") < body.index("## Deployment")
    # this release's SBOM is an asset of the release
    assert "Assets: `current.cdx.json`" in body


def test_same_sbom_says_no_changes(tmp_path: Path) -> None:
    rc, body = notes(tmp_path, "--sbom", str(CURRENT), "--previous-sbom", str(CURRENT))
    assert rc == 0
    assert "### Dependency changes\n\nNo dependency changes.\n" in body


def test_without_previous_sbom_no_section(tmp_path: Path) -> None:
    rc, body = notes(tmp_path, "--sbom", str(CURRENT))
    assert rc == 0 and "Dependency changes" not in body


def test_bad_sbom_inputs(tmp_path: Path, capsys) -> None:
    rc, _ = notes(tmp_path, "--previous-sbom", str(PREVIOUS))
    assert rc == 1
    assert "--previous-sbom needs --sbom" in capsys.readouterr().err
    not_sbom = tmp_path / "x.json"
    not_sbom.write_text('{"spdxVersion": "SPDX-2.3"}')
    rc, _ = notes(tmp_path, "--sbom", str(CURRENT), "--previous-sbom", str(not_sbom))
    assert rc == 1
    err = capsys.readouterr().err
    assert str(not_sbom) in err and "bomFormat" in err and "CycloneDX" in err
    assert "Traceback" not in err
