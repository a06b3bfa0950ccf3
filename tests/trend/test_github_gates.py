"""GitHub as the zero-instrumentation default, judged by the trend (issue 18), end to end: the
maturity, ROI and integrated gates with no data file read the repository they run in
(GITHUB_REPOSITORY, through GITHUB_API_URL) from the GitHub double seeded with issue 18's
healthy and degrading weeks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from busy_week import seed_busy_week
from weeks import DEGRADING, HEALTHY, seed_github

from lumen.cli import main

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
REPO = "octo-org/app"  # the repository github_env runs in (GITHUB_REPOSITORY)
GATES = ("maturity", "roi", "integrated")


def run(gate: str, tmp_path: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    out = tmp_path / f"{gate}.json"
    code = main(
        [gate, "--now", NOW.strftime("%Y-%m-%dT%H:%M:%SZ"), "--json", str(out), "--quiet", *extra]
    )
    return code, json.loads(out.read_text()) if out.exists() else {}


def verdicts(doc: dict[str, Any]) -> dict[str, str]:
    return {c["name"]: c["verdict"] for c in doc["checks"]}


@pytest.mark.github
@pytest.mark.parametrize("gate", GATES)
def test_healthy_weeks_pass_with_no_data_file(
    gate: str, github_env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no events.jsonl, no deploys.jsonl, no config
    seed_github(github_env.state, REPO, HEALTHY, NOW)
    github_env.reset_log()
    code, doc = run(gate, tmp_path)
    assert code == 0, doc
    assert doc["verdict"] in ("PASS", "WARN")
    judged = verdicts(doc)
    for name in ("ci_failure_rate", "deploy_failure_rate", "rollbacks", "incidents"):
        assert judged[name] == "PASS", doc
    # every request the gate made is counted in the result
    assert doc["inputs"]["github"] == {"repository": REPO, "requests": len(github_env.requests)}
    # the spectrum of CI-dominated activity is advisory: it may warn, never fail
    assert all(c["verdict"] != "FAIL" for c in doc["checks"])
    history = doc["trend"]["history"]
    assert history["ci_runs"] == 26 * 40 and history["ci_failures"] == 26 * 4
    assert doc["trend"]["recent"]["deploys"] == 4


@pytest.mark.github
@pytest.mark.parametrize("gate", GATES)
def test_degrading_weeks_fail_naming_what_degraded(
    gate: str, github_env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    seed_github(github_env.state, REPO, DEGRADING, NOW)
    code, doc = run(gate, tmp_path)
    assert code == 2, doc
    assert doc["verdict"] == "FAIL"
    failed = {c["name"]: c["reason"] for c in doc["checks"] if c["verdict"] == "FAIL"}
    assert set(failed) == {"ci_failure_rate", "deploy_failure_rate", "rollbacks", "incidents"}
    assert "CI failure rate degraded: 35.0%" in failed["ci_failure_rate"]
    assert "deployment failure rate degraded" in failed["deploy_failure_rate"]
    assert "rollbacks burst: 6 in the last 2d" in failed["rollbacks"]
    assert "incidents burst: 5 in the last 2d" in failed["incidents"]


@pytest.mark.github
def test_degraded_can_be_configured_to_warn(
    github_env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lumen.yml").write_text("version: 1\ntrend:\n  degraded: warn\n")
    seed_github(github_env.state, REPO, DEGRADING, NOW)
    code, doc = run("integrated", tmp_path, "--config", "lumen.yml")
    assert code == 0 and doc["verdict"] == "WARN", doc
    assert verdicts(doc)["ci_failure_rate"] == "WARN"


@pytest.mark.github
def test_integrated_github_takes_maturity_and_roi_from_github(
    github_env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    github_env.state.add_repo("octo-org/other")
    seed_github(github_env.state, "octo-org/other", HEALTHY, NOW)
    monkeypatch.delenv("GITHUB_REPOSITORY")
    code, doc = run("integrated", tmp_path, "--github", "octo-org/other")
    assert code == 0, doc
    assert doc["inputs"]["events"]["source"] == "github:octo-org/other"
    assert doc["inputs"]["roi"]["github"]["repository"] == "octo-org/other"
    assert doc["roi"]["deploys"] == 2 * 28 - 0  # 90 days of deployments: the 28 seeded days
    assert doc["inputs"]["github"]["requests"] == len(github_env.requests)


@pytest.mark.github
@pytest.mark.parametrize("gate", GATES)
def test_a_named_missing_file_is_still_an_error(
    gate: str, github_env: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flag = "--deploys" if gate == "roi" else "--events"
    code, _ = run(gate, tmp_path, flag, str(tmp_path / "missing.jsonl"))
    assert code == 1
    assert "missing.jsonl" in capsys.readouterr().err
    assert github_env.requests == [] or all("/graphql" not in r for r in github_env.requests)


def test_without_a_source_or_a_repository_it_says_what_is_needed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)
    monkeypatch.chdir(tmp_path)
    for gate in GATES:
        assert run(gate, tmp_path)[0] == 1
        assert "GITHUB_REPOSITORY" in capsys.readouterr().err or gate == "roi"


@pytest.mark.github
@pytest.mark.parametrize("gate", GATES)
def test_a_busy_week_stays_within_the_request_budget(
    gate: str, github_env: Any, tmp_path: Path
) -> None:
    """1,000 workflow runs, 200 deployments, 300 commits with check runs and 20 incidents in a
    week: each gate, with its trend, reads it in at most 20 requests (inputs.github.requests)."""
    seed_busy_week(github_env.state, REPO, NOW - timedelta(days=7), actions_check_runs=False)
    github_env.reset_log()
    code, doc = run(gate, tmp_path)
    assert code in (0, 2), doc
    assert doc["inputs"]["github"]["requests"] == len(github_env.requests)
    assert doc["inputs"]["github"]["requests"] <= 20  # maturity 10, roi 7, integrated 10


@pytest.mark.github
@pytest.mark.parametrize("mode", ["pre", "post"])
def test_release_qa_from_github_is_judged_by_the_trend(
    mode: str, github_env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The release QA mode (`integrated --mode pre|post`) reading GitHub: its spectrum floors
    (and post's sense delta) are advisory like the PR gate's, the trend decides."""
    monkeypatch.chdir(tmp_path)
    seed_github(github_env.state, REPO, HEALTHY, NOW)
    extra = ["--mode", mode]
    if mode == "post":
        code, _ = run("integrated", tmp_path, "--mode", "pre", "--json", str(tmp_path / "pre.json"))
        assert code == 0
        extra += ["--compare", str(tmp_path / "pre.json")]
    github_env.reset_log()
    code, doc = run("integrated", tmp_path, *extra)
    assert code == 0, doc
    assert doc["verdict"] in ("PASS", "WARN")
    assert doc["mode"] == mode
    judged = verdicts(doc)
    assert judged["qa_overall"] == "WARN"  # 0.30 from CI-dominated activity: advisory
    assert all(c["verdict"] != "FAIL" for c in doc["checks"])
    for name in ("ci_failure_rate", "deploy_failure_rate", "rollbacks", "incidents"):
        assert judged[name] == "PASS", doc
    assert doc["inputs"]["github"] == {"repository": REPO, "requests": len(github_env.requests)}


@pytest.mark.github
def test_release_qa_from_github_fails_a_degrading_week_naming_it(
    github_env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    seed_github(github_env.state, REPO, DEGRADING, NOW)
    code, doc = run("integrated", tmp_path, "--mode", "pre")
    assert code == 2, doc
    failed = {c["name"]: c["reason"] for c in doc["checks"] if c["verdict"] == "FAIL"}
    assert set(failed) == {"ci_failure_rate", "deploy_failure_rate", "rollbacks", "incidents"}
    assert "rollbacks burst: 6 in the last 2d" in failed["rollbacks"]
