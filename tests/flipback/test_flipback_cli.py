"""`lumen flipback` end to end: plan, confirm, idempotency, platforms through recording stand-ins
of helm/kubectl/argocd on PATH, GitHub Deployments on the double, approvals, announcements."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from lumen.cli import main

NOW = "2026-11-21T12:00:00Z"


def events(*rows: tuple[str, str, str, str]) -> str:
    """(day, env, version, result) → JSONL."""
    lines = []
    for day, env, version, result in rows:
        lines.append(
            json.dumps(
                {
                    "ts": f"2026-11-{day}T10:00:00Z",
                    "env": env,
                    "service": "api",
                    "action": "deploy",
                    "version": version,
                    "result": result,
                    "author": "ci",
                }
            )
        )
    return "\n".join(lines) + "\n"


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "deploys.jsonl"
    path.write_text(
        events(
            ("01", "prod", "v1", "success"),
            ("02", "stage", "v9", "success"),
            ("03", "prod", "v2", "success"),
            ("04", "prod", "v3", "failure"),
        )
    )
    return path


def base(tmp_path: Path, log: Path, *extra: str) -> list[str]:
    return [
        "flipback",
        *extra,
        "--deploys",
        str(log),
        "--env",
        "production",
        "--service",
        "api",
        "--now",
        NOW,
        "--lock-dir",
        str(tmp_path / "locks"),
    ]


def test_plan_changes_nothing(tmp_path, log, capsys) -> None:
    before = log.read_bytes()
    out = tmp_path / "plan.json"
    assert main([*base(tmp_path, log, "plan"), "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "current: v3" in text and "target:  v2" in text
    assert "skipped" not in text  # v3 is the current one, v2 is good
    assert log.read_bytes() == before
    doc = json.loads(out.read_text())["flipback"]
    assert doc["target"] == "v2" and doc["executed"] is False


def test_execute_without_confirm_refuses(tmp_path, log, capsys) -> None:
    before = log.read_bytes()
    assert main(base(tmp_path, log, "execute")) == 1
    assert "--confirm yes" in capsys.readouterr().err
    assert main([*base(tmp_path, log, "execute"), "--confirm", "no"]) == 1
    assert log.read_bytes() == before


def test_execute_records_and_second_run_does_nothing(tmp_path, log, capsys) -> None:
    ledger = tmp_path / "ledger.jsonl"
    args = [*base(tmp_path, log, "execute"), "--confirm", "yes", "--ledger", str(ledger)]
    assert main(args) == 0
    last = json.loads(log.read_text().splitlines()[-1])
    assert last["action"] == "flipback" and last["version"] == "v2" and last["result"] == "success"
    assert last["env"] == "prod" and last["ts"] == NOW
    entry = json.loads(ledger.read_text().splitlines()[-1])
    assert (entry["type"], entry["from"], entry["to"]) == ("flipback", "v3", "v2")
    lines = len(log.read_text().splitlines())
    capsys.readouterr()
    assert main(args) == 0
    assert "already flipped back to v2" in capsys.readouterr().out
    assert len(log.read_text().splitlines()) == lines


def test_gate_failed_version_is_skipped_via_ledger(tmp_path, log, capsys) -> None:
    ledger = tmp_path / "ledger.jsonl"
    assert (
        main(
            [
                "ledger",
                "append",
                str(ledger),
                "--entry",
                json.dumps(
                    {
                        "type": "gate",
                        "gate": "integrated",
                        "verdict": "FAIL",
                        "env": "prod",
                        "service": "api",
                        "result": {"inputs": {"version": "v2"}},
                    }
                ),
            ]
        )
        == 0
    )
    assert main([*base(tmp_path, log, "plan"), "--ledger", str(ledger)]) == 0
    out = capsys.readouterr().out
    assert "target:  v1" in out and "skipped v2: it failed the integrated gate (ledger)" in out


def test_nothing_to_flip_back_to_is_exit_1(tmp_path, capsys) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text(events(("01", "prod", "v1", "success")))
    assert main(base(tmp_path, path, "plan")) == 1
    assert "no flipback target: no known-good version before v1" in capsys.readouterr().err


def test_other_env_is_ignored(tmp_path, log, capsys) -> None:
    assert (
        main(
            [
                "flipback",
                "plan",
                "--deploys",
                str(log),
                "--env",
                "stage",
                "--service",
                "api",
                "--lock-dir",
                str(tmp_path / "l"),
            ]
        )
        == 1
    )
    assert "before v9" in capsys.readouterr().err


def test_concurrent_flipback_is_locked_out(tmp_path, log, capsys) -> None:
    from lumen.app.flipback import env_lock

    with env_lock(str(tmp_path / "locks"), "prod", "api"):
        assert main([*base(tmp_path, log, "execute"), "--confirm", "yes"]) == 1
    assert "another flipback for prod/api is running" in capsys.readouterr().err


# --- recording stand-ins -------------------------------------------------------------------

STANDIN = """\
#!{python}
import json, os, sys
with open(os.environ["STANDIN_LOG"], "a") as log:
    log.write(json.dumps([os.path.basename(sys.argv[0]), *sys.argv[1:]]) + "\\n")
