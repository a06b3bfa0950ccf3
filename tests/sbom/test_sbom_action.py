"""The sbom action's `submit` input, end to end through the action against the GitHub double."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from harness.action_runner import Runner
from harness.actions import double_env

pytestmark = pytest.mark.github

DATA = Path(__file__).parent / "data"


def test_submit_input_sends_the_snapshot(
    run_action: Runner, github_double: Any, tmp_path: Path
) -> None:
    repo = github_double.state.add_repo("octo-org/app")
    env = {**double_env(github_double, "octo-org/app"), "GITHUB_REF": "refs/heads/main"}
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "uv.lock").write_text((DATA / "uv.lock").read_text())
    result = run_action(
        "sbom",
        {"requirements": "uv.lock", "output": "sbom.cdx.json", "submit": "true"},
        env=env,
        workspace=workspace,
    )
    assert result.returncode == 0, result.log
    [snapshot] = repo.dependency_snapshots
    manifest = snapshot["manifests"]["uv.lock"]
    assert manifest["file"] == {"source_location": "uv.lock"}
    assert any(
        d["package_url"].startswith("pkg:pypi/requests@") for d in manifest["resolved"].values()
    )
