"""Issue 18, workflows that hold on github.com: the fork path of the PR gate.

A pull request from a fork runs the PR gate (workflows/pr-gate.yml) with a read-only token and
the fork's own files, workflow and config; it uploads the artifact `lumen-pr-gate`. The
fork-safe commenter (workflows/comment.yml, from `workflow_run`) then posts the comment and the
check run `lumen/integrated` with a write token. Decision (docs/workflows.md, "The fork path"):
that verdict is re-derived by the trusted job from the base repository's default branch and
the repository's GitHub activity; the artifact only names the pull request, checked against the
gate run. A fork cannot forge a passing check, and a run whose pull request moved on to a newer
commit ends with the comment job skipped, not red.

Everything runs in harness.workflow_runner against the GitHub double, the fork modelled as a
second repository holding the pull request's head branch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness.actions import PR_REPOSITORY, sticky_comments
from harness.git_origin import example_repository
from harness.workflow_runner import WorkflowRunner, shipped_workflow

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-11-20T18:00:00Z"
FORK = "fork-owner/app"
RUN_ID = "1658821493"  # the harness's github.run_id: the commenter finds the gate's artifact


def starter_with(name: str) -> dict[str, Any]:
    """The literal `with:` of the example repository's starter (expressions left out)."""
    starter = yaml.safe_load((ROOT / "examples" / ".github" / "workflows" / name).read_text())
    (job,) = starter["jobs"].values()
    return {k: v for k, v in (job.get("with") or {}).items() if "${{" not in str(v)}


def repository(tmp_path: Path, name: str) -> Path:
    """A checkout laid out like examples/ whose origin is a bare repository on disk with the
    deploy log on lumen-data: the gates read `deploys` there and the commenter its chart,
    fetched read-only."""
    return example_repository(tmp_path / name, tmp_path / f"{name}-origin.git")


@pytest.fixture
def fork_pr(
    github_pr: tuple[Any, dict[str, str], dict[str, Any]],
) -> tuple[Any, dict[str, str], dict[str, Any]]:
    """Pull request #7 of octo-org/app with its head branch `feature-7` in the fork."""
    double, env, event = github_pr
    double.state.add_repo(FORK)
    double.state.pull(7, PR_REPOSITORY).head_repo = FORK
    event["pull_request"]["head"]["repo"]["full_name"] = FORK
    return double, env, event


def fork_gate(tmp_path: Path, env: dict[str, str], event: dict[str, Any]) -> WorkflowRunner:
    """The PR gate as the fork's pull request runs it: the fork's files, read-only token."""
    run = shipped_workflow(
        "pr-gate.yml",
        tmp_path / "run",
        repository(tmp_path, "fork"),
        inputs=starter_with("lumen-pr-gate.yml"),
        env=env,
        event=event,
        event_name="pull_request",
        pin_inputs={"now": NOW},
    )
    assert run.run_job("gate").conclusion == "success"
    assert run.run_job("comment").conclusion == "skipped"  # no write token for forks
    return run


def commenter(
    tmp_path: Path, base: Path, env: dict[str, str], head_sha: str, **inputs: str
) -> WorkflowRunner:
    """comment.yml as the example's lumen-comment.yml calls it, from the workflow_run event of
    the gate's run, in the base repository (its default branch checked out in `base`)."""
    return shipped_workflow(
        "comment.yml",
        tmp_path / "run",  # the same artifact store: run-id names the gate's run
        base,
        inputs={
            **starter_with("lumen-comment.yml"),
            "run-id": RUN_ID,
            "head-sha": head_sha,
            **inputs,
        },
        env=env,
        event={
            "workflow_run": {
                "id": int(RUN_ID),
                "event": "pull_request",
                "head_sha": head_sha,
                "head_branch": "feature-7",
                "head_repository": {"full_name": FORK},
            }
        },
        event_name="workflow_run",
        pin_inputs={"now": NOW},
    )


def check_runs(double: Any) -> list[Any]:
    return [
        c
        for c in double.state.repo(PR_REPOSITORY).check_runs.values()
        if c.name.startswith("lumen/")
    ]


def test_the_comment_starter_judges_the_same_data_as_the_gate_starter() -> None:
    """The re-derived verdict is the gate's only if both starters name the same data."""
    keys = ("events", "deploys", "config", "env", "service", "state")
    for folder in ("workflows/starters", "examples/.github/workflows"):
        gate, comment = (
            yaml.safe_load((ROOT / folder / name).read_text())["jobs"]["lumen"]["with"]
            for name in ("lumen-pr-gate.yml", "lumen-comment.yml")
        )
        assert {k: gate.get(k) for k in keys} == {k: comment.get(k) for k in keys}, folder


