"""Resonance gate over a loop metrics snapshot (spec §7).

Coherence >= 0.7 (`--min-coherence`), phase < 1.2 (`--max-phase`) and the trust chain
(`chain_ok`, `dsse_ok`, `tlog_ok`) intact as a key check. Settings resolve flag > env×service >
env > `resonance:` > shipped default (`policy/defaults/resonance.yml`).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from gates.errors import ConfigError, UsageError
from lumen.commands.common import add_common, config_of, env_service, now_of
from lumen.config import Config
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
    add_common(parser, gate=True)


def add_resonance_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("resonance thresholds (config `resonance:`)")
    group.add_argument("--min-coherence", type=float, metavar="X", help="default 0.7")
    group.add_argument(
        "--max-phase", type=float, metavar="X", help="phase must stay below it (default 1.2)"
    )


def resonance_flags(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "min-coherence": getattr(args, "min_coherence", None),
        "max-phase": getattr(args, "max_phase", None),
        "on-no-data": getattr(args, "on_no_data", None),
    }


def weights_of(settings: Mapping[str, Any]) -> dict[str, float]:
    from gates.resonance import check_weights

    raw = settings.get("weights") or {}
    weights = {str(k): float(v) for k, v in raw.items()}
    problem = check_weights(weights)
    if problem:
        raise ConfigError(problem, field="resonance.weights")
    return weights


def evaluate(
    config: Config,
    args: argparse.Namespace,
    snapshot_path: str,
    *,
    env: str | None,
    service: str | None,
    generated_at: str,
) -> Any:
    """The resonance `GateResult` of a snapshot file (also used by `lumen sample`)."""
    from gates import resonance
    from gates.result import OnNoData
    from lumen.sources.resonance import read_snapshots

    settings = config.resolve("resonance", resonance_flags(args), env=env, service=service)
    snapshots = read_snapshots(snapshot_path, window=str(settings.get("window", "24h")))
    return resonance.gate(
        snapshots,
        resonance.Thresholds.from_settings(settings),
        weights=weights_of(settings),
        on_no_data=OnNoData(settings.get("on-no-data") or "pass"),
        inputs={"env": env, "service": service, "snapshot": snapshot_path},
        generated_at=generated_at,
    )


def run(args: argparse.Namespace) -> int:
    from gates.timeutil import format_timestamp
    from lumen.report import emit

    if not args.snapshot:
        raise UsageError("--snapshot METRICS_JSON is required")
    config = config_of(args)
    env, service = env_service(args)
    result = evaluate(
        config,
        args,
        args.snapshot,
        env=env,
        service=service,
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
    )


def _out(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"
