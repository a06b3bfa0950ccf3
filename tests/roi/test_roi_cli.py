"""`lumen roi|slo|integrated|record` end to end on files: exit codes, JSON, NO_DATA, errors."""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from example_data import EX, NOW, example_sources

from lumen import ledger
from lumen.cli import main
from lumen.schema import iter_errors

CONFIG = ["--config", str(EX / ".github" / "lumen.yml")]
INTEGRATED = [
    "integrated",
    *CONFIG,
    *example_sources(),
    "--now",
    NOW,
]


def run_json(argv: list[str], tmp_path: Path) -> tuple[int, dict]:  # type: ignore[type-arg]
    out = tmp_path / "result.json"
    out.unlink(missing_ok=True)
    code = main([*argv, "--json", str(out), "--quiet"])
    if not out.exists():
        return code, {}
    doc = json.loads(out.read_text())
    if argv[0] != "record":
        errors = [e.message for e in iter_errors("gate-result.schema.json", doc)]
        assert not errors, errors
    return code, doc


def test_examples_pass_the_integrated_gate(tmp_path: Path) -> None:
    code, doc = run_json(INTEGRATED, tmp_path)
    assert code == 0 and doc["verdict"] == "PASS"
    assert set(doc["maturity"]) == {"overall", "sense", "feedback", "release"}
    assert doc["roi_slo"]["roi_pass"] is True
    assert doc["roi_slo"]["score"] == 100
    assert doc["roi_slo"]["slo_burn_rate"] == pytest.approx(0.82)
    assert doc["roi"]["duplicates_dropped"] == 1
    assert {c["name"] for c in doc["checks"]} >= {"roi_slo_score", "borderline", "lead_time_s"}


def test_integrated_fails_on_the_maturity_floor_and_borderline(tmp_path: Path) -> None:
    code, doc = run_json([*INTEGRATED, "--min-overall", "0.9"], tmp_path)
    assert code == 2 and doc["verdict"] == "FAIL"
    # overall 0.846 is in [0.80, 0.90): borderline fails by default, warns on request
    code, doc = run_json([*INTEGRATED, "--min-overall", "0.80"], tmp_path)
    assert code == 2
    assert [c["name"] for c in doc["checks"] if c["verdict"] == "FAIL"] == ["borderline"]
    code, doc = run_json([*INTEGRATED, "--min-overall", "0.80", "--borderline", "warn"], tmp_path)
    assert code == 0 and doc["verdict"] == "WARN"


def test_integrated_fails_when_the_composite_fails(tmp_path: Path) -> None:
    code, doc = run_json([*INTEGRATED, "--min-success-rate", "0.99"], tmp_path)
    assert code == 2
    assert doc["roi_slo"]["roi_pass"] is False
    failed = [c["name"] for c in doc["checks"] if c["verdict"] == "FAIL"]
    assert "roi_slo_score" in failed  # the prod/api key objective vetoes


def test_pre_post_mode(tmp_path: Path) -> None:
    pre = tmp_path / "pre.json"
    assert main([*INTEGRATED, "--mode", "pre", "--json", str(pre), "--quiet"]) == 0
    code, doc = run_json([*INTEGRATED, "--mode", "post", "--compare", str(pre)], tmp_path)
    assert code == 0
    delta = next(c for c in doc["checks"] if c["name"] == "qa_sense_delta")
    assert delta["value"] == 0
    assert main([*INTEGRATED, "--mode", "post", "--quiet"]) == 1  # --compare is required


def test_ledger_relative_baseline_and_adaptive(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    first = run_json([*INTEGRATED, "--ledger", str(path)], tmp_path)[1]
    lead = next(c for c in first["checks"] if c["name"] == "lead_time_s")
    assert lead["verdict"] == "NO_DATA"
    second = run_json([*INTEGRATED, "--ledger", str(path)], tmp_path)[1]
    lead = next(c for c in second["checks"] if c["name"] == "lead_time_s")
    assert lead["verdict"] == "PASS" and lead["baseline"] == lead["value"]
    assert second["ledger_head"] == ledger.verify(path).head
    # three failing decisions raise the QA minimums, and the change is in the ledger
    for _ in range(3):
        main([*INTEGRATED, "--min-overall", "0.95", "--ledger", str(path), "--quiet"])
    code, doc = run_json(
        [*INTEGRATED, "--mode", "pre", "--adaptive", "--ledger", str(path)], tmp_path
    )
    assert code == 0
    assert doc["adaptive"]["action"] == "raise"
    assert doc["qa"]["min_overall"] == pytest.approx(0.66)
    changes = [e for _, e in ledger.iter_entries(path) if e.get("type") == "thresholds"]
    assert changes[0]["old"]["overall"] == 0.65 and changes[0]["new"]["overall"] == 0.66
    assert ledger.verify(path).ok


def test_roi_gate_values_and_wilson(tmp_path: Path) -> None:
    argv = ["roi", *CONFIG, "--deploys", str(EX / "deploys.jsonl"), "--now", NOW]
    code, doc = run_json(argv, tmp_path)
    assert code == 0
    assert doc["deploys"] == 163 and doc["success_rate"] == pytest.approx(151 / 163)
    assert doc["dora"]["lead_time_s"] is not None
    assert {row["env"] for row in doc["matrix"]} == {"prod", "stage"}
    code, doc = run_json(
        [*argv, "--env", "production", "--service", "web", "--statistic", "wilson"], tmp_path
    )
    assert doc["deploys"] == 24
    assert doc["checks"][0]["verdict"] == "WARN"  # 21/24 against 0.85: inconclusive


def test_roi_no_data_from_jsonl(tmp_path: Path) -> None:
    empty = tmp_path / "deploys.jsonl"
    empty.write_text("")
    code, doc = run_json(["roi", "--deploys", str(empty), "--now", NOW], tmp_path)
    assert code == 0 and doc["verdict"] == "NO_DATA"
    code, doc = run_json(
        ["roi", "--deploys", str(empty), "--now", NOW, "--on-no-data", "fail"], tmp_path
    )
    assert code == 2


def test_bad_deploy_line_names_file_line_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "deploys.jsonl"
    good = {
        "ts": NOW,
        "env": "prod",
        "service": "api",
        "action": "deploy",
        "version": "1",
        "result": "success",
    }
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, "result": "ok"}) + "\n")
    assert main(["roi", "--deploys", str(path), "--now", NOW]) == 1
    err = capsys.readouterr().err
    assert f"{path}:2" in err and "result" in err and "Traceback" not in err


