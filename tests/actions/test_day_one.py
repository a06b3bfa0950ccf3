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
from harness.actions import PR_REPOSITORY
from harness.git_origin import branch_file
from harness.workflow_runner import WorkflowRunner, shipped_workflow

from lumen.cli import main
from lumen.fileio import files_under

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
GATES = ("maturity", "roi", "integrated")

sys.path.insert(0, str(ROOT / "tests" / "trend"))
from weeks import DEGRADING, HEALTHY, seed_github  # noqa: E402


def empty_repository(tmp_path: Path) -> Path:
    """An empty git repository whose origin is a bare repository on disk (the recording
    workflows push their state to its data branch)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "init", "-q", "--bare", str(tmp_path / "origin.git")], check=True)
    subprocess.run(
        ["git", "-C", str(repo), "remote", "add", "origin", str(tmp_path / "origin.git")],
        check=True,
    )
    return repo


def pinned_runner(tmp_path: Path, repo: Path, workflow: str, **kwargs: Any) -> WorkflowRunner:
    """The shipped `workflow` run in `repo` as a starter calls it, the clock pinned at NOW."""
    pin = {"now": NOW.strftime("%Y-%m-%dT%H:%M:%SZ")}
    return shipped_workflow(workflow, tmp_path / "run", repo, pin_inputs=pin, **kwargs)


def day_one(tmp_path: Path, github_pr: tuple[Any, dict[str, str], dict[str, Any]], weeks: Any):
    """`git init`, `lumen init`, then the PR gate's `gate` job as the written starter calls it."""
    double, env, event = github_pr
    seed_github(double.state, PR_REPOSITORY, weeks, NOW)
    repo = empty_repository(tmp_path)
    assert main(["init", "--dir", str(repo), "--quiet"]) == 0
    starter = yaml.safe_load((repo / ".github" / "workflows" / "lumen-pr-gate.yml").read_text())
    (job,) = starter["jobs"].values()
    assert job["uses"].endswith("/.github/workflows/pr-gate.yml@v1")
    inputs = dict(job.get("with") or {})
    runner = pinned_runner(
        tmp_path,
        repo,
        "pr-gate.yml",
        inputs=inputs,
        env=env,
        event=event,
        event_name="pull_request",
    )
    gate = runner.run_job("gate")
    # The user's files only: the job's Lumen checkout (.lumen-ci) carries Lumen's examples.
    data = [p.name for p in files_under(repo, "*.jsonl")]
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
    repo = empty_repository(tmp_path)
    assert main(["init", "--dir", str(repo), "--workflows", "nightly", "--quiet"]) == 0
    starter = yaml.safe_load((repo / ".github" / "workflows" / "lumen-nightly.yml").read_text())
    (job,) = starter["jobs"].values()
    inputs = dict(job.get("with") or {})
    runner = pinned_runner(
        tmp_path, repo, "nightly.yml", inputs=inputs, env=env, event_name="schedule"
    )
    check = runner.run_job("check")
    assert check.run is not None
    assert check.conclusion == "success", check.run.log
    assert "sampler" not in check.actions  # skipped: nothing to sample
    assert check.actions["gate"].returncode == 0, check.actions["gate"].stderr
    assert check.outputs["verdict"] in ("PASS", "WARN")
    assert recorded_verdicts(tmp_path) == [check.outputs["verdict"]]  # on the data branch
    assert check.outputs.get("failed-step", "") == ""


def starter_job(repo: Path, name: str) -> dict[str, Any]:
    """`lumen init --workflows <name>` in `repo`; the one job of the starter it wrote."""
    assert main(["init", "--dir", str(repo), "--workflows", name, "--quiet"]) == 0
    starter = yaml.safe_load((repo / ".github" / "workflows" / f"lumen-{name}.yml").read_text())
    (job,) = [j for j in starter["jobs"].values() if "uses" in j]
    assert "events" not in (job.get("with") or {}) and "deploys" not in (job.get("with") or {})
    return dict(job)


def given(job: dict[str, Any], **dispatch: Any) -> dict[str, Any]:
    """The job's `with:` as the starter passes it, `${{ inputs.x }}` resolved from `dispatch`."""
    out = {}
    for key, value in (job.get("with") or {}).items():
        text = str(value)
        if text.startswith("${{ inputs.") and text.endswith("}}"):
            value = dispatch[text.removeprefix("${{ inputs.").removesuffix("}}").strip()]
        out[key] = value
    return out


def seeded_starter(
    tmp_path: Path,
    github_pr: tuple[Any, dict[str, str], dict[str, Any]],
    weeks: str,
    name: str,
    workflow: str,
) -> tuple[Path, dict[str, Any], dict[str, str]]:
    """The GitHub double seeded with the `weeks` ("healthy" or "degrading"), an empty repository,
    and the job of the starter `lumen init --workflows <name>` wrote there, which calls the
    shipped `workflow`: (repository, job, the job's env)."""
    double, env, _ = github_pr
    seed_github(double.state, PR_REPOSITORY, HEALTHY if weeks == "healthy" else DEGRADING, NOW)
    repo = empty_repository(tmp_path)
    job = starter_job(repo, name)
    assert job["uses"].endswith(f"/.github/workflows/{workflow}@v1")
    return repo, job, env


