"""Maturity use case (docs/reference.md#maturity): the one read set-up of loop events (window plan
and severity labels) that `lumen maturity`, `lumen integrated` and the sampler share, and the gate
over it.

Sources: a loop-events JSONL file, a repository's GitHub activity, or the `lumen_maturity_*`
series in Prometheus.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from gates import maturity as gm
from gates.errors import InputError
from gates.result import Check, GateResult
from gates.timeutil import format_timestamp, parse_duration

if TYPE_CHECKING:
    from lumen.adapters.github.activity import RepositoryReads
    from lumen.adapters.prometheus import PrometheusConnection
    from lumen.settings import MaturitySettings, TrendConfig

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MICROSECOND = timedelta(microseconds=1)


def micros(moment: datetime) -> int:
    """Exact integer microseconds since the epoch (a float timestamp can be 1 µs off)."""
    return (moment - EPOCH) // ONE_MICROSECOND


def window_plan(
    labels: Sequence[str], now: datetime, *, field: str = "--window", unique: bool = True
) -> gm.WindowPlan:
    """The windows ending at `now`, in the order given; each label once unless `unique` is off
    (the sampler keeps a repeated window so that its push refuses the duplicate series)."""
    windows: list[gm.Window] = []
    for label in labels:
        if unique and any(w.label == label for w in windows):
            continue
        windows.append(gm.Window(label, parse_duration(label, field=field) // ONE_MICROSECOND))
    return gm.WindowPlan(micros(now), windows)


@dataclass(frozen=True)
class EventsSource:
    """A loop-events JSONL file (`-` for stdin)."""

    path: str


@dataclass(frozen=True)
class GitHubSource:
    """A repository's activity: deployments, workflow/check runs, incident issues; `reads`
    shares the run's GitHub reads with the other gates (one is opened when not given)."""

    repository: str
    reads: RepositoryReads | None = field(default=None, compare=False)


@dataclass(frozen=True)
class PrometheusSource:
    """The `lumen_maturity_*` series of a Prometheus."""

    connection: PrometheusConnection


Source = EventsSource | GitHubSource | PrometheusSource


@dataclass
class Read:
    """What a source gave for a plan: the tally (event sources), an input summary, and whether
    invalid events were counted."""

    tally: gm.Tally
    summary: dict[str, Any]
    invalid: int = 0
    events: int = 0


def read_tally(
    source: EventsSource | GitHubSource,
    plan: gm.WindowPlan,
    settings: MaturitySettings,
    *,
    skip_invalid: bool = False,
) -> Read:
    """Count a file's loop events or a repository's activity into `plan`'s windows."""
    if isinstance(source, EventsSource):
        from lumen.sources.events import read_events

        read = read_events(
            source.path,
            plan,
            labels=settings.severity_labels,
            skip_invalid=skip_invalid,
            jobs=settings.jobs,
        )
        return Read(read.tally, read.summary(), read.invalid, read.events)
    from lumen.adapters.github.activity import ActivityCount, activity_events

    tally = gm.Tally()
    counts = ActivityCount()
    since = EPOCH + timedelta(microseconds=plan.edges[0])
    until = EPOCH + timedelta(microseconds=plan.now_us)
    events = 0
    for event in activity_events(
        source.repository,
        since,
        until,
        severity_labels=settings.severity_labels,
        counts=counts,
        reads=source.reads,
    ):
        tally.add_event(plan, event)
        events += 1
    summary = {"source": f"github:{source.repository}", "events_read": events, **counts.to_dict()}
    return Read(tally, summary)


def spectrum_over(
    source: EventsSource | GitHubSource, window: str, now: datetime, settings: MaturitySettings
) -> tuple[gm.Spectrum | None, dict[str, Any]]:
    """(spectrum or None, input summary) of one window ending at `now`: the integrated gate's
    maturity side."""
    plan = window_plan([window], now, field="integrated.maturity-window")
    read = read_tally(source, plan, settings)
    return gm.windows_from_tally(plan, read.tally)[0].spectrum, read.summary


@dataclass
class Outcome:
    """The maturity gate's result and its per-window results."""

    result: GateResult
    windows: list[gm.WindowResult] = field(default_factory=list)