def test_slo_from_samples_and_no_data(tmp_path: Path) -> None:
    code, doc = run_json(["slo", "--samples", str(EX / "slo-samples.json"), "--now", NOW], tmp_path)
    assert code == 0 and doc["slo_burn_rate"] == pytest.approx(0.82)
    fast = tmp_path / "fast.json"
    fast.write_text(
        json.dumps(
            {"windows": {"1h": {"errors": 200, "requests": 1000}, "5m": {"error_rate": 0.3}}}
        )
    )
    code, doc = run_json(["slo", "--samples", str(fast), "--now", NOW], tmp_path)
    assert code == 2 and doc["checks"][0]["verdict"] == "FAIL"
    assert doc["checks"][1]["verdict"] == "NO_DATA"
    empty = tmp_path / "empty.json"
    empty.write_text('{"windows": {}}')
    code, doc = run_json(["slo", "--samples", str(empty), "--now", NOW], tmp_path)
    assert code == 0 and doc["verdict"] == "NO_DATA"


def test_record_appends_valid_events(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "d.jsonl"
    base = [
        "record",
        "--deploys",
        str(path),
        "--env",
        "production",
        "--service",
        "api",
        "--version",
        "2.0.0",
        "--now",
        NOW,
    ]
    assert (
        main(
            [
                *base,
                "--action",
                "deploy",
                "--result",
                "success",
                "--commit-ts",
                "2026-11-20T17:00:00Z",
                "--quiet",
            ]
        )
        == 0
    )
    event = json.loads(path.read_text())
    assert event["env"] == "prod" and event["commit_ts"] == "2026-11-20T17:00:00Z"
    assert len(event["id"]) == 36
    assert main([*base, "--action", "deploy"]) == 1  # --result missing
    assert "--result" in capsys.readouterr().err


def test_integrated_without_loop_events_and_with_a_baseline_file(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text("")
    argv = [a if a != str(EX / "events.jsonl") else str(events) for a in INTEGRATED]
    code, doc = run_json(argv, tmp_path)
    assert code == 0 and doc["maturity"] is None
    overall = next(c for c in doc["checks"] if c["name"] == "maturity_overall")
    assert overall["verdict"] == "NO_DATA"
    assert run_json([*argv, "--on-no-data", "fail"], tmp_path)[0] == 2
    # an earlier passing result as baseline: lead time equal to it passes `<= +10%`
    earlier = tmp_path / "earlier.json"
    assert main([*INTEGRATED, "--json", str(earlier), "--quiet"]) == 0
    code, doc = run_json([*INTEGRATED, "--baseline", str(earlier)], tmp_path)
    lead = next(c for c in doc["checks"] if c["name"] == "lead_time_s")
    assert lead["verdict"] == "PASS" and lead["baseline"] == lead["value"]


@pytest.mark.github
def test_integrated_with_github_deployments(github_env: Any, tmp_path: Path) -> None:
    from datetime import datetime, timedelta

    now = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
    for day in range(10):
        github_env.state.add_deployment(
            "production", created_at=now - timedelta(days=day + 1), state="success"
        )
    argv = [a for a in INTEGRATED if a not in ("--deploys", str(EX / "deploys.jsonl"))]
    code, doc = run_json([*argv, "--github", "octo-org/app"], tmp_path)
    assert code == 0, doc
    assert doc["roi"]["deploys"] == 10 and doc["inputs"]["roi"]["api"] == "graphql"


def test_score_min_precedence(tmp_path: Path) -> None:
    # With wilson, the small matrix rows are inconclusive (WARN): the score drops below 100.
    config = tmp_path / "lumen.yml"
    base = (EX / ".github" / "lumen.yml").read_text()
    config.write_text(base.replace("  score-min: 70 ", "  score-min: 100"))
    argv = [a if a != str(EX / ".github" / "lumen.yml") else str(config) for a in INTEGRATED]
    code, doc = run_json([*argv, "--statistic", "wilson"], tmp_path)
    assert doc["score"]["score_min"] == 100  # score.score-min is honoured
    assert code == 2 and doc["roi_slo"]["score"] < 100
    code, doc = run_json([*argv, "--statistic", "wilson", "--score-min", "50"], tmp_path)
    assert code == 0 and doc["score"]["score_min"] == 50  # the flag wins
