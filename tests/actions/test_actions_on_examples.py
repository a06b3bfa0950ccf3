"""Each shipped action, run by the composite-action runner on the bundled example data
(`examples/`: loop events, deploy events, SLO samples, `.github/lumen.yml`), end to end.

The gates' numbers are proven by their own known-answer tests; here the point is the wiring
from inputs to flags and from the result to the outputs: every declared value output equals
the value in the result JSON the same run wrote, the exit code follows the verdict, and the
outputs a workflow relies on are there.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness.action_runner import ActionResult, Runner
from harness.actions import plant_shadow_packages, sticky_comments

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-11-20T18:00:00Z"
CONFIG = ".github/lumen.yml"
# Outputs that are not values of the result JSON.
NOT_VALUES = {
    *("verdict", "json", "log", "failure-class", "path", "bundles", "body", "release-url"),
    *("sarif", "burn-rate", "failed", "warned", "approvals", "approved-by"),
}


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    """A copy of examples/ as the job's workspace (actions may write next to the data), with
    `release/`, `gates/` and `lumen/` packages that raise on import, as a user's repository may
    have: every action here runs with its import paths kept off the workspace."""
    workspace = tmp_path / "workspace"
    shutil.copytree(ROOT / "examples", workspace, ignore=shutil.ignore_patterns("out"))
    plant_shadow_packages(workspace)
    return workspace


def test_the_shadow_packages_would_break_an_unsafe_import(examples: Path) -> None:
    """The planted packages have teeth: a plain `python -c` in the workspace imports them."""
    for name in ("release", "gates", "lumen"):
        done = subprocess.run(
            [sys.executable, "-c", f"import {name}"],
            cwd=examples,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode != 0 and "shadowed Lumen" in done.stderr, name
        safe = subprocess.run(
            [sys.executable, "-P", "-c", f"import {name}"], cwd=examples, check=False
        )
        assert safe.returncode == 0, name


def declared_outputs(action: str) -> list[str]:
    meta = yaml.safe_load((ROOT / "actions" / action / "action.yml").read_text(encoding="utf-8"))
    return list(meta["outputs"])


def result_json(result: ActionResult) -> dict[str, Any]:
    path = Path(result.outputs["json"])
    assert path.is_file(), f"json output {path} does not exist\n{result.log}"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def value_in(document: dict[str, Any], name: str) -> Any:
    """`success-rate` -> document["success_rate"], else a nested object's "success_rate"."""
    key = name.replace("-", "_")
    if key in document:
        found = document[key]
        # e.g. the integrated gate's `score` block carries its own `score`
        return found[key] if isinstance(found, dict) and key in found else found
    for value in document.values():
        if isinstance(value, dict) and key in value:
            return value[key]
    raise KeyError(name)


