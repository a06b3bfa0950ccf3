"""The shipped workflows' jobs, run step by step on the example repository (harness.workflow_runner):
the PR gate with its comment, the nightly check and card, the release's QA gate and SBOM, and
the gate-and-flipback workflow. Static checks live in test_workflows.py; these prove the jobs
are wired so that they actually work."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness.actions import double_env, sticky_comments
from harness.git_origin import example_repository
from harness.workflow_runner import WorkflowRunner, shipped_workflow

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-11-20T18:00:00Z"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A user's repository laid out like examples/, its deploy log on lumen-data of origin (the
    recording workflows push there too)."""
    return example_repository(tmp_path / "workspace", tmp_path / "origin.git")


def runner(tmp_path: Path, repo: Path, workflow: str, **kwargs: Any) -> WorkflowRunner:
    kwargs.setdefault("pin_inputs", {"now": NOW})
    return shipped_workflow(workflow, tmp_path / "run", repo, **kwargs)


def starter_with(name: str) -> dict[str, Any]:
    """The `with:` the example repository's workflow passes to its reusable workflow."""
    starter = yaml.safe_load((ROOT / "examples" / ".github" / "workflows" / name).read_text())
    (job,) = starter["jobs"].values()
    return dict(job.get("with") or {})


def pr_gate(
    tmp_path: Path, repo: Path, env: dict[str, str], event: dict[str, Any]
) -> WorkflowRunner:
    """The example repository's PR gate on a pull_request event."""
    return runner(
        tmp_path,
        repo,
        "pr-gate.yml",
        inputs=starter_with("lumen-pr-gate.yml"),
        env=env,
        event=event,
        event_name="pull_request",
    )


def test_pr_gate_runs_every_gate_uploads_and_comments_once(
    tmp_path: Path, repo: Path, github_pr: tuple[Any, dict[str, str], dict[str, Any]]
) -> None:
    double, env, event = github_pr
    run = pr_gate(tmp_path, repo, env, event)
    gate = run.run_job("gate")
    assert gate.run is not None
    assert gate.conclusion == "success", gate.run.log
    assert set(gate.actions) == {"maturity", "roi", "policy", "integrated"}
    assert all(a.returncode == 0 for a in gate.actions.values())
    assert gate.outputs["verdict"] == gate.actions["integrated"].outputs["verdict"]
    artifact = run.artifacts / "lumen-pr-gate"
    assert sorted(p.name for p in artifact.iterdir()) == [
        "integrated.json",
        "maturity.json",
        "policy.json",
        "policy.sarif",
        "pr-number",
        "roi.json",
    ]
    assert (artifact / "pr-number").read_text() == "7\n"
    assert json.loads((artifact / "policy.json").read_text())["verdict"] == "PASS"

    comment = run.run_job("comment")
    assert comment.conclusion == "success", comment.run.log if comment.run else ""
    assert len(sticky_comments(double, "integrated")) == 1


def test_pr_gate_fails_the_job_on_a_fail_verdict_but_runs_every_gate(
    tmp_path: Path, repo: Path, github_pr: tuple[Any, dict[str, str], dict[str, Any]]
) -> None:
    _, env, event = github_pr
    (repo / "deploy" / "web.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
        "  containers: [{name: c, image: 'nginx:latest'}]\n"
    )
    run = pr_gate(tmp_path, repo, env, event)
    gate = run.run_job("gate")
    assert gate.conclusion == "failure"
    assert gate.run is not None
    assert gate.actions["policy"].outputs["verdict"] == "FAIL"
    assert set(gate.actions) == {"maturity", "roi", "policy", "integrated"}
    assert gate.run.steps[-1].outcome == "failure"  # the Decide step, after every gate ran
    assert any("policy gate: failure/FAIL" in a["message"] for a in gate.run.annotations)


@pytest.fixture
def github_repo(github_double: Any) -> tuple[Any, dict[str, str]]:
    repo = github_double.state.add_repo("octo-org/app")
    github_double.state.add_label("incident", repo=repo)
    env = double_env(github_double, "octo-org/app")
    return github_double, env


