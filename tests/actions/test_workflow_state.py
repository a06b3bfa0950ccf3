"""State that outlives the runner, as the shipped workflows keep it (issue 18): the nightly, the
release and the gate-and-flipback workflows write their verdicts (and the flipback its deploy
event) to the data branch `lumen-data` of `origin` by default, through real git against a bare
repository on disk. Jobs running at once lose nothing and the ledger's chain verifies; the
input `state: ""` keeps nothing."""

from __future__ import annotations

import json
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness.actions import PR_REPOSITORY, double_env, sticky_comments
from harness.git_origin import branch_file, branches, clone, git, make_origin
from harness.workflow_runner import JobResult, WorkflowRunner, shipped_workflow

from lumen.cli import main

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
PINNED = {"now": NOW.strftime("%Y-%m-%dT%H:%M:%SZ")}
BRANCH = "lumen-data"

sys.path.insert(0, str(ROOT / "tests" / "trend"))
sys.path.insert(0, str(ROOT / "tests" / "state"))
from git_http import git_http_server  # noqa: E402
from weeks import DEGRADING, HEALTHY, seed_github  # noqa: E402


def workflow_default(workflow: str, name: str) -> Any:
    on = yaml.safe_load((ROOT / "workflows" / workflow).read_text())[True]
    return on["workflow_call"]["inputs"][name]["default"]


def run_jobs(runner: WorkflowRunner, *jobs: str) -> dict[str, JobResult]:
    return {job: runner.run_job(job) for job in jobs}


def make_runner(
    workflow: str,
    tmp_path: Path,
    workspace: Path,
    inputs: dict[str, Any],
    env: dict[str, str],
    **kwargs: Any,
) -> WorkflowRunner:
    kwargs.setdefault("event_name", "workflow_dispatch")
    return shipped_workflow(
        workflow, tmp_path, workspace, inputs=inputs, env=env, pin_inputs=PINNED, **kwargs
    )


def user_repository(tmp_path: Path) -> tuple[Path, Path]:
    """(checkout, bare origin): a repository with the config `lumen init` writes, no data file."""
    workspace = tmp_path / "workspace"
    workspace.mkdir(parents=True)
    assert main(["init", "--dir", str(workspace), "--no-workflows", "--quiet"]) == 0
    return workspace, make_origin(workspace, tmp_path / "origin.git")


def verified_ledger(bare: Path, tmp_path: Path) -> list[dict[str, Any]]:
    """The ledger on the data branch, after `lumen ledger verify` passed on it."""
    data = branch_file(bare, BRANCH, "ledger.jsonl")
    assert data is not None, f"no ledger.jsonl on {BRANCH}"
    copy = tmp_path / "ledger-from-branch.jsonl"
    copy.write_bytes(data)
    assert main(["ledger", "verify", str(copy), "--quiet"]) == 0
    return [json.loads(line) for line in data.splitlines()]


@pytest.fixture
def double_env_of(github_double: Any) -> Any:
    def seeded(weeks: Any) -> dict[str, str]:
        github_double.state.add_repo(PR_REPOSITORY)
        seed_github(github_double.state, PR_REPOSITORY, weeks, NOW)
        return double_env(github_double, PR_REPOSITORY)

    return seeded


def test_the_recording_workflows_keep_state_on_lumen_data_by_default() -> None:
    for workflow in ("nightly.yml", "release.yml", "gate-and-flipback.yml"):
        assert workflow_default(workflow, "state") == BRANCH, workflow


@pytest.mark.github
def test_nightly_verdicts_accumulate_on_the_data_branch(tmp_path: Path, double_env_of: Any) -> None:
    env = double_env_of(HEALTHY)
    workspace, bare = user_repository(tmp_path)
    for night in ("first", "second"):
        runner = make_runner("nightly.yml", tmp_path / night, workspace, {}, env)
        check = runner.run_job("check")
        assert check.run is not None
        assert check.conclusion == "success", check.run.log
        assert check.outputs["verdict"] in ("PASS", "WARN"), check.actions["gate"].stderr
    assert branches(bare) == ["lumen-data", "main"]
    entries = verified_ledger(bare, tmp_path)
    assert [(e["gate"], e["verdict"]) for e in entries] == [
        ("integrated", check.outputs["verdict"])
    ] * 2
    assert not (workspace / "ledger.jsonl").exists()  # on the branch, not the runner's disk


