"""A connection cut mid-answer (requests' ChunkedEncodingError, under load) is transient: a read
(a REST GET, a GraphQL query) is sent again within `github.retries` and the GitHub budget,
through the same urllib3 Retry that retries a 5xx; a write (POST, PATCH) that may already have
been applied is not sent again, and the run fails as a network error (which the workflows
retry; `lumen comment` edits its own comment, so a second run leaves one).

Against the GitHub double, which handles the request and then cuts the body half-way
(`double.cut`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from gate_result import maturity_result

from gates.failure_class import classify
from lumen.adapters.github.api import is_mutation
from lumen.cli import main
from lumen.reporting.comment import marker

REPO = "octo-org/app"
NOW = "2026-11-21T12:00:00Z"


@pytest.fixture
def gh(github_env: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    monkeypatch.setenv("LUMEN_GITHUB_BACKOFF", "0")
    monkeypatch.setenv("LUMEN_GITHUB_WRITE_INTERVAL", "0")
    monkeypatch.setenv("LUMEN_GITHUB_RETRIES", "2")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    state = github_env.state
    state.add_deployment("production", repo=REPO, created_at="2026-11-21T01:00:00Z")
    for conclusion, hour in [("success", "04"), ("failure", "06"), ("success", "07")]:
        state.add_workflow_run(
            "CI", repo=REPO, conclusion=conclusion, created_at=f"2026-11-21T{hour}:00:00Z"
        )
    state.add_issue("db down", repo=REPO, labels=["incident"], created_at="2026-11-21T10:00:00Z")
    return github_env


def maturity(tmp_path: Path, name: str) -> tuple[int, dict[str, Any]]:
    out = tmp_path / f"{name}.json"
    code = main(["maturity", "--github", REPO, "--now", NOW, "--json", str(out), "--quiet"])
    return code, json.loads(out.read_text()) if out.exists() else {}


def answer(doc: dict[str, Any]) -> tuple[Any, ...]:
    """What the run read and judged, without what it cost."""
    return doc["verdict"], doc["maturity"], doc["input"], doc["checks"]


@pytest.mark.github
@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/repos/*/actions/runs"), ("POST", "/graphql")],
    ids=["rest-get", "graphql-query"],
)
def test_read_cut_mid_body_once_is_sent_again(
    gh: Any, tmp_path: Path, method: str, path: str
) -> None:
    clean_code, clean = maturity(tmp_path, "clean")
    clean_requests = len(gh.requests)
    assert clean["inputs"]["github"]["requests"] == clean_requests
    gh.reset_log()
    gh.cut(method=method, path=path, times=1)
    code, doc = maturity(tmp_path, "cut")
    assert not gh.cuts, "the cut was not served"
    assert (code, answer(doc)) == (clean_code, answer(clean))
    # the cut request was sent once more, and the result says so
    assert len(gh.requests) == clean_requests + 1
    assert doc["inputs"]["github"]["requests"] == clean_requests + 1


@pytest.mark.github
def test_read_cut_every_time_fails_after_the_retries(
    gh: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gh.cut(method="GET", path="/repos/*/actions/runs", times=100)
    code, _ = maturity(tmp_path, "cut")
    err = capsys.readouterr().err
    assert code == 1, err
    assert "cannot reach GitHub" in err and "Traceback" not in err, err
    assert classify(err).failure_class == "network", err
    assert gh.count("GET", "/repos/*/actions/runs") == 3  # LUMEN_GITHUB_RETRIES=2, plus the first


def comment_argv(tmp_path: Path) -> list[str]:
    doc = maturity_result(value=0.7, verdict="PASS", reason="overall 0.7")
    path = tmp_path / "result.json"
    path.write_text(json.dumps(doc))
    return ["comment", "--result", str(path), "--pr", "7"]


@pytest.mark.github
@pytest.mark.parametrize(
    ("path", "created"),
    [("/repos/*/issues/7/comments", "comments"), ("/repos/*/check-runs", "check_runs")],
    ids=["comment", "check-run"],
)
def test_write_cut_mid_body_is_not_sent_again(
    gh: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    path: str,
    created: str,
) -> None:
    gh.state.add_pull("Add feature", repo=REPO, number=7)
    gh.cut(method="POST", path=path, times=1)
    assert main(comment_argv(tmp_path)) == 1
    err = capsys.readouterr().err
    assert not gh.cuts, "the cut was not served"
    # GitHub applied the write; Lumen cannot know it did, so it does not send it again (that
    # could post twice) and fails as a network error, which the workflows retry.
    assert gh.count("POST", path) == 1
    assert len(getattr(gh.state.repo(REPO), created)) == 1
    assert "cannot reach GitHub" in err and "Traceback" not in err, err
    assert classify(err).failure_class == "network", err
    # The retried run finds its own comment and edits it: still one.
    assert main(comment_argv(tmp_path)) == 0
    marked = [c for c in gh.state.repo(REPO).comments.values() if marker("maturity") in c.body]
    assert len(marked) == 1


def test_only_a_mutation_is_a_write() -> None:
    assert is_mutation("mutation { addComment(input: {}) { clientMutationId } }")
    assert is_mutation("# post it\n  mutation Add($id: ID!) { x }")
    assert not is_mutation("query Q($cursor: String) { mutation: viewer { login } }")
    assert not is_mutation("{ viewer { login } }")