def incidents(double: Any) -> list[Any]:
    issues = double.state.repo("octo-org/app").issues.values()
    return [i for i in issues if "incident" in i.labels]


def test_nightly_samples_gates_and_keeps_everything(
    tmp_path: Path, repo: Path, github_repo: tuple[Any, dict[str, str]]
) -> None:
    double, env = github_repo
    run = runner(
        tmp_path,
        repo,
        "nightly.yml",
        inputs=starter_with("lumen-nightly.yml"),
        env=env,
        event_name="schedule",
    )
    check = run.run_job("check")
    assert check.run is not None
    assert check.conclusion == "success", check.run.log
    assert list(check.actions) == ["sampler", "gate"]
    assert check.outputs["verdict"] == "PASS"
    assert check.outputs["failed-step"] == ""
    artifact = run.artifacts / "lumen-nightly"
    names = {p.name for p in artifact.iterdir()}
    assert {"integrated.json", "sample.json", "lumen.prom"} <= names
    assert "lumen_maturity_overall" in (artifact / "lumen.prom").read_text()
    card = run.run_job("card")
    assert card.run is not None
    assert card.conclusion == "success", card.run.log
    assert "Lumen nightly: PASS" in card.run.summary
    assert not incidents(double)


def test_nightly_fail_opens_one_incident_and_fails_the_run(
    tmp_path: Path, repo: Path, github_repo: tuple[Any, dict[str, str]]
) -> None:
    double, env = github_repo
    inputs = {**starter_with("lumen-nightly.yml"), "min-overall": "0.99"}
    run = runner(tmp_path, repo, "nightly.yml", inputs=inputs, env=env, event_name="schedule")
    check = run.run_job("check")
    assert check.outputs["verdict"] == "FAIL"
    assert check.conclusion == "success"  # the gate's FAIL is the card's business
    card = run.run_job("card")
    assert card.conclusion == "failure"
    (notify,) = card.actions.values()  # the card job runs one Lumen action
    assert notify.returncode in {0, 2}
    (incident,) = incidents(double)
    assert incident.state == "open"


