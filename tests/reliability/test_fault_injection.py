"""Fault injection: every command that talks to a service ends within its budget when the
service misbehaves (issue 20, spec "Budgets").

Each case runs the real CLI in a subprocess against a loopback server from `servers.py` and
asserts exit 1, a one-line error (no traceback) and a wall time within the budget plus 5 s
plus this machine's interpreter start-up. The budgets are set small (a few seconds) through
the same flags and variables a user would set, so the whole table runs in well under a minute.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from gate_result import maturity_result

from gates.failure_class import classify

from .servers import Behaviour, kill_mid_push, misbehaving_server

ROOT = Path(__file__).resolve().parents[2]
EX = ROOT / "examples"
NOW = "2026-11-20T18:00:00Z"
BUDGET_S = 2.0  # every service's budget in these cases
SLACK_S = 5.0  # the bound: budget plus 5 s

RESULT = maturity_result(value=0.41, verdict="FAIL", reason="overall 0.41")


@dataclass(frozen=True)
class Case:
    service: str
    command: str
    argv: Callable[[str, Path], list[str]]
    env: Callable[[str], dict[str, str]] = field(default=lambda url: {})


def result_file(tmp: Path) -> str:
    path = tmp / "result.json"
    path.write_text(json.dumps(RESULT))
    return str(path)


def github_env(url: str) -> dict[str, str]:
    return {
        "GITHUB_API_URL": url,
        "GITHUB_GRAPHQL_URL": url + "/graphql",
        "GITHUB_TOKEN": "ghs_fault_injection",
        "GITHUB_REPOSITORY": "octo-org/app",
        "LUMEN_GITHUB_MAX_WAIT": f"{BUDGET_S:g}",
        "LUMEN_GITHUB_TIMEOUT": "1",
        "LUMEN_GITHUB_BACKOFF": "0",
        "LUMEN_GITHUB_WRITE_INTERVAL": "0",
    }


PROMETHEUS_ENV = {"LUMEN_PROMETHEUS_BUDGET": f"{BUDGET_S:g}"}

CASES = {
    "prometheus-roi": Case(
        "prometheus",
        "roi",
        lambda url, tmp: [
            "roi",
            "--prometheus",
            url,
            "--env",
            "prod",
            "--service",
            "api",
            "--prometheus-timeout",
            "1s",
        ],
        lambda url: PROMETHEUS_ENV,
    ),
    "prometheus-policy": Case(
        "prometheus",
        "policy",
        lambda url, tmp: ["policy", "--pack", "canary", "--prometheus", url],
        lambda url: PROMETHEUS_ENV,
    ),
    "pushgateway-sample": Case(
        "pushgateway",
        "sample",
        lambda url, tmp: [
            "sample",
            "--pushgateway",
            url,
            "--events",
            str(EX / "events.jsonl"),
            "--history",
            str(tmp / "history.jsonl"),
            "--spool",
            str(tmp / "spool"),
            "--now",
            NOW,
            "--push-deadline",
            f"{BUDGET_S:g}s",
            "--push-timeout",
            "1s",
            "--push-backoff",
            "10ms",
            "--quiet",
        ],
    ),
    "github-comment": Case(
        "github",
        "comment",
        lambda url, tmp: ["comment", "--result", result_file(tmp), "--pr", "7"],
        github_env,
    ),
    "webhook-notify": Case(
        "webhook",
        "notify",
        lambda url, tmp: ["notify", "--result", result_file(tmp), "--webhook", url + "/hook"],
        lambda url: {"LUMEN_WEBHOOK_BUDGET": f"{BUDGET_S:g}", "LUMEN_WEBHOOK_SECRET": "s3cret"},
    ),
}

BEHAVIOURS = {
    "prometheus": [
        Behaviour.TRICKLE,
        Behaviour.STALL,
        Behaviour.RETRY_429,
        Behaviour.GARBAGE,
        Behaviour.RESET,
    ],
    "pushgateway": [
        Behaviour.TRICKLE,
        Behaviour.STALL,
        Behaviour.RETRY_429,
        Behaviour.GARBAGE,
        Behaviour.RESET,
    ],
    "github": [
        Behaviour.TRICKLE,
        Behaviour.STALL,
        Behaviour.RETRY_403,
        Behaviour.RETRY_429,
        Behaviour.GARBAGE,
        Behaviour.RESET,
        # a read cut mid-body is retried (github.retries), still within the budget
        Behaviour.CUT,
    ],
    "webhook": [
        Behaviour.TRICKLE,
        Behaviour.STALL,
        Behaviour.RETRY_429,
        Behaviour.GARBAGE,
        Behaviour.RESET,
    ],
}

# What the one-line error must say, by behaviour: a wait that ran out of budget says "timed
# out" (`lumen classify`: network); a broken exchange names the connection failure.
EXPECTED = {
    Behaviour.TRICKLE: r"timed out",
    Behaviour.STALL: r"timed out",
    Behaviour.SILENT: r"timed out",
    Behaviour.RETRY_429: r"timed out|HTTP 429",
    Behaviour.RETRY_403: r"timed out",
    Behaviour.GARBAGE: r"ConnectionError|unreachable|cannot reach|not its API",
    Behaviour.RESET: r"ConnectionError|unreachable|cannot reach",
    Behaviour.CUT: r"cannot reach GitHub",
}

TABLE = [
    pytest.param(name, behaviour, id=f"{name}-{behaviour.value}")
    for name, case in CASES.items()
    for behaviour in BEHAVIOURS[case.service]
]


@pytest.fixture(scope="module")
def startup_s() -> float:
    """What the interpreter and `lumen.cli` take to start here: not part of any budget."""
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", "import lumen.cli"], check=True, timeout=120)
    return time.monotonic() - started


def clean_env(extra: dict[str, str], tmp: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "LUMEN_", "INPUT_", "RUNNER_"))
    }
    env.update(extra)
    env["HOME"] = str(tmp)
    return env


@pytest.mark.parametrize(("name", "behaviour"), TABLE)
def test_misbehaving_service_ends_within_budget(
    name: str, behaviour: Behaviour, tmp_path: Path, startup_s: float
) -> None:
    case = CASES[name]
    bound = BUDGET_S + SLACK_S + startup_s
    with misbehaving_server(behaviour) as url:
        argv = case.argv(url, tmp_path)
        started = time.monotonic()
        try:
            done = subprocess.run(
                [sys.executable, "-m", "lumen.cli", *argv],
                check=False,
                env=clean_env(case.env(url), tmp_path),
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=bound + 30,
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"lumen {case.command} hung against a {behaviour.value} {case.service}")
        elapsed = time.monotonic() - started
    assert done.returncode == 1, (done.returncode, done.stdout[-2000:], done.stderr[-2000:])
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    assert re.search(EXPECTED[behaviour], done.stderr), done.stderr[-1000:]
    assert url.removeprefix("http://") not in done.stdout
    if "timed out" in done.stderr:
        # The failure class the incident card shows and the workflows retry on.
        assert classify(done.stderr).failure_class == "network", done.stderr
    assert elapsed <= bound, f"{elapsed:.1f}s > {bound:.1f}s: {done.stderr[-500:]}"


def test_sampler_killed_mid_push_keeps_its_values(tmp_path: Path) -> None:
    """kill -9 while the Pushgateway stalls: the run's values are in the spool already."""
    case = CASES["pushgateway-sample"]
    spool = tmp_path / "spool"
    with misbehaving_server(Behaviour.STALL) as url:
        argv = [*case.argv(url, tmp_path), "--push-deadline", "60s", "--push-timeout", "60s"]
        env = clean_env({}, tmp_path)
        kill_mid_push(argv, tmp_path, lambda: bool(list(spool.glob("*.json"))), env)
    entries = [json.loads(p.read_text()) for p in (tmp_path / "spool").glob("*.json")]
    assert entries, "a run killed mid-push lost its values"
    assert all(entry["series"] and entry["exposition"] for entry in entries), entries
