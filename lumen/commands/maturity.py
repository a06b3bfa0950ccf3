"""Maturity gate: the Sense/Feedback/Release spectrum of loop events (docs/reference.md#maturity).

    lumen maturity --events events.jsonl [--window 24h --window 6h] [--now TS]
    lumen maturity --events - < events.jsonl
    lumen maturity --prometheus URL [--prometheus-selector 'env="prod"']
    lumen maturity --github OWNER/REPO --window 7d

Settings resolve flag > env×service > env > `maturity:` in the config > shipped defaults.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from gates.errors import UsageError
from gates.timeutil import format_timestamp
from lumen.adapters.prometheus import add_connection_arguments
from lumen.commands.common import (
    add_common,
    connection_of,
    now_of,
    positive_int,
    running_repository,
    scope_of,
    settings_of,
    state_of,
)
from lumen.outputs import GATE, Output
from lumen.settings import default_of

if TYPE_CHECKING:
    from gates.maturity import WindowResult


SOURCES = ("events", "prometheus", "github")


# The step outputs this command writes in Actions (and its action.yml declares).
OUTPUTS = (
    *GATE,
    Output("overall", "overall maturity (0-1)"),
    Output("sense", "Sense band (0-1)"),
    Output("feedback", "Feedback band (0-1)"),
    Output("release", "Release band (0-1)"),
    Output("trend", "change of overall against the previous window or --compare"),
    Output("hint", "policy hint: tighten, relax or steady"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_argument_group("source (exactly one)")
    source.add_argument("--events", metavar="PATH", help="loop events JSONL file, or - for stdin")
    source.add_argument(
        "--github",
        metavar="OWNER/REPO",
        help="GitHub activity (deployments, runs, incidents), judged by its trend "
        "(default without --events/--prometheus: GITHUB_REPOSITORY)",
    )
    parser.add_argument(
        "--window",
        action="append",
        metavar="DURATION",
        help=f"window, repeatable ({default_of('maturity', 'window')})",
    )
    parser.add_argument("--compare", metavar="PREV_JSON", help="previous result JSON for the trend")
    parser.add_argument(
        "--min-overall",
        type=float,
        metavar="X",
        help=f"minimum overall ({default_of('maturity', 'min-overall')})",
    )
    parser.add_argument(
        "--min-band",
        type=float,
        metavar="X",
        help=f"minimum of each band ({default_of('maturity', 'min-band')})",
    )
    for band in ("sense", "feedback", "release"):
        parser.add_argument(
            f"--min-{band}", type=float, metavar="X", help=f"minimum {band} (default: --min-band)"
        )
    parser.add_argument(
        "--skip-invalid",
        action="store_true",
        default=None,
        help="count and report invalid events instead of stopping at the first one",
    )
    parser.add_argument(
        "--jobs",
        type=positive_int,
        metavar="N",
        help="processes reading a large events file (default: one per CPU, up to 4, from 32 MiB)",
    )
    parser.add_argument(
        "--prom", metavar="PATH", help="write the spectrum as a Prometheus textfile (.prom)"
    )
    parser.add_argument(
        "--m-score-preset",
        choices=["stage", "prod"],
        help="legacy M-score rules (Prometheus source): stage or prod thresholds",
    )
    add_connection_arguments(parser)
    parser.add_argument(
        "--prometheus-selector",
        metavar="MATCHERS",
        help="extra label matchers for the lumen_maturity_* series, e.g. 'env=\"prod\"'",
    )
    parser.add_argument(
        "--prometheus-range",
        metavar="DURATION",
        help="avg_over_time range that smooths the series "
        f"({default_of('maturity', 'prometheus-range')})",
    )
    add_common(parser, gate=True, section="maturity")


def flags(args: argparse.Namespace, configured_m_score: object) -> dict[str, object]:
    """`maturity:` keys from the flags; `--m-score-preset` sets the preset of the configured
    `m-score` rules, keeping their other keys."""
    m_score = None
    if args.m_score_preset:
        m_score = {**(configured_m_score or {}), "preset": args.m_score_preset}  # type: ignore[dict-item]
    return {
        "window": args.window,
        "min-overall": args.min_overall,
        "min-band": args.min_band,
        "min-sense": args.min_sense,
        "min-feedback": args.min_feedback,
        "min-release": args.min_release,
        "on-no-data": args.on_no_data,
        "skip-invalid": args.skip_invalid,
        "jobs": args.jobs,
        "prometheus-selector": args.prometheus_selector,
        "prometheus-range": args.prometheus_range,
        "m-score": m_score,
    }


def _source_of(args: argparse.Namespace) -> str:
    given = [name for name in SOURCES if getattr(args, name, None)]
    if not given and running_repository():
        args.github = running_repository()  # no data file named: the repository it runs in
        return "github"
    if len(given) != 1:
        raise UsageError(
            "exactly one source is needed"
            + (f", got {', '.join('--' + g for g in given)}" if given else ""),
            expected="--events PATH|-, --prometheus URL or --github OWNER/REPO "
            "(default in a workflow: GITHUB_REPOSITORY)",
        )
    return given[0]


def run(args: argparse.Namespace) -> int:
    from lumen.app import maturity as app
    from lumen.report import emit

    source_name = _source_of(args)
    scope = scope_of(args)
    configured = settings_of(args, {}).section("maturity", scope).get("m-score")
    settings = settings_of(
        args, {"maturity": flags(args, configured)}, {"m-score": "--m-score-preset"}
    )
    resolved = settings.maturity(scope)
    now = now_of(args)
    compare = app.previous_overall(args.compare, resolved.windows[0]) if args.compare else None
    thresholds = resolved.thresholds
    inputs: dict[str, Any] = {
        "source": source_name,
        "windows": list(resolved.windows),
        "now": format_timestamp(now),
        "env": scope.env,
        "service": scope.service,
        "thresholds": {
            "min-overall": thresholds.min_overall,
            "min-sense": thresholds.min_sense,
            "min-feedback": thresholds.min_feedback,
            "min-release": thresholds.min_release,
        },
        "on-no-data": resolved.on_no_data.value,
    }
    if args.compare:
        inputs["compare"] = args.compare
    source: app.Source
    if source_name == "prometheus":
        connection = connection_of(args, settings, scope)
        assert connection is not None  # --prometheus was given
        source = app.PrometheusSource(connection)
        inputs["prometheus"] = args.prometheus
    elif source_name == "events":
        from lumen.fileio import display_name

        source = app.EventsSource(args.events)
        inputs["events"] = display_name(args.events)
    else:
        source = app.GitHubSource(args.github)
        inputs["github"] = args.github
    trend = settings.trend(scope) if source_name == "github" else None
    outcome = app.evaluate(source, resolved, now=now, compare=compare, inputs=inputs, trend=trend)
    results = outcome.windows
    if args.prom:
        from lumen.fileio import atomic_write

        atomic_write(args.prom, app.textfile(results))
    first = results[0]
    outputs = {
        "overall": _out(first.overall),
        "hint": first.hint or "",
        "trend": _out(first.trend),
        "sense": _out(None if first.spectrum is None else first.spectrum.sense),
        "feedback": _out(None if first.spectrum is None else first.spectrum.feedback),
        "release": _out(None if first.spectrum is None else first.spectrum.release),
    }
    code = emit(outcome.result, args, OUTPUTS, outputs, state=state_of(args))
    if not args.quiet:
        print("\n".join(summary_line(r) for r in results))
    return code


def summary_line(result: WindowResult) -> str:
    """One line per window under the table: the spectrum, trend and hint at a glance."""
    spectrum = result.spectrum
    if spectrum is None:
        return f"{result.window}: no events in the window"
    trend = "n/a" if result.trend is None else f"{result.trend:+.3f}"
    return (
        f"{result.window}: overall {spectrum.overall:.3f} (sense {spectrum.sense:.3f}, "
        f"feedback {spectrum.feedback:.3f}, release {spectrum.release:.3f}), "
        f"trend {trend}, hint {result.hint}, {spectrum.events:,} events"
    )


def _out(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"
