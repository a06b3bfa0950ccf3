"""Integrated gate: maturity plus the ROI/SLO composite (docs/reference.md#integrated).

Reads loop events (the maturity spectrum), deploy events (the ROI checks) and optionally SLO
samples or Prometheus (the SLO checks), scores the ROI/SLO objectives and decides; with
`--mode pre|post` it is the release QA check instead. With `adaptive: true` and a `--ledger`,
the QA minimums move with the gate's own history. The gate itself is `lumen.app.integrated`.
"""

from __future__ import annotations

import argparse

from gates.errors import UsageError
from lumen.commands.common import (
    ON_DATA_BRANCH,
    add_common,
    config_of,
    connection_of,
    now_of,
    running_repository,
    scope_of,
    settings_of,
    state_of,
)
from lumen.commands.gate_options import add_roi_options, add_slo_options, roi_flags, slo_flags
from lumen.outputs import GATE, Output
from lumen.settings import default_of, default_text

# The step outputs this command writes in Actions (and its action.yml declares).
OUTPUTS = (
    *GATE,
    Output("score", "ROI/SLO weighted score (0-100)"),
    Output("overall", "maturity overall (0-1)"),
    Output("burn-rate", "SLO burn rate used by the composite"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--events", metavar="PATH", help="loop events JSONL (or - for stdin)")
    parser.add_argument(
        "--deploys",
        metavar="PATH",
        help=f"deploy events JSONL; {ON_DATA_BRANCH}, fetched read-only",
    )
    parser.add_argument(
        "--github",
        metavar="OWNER/REPO",
        help="maturity and ROI from the repository's GitHub activity, judged by its trend "
        "(default without --events/--deploys: GITHUB_REPOSITORY)",
    )
    parser.add_argument("--slo", metavar="PATH", help="SLO samples JSON (as `lumen slo --samples`)")
    parser.add_argument("--mode", choices=["pre", "post"], help="release QA: pre or post")
    parser.add_argument(
        "--compare", metavar="PRE_JSON", help="pre-change result (required with --mode post)"
    )
    parser.add_argument(
        "--baseline",
        action="append",
        metavar="RESULT_JSON",
        help="earlier integrated result(s) for relative criteria (besides the ledger)",
    )
    group = parser.add_argument_group("integrated thresholds (config `integrated:`)")
    group.add_argument(
        "--min-overall", type=float, metavar="X", help=default_of("integrated", "min-overall")
    )
    group.add_argument(
        "--min-band", type=float, metavar="X", help=default_of("integrated", "min-band")
    )
    group.add_argument(
        "--penalty",
        type=float,
        metavar="X",
        help=f"borderline margin above min-overall ({default_of('integrated', 'penalty')})",
    )
    group.add_argument(
        "--borderline", choices=["fail", "warn"], help="a borderline maturity fails or warns"
    )
    group.add_argument(
        "--score-min",
        type=float,
        metavar="N",
        help=f"composite minimum (default: score.score-min, {default_text('score', 'score-min')})",
    )
    group.add_argument(
        "--maturity-window",
        dest="maturity_window",
        metavar="DURATION",
        help=default_of("integrated", "maturity-window"),
    )
    group.add_argument(
        "--adaptive",
        action="store_const",
        const=True,
        default=None,
        help="move the QA minimums from the ledger's history (needs --ledger)",
    )
    from lumen.adapters.prometheus import add_connection_arguments

    add_connection_arguments(parser)  # --prometheus URL: the SLO queries (config `slo:`)
    add_roi_options(parser)
    add_slo_options(parser)
    add_common(parser, gate=True, section="integrated", state_files="--ledger, and read --deploys,")


def flags(args: argparse.Namespace) -> dict[str, object]:
    return {
        "min-overall": args.min_overall,
        "min-band": args.min_band,
        "penalty": args.penalty,
        "borderline": args.borderline,
        "score-min": args.score_min,
        "maturity-window": args.maturity_window,
        "adaptive": args.adaptive,
        "on-no-data": args.on_no_data,
    }


def run(args: argparse.Namespace) -> int:
    from lumen.app import integrated as app
    from lumen.app.maturity import EventsSource, GitHubSource
    from lumen.app.roi import DeploySource
    from lumen.report import emit

    settings = settings_of(
        args, {"integrated": flags(args), "roi": roi_flags(args), "slo": slo_flags(args)}
    )
    scope = scope_of(args)
    now = now_of(args)
    if args.mode == "post" and not args.compare:
        raise UsageError("--mode post needs --compare PRE_JSON (the result of --mode pre)")
    github = args.github
    if args.events and args.deploys and github:
        raise UsageError("--github reads what --events and --deploys do not: choose two of them")
    if not (args.events or github):
        # No loop events named: the repository it runs in (for both sides, or beside --deploys,
        # as the workflows' `events` input promises: "empty reads this repository's activity").
        github = running_repository()
    if not (args.events or github):
        raise UsageError(
            "`lumen integrated` needs --events PATH (loop events) or --github OWNER/REPO "
            "(default in a workflow: GITHUB_REPOSITORY)"
        )
    ledger = getattr(args, "ledger", None) or config_of(args).get("ledger")
    if settings.integrated(scope).adaptive:
        if not ledger:
            raise UsageError("adaptive thresholds need a ledger: --ledger PATH or `ledger:`")
        args.ledger = ledger  # the decision is recorded where the minimums are read from
    state = state_of(args)
    request = app.Request(
        # --github reads the side no file is named for: both by default, the deploys beside
        # --events (as before), the loop events beside --deploys.
        events=EventsSource(args.events) if args.events else GitHubSource(str(github)),
        sources=app.Sources(
            DeploySource(
                deploys=args.deploys, github=None if args.deploys else github, state=state
            ),
            slo_samples=args.slo,
            slo_prometheus=connection_of(args, settings, scope) if args.prometheus else None,
        ),
        mode=args.mode,
        compare=args.compare,
        ledger=None if not ledger else str(ledger),
        baselines=tuple(args.baseline or ()),
        state=state,
    )
    result = app.evaluate(settings, scope, request, now=now)
    maturity = result.values["maturity"] or {}
    roi_slo = result.values.get("roi_slo") or {}
    return emit(
        result,
        args,
        OUTPUTS,
        {
            "overall": _out(maturity.get("overall")),
            "score": _out(roi_slo.get("score")),
            "burn-rate": _out(roi_slo.get("slo_burn_rate")),
        },
        state=state,
    )


def _out(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"
