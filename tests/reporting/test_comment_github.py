"""Sticky comment, label, check run, fork degradation, rate limits and the incident issue,
against the GitHub REST double (every exchange checked against GitHub's OpenAPI)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from lumen.cli import main
from lumen.reporting.comment import marker

REPO = "octo-org/app"


def result(verdict: str, overall: float = 0.7, gate: str = "maturity") -> dict:
    return {
        "schema_version": "1",
        "gate": gate,
        "verdict": verdict,
        "checks": [
            {
                "name": "maturity.overall",
                "value": overall,
                "comparator": ">=",
                "threshold": 0.6,
                "verdict": "PASS" if overall >= 0.6 else "FAIL",
                "reason": f"overall {overall}",
            },
            {
                "name": "release",
                "value": 0.5,
                "comparator": ">=",
                "threshold": 0.5,
                "verdict": "PASS",
                "reason": "ok",
                "baseline": 0.48,
            },
        ],
        "inputs": {"env": "prod"},
        "window": "24h",
        "generated_at": "2026-11-21T10:00:00Z",
        "maturity": {"overall": overall, "trend": -0.02, "hint": "steady"},
    }


@pytest.fixture
def gh(github_env, monkeypatch, tmp_path):
    monkeypatch.setenv("LUMEN_GITHUB_WRITE_INTERVAL", "0")
    monkeypatch.setenv("LUMEN_GITHUB_BACKOFF", "0")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "output"))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    github_env.state.add_label("do-not-merge", repo=REPO)
    github_env.state.add_pull("Add feature", repo=REPO, number=7)
    return github_env


def write(tmp_path: Path, doc: dict, name: str = "r.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return str(path)


def marked_comments(double, number: int = 7) -> list:
    repo = double.state.repo(REPO)
    return [c for c in repo.comments.values() if marker("maturity") in (c.body or "")]


def test_two_runs_edit_one_comment_and_toggle_label(gh, tmp_path, capsys) -> None:
    assert main(["comment", "--result", write(tmp_path, result("FAIL", 0.41)), "--pr", "7"]) == 2
    (first,) = marked_comments(gh)
    assert "❌ Lumen maturity gate: **FAIL**" in first.body
    assert "| maturity.overall | 0.410 | >= 0.600 | ❌ FAIL | overall 0.41 |" in first.body
    assert ">= 0.500 (baseline 0.480)" in first.body
    assert "Trend ↘ -0.020 · policy hint **steady**" in first.body
    assert gh.state.repo(REPO).issues[7].labels == ["do-not-merge"]
    assert main(["comment", "--result", write(tmp_path, result("PASS", 0.8)), "--pr", "7"]) == 0
    (second,) = marked_comments(gh)
    assert second.id == first.id
    assert "✅ Lumen maturity gate: **PASS**" in second.body
    assert gh.state.repo(REPO).issues[7].labels == []
    assert gh.count("POST", "/repos/*/issues/*/comments") == 1
    assert gh.count("PATCH", "/repos/*/issues/comments/*") == 1


def test_check_run_content(gh, tmp_path) -> None:
    assert main(["comment", "--result", write(tmp_path, result("FAIL", 0.41)), "--pr", "7"]) == 2
    (run,) = gh.state.repo(REPO).check_runs.values()
    assert run.name == "lumen/maturity"
    assert run.conclusion == "failure"
    assert run.head_sha == gh.state.pull(7, REPO).head_sha
    assert run.output["title"].startswith("FAIL: FAIL: maturity.overall")
    assert "| maturity.overall | 0.410 |" in run.output["text"]


def test_check_run_refused_falls_back_to_commit_status(gh, tmp_path) -> None:
    gh.fail(
        403,
        method="POST",
        path="/repos/*/check-runs",
        times=None,
        body={"message": "Resource not accessible by integration"},
    )
    assert main(["comment", "--result", write(tmp_path, result("PASS", 0.8)), "--pr", "7"]) == 0
    repo = gh.state.repo(REPO)
    assert not repo.check_runs
    (status,) = repo.statuses
    assert status.context == "lumen/maturity" and status.state == "success"


def test_concurrent_runs_still_one_comment(gh, tmp_path) -> None:
    paths = [write(tmp_path, result("PASS", 0.7 + i / 100), f"r{i}.json") for i in range(4)]
    codes: list[int] = []
    threads = [
        threading.Thread(
            target=lambda p=p: codes.append(
                main(["comment", "--result", p, "--pr", "7", "--no-check", "--quiet"])
            )
        )
        for p in paths
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [0, 0, 0, 0]
    assert len(marked_comments(gh)) == 1


def test_fork_read_only_token_degrades_to_summary(gh, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", gh.add_token("ghs_forkReadOnly", write=False))
    assert main(["comment", "--result", write(tmp_path, result("FAIL", 0.41)), "--pr", "7"]) == 2
    out = capsys.readouterr().out
    assert "::warning title=lumen comment::the token may not comment on the pull request" in out
    assert "Lumen maturity gate: **FAIL**" in (tmp_path / "summary.md").read_text()
    assert marked_comments(gh) == []
    assert main(["comment", "--result", write(tmp_path, result("PASS")), "--pr", "7"]) == 0


def test_primary_and_secondary_rate_limits_are_waited_out(gh, tmp_path) -> None:
    gh.rate_limit(times=1, status=429, reset_in=0, method="GET", path="/repos/*/issues/7/comments")
    gh.secondary_rate_limit(
        retry_after=1, times=1, method="POST", path="/repos/*/issues/7/comments"
    )
    assert (
        main(["comment", "--result", write(tmp_path, result("PASS")), "--pr", "7", "--no-check"])
        == 0
    )
    assert len(marked_comments(gh)) == 1
    assert gh.count("POST", "/repos/*/issues/7/comments") == 2  # refused once, then created


def test_server_errors_are_retried_then_reported(gh, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("LUMEN_GITHUB_RETRIES", "2")
    gh.fail(502, method="GET", path="/repos/*/issues/7", times=None)
    assert main(["comment", "--result", write(tmp_path, result("PASS")), "--pr", "7"]) == 1
    err = capsys.readouterr().err
    assert "lumen: error: GitHub" in err and "Traceback" not in err
    assert gh.count("GET", "/repos/*/issues/7") == 3


def test_missing_token_and_unknown_pr(gh, tmp_path, monkeypatch, capsys) -> None:
    assert main(["comment", "--result", write(tmp_path, result("PASS")), "--pr", "99"]) == 1
    assert "404" in capsys.readouterr().err
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_unknown")
    assert main(["comment", "--result", write(tmp_path, result("PASS")), "--pr", "7"]) == 1
    assert "401" in capsys.readouterr().err


def test_pr_number_from_pull_request_event(gh, tmp_path, monkeypatch) -> None:
    from harness.webhooks import webhook_example

    payload = webhook_example("pull_request", "opened")
    payload["number"] = 7
    payload["pull_request"]["number"] = 7
    event = tmp_path / "event.json"
    event.write_text(json.dumps(payload))
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    monkeypatch.setenv("GITHUB_EVENT_NAME", "pull_request")
    assert main(["comment", "--result", write(tmp_path, result("PASS")), "--no-check"]) == 0
    assert len(marked_comments(gh)) == 1


def test_history_chart(gh, tmp_path) -> None:
    history = tmp_path / "history.jsonl"
    history.write_text(
        "\n".join(json.dumps({"result": result("PASS", v)}) for v in (0.6, 0.65)) + "\n"
    )
    assert (
        main(
            [
                "comment",
                "--result",
                write(tmp_path, result("PASS", 0.7)),
                "--pr",
                "7",
                "--history",
                str(history),
            ]
        )
        == 0
    )
    (c,) = marked_comments(gh)
    assert "```mermaid\nxychart-beta" in c.body
    assert "line [0.6, 0.65, 0.7]" in c.body


def test_incident_open_update_close(gh, tmp_path, capsys) -> None:
    log = tmp_path / "step.log"
    log.write_text("pushing...\ncurl: (7) Failed: ECONNREFUSED\n")
    failing = write(tmp_path, result("FAIL", 0.4, gate="integrated"), "fail.json")
    args = ["notify", "--result", failing, "--incident", "--failure-log", str(log)]
    assert main(args) == 0
    repo = gh.state.repo(REPO)
    incidents = [i for i in repo.issues.values() if "incident" in i.labels]
    assert len(incidents) == 1 and incidents[0].state == "open"
    assert "Failure class: **network**" in incidents[0].body
    assert incidents[0].title == "Lumen integrated gate failing (prod)"
    assert main(args) == 0  # a second FAIL updates the same issue
    assert len([i for i in repo.issues.values() if "incident" in i.labels]) == 1
    number = incidents[0].number
    comments = [c for c in repo.comments.values() if c.issue_number == number]
    assert len(comments) == 1
    passing = write(tmp_path, result("PASS", 0.8, gate="integrated"), "pass.json")
    assert main(["notify", "--result", passing, "--incident"]) == 0
    assert repo.issues[number].state == "closed"
    assert "incident: closed" in capsys.readouterr().out
