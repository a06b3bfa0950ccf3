"""Issue 19: a reusable workflow called at commit X runs the Lumen actions of commit X.

Each job checks Lumen out at `job.workflow_sha` (the called workflow's own commit) into
`.lumen-ci` and runs `./.lumen-ci/actions/<name>`; on GitHub Enterprise Server, where the job
context is empty, the inputs `lumen-repository` and `lumen-ref` name what is checked out. The
workflow runner's checkout stand-in materialises Lumen at that commit from a local clone, so a
clone with marker commits shows which commit's actions ran. The checkout must not leak into
what the gates read from the user's workspace."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness.git_origin import example_repository
from harness.workflow_runner import shipped_workflow

from lumen.adapters.documents import expand
from lumen.adapters.rego import load_modules
from lumen.app.signing import expand_files
from lumen.fileio import LUMEN_CHECKOUT, files_under

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-11-20T18:00:00Z"
sys.path.insert(0, str(ROOT / "scripts"))
from action_pins import MAJOR_TAG, REPOSITORY  # noqa: E402

GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, env=GIT_ENV
    ).stdout.strip()


def marker_commit(clone: Path, marker: str) -> str:
    """A commit of Lumen whose actions print `marker` before they run lumen."""
    script = clone / "scripts" / "run-action.sh"
    lines = script.read_text(encoding="utf-8").splitlines(keepends=True)
    text = "".join(line for line in lines if not line.startswith("echo 'ran marker-"))
    text = text.replace("set -euo pipefail\n", f"set -euo pipefail\necho 'ran {marker}'\n", 1)
    script.write_text(text, encoding="utf-8")
    git(clone, "commit", "-q", "-am", marker)
    return git(clone, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def lumen_clone(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A clone of Lumen with two marker commits: `one` (tagged with the major tag) and `two`."""
    clone = tmp_path_factory.mktemp("lumen") / "lumen-ci"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, env=GIT_ENV)
    one = marker_commit(clone, "marker-one")
    git(clone, "tag", MAJOR_TAG, one)
    two = marker_commit(clone, "marker-two")
    return clone, one, two


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return example_repository(tmp_path / "workspace", tmp_path / "origin.git")


def pr_gate_inputs(**overrides: str) -> dict[str, Any]:
    starter = yaml.safe_load(
        (ROOT / "examples" / ".github" / "workflows" / "lumen-pr-gate.yml").read_text()
    )
    (job,) = starter["jobs"].values()
    return {**dict(job.get("with") or {}), **overrides}


def gate_job(
    tmp_path: Path,
    repo: Path,
    *,
    inputs: dict[str, Any],
    lumen_repositories: dict[str, Path] | None = None,
    job_context: dict[str, str] | None = None,
) -> Any:
    run = shipped_workflow(
        "pr-gate.yml",
        tmp_path / "run",
        repo,
        inputs=inputs,
        event={"pull_request": {"number": 7}},
        event_name="pull_request",
        pin_inputs={"now": NOW},
        lumen_repositories=lumen_repositories,
        job_context=job_context,
    )
    return run.run_job("gate")


@pytest.fixture
def pinned_job(
    tmp_path: Path, repo: Path, lumen_clone: tuple[Path, str, str]
) -> Callable[..., Any]:
    """Runs the PR gate job with the Lumen clone served as the repository `served_as`. On
    github.com (`workflow_sha` set) the job context names REPOSITORY at that commit; on GHES
    (`workflow_sha` empty) the context is empty and the `inputs` decide."""
    clone = lumen_clone[0]

    def run(*, workflow_sha: str, served_as: str = REPOSITORY, **inputs: str) -> Any:
        return gate_job(
            tmp_path,
            repo,
            inputs=pr_gate_inputs(**inputs),
            lumen_repositories={served_as: clone},
            job_context={
                "workflow_repository": REPOSITORY if workflow_sha else "",
                "workflow_sha": workflow_sha,
            },
        )

    return run


def ran(job: Any) -> set[str]:
    """The markers the job's Lumen actions printed, one set for all of them."""
    out: set[str] = set()
    for result in job.actions.values():
        out |= {line for line in result.stdout.splitlines() if line.startswith("ran marker-")}
    return out


