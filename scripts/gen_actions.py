"""Write every composite action's action.yml from the `lumen` argument parser.

    python scripts/gen_actions.py           # rewrite action.yml and actions/*/action.yml
    python scripts/gen_actions.py --check   # exit 1 when a file differs from what it would write

One input per flag (and positional) of the action's subcommand, named like the flag
(`--min-overall` -> `min-overall`) and passed through `env:` as the variable
`lumen --inputs-from-env` reads (`INPUT_MIN_OVERALL`), never by `${{ }}` inside `run:`. The
metadata that argparse cannot know (title, description, branding) lives in ACTIONS below; the
outputs are the command's own `OUTPUTS` table (lumen.outputs), read through `lumen.cli`. The
steps are the same in every action (a test holds them identical), see steps(): Python from
actions/setup-python without touching the user's PATH; the venv path, cache key and whether an
earlier action of the job already built it (scripts/venv_key.py); actions/cache/restore of that
directory; uv from astral-sh/setup-uv (pinned; pip is the fallback); the install from the
hashed lock, in a step whose environment holds no token (scripts/install-action-env.sh);
scripts/run-action.sh, the only step that gets the token; and actions/cache/save, only from the
action that built the venv (so a job of several Lumen actions saves the key once), after the run
so that the bytecode it compiled is saved too.
Third-party pins come from scripts/action_pins.py, as does REPOSITORY.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "scripts"))

from action_pins import MAJOR_TAG, PINS, REPOSITORY  # noqa: E402
from lock import UV_VERSION  # noqa: E402

from lumen.action_main import GATE_COMMANDS  # noqa: E402
from lumen.cli import build_parser, env_name, outputs_of, subparser  # noqa: E402
from lumen.outputs import RUN_OUTPUTS, UMBRELLA_OUTPUTS, Output  # noqa: E402

SETUP_PYTHON = PINS["actions/setup-python"].uses("actions/setup-python")
CACHE_RESTORE = PINS["actions/cache/restore"].uses("actions/cache/restore")
CACHE_SAVE = PINS["actions/cache/save"].uses("actions/cache/save")
SETUP_UV = PINS["astral-sh/setup-uv"].uses("astral-sh/setup-uv")


@dataclass(frozen=True)
class ActionSpec:
    command: str
    title: str
    description: str
    icon: str
    color: str


ACTIONS: dict[str, ActionSpec] = {
    "maturity-gate": ActionSpec(
        "maturity",
        "Lumen maturity gate",
        "Sense/Feedback/Release maturity spectrum of loop events, gated on overall and bands",
        "activity",
        "blue",
    ),
    "roi-gate": ActionSpec(
        "roi",
        "Lumen ROI gate",
        "Deployment success and rollback rates (and DORA figures) over a window, gated",
        "trending-up",
        "green",
    ),
    "slo-gate": ActionSpec(
        "slo",
        "Lumen SLO gate",
        "SLO error rate and multi-window burn rate from Prometheus or samples, gated",
        "target",
        "orange",
    ),
    "policy-gate": ActionSpec(
        "policy",
        "Lumen policy gate",
        "PromQL metric rule packs and Rego document policies, with SARIF for code scanning",
        "shield",
        "purple",
    ),
    "integrated-gate": ActionSpec(
        "integrated",
        "Lumen integrated gate",
        "Maturity plus the ROI/SLO weighted score in one release-readiness decision",
        "check-circle",
        "green",
    ),
    "record-event": ActionSpec(
        "record",
        "Lumen record deploy event",
        "Append a deploy, rollback or flipback event to the deploy log (and the ledger)",
        "edit-3",
        "gray-dark",
    ),
    "loop-sampler": ActionSpec(
        "sample",
        "Lumen loop sampler",
        "Compute the loop's signals and push them to a Prometheus Pushgateway or a textfile",
        "clock",
        "blue",
    ),
    "sbom": ActionSpec(
        "sbom",
        "Lumen SBOM",
        "CycloneDX 1.6 SBOM from a Python environment, lock files and release artifacts",
        "package",
        "yellow",
    ),
    "sign": ActionSpec(
        "sign",
        "Lumen sign",
        "Sigstore keyless signing of files (needs `permissions: id-token: write`)",
        "edit",
        "purple",
    ),
    "verify": ActionSpec(
        "verify",
        "Lumen verify",
        "Verify a Sigstore bundle against an identity policy (repository, ref, workflow)",
        "check-square",
        "purple",
    ),
    "release-notes": ActionSpec(
        "notes",
        "Lumen release notes",
        "Categorised release notes from merged PRs, next version, optional GitHub Release",
        "file-text",
        "blue",
    ),
    "autolabel": ActionSpec(
        "autolabel",
        "Lumen autolabel",
        "Label a pull request from its files, branch, title and body (release-drafter's "
        "autolabeler rules)",
        "tag",
        "blue",
    ),
    "flipback": ActionSpec(
        "flipback",
        "Lumen flipback",
        "Plan or execute a return to the last known-good version (two-stage, confirmed)",
        "rotate-ccw",
        "red",
    ),
    "notify": ActionSpec(
        "notify",
        "Lumen notify",
        "Slack, Discord or signed webhook notification of a gate result, and the incident issue",
        "bell",
        "orange",
    ),
    "comment": ActionSpec(
        "comment",
        "Lumen PR comment",
        "One sticky PR comment per gate, do-not-merge label and a check run with the verdict",
        "message-square",
        "blue",
    ),
    "approval": ActionSpec(
        "approval",
        "Lumen approval gate",
        "Quorum of approving reviews from allowlisted users or teams",
        "users",
        "green",
    ),
}

# Inputs every action has that are not flags of the subcommand: `env:` name and description.
COMMON_INPUTS: dict[str, tuple[str, str, str]] = {
    "python-version": (
        "",
        "3.12",
        "Python for the action's private virtual environment (actions/setup-python; "
        "your own Python and PATH are left alone)",
    ),
    "cache": (
        "",
        "true",
        "`false` skips actions/cache for the private venv and builds it from the hashed lock "
        "(a few seconds with uv): use it in jobs that sign or publish, so nothing restored "
        "from a cache runs with their credentials",
    ),
    "retry": (
        "LUMEN_RETRY",
        "false",
        "`true` retries a run that errored with failure class network or external_api "
        "(lumen classify), at most twice, after 5 s and 30 s",
    ),
    "github-token": (
        "GITHUB_TOKEN",
        "${{ github.token }}",
        "token for the GitHub API (GITHUB_TOKEN); masked in logs",
    ),
}

# Inputs of the gate actions only (lumen.action_main.GATE_COMMANDS, which acts on them): the
# gate reports on the pull request itself (docs/reference.md#actions).
GATE_INPUTS: dict[str, tuple[str, str, str]] = {
    "comment": (
        "LUMEN_COMMENT",
        "auto",
        "`auto` (on pull_request events), `true` or `false`: after the gate, update its sticky "
        "PR comment, the do-not-merge label and the lumen/<gate> check run (lumen comment); a "
        "fork's read-only token degrades to the job summary",
    ),
}

UMBRELLA = ActionSpec(
    "",
    "Lumen CI",
    "Run any lumen command: maturity, roi, slo, integrated, policy, sbom, sign, notes, flipback…",
    "sun",
    "yellow",
)
UMBRELLA_INPUTS: dict[str, tuple[str, str, str]] = {
    "command": ("INPUT_COMMAND", "", "the lumen subcommand, e.g. `maturity` or `flipback plan`"),
    "args": (
        "INPUT_ARGS",
        "",
        "arguments, one per line, passed as they are (never through a shell)",
    ),
}


def quote(text: str) -> str:
    """A YAML scalar: plain when unambiguous, else JSON-style double quotes (valid YAML)."""
    if text and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 ._/()+,;'-]*", text) and text[-1] != " ":
        reserved = {"true", "false", "yes", "no", "on", "off", "null"}
        if text.lower() not in reserved and not re.fullmatch(r"[0-9._+-]+", text):
            return text
    return json.dumps(text, ensure_ascii=False)


def input_name(action: argparse.Action) -> str:
    return env_name(action)[len("INPUT_") :].lower().replace("_", "-")


def describe(action: argparse.Action) -> str:
    text = (action.help or "").strip()
    if "%(" in text:
        text = text % {"default": action.default, "prog": "lumen", "choices": action.choices}
    flag = max(action.option_strings, key=len) if action.option_strings else None
    if isinstance(action, argparse._StoreTrueAction):
        text = f"`true` to {text}" if text else "`true` to enable"
    if action.choices:
        text += f" (one of: {', '.join(str(c) for c in action.choices)})"
    multi = isinstance(action, argparse._AppendAction) or action.nargs in ("*", "+")
    if multi:
        text += "; one per line"
    text = text[:1].upper() + text[1:] if text else (flag or action.dest)
    where = f"`{flag}`" if flag else "positional argument"
    return f"{text} ({where})"


def flag_actions(command: str) -> list[argparse.Action]:
    parser = subparser(build_parser(), command)
    return [
        a
        for a in parser._actions
        if not isinstance(a, argparse._HelpAction | argparse._VersionAction)
    ]


def steps(root: str, run: str, env: list[tuple[str, str]]) -> list[str]:
    venv = [
        "        path: ${{ steps.venv.outputs.path }}",
        "        key: ${{ steps.venv.outputs.key }}",
    ]
    paths = [
        "        LUMEN_PYTHON: ${{ steps.python.outputs.python-path }}",
        "        LUMEN_VENV_PATH: ${{ steps.venv.outputs.path }}",
        "        LUMEN_VENV_KEY: ${{ steps.venv.outputs.key }}",
    ]
    lines = [
        "    - id: python",
        f"      uses: {SETUP_PYTHON}",
        "      with:",
        "        python-version: ${{ inputs.python-version }}",
        "        update-environment: false",
        "    - id: venv",
        "      shell: bash",
        "      env:",
        "        LUMEN_PYTHON: ${{ steps.python.outputs.python-path }}",
        f'      run: \'"$LUMEN_PYTHON" "{root}/scripts/venv_key.py"\'',
        "    - id: restore",
        "      if: inputs.cache != 'false' && steps.venv.outputs.ready != 'true'",
        f"      uses: {CACHE_RESTORE}",
        "      with:",
        *venv,
        "    - id: uv",
        "      if: steps.venv.outputs.ready != 'true' && steps.restore.outputs.cache-hit != 'true'",
        # Where uv cannot be fetched (GHES without github.com), pip installs the same lock.
        "      continue-on-error: true",
        f"      uses: {SETUP_UV}",
        "      with:",
        f'        version: "{UV_VERSION}"',
        '        enable-cache: "false"',
        '        add-problem-matchers: "false"',
        "    - id: install",
        "      if: steps.venv.outputs.ready != 'true'",
        "      shell: bash",
        "      env:",
        *paths,
        "        LUMEN_UV: ${{ steps.uv.outputs.uv-path }}",
        f"      run: '\"{root}/scripts/install-action-env.sh\"'",
        "    - id: run",
        "      shell: bash",
        "      env:",
        *paths[1:2],
    ]
    lines += [f"        {var}: ${{{{ inputs.{name} }}}}" for var, name in env]
    lines.append(f"      run: '\"{root}/scripts/run-action.sh\" {run}'")
    # After the run (whatever its verdict), so the bytecode it compiled is cached too.
    lines += [
        "    - id: save",
        "      if: >-",
        "        !cancelled() && inputs.cache != 'false' &&",
        "        steps.install.outputs.created == 'true'",
        f"      uses: {CACHE_SAVE}",
        "      with:",
        *venv,
    ]
    return lines


def render(
    name: str,
    spec: ActionSpec,
    inputs: list[tuple[str, str, str, str]],
    outputs: tuple[Output, ...],
    *,
    root: str,
    run: str,
) -> str:
    """inputs: (name, env var or '', default, description); outputs: the command's own, to which
    those lumen.action_main writes around every command are added."""
    usage = f"{REPOSITORY}/actions/{name}@{MAJOR_TAG}" if name else f"{REPOSITORY}@{MAJOR_TAG}"
    out = [
        f"# Generated by scripts/gen_actions.py from `lumen {spec.command or 'COMMAND'} --help`;"
        " edit the script, not this file.",
        f"# Usage: uses: {usage}",
        f"name: {quote(spec.title)}",
        f"description: {quote(spec.description)}",
        "author: Lumen CI developers",
        "branding:",
        f"  icon: {spec.icon}",
        f"  color: {spec.color}",
        "inputs:",
    ]
    for input_id, _var, default, text in inputs:
        out += [
            f"  {quote(input_id)}:",
            f"    description: {quote(text)}",
            f"    required: {'true' if input_id == 'command' else 'false'}",
            f"    default: {quote(default) if default else chr(34) * 2}",
        ]
    out.append("outputs:")
    for output in (*outputs, *RUN_OUTPUTS):
        out += [
            f"  {output.name}:",
            f"    description: {quote(output.description)}",
            f"    value: ${{{{ steps.run.outputs.{output.name} }}}}",
        ]
    out += ["runs:", "  using: composite", "  steps:"]
    env = [(var, input_id) for input_id, var, _d, _t in inputs if var]
    out += steps(root, run, env)
    return "\n".join(out) + "\n"


def common_inputs() -> list[tuple[str, str, str, str]]:
    return [(n, var, default, text) for n, (var, default, text) in COMMON_INPUTS.items()]


def generate() -> dict[Path, str]:
    files: dict[Path, str] = {}
    for name, spec in ACTIONS.items():
        flags = flag_actions(spec.command)
        inputs = [(input_name(a), env_name(a), "", describe(a)) for a in flags]
        outputs = outputs_of(spec.command)
        if spec.command in GATE_COMMANDS:
            inputs += [(n, var, d, t) for n, (var, d, t) in GATE_INPUTS.items()]
        files[ROOT / "actions" / name / "action.yml"] = render(
            name,
            spec,
            inputs + common_inputs(),
            outputs,
            root="$GITHUB_ACTION_PATH/../..",
            run=spec.command,
        )
    umbrella = [(n, var, d, t) for n, (var, d, t) in UMBRELLA_INPUTS.items()]
    files[ROOT / "action.yml"] = render(
        "",
        UMBRELLA,
        umbrella + common_inputs(),
        UMBRELLA_OUTPUTS,
        root="$GITHUB_ACTION_PATH",
        run="--umbrella",
    )
    return files


def main(argv: list[str] | None = None) -> int:
    check = "--check" in (sys.argv[1:] if argv is None else argv)
    stale = []
    for path, text in generate().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(path.relative_to(ROOT).as_posix())
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if check and stale:
        print("out of date (run python scripts/gen_actions.py):", *stale, sep="\n  ")
        return 1
    for name in stale:
        print("wrote", name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
