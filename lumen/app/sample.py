"""Sampler use case (docs/reference.md#sampler): one run's signals, every source read through the
gates' own use cases. Maturity comes from `lumen.app.maturity`, ROI/DORA from `lumen.app.roi`, SLO
from `lumen.app.slo`, resonance from `lumen.app.resonance`, the policy verdict from
`lumen.app.policy` and the integrated verdict from `lumen.app.integrated`. This module only turns
their values into gauges.

A source that fails (bad file, unreachable Prometheus) is recorded as an error and the run goes
on with the others: what was measured is still kept and pushed, but the run is not a success.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from gates.errors import LumenError, SourceError, UsageError
from gates.maturity import Spectrum
from gates.result import Verdict, decide
from gates.roi import DeployCounts, Dora
from gates.timeutil import format_timestamp, parse_duration
from lumen.sampler.exposition import Series
from lumen.sampler.spool import warn
from lumen.settings import Scope, Settings

if TYPE_CHECKING:
    from pathlib import Path

    from lumen.adapters.git_state import StateLocation
    from lumen.adapters.prometheus import PrometheusConnection
    from lumen.adapters.pushgateway import Pushgateway
    from lumen.sampler.spool import Entry, Spool
    from lumen.settings import PolicySettings

MAX_HZ = 100.0
MAX_DURATION = timedelta(hours=24)
MAX_TICKS = 100_000


@dataclass
class Group:
    """One Pushgateway group: its grouping key (without `job`) and its series."""

    grouping: dict[str, str]
    series: list[Series] = field(default_factory=list)

    def add(self, name: str, value: float | None, **labels: str) -> None:
        # None is no data: the series is left out rather than pushed as 0 or NaN.
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return
        self.series.append(Series(name, float(value), labels))


@dataclass
class Collected:
    main: Group
    extra: list[Group] = field(default_factory=list)
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    # Maturity spectrum per window label (None: no events), for the integrated verdict.
    spectra: dict[str, Spectrum | None] = field(default_factory=dict)

    @property
    def groups(self) -> list[Group]:
        return [self.main, *self.extra]

    def guard(self, source: str, fn: Callable[[], None]) -> None:
        try:
            fn()
        except LumenError as exc:
            self.errors.append(f"{source}: {exc}")
            warn(f"{source} not sampled: {exc}")


def windows_of(settings: Mapping[str, Any]) -> list[str]:
    raw = settings.get("window")
    labels = [raw] if isinstance(raw, str) else [str(w) for w in raw or []]
    if not labels:
        raise UsageError("no maturity window", field="sampler.window")
    for label in labels:
        parse_duration(label, field="sampler.window")
    return labels


@dataclass(frozen=True)
class Sources:
    """What one run reads. `prometheus` is the sampler's Prometheus (SLO queries, policy packs,
    `--hz` queries): one connection, so one HTTP session, for the whole run."""

    events: str | None = None
    deploys: str | None = None
    github: str | None = None
    snapshot: str | None = None
    slo_samples: str | None = None
    prometheus: PrometheusConnection | None = None
    # where the ledger (the integrated gate's history) and `deploys` live: the data branch, or
    # None
    state: StateLocation | None = None


def scope_of(out: Collected) -> Scope:
    return Scope(out.main.grouping.get("env") or None, out.main.grouping.get("service") or None)


# ------------------------------------------------------------------------------ maturity


def maturity(
    out: Collected,
    settings: Settings,
    windows: Sequence[str],
    now: datetime,
    *,
    events: str | None,
    github: str | None = None,
) -> None:
    """Spectrum per window from a loop-events file, or else from a repository's GitHub activity
    (deployments, workflow/check runs, incident issues), as `lumen maturity` reads them."""
    from gates import maturity as gm
    from lumen.app import maturity as app

    scope = scope_of(out)
    resolved = settings.maturity(scope)
    plan = app.window_plan(windows, now, unique=False)
    source: app.EventsSource | app.GitHubSource
    if events:
        source = app.EventsSource(events)
    else:
        assert github is not None
        source = app.GitHubSource(github)
    read = app.read_tally(source, plan, resolved)
    out.inputs["events"] = read.summary
    results = gm.windows_from_tally(plan, read.tally)
    out.spectra.update({r.window: r.spectrum for r in results})
    result = gm.gate(results, resolved.thresholds, on_no_data=resolved.on_no_data)
    out.verdicts["maturity"] = result.verdict
    out.values["maturity"] = [r.values() for r in results]
    for r in results:
        if r.spectrum is not None:
            for band in ("overall", "sense", "feedback", "release"):
                out.main.add(f"lumen_maturity_{band}", r.spectrum.band(band), window=r.window)
        out.main.add("lumen_maturity_trend", r.trend, window=r.window)
        out.main.add(
            "lumen_maturity_events",
            float(0 if r.spectrum is None else r.spectrum.events),
            window=r.window,
        )


# ------------------------------------------------------------------------------ ROI / DORA


def _roi_series(group: Group, counts: DeployCounts, dora: Dora | None) -> None:
    group.add("lumen_deploy_success_rate", counts.success_rate)
    group.add("lumen_rollback_rate", counts.rollback_rate)
    if counts.deploys_known:
        group.add("lumen_deploys", float(counts.deploys))
    if dora is not None:
        # The raw dataclass fields, not Dora.to_dict(), which rounds for reports.
        group.add("lumen_dora_deployment_frequency_per_day", dora.deployment_frequency)
        group.add("lumen_dora_change_failure_rate", dora.change_failure_rate)
        group.add("lumen_dora_time_to_restore_seconds", dora.time_to_restore_s)
        group.add("lumen_dora_lead_time_seconds", dora.lead_time_s)


def roi(
    out: Collected,
    settings: Settings,
    *,
    deploys: str | None,
    github: str | None,
    now: datetime,
    state: StateLocation | None,
) -> None:
    from lumen.app import roi as app

    scope = scope_of(out)
    source = app.DeploySource(deploys=deploys, github=github, state=state)
    read = app.collect(settings, scope, source, now=now)
    outcome = app.evaluate(settings, scope, read)
    out.verdicts["roi"] = decide(outcome.checks)
    out.inputs["deploys"] = read.inputs
    out.values["roi"] = outcome.values
    tally = read.tally
    if tally is None:
        return
    _roi_series(
        out.main, tally.counts(scope.env, scope.service), tally.dora(scope.env, scope.service)
    )
    # With `roi: {matrix: true}` every (env, service) of the data gets its own group, as
    # "one group per env x service" asks; the run's own scope is the main group.
    for row in outcome.values.get("matrix") or []:
        if (row["env"], row["service"]) == (scope.env, scope.service):
            continue
        grouping = {**out.main.grouping, "env": row["env"], "service": row["service"]}
        group = Group(grouping)
        _roi_series(
            group,
            tally.counts(row["env"], row["service"]),
            tally.dora(row["env"], row["service"]),
        )
        group.add("lumen_gate_verdict", Verdict(row["verdict"]).gauge, gate="roi")
        out.extra.append(group)


# ------------------------------------------------------------------------------ SLO


def slo(
    out: Collected,
    settings: Settings,
    *,
    samples: str | None,
    prometheus: PrometheusConnection | None,
    now: datetime,
) -> None:
    from lumen.app import slo as app

    outcome, inputs = app.evaluate(
        settings.slo(scope_of(out)),
        now=now,
        samples_path=samples,
        prometheus=None if samples else prometheus,
    )
    out.verdicts["slo"] = decide(outcome.checks)
    out.inputs["slo"] = inputs
    out.values["slo"] = outcome.values()
    for window, rate in outcome.error_rates.items():
        out.main.add("lumen_slo_error_rate", rate, window=window)
    for window, burn in outcome.burn_rates.items():
        out.main.add("lumen_slo_burn_rate", burn, window=window)


# ------------------------------------------------------------------------------ resonance

RESONANCE_PUSHED = ("symmetry", "continuity", "entropy", "safety", "phase", "coherence")


def resonance(out: Collected, settings: Settings, snapshot: str, generated_at: str) -> None:
    from lumen.app import resonance as app

    scope = scope_of(out)
    result = app.evaluate(
        settings.resonance(scope), snapshot, scope=scope, generated_at=generated_at
    )
    out.verdicts["resonance"] = result.verdict
    out.inputs["snapshot"] = snapshot
    out.values["resonance"] = result.values["windows"]
    for signals in result.values["windows"]:
        for name in RESONANCE_PUSHED:
            out.main.add(f"resonance_{name}", signals[name], window=signals["window"])


# ------------------------------------------------------------------------------ policy


def policy(
    out: Collected, settings: PolicySettings, *, prometheus: PrometheusConnection | None
) -> None:
    """The policy gate's verdict over its metric packs (against the sampler's Prometheus) and
    schema rules, by the policy gate's own code. Rego needs documents to check, which a
    scheduled run does not have: that stays `lumen policy`'s job on a change."""
    from gates.policy import summarize
    from lumen.app import policy as app

    checks, inputs = app.evaluate(settings, connection=prometheus, env=scope_of(out).env, files=[])
    out.verdicts["policy"] = decide(checks)
    out.inputs["policy"] = inputs
    out.values["policy"] = summarize(checks)