def test_called_at_a_commit_the_actions_of_that_commit_run(
    repo: Path, lumen_clone: tuple[Path, str, str], pinned_job: Callable[..., Any]
) -> None:
    """github.com: job.workflow_sha names commit one, which is not the clone's HEAD: every
    Lumen action of the job runs as commit one has it."""
    job = pinned_job(workflow_sha=lumen_clone[1])
    assert job.conclusion == "success", job.run.log if job.run else ""
    assert set(job.actions) == {"maturity", "roi", "policy", "integrated"}
    assert all("ran marker-one" in r.stdout for r in job.actions.values())
    assert ran(job) == {"ran marker-one"}
    assert (repo / LUMEN_CHECKOUT / "scripts" / "run-action.sh").read_text().count("marker-") == 1


def test_on_enterprise_server_the_inputs_name_what_is_checked_out(
    lumen_clone: tuple[Path, str, str], pinned_job: Callable[..., Any]
) -> None:
    """GHES: the job context is empty, so `lumen-repository` and `lumen-ref` decide: here a
    mirror's name and commit two."""
    mirror = "acme/lumen-mirror"
    inputs = {"lumen-repository": mirror, "lumen-ref": lumen_clone[2]}
    job = pinned_job(workflow_sha="", served_as=mirror, **inputs)
    assert job.conclusion == "success", job.run.log if job.run else ""
    assert ran(job) == {"ran marker-two"}


def test_on_enterprise_server_the_default_is_the_major_tag(pinned_job: Callable[..., Any]) -> None:
    """GHES with no inputs set: REPOSITORY at the major tag (commit one here)."""
    job = pinned_job(workflow_sha="")
    assert job.conclusion == "success", job.run.log if job.run else ""
    assert ran(job) == {"ran marker-one"}


def test_a_commit_the_repository_does_not_have_fails_the_job(
    pinned_job: Callable[..., Any],
) -> None:
    job = pinned_job(workflow_sha="f" * 40)
    assert job.conclusion == "failure"
    assert not job.actions  # no Lumen step ran from a missing checkout


def test_the_lumen_checkout_does_not_leak_into_the_gates(tmp_path: Path, repo: Path) -> None:
    """The policy gate judging the whole workspace (`policy-files: .`, Rego from `.` too) sees
    the user's files only: Lumen's checkout in .lumen-ci holds manifests, Rego and fixtures
    that would otherwise be judged (and some are meant to fail)."""
    job = gate_job(
        tmp_path, repo, inputs=pr_gate_inputs(**{"policy-files": ".", "policy-rego": "."})
    )
    assert (repo / LUMEN_CHECKOUT / "actions" / "policy-gate" / "action.yml").is_file()
    assert job.actions["policy"].returncode == 0, job.actions["policy"].stdout
    result = json.loads((repo / "lumen-results" / "policy.json").read_text())
    assert result["verdict"] == "PASS"
    assert LUMEN_CHECKOUT not in json.dumps(result)


def test_folder_walks_skip_the_lumen_checkout_unless_named(tmp_path: Path) -> None:
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "app.yaml").write_text("kind: Pod\n")
    (tmp_path / "policy.rego").write_text("package main\n")
    lumen = tmp_path / LUMEN_CHECKOUT
    (lumen / "examples").mkdir(parents=True)
    (lumen / "examples" / "bad.yaml").write_text("kind: Pod\n")
    (lumen / "policy.rego").write_text("package lumen\n")
    (tmp_path / "deploy" / LUMEN_CHECKOUT).mkdir()  # at any depth
    (tmp_path / "deploy" / LUMEN_CHECKOUT / "x.yaml").write_text("{}\n")
    assert expand([str(tmp_path)]) == [str(tmp_path / "deploy" / "app.yaml")]
    assert [m.path for m in load_modules([str(tmp_path)])] == [str(tmp_path / "policy.rego")]
    # named on purpose, it is a folder like any other
    assert expand([str(lumen)]) == [str(lumen / "examples" / "bad.yaml")]
    assert files_under(lumen, "*.rego") == [lumen / "policy.rego"]
    # the signing patterns (`files:` of the sign action) are globs, which skip dot-folders
    assert expand_files([f"{tmp_path}/**/*.yaml"]) == [str(tmp_path / "deploy" / "app.yaml")]
