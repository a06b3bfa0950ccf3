"""One sampler run's signals: every source read through the gates' own code (spec §7).

Nothing here recomputes a gate: maturity comes from `gates.maturity` over `lumen.sources.events`,
ROI/DORA from `lumen.commands.roi` (`gates.roi`), SLO from `lumen.commands.slo` (`gates.slo`),
resonance from `lumen.commands.resonance` (`gates.resonance`), the policy verdict from
`lumen.commands.policy` and the integrated verdict from `lumen.commands.integrated`. This
module only turns their values into gauges.

A source that fails (bad file, unreachable Prometheus) is recorded as an error and the run goes
on with the others: what was measured is still kept and pushed, but the run is not a success.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from gates.errors import LumenError, SourceError, UsageError
from gates.result import GateResult, OnNoData, Verdict, decide
from gates.timeutil import parse_duration
from lumen.config import Config
from lumen.sampler.exposition import Series
from lumen.sampler.spool import warn

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
    spectra: dict[str, Any] = field(default_factory=dict)

    @property
    def groups(self) -> list[Group]:
        return [self.main, *self.extra]

    def guard(self, source: str, fn: Callable[[], None]) -> None:
        try:
            fn()
        except LumenError as exc:
            self.errors.append(f"{source}: {exc}")
            warn(f"{source} not sampled: {exc}")


def sub_args(args: argparse.Namespace, **overrides: Any) -> argparse.Namespace:
    """A copy of the sampler's arguments for a gate's helpers: the sampler's `--window` means
    maturity windows, never the ROI window those helpers would read it as."""
    ns = argparse.Namespace(**vars(args))
    ns.window = None
    for key, value in overrides.items():
        setattr(ns, key, value)
    return ns


def windows_of(settings: Mapping[str, Any]) -> list[str]:
    raw = settings.get("window") or ["24h"]
    labels = [raw] if isinstance(raw, str) else [str(w) for w in raw]
    for label in labels:
        parse_duration(label, field="sampler.window")
    return labels


# ------------------------------------------------------------------------------ maturity


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def maturity(
    out: Collected,
    config: Config,
    windows: Sequence[str],
    now: datetime,
    *,
    events: str | None,
    github: str | None = None,
) -> None:
    """Spectrum per window from a loop-events file, or else from a repository's GitHub activity
    (deployments, workflow/check runs, incident issues), as `lumen maturity` reads them."""
    from gates import maturity as gm

    env, svc = out.main.grouping.get("env") or None, out.main.grouping.get("service") or None
    plan = gm.WindowPlan(
        # Exact integer microseconds (a float timestamp can be 1 µs off).
        (now - EPOCH) // timedelta(microseconds=1),
        [
            gm.Window(label, parse_duration(label, field="--window") // timedelta(microseconds=1))
            for label in windows
        ],
    )
    settings = config.resolve("maturity", {}, env=env, service=svc)
    labels = {**gm.DEFAULT_SEVERITY_LABELS, **(settings.get("severity-labels") or {})}
    labels.update(config.get("severity-labels") or {})
    if events:
        from lumen.sources.events import read_events

        read = read_events(events, plan, labels=labels)
        tally = read.tally
        out.inputs["events"] = read.summary()
    else:
        from lumen.adapters.github.activity import ActivityCount, activity_events

        assert github is not None
        tally = gm.Tally()
        counts = ActivityCount()
        since = EPOCH + timedelta(microseconds=plan.edges[0])
        for event in activity_events(github, since, now, severity_labels=labels, counts=counts):
            tally.add_event(plan, event)
        out.inputs["events"] = {"source": f"github:{github}", **counts.to_dict()}
    results = gm.windows_from_tally(plan, tally)
    out.spectra.update({r.window: r.spectrum for r in results})
    result = gm.gate(
        results,
        gm.Thresholds.from_settings(settings),
        on_no_data=OnNoData(settings.get("on-no-data") or "pass"),
    )
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


def _roi_series(group: Group, counts: Any, dora: Any) -> None:
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
    config: Config,
    args: argparse.Namespace,
    *,
    deploys: str | None,
    github: str | None,
    now: datetime,
) -> None:
    from lumen.commands import roi as roi_cmd

    env, svc = out.main.grouping.get("env") or None, out.main.grouping.get("service") or None
    ns = sub_args(args)
    tally, scopes, inputs = roi_cmd.collect(
        config, ns, env=env, service=svc, now=now, deploys=deploys, github=github
    )
    outcome = roi_cmd.evaluate(
        config, ns, env=env, service=svc, now=now, tally=tally, rate_scopes=scopes
    )
    out.verdicts["roi"] = decide(outcome.checks)
    out.inputs["deploys"] = inputs
    out.values["roi"] = outcome.values
    if tally is None:
        return
    _roi_series(out.main, tally.counts(env, svc), tally.dora(env, svc))
    # With `roi: {matrix: true}` every (env, service) of the data gets its own group, as
    # "one group per env x service" asks; the run's own scope is the main group.
    for row in outcome.values.get("matrix") or []:
        if (row["env"], row["service"]) == (env, svc):
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


def slo_configured(
    config: Config, args: argparse.Namespace, env: str | None, svc: str | None
) -> bool:
    from lumen.commands import slo as slo_cmd

    settings = config.resolve("slo", slo_cmd.slo_flags(args), env=env, service=svc)
    return bool(settings.get("errors") and settings.get("requests"))


def slo(
    out: Collected,
    config: Config,
    args: argparse.Namespace,
    *,
    samples: str | None,
    prometheus: str | None,
    now: datetime,
) -> None:
    from lumen.commands import slo as slo_cmd

    env, svc = out.main.grouping.get("env") or None, out.main.grouping.get("service") or None
    outcome, inputs = slo_cmd.evaluate(
        config,
        sub_args(args, prometheus=prometheus),
        env=env,
        service=svc,
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


def resonance(
    out: Collected, config: Config, args: argparse.Namespace, snapshot: str, generated_at: str
) -> None:
    from lumen.commands import resonance as resonance_cmd

    env, svc = out.main.grouping.get("env") or None, out.main.grouping.get("service") or None
    result: GateResult = resonance_cmd.evaluate(
        config, sub_args(args), snapshot, env=env, service=svc, generated_at=generated_at
    )
    out.verdicts["resonance"] = result.verdict
    out.inputs["snapshot"] = snapshot
    out.values["resonance"] = result.values["windows"]
    for signals in result.values["windows"]:
        for name in RESONANCE_PUSHED:
            out.main.add(f"resonance_{name}", signals[name], window=signals["window"])


# ------------------------------------------------------------------------------ policy


def policy(
    out: Collected, args: argparse.Namespace, settings: dict[str, Any], *, prometheus: str | None
) -> None:
    """The policy gate's verdict over its metric packs (against the sampler's Prometheus) and
    schema rules, by the policy gate's own code. Rego needs documents to check, which a
    scheduled run does not have: that stays `lumen policy`'s job on a change."""
    from gates.policy import summarize
    from lumen.commands import policy as policy_cmd

    env = out.main.grouping.get("env") or None
    checks, inputs = policy_cmd.evaluate(sub_args(args, prometheus=prometheus), settings, env, [])
    out.verdicts["policy"] = decide(checks)
    out.inputs["policy"] = inputs
    out.values["policy"] = summarize(checks)


