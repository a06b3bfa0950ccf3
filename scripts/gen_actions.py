"""Write every composite action's action.yml from the `lumen` argument parser.

    python scripts/gen_actions.py           # rewrite action.yml and actions/*/action.yml
    python scripts/gen_actions.py --check   # exit 1 when a file differs from what it would write

One input per flag (and positional) of the action's subcommand, named like the flag
(`--min-overall` -> `min-overall`) and passed through `env:` as the variable
`lumen --inputs-from-env` reads (`INPUT_MIN_OVERALL`), never by `${{ }}` inside `run:`. The
metadata that argparse cannot know (title, description, branding, outputs) lives in ACTIONS
below. The four steps are the same in every action (a test holds them identical): Python from
actions/setup-python without touching the user's PATH, the venv path and cache key
(scripts/venv_key.py), actions/cache on that directory, and scripts/run-action.sh.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lumen.cli import build_parser, env_name, subparser  # noqa: E402

SETUP_PYTHON = "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065 # v5.6.0"
CACHE = "actions/cache@5a3ec84eff668545956fd18022155c47e93e2684 # v4.2.3"
REPOSITORY = "lumen-ci/lumen-ci"

VERDICT = "PASS, WARN, FAIL or NO_DATA"
JSON = "path of the result JSON (under RUNNER_TEMP unless the json input names one)"


@dataclass(frozen=True)
class ActionSpec:
    command: str
    title: str
    description: str
    icon: str
    color: str
    outputs: dict[str, str] = field(default_factory=dict)


def _gate(**extra: str) -> dict[str, str]:
    return {"verdict": VERDICT, "json": JSON, **extra}


ACTIONS: dict[str, ActionSpec] = {
    "maturity-gate": ActionSpec(
        "maturity",
        "Lumen maturity gate",
        "Sense/Feedback/Release maturity spectrum of loop events, gated on overall and bands",
        "activity",
        "blue",
        _gate(
            overall="overall maturity (0-1)",
            sense="Sense band (0-1)",
            feedback="Feedback band (0-1)",
            release="Release band (0-1)",
            trend="change of overall against the previous window or --compare",
            hint="policy hint: tighten, relax or steady",
        ),
    ),
    "roi-gate": ActionSpec(
        "roi",
        "Lumen ROI gate",
        "Deployment success and rollback rates (and DORA figures) over a window, gated",
        "trending-up",
        "green",
        _gate(
            **{
                "success-rate": "successful deploys / deploys",
                "rollback-rate": "rollbacks / deploys (capped at 1)",
                "deploys": "number of deploys in the window",
            }
        ),
    ),
    "slo-gate": ActionSpec(
        "slo",
        "Lumen SLO gate",
        "SLO error rate and multi-window burn rate from Prometheus or samples, gated",
        "target",
        "orange",
        _gate(**{"burn-rate": "burn rate of the shortest window: error rate / (1 - objective)"}),
    ),
    "policy-gate": ActionSpec(
        "policy",
        "Lumen policy gate",
        "PromQL metric rule packs and Rego document policies, with SARIF for code scanning",
        "shield",
        "purple",
        _gate(
            failed="number of failing rules",
            warned="number of warning rules",
            sarif="path of the SARIF file, when the sarif input names one",
        ),
    ),
    "integrated-gate": ActionSpec(
        "integrated",
        "Lumen integrated gate",
        "Maturity plus the ROI/SLO weighted score in one release-readiness decision",
        "check-circle",
        "green",
        _gate(
            score="ROI/SLO weighted score (0-100)",
            overall="maturity overall (0-1)",
            **{"burn-rate": "SLO burn rate used by the composite"},
        ),
    ),
    "record-event": ActionSpec(
        "record",
        "Lumen record deploy event",
        "Append a deploy, rollback or flipback event to the deploy log (and the ledger)",
        "edit-3",
        "gray-dark",
        {"id": "id of the recorded event", "json": JSON},
    ),
    "loop-sampler": ActionSpec(
        "sample",
        "Lumen loop sampler",
        "Compute the loop's signals and push them to a Prometheus Pushgateway or a textfile",
        "clock",
        "blue",
        {
            "verdict": VERDICT + " (worst of the sampled gates)",
            "status": "delivery status (spooled when the Pushgateway could not be reached)",
            "history": "path of the run history (JSONL)",
            "json": JSON,
        },
    ),
    "sbom": ActionSpec(
        "sbom",
        "Lumen SBOM",
        "CycloneDX 1.6 SBOM from a Python environment, lock files and release artifacts",
        "package",
        "yellow",
        {
            "verdict": VERDICT + " (licence gate and NTIA coverage)",
            "path": "path of the SBOM written",
            "components": "number of components in the SBOM",
            "json": JSON,
        },
    ),
    "sign": ActionSpec(
        "sign",
        "Lumen sign",
        "Sigstore keyless signing of files (needs `permissions: id-token: write`)",
        "edit",
        "purple",
        {"bundles": "the <file>.sigstore.json bundles written, one per line", "json": JSON},
    ),
    "verify": ActionSpec(
        "verify",
        "Lumen verify",
        "Verify a Sigstore bundle against an identity policy (repository, ref, workflow)",
        "check-square",
        "purple",
        {
            "verdict": VERDICT,
            "identity": "the verified signing identity",
            "issuer": "the OIDC issuer of that identity",
            "json": JSON,
        },
    ),
    "release-notes": ActionSpec(
        "notes",
        "Lumen release notes",
        "Categorised release notes from merged PRs, next version, optional GitHub Release",
        "file-text",
        "blue",
        {
            "version": "the release version resolved from labels or conventional commits",
            "body": "path of the notes Markdown",
            "release-url": "URL of the GitHub Release when published",
            "json": JSON,
        },
    ),
    "flipback": ActionSpec(
        "flipback",
        "Lumen flipback",
        "Plan or execute a return to the last known-good version (two-stage, confirmed)",
        "rotate-ccw",
        "red",
        {
            "target": "the known-good version flipped back to (or that would be)",
            "current": "the version deployed before the flipback",
            "executed": "`true` when execute changed the platform, else `false`",
            "json": JSON,
        },
    ),
    "notify": ActionSpec(
        "notify",
        "Lumen notify",
        "Slack, Discord or signed webhook notification of a gate result, and the incident issue",
        "bell",
        "orange",
        {"incident": "number of the incident issue opened, updated or closed (with incident)"},
    ),
    "comment": ActionSpec(
        "comment",
        "Lumen PR comment",
        "One sticky PR comment per gate, do-not-merge label and a check run with the verdict",
        "message-square",
        "blue",
        {
            "verdict": VERDICT + " (of the result commented on)",
            "comment-id": "id of the sticky comment (empty when it could not be written)",
        },
    ),
    "approval": ActionSpec(
        "approval",
        "Lumen approval gate",
        "Quorum of approving reviews from allowlisted users or teams",
        "users",
        "green",
        _gate(
            approvals="number of counted approvals",
            **{"approved-by": "the counted approvers, comma-separated"},
        ),
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
        "`false` skips actions/cache for the private venv (installs afresh): use it in jobs "
        "that sign or publish, so nothing restored from a cache runs with their credentials",
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

# Inputs of the gate actions only: the gate reports on the pull request itself (spec §9).
GATE_COMMANDS = frozenset({"maturity", "roi", "slo", "policy", "integrated", "approval"})
GATE_INPUTS: dict[str, tuple[str, str, str]] = {
    "comment": (
        "LUMEN_COMMENT",
        "auto",
        "`auto` (on pull_request events), `true` or `false`: after the gate, update its sticky "
        "PR comment, the do-not-merge label and the lumen/<gate> check run (lumen comment); a "
        "fork's read-only token degrades to the job summary",
    ),
}

# Outputs every action has (written by lumen.action_main).
COMMON_OUTPUTS: dict[str, str] = {
    "log": "path of the command's stderr log (every attempt)",
    "failure-class": "when the command errored: its failure class from lumen classify "
    "(network, token_expired, external_api, dependency, build, environment, unknown)",
}

UMBRELLA = ActionSpec(
    "",
    "Lumen CI",
    "Run any lumen command: maturity, roi, slo, integrated, policy, sbom, sign, notes, flipback…",
    "sun",
    "yellow",
    {
        "verdict": VERDICT + " (gates)",
        "json": "path of the result JSON, when --json was given",
    },
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
        f"    - uses: {CACHE}",
        "      if: inputs.cache != 'false'",
        "      with:",
        "        path: ${{ steps.venv.outputs.path }}",
        "        key: ${{ steps.venv.outputs.key }}",
        "    - id: run",
        "      shell: bash",
        "      env:",
        "        LUMEN_PYTHON: ${{ steps.python.outputs.python-path }}",
        "        LUMEN_VENV_PATH: ${{ steps.venv.outputs.path }}",
        "        LUMEN_VENV_KEY: ${{ steps.venv.outputs.key }}",
    ]
    lines += [f"        {var}: ${{{{ inputs.{name} }}}}" for var, name in env]
    lines.append(f"      run: '\"{root}/scripts/run-action.sh\" {run}'")
    return lines


def render(
    name: str,
    spec: ActionSpec,
    inputs: list[tuple[str, str, str, str]],
    root: str,
    run: str,
) -> str:
    """inputs: (name, env var or '', default, description)."""
    usage = f"{REPOSITORY}/actions/{name}@v1" if name else f"{REPOSITORY}@v1"
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
    for output, text in {**spec.outputs, **COMMON_OUTPUTS}.items():
        out += [
            f"  {output}:",
            f"    description: {quote(text)}",
            f"    value: ${{{{ steps.run.outputs.{output} }}}}",
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
        if "json" not in {input_name(a) for a in flags}:
            # no --json: no result file, so no `json` output to promise
            outputs = {k: v for k, v in spec.outputs.items() if k != "json"}
            spec = dataclasses.replace(spec, outputs=outputs)
        if spec.command in GATE_COMMANDS:
            inputs += [(n, var, d, t) for n, (var, d, t) in GATE_INPUTS.items()]
        files[ROOT / "actions" / name / "action.yml"] = render(
            name, spec, inputs + common_inputs(), "$GITHUB_ACTION_PATH/../..", spec.command
        )
    umbrella = [(n, var, d, t) for n, (var, d, t) in UMBRELLA_INPUTS.items()]
    files[ROOT / "action.yml"] = render(
        "", UMBRELLA, umbrella + common_inputs(), "$GITHUB_ACTION_PATH", "--umbrella"
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