key = " ".join(sys.argv[1:3])
replies = json.loads(os.environ.get("STANDIN_REPLIES", "{{}}"))
reply = replies.get(key)
if isinstance(reply, dict) and "exit" in reply:
    sys.stderr.write(reply.get("stderr", ""))
    sys.exit(reply["exit"])
if reply is not None:
    print(json.dumps(reply))
"""


@pytest.fixture
def standins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import sys

    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name in ("helm", "kubectl", "argocd"):
        script = bindir / name
        script.write_text(STANDIN.format(python=sys.executable))
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
    calls = tmp_path / "calls.jsonl"
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("STANDIN_LOG", str(calls))

    def set_replies(replies: dict) -> None:
        monkeypatch.setenv("STANDIN_REPLIES", json.dumps(replies))

    def recorded() -> list[list[str]]:
        return (
            [json.loads(line) for line in calls.read_text().splitlines()] if calls.exists() else []
        )

    return set_replies, recorded


HELM_HISTORY = [
    {
        "revision": 1,
        "updated": "2026-11-01T10:00:00Z",
        "status": "superseded",
        "chart": "api-1.0.0",
        "app_version": "1.0.0",
        "description": "Install complete",
    },
    {
        "revision": 2,
        "updated": "2026-11-02T10:00:00Z",
        "status": "superseded",
        "chart": "api-1.1.0",
        "app_version": "1.1.0",
        "description": "Upgrade complete",
    },
    {
        "revision": 3,
        "updated": "2026-11-03T10:00:00Z",
        "status": "failed",
        "chart": "api-1.2.0",
        "app_version": "1.2.0",
        "description": "Upgrade failed",
    },
    {
        "revision": 4,
        "updated": "2026-11-04T10:00:00Z",
        "status": "deployed",
        "chart": "api-1.3.0",
        "app_version": "1.3.0",
        "description": "Upgrade complete",
    },
]


def test_helm_plan_and_execute(tmp_path, standins, capsys) -> None:
    set_replies, recorded = standins
    set_replies({"history api": HELM_HISTORY})
    common = [
        "flipback",
        "--platform",
        "helm",
        "--release",
        "api",
        "--namespace",
        "shop",
        "--env",
        "prod",
        "--service",
        "api",
        "--lock-dir",
        str(tmp_path / "l"),
        "--timeout",
        "120",
    ]
    assert main([*common, "plan"]) == 0
    out = capsys.readouterr().out
    assert "target:  1.1.0" in out
    assert "would run: helm rollback api 2 -n shop --wait --timeout 120s" in out
    assert recorded() == [["helm", "history", "api", "-n", "shop", "-o", "json", "--max", "256"]]
    deploys = tmp_path / "d.jsonl"
    assert main([*common, "execute", "--confirm", "yes", "--deploys", str(deploys)]) == 0
    assert recorded()[-1] == [
        "helm",
        "rollback",
        "api",
        "2",
        "-n",
        "shop",
        "--wait",
        "--timeout",
        "120s",
    ]
    assert json.loads(deploys.read_text())["version"] == "1.1.0"
    # after the rollback helm shows a new deployed revision "Rollback to 2": nothing to do
    set_replies(
        {
            "history api": [
                *HELM_HISTORY[:3],
                dict(HELM_HISTORY[3], status="superseded"),
                {
                    "revision": 5,
                    "updated": "2026-11-05T10:00:00Z",
                    "status": "deployed",
                    "chart": "api-1.1.0",
                    "app_version": "1.1.0",
                    "description": "Rollback to 2",
                },
            ]
        }
    )
    calls = len(recorded())
    assert main([*common, "execute", "--confirm", "yes"]) == 0
    assert "already flipped back to 1.1.0" in capsys.readouterr().out
    assert len(recorded()) == calls + 1  # only `helm history`


def test_helm_failure_midway_is_recorded_and_exit_1(tmp_path, standins, capsys) -> None:
    set_replies, _ = standins
    set_replies(
        {
            "history api": HELM_HISTORY,
            "rollback api": {"exit": 1, "stderr": "Error: timed out waiting for the condition\n"},
        }
    )
    deploys = tmp_path / "d.jsonl"
    code = main(
        [
            "flipback",
            "execute",
            "--confirm",
            "yes",
            "--platform",
            "helm",
            "--release",
            "api",
            "--env",
            "prod",
            "--service",
            "api",
            "--deploys",
            str(deploys),
            "--lock-dir",
            str(tmp_path / "l"),
        ]
    )
    assert code == 1
    assert "timed out waiting for the condition" in capsys.readouterr().err
    event = json.loads(deploys.read_text())
    assert event["result"] == "failure" and "timed out" in event["notes"]


def test_argo_rollouts_abort_then_undo(tmp_path, standins, log, capsys) -> None:
    set_replies, recorded = standins
    set_replies({"get rollout": {"kind": "Rollout", "status": {"abort": False, "phase": "Paused"}}})
    args = [
        *base(tmp_path, log, "execute"),
        "--confirm",
        "yes",
        "--platform",
        "argo-rollouts",
        "--rollout",
        "api",
        "--namespace",
        "shop",
    ]
    assert main(args) == 0
    assert recorded()[-2:] == [
        ["kubectl", "argo", "rollouts", "abort", "api", "-n", "shop"],
        ["kubectl", "argo", "rollouts", "undo", "api", "-n", "shop"],
    ]
    # already aborted: read state first, do not abort again
    log.write_text(log.read_text().rsplit("\n", 2)[0] + "\n")  # drop the recorded flipback
    set_replies(
        {"get rollout": {"kind": "Rollout", "status": {"abort": True, "phase": "Degraded"}}}
    )
    before = len(recorded())
    assert main(args) == 0
    assert [c[3] for c in recorded()[before:] if c[:3] == ["kubectl", "argo", "rollouts"]] == [
        "undo"
    ]


ARGO_APP = {
    "spec": {"syncPolicy": {}},
    "status": {
        "history": [
            {"id": 10, "revision": "aaaaaaaaaaaaaaaa", "deployedAt": "2026-11-01T10:00:00Z"},
            {"id": 11, "revision": "bbbbbbbbbbbbbbbb", "deployedAt": "2026-11-02T10:00:00Z"},
        ]
    },
}


def test_argocd_rollback_and_auto_sync_refusal(tmp_path, standins, capsys) -> None:
    set_replies, recorded = standins
    set_replies({"app get": ARGO_APP})
    common = [
        "flipback",
        "--platform",
        "argocd",
        "--app",
        "shop",
        "--env",
        "prod",
        "--service",
        "api",
        "--lock-dir",
        str(tmp_path / "l"),
    ]
    assert main([*common, "execute", "--confirm", "yes"]) == 0
    assert recorded()[-1] == ["argocd", "app", "rollback", "shop", "10", "--timeout", "300"]
    auto = json.loads(json.dumps(ARGO_APP))
    auto["spec"]["syncPolicy"] = {"automated": {"prune": True}}
    set_replies({"app get": auto})
    assert main([*common, "execute", "--confirm", "yes"]) == 1
    err = capsys.readouterr().err
    assert "refuses to roll back shop while auto-sync is on" in err and "--sync-policy none" in err


def test_missing_tool_is_a_clear_error(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert (
        main(
            [
                "flipback",
                "plan",
                "--platform",
                "helm",
                "--release",
                "api",
                "--env",
                "prod",
                "--lock-dir",
                str(tmp_path / "l"),
            ]
        )
        == 1
    )
    assert "`helm` is not on PATH" in capsys.readouterr().err


def test_flipback_is_announced(tmp_path, log, webhook_receiver, monkeypatch) -> None:
    monkeypatch.setenv("LUMEN_WEBHOOK_SECRET", "k")
    assert (
        main(
            [*base(tmp_path, log, "execute"), "--confirm", "yes", "--webhook", webhook_receiver.url]
        )
        == 0
    )
    body = webhook_receiver.requests[0].json()
    assert body["gate"] == "flipback" and body["verdict"] == "PASS"
    assert body["reasons"] == [] and "from v3 to v2" in body["result"]["checks"][0]["reason"]