def assert_same(output: str, value: Any, name: str) -> None:
    """Outputs print numbers with 6 significant digits (or 3 decimals for maturity)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        assert float(output) == pytest.approx(value, abs=5e-4), name
    else:
        assert output == as_output(value), name


def as_output(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def assert_gate_wiring(action: str, result: ActionResult) -> dict[str, Any]:
    """Exit code by verdict, verdict output = JSON verdict, every value output = JSON value."""
    document = result_json(result)
    verdict = document["verdict"]
    assert result.outputs["verdict"] == verdict
    assert result.returncode == (2 if verdict == "FAIL" else 0), result.log
    assert result.outputs["failure-class"] == ""
    for name in declared_outputs(action):
        if name in NOT_VALUES:
            continue
        assert_same(result.outputs[name], value_in(document, name), name)
    assert verdict in result.summary or document.get("gate", "") in result.summary
    return document


def test_maturity_gate(run_action: Runner, examples: Path) -> None:
    result = run_action(
        "maturity-gate",
        {"events": "events.jsonl", "config": CONFIG, "now": NOW, "window": "6h\n24h"},
    )
    document = assert_gate_wiring("maturity-gate", result)
    assert 0.0 <= float(result.outputs["overall"]) <= 1.0
    assert result.outputs["hint"] in {"tighten", "relax", "steady"}
    assert document["inputs"]


def test_roi_gate(run_action: Runner, examples: Path) -> None:
    result = run_action(
        "roi-gate", {"deploys": "deploys.jsonl", "config": CONFIG, "now": NOW, "env": "prod"}
    )
    assert_gate_wiring("roi-gate", result)
    assert int(result.outputs["deploys"]) > 0


def test_slo_gate(run_action: Runner, examples: Path) -> None:
    result = run_action("slo-gate", {"samples": "slo-samples.json", "config": CONFIG, "now": NOW})
    assert_gate_wiring("slo-gate", result)


def test_integrated_gate_passes_on_the_examples(run_action: Runner, examples: Path) -> None:
    # The same run as `make demo`, which must exit 0.
    result = run_action(
        "integrated-gate",
        {"events": "events.jsonl", "deploys": "deploys.jsonl", "config": CONFIG, "now": NOW},
    )
    assert_gate_wiring("integrated-gate", result)
    assert result.outputs["verdict"] in {"PASS", "WARN"}
    assert 0 <= float(result.outputs["score"]) <= 100


def test_integrated_gate_threshold_input_can_fail_it(run_action: Runner, examples: Path) -> None:
    result = run_action(
        "integrated-gate",
        {
            "events": "events.jsonl",
            "deploys": "deploys.jsonl",
            "config": CONFIG,
            "now": NOW,
            "min-overall": "0.99",
        },
    )
    assert_gate_wiring("integrated-gate", result)
    assert result.outputs["verdict"] == "FAIL"
    assert any(a["level"] == "error" for a in result.annotations)


def test_record_event_appends_one_event(run_action: Runner, examples: Path) -> None:
    before = (examples / "deploys.jsonl").read_text(encoding="utf-8").count("\n")
    result = run_action(
        "record-event",
        {
            "deploys": "deploys.jsonl",
            "env": "prod",
            "service": "checkout",
            "action": "deploy",
            "version": "9.9.9",
            "result": "success",
            "author": "octocat",
            "now": NOW,
        },
    )
    assert result.returncode == 0, result.log
    lines = (examples / "deploys.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == before + 1
    event = json.loads(lines[-1])
    assert (event["env"], event["service"], event["version"], event["result"]) == (
        "prod",
        "checkout",
        "9.9.9",
        "success",
    )
    assert event["author"] == "octocat"


def test_loop_sampler_writes_a_textfile(run_action: Runner, examples: Path) -> None:
    result = run_action(
        "loop-sampler",
        {
            "events": "events.jsonl",
            "deploys": "deploys.jsonl",
            "config": CONFIG,
            "now": NOW,
            "textfile": "lumen.prom",
        },
    )
    assert result.returncode == 0, result.log
    exposition = (examples / "lumen.prom").read_text(encoding="utf-8")
    assert "# TYPE lumen_maturity_overall gauge" in exposition
    assert "lumen_deploy_success_rate" in exposition


def test_flipback_plan_names_current_and_target(run_action: Runner, examples: Path) -> None:
    result = run_action(
        "flipback",
        {
            "mode": "plan",
            "platform": "none",
            "deploys": "deploys.jsonl",
            "env": "prod",
            "service": "api",
            "config": CONFIG,
            "now": NOW,
        },
    )
    assert result.returncode == 0, result.log
    document = result_json(result)
    assert result.outputs["target"] == as_output(value_in(document, "target"))
    assert result.outputs["current"] == as_output(value_in(document, "current"))
    assert result.outputs["target"] and result.outputs["target"] != result.outputs["current"]


def test_flipback_execute_needs_confirmation(run_action: Runner, examples: Path) -> None:
    before = (examples / "deploys.jsonl").read_bytes()
    result = run_action(
        "flipback",
        {
            "mode": "execute",
            "platform": "none",
            "deploys": "deploys.jsonl",
            "env": "prod",
            "service": "api",
            "now": NOW,
        },
    )
    assert result.returncode == 1
    assert (examples / "deploys.jsonl").read_bytes() == before


def test_sbom_of_a_requirements_file(run_action: Runner, examples: Path) -> None:
    (examples / "requirements.txt").write_text("pyyaml==6.0.2\nrequests==2.32.3\n")
    result = run_action(
        "sbom",
        {"requirements": "requirements.txt", "output": "sbom.cdx.json", "now": NOW},
    )
    assert result.returncode == 0, result.log
    assert result.outputs["path"] == "sbom.cdx.json"
    bom = json.loads((examples / "sbom.cdx.json").read_text(encoding="utf-8"))
    assert bom["bomFormat"] == "CycloneDX" and bom["specVersion"] == "1.6"
    names = {c["name"].lower() for c in bom["components"]}
    assert {"pyyaml", "requests"} <= names


def test_notify_posts_a_signed_webhook(
    run_action: Runner, examples: Path, webhook_receiver: Any
) -> None:
    gate = run_action(
        "integrated-gate",
        {"events": "events.jsonl", "deploys": "deploys.jsonl", "config": CONFIG, "now": NOW},
    )
    result = run_action(
        "notify",
        {
            "result": gate.outputs["json"],
            "webhook": webhook_receiver.url + "/hook",
            "webhook-secret": "example-secret-123",
        },
    )
    assert result.returncode == 0, result.log
    assert "example-secret-123" in result.masks
    assert webhook_receiver.url + "/hook" in result.masks
    assert len(webhook_receiver.requests) == 1
    request = webhook_receiver.requests[0]
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert headers["x-lumen-signature"].startswith("sha256=")
    assert "x-lumen-timestamp" in headers
    shown = [line for line in result.log.splitlines() if not line.startswith("::add-mask::")]
    assert not any("example-secret-123" in line for line in shown)


KUBERNETES_BAD = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx:latest
"""


