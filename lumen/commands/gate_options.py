"""Flag groups more than one gate command offers, and how each maps onto its config section.

Defaults shown in help texts come from `policy/defaults` (`lumen.settings.default_of`).
"""

from __future__ import annotations

import argparse
from typing import Any

from lumen.settings import default_of


def add_pack_arguments(group: Any) -> None:
    """`--pack` and `--var` (config `policy: pack, var`): `lumen policy` and `lumen sample`."""
    group.add_argument(
        "--pack",
        action="append",
        metavar="PATH",
        help="metric rule pack: a YAML file or a shipped pack name"
        " (canary, rmb, slo-burn, pipeline, m-score); repeatable",
    )
    group.add_argument(
        "--var",
        action="append",
        metavar="NAME=VALUE",
        help="value for a ${NAME} placeholder in the packs' queries (repeatable)",
    )


def add_schema_argument(group: Any) -> None:
    """`--schema` (config `policy: schema`): `lumen policy` and `lumen sample`."""
    group.add_argument(
        "--schema",
        action="append",
        metavar="SCHEMA=FILE",
        help="validate FILE (YAML, JSON or JSONL; a folder: every such file in it) against"
        " a shipped schema (loop-event, deploy-event, lumen-config, ...) or a schema file",
    )


def policy_rule_flags(args: argparse.Namespace) -> dict[str, object]:
    """`--pack --var --schema` as `policy:` keys (`--var` as the mapping the config holds)."""
    from lumen.adapters.metric_packs import parse_vars

    return {
        "pack": args.pack,
        "var": parse_vars(args.var) if args.var else None,
        "schema": args.schema,
    }


def add_roi_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("ROI thresholds (config `roi:`)")
    group.add_argument(
        "--window", metavar="DURATION", help=f"window ({default_of('roi', 'window')})"
    )
    group.add_argument(
        "--min-success-rate", type=float, metavar="X", help=default_of("roi", "min-success-rate")
    )
    group.add_argument(
        "--max-rollback-rate", type=float, metavar="X", help=default_of("roi", "max-rollback-rate")
    )
    group.add_argument(
        "--min-deploys",
        type=int,
        metavar="N",
        help=f"fewer deploys is NO_DATA ({default_of('roi', 'min-deploys')})",
    )
    group.add_argument(
        "--statistic",
        choices=["plain", "wilson"],
        help="plain rates, or the three-way decision on the 95%% Wilson interval",
    )
    group.add_argument(
        "--matrix",
        action="store_const",
        const=True,
        default=None,
        help="also judge every (env, service) in the data with its own thresholds",
    )


def roi_flags(args: argparse.Namespace) -> dict[str, object]:
    return {
        "window": args.window,
        "min-success-rate": args.min_success_rate,
        "max-rollback-rate": args.max_rollback_rate,
        "min-deploys": args.min_deploys,
        "statistic": args.statistic,
        "matrix": args.matrix,
        "on-no-data": args.on_no_data,
    }


def add_slo_options(parser: argparse.ArgumentParser) -> None:
    from gates.slo import PRESETS

    group = parser.add_argument_group("SLO settings (config `slo:`)")
    group.add_argument(
        "--objective",
        type=float,
        metavar="X",
        help=f"SLO objective ({default_of('slo', 'objective')})",
    )
    group.add_argument(
        "--preset", choices=list(PRESETS), help=f"rule set ({default_of('slo', 'preset')})"
    )


def slo_flags(args: argparse.Namespace) -> dict[str, object]:
    """`slo:` keys from the flags a command has (`--errors`/`--requests` only some have)."""
    return {
        "objective": args.objective,
        "preset": args.preset,
        "errors": getattr(args, "errors", None),
        "requests": getattr(args, "requests", None),
        "on-no-data": getattr(args, "on_no_data", None),
    }


def add_resonance_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("resonance thresholds (config `resonance:`)")
    group.add_argument(
        "--min-coherence", type=float, metavar="X", help=default_of("resonance", "min-coherence")
    )
    group.add_argument(
        "--max-phase",
        type=float,
        metavar="X",
        help=f"phase must stay below it ({default_of('resonance', 'max-phase')})",
    )


def resonance_flags(args: argparse.Namespace) -> dict[str, object]:
    return {
        "min-coherence": args.min_coherence,
        "max-phase": args.max_phase,
        "on-no-data": getattr(args, "on_no_data", None),
    }