@pytest.mark.github
def test_the_nightly_sampler_keeps_its_history_on_the_data_branch(
    tmp_path: Path, double_env_of: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With event logs named the loop sampler runs too: its run history (and spool) are on the
    branch, so the second night's checkout, a fresh clone, sees the first night's run. The loop
    events are a file of the checkout; the deploy log is on the branch (where record-event
    appends), moved there once with `lumen state push`."""
    env = double_env_of(HEALTHY)
    seed = tmp_path / "seed"
    shutil.copytree(ROOT / "examples", seed, ignore=shutil.ignore_patterns("out", ".github"))
    assert main(["init", "--dir", str(seed), "--no-workflows", "--quiet"]) == 0
    bare = make_origin(seed, tmp_path / "origin.git")
    monkeypatch.chdir(seed)
    assert main(["state", "push", "deploys.jsonl", "--quiet"]) == 0
    monkeypatch.chdir(tmp_path)
    inputs = {"events": "events.jsonl", "deploys": "deploys.jsonl"}
    for night in ("first", "second"):
        workspace = clone(bare, tmp_path / f"checkout-{night}")
        runner = make_runner("nightly.yml", tmp_path / night, workspace, inputs, env)
        check = runner.run_job("check")
        assert check.run is not None
        assert check.conclusion == "success", check.run.log
        assert check.outputs["failed-step"] == "", check.run.log
        assert check.actions["sampler"].returncode in (0, 2), check.actions["sampler"].stderr
        assert not (workspace / ".lumen" / "sampler-history.jsonl").exists()
    history = branch_file(bare, BRANCH, ".lumen/sampler-history.jsonl")
    assert history is not None
    runs = [json.loads(line) for line in history.splitlines()]
    assert len([r for r in runs if r.get("type", "run") == "run"]) == 2, runs
    assert len(verified_ledger(bare, tmp_path)) == 2


@pytest.mark.github
def test_two_releases_at_once_lose_no_qa_verdict(tmp_path: Path, double_env_of: Any) -> None:
    env = double_env_of(HEALTHY)
    _, bare = user_repository(tmp_path)

    def qa(tag: str) -> JobResult:
        workspace = clone(bare, tmp_path / f"checkout-{tag}")
        inputs = {"tag": tag, "prerelease": False}
        return make_runner("release.yml", tmp_path / tag, workspace, inputs, env).run_job("qa")

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(qa, ["v1.0.0", "v1.0.1"]))
    for result in results:
        assert result.run is not None
        assert result.conclusion == "success", result.run.log
        assert result.outputs["verdict"] in ("PASS", "WARN"), result.run.log
        assert result.actions["qa"].returncode == 0, result.actions["qa"].stderr
    entries = verified_ledger(bare, tmp_path)
    assert len(entries) == 2 and {e["gate"] for e in entries} == {"integrated"}


@pytest.mark.github
def test_two_flipbacks_at_once_record_everything_on_the_data_branch(
    tmp_path: Path, double_env_of: Any
) -> None:
    """The degrading weeks: two services' gates FAIL at once and both flip back (platform
    github, confirmed); every verdict and flipback is on the branch, the chain verifies."""
    env = double_env_of(DEGRADING)
    _, bare = user_repository(tmp_path)

    def gate_and_flipback(service: str) -> dict[str, JobResult]:
        workspace = clone(bare, tmp_path / f"checkout-{service}")
        inputs = {"env": "prod", "service": service, "platform": "github", "confirm": "yes"}
        runner = make_runner("gate-and-flipback.yml", tmp_path / service, workspace, inputs, env)
        return run_jobs(runner, "gate", "flipback")

    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = dict(zip(("api", "web"), pool.map(gate_and_flipback, ["api", "web"]), strict=True))
    for service, jobs in runs.items():
        for name, job in jobs.items():
            assert job.run is not None, (service, name)
            assert job.conclusion == "success", (service, name, job.run.log)
        assert jobs["gate"].outputs["verdict"] == "FAIL"
        assert jobs["flipback"].outputs["target"]
    entries = verified_ledger(bare, tmp_path)
    gates = sorted(e["service"] for e in entries if e.get("gate") == "integrated")
    assert gates == ["api", "web"]
    assert len(entries) == 4, entries  # two verdicts, two flipbacks
    deploys = branch_file(bare, BRANCH, "deploys.jsonl")
    assert deploys is not None
    events = [json.loads(line) for line in deploys.splitlines()]
    assert sorted((e["action"], e["service"]) for e in events) == [
        ("flipback", "api"),
        ("flipback", "web"),
    ]


@pytest.mark.github
def test_the_push_authenticates_with_the_job_token_not_persisted_credentials(
    tmp_path: Path, double_env_of: Any
) -> None:
    """origin over HTTP demanding the token, as github.com does: the checkout persisted no
    credentials (persist-credentials: false), and the QA verdict still reaches the branch,
    because the action's github-token input (the job's token) reaches git through its
    environment only."""
    env = double_env_of(HEALTHY)
    workspace, bare = user_repository(tmp_path / "repo")
    with git_http_server(bare.parent, env["GITHUB_TOKEN"]) as server:
        url = server.repo_url(bare.name)
        git(workspace, "remote", "set-url", "origin", url)
        job_env = {**env, "GITHUB_SERVER_URL": server.url}
        inputs = {"tag": "v1.0.0", "prerelease": False}
        qa = make_runner("release.yml", tmp_path / "run", workspace, inputs, job_env).run_job("qa")
        assert qa.run is not None
        assert qa.actions["qa"].returncode == 0, qa.actions["qa"].stderr
        pushes = [r for r in server.requests if "git-receive-pack" in r[1] and r[0] == "POST"]
        assert pushes and all(ok for _, _, ok in server.requests)
    assert len(verified_ledger(bare, tmp_path)) == 1
    config = (workspace / ".git" / "config").read_text()
    assert "extraheader" not in config and env["GITHUB_TOKEN"] not in config
    leaks = [
        line
        for line in qa.run.log.splitlines()
        if env["GITHUB_TOKEN"] in line and not line.startswith("::add-mask::")
    ]
    assert leaks == []  # masked, never printed


@pytest.mark.github
def test_state_empty_keeps_nothing(tmp_path: Path, double_env_of: Any) -> None:
    env = double_env_of(HEALTHY)
    workspace, bare = user_repository(tmp_path)
    runner = make_runner("nightly.yml", tmp_path / "run", workspace, {"state": ""}, env)
    check = runner.run_job("check")
    assert check.run is not None
    assert check.conclusion == "success", check.run.log
    assert branches(bare) == ["main"]
    assert not (workspace / "ledger.jsonl").exists()


@pytest.mark.github
def test_the_pr_gate_charts_the_recorded_verdicts_and_only_fetches(
    tmp_path: Path, github_pr: tuple[Any, dict[str, str], dict[str, Any]]
) -> None:
    """Two nights record their verdicts; then origin refuses every push, and a pull request's
    gate and comment still run green, the comment charting those verdicts from the branch."""
    double, env, event = github_pr
    seed_github(double.state, PR_REPOSITORY, HEALTHY, NOW)
    workspace, bare = user_repository(tmp_path)
    for night in ("first", "second"):
        check = make_runner("nightly.yml", tmp_path / night, workspace, {}, env).run_job("check")
        assert check.conclusion == "success", check.run.log if check.run else ""
    recorded = git(bare, "rev-parse", BRANCH)
    hook = bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'read-only: no pushes' >&2\nexit 1\n")
    hook.chmod(0o755)
    pr = tmp_path / "pr"
    runner = make_runner(
        "pr-gate.yml", pr, workspace, {}, env, event=event, event_name="pull_request"
    )
    gate = runner.run_job("gate")
    assert gate.conclusion == "success", gate.run.log if gate.run else ""
    comment = runner.run_job("comment")
    assert comment.conclusion == "success", comment.run.log if comment.run else ""
    (sticky,) = sticky_comments(double, "integrated")
    assert "```mermaid" in sticky.body  # the two recorded verdicts and this one
    assert git(bare, "rev-parse", BRANCH) == recorded


# The Lumen actions that always write state files (the loop sampler its history and spool, the
# flipback and record-event their deploy event): with state on, from the `state:` input or the
# config's `state:` section the workflow cannot see, they push to the data branch.
STATE_WRITERS = ("/actions/loop-sampler", "/actions/flipback", "/actions/record-event")


def writes_state(step: dict[str, Any]) -> bool:
    """A step that appends to the data branch: a ledger named, or an action that writes."""
    inputs = step.get("with") or {}
    return "ledger" in inputs or str(step.get("uses", "")).endswith(STATE_WRITERS)


def reads_state(step: dict[str, Any]) -> bool:
    """A step that only fetches the data branch: `state:` given, nothing written there (the
    comment's chart, a gate's `deploys`)."""
    return "state" in (step.get("with") or {}) and not writes_state(step)


def test_a_job_that_pushes_asks_for_contents_write_and_only_those() -> None:
    """Least privilege: the jobs that run a Lumen step writing state push, so they (and the
    starters calling them) ask for contents: write; no other job of these workflows does
    except the release's publish job (the GitHub Release itself). A job whose steps only read
    the branch (the PR gate's gates with `deploys`, the comment's chart) fetches it: contents:
    read is what it needs, and all it gets."""
    allowed = {("release.yml", "publish")}
    readers = set()
    for workflow in (
        "nightly.yml",
        "release.yml",
        "gate-and-flipback.yml",
        "pr-gate.yml",
        "comment.yml",
    ):
        jobs = yaml.safe_load((ROOT / "workflows" / workflow).read_text())["jobs"]
        for job_id, job in jobs.items():
            steps = job.get("steps") or []
            contents = (job.get("permissions") or {}).get("contents")
            pushes = any(writes_state(step) for step in steps)
            assert (contents == "write") == (pushes or (workflow, job_id) in allowed), (
                workflow,
                job_id,
            )
            if any(reads_state(step) for step in steps):
                assert contents in ("read", "write"), (workflow, job_id)
                if not pushes:
                    readers.add((workflow, job_id))
    assert readers == {
        ("pr-gate.yml", "gate"),
        ("pr-gate.yml", "comment"),
        ("comment.yml", "comment"),
    }


def test_the_pr_gates_read_deploys_with_the_state_the_comment_charts() -> None:
    """Every step of the PR workflows given `deploys` is given `state` too, the same input the
    comment charts from: the PR gate judges the deploy log the release, the nightly and the
    gate-and-flipback workflows judge (docs/reference.md#state, "One path, one file")."""
    for workflow in ("pr-gate.yml", "comment.yml"):
        jobs = yaml.safe_load((ROOT / "workflows" / workflow).read_text())["jobs"]
        steps = [step for job in jobs.values() for step in job.get("steps") or []]
        with_deploys = [s.get("with") or {} for s in steps if "deploys" in (s.get("with") or {})]
        assert with_deploys, workflow
        for inputs in with_deploys:
            assert inputs.get("state") == "${{ inputs.state }}", (workflow, inputs)
            assert "ledger" not in inputs, (workflow, inputs)


def record_four_of_six_on_the_branch(
    bare: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, ...]:
    """record-event's deploys on one clone: 6 deploys of api to prod, 4 successful (below the
    shipped 0.80), appended to deploys.jsonl on the data branch; returns their results."""
    monkeypatch.chdir(clone(bare, tmp_path / "deploy-job"))
    outcomes = ("success", "success", "failure", "success", "success", "failure")
    for n, result in enumerate(outcomes):
        argv = ["record", "--deploys", "deploys.jsonl", "--state", BRANCH, "--quiet"]
        argv += ["--env", "prod", "--service", "api", "--action", "deploy", "--result", result]
        argv += ["--version", f"1.0.{n}", "--ts", f"2026-11-2{n}T10:00:00Z"]
        assert main(argv) == 0
    return outcomes


@pytest.mark.github
def test_the_pr_gate_reads_the_deploy_log_on_the_branch_and_only_fetches(
    tmp_path: Path,
    github_pr: tuple[Any, dict[str, str], dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """record-event's deploys (4 of 6 succeeded, below the shipped 0.80) are on the branch;
    the checkout holds a file of the same name with 6 successes. The PR gate with
    `deploys: deploys.jsonl` and its default state judges the branch's log: the ROI and
    integrated gates FAIL on its success rate though the GitHub activity is healthy, and
    origin, refusing every push, is left as it was."""
    double, env, event = github_pr
    seed_github(double.state, PR_REPOSITORY, HEALTHY, NOW)
    _, bare = user_repository(tmp_path)
    record_four_of_six_on_the_branch(bare, tmp_path, monkeypatch)
    monkeypatch.chdir(tmp_path)
    workspace = clone(bare, tmp_path / "checkout")
    decoy = "".join(
        json.dumps(
            {
                "ts": f"2026-11-2{n}T10:00:00Z",
                "env": "prod",
                "service": "api",
                "action": "deploy",
                "result": "success",
                "version": f"9.0.{n}",
            }
        )
        + "\n"
        for n in range(6)
    )
    (workspace / "deploys.jsonl").write_text(decoy)
    recorded = git(bare, "rev-parse", BRANCH)
    hook = bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'read-only: no pushes' >&2\nexit 1\n")
    hook.chmod(0o755)
    assert workflow_default("pr-gate.yml", "state") == BRANCH
    inputs = {"deploys": "deploys.jsonl", "env": "prod", "service": "api"}
    runner = make_runner(
        "pr-gate.yml",
        tmp_path / "pr",
        workspace,
        inputs,
        env,
        event=event,
        event_name="pull_request",
    )
    gate = runner.run_job("gate")
    assert gate.run is not None
    for step in ("roi", "integrated"):
        assert gate.actions[step].outputs["verdict"] == "FAIL", gate.actions[step].stderr
    roi = json.loads((workspace / "lumen-results" / "roi.json").read_text())
    assert roi["inputs"]["deploys"] == {
        "source": "deploys.jsonl",
        "branch": BRANCH,
        "events_read": 6,
    }
    assert {c["name"]: c["verdict"] for c in roi["checks"]}["success_rate"] == "FAIL"
    integrated = json.loads((workspace / "lumen-results" / "integrated.json").read_text())
    assert integrated["inputs"]["roi"]["deploys"]["branch"] == BRANCH
    assert gate.conclusion == "failure"  # the Decide step, on the FAIL verdicts
    assert any("roi gate: failure/FAIL" in a["message"] for a in gate.run.annotations)
    assert git(bare, "rev-parse", BRANCH) == recorded
    assert (workspace / "deploys.jsonl").read_text() == decoy


@pytest.mark.github
def test_gate_and_flipback_read_the_deploys_record_event_wrote_on_the_branch(
    tmp_path: Path, double_env_of: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """record-event (`lumen record --state`) appends the deploys on one clone; the workflow's
    gate and its flipback, on a fresh clone with `deploys: deploys.jsonl`, both read that file
    on the branch (docs/reference.md#state): 4 of 6 deploys succeeded, below the shipped 0.80,
    so the gate FAILs on them although the GitHub activity is healthy, and the flipback plans
    the last known-good version of the same log."""
    env = double_env_of(HEALTHY)
    _, bare = user_repository(tmp_path)
    outcomes = record_four_of_six_on_the_branch(bare, tmp_path, monkeypatch)
    workspace = clone(bare, tmp_path / "checkout")
    recorded = git(bare, "rev-parse", BRANCH)
    inputs = {"env": "prod", "service": "api", "platform": "none", "deploys": "deploys.jsonl"}
    runner = make_runner("gate-and-flipback.yml", tmp_path / "run", workspace, inputs, env)
    jobs = run_jobs(runner, "gate", "flipback")
    gate = jobs["gate"]
    assert gate.run is not None and gate.conclusion == "success", gate.run.log if gate.run else ""
    assert gate.outputs["verdict"] == "FAIL", gate.actions["gate"].stderr
    result = json.loads((workspace / "lumen-results" / "integrated.json").read_text())
    assert result["inputs"]["roi"]["deploys"] == {
        "source": "deploys.jsonl",
        "branch": BRANCH,
        "events_read": 6,
    }
    assert {c["name"]: c["verdict"] for c in result["checks"]}["success_rate"] == "FAIL"
    flipback = jobs["flipback"]
    assert flipback.run is not None and flipback.conclusion == "success", flipback.run.log
    assert flipback.outputs["target"] == "1.0.4"  # the last success before the failed 1.0.5
    assert not (workspace / "deploys.jsonl").exists()
    # the gate's verdict and the plan went to the ledger; the deploy log is as recorded
    assert git(bare, "rev-parse", BRANCH) != recorded
    deploys = branch_file(bare, BRANCH, "deploys.jsonl")
    assert deploys is not None and len(deploys.splitlines()) == len(outcomes)


@pytest.mark.github
def test_gate_and_flipback_with_deploys_missing_on_the_branch_is_an_error(
    tmp_path: Path, double_env_of: Any
) -> None:
    """A `deploys` the branch does not have is the gate's error (exit 1, naming the path, the
    branch and the remote), never a verdict read from somewhere else."""
    env = double_env_of(HEALTHY)
    workspace, _ = user_repository(tmp_path)
    inputs = {"env": "prod", "service": "api", "platform": "none", "deploys": "deploys.jsonl"}
    runner = make_runner("gate-and-flipback.yml", tmp_path / "run", workspace, inputs, env)
    gate = runner.run_job("gate")
    assert gate.run is not None
    step = gate.actions["gate"]
    assert step.returncode == 1, step.stderr
    assert "deploys.jsonl on branch 'lumen-data' of remote 'origin'" in step.stderr
    assert gate.outputs["verdict"] in ("", None)