# ------------------------------------------------------------------------------ integrated


def integrated(
    out: Collected,
    settings: Settings,
    *,
    events: str | None,
    deploys: str | None,
    github: str | None,
    slo_samples: str | None,
    prometheus: PrometheusConnection | None,
    now: datetime,
    state: StateLocation | None = None,
) -> None:
    """The integrated verdict, by the integrated gate's own code (same settings as
    `lumen integrated` with the same sources)."""
    from lumen.app import integrated as app
    from lumen.app.maturity import EventsSource, spectrum_over
    from lumen.app.roi import DeploySource

    scope = scope_of(out)
    resolved = settings.integrated(scope)
    window = resolved.maturity_window
    spectrum: Spectrum | None
    if window in out.spectra:
        spectrum = out.spectra[window]  # the sampler's own maturity pass already has it
    elif events:
        spectrum, _ = spectrum_over(EventsSource(events), window, now, settings.maturity(scope))
    else:
        raise UsageError(
            f"the integrated gate's maturity window {window} is not among the sampled windows",
            expected=f"--window {window}",
        )
    ledger = settings.config.get("ledger")
    gate = app.full_gate(
        settings,
        scope,
        integrated=resolved,
        spectrum=spectrum,
        sources=app.Sources(
            DeploySource(deploys=deploys, github=None if deploys else github, state=state),
            slo_samples=slo_samples,
            slo_prometheus=prometheus,
        ),
        history=app.earlier_results(None if ledger is None else str(ledger), (), scope, state),
        now=now,
    )
    out.verdicts["integrated"] = decide(gate.decisive)
    out.values["integrated"] = gate.roi_slo