def evaluate(
    source: Source,
    settings: MaturitySettings,
    *,
    now: datetime,
    compare: Mapping[str, float] | None = None,
    inputs: dict[str, Any] | None = None,
    trend: TrendConfig | None = None,
) -> Outcome:
    """The maturity gate over `settings.windows` ending at `now`; `compare` holds a previous
    overall per window for the trend (else the previous window of the same source).

    From GitHub (`trend` given) the spectrum's checks are advisory and the trend checks of the
    repository's own history decide (`lumen.app.trend`)."""
    plan = window_plan(settings.windows, now)
    if isinstance(source, GitHubSource) and trend is not None:
        return _from_github(
            source, settings, plan, now=now, compare=compare, inputs=inputs, trend=trend
        )
    on_no_data = settings.on_no_data
    extra_checks: list[Check] = []
    extra_values: dict[str, Any] = {}
    if isinstance(source, PrometheusSource):
        results, checks, values = _from_prometheus(
            source.connection, settings, plan.windows, now, compare
        )
        extra_checks += checks
        extra_values.update(values)
    else:
        read = read_tally(source, plan, settings, skip_invalid=settings.skip_invalid)
        extra_values["input"] = read.summary
        if isinstance(source, EventsSource) and (read.invalid or settings.skip_invalid):
            extra_checks.append(gm.invalid_check(read.invalid, read.events))
        results = gm.windows_from_tally(plan, read.tally, compare=compare)
        if settings.m_score:
            extra_checks += gm.m_score_checks(
                settings.m_score,
                m_score=None,
                h_eff=None,
                fast_burn_firing=None,
                on_no_data=on_no_data,
            )
    result = gm.gate(
        results,
        settings.thresholds,
        on_no_data=on_no_data,
        extra_checks=extra_checks,
        inputs=inputs or {},
        generated_at=format_timestamp(now),
        extra_values=extra_values,
    )
    return Outcome(result, results)


def _from_github(
    source: GitHubSource,
    settings: MaturitySettings,
    plan: gm.WindowPlan,
    *,
    now: datetime,
    compare: Mapping[str, float] | None,
    inputs: dict[str, Any] | None,
    trend: TrendConfig,
) -> Outcome:
    from gates.result import decide
    from lumen.app import trend as trend_app

    reads = source.reads
    if reads is None:
        spectrum_since = EPOCH + timedelta(microseconds=plan.edges[0])
        reads = trend_app.open_reads(
            source.repository, since=min(spectrum_since, trend_app.earliest(now, trend))
        )
        source = replace(source, reads=reads)
    read = read_tally(source, plan, settings)
    results = gm.windows_from_tally(plan, read.tally, compare=compare)
    # The spectrum first: its listing of workflow runs also answers the trend's recent counts.
    outcome = trend_app.github_trend(reads, trend, now=now)
    result = gm.gate(
        results,
        settings.thresholds,
        on_no_data=settings.on_no_data,
        extra_checks=outcome.checks,
        inputs={**(inputs or {}), "github": trend_app.github_inputs(reads)},
        generated_at=format_timestamp(now),
        extra_values={"input": read.summary, "trend": outcome.values(trend)},
    )
    spectrum_checks = result.checks[: len(result.checks) - len(outcome.checks)]
    checks = [*trend_app.advisory(spectrum_checks), *outcome.checks]
    return Outcome(replace(result, checks=checks, verdict=decide(checks)), results)


def _from_prometheus(
    connection: PrometheusConnection,
    settings: MaturitySettings,
    windows: Sequence[gm.Window],
    now: datetime,
    compare: Mapping[str, float] | None,
) -> tuple[list[gm.WindowResult], list[Check], dict[str, Any]]:
    from lumen.sources.prometheus_maturity import read_m_score, read_spectra

    smoothing = settings.prometheus_range
    parse_duration(smoothing, field="--prometheus-range")
    selector = settings.prometheus_selector
    read = read_spectra(
        connection,
        list(windows),
        now,
        selector=selector,
        smoothing=smoothing,
        previous=compare is None,
    )
    results = []
    for window in windows:
        previous = compare.get(window.label) if compare is not None else read.previous[window.label]
        results.append(
            gm.window_result(
                window.label,
                read.spectra[window.label],
                previous,
                trend_source="compare" if compare is not None else "previous-window",
            )
        )
    checks: list[Check] = []
    values: dict[str, Any] = {"input": {"source": connection.url, "queries": read.queries}}
    if settings.m_score:
        legacy = read_m_score(connection, now, selector=selector, smoothing=smoothing)
        checks += gm.m_score_checks(settings.m_score, on_no_data=settings.on_no_data, **legacy)
        values["m_score"] = legacy
    return results, checks, values


def previous_overall(path: str, first_window: str) -> dict[str, float]:
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


def _is_number(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def textfile(results: Sequence[gm.WindowResult]) -> str:
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
