"""`lumen autolabel`: release-drafter's autolabeler rules over a PR's files, branch, title and
body; offline, and against the GitHub double (labels added once)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lumen.cli import main
from release.drafter import parse_config
from release.drafter_autolabel import PullRequestFacts, autolabel

REPO = "octo-org/app"
RULES = """\
template: "$CHANGES"
autolabeler:
  - label: documentation
    files: ["*.md", "docs/**", "!CHANGELOG.md"]
    branch: ['/docs{0,1}\\/.+/']
  - label: bug
    branch: ['/fix\\/.+/']
    title: ['/fix/i']
  - label: enhancement
    branch: ['/feature\\/.+/', '/feat\\/.+/']
    body: ['/JIRA-[0-9]{1,4}/']
  - label: chore
    files: [".github/"]
"""


def facts(branch="x", title="x", body=None, files=()) -> PullRequestFacts:
    return PullRequestFacts(branch, title, body, tuple(files))


@pytest.mark.parametrize(
    ("pr", "labels"),
    [
        (facts(files=["README.md"]), ["documentation"]),
        (facts(files=["src/docs/guide.md"]), ["documentation"]),  # no slash: any depth
        (facts(files=["CHANGELOG.md"]), []),  # negated
        (facts(branch="docs/typo"), ["documentation"]),
        (facts(branch="doc/typo"), ["documentation"]),
        (facts(branch="fix/crash"), ["bug"]),
        (facts(title="Fix the crash"), ["bug"]),  # /i
        (facts(branch="feature/x", title="tidy up"), ["enhancement"]),
        (facts(body="Closes JIRA-123"), ["enhancement"]),
        (facts(body=None, title="x"), []),
        (facts(files=[".github/workflows/ci.yml"]), ["chore"]),  # a directory pattern
        (
            facts(branch="fix/docs", files=["docs/a.md"], title="fix docs"),
            ["documentation", "bug"],
        ),
    ],
)
def test_rules_as_release_drafter_applies_them(pr, labels) -> None:
    config = parse_config(__import__("yaml").safe_load(RULES))
    assert [m.label for m in autolabel(config.autolabeler, pr)] == labels


def test_offline_prints_labels(tmp_path: Path, capsys) -> None:
    config = tmp_path / "release-drafter.yml"
    config.write_text(RULES)
    (tmp_path / "pr.json").write_text(
        json.dumps({"title": "Fix links", "head": {"ref": "docs/links"}, "body": None})
    )
    (tmp_path / "files.txt").write_text("docs/index.md\nsrc/app.py\n")
    meta = tmp_path / "out.json"
    rc = main(
        [
            "autolabel",
            "--drafter-config",
            str(config),
            "--pr-json",
            str(tmp_path / "pr.json"),
            "--files",
            str(tmp_path / "files.txt"),
            "--json",
            str(meta),
        ]
    )
    assert rc == 0
    doc = json.loads(meta.read_text())
    assert doc["labels"] == ["documentation", "bug"]
    assert doc["matches"][0] == {
        "label": "documentation",
        "source": "files",
        "match": "docs/index.md",
    }
    assert doc["added"] == []
    assert "documentation: matched (files: docs/index.md)" in capsys.readouterr().out


def test_a_broken_files_list_is_an_input_error(tmp_path: Path, capsys) -> None:
    """A `--files` JSON list that does not parse is exit 1 naming the file and line, not an
    internal error; a missing one names the file."""
    config = tmp_path / "release-drafter.yml"
    config.write_text(RULES)
    (tmp_path / "pr.json").write_text(json.dumps({"title": "t", "head": {"ref": "b"}}))
    broken = tmp_path / "files.json"
    broken.write_text('[\n  "docs/index.md",\n  "src/app.py"\n')
    argv = ["autolabel", "--drafter-config", str(config), "--pr-json", str(tmp_path / "pr.json")]
    assert main([*argv, "--files", str(broken)]) == 1
    err = capsys.readouterr().err
    assert "files.json" in err and "not valid JSON" in err and "internal error" not in err
    assert "Traceback" not in err
    assert main([*argv, "--files", str(tmp_path / "missing.txt")]) == 1
    err = capsys.readouterr().err
    assert "missing.txt" in err and "file not found" in err and "internal error" not in err


def test_labels_the_pr_on_github_once(github_env, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LUMEN_GITHUB_WRITE_INTERVAL", "0")
    state = github_env.state
    pull = state.add_pull(
        "Fix the docs build",
        repo=REPO,
        user="alice",
        head="fix/docs-build",
        files=["docs/conf.py", "Makefile"],
        labels=["bug"],
        created_at=datetime(2026, 3, 1, tzinfo=UTC),
    )
    config = tmp_path / "release-drafter.yml"
    config.write_text(RULES)
    meta = tmp_path / "out.json"
    argv = [
        "autolabel",
        "--drafter-config",
        str(config),
        "--github",
        REPO,
        "--pr",
        str(pull.number),
        "--json",
        str(meta),
        "--quiet",
    ]
    assert main(argv) == 0
    doc = json.loads(meta.read_text())
    assert doc["labels"] == ["documentation", "bug"]
    assert doc["added"] == ["documentation"]  # bug was already there
    assert sorted(state.repo(REPO).issues[pull.number].labels) == ["bug", "documentation"]
    assert main(argv) == 0  # again: nothing to add
    assert json.loads(meta.read_text())["added"] == []


def test_no_rules_is_a_config_error(tmp_path: Path, capsys) -> None:
    config = tmp_path / "release-drafter.yml"
    config.write_text("template: x\n")
    (tmp_path / "pr.json").write_text(json.dumps({"title": "x", "head": {"ref": "y"}}))
    rc = main(
        ["autolabel", "--drafter-config", str(config), "--pr-json", str(tmp_path / "pr.json")]
    )
    assert rc == 1
    assert "no autolabeler rules" in capsys.readouterr().err
