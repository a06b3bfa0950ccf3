"""`lumen maturity --github OWNER/REPO` against the GitHub REST double (PyGithub on the wire)."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from busy_week import seed_busy_week

from lumen.adapters.github.activity import issue_severity
from lumen.cli import main

NOW = "2026-11-21T12:00:00Z"
IN = "2026-11-21T{}:00:00Z"  # inside the 24h window
OLD = "2026-11-18T10:00:00Z"  # before the previous window too


def _seed(github_env: Any) -> None:
    state = github_env.state
    repo = "octo-org/app"
    # deployments -> action: success 0.1, failure 0.75; pending and old ones do not count
    state.add_deployment("production", repo=repo, created_at=IN.format("01"), state="success")
    state.add_deployment("staging", repo=repo, created_at=IN.format("02"), state="failure")
    state.add_deployment("production", repo=repo, created_at=IN.format("03"), state="pending")
    state.add_deployment("production", repo=repo, created_at=OLD, state="success")
    # workflow runs -> evidence: success 0.1 (x2), failure 0.75, cancelled 0.5
    for conclusion, hour in [
        ("success", "04"),
        ("success", "05"),
        ("failure", "06"),
        ("cancelled", "07"),
    ]:
        state.add_workflow_run("CI", repo=repo, conclusion=conclusion, created_at=IN.format(hour))
    state.add_workflow_run("CI", repo=repo, status="in_progress", created_at=IN.format("08"))
    state.add_workflow_run("CI", repo=repo, conclusion="failure", created_at=OLD)
    # a third-party check run on a commit of the window -> evidence 0.75
    sha = state.add_commit("feature", repo=repo, date=IN.format("09"))
    state.add_check_run("lint", sha, repo=repo, conclusion="failure", started_at=IN.format("09"))
    # issues labelled incident/alert -> signal; severity from a severity label, else warning
    state.add_issue(
        "db down", repo=repo, labels=["incident", "critical"], created_at=IN.format("10")
    )
    state.add_issue("latency", repo=repo, labels=["alert"], created_at=IN.format("11"))
    state.add_issue("typo", repo=repo, labels=["bug"], created_at=IN.format("10"))
    state.add_issue("old incident", repo=repo, labels=["incident"], created_at=OLD, state="closed")


@pytest.mark.github
def test_github_activity_known_answer(github_env: Any, tmp_path: Path) -> None:
    _seed(github_env)
    out = tmp_path / "r.json"
    code = main(
        ["maturity", "--github", "octo-org/app", "--now", NOW, "--json", str(out), "--quiet"]
    )
    doc = json.loads(out.read_text())
    block = doc["maturity"]
    assert doc["input"]["deployments"] == 2
    assert doc["input"]["workflow_runs"] == 4
    assert doc["input"]["check_runs"] == 1
    assert doc["input"]["issues"] == 2
    assert block["kinds"] == {"signal": 2, "evidence": 5, "action": 2}
    # By hand: p = 2/9, 5/9, 2/9 -> H = 2*(2/9)ln(9/2) + (5/9)ln(9/5) = 0.99503, / ln 3 = 0.90572
    assert block["sense"] == pytest.approx(
        (2 * (2 / 9) * math.log(9 / 2) + (5 / 9) * math.log(9 / 5)) / math.log(3)
    )
    assert block["sense"] == pytest.approx(0.90572, abs=1e-5)
    # severities 0.1 x3, 0.75 x3, 0.5 x2, 1.0: mean 4.55/9 = 0.50556, E[x^2] = 3.2175/9 = 0.3575,
    # variance 0.3575 - 0.50556^2 = 0.10191, stdev 0.31924, feedback e^(-0.95772) = 0.38377
    assert block["severity_stdev"] == pytest.approx(0.31924, abs=1e-5)
    assert block["feedback"] == pytest.approx(0.38377, abs=1e-5)
    # release (2/9)/0.30 = 0.74074; overall 0.4*0.90571 + 0.3*0.38377 + 0.3*0.74074 = 0.69964
    assert block["release"] == pytest.approx(0.74074, abs=1e-5)
    assert block["overall"] == pytest.approx(0.69964, abs=1e-5)
    assert block["trend"] is None  # nothing in the previous 24h
    assert list(doc["loops"]) == ["octo-org/app"]
    # feedback 0.38 < 0.50 would FAIL; from GitHub the spectrum is advisory (issue 18): WARN,
    # and the trend checks decide (no history here: NO_DATA, the baseline is still forming)
    assert code == 0
    verdicts = {c["name"]: c["verdict"] for c in doc["checks"]}
    feedback = next(c for c in doc["checks"] if c["verdict"] == "WARN")
    assert feedback.get("advisory") is True and "advisory" in feedback["reason"]
    assert doc["verdict"] == "WARN"
    for name in ("ci_failure_rate", "deploy_failure_rate"):
        assert verdicts[name] == "NO_DATA"
    assert verdicts["rollbacks"] == verdicts["incidents"] == "PASS"
    # reading only: the POSTs are GraphQL queries (the double refuses mutations), nothing else
    assert github_env.count("POST") == github_env.count("POST", "/graphql") > 0
    assert doc["inputs"]["github"]["requests"] == len(github_env.requests)
    assert doc["input"]["requests"] < len(github_env.requests)  # the spectrum's share


@pytest.mark.github
def test_github_errors_are_exit_1(github_env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["maturity", "--github", "octo-org/missing", "--now", NOW]) == 1
    assert "404" in capsys.readouterr().err
    assert main(["maturity", "--github", "not-a-repo", "--now", NOW]) == 1
    assert "OWNER/REPO" in capsys.readouterr().err


def test_issue_severity_labels() -> None:
    labels = {"info": 0.1, "warning": 0.5, "high": 0.75, "critical": 1.0}
    assert issue_severity(["incident", "severity:high"], labels) == 0.75
    assert issue_severity(["alert", "sev/critical"], labels) == 1.0
    assert issue_severity(["incident", "Critical"], labels) == 1.0
    assert issue_severity(["incident"], labels) == 0.5


@pytest.mark.github
def test_a_busy_week_stays_within_the_request_budget(github_env: Any, tmp_path: Path) -> None:
    """1,000 workflow runs, 200 deployments, 300 commits with check runs and 20 incidents in a
    week: the read costs at most 20 requests, and the result says how many."""
    state = github_env.state
    repo = "octo-org/busy"
    state.add_repo(repo)
    seed_busy_week(state, repo, datetime(2026, 11, 14, 12, 0, tzinfo=UTC), actions_check_runs=True)
    github_env.reset_log()
    out = tmp_path / "busy.json"
    main(
        [
            "maturity",
            "--github",
            repo,
            "--window",
            "7d",
            "--now",
            "2026-11-21T12:00:00Z",
            "--json",
            str(out),
            "--quiet",
        ]
    )
    doc = json.loads(out.read_text())
    assert doc["input"]["workflow_runs"] == 1000
    assert doc["input"]["deployments"] == 200
    assert doc["input"]["check_runs"] == 300  # GitHub Actions' own check runs are not counted
    assert doc["input"]["issues"] == 20
    # the spectrum and the trend together (deployments and incidents read once for both)
    assert doc["inputs"]["github"]["requests"] == len(github_env.requests)
    assert doc["inputs"]["github"]["requests"] <= 20