def recorded_verdicts(tmp_path: Path) -> list[str]:
    """The verdicts the run pushed to the ledger on origin's data branch lumen-data."""
    ledger = branch_file(tmp_path / "origin.git", "lumen-data", "ledger.jsonl") or b""
    return [json.loads(line)["verdict"] for line in ledger.splitlines()]


def failed_reasons(result: dict[str, Any]) -> str:
    return " | ".join(c["reason"] for c in result["checks"] if c["verdict"] == "FAIL")


@pytest.mark.github
@pytest.mark.parametrize("weeks", ["healthy", "degrading"])
def test_day_one_release_qa_reads_github_without_data_files(
    weeks: str, tmp_path: Path, github_pr: tuple[Any, dict[str, str], dict[str, Any]]
) -> None:
    """The release starter `lumen init --workflows release` writes, its QA job with no data
    file: the healthy weeks pass (the spectrum of CI runs is advisory), the degrading weeks
    FAIL naming what degraded, and nothing is published."""
    repo, job, env = seeded_starter(tmp_path, github_pr, weeks, "release", "release.yml")
    inputs = given(job, tag="v1.0.0", prerelease=False)
    runner = pinned_runner(
        tmp_path, repo, "release.yml", inputs=inputs, env=env, event_name="workflow_dispatch"
    )
    qa = runner.run_job("qa")
    assert qa.run is not None
    assert qa.conclusion == "success", qa.run.log  # the verdict decides, not the exit code
    assert [p.name for p in files_under(repo, "*.jsonl")] == []  # not .lumen-ci's
    result = json.loads((runner.artifacts / "lumen-release-qa" / "qa.json").read_text())
    assert result["mode"] == "pre"
    assert recorded_verdicts(tmp_path) == [result["verdict"]]  # on the data branch
    assert result["inputs"]["github"]["repository"] == PR_REPOSITORY
    if weeks == "healthy":
        assert qa.outputs["verdict"] in ("PASS", "WARN"), result
        assert qa.actions["qa"].returncode == 0, qa.actions["qa"].stderr
        return
    assert qa.outputs["verdict"] == "FAIL"
    reasons = failed_reasons(result)
    assert "CI failure rate degraded" in reasons and "incidents burst: 5" in reasons
    for later in ("sbom", "sign", "notes"):  # their work is not what this test is about
        runner.jobs[later] = runner.jobs["qa"]
    assert runner.run_job("publish").conclusion == "skipped"


@pytest.mark.github
@pytest.mark.parametrize("weeks", ["healthy", "degrading"])
def test_day_one_gate_and_flipback_reads_github_without_data_files(
    weeks: str, tmp_path: Path, github_pr: tuple[Any, dict[str, str], dict[str, Any]]
) -> None:
    """The flipback starter `lumen init --workflows flipback` writes, dispatched with its
    defaults: the healthy weeks pass and nothing is planned; the degrading weeks FAIL naming
    what degraded, and the flipback is planned (not executed) from GitHub's deployments."""
    workflow = "gate-and-flipback.yml"
    repo, job, env = seeded_starter(tmp_path, github_pr, weeks, "flipback", workflow)
    dispatch = {"env": "prod", "service": "api", "min-overall": "", "platform": "github"}
    inputs = given(job, **dispatch, target="previous", confirm="no")
    runner = pinned_runner(
        tmp_path, repo, workflow, inputs=inputs, env=env, event_name="workflow_dispatch"
    )
    gate = runner.run_job("gate")
    assert gate.run is not None
    assert gate.conclusion == "success", gate.run.log
    result = json.loads((runner.artifacts / "lumen-gate-prod-api" / "integrated.json").read_text())
    assert result["inputs"]["github"]["repository"] == PR_REPOSITORY
    assert recorded_verdicts(tmp_path) == [result["verdict"]]  # on the data branch
    flipback = runner.run_job("flipback")
    assert [p.name for p in files_under(repo, "*.jsonl")] == []  # not .lumen-ci's
    if weeks == "healthy":
        assert gate.outputs["verdict"] in ("PASS", "WARN"), result
        assert flipback.conclusion == "skipped"
        return
    assert gate.outputs["verdict"] == "FAIL"
    reasons = failed_reasons(result)
    assert "CI failure rate degraded" in reasons and "rollbacks burst: 6" in reasons
    assert flipback.run is not None
    assert flipback.conclusion == "success", flipback.run.log
    assert flipback.outputs["target"]  # the last successful deployment's ref
    assert [s.outcome for s in flipback.run.steps if s.id == "execute"] == ["skipped"]