# ------------------------------------------------------------------------------ --hz mode


def parse_text_values(text: str, names: Sequence[str]) -> dict[str, float]:
    """Sum of each wanted metric's samples in a text exposition (all label sets together)."""
    wanted = set(names)
    sums: dict[str, list[float]] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        brace = line.find("{")
        space = line.find(" ")
        if brace != -1 and (space == -1 or brace < space):
            name = line[:brace]
            rest = _after_labels(line, brace)
        else:
            name, _, rest = line.partition(" ")
        if name not in wanted:
            continue
        parts = rest.split()
        if not parts:
            continue
        try:
            value = float(parts[0])
        except ValueError:
            continue
        sums.setdefault(name, []).append(value)
    return {name: math.fsum(values) for name, values in sums.items()}


def _after_labels(line: str, brace: int) -> str:
    quoted = False
    escaped = False
    for index in range(brace + 1, len(line)):
        char = line[index]
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "}" and not quoted:
            return line[index + 1 :]
    return ""


@dataclass(frozen=True)
class LivePlan:
    """What `--hz` mode will do, validated before any source is read."""

    hz: float
    duration: timedelta
    ticks: int
    url: str | None
    metrics: list[str]
    queries: list[tuple[str, str]]


def live_plan(settings: Mapping[str, Any]) -> LivePlan:
    """Validate `--hz`/`--duration` and the live sources (bounded: at most 100 Hz, 24 h and
    100,000 ticks)."""
    hz = float(settings["hz"])
    if not 0 < hz <= MAX_HZ:
        raise UsageError(f"--hz must be in (0, {MAX_HZ:g}]", field="--hz")
    duration = parse_duration(str(settings["duration"]), field="--duration")
    if duration > MAX_DURATION:
        raise UsageError("--duration is bounded to 24h", field="--duration")
    ticks = max(1, math.floor(hz * duration.total_seconds()))
    if ticks > MAX_TICKS:
        raise UsageError(
            f"--hz x --duration is {ticks} samples; the bound is {MAX_TICKS}", field="--hz"
        )
    url = settings.get("sample-url")
    metrics = [str(m) for m in settings.get("sample-metric") or []]
    queries: list[tuple[str, str]] = []
    for item in settings.get("sample-query") or []:
        name, sep, promql = str(item).partition("=")
        if not sep or not name.strip() or not promql.strip():
            raise UsageError(
                f"invalid --sample-query {item!r}", field="--sample-query", expected="NAME=PROMQL"
            )
        queries.append((name.strip(), promql.strip()))
    if url and not metrics:
        raise UsageError("--sample-url needs at least one --sample-metric NAME")
    if not url and not queries:
        raise UsageError("--hz needs --sample-url with --sample-metric, or --sample-query")
    return LivePlan(hz, duration, ticks, str(url) if url else None, metrics, queries)


