"""Issue 18's must-show, day one in a real repository: in an empty git repository, `lumen init`,
then the PR gate's jobs exactly as the starter it wrote calls them (harness.workflow_runner),
against the GitHub double (GITHUB_API_URL, GITHUB_REPOSITORY, GITHUB_TOKEN) seeded with the
healthy weeks: green. Seeded with the degrading weeks: red, and the reason names what degraded.
No data file exists in the repository either time."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness.action_runner import dev_venv
from harness.actions import PR_REPOSITORY
from harness.workflow_runner import WorkflowRunner

from lumen.cli import main

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
GATES = ("maturity", "roi", "integrated")

sys.path.insert(0, str(ROOT / "tests" / "trend"))
from weeks import DEGRADING, HEALTHY, seed_github  # noqa: E402


def day_one(tmp_path: Path, github_pr: tuple[Any, dict[str, str], dict[str, Any]], weeks: Any):
    """`git init`, `lumen init`, then the PR gate's `gate` job as the written starter calls it."""
    double, env, event = github_pr
    seed_github(double.state, PR_REPOSITORY, weeks, NOW)
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    assert main(["init", "--dir", str(repo), "--quiet"]) == 0
    starter = yaml.safe_load((repo / ".github" / "workflows" / "lumen-pr-gate.yml").read_text())
    (job,) = starter["jobs"].values()
    assert job["uses"].endswith("/.github/workflows/pr-gate.yml@v1")
    runner = WorkflowRunner(
        ROOT / "workflows" / "pr-gate.yml",
        workdir=tmp_path / "run",
        workspace=repo,
        inputs=dict(job.get("with") or {}),
        env=env,
        event=event,
        event_name="pull_request",
        action_venv=dev_venv(),
        pin_inputs={"now": NOW.strftime("%Y-%m-%dT%H:%M:%SZ")},
    )
    gate = runner.run_job("gate")
    data = [p.name for p in repo.rglob("*.jsonl")]
    assert data == [], f"the gate needed data files: {data}"
    results = {
        name: json.loads((runner.artifacts / "lumen-pr-gate" / f"{name}.json").read_text())
        for name in GATES
    }
    return gate, results


@pytest.mark.github
def test_day_one_healthy_weeks_are_green(
    tmp_path: Path, github_pr: tuple[Any, dict[str, str], dict[str, Any]]
) -> None:
    gate, results = day_one(tmp_path, github_pr, HEALTHY)
    assert gate.run is not None
    assert gate.conclusion == "success", gate.run.log
    for name in GATES:
        assert gate.actions[name].returncode == 0, gate.actions[name].stderr
        assert results[name]["verdict"] in ("PASS", "WARN"), results[name]
        assert results[name]["inputs"]["github"]["repository"] == PR_REPOSITORY
        assert results[name]["inputs"]["github"]["requests"] <= 20


@pytest.mark.github
def test_day_one_degrading_weeks_are_red_naming_the_degradation(
    tmp_path: Path, github_pr: tuple[Any, dict[str, str], dict[str, Any]]
) -> None:
    gate, results = day_one(tmp_path, github_pr, DEGRADING)
    assert gate.run is not None
    assert gate.conclusion == "failure"
    assert gate.run.steps[-1].outcome == "failure"  # the Decide step, after every gate ran
    for name in GATES:
        assert gate.actions[name].returncode == 2, gate.actions[name].stderr
        assert results[name]["verdict"] == "FAIL"
        reasons = " | ".join(c["reason"] for c in results[name]["checks"] if c["verdict"] == "FAIL")
        assert "CI failure rate degraded" in reasons
        assert "rollbacks burst: 6" in reasons
        assert "incidents burst: 5" in reasons
    annotations = " ".join(a["message"] for a in gate.run.annotations)
    assert "integrated gate: failure/FAIL" in annotations


@pytest.mark.github
def test_day_one_nightly_gates_on_github_without_data_files(
    tmp_path: Path, github_pr: tuple[Any, dict[str, str], dict[str, Any]]
) -> None:
    """The nightly starter as `lumen init --workflows nightly` writes it: no event log, so the
    sampler is skipped and the integrated gate reads the repository's GitHub activity."""
    double, env, _ = github_pr
    seed_github(double.state, PR_REPOSITORY, HEALTHY, NOW)
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    assert main(["init", "--dir", str(repo), "--workflows", "nightly", "--quiet"]) == 0
    starter = yaml.safe_load((repo / ".github" / "workflows" / "lumen-nightly.yml").read_text())
    (job,) = starter["jobs"].values()
    runner = WorkflowRunner(
        ROOT / "workflows" / "nightly.yml",
        workdir=tmp_path / "run",
        workspace=repo,
        inputs=dict(job.get("with") or {}),
        env=env,
        event_name="schedule",
        action_venv=dev_venv(),
        pin_inputs={"now": NOW.strftime("%Y-%m-%dT%H:%M:%SZ")},
    )
    check = runner.run_job("check")
    assert check.run is not None
    assert check.conclusion == "success", check.run.log
    assert "sampler" not in check.actions  # skipped: nothing to sample
    assert check.actions["gate"].returncode == 0, check.actions["gate"].stderr
    assert check.outputs["verdict"] in ("PASS", "WARN")
    assert check.outputs.get("failed-step", "") == ""
