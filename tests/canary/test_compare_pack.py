"""`kind: compare` rules in metric packs: the shipped canary-compare pack and the loader's
checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from gates.compare import Allowance, Direction
from gates.errors import ConfigError
from lumen.adapters.metric_packs import load_compare_rules, load_pack
from lumen.config import shipped_defaults

BASE = shipped_defaults("compare")


def test_shipped_pack_loads_with_selectors_and_group_weights() -> None:
    rules, score = load_compare_rules(
        "canary-compare",
        base=BASE,
        variables={
            "canary": 'app="shop", track="canary"',
            "baseline": 'app="shop", track="stable"',
        },
    )
    by_id = {r.id: r for r in rules}
    assert set(by_id) == {
        "CANARY-ERROR-RATIO",
        "CANARY-LATENCY-P50",
        "CANARY-LATENCY-P95",
        "CANARY-LATENCY-P99",
        "CANARY-REQUEST-RATE",
    }
    errors = by_id["CANARY-ERROR-RATIO"]
    assert errors.key and errors.weight == 40.0
    assert 'http_requests_total{app="shop", track="canary", code=~"5.."}' in errors.query_for(
        "canary"
    )
    assert 'track="stable"' in errors.query_for("baseline")
    assert "${selector}" not in errors.query_for("canary")
    # the latency group's 40 is shared by its three metrics
    assert by_id["CANARY-LATENCY-P95"].weight == pytest.approx(40 / 3)
    assert by_id["CANARY-LATENCY-P95"].settings.allowed_increase == Allowance(0.10, relative=True)
    assert by_id["CANARY-REQUEST-RATE"].settings.direction is Direction.DECREASE
    assert (errors.range_seconds, errors.step_seconds) == (1800.0, 30.0)
    assert (score.pass_score, score.marginal_score) == (95.0, 75.0)
    # the pack has no threshold rules: `lumen policy --pack` judges only the comparisons
    assert load_pack("canary-compare") == []


def _pack(tmp_path: Path, rule: str, extra: str = "") -> str:
    path = tmp_path / "pack.yml"
    path.write_text(
        "id: p\n" + extra + "rules:\n" + rule,
        encoding="utf-8",
    )
    return str(path)


RULE = """  - id: LATENCY
    kind: compare
    query: 'avg(latency_seconds{${selector}})'
    canary: 'track="canary"'
    baseline: 'track="stable"'
    range: 30m
    step: 30s
"""


def test_the_issue_contract_loads(tmp_path: Path) -> None:
    pack = _pack(tmp_path, RULE + "    direction: increase\n    allowed-increase: 10%\n")
    (rule,), _ = load_compare_rules(pack, base=BASE)
    assert rule.query_for("canary") == 'avg(latency_seconds{track="canary"})'
    assert rule.settings.allowed_increase == Allowance(0.10, relative=True)
    assert rule.settings.confidence == 0.95 and rule.settings.min_samples == 10
    assert rule.weight == 1.0


@pytest.mark.parametrize(
    ("rule", "extra", "message"),
    [
        (RULE.replace("{${selector}}", '{job="x"}'), "", "rules.0.query"),
        (RULE + "    allowed-increase: ten\n", "", "rules.0.allowed-increase"),
        (RULE + "    direction: up\n", "", "rules.0.direction"),
        (RULE.replace("range: 30m", "range: 0s"), "", "range: duration '0s' must be positive"),
        (RULE + "    confidence: 1.5\n", "", "rules.0.confidence"),
        (RULE, "compare:\n  pass-score: 50\n  marginal-score: 80\n", "above pass-score"),
        (RULE.replace("step: 30s", "step: ${nope}"), "", "unknown variable ${nope}"),
    ],
)
def test_bad_rules_are_refused_with_file_and_field(
    tmp_path: Path, rule: str, extra: str, message: str
) -> None:
    pack = _pack(tmp_path, rule, extra)
    with pytest.raises(ConfigError) as caught:
        load_compare_rules(pack, base=BASE)
    text = str(caught.value)
    assert pack in text
    assert message in text
