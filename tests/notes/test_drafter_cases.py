"""release-drafter's own end-to-end cases (tests/notes/data/drafter/cases.yml), each config read
unchanged through `lumen notes --drafter-config` offline: the body, name and tag release-drafter
writes, byte for byte, and the other fields of its release payload where the case names them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from lumen.cli import main
from release.drafter import LAST_RELEASE_NOT_FOUND

DATA = Path(__file__).parent / "data" / "drafter"
REPOSITORY = "toolmantim/release-drafter-test-project"
CASES: list[dict[str, Any]] = yaml.safe_load((DATA / "cases.yml").read_text(encoding="utf-8"))
NOT_FOUND = (
    "\n---\n"
    + LAST_RELEASE_NOT_FOUND.replace("$OWNER", "toolmantim").replace(
        "$REPOSITORY", "release-drafter-test-project"
    )
    + "\n---\n"
)


def _commits_file(name: str) -> Path:
    for prefix in ("history", "comparison"):
        path = DATA / f"{prefix}-{name}.json"
        if path.is_file():
            return path
    raise FileNotFoundError(name)


def run_case(case: dict[str, Any], tmp_path: Path) -> tuple[int, dict[str, Any], str]:
    config = tmp_path / "release-drafter.yml"
    config.write_text(case["config"], encoding="utf-8")
    out, meta = tmp_path / "body.md", tmp_path / "release.json"
    argv = [
        "notes",
        "--drafter-config",
        str(config),
        "--prs-json",
        str(_commits_file(case["history"])),
        "--releases-json",
        str(DATA / f"releases-{case['releases']}.json"),
        "--repository",
        REPOSITORY,
        "--target",
        case.get("ref", "refs/heads/master"),
        "--output",
        str(out),
        "--json",
        str(meta),
        "--quiet",
    ]
    if "files" in case:
        argv += ["--pr-files-json", str(DATA / case["files"])]
    for path, file in (case.get("path-history") or {}).items():
        argv += ["--path-history-json", f"{path}={DATA / file}"]
    for key, value in (case.get("inputs") or {}).items():
        argv += ["--drafter-input", f"{key}={value}"]
    rc = main(argv)
    return rc, json.loads(meta.read_text(encoding="utf-8")), out.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_release_drafter_case(case: dict[str, Any], tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    for key in ("GITHUB_REF", "GITHUB_REPOSITORY", "GITHUB_ACTIONS", "GITHUB_OUTPUT"):
        monkeypatch.delenv(key, raising=False)
    rc, document, body = run_case(case, tmp_path)
    assert rc == 0
    expect = dict(case["expect"])
    if "body" in expect:
        wanted = expect.pop("body").replace("{NOT_FOUND}", NOT_FOUND)
        assert body == wanted
        assert document["body"] == wanted
    for key, value in expect.items():
        assert document[key] == value, key


def test_every_case_names_a_distinct_id() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)) >= 70