def test_policy_gate_with_the_shipped_kubernetes_pack(run_action: Runner, examples: Path) -> None:
    (examples / "deploy" / "bad.yaml").write_text(KUBERNETES_BAD, encoding="utf-8")
    bad = run_action(
        "policy-gate",
        {"rego": "kubernetes", "files": "deploy/bad.yaml", "sarif": "policy.sarif", "now": NOW},
    )
    document = assert_gate_wiring("policy-gate", bad)
    assert bad.outputs["verdict"] == "FAIL"
    assert int(bad.outputs["failed"]) == document["failed"] > 0
    assert bad.outputs["sarif"] == "policy.sarif"
    assert json.loads((examples / "policy.sarif").read_text(encoding="utf-8"))["runs"]
    # one annotation per failing check, on the manifest
    assert any(a.get("file", "").endswith("bad.yaml") for a in bad.annotations)
    # the example repository's own manifest, as its PR gate starter judges it
    good = run_action("policy-gate", {"rego": "kubernetes", "files": "deploy/web.yaml"})
    assert_gate_wiring("policy-gate", good)
    assert good.outputs["verdict"] == "PASS"


PRS = [
    {
        "number": 7,
        "title": "feat: nightly incident card",
        "user": {"login": "alice", "type": "User"},
        "labels": [],
        "html_url": "https://github.com/octo-org/octo-repo/pull/7",
        "author_association": "MEMBER",
    },
    {
        "number": 8,
        "title": "fix: flipback lock",
        "user": {"login": "bob", "type": "User"},
        "labels": [{"name": "bug"}],
        "html_url": "https://github.com/octo-org/octo-repo/pull/8",
        "author_association": "FIRST_TIME_CONTRIBUTOR",
    },
]


