"""The PR comment a reviewer reads in five seconds (issue 18): PASS is one headline with the
table collapsed, FAIL puts the failing checks first, durations and rates read as such, and it
says where the numbers come from."""

from __future__ import annotations

from typing import Any

from lumen.reporting.comment import comment_body, display_value


def result(verdict: str, checks: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"gate": "integrated", "verdict": verdict, "window": "24h", "checks": checks, **extra}


def check(name: str, verdict: str, value: Any = 0.5, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "verdict": verdict,
        "value": value,
        "comparator": "<",
        "threshold": 1,
        "reason": f"{name} reason",
        **extra,
    }


def test_pass_is_one_headline_with_the_table_collapsed() -> None:
    body = comment_body(result("PASS", [check("a", "PASS"), check("b", "NO_DATA")]))
    lines = body.split("\n\n")
    assert lines[1] == "### ✅ Lumen integrated gate: **PASS**"
    assert lines[2] == "Judged 2 checks (1 NO_DATA, 1 PASS) over `24h`"
    assert "<details><summary>All checks</summary>" in body
    assert body.index("<details>") < body.index("| a |")


def test_fail_lists_the_failing_checks_first() -> None:
    body = comment_body(
        result("FAIL", [check("ok", "PASS"), check("meh", "WARN"), check("bad", "FAIL")])
    )
    assert "<details>" not in body
    assert body.index("| bad |") < body.index("| meh |") < body.index("| ok |")


def test_durations_and_rates_read_as_such() -> None:
    assert display_value("lead_time_s", 79200.0) == "22h"
    assert display_value("time_to_restore_s", 5400) == "1h30m"
    assert display_value("ci_failure_rate", 0.35) == "35.0%"
    assert display_value("success_rate@prod/api", 0.967) == "96.7%"
    assert display_value("burn_rate_1h_5m", 0.82) == "0.820"  # a multiple, not a fraction
    assert display_value("maturity_overall", 0.846) == "0.846"


def test_it_says_where_the_numbers_come_from() -> None:
    github = result(
        "FAIL",
        [check("ci_failure_rate", "FAIL", 0.35, source="history")],
        inputs={"github": {"repository": "octo-org/app", "requests": 9}},
        trend={"recent-window": "2d", "baseline-window": "28d"},
    )
    body = comment_body(github)
    assert "from the repository's history (the GitHub activity of `octo-org/app`)" in body
    assert "none from this PR's diff" in body
    assert "compare the last `2d` with the `28d` before" in body
    policy = comment_body({"gate": "policy", "verdict": "PASS", "checks": []})
    assert "measured on this pull request's files" in policy
