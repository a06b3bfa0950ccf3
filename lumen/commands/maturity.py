"""Maturity gate: the Sense/Feedback/Release spectrum of loop events (spec §3).

    lumen maturity --events events.jsonl [--window 24h --window 6h] [--now TS]
    lumen maturity --events - < events.jsonl
    lumen maturity --prometheus URL [--prometheus-selector 'env="prod"']
    lumen maturity --github OWNER/REPO --window 7d

Settings resolve flag > env×service > env > `maturity:` in the config > shipped defaults.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from gates.errors import ConfigError, InputError, UsageError
from gates.timeutil import format_timestamp, parse_duration
from lumen.adapters.prometheus import add_connection_arguments
from lumen.commands.common import add_common, config_of, env_service, now_of, positive_int
from lumen.outputs import GATE, Output

if TYPE_CHECKING:
    from gates.maturity import Window

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
        "--github", metavar="OWNER/REPO", help="GitHub activity (deployments, runs, incidents)"
    )
    parser.add_argument(
        "--window", action="append", metavar="DURATION", help="window, repeatable (default 24h)"
    )
    parser.add_argument("--compare", metavar="PREV_JSON", help="previous result JSON for the trend")
    parser.add_argument(
        "--min-overall", type=float, metavar="X", help="minimum overall (default 0.60)"
    )
    parser.add_argument(
        "--min-band", type=float, metavar="X", help="minimum of each band (default 0.50)"
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
        help="avg_over_time range that smooths the series (default 2m)",
    )
    add_common(parser, gate=True)


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    config = config_of(args)
    env, service = env_service(args)
    flags = {
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
    }
    settings = config.resolve("maturity", flags, env=env, service=service)
    if args.m_score_preset:
        settings["m-score"] = {**(settings.get("m-score") or {}), "preset": args.m_score_preset}
    settings["_env"], settings["_service"] = env, service
    return settings


def _windows(settings: Mapping[str, Any]) -> list[Window]:
    from gates.maturity import MICROS, Window

    raw = settings.get("window") or "24h"
    labels = [raw] if isinstance(raw, str) else list(raw)
    windows: list[Window] = []
    for label in labels:
        delta = parse_duration(str(label), field="--window")
        micros = round(delta.total_seconds() * MICROS)
        if any(w.label == label for w in windows):
            continue
        windows.append(Window(str(label), micros))
    return windows


def _compare(path: str, first_window: str) -> dict[str, float]:
    """Previous overall per window from an earlier result JSON (`windows[]`, else `maturity`)."""
    from lumen.fileio import read_json

    document = read_json(path)
    if not isinstance(document, dict) or not (
        isinstance(document.get("maturity"), dict) or isinstance(document.get("windows"), list)
    ):
        raise InputError(
            "not a maturity result",
            file=path,
            field="maturity",
            expected="the --json output of an earlier `lumen maturity` run",
        )
    out: dict[str, float] = {}
    for entry in document.get("windows") or []:
        if isinstance(entry, dict) and _is_number(entry.get("overall")):
            out[str(entry.get("window"))] = float(entry["overall"])
    block = document.get("maturity")
    if isinstance(block, dict) and _is_number(block.get("overall")):
        # Only the same window is comparable; a block without a window label is the first one.
        out.setdefault(str(block.get("window") or first_window), float(block["overall"]))
    return out


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def _source_of(args: argparse.Namespace) -> str:
    given = [name for name in SOURCES if getattr(args, name, None)]
    if len(given) != 1:
        raise UsageError(
            "exactly one source is needed"
            + (f", got {', '.join('--' + g for g in given)}" if given else ""),
            expected="--events PATH|-, --prometheus URL or --github OWNER/REPO",
        )
    return given[0]


def _labels(settings: Mapping[str, Any], top_level: Any) -> dict[str, float]:
    """Severity labels: the `maturity:` section (shipped defaults included), then the config's
    top-level `severity-labels:` shared by every gate that reads loop events."""
    labels: dict[str, float] = {}
    for source in (settings.get("severity-labels"), top_level):
        if source is None:
            continue
        if not isinstance(source, Mapping):
            raise ConfigError("severity-labels must map names to numbers", field="severity-labels")
        labels.update({str(k): float(v) for k, v in source.items()})
    return labels


def run(args: argparse.Namespace) -> int:
    from gates import maturity as m
    from gates.result import OnNoData
    from lumen.report import emit

    source = _source_of(args)
    settings = _settings(args)
    windows = _windows(settings)
    now = now_of(args)
    plan = m.WindowPlan(_micros(now), windows)
    thresholds = m.Thresholds.from_settings(settings)
    on_no_data = OnNoData(settings.get("on-no-data") or "pass")
    labels = _labels(settings, config_of(args).get("severity-labels"))
    compare = _compare(args.compare, windows[0].label) if args.compare else None

    extra_checks: list[Any] = []
    extra_values: dict[str, Any] = {}
    inputs: dict[str, Any] = {
        "source": source,
        "windows": [w.label for w in windows],
        "now": format_timestamp(now),
        "env": settings["_env"],
        "service": settings["_service"],
        "thresholds": {
            "min-overall": thresholds.min_overall,
            "min-sense": thresholds.min_sense,
            "min-feedback": thresholds.min_feedback,
            "min-release": thresholds.min_release,
        },
        "on-no-data": on_no_data.value,
    }
    if args.compare:
        inputs["compare"] = args.compare

    if source == "prometheus":
        results, checks, values = _from_prometheus(
            args,
            settings=settings,
            windows=windows,
            now=now,
            compare=compare,
            on_no_data=on_no_data,
        )
        extra_checks += checks
        extra_values.update(values)
        inputs["prometheus"] = args.prometheus
    else:
        if source == "events":
            from lumen.sources.events import read_events

            read = read_events(
                args.events,
                plan,
                labels=labels,
                skip_invalid=bool(settings.get("skip-invalid")),
                jobs=None if settings.get("jobs") is None else int(settings["jobs"]),
            )
            inputs["events"] = read.source
            tally = read.tally
            extra_values["input"] = read.summary()
            if read.invalid or settings.get("skip-invalid"):
                extra_checks.append(m.invalid_check(read.invalid, read.events))
        else:
            tally, summary = _from_github(args, plan, labels)
            inputs["github"] = args.github
            extra_values["input"] = summary
        results = m.windows_from_tally(plan, tally, compare=compare)
        if settings.get("m-score"):
            extra_checks += m.m_score_checks(
                settings["m-score"],
                m_score=None,
                h_eff=None,
                fast_burn_firing=None,
                on_no_data=on_no_data,
            )

    result = m.gate(
        results,
        thresholds,
        on_no_data=on_no_data,
        extra_checks=extra_checks,
        inputs=inputs,
        generated_at=format_timestamp(now),
        extra_values=extra_values,
    )
    if args.prom:
        from lumen.fileio import atomic_write

        atomic_write(args.prom, textfile(results))
    first = results[0]
    outputs = {
        "overall": _out(first.overall),
        "hint": first.hint or "",
        "trend": _out(first.trend),
        "sense": _out(None if first.spectrum is None else first.spectrum.sense),
        "feedback": _out(None if first.spectrum is None else first.spectrum.feedback),
        "release": _out(None if first.spectrum is None else first.spectrum.release),
    }
    code = emit(result, args, OUTPUTS, outputs)
    if not args.quiet:
        print("\n".join(summary_line(r) for r in results))
    return code


def summary_line(result: Any) -> str:
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


def _micros(moment: datetime) -> int:
    from datetime import UTC

    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _from_github(
    args: argparse.Namespace, plan: Any, labels: Mapping[str, float]
) -> tuple[Any, dict[str, Any]]:
    from datetime import UTC, timedelta

    from gates.maturity import Tally
    from lumen.adapters.github.activity import ActivityCount, activity_events

    tally = Tally()
    counts = ActivityCount()
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    since = epoch + timedelta(microseconds=plan.edges[0])
    until = epoch + timedelta(microseconds=plan.now_us)
    events = 0
    for event in activity_events(args.github, since, until, severity_labels=labels, counts=counts):
        tally.add_event(plan, event)
        events += 1
    return tally, {"source": f"github:{args.github}", "events_read": events, **counts.to_dict()}


def _from_prometheus(
    args: argparse.Namespace,
    *,
    settings: Mapping[str, Any],
    windows: list[Any],
    now: datetime,
    compare: Mapping[str, float] | None,
    on_no_data: Any,
) -> tuple[list[Any], list[Any], dict[str, Any]]:
    from gates import maturity as m
    from lumen.adapters.prometheus import PrometheusConnection
    from lumen.sources.prometheus_maturity import DEFAULT_RANGE, read_m_score, read_spectra

    connection = PrometheusConnection.from_args(args, config_of(args).section("prometheus"))
    smoothing = str(settings.get("prometheus-range") or DEFAULT_RANGE)
    parse_duration(smoothing, field="--prometheus-range")
    selector = settings.get("prometheus-selector")
    read = read_spectra(
        connection,
        windows,
        now,
        selector=selector,
        smoothing=smoothing,
        previous=compare is None,
    )
    results = []
    for window in windows:
        previous = compare.get(window.label) if compare is not None else read.previous[window.label]
        results.append(
            m.window_result(
                window.label,
                read.spectra[window.label],
                previous,
                trend_source="compare" if compare is not None else "previous-window",
            )
        )
    checks: list[Any] = []
    values: dict[str, Any] = {"input": {"source": connection.url, "queries": read.queries}}
    if settings.get("m-score"):
        legacy = read_m_score(connection, now, selector=selector, smoothing=smoothing)
        checks += m.m_score_checks(settings["m-score"], on_no_data=on_no_data, **legacy)
        values["m_score"] = legacy
    return results, checks, values


def textfile(results: list[Any]) -> str:
    """`lumen_maturity_{overall,sense,feedback,release,trend}{window=...}` gauges in the
    node_exporter textfile format, rendered by the sampler's exposition (one writer for both);
    windows without data (and trends without a previous value) are left out, never written as 0."""
    from lumen.sampler.exposition import Series, render

    series = []
    for result in results:
        if result.spectrum is not None:
            for band in ("overall", "sense", "feedback", "release"):
                value = result.spectrum.band(band)
                series.append(Series(f"lumen_maturity_{band}", value, {"window": result.window}))
        if result.trend is not None:
            series.append(Series("lumen_maturity_trend", result.trend, {"window": result.window}))
    return render(series)
