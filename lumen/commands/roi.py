"""ROI gate and DORA figures over deploy events (docs/reference.md#roi).

Sources: a JSONL log (`--deploys`), GitHub Deployments (`--github OWNER/REPO`) or Prometheus
(`--prometheus URL`). Thresholds resolve flag > env×service > env > `roi:` > shipped default;
with `matrix: true` every (env, service) in the data is also judged with its own thresholds.
"""

from __future__ import annotations

import argparse

from gates.result import GateResult, decide
from gates.timeutil import format_duration, format_timestamp, parse_duration
from lumen.commands.common import (
    ON_DATA_BRANCH,
    add_common,
    connection_of,
    now_of,
    running_repository,
    scope_of,
    settings_of,
    state_of,
)
from lumen.commands.gate_options import add_roi_options, roi_flags
from lumen.outputs import GATE, Output

# The step outputs this command writes in Actions (and its action.yml declares).
OUTPUTS = (
    *GATE,
    Output("success-rate", "successful deploys / deploys"),
    Output("rollback-rate", "rollbacks / deploys (capped at 1)"),
    Output("deploys", "number of deploys in the window"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_argument_group("source (one of)")
    source.add_argument(
        "--deploys",
        metavar="PATH",
        help=f"deploy events JSONL file, or - for stdin; {ON_DATA_BRANCH}, fetched read-only",
    )
    source.add_argument(
        "--github",
        metavar="OWNER/REPO",
        help="GitHub Deployments, judged with the repository's trend "
        "(default without --deploys/--prometheus: GITHUB_REPOSITORY)",
    )
    from lumen.adapters.prometheus import add_connection_arguments

    add_connection_arguments(parser)  # --prometheus URL: lumen_deploy_success_rate & co.
    add_roi_options(parser)
    add_common(parser, gate=True, section="roi", state_files="--ledger, and read --deploys,")


def run(args: argparse.Namespace) -> int:
    from lumen.app import roi as app
    from lumen.report import emit

    settings = settings_of(args, {"roi": roi_flags(args)})
    scope = scope_of(args)
    now = now_of(args)
    connection = connection_of(args, settings, scope) if args.prometheus else None
    github = args.github
    if not (args.deploys or github or connection):
        github = running_repository()  # no data file named: the repository it runs in
    state = state_of(args)
    source = app.DeploySource(
        deploys=args.deploys, github=github, prometheus=connection, state=state
    )
    deploys, outcome = app.judge(settings, scope, source, now=now)
    window = parse_duration(outcome.window, field="window")
    result = GateResult(
        gate="roi",
        verdict=decide(outcome.checks),
        checks=outcome.checks,
        inputs={"env": scope.env, "service": scope.service, **deploys.inputs},
        window=format_duration(window),
        generated_at=format_timestamp(now),
        values={
            **outcome.values,
            "window_start": format_timestamp(now - window),
            "window_end": format_timestamp(now),
        },
    )
    return emit(
        result,
        args,
        OUTPUTS,
        {
            "success-rate": _out(outcome.values["success_rate"]),
            "rollback-rate": _out(outcome.values["rollback_rate"]),
            "deploys": outcome.values["deploys"],
        },
        state=state,
    )


def _out(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"
