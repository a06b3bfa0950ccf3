"""Resonance gate over a loop metrics snapshot (docs/reference.md#resonance).

Coherence at least `--min-coherence`, phase below `--max-phase` and the trust chain
(`chain_ok`, `dsse_ok`, `tlog_ok`) intact as a key check. Settings resolve flag > env×service >
env > `resonance:` > shipped default (`policy/defaults/resonance.yml`).
"""

from __future__ import annotations

import argparse

from gates.errors import UsageError
from lumen.commands.common import add_common, now_of, scope_of, settings_of, state_of
from lumen.commands.gate_options import add_resonance_options, resonance_flags
from lumen.outputs import GATE, Output

# The step outputs this command writes in Actions (and its action.yml declares).
OUTPUTS = (
    *GATE,
    Output("coherence", "coherence of the snapshot's signals (0-1)"),
    Output("phase", "phase of the snapshot's signals"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--snapshot", metavar="METRICS_JSON", help="metrics snapshot JSON")
    add_resonance_options(parser)
    add_common(parser, gate=True, section="resonance")


def run(args: argparse.Namespace) -> int:
    from gates.timeutil import format_timestamp
    from lumen.app import resonance as app
    from lumen.report import emit

    if not args.snapshot:
        raise UsageError("--snapshot METRICS_JSON is required")
    settings = settings_of(args, {"resonance": resonance_flags(args)})
    scope = scope_of(args)
    result = app.evaluate(
        settings.resonance(scope),
        args.snapshot,
        scope=scope,
        generated_at=format_timestamp(now_of(args)),
    )
    signals = result.values["resonance"]
    return emit(
        result,
        args,
        OUTPUTS,
        {
            "coherence": _out(signals.get("coherence")),
            "phase": _out(signals.get("phase")),
        },
        state=state_of(args),
    )


def _out(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"
