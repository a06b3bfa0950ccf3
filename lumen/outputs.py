"""Step outputs, declared once.

Each command module has an `OUTPUTS` table of `Output` records: the step outputs it writes when
it runs in GitHub Actions. The same table is what `scripts/gen_actions.py` declares in the
command's `action.yml` (and so what the generated action docs list), and `publish` refuses a
name that is not in it, so what a command writes and what its action promises cannot drift.
`lumen.action_main` writes only the outputs it owns itself (`RUN_OUTPUTS`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lumen import actions_runtime as gha

# What a step output can be given as: None is written as "", numbers and booleans as JSON
# (`0.9`, `10`, `true`).
OutputValue = str | int | float | bool | None

VERDICTS = "PASS, WARN, FAIL or NO_DATA"


@dataclass(frozen=True)
class Output:
    """One step output: its name (kebab-case, as workflows read it) and what it holds."""

    name: str
    description: str


def verdict_output(note: str = "") -> Output:
    """The `verdict` output; `note` says whose verdict when that is not obvious."""
    return Output("verdict", f"{VERDICTS} ({note})" if note else VERDICTS)


JSON = Output("json", "path of the result JSON (under RUNNER_TEMP unless the json input names one)")
# The outputs every gate command writes through `lumen.report.emit`.
GATE = (verdict_output(), JSON)

# Written by lumen.action_main around every command, not by the command.
LOG = Output("log", "path of the command's stderr log (every attempt)")
FAILURE_CLASS = Output(
    "failure-class",
    "when the command errored: its failure class from lumen classify "
    "(network, token_expired, external_api, dependency, build, environment, unknown)",
)
RUN_OUTPUTS = (LOG, FAILURE_CLASS)

# The root action (`lumen.action_main --umbrella`) runs any command; it promises only these.
UMBRELLA_OUTPUTS = (
    verdict_output("gates"),
    Output("json", "path of the result JSON, when --json was given"),
)


def names(declared: Sequence[Output]) -> list[str]:
    return [output.name for output in declared]


def publish(
    declared: Sequence[Output],
    values: Mapping[str, OutputValue],
    environ: Mapping[str, str] | None = None,
    *,
    json_path: str | None = None,
) -> None:
    """Write `values` as step outputs when running in Actions (nothing otherwise), and `json`
    when the command wrote its result JSON to `json_path`.

    Every name must be in `declared` (the command's OUTPUTS): an undeclared output would be
    invisible to the action's users, so writing one is a bug, raised as such.
    """
    if json_path:
        values = {**values, "json": json_path}
    known = set(names(declared))
    unknown = [name for name in values if name not in known]
    if unknown:
        raise ValueError(f"outputs not declared in the command's OUTPUTS: {', '.join(unknown)}")
    if not gha.in_actions(environ):
        return
    for name, value in values.items():
        gha.set_output(name, "" if value is None else value, environ)
