"""SLO gate: error rate and multi-window burn rates (docs/reference.md#slo).

Error and request counts per window come from Prometheus (`--errors`/`--requests` queries with a
`$window` placeholder, one instant query per window) or from a samples JSON file:
`{"windows": {"5m": {"errors": 3, "requests": 1200}, "1h": {"error_rate": 0.004}, ...}}`.
"""

from __future__ import annotations

import argparse

from gates.errors import UsageError
from gates.result import Check, GateResult, decide
from gates.timeutil import format_timestamp, parse_duration
from lumen.commands.common import add_common, connection_of, now_of, scope_of, settings_of, state_of
from lumen.commands.gate_options import add_slo_options, slo_flags
from lumen.outputs import GATE, Output

# The step outputs this command writes in Actions (and its action.yml declares).
OUTPUTS = (
    *GATE,
    Output("burn-rate", "burn rate of the shortest window: error rate / (1 - objective)"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from lumen.adapters.prometheus import add_connection_arguments

    source = parser.add_argument_group("source (one of --samples or --prometheus)")
    source.add_argument(
        "--errors", metavar="PROMQL", help="errors query with a $window placeholder"
    )
    source.add_argument(
        "--requests", metavar="PROMQL", help="requests query with a $window placeholder"
    )
    source.add_argument(
        "--samples", metavar="PATH", help="error/request samples JSON instead of Prometheus"
    )
    add_connection_arguments(parser)
    add_slo_options(parser)
    add_common(parser, gate=True, section="slo")


def run(args: argparse.Namespace) -> int:
    from lumen.app import slo as app
    from lumen.report import emit

    settings = settings_of(args, {"slo": slo_flags(args)})
    scope = scope_of(args)
    now = now_of(args)
    resolved = settings.slo(scope)
    if not args.samples and not args.prometheus and not resolved.samples:
        raise UsageError("a source is required: --samples PATH or --prometheus URL")
    outcome, inputs = app.evaluate(
        resolved,
        now=now,
        samples_path=args.samples,
        prometheus=connection_of(args, settings, scope) if args.prometheus else None,
    )
    checks: list[Check] = outcome.checks
    result = GateResult(
        gate="slo",
        verdict=decide(checks),
        checks=checks,
        inputs={"env": scope.env, "service": scope.service, **inputs},
        window=",".join(sorted(outcome.error_rates, key=parse_duration)),
        generated_at=format_timestamp(now),
        values=outcome.values(),
    )
    burn = outcome.burn_rate
    return emit(
        result,
        args,
        OUTPUTS,
        {"burn-rate": "" if burn is None else f"{burn:.6g}"},
        state=state_of(args),
    )
