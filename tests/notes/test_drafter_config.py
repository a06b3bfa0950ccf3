"""Reading a release-drafter config: `_extends` (through the API, refused offline), errors that
name the file, line and key, unknown keys accepted, and Lumen's additions only when switched on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gates.errors import ConfigError
from lumen.app.drafter import load_config
from lumen.cli import main

REPO = "octo-org/app"
PRS = [
    {
        "number": 7,
        "title": "Fix it",
        "user": {"login": "alice", "type": "User"},
        "labels": [{"name": "bug"}],
        "merged_at": "2026-03-01T00:00:00Z",
        "html_url": f"https://github.com/{REPO}/pull/7",
    }
]


def _notes(tmp_path: Path, config_text: str, *extra: str) -> tuple[int, str]:
    config = tmp_path / "release-drafter.yml"
    config.write_text(config_text)
    prs = tmp_path / "prs.json"
    prs.write_text(json.dumps(PRS))
    out = tmp_path / "body.md"
    argv = ["notes", "--drafter-config", str(config), "--prs-json", str(prs)]
    argv += ["--previous-tag", "v1.0.0", "--repository", REPO, "--target", "main"]
    rc = main([*argv, *extra, "--output", str(out), "--quiet"])
    return rc, out.read_text() if out.exists() else ""


def test_extends_from_another_repository_is_refused_offline(tmp_path: Path, capsys) -> None:
    rc, _ = _notes(tmp_path, "_extends: octo-org/shared:.github/rd.yml\ntemplate: x\n")
    assert rc == 1
    err = capsys.readouterr().err
    assert "release-drafter.yml:1: _extends:" in err and "offline it cannot be followed" in err
    assert "octo-org/shared" in err


def test_extends_of_a_file_of_this_repository_reads_the_working_tree(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "base.yml").write_text("template: 'base: $CHANGES'\nchange-template: '- $TITLE'\n")
    rc, body = _notes(tmp_path, "_extends: file:base.yml\nchange-template: '+ $TITLE'\n")
    assert rc == 0 and body == "base: + Fix it"


def test_extends_strategy_appends_lists(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "base.yml").write_text(
        "template: '$CHANGES'\nreplacers:\n  - {search: Fix, replace: Mend}\n"
    )
    rc, body = _notes(
        tmp_path,
        "_extends:\n  from: file:base.yml\n  strategy: {replacers: append}\n"
        "replacers:\n  - {search: it, replace: them}\n",
    )
    assert rc == 0 and body == "* Mend them (#7) @alice"


def test_extends_reads_the_other_repository_and_local_keys_win(tmp_path: Path) -> None:
    files = {
        ("octo-org/org-config", ".github/release-drafter.yml"): (
            "_extends: shared/base:configs/rd.yml@main\ntemplate: 'org: $CHANGES'\n"
            "change-template: '- $TITLE'\n"
        ),
        ("shared/base", "configs/rd.yml"): "name-template: 'v$RESOLVED_VERSION'\n",
    }
    asked: list[tuple[str, str]] = []

    def fetch(repo: str, path: str) -> str:
        asked.append((repo, path))
        return files[(repo, path)]

    local = tmp_path / "release-drafter.yml"
    local.write_text("_extends: org-config\nchange-template: '* $TITLE'\n")
    config = load_config(str(local), repository=REPO, fetch=fetch)
    assert asked == [
        ("octo-org/org-config", ".github/release-drafter.yml"),
        ("shared/base", "configs/rd.yml"),
    ]
    assert config.template == "org: $CHANGES"
    assert config.change_template == "* $TITLE"  # the local file's key wins
    assert config.name_template == "v$RESOLVED_VERSION"


def test_a_value_its_schema_rejects_names_file_line_and_key(tmp_path: Path, capsys) -> None:
    rc, _ = _notes(tmp_path, "template: x\nsort-by: sideways\n")
    assert rc == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "release-drafter.yml:2: sort-by:" in err[0] and "merged_at or title" in err[0]


def test_unknown_keys_are_accepted_with_a_warning(tmp_path: Path, capsys) -> None:
    rc, body = _notes(tmp_path, "template: '$CHANGES'\nnot-a-key: 1\nbranches: [main]\n")
    assert rc == 0
    assert body == "* Fix it (#7) @alice"
    err = capsys.readouterr().err
    assert "not-a-key: not a release-drafter key; ignored" in err
    assert "branches" not in err


def test_bad_replacer_regex_is_dropped_as_release_drafter_drops_it(tmp_path: Path, capsys) -> None:
    rc, body = _notes(
        tmp_path,
        "template: '$CHANGES'\nreplacers:\n  - search: '/(unclosed/'\n    replace: x\n"
        "  - search: Fix\n    replace: Mend\n",
    )
    assert rc == 0 and body == "* Mend it (#7) @alice"
    assert "Bad replacer regex: '/(unclosed/'" in capsys.readouterr().err


@pytest.mark.parametrize("additions", [None, [], ["sbom-diff"]])
def test_lumen_additions_are_off_unless_switched_on(tmp_path: Path, additions) -> None:
    snapshot = tmp_path / "roi.json"
    snapshot.write_text(json.dumps({"gate": "roi", "verdict": "PASS", "roi": {"deploys": 3}}))
    lumen = tmp_path / "lumen.yml"
    lumen.write_text(
        json.dumps({"notes": {"additions": additions}} if additions is not None else {})
    )
    rc, body = _notes(
        tmp_path, "template: '$CHANGES'\n", "--config", str(lumen), "--snapshot", str(snapshot)
    )
    assert rc == 0 and body == "* Fix it (#7) @alice"


def test_snapshot_addition_when_switched_on(tmp_path: Path) -> None:
    snapshot = tmp_path / "roi.json"
    snapshot.write_text(json.dumps({"gate": "roi", "verdict": "PASS", "roi": {"deploys": 3}}))
    lumen = tmp_path / "lumen.yml"
    lumen.write_text("notes:\n  additions: [snapshot]\n")
    rc, body = _notes(
        tmp_path, "template: '$CHANGES'\n", "--config", str(lumen), "--snapshot", str(snapshot)
    )
    assert rc == 0
    assert body.startswith("* Fix it (#7) @alice\n\n## Gate snapshot\n\n| Gate | Verdict |")


def test_default_file_is_used_when_lumen_has_no_notes_section(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "release-drafter.yml").write_text("template: 'RD $CHANGES'\n")
    (tmp_path / "prs.json").write_text(json.dumps(PRS))
    out = tmp_path / "body.md"
    rc = main(
        [
            "notes",
            "--prs-json",
            "prs.json",
            "--previous-tag",
            "v1.0.0",
            "--repository",
            REPO,
            "--target",
            "main",
            "--output",
            str(out),
            "--quiet",
        ]
    )
    assert rc == 0 and out.read_text() == "RD * Fix it (#7) @alice"


def test_a_config_that_is_not_a_mapping(tmp_path: Path) -> None:
    bad = tmp_path / "release-drafter.yml"
    bad.write_text("- a list\n")
    with pytest.raises(ConfigError, match="a release-drafter config is a mapping of keys"):
        load_config(str(bad))


def test_repository_is_inferred_from_the_data_when_not_given(tmp_path: Path, monkeypatch) -> None:
    for key in ("GITHUB_REPOSITORY", "GITHUB_REF"):
        monkeypatch.delenv(key, raising=False)
    data = Path(__file__).parent / "data" / "drafter"
    config = tmp_path / "release-drafter.yml"
    config.write_text("template: '$OWNER/$REPOSITORY: $CHANGES'\nchange-template: '#$NUMBER'\n")
    out = tmp_path / "body.md"
    rc = main(
        [
            "notes",
            "--drafter-config",
            str(config),
            "--prs-json",
            str(data / "history-merge-commit.json"),
            "--releases-json",
            str(data / "releases-release.json"),
            "--output",
            str(out),
            "--quiet",
        ]
    )
    assert rc == 0
    assert out.read_text() == "toolmantim/release-drafter-test-project: #5\n#4\n#3\n#2\n#1"


def test_stdout_is_the_body_byte_for_byte(tmp_path: Path, capsys) -> None:
    config = tmp_path / "release-drafter.yml"
    config.write_text("template: '$CHANGES'\n")
    prs = tmp_path / "prs.json"
    prs.write_text(json.dumps(PRS))
    argv = ["notes", "--drafter-config", str(config), "--prs-json", str(prs)]
    argv += ["--previous-tag", "v1.0.0", "--repository", REPO, "--target", "main"]
    assert main(argv) == 0
    assert capsys.readouterr().out == "* Fix it (#7) @alice"