def live(
    out: Collected,
    connection: PrometheusConnection | None,
    plan: LivePlan,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Sample a live metrics endpoint and/or Prometheus queries `hz` times a second for
    `duration` on a fixed schedule, then push mean, p95 and stdev of each."""
    from gates.sampling import aggregate

    hz, ticks, url, metrics, queries = plan.hz, plan.ticks, plan.url, plan.metrics, plan.queries
    duration = plan.duration
    if queries and connection is None:
        raise UsageError("--sample-query needs Prometheus: pass --prometheus URL")
    taken: dict[str, list[float]] = {name: [] for name in metrics}
    taken.update({name: [] for name, _ in queries})
    failures = 0
    import requests

    from lumen import budget as budgets
    from lumen.adapters.http import bounded_session

    # Each read ends by its tick (a trickling endpoint cannot stall the schedule), and all of
    # them by the sampling window plus slack.
    window = budgets.for_service(
        "metrics endpoint", duration.total_seconds() + 30, setting="--duration"
    )
    if queries:
        # The queries are spread over the sampling window: it adds to the Prometheus budget.
        budgets.prometheus().extend(duration.total_seconds())
    with bounded_session(window, per_call=max(0.5, 1 / hz), what="the scrape") as session:
        started = clock()
        for tick in range(ticks):
            delay = started + tick / hz - clock()
            if delay > 0:
                sleep(delay)
            if url:
                try:
                    response = session.get(url, timeout=max(0.5, 1 / hz))
                    response.raise_for_status()
                    found = parse_text_values(response.text, metrics)
                except (requests.RequestException, SourceError):
                    failures += 1
                    found = {}
                for name, value in found.items():
                    taken[name].append(value)
            for name, promql in queries:
                assert connection is not None
                from lumen.adapters.prometheus import sample_values

                try:
                    values = sample_values(connection.query(promql))
                except SourceError:
                    failures += 1
                    continue
                if values:
                    taken[name].append(math.fsum(values))
    summary: dict[str, Any] = {"hz": hz, "duration_s": duration.total_seconds(), "ticks": ticks}
    summary["failed_reads"] = failures
    if all(not values for values in taken.values()):
        raise SourceError(
            f"no samples in {ticks} tick(s) ({failures} failed read(s))", file=str(url or "")
        )
    for name, values in taken.items():
        agg = aggregate(values)
        summary[name] = None if agg is None else agg.__dict__
        if agg is None:
            continue
        out.main.add("lumen_sampled_mean", agg.mean, metric=name)
        out.main.add("lumen_sampled_p95", agg.p95, metric=name)
        out.main.add("lumen_sampled_stdev", agg.stdev, metric=name)
        out.main.add("lumen_sampled_samples", float(agg.samples), metric=name)
    out.values["sampled"] = summary


# ------------------------------------------------------------------------------ one run


def collect(
    settings: Settings,
    grouping: Mapping[str, str],
    sources: Sources,
    *,
    now: datetime,
) -> Collected:
    """Read every configured source once and turn the gates' values into series: the run's
    own group (`grouping`) plus one group per extra (env, service) of an ROI matrix. Usage
    problems stop the run before anything is read; a source that fails is an error of the run
    and the others are still read."""
    out = Collected(main=Group(dict(grouping)))
    scope = scope_of(out)
    sampler = settings.section("sampler", scope)
    events, deploys, github = sources.events, sources.deploys, sources.github
    snapshot, slo_samples, prometheus = sources.snapshot, sources.slo_samples, sources.prometheus
    from lumen.app.policy import has_rules
    from lumen.app.slo import queries_configured

    slo_queries = prometheus is not None and queries_configured(settings.slo(scope))
    policy_settings = settings.policy(scope)
    policy_rules = has_rules(policy_settings)
    wanted = (events, deploys, github, snapshot, slo_samples, slo_queries, policy_rules)
    if not any((*wanted, sampler.get("hz"))):
        raise UsageError(
            "nothing to sample: give --events, --deploys/--github, --snapshot, --slo, "
            "--prometheus with SLO queries, policy rules (--pack, --schema), or --hz with a "
            "live source"
        )
    windows = windows_of(sampler)
    # Usage problems of --hz stop the run before anything is read or pushed.
    plan = live_plan(sampler) if sampler.get("hz") else None
    if events or github:
        out.guard(
            "maturity",
            lambda: maturity(out, settings, windows, now, events=events, github=github),
        )
    if deploys or github:
        out.guard(
            "roi",
            lambda: roi(
                out,
                settings,
                deploys=deploys,
                github=None if deploys else github,
                now=now,
                state=sources.state,
            ),
        )
    if slo_samples or slo_queries:
        out.guard(
            "slo",
            lambda: slo(out, settings, samples=slo_samples, prometheus=prometheus, now=now),
        )
    if snapshot:
        out.guard(
            "resonance",
            lambda: resonance(out, settings, snapshot, format_timestamp(now)),
        )
    if policy_rules:
        out.guard("policy", lambda: policy(out, policy_settings, prometheus=prometheus))
    if (events or github) and (deploys or github):
        out.guard(
            "integrated",
            lambda: integrated(
                out,
                settings,
                events=events,
                deploys=deploys,
                github=github,
                slo_samples=slo_samples,
                prometheus=prometheus if slo_queries else None,
                now=now,
                state=sources.state,
            ),
        )
    if plan is not None:
        out.guard("hz", lambda: live(out, prometheus, plan))
    for gate, verdict in out.verdicts.items():
        out.main.add("lumen_gate_verdict", verdict.gauge, gate=gate)
    return out


# ------------------------------------------------------------------------------ delivery

JOB = "lumen_sampler"


@dataclass(frozen=True)
class Delivery:
    """The run's history record (status, destination, errors, the series of each group) and
    the history file it was appended to."""

    record: dict[str, Any]
    history: str


def deliver(
    out: Collected,
    settings: Mapping[str, Any],
    gateway: Pushgateway | None,
    *,
    now: str,
    started: float,
    stdout: Callable[[str], object],
    state: StateLocation | None = None,
) -> Delivery:
    """Deliver one run's groups: PUT each to the Pushgateway (through the spool, which also
    retries what earlier runs could not push), else one node_exporter textfile, else the
    exposition on `stdout`; then append the run to the history. The run's own success time
    (or, for a partial run, the last one) is part of what is pushed.

    With `state` the history and the spool are those paths on the data branch
    (`lumen.sampler.branch`): pulled before, each new spool entry pushed there before its
    Pushgateway push, what the run appended and removed written back after."""
    from lumen.adapters.pushgateway import PushError
    from lumen.fileio import atomic_write
    from lumen.sampler import history
    from lumen.sampler.exposition import Series, check_series, render
    from lumen.sampler.spool import Spool, group_id, warn

    with _local_files(settings, state) as (local, on_spooled):
        run_id = uuid.uuid4().hex
        history_path = str(local["history"])
        success = not out.errors
        success_ts: float | None = None
        if success:
            # Wall-clock time (not --now): the stale alert compares it with Prometheus's time().
            success_ts = time.time()
            out.main.add("lumen_sampler_last_success_timestamp_seconds", success_ts)
            out.main.add("lumen_sampler_duration_seconds", time.monotonic() - started)
        else:
            # A partial run replaces the group too (PUT): keep the previous success time in it so
            # the staleness alert keeps measuring from the last real success.
            previous = history.last_success(history_path, out.main.grouping)
            out.main.add("lumen_sampler_last_success_timestamp_seconds", previous)
        for group in out.groups:
            check_series(group.series, reserved=["job", *group.grouping])

        deliveries: dict[str, str] = {}
        push_errors: list[str] = []
        destination: str
        if gateway is not None:
            destination = gateway.url
            spool = Spool(
                str(local["spool"]),
                int(local["spool-max-bytes"]),
                on_add=on_spooled,
            )
            # One run at a time delivers through a spool: two runs flushing it together could both
            # push an old entry, one of them after the other's newer values.
            with spool.exclusive():
                current = {group_id(group.grouping) for group in out.groups}
                _flush_spool(spool, gateway, current, run_id, history_path)
                for group in out.groups:
                    body = render(group.series)
                    gid = group_id(group.grouping)
                    # Write-ahead: the values are spooled before the push starts and unspooled
                    # once delivered, so a run killed at any moment (mid-push too) loses nothing.
                    pending, dropped = spool.add_entry(
                        run_id=run_id,
                        ts=now,
                        grouping=group.grouping,
                        exposition=body,
                        series=[s.to_dict() for s in group.series],
                    )
                    try:
                        gateway.put(JOB, group.grouping, body)
                        deliveries[gid] = "pushed"
                        spool.remove(pending)
                    except PushError as exc:
                        push_errors.append(str(exc))
                        warn(f"{exc}; kept in the spool {spool.directory}")
                        deliveries[gid] = "spooled"
                    for entry in dropped:
                        history.append(
                            history_path,
                            {
                                "type": "spool",
                                "action": "dropped",
                                "run_id": entry.run_id,
                                "ts": entry.ts,
                                "grouping": entry.grouping,
                                "by_run": run_id,
                            },
                        )
        elif local.get("textfile"):
            destination = str(local["textfile"])
            # One file, no grouping key: each series carries its group's env/service labels.
            merged = [
                Series(s.name, s.value, {**{k: v for k, v in g.grouping.items() if v}, **s.labels})
                for g in out.groups
                for s in g.series
            ]
            text = render(merged)
            atomic_write(destination, text)
            deliveries = {group_id(g.grouping): "textfile" for g in out.groups}
        else:
            destination = "stdout"
            for group in out.groups:
                stdout(render(group.series))
            deliveries = {group_id(g.grouping): "stdout" for g in out.groups}

        status = "spooled" if push_errors else next(iter(deliveries.values()), "none")
        record: dict[str, Any] = {
            "type": "run",
            "run_id": run_id,
            "ts": now,
            "sampled_at": time.time(),
            "env": out.main.grouping.get("env") or None,
            "service": out.main.grouping.get("service") or None,
            "instance": out.main.grouping.get("instance"),
            "status": status,
            "destination": destination,
            "errors": out.errors,
            "push_errors": push_errors,
            "verdicts": {gate: verdict.value for gate, verdict in out.verdicts.items()},
            "success_ts": success_ts,
            "duration_s": time.monotonic() - started,
            "groups": [
                {
                    "grouping": group.grouping,
                    "delivery": deliveries.get(group_id(group.grouping)),
                    "series": [s.to_dict() for s in group.series],
                }
                for group in out.groups
            ],
        }
        history.append(history_path, record)
    return Delivery(record, str(settings["history"]))


@contextmanager
def _local_files(
    settings: Mapping[str, Any], state: StateLocation | None
) -> Iterator[tuple[Mapping[str, Any], Callable[[Path], None] | None]]:
    """The settings with the history and the spool as local files, and what to call as each
    spool entry is written. Without `state` they are the settings' own files; with it, scratch
    copies pulled from the data branch, each new spool entry pushed there as it is written, and
    what the run appended and removed written back when the run ends without an error."""
    if state is None:
        yield settings, None
        return
    import tempfile
    from pathlib import Path

    from lumen.sampler.branch import BranchFiles

    with tempfile.TemporaryDirectory(prefix="lumen-sampler-") as scratch:
        files = BranchFiles(
            state,
            history=str(settings["history"]),
            spool=str(settings["spool"]),
            scratch=Path(scratch),
        )
        files.pull()
        local = {
            **settings,
            "history": str(files.local_history),
            "spool": str(files.local_spool),
        }
        yield local, files.spooled
        files.push_back()


def _flush_spool(
    spool: Spool, gateway: Pushgateway, current: set[str], run_id: str, history_path: str
) -> None:
    """Deliver what earlier runs could not: for each spooled group, the newest entry is pushed
    unless this run has values of its own for that group; everything else is superseded."""
    from lumen.adapters.pushgateway import PushError
    from lumen.sampler import history
    from lumen.sampler.spool import warn

    by_group: dict[str, list[Entry]] = {}
    for entry in spool.entries():
        by_group.setdefault(entry.group, []).append(entry)
    deliverable = []
    for gid, entries in by_group.items():
        superseded = entries if gid in current else entries[:-1]
        for entry in superseded:
            history.append(
                history_path,
                {
                    "type": "spool",
                    "action": "superseded",
                    "run_id": entry.run_id,
                    "ts": entry.ts,
                    "grouping": entry.grouping,
                    "by_run": run_id,
                    "series": entry.series,
                },
            )
            spool.remove(entry)
        if gid not in current:
            deliverable.append(entries[-1])
    for entry in deliverable:
        try:
            gateway.put(JOB, entry.grouping, entry.exposition)
        except PushError as exc:
            # The gateway is down or refusing: the other spooled groups would only spend the
            # same retries and deadline each. They stay spooled for the next run.
            warn(f"spooled run {entry.run_id} still not delivered: {exc}")
            break
        history.append(
            history_path,
            {
                "type": "spool",
                "action": "delivered",
                "run_id": entry.run_id,
                "ts": entry.ts,
                "grouping": entry.grouping,
                "by_run": run_id,
            },
        )
        spool.remove(entry)
