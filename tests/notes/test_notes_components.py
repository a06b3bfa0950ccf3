"""Monorepo components (`lumen notes --component NAME`): each component gets its own PRs (by
the files they changed), its own releases (by tag prefix), tag, version and categories;
against the GitHub double, and offline."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lumen.cli import main

REPO = "octo-org/app"
T0 = datetime(2026, 2, 1, tzinfo=UTC)
LUMEN_CONFIG = """\
notes:
  components:
    api:
      paths: [packages/api/]
      tag-prefix: api-v
      categories:
        - title: API features
          labels: [feature]
          semver-increment: minor
        - title: API fixes
          labels: [bug]
    web:
      paths: ["packages/web/**", "docs/web.md"]
      tag-prefix: web-v
      template: |
        # Web $RESOLVED_VERSION

        $CHANGES
"""


@pytest.fixture
def monorepo(github_env, tmp_path, monkeypatch):
    """api-v1.2.0 and web-v2.3.0 released; then an api feature, a web fix, a change to both
    and a root-only change."""
    state = github_env.state
    base = state.add_commit("both released", repo=REPO, date=T0, files=["README.md"])
    for tag in ("api-v1.2.0", "web-v2.3.0"):
        state.add_tag(tag, base, repo=REPO)
        state.add_release(tag, repo=REPO, target_commitish=base, created_at=T0)
    numbers = {}
    for key, title, labels, files, user in (
        ("api", "Add the orders endpoint", ["feature"], ["packages/api/orders.py"], "alice"),
        ("web", "Fix the cart button", ["bug"], ["packages/web/cart.tsx"], "bob"),
        (
            "both",
            "Share the money type",
            ["bug"],
            ["packages/api/m.py", "packages/web/m.ts"],
            "carol",
        ),
        ("root", "Update the licence", [], ["LICENSE"], "dave"),
    ):
        numbers[key] = state.add_pull(
            title,
            repo=REPO,
            user=user,
            labels=labels,
            files=files,
            merged_at=T0 + timedelta(days=len(numbers) + 1),
        ).number
    config = tmp_path / "lumen.yml"
    config.write_text(LUMEN_CONFIG)
    monkeypatch.chdir(tmp_path)
    return numbers, config


def _component(tmp_path: Path, config: Path, name: str, *extra: str) -> tuple[dict, str]:
    out, meta = tmp_path / f"{name}.md", tmp_path / f"{name}.json"
    argv = ["notes", "--config", str(config), "--component", name, "--target", "main"]
    argv += [*extra, "--output", str(out), "--json", str(meta), "--quiet"]
    assert main(argv) == 0
    return json.loads(meta.read_text()), out.read_text()


def test_each_component_gets_its_prs_tag_and_version(monorepo, tmp_path) -> None:
    numbers, config = monorepo
    api, api_body = _component(tmp_path, config, "api", "--github", REPO)
    assert sorted(api["pull_requests"]) == sorted([numbers["api"], numbers["both"]])
    assert (api["previous_tag"], api["tag_name"], api["name"]) == (
        "api-v1.2.0",
        "api-v1.3.0",
        "api-v1.3.0",
    )
    assert api["resolved_version"] == "1.3.0"  # its own category says minor
    assert api_body == (
        "## What's Changed\n\n"
        f"## API features\n\n* Add the orders endpoint (#{numbers['api']}) @alice\n\n"
        f"## API fixes\n\n* Share the money type (#{numbers['both']}) @carol\n"
    )
    web, web_body = _component(tmp_path, config, "web", "--github", REPO)
    assert sorted(web["pull_requests"]) == sorted([numbers["web"], numbers["both"]])
    assert (web["previous_tag"], web["tag_name"]) == ("web-v2.3.0", "web-v2.3.1")
    assert web_body == (
        "# Web 2.3.1\n\n"
        f"* Share the money type (#{numbers['both']}) @carol\n"
        f"* Fix the cart button (#{numbers['web']}) @bob\n"
    )
    assert "licence" not in api_body + web_body


def test_unknown_component_is_a_config_error(monorepo, tmp_path, capsys) -> None:
    _, config = monorepo
    rc = main(["notes", "--config", str(config), "--component", "mobile", "--github", REPO])
    assert rc == 1
    err = capsys.readouterr().err
    assert "no component 'mobile'" in err and "api, web" in err


def test_component_offline_from_files(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "lumen.yml"
    config.write_text(LUMEN_CONFIG)
    prs = [
        {
            "number": n,
            "title": title,
            "user": {"login": "erin", "type": "User"},
            "labels": [{"name": "bug"}],
            "merged_at": f"2026-02-0{n}T00:00:00Z",
            "html_url": f"https://github.com/{REPO}/pull/{n}",
        }
        for n, title in ((1, "Fix api"), (2, "Fix web"))
    ]
    (tmp_path / "prs.json").write_text(json.dumps(prs))
    (tmp_path / "files.json").write_text(
        json.dumps({"1": ["packages/api/a.py"], "2": ["docs/web.md"]})
    )
    (tmp_path / "releases.json").write_text(
        json.dumps([{"tag_name": "web-v0.9.0", "created_at": "2026-01-01T00:00:00Z"}])
    )
    doc, body = _component(
        tmp_path,
        config,
        "web",
        "--prs-json",
        str(tmp_path / "prs.json"),
        "--pr-files-json",
        str(tmp_path / "files.json"),
        "--releases-json",
        str(tmp_path / "releases.json"),
        "--repository",
        REPO,
    )
    assert doc["pull_requests"] == [2]
    assert doc["tag_name"] == "web-v0.9.1"
    assert body == "# Web 0.9.1\n\n* Fix web (#2) @erin\n"