def test_release_notes_offline_with_the_gate_snapshot(run_action: Runner, examples: Path) -> None:
    gate = run_action(
        "integrated-gate",
        {"events": "events.jsonl", "deploys": "deploys.jsonl", "config": CONFIG, "now": NOW},
    )
    (examples / "prs.json").write_text(json.dumps(PRS), encoding="utf-8")
    result = run_action(
        "release-notes",
        {
            "prs-json": "prs.json",
            "previous-tag": "v1.4.2",
            "repository": "octo-org/octo-repo",
            "snapshot": gate.outputs["json"],
            "output": "notes.md",
        },
    )
    assert result.returncode == 0, result.log
    # a feat: bumps the minor version
    assert result.outputs["version"] == "v1.5.0"
    assert result.outputs["body"] == "notes.md"
    assert result.outputs["release-url"] == ""
    body = (examples / "notes.md").read_text(encoding="utf-8")
    assert "feat: nightly incident card (#7) @alice" in body
    assert "integrated" in body  # the gate snapshot table
    assert result_json(result)["version"] == "v1.5.0"


def test_sign_then_verify_with_the_workflow_identity(
    run_action: Runner, examples: Path, sigstore_instance: Any
) -> None:
    from harness.sigstore import GitHubIdentity, serve_actions_id_token

    (examples / "dist").mkdir()
    (examples / "dist" / "app-1.2.0.tar.gz").write_bytes(b"release bytes\n" * 100)
    trust = str(sigstore_instance.trust_config)
    identity = GitHubIdentity()
    # The job has `permissions: id-token: write`: the runner's token endpoint is on loopback.
    with serve_actions_id_token(sigstore_instance.github_token(identity)) as endpoint:
        signed = run_action(
            "sign",
            {"files": "dist/app-1.2.0.tar.gz", "trust-config": trust},
            env=endpoint.environ(),
        )
    assert signed.returncode == 0, signed.log
    assert endpoint.requests, "the ambient OIDC token was never asked for"
    bundle = signed.outputs["bundles"]
    assert bundle.endswith("app-1.2.0.tar.gz.sigstore.json")
    assert (examples / bundle).exists() or Path(bundle).exists()

    policy = {
        "bundle": bundle,
        "repository": identity.repository,
        "ref": "v1.2.0",  # a short ref matches refs/tags/v1.2.0
        "workflow": identity.workflow,
        "trust-config": trust,
        "files": "dist/app-1.2.0.tar.gz",
    }
    verified = run_action("verify", policy)
    assert verified.returncode == 0, verified.log
    assert verified.outputs["verdict"] == "PASS"
    assert verified.outputs["identity"] == identity.identity
    wrong = run_action("verify", {**policy, "repository": "octo-org/other"})
    assert wrong.returncode == 2 and wrong.outputs["verdict"] == "FAIL", wrong.log


def test_comment_action_keeps_one_sticky_comment(
    run_action: Runner, examples: Path, github_pr: tuple[Any, dict[str, str], dict[str, Any]]
) -> None:
    double, env, event = github_pr
    gate = run_action(
        "integrated-gate",
        {"events": "events.jsonl", "deploys": "deploys.jsonl", "config": CONFIG, "now": NOW},
    )
    for _ in range(2):
        result = run_action(
            "comment",
            {"result": gate.outputs["json"]},
            env=env,
            event=event,
            event_name="pull_request",
        )
        assert result.returncode == 0, result.log
        assert double.token in result.masks  # github-token reaches lumen masked
    sticky = sticky_comments(double, "integrated")
    assert len(sticky) == 1
    assert gate.outputs["verdict"] in sticky[0].body


def test_approval_action_counts_allowlisted_reviews(
    run_action: Runner, examples: Path, github_pr: tuple[Any, dict[str, str], dict[str, Any]]
) -> None:
    double, env, event = github_pr
    double.state.add_review(7, "alice", repo="octo-org/app")
    double.state.add_review(7, "mallory", repo="octo-org/app")
    inputs = {"pr": "7", "min": "1", "allowlist": "alice\nbob", "now": NOW}
    passed = run_action("approval", inputs, env=env, event=event, event_name="pull_request")
    document = assert_gate_wiring("approval", passed)
    assert passed.outputs["verdict"] == "PASS", passed.log
    assert passed.outputs["approvals"] == "1" and passed.outputs["approved-by"] == "alice"
    assert document["approval"]["approved_by"] == ["alice"]
    failed = run_action(
        "approval", {**inputs, "min": "2"}, env=env, event=event, event_name="pull_request"
    )
    assert failed.outputs["verdict"] == "FAIL" and failed.returncode == 2, failed.log


