"""`lumen notes --prs-json` end to end (offline)."""

from __future__ import annotations

import json
from pathlib import Path

from lumen.cli import main

PRS = [
    {
        "number": 1,
        "title": "feat: maturity windows",
        "user": {"login": "alice", "type": "User"},
        "labels": [],
        "html_url": "https://github.com/o/r/pull/1",
        "author_association": "MEMBER",
    },
    {
        "number": 2,
        "title": "Fix ledger head",
        "user": {"login": "bob", "type": "User"},
        "labels": [{"name": "bug"}],
        "html_url": "https://github.com/o/r/pull/2",
        "author_association": "FIRST_TIME_CONTRIBUTOR",
    },
    {
        "number": 3,
        "title": "Internal",
        "user": {"login": "carol", "type": "User"},
        "labels": [{"name": "skip-changelog"}],
        "html_url": "https://github.com/o/r/pull/3",
    },
]


def test_notes_from_prs_json(tmp_path: Path, capsys) -> None:
    prs = tmp_path / "prs.json"
    prs.write_text(json.dumps(PRS))
    result = tmp_path / "roi.json"
    result.write_text(json.dumps({"gate": "roi", "verdict": "PASS", "roi": {"success_rate": 0.9}}))
    out, meta = tmp_path / "notes.md", tmp_path / "notes.json"
    rc = main(
        [
            "notes",
            "--prs-json",
            str(prs),
            "--previous-tag",
            "v1.2.0",
            "--repository",
            "o/r",
            "--snapshot",
            str(result),
            "--output",
            str(out),
            "--json",
            str(meta),
        ]
    )
    assert rc == 0
    body = out.read_text()
    assert "### Features\n\n- feat: maturity windows (#1) @alice" in body
    assert "### Bug Fixes\n\n- Fix ledger head (#2) @bob" in body
    assert "Internal" not in body
    assert "| roi | PASS | success\\_rate 0.900 |" in body
    doc = json.loads(meta.read_text())
    assert doc["version"] == "v1.3.0" and doc["bump"] == "minor"
    assert doc["first_time_contributors"] == ["bob"]
    assert doc["sections"] == {"Features": [1], "Bug Fixes": [2]}


def test_notes_bad_inputs(tmp_path: Path, capsys) -> None:
    assert main(["notes", "--previous-tag", "v1.0.0"]) == 1
    assert "exactly one of" in capsys.readouterr().err
    bad = tmp_path / "prs.json"
    bad.write_text(json.dumps([{"title": "no number"}]))
    assert main(["notes", "--prs-json", str(bad)]) == 1
    assert "item 0 is not a pull request" in capsys.readouterr().err
    bad.write_text("[")
    assert main(["notes", "--prs-json", str(bad)]) == 1
    assert f"{bad}:1: not valid JSON" in capsys.readouterr().err
    good = tmp_path / "ok.json"
    good.write_text("[]")
    assert main(["notes", "--prs-json", str(good), "--previous-tag", "release-7"]) == 1
    assert "not a semantic version" in capsys.readouterr().err


def test_notes_config_section(tmp_path: Path) -> None:
    config = tmp_path / "lumen.yml"
    config.write_text("notes:\n  change-template: '* $TITLE ($AUTHOR)'\n  template: 'X $CHANGES'\n")
    prs = tmp_path / "prs.json"
    prs.write_text(json.dumps(PRS[:1]))
    out = tmp_path / "n.md"
    assert (
        main(
            [
                "notes",
                "--config",
                str(config),
                "--prs-json",
                str(prs),
                "--previous-tag",
                "v1.0.0",
                "--output",
                str(out),
            ]
        )
        == 0
    )
    assert out.read_text() == "X ### Features\n\n* feat: maturity windows (alice)\n"
    config.write_text("notes:\n  categorys: []\n")
    assert main(["notes", "--config", str(config), "--prs-json", str(prs)]) == 1
