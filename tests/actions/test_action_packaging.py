"""The shipped composite actions: metadata, identical install steps, inputs = CLI flags."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from lumen.cli import build_parser, env_name, subparser

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import gen_actions  # noqa: E402

ACTION_FILES = sorted(ROOT.glob("actions/*/action.yml"))
ALL_ACTIONS = [ROOT / "action.yml", *ACTION_FILES]
SPEC_ACTIONS = {
    "maturity-gate",
    "roi-gate",
    "slo-gate",
    "policy-gate",
    "integrated-gate",
    "record-event",
    "loop-sampler",
    "sbom",
    "sign",
    "verify",
    "release-notes",
    "flipback",
    "notify",
}
ACTION_ONLY = {
    "python-version": "",
    "cache": "",
    "retry": "LUMEN_RETRY",
    "github-token": "GITHUB_TOKEN",
}
# The gate actions' own input: report on the pull request (lumen.action_main.comment_on_pr).
GATE_ONLY = {"comment": "LUMEN_COMMENT"}
GATE_ACTIONS = {
    "maturity-gate",
    "roi-gate",
    "slo-gate",
    "policy-gate",
    "integrated-gate",
    "approval",
}


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_every_spec_action_is_shipped() -> None:
    shipped = {p.parent.name for p in ACTION_FILES}
    assert shipped >= SPEC_ACTIONS, SPEC_ACTIONS - shipped
    assert {"comment", "approval"} <= shipped


@pytest.mark.parametrize("path", ALL_ACTIONS, ids=rel)
def test_metadata_is_complete(path: Path) -> None:
    action = load(path)
    assert action["name"].strip() and action["description"].strip()
    assert action["branding"]["icon"] and action["branding"]["color"] in {
        "white",
        "black",
        "yellow",
        "blue",
        "green",
        "orange",
        "red",
        "purple",
        "gray-dark",
    }
    for name, spec in action["inputs"].items():
        assert re.fullmatch(r"[a-z][a-z0-9-]*", name), name
        assert spec["description"].strip(), f"input {name} has no description"
    assert action["outputs"], "every action has outputs"
    for name, spec in action["outputs"].items():
        assert spec["description"].strip(), f"output {name} has no description"
        assert spec["value"] == f"${{{{ steps.run.outputs.{name} }}}}", name
    assert action["runs"]["using"] == "composite"


def _normalised_steps(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8").replace(
        "$GITHUB_ACTION_PATH/../..", "$GITHUB_ACTION_PATH"
    )
    return yaml.safe_load(text)["runs"]["steps"]


INSTALL_STEPS = ["python", "venv", "restore", "uv", "install", "run", "save"]


def run_step(path: Path) -> dict[str, Any]:
    steps = load(path)["runs"]["steps"]
    (run,) = [s for s in steps if s.get("id") == "run"]
    return run


def test_install_steps_are_identical_in_every_action() -> None:
    reference = _normalised_steps(ROOT / "action.yml")
    assert [s.get("id") for s in reference] == INSTALL_STEPS
    at = INSTALL_STEPS.index("run")
    for path in ACTION_FILES:
        steps = _normalised_steps(path)
        assert [s.get("id") for s in steps] == INSTALL_STEPS, rel(path)
        assert steps[:at] + steps[at + 1 :] == reference[:at] + reference[at + 1 :], rel(path)
        run = steps[at]
        assert run["shell"] == "bash" and run["id"] == "run"
        assert run["run"].startswith('"$GITHUB_ACTION_PATH/scripts/run-action.sh" '), rel(path)
        assert run["env"]["LUMEN_VENV_PATH"] == reference[at]["env"]["LUMEN_VENV_PATH"]


def test_only_the_run_step_gets_the_token() -> None:
    """The install step (and every step but the run) has no token in its env: a bad release
    of a dependency cannot read it while it installs."""
    for path in ALL_ACTIONS:
        for step in load(path)["runs"]["steps"]:
            if step.get("id") == "run":
                assert step["env"]["GITHUB_TOKEN"] == "${{ inputs.github-token }}"
                continue
            text = yaml.safe_dump(step)
            assert "github-token" not in text and "secrets." not in text, rel(path)
            assert "TOKEN" not in str(step.get("env", {})), rel(path)


def test_the_install_is_the_hashed_lock_with_pinned_uv() -> None:
    steps = {s["id"]: s for s in load(ROOT / "action.yml")["runs"]["steps"]}
    assert steps["uv"]["uses"].startswith("astral-sh/setup-uv@")
    assert steps["uv"]["with"]["version"] == gen_actions.UV_VERSION
    assert steps["uv"]["continue-on-error"] is True  # pip installs the same lock without it
    assert steps["install"]["run"].endswith('/scripts/install-action-env.sh"')
    script = (ROOT / "scripts" / "install-action-env.sh").read_text(encoding="utf-8")
    assert script.count('--require-hashes --only-binary :all: -r "$lock"') == 2
    # the cache is saved by the action that built the venv only, after its run (whatever the
    # verdict), so the bytecode that run compiled is cached too
    assert steps["save"]["if"] == (
        "!cancelled() && inputs.cache != 'false' && steps.install.outputs.created == 'true'"
    )
    assert steps["restore"]["uses"].startswith("actions/cache/restore@")


def test_setup_python_leaves_the_users_environment_alone() -> None:
    for path in ALL_ACTIONS:
        python = load(path)["runs"]["steps"][0]
        assert python["uses"].startswith("actions/setup-python@")
        assert python["with"]["update-environment"] is False, rel(path)
        assert python["with"]["python-version"] == "${{ inputs.python-version }}"


def test_third_party_actions_are_pinned_by_full_sha() -> None:
    for path in ALL_ACTIONS:
        for uses in (s["uses"] for s in load(path)["runs"]["steps"] if "uses" in s):
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", uses), f"{rel(path)}: {uses}"


def _run_blocks(node: Any) -> list[str]:
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "run" and isinstance(value, str):
                found.append(value)
            else:
                found += _run_blocks(value)
    elif isinstance(node, list):
        for item in node:
            found += _run_blocks(item)
    return found


def test_no_expression_inside_any_run_block() -> None:
    files = [*ALL_ACTIONS, *ROOT.glob("workflows/**/*.yml"), *ROOT.glob(".github/workflows/*.yml")]
    checked = 0
    for path in files:
        for block in _run_blocks(load(path)):
            checked += 1
            assert "${{" not in block, f"{rel(path)}: ${{{{ }}}} inside run: {block[:80]!r}"
    assert checked >= len(ALL_ACTIONS) * 2


def _command_of(path: Path) -> str:
    run = run_step(path)["run"]
    return run.rsplit(" ", 1)[1]


def _flags(command: str) -> dict[str, argparse.Action]:
    parser = subparser(build_parser(), command)
    out = {}
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        out[env_name(action)[len("INPUT_") :].lower().replace("_", "-")] = action
    return out


@pytest.mark.parametrize("path", ACTION_FILES, ids=rel)
def test_inputs_match_the_subcommand_flags(path: Path) -> None:
    """Every input is a flag (or positional) of the subcommand, passed under the variable
    `lumen --inputs-from-env` reads; every flag is an input. Only python-version, cache,
    retry and github-token are the action's own."""
    action = load(path)
    command = _command_of(path)
    flags = _flags(command)
    env = run_step(path)["env"]
    by_input = {
        m.group(1): var
        for var, value in env.items()
        if (m := re.fullmatch(r"\$\{\{ inputs\.([a-z0-9-]+) \}\}", str(value)))
    }
    own = {**ACTION_ONLY, **(GATE_ONLY if path.parent.name in GATE_ACTIONS else {})}
    for name in action["inputs"]:
        if name in own:
            assert by_input.get(name, "") == own[name]
            continue
        assert name in flags, f"{rel(path)}: input {name!r} is no flag of `lumen {command}`"
        assert by_input.get(name) == env_name(flags[name]), f"{rel(path)}: {name} wired wrong"
    missing = set(flags) - set(action["inputs"])
    assert not missing, (
        f"{rel(path)}: flags of `lumen {command}` without an input: {missing} "
        "(run: python scripts/gen_actions.py && python scripts/gen_action_docs.py)"
    )


def test_umbrella_action_takes_command_and_args() -> None:
    action = load(ROOT / "action.yml")
    assert set(action["inputs"]) == {"command", "args", *ACTION_ONLY}
    run = run_step(ROOT / "action.yml")
    assert run["run"] == '"$GITHUB_ACTION_PATH/scripts/run-action.sh" --umbrella'
    assert run["env"]["INPUT_COMMAND"] == "${{ inputs.command }}"
    assert run["env"]["INPUT_ARGS"] == "${{ inputs.args }}"


def test_action_files_are_generated_from_the_current_parser() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_actions.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_generated_metadata_is_valid_yaml_for_odd_descriptions() -> None:
    for text in ["plain", "a: colon", "true", "3.12", "`tick`", "trailing ", "quote's"]:
        assert yaml.safe_load(f"k: {gen_actions.quote(text)}")["k"] == text