def test_flipback_execute_with_confirmation_records_once(
    run_action: Runner, examples: Path
) -> None:
    inputs = {
        "mode": "execute",
        "confirm": "yes",
        "platform": "none",
        "deploys": "deploys.jsonl",
        "env": "prod",
        "service": "api",
        "now": NOW,
    }
    before = (examples / "deploys.jsonl").read_text(encoding="utf-8").splitlines()
    first = run_action("flipback", inputs)
    assert first.returncode == 0, first.log
    after = (examples / "deploys.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(after) == len(before) + 1
    event = json.loads(after[-1])
    assert event["action"] == "flipback" and event["version"] == first.outputs["target"]
    # Idempotent: already on the target, the second run changes nothing.
    second = run_action("flipback", inputs)
    assert second.returncode == 0, second.log
    assert (examples / "deploys.jsonl").read_text(encoding="utf-8").splitlines() == after


def test_umbrella_runs_the_demo(run_action: Runner, examples: Path) -> None:
    """`make demo` through the umbrella action: the same gate, arguments one per line."""
    args = [
        "--config",
        CONFIG,
        "--events",
        "events.jsonl",
        "--deploys",
        "deploys.jsonl",
        "--now",
        NOW,
        "--json",
        "out/integrated.json",
    ]
    result = run_action(".", {"command": "integrated", "args": "\n".join(args)})
    assert result.returncode == 0, result.log
    assert result.outputs["verdict"] == "PASS"
    assert result.outputs["json"] == "out/integrated.json"
    assert json.loads((examples / "out" / "integrated.json").read_text())["verdict"] == "PASS"
    assert "lumen integrated: PASS" in result.stdout


def test_gate_action_comments_on_its_pull_request(
    run_action: Runner, examples: Path, github_pr: tuple[Any, dict[str, str], dict[str, Any]]
) -> None:
    """Every gate action reports on the PR itself (input comment: auto on pull_request):
    one sticky comment, edited on the second run, and the lumen/<gate> check run."""
    double, env, event = github_pr
    inputs = {"events": "events.jsonl", "config": CONFIG, "now": NOW, "min-overall": "0.99"}
    for _ in range(2):
        result = run_action(
            "maturity-gate", inputs, env=env, event=event, event_name="pull_request"
        )
        assert result.returncode == 2, result.log  # FAIL: overall is below 0.99
        assert result.outputs["verdict"] == "FAIL"
    (comment,) = sticky_comments(double, "maturity")
    assert "❌ Lumen maturity gate: **FAIL**" in comment.body
    repo = double.state.repo("octo-org/app")
    assert repo.issues[7].labels == ["do-not-merge"]
    assert {run.name for run in repo.check_runs.values()} == {"lumen/maturity"}
    assert double.count("POST", "/repos/*/issues/7/comments") == 1


def test_gate_action_comment_false_and_push_events_leave_the_pr_alone(
    run_action: Runner, examples: Path, github_pr: tuple[Any, dict[str, str], dict[str, Any]]
) -> None:
    double, env, event = github_pr
    inputs = {"events": "events.jsonl", "config": CONFIG, "now": NOW}
    off = run_action(
        "maturity-gate",
        {**inputs, "comment": "false"},
        env=env,
        event=event,
        event_name="pull_request",
    )
    assert off.returncode == 0, off.log
    on_push = run_action("maturity-gate", inputs, env=env, event=event, event_name="push")
    assert on_push.returncode == 0, on_push.log
    assert sticky_comments(double, "maturity") == []
    assert double.count("POST") == 0