# ------------------------------------------------------------------------------ integrated


def integrated(
    out: Collected,
    config: Config,
    args: argparse.Namespace,
    *,
    events: str | None,
    deploys: str | None,
    github: str | None,
    slo_samples: str | None,
    prometheus: str | None,
    now: datetime,
) -> None:
    """The integrated verdict, by the integrated gate's own code (same settings as
    `lumen integrated` with the same sources)."""
    from lumen.commands import integrated as ic

    env, svc = out.main.grouping.get("env") or None, out.main.grouping.get("service") or None
    settings = config.resolve("integrated", {}, env=env, service=svc)
    on_no_data = OnNoData(settings.get("on-no-data") or config.get("on-no-data") or "pass")
    window = str(settings.get("maturity-window") or "24h")
    if window in out.spectra:
        spectrum = out.spectra[window]  # the sampler's own maturity pass already has it
    elif events:
        spectrum, _ = ic.read_spectrum(config, events, window=window, now=now, env=env, svc=svc)
    else:
        raise UsageError(
            f"the integrated gate's maturity window {window} is not among the sampled windows",
            expected=f"--window {window}",
        )
    ns = sub_args(
        args,
        deploys=deploys,
        github=None if deploys else github,
        slo=slo_samples,
        prometheus=prometheus,
        baseline=[],
        score_min=None,
        ledger=None,
    )
    checks, _, roi_slo = ic.full_gate(
        ns,
        config,
        settings=settings,
        spectrum=spectrum,
        env=env,
        svc=svc,
        now=now,
        inputs={},
        values={},
        on_no_data=on_no_data,
    )
    out.verdicts["integrated"] = decide(checks)
    out.values["integrated"] = roi_slo


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
    duration = parse_duration(str(settings.get("duration") or "10s"), field="--duration")
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
    config: Config,
    args: argparse.Namespace,
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
    connection = None
    if queries:
        from lumen.adapters.prometheus import PrometheusConnection

        connection = PrometheusConnection.from_args(args, config.get("prometheus") or {})
    taken: dict[str, list[float]] = {name: [] for name in metrics}
    taken.update({name: [] for name, _ in queries})
    failures = 0
    import requests

    with requests.Session() as session:
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
                except requests.RequestException:
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
