"""The shipped Prometheus rules (policy/prometheus/): `promtool check rules` clean and their
unit tests (`promtool test rules`, tests/sampler/lumen-rules.test.yml) pass."""

from __future__ import annotations

import subprocess
from pathlib import Path

from harness.binaries import require_binary

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "policy" / "prometheus" / "lumen-rules.yml"
RULE_TESTS = Path(__file__).with_name("lumen-rules.test.yml")


def promtool(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require_binary("promtool"), *argv], capture_output=True, text=True, check=False
    )


def test_rules_check_clean() -> None:
    proc = promtool("check", "rules", str(RULES))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS" in proc.stdout


def test_rules_unit_tests_pass() -> None:
    proc = promtool("test", "rules", str(RULE_TESTS))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_rule_unit_tests_can_fail(tmp_path: Path) -> None:
    # The unit tests would notice a changed threshold: move the stale bound to 28h and the
    # 27h expectation must fail.
    changed = tmp_path / "policy" / "prometheus"
    changed.mkdir(parents=True)
    (changed / "lumen-rules.yml").write_text(
        RULES.read_text().replace(
            "lumen_sampler_last_success_timestamp_seconds > 26 * 3600",
            "lumen_sampler_last_success_timestamp_seconds > 28 * 3600",
        )
    )
    tests_dir = tmp_path / "tests" / "sampler"
    tests_dir.mkdir(parents=True)
    (tests_dir / RULE_TESTS.name).write_text(RULE_TESTS.read_text())
    proc = promtool("test", "rules", str(tests_dir / RULE_TESTS.name))
    assert proc.returncode != 0
    assert "LumenSamplerStale" in proc.stdout + proc.stderr
