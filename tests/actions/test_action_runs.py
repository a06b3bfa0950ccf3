"""Composite actions run step by step as the runner would (harness.action_runner).

A wrongly wired action fails here: an env name lumen does not read, an undeclared input, a
step output that does not exist, an output mapped to nothing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from harness.action_runner import (
    ActionWiringError,
    Runner,
    copy_action,
    parse_file_command,
    snapshot_repo,
)
from harness.actions import plant_shadow_packages

NOW = "2026-11-21T00:00:00Z"


def write_deploys(path: Path, failures: int = 1, deploys: int = 10) -> Path:
    """deploys deploy events over ten days, `failures` failed, plus one rollback."""
    lines = []
    for i in range(deploys):
        result = "failure" if i < failures else "success"
        lines.append(
            {
                "ts": f"2026-11-{10 + i:02d}T12:00:00Z",
                "env": "prod",
                "service": "api",
                "action": "deploy",
                "version": f"1.{i}.0",
                "result": result,
            }
        )
    lines.append(
        {
            "ts": "2026-11-14T13:00:00Z",
            "env": "prod",
            "service": "api",
            "action": "rollback",
            "version": "1.2.0",
            "result": "success",
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def deploys(tmp_path: Path) -> Path:
    # The workspace is the working directory of the steps; paths are relative to it.
    return write_deploys(tmp_path / "workspace" / "deploys.jsonl")


def test_roi_gate_action_passes_with_values_as_outputs(run_action: Runner, deploys: Path) -> None:
    # 9 of 10 deploys succeeded, 1 rollback in 10: 0.9 >= 0.8 and 0.1 <= 0.2.
    result = run_action("roi-gate", {"deploys": "deploys.jsonl", "now": NOW})
    assert result.returncode == 0, result.log
    assert result.outputs["verdict"] == "PASS"
    assert float(result.outputs["success-rate"]) == pytest.approx(0.9)
    assert float(result.outputs["rollback-rate"]) == pytest.approx(0.1)
    assert result.outputs["deploys"] == "10"
    document = json.loads(Path(result.outputs["json"]).read_text(encoding="utf-8"))
    assert document["gate"] == "roi" and document["verdict"] == "PASS"
    assert "success_rate" in result.summary  # the job summary table
    assert result.caches and result.caches[0]["key"].startswith("lumen-ci-venv-")
    assert result.caches[0]["path"].startswith(str(result.step("venv").env["RUNNER_TEMP"]))
    assert result.caches[0]["op"] == "restore"


def test_roi_gate_threshold_input_reaches_the_gate(run_action: Runner, deploys: Path) -> None:
    # The same data against min-success-rate 0.95: 0.9 < 0.95 is a FAIL, exit 2.
    result = run_action(
        "roi-gate", {"deploys": "deploys.jsonl", "now": NOW, "min-success-rate": "0.95"}
    )
    assert result.returncode == 2, result.log
    assert result.outputs["verdict"] == "FAIL"
    assert any(a["level"] == "error" for a in result.annotations)


def _assert_threshold_applied(run_action: Runner, action: Path | str) -> None:
    result = run_action(
        action, {"deploys": "deploys.jsonl", "now": NOW, "min-success-rate": "0.95"}
    )
    assert result.outputs["verdict"] == "FAIL", "min-success-rate did not reach lumen roi"


def _rewire(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_a_misnamed_env_variable_fails_the_wiring_check(
    run_action: Runner, deploys: Path, tmp_path: Path
) -> None:
    _assert_threshold_applied(run_action, "roi-gate")
    broken = copy_action("roi-gate", tmp_path / "broken")
    _rewire(broken / "action.yml", "INPUT_MIN_SUCCESS_RATE:", "INPUT_MIN_SUCCESSRATE:")
    with pytest.raises(AssertionError, match="did not reach"):
        _assert_threshold_applied(run_action, broken)


def test_an_undeclared_input_reference_is_an_error(
    run_action: Runner, deploys: Path, tmp_path: Path
) -> None:
    broken = copy_action("roi-gate", tmp_path / "broken")
    _rewire(
        broken / "action.yml", "${{ inputs.min-success-rate }}", "${{ inputs.min_success_rate }}"
    )
    with pytest.raises(ActionWiringError, match="no input 'min_success_rate'"):
        run_action(broken, {"deploys": "deploys.jsonl"})


def test_a_wrong_step_output_breaks_the_cache_step(
    run_action: Runner, deploys: Path, tmp_path: Path
) -> None:
    broken = copy_action("roi-gate", tmp_path / "broken")
    _rewire(
        broken / "action.yml",
        "path: ${{ steps.venv.outputs.path }}",
        "path: ${{ steps.venv.outputs.dir }}",
    )
    with pytest.raises(ActionWiringError, match="non-empty path"):
        run_action(broken, {"deploys": "deploys.jsonl"})


def test_an_output_mapped_to_nothing_is_empty(
    run_action: Runner, deploys: Path, tmp_path: Path
) -> None:
    broken = copy_action("roi-gate", tmp_path / "broken")
    _rewire(
        broken / "action.yml", "steps.run.outputs.success-rate", "steps.run.outputs.success_rate"
    )
    result = run_action(broken, {"deploys": "deploys.jsonl", "now": NOW})
    assert result.outputs["verdict"] == "PASS", result.log
    assert result.outputs["success-rate"] == ""


def test_an_unknown_input_in_with_is_an_error(run_action: Runner) -> None:
    with pytest.raises(ActionWiringError, match="unexpected input"):
        run_action("roi-gate", {"min_success_rate": "0.9"})


def test_umbrella_passes_each_line_as_one_argument_without_a_shell(
    run_action: Runner, tmp_path: Path
) -> None:
    workspace = tmp_path / "workspace"
    entry = {"note": "two words; $(touch pwned) `touch pwned2` * $HOME"}
    appended = run_action(
        ".", {"command": "ledger", "args": f"append\nledger.jsonl\n--entry\n{json.dumps(entry)}\n"}
    )
    assert appended.returncode == 0, appended.log
    assert not (workspace / "pwned").exists() and not (workspace / "pwned2").exists()
    line = json.loads((workspace / "ledger.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert line["note"] == entry["note"]
    verified = run_action(".", {"command": "ledger", "args": "verify\nledger.jsonl"})
    assert verified.returncode == 0, verified.log
    tampered = (workspace / "ledger.jsonl").read_text(encoding="utf-8").replace("two", "TWO")
    (workspace / "ledger.jsonl").write_text(tampered, encoding="utf-8")
    broken = run_action(".", {"command": "ledger", "args": "verify\nledger.jsonl"})
    assert broken.returncode != 0


def test_umbrella_runs_a_gate_and_reads_its_json(run_action: Runner, deploys: Path) -> None:
    result = run_action(
        ".", {"command": "roi", "args": f"--deploys\ndeploys.jsonl\n--now\n{NOW}\n--json\nroi.json"}
    )
    assert result.returncode == 0, result.log
    assert result.outputs["verdict"] == "PASS" and result.outputs["json"] == "roi.json"
    assert result.outputs["failure-class"] == ""
    assert result.step("run").outputs["success-rate"] == "0.9"


def test_secrets_are_masked_before_anything_runs(run_action: Runner, tmp_path: Path) -> None:
    (tmp_path / "workspace").mkdir()
    result = run_action(
        ".",
        {"command": "ledger", "args": "verify\nnone.jsonl", "github-token": "ghp_notreal0123"},
    )
    assert "ghp_notreal0123" in result.masks
    assert result.returncode == 1  # the ledger does not exist: an error, not a FAIL


def test_the_venv_key_names_version_python_and_platform(run_action: Runner, deploys: Path) -> None:
    result = run_action("roi-gate", {"deploys": "deploys.jsonl", "python-version": "3.11"})
    python = result.step("python")
    assert python.with_ == {"python-version": "3.11", "update-environment": "false"}
    key = result.step("venv").outputs["key"]
    version = python.outputs["python-version"]
    assert re.fullmatch(
        rf"lumen-ci-venv-[0-9a-f]{{16}}-py{re.escape(version)}-\w+-\w+-[0-9a-f]{{12}}", key
    )
    path = result.step("venv").outputs["path"]
    # The preinstalled environment (LUMEN_ACTION_VENV) is not built here: restored, not saved.
    assert result.caches == [{"path": path, "key": key, "op": "restore"}]


@pytest.mark.slow
def test_real_install_from_the_hashed_lock_then_reuse(
    run_action: Runner, deploys: Path, tmp_path: Path
) -> None:
    """The action builds its venv under RUNNER_TEMP from requirements/runtime.txt with uv
    (--require-hashes, wheels only, against the package registry), puts the action's checkout
    on its path without building Lumen, and runs the gate from a workspace whose `release/`,
    `gates/` and `lumen/` packages would break any import of them. A second action of the same
    job finds the venv ready: no restore, no install, no second save of the key."""
    plant_shadow_packages(deploys.parent)
    workdir = tmp_path / "job"
    action = snapshot_repo(tmp_path / "clone") / "actions" / "roi-gate"
    token = "ghs_install0step0must0not0see0this"
    first = run_action(
        action,
        {"deploys": "deploys.jsonl", "now": NOW, "github-token": token},
        fresh_venv=True,
        workdir=workdir,
    )
    assert first.returncode == 0, first.log
    assert first.outputs["verdict"] == "PASS"
    install = first.step("install")
    assert install.outputs == {"created": "true"}
    # The token reaches the run step only (and the installers run under env -i regardless:
    # tests/actions/test_action_install.py::test_the_installers_see_no_token).
    assert not any(token in value for value in install.env.values())
    assert first.step("run").env["GITHUB_TOKEN"] == token
    assert "lumen-ci: uv (" in first.stdout
    venv = Path(first.step("venv").outputs["path"])
    key = first.step("venv").outputs["key"]
    assert (venv / ".lumen-key").read_text().strip() == key
    assert [c["op"] for c in first.caches] == ["restore", "save"]
    # Lumen is read from the action's checkout (policy/ beside it), never built into the venv.
    assert not list(venv.glob("lib/python*/site-packages/lumen"))
    assert list(venv.glob("lib/python*/site-packages/lumen_ci_action.pth"))

    second = run_action(
        action, {"deploys": "deploys.jsonl", "now": NOW}, fresh_venv=True, workdir=workdir
    )
    assert second.returncode == 0, second.log
    assert second.step("venv").outputs["ready"] == "true"
    skipped = {s.id for s in second.steps if s.outcome == "skipped"}
    assert {"restore", "uv", "install", "save"} <= skipped
    assert second.caches == []
    for name in ("verdict", "success-rate", "rollback-rate", "deploys"):
        assert second.outputs[name] == first.outputs[name]


def test_harness_reads_both_file_command_forms(tmp_path: Path) -> None:
    path = tmp_path / "out"
    path.write_text("a=1\nb<<EOF_X\nline 1\nline=2\nEOF_X\nc=x=y\n", encoding="utf-8")
    assert parse_file_command(path) == {"a": "1", "b": "line 1\nline=2", "c": "x=y"}
    path.write_text("b<<EOF\nnever closed\n", encoding="utf-8")
    with pytest.raises(ActionWiringError):
        parse_file_command(path)


def test_every_action_yml_is_loadable_by_the_harness() -> None:
    root = Path(__file__).resolve().parents[2]
    for path in [root / "action.yml", *root.glob("actions/*/action.yml")]:
        assert yaml.safe_load(path.read_text(encoding="utf-8"))["runs"]["using"] == "composite"


def test_network_class_errors_are_retried_twice_then_reported(
    run_action: Runner, tmp_path: Path
) -> None:
    (tmp_path / "workspace").mkdir(exist_ok=True)
    # The error names the missing file, whose name holds a `network` pattern of `lumen classify`.
    result = run_action(
        "roi-gate",
        {"deploys": "ECONNREFUSED.jsonl", "retry": "true"},
        env={"LUMEN_RETRY_DELAYS": "0,0"},
    )
    assert result.returncode == 1
    assert result.stderr.count("retry 1 of 2") == 1 and result.stderr.count("retry 2 of 2") == 1
    assert result.outputs["failure-class"] == "network"
    log = Path(result.outputs["log"]).read_text(encoding="utf-8")
    assert log.count("ECONNREFUSED.jsonl") >= 3  # one error line per attempt


def test_other_classes_and_fail_verdicts_are_not_retried(run_action: Runner, deploys: Path) -> None:
    missing = run_action(
        "roi-gate",
        {"deploys": "absent.jsonl", "retry": "true"},
        env={"LUMEN_RETRY_DELAYS": "0,0"},
    )
    assert missing.returncode == 1
    assert "retry 1" not in missing.stderr and "not retried" in missing.stderr
    assert missing.outputs["failure-class"] not in {"network", "external_api", ""}
    failed = run_action(
        "roi-gate",
        {"deploys": "deploys.jsonl", "now": NOW, "min-success-rate": "0.95", "retry": "true"},
        env={"LUMEN_RETRY_DELAYS": "0,0"},
    )
    assert failed.returncode == 2 and "retry" not in failed.stderr
    assert failed.outputs["failure-class"] == ""


def test_without_retry_input_an_error_runs_once(run_action: Runner, tmp_path: Path) -> None:
    (tmp_path / "workspace").mkdir(exist_ok=True)
    result = run_action("roi-gate", {"deploys": "ECONNREFUSED.jsonl"})
    assert result.returncode == 1 and "retry" not in result.stderr
    assert result.outputs["failure-class"] == "network"


def test_cache_false_skips_the_cache_step(run_action: Runner, deploys: Path) -> None:
    result = run_action("roi-gate", {"deploys": "deploys.jsonl", "now": NOW, "cache": "false"})
    assert result.returncode == 0, result.log
    assert result.caches == []
    outcomes = {s.id: s.outcome for s in result.steps}
    assert outcomes["restore"] == outcomes["save"] == "skipped"
    assert outcomes["run"] == "success"