def test_a_fork_pull_request_gets_the_verdict_the_trusted_job_derives(
    tmp_path: Path, fork_pr: tuple[Any, dict[str, str], dict[str, Any]]
) -> None:
    double, env, event = fork_pr
    fork_gate(tmp_path, env, event)
    head_sha = double.state.pull(7, PR_REPOSITORY).head_sha
    run = commenter(tmp_path, repository(tmp_path, "base"), env, head_sha)
    pr = run.run_job("pr")
    assert pr.conclusion == "success", pr.run.log if pr.run else ""
    assert pr.outputs == {"number": "7", "current": "true"}
    job = run.run_job("comment")
    assert job.conclusion == "success", job.run.log if job.run else ""
    assert "integrated" in job.actions and len(job.actions) == 2  # the gate, then the comment
    verdict = job.actions["integrated"].outputs["verdict"]
    assert verdict in {"PASS", "WARN"}
    assert len(sticky_comments(double, "integrated")) == 1
    (check,) = check_runs(double)
    assert (check.name, check.head_sha) == ("lumen/integrated", head_sha)
    assert check.conclusion in {"success", "neutral"}


def test_a_forged_passing_artifact_cannot_pass_the_check(
    tmp_path: Path, fork_pr: tuple[Any, dict[str, str], dict[str, Any]]
) -> None:
    """The fork's gate passes (its own config, its own run) and its artifact says PASS; the
    base repository's config holds a stricter floor. The check run says what the base's rules
    say: FAIL."""
    double, env, event = fork_pr
    gate = fork_gate(tmp_path, env, event)
    artifact = gate.artifacts / "lumen-pr-gate" / "integrated.json"
    forged = json.loads(artifact.read_text())
    forged["verdict"] = "PASS"
    artifact.write_text(json.dumps(forged))
    base = repository(tmp_path, "base")
    config = base / ".github" / "lumen.yml"
    strict = config.read_text().replace("min-overall: 0.60", "min-overall: 0.99")
    assert strict != config.read_text()
    config.write_text(strict)
    head_sha = double.state.pull(7, PR_REPOSITORY).head_sha
    run = commenter(tmp_path, base, env, head_sha)
    assert run.run_job("pr").outputs["current"] == "true"
    job = run.run_job("comment")
    assert job.actions["integrated"].outputs["verdict"] == "FAIL"
    (check,) = check_runs(double)
    assert (check.name, check.head_sha, check.conclusion) == (
        "lumen/integrated",
        head_sha,
        "failure",
    )
    (comment,) = sticky_comments(double, "integrated")
    assert "FAIL" in comment.body


def test_a_superseded_fork_run_ends_skipped_not_red(
    tmp_path: Path, fork_pr: tuple[Any, dict[str, str], dict[str, Any]]
) -> None:
    """The fork pushed again while the gate ran: the pull request's head is a newer commit of
    the same fork branch. The run's comment job is skipped (the newer run comments); nothing is
    posted and nothing is red."""
    double, env, event = fork_pr
    fork_gate(tmp_path, env, event)
    pull = double.state.pull(7, PR_REPOSITORY)
    ran_on = pull.head_sha
    pull.head_sha = double.state.add_commit("Push again", repo=PR_REPOSITORY, branch="feature-7")
    run = commenter(tmp_path, repository(tmp_path, "base"), env, ran_on)
    pr = run.run_job("pr")
    assert pr.conclusion == "success", pr.run.log if pr.run else ""
    assert pr.outputs["current"] == "false"
    assert pr.run is not None and "moved on" in pr.run.stdout
    assert run.run_job("comment").conclusion == "skipped"
    assert not double.state.repo(PR_REPOSITORY).comments
    assert not check_runs(double)


def test_an_artifact_naming_another_pull_request_is_refused(
    tmp_path: Path, fork_pr: tuple[Any, dict[str, str], dict[str, Any]]
) -> None:
    """A poisoned artifact: the fork claims to be PR 8 (another branch). Not superseded but
    wrong: the run is red and nothing is posted."""
    double, env, event = fork_pr
    double.state.add_pull("Someone else's change", repo=PR_REPOSITORY, number=8)
    gate = fork_gate(tmp_path, env, event)
    (gate.artifacts / "lumen-pr-gate" / "pr-number").write_text("8\n")
    head_sha = double.state.pull(7, PR_REPOSITORY).head_sha
    run = commenter(tmp_path, repository(tmp_path, "base"), env, head_sha)
    pr = run.run_job("pr")
    assert pr.conclusion == "failure"
    assert pr.run is not None and "not commenting" in pr.run.stdout
    assert run.run_job("comment").conclusion == "skipped"
    assert not double.state.repo(PR_REPOSITORY).comments
    assert not check_runs(double)