def test_nightly_names_the_failure_class_of_a_failed_step(
    tmp_path: Path, repo: Path, github_repo: tuple[Any, dict[str, str]]
) -> None:
    _, env = github_repo
    # The sampler cannot reach its Pushgateway: a network failure, retried, then on the card.
    inputs = {**starter_with("lumen-nightly.yml"), "pushgateway": "http://127.0.0.1:9"}
    run = runner(
        tmp_path,
        repo,
        "nightly.yml",
        inputs=inputs,
        env={**env, "LUMEN_RETRY_DELAYS": "0,0"},
        event_name="schedule",
        # the sampler's own push retries and backoff are its tests' business; keep this fast
        pin_inputs={"now": NOW, "push-retries": "0", "push-backoff": "1s"},
    )
    check = run.run_job("check")
    assert check.outputs["failed-step"] == "loop-sampler", check.run.log if check.run else ""
    log = run.artifacts / "lumen-nightly" / "failed-step.log"
    assert "127.0.0.1:9" in log.read_text(encoding="utf-8")
    # The class is whatever `lumen classify` says of that log (its patterns are its own tests').
    classified = subprocess.run(
        [sys.executable, "-m", "lumen.cli", "classify", str(log)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split(maxsplit=1)[0]
    assert check.outputs["failure-class"] == classified.rstrip(":")
    card = run.run_job("card")
    assert card.run is not None
    expected = f"Step `loop-sampler` failed with class `{check.outputs['failure-class']}`"
    assert expected in card.run.summary
    assert card.conclusion == "failure"


def flipback_inputs(**overrides: str) -> dict[str, str]:
    inputs = {
        "env": "prod",
        "service": "api",
        "min-overall": "",
        "platform": "none",
        "target": "previous",
        "confirm": "no",
        # the example repository's logs (the workflow names none by default: GitHub), kept
        # in the checkout: no data branch
        "events": "events.jsonl",
        "deploys": "deploys.jsonl",
        "state": "",
    }
    return {**inputs, **overrides}


def test_gate_and_flipback_does_nothing_when_the_gate_passes(tmp_path: Path, repo: Path) -> None:
    run = runner(tmp_path, repo, "gate-and-flipback.yml", inputs=flipback_inputs())
    gate = run.run_job("gate")
    assert gate.outputs["verdict"] == "PASS", gate.run.log if gate.run else ""
    assert run.run_job("flipback").conclusion == "skipped"


def test_gate_and_flipback_plans_on_fail_and_executes_only_when_confirmed(
    tmp_path: Path, repo: Path
) -> None:
    before = (repo / "deploys.jsonl").read_text(encoding="utf-8")
    planned = runner(
        tmp_path / "plan",
        repo,
        "gate-and-flipback.yml",
        inputs=flipback_inputs(**{"min-overall": "0.99"}),
    )
    assert planned.run_job("gate").outputs["verdict"] == "FAIL"
    plan = planned.run_job("flipback")
    assert plan.conclusion == "success", plan.run.log if plan.run else ""
    assert plan.outputs["target"] == "1.31.0"
    assert [s.outcome for s in plan.run.steps if s.id == "execute"] == ["skipped"]  # type: ignore[union-attr]
    assert (repo / "deploys.jsonl").read_text(encoding="utf-8") == before

    confirmed = runner(
        tmp_path / "execute",
        repo,
        "gate-and-flipback.yml",
        inputs=flipback_inputs(**{"min-overall": "0.99", "confirm": "yes"}),
    )
    confirmed.run_job("gate")
    execute = confirmed.run_job("flipback")
    assert execute.conclusion == "success", execute.run.log if execute.run else ""
    last = json.loads((repo / "deploys.jsonl").read_text(encoding="utf-8").splitlines()[-1])
    assert (last["action"], last["version"], last["service"]) == ("flipback", "1.31.0", "api")
    artifact = confirmed.artifacts / "lumen-flipback-prod-api"
    assert {"flipback-plan.json", "flipback.json"} <= {p.name for p in artifact.iterdir()}


@pytest.fixture
def release_repo(github_double: Any) -> tuple[Any, dict[str, str]]:
    """v1.4.0 released; two PRs merged since; the target commit cut after them."""
    from datetime import UTC, datetime, timedelta

    state = github_double.state
    repo = state.add_repo("octo-org/app")
    tagged = datetime(2026, 11, 1, tzinfo=UTC)
    state.add_pull("fix: before the tag", repo=repo, user="dave", merged_at=tagged - timedelta(1))
    tag_sha = state.add_commit("release 1.4.0", repo=repo, date=tagged)
    state.add_tag("v1.4.0", tag_sha, repo=repo)
    state.add_release("v1.4.0", repo=repo, target_commitish=tag_sha, published_at=tagged)
    state.add_pull("feat: nightly card", repo=repo, user="alice", merged_at=tagged + timedelta(1))
    state.add_pull("fix: flipback lock", repo=repo, user="bob", merged_at=tagged + timedelta(2))
    target = state.add_commit("cut 1.5.0", repo=repo, date=tagged + timedelta(3))
    env = double_env(github_double, "octo-org/app", target)
    return github_double, env


def release_run(
    tmp_path: Path,
    repo: Path,
    env: dict[str, str],
    sigstore_instance: Any,
    token_env: dict[str, str],
) -> WorkflowRunner:
    run = runner(
        tmp_path,
        repo,
        "release.yml",
        inputs={
            "tag": "v1.5.0",
            "prerelease": False,
            "previous-tag": "v1.4.0",
            # the example repository's logs (the workflow names none by default: GitHub)
            "events": "events.jsonl",
            "deploys": "deploys.jsonl",
        },
        env={**env, **token_env},
        event_name="workflow_dispatch",
        # the loopback Sigstore instance instead of the public one
        pin_inputs={"now": NOW, "trust-config": str(sigstore_instance.trust_config)},
    )
    run.upload(
        "dist", {"app-1.5.0.tar.gz": b"sdist bytes\n" * 64, "app-1.5.0-py3-none-any.whl": b"wheel"}
    )
    return run


def test_release_qa_sbom_sign_notes_then_publish(
    tmp_path: Path,
    repo: Path,
    release_repo: tuple[Any, dict[str, str]],
    sigstore_instance: Any,
) -> None:
    from harness.sigstore import serve_actions_id_token

    double, env = release_repo
    with serve_actions_id_token(sigstore_instance.github_token()) as endpoint:
        run = release_run(tmp_path, repo, env, sigstore_instance, endpoint.environ())
        qa = run.run_job("qa")
        assert qa.outputs["verdict"] == "PASS", qa.run.log if qa.run else ""
        for job in ("sbom", "sign", "notes", "publish"):
            result = run.run_job(job)
            assert result.conclusion == "success", (job, result.run.log if result.run else "")
    signed = {p.name for p in (run.artifacts / "lumen-release-signed").iterdir()}
    assert {
        "app-1.5.0.tar.gz.sigstore.json",
        "app-1.5.0-py3-none-any.whl.sigstore.json",
        "sbom.cdx.json",
        "sbom.cdx.json.sigstore.json",
    } <= signed
    assert run.jobs["notes"].outputs["version"] == "v1.5.0"
    notes = (run.artifacts / "lumen-release-notes" / "notes.md").read_text(encoding="utf-8")
    assert "feat: nightly card" in notes and "before the tag" not in notes
    releases = double.state.repo("octo-org/app").releases
    (published,) = [r for r in releases.values() if r.tag_name == "v1.5.0"]
    assert not published.draft and not published.prerelease
    assets = {a.name for a in published.assets}
    assert "app-1.5.0.tar.gz.sigstore.json" in assets and "sbom.cdx.json" in assets
    assert run.jobs["publish"].outputs["release-url"]


def test_release_is_not_published_when_qa_fails(
    tmp_path: Path,
    repo: Path,
    release_repo: tuple[Any, dict[str, str]],
    sigstore_instance: Any,
) -> None:
    double, env = release_repo
    config = repo / ".github" / "lumen.yml"
    text = config.read_text(encoding="utf-8").replace(
        "integrated:\n", "integrated:\n  qa-min-overall: 0.99\n", 1
    )
    config.write_text(text, encoding="utf-8")
    run = release_run(tmp_path, repo, env, sigstore_instance, {})
    qa = run.run_job("qa")
    assert qa.outputs["verdict"] == "FAIL", qa.run.log if qa.run else ""
    assert qa.conclusion == "success"  # the verdict decides, not the exit code
    run.run_job("sbom")
    assert (run.artifacts / "lumen-release-sbom" / "sbom.cdx.json").exists()
    run.jobs["sign"] = run.jobs["sbom"]  # signing needs OIDC; not what this test is about
    run.run_job("notes")
    assert run.run_job("publish").conclusion == "skipped"
    assert not [
        r for r in double.state.repo("octo-org/app").releases.values() if r.tag_name == "v1.5.0"
    ]


@pytest.mark.prometheus
def test_nightly_pushes_to_a_real_pushgateway(
    tmp_path: Path, repo: Path, github_repo: tuple[Any, dict[str, str]], pushgateway: Any
) -> None:
    _, env = github_repo
    inputs = {**starter_with("lumen-nightly.yml"), "pushgateway": pushgateway.url}
    run = runner(tmp_path, repo, "nightly.yml", inputs=inputs, env=env, event_name="schedule")
    check = run.run_job("check")
    assert check.run is not None
    assert check.conclusion == "success", check.run.log
    assert check.outputs["failed-step"] == ""
    assert check.actions["sampler"].outputs["verdict"] in {"PASS", "WARN", "NO_DATA"}
    exposition = pushgateway.metrics()
    assert 'job="lumen_sampler"' in exposition
    assert "lumen_maturity_overall" in exposition
    assert not (run.artifacts / "lumen-nightly" / "lumen.prom").exists()  # pushed, no textfile
