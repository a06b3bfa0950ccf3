"""Maturity spectrum of loop events and the maturity gate (docs/reference.md#maturity).

Pure: plain numbers in, a `GateResult` out. Parsing files, Prometheus and GitHub live in
`lumen.sources`; they feed a `Tally`, which this module turns into spectra.

Formulas (per loop and overall, per window `(now - W, now]`):

- Sense    = H(p) / log 3 over the kind distribution (signal, evidence, action). The source notes
  (docs/reference.md#sense) wrote "1 - entropy_norm" but described a balance score and gave a
  healthy example (sense 0.68 with release 0.71) that only H/log 3 reaches; H/log 3 it is.
- Feedback = exp(-3 * population stdev of severity): rewards a stable level, not a low one.
- Release  = min(1, action_ratio / 0.30).
- Overall  = 0.4 * Sense + 0.3 * Feedback + 0.3 * Release.
- Trend    = Overall - previous Overall (previous window or a previous run); None when absent.

Exactness: the tally counts events per distinct severity value (severities are a handful of
labels and round numbers in practice) and, past a cap, folds them into exact rational sums. Every
statistic is therefore computed from exact integers and fractions at the end, so 1M events do not
drift and the order of events cannot change a single bit of the result.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from gates.result import Check, GateResult, OnNoData, Verdict, decide, threshold_check

KINDS: tuple[str, str, str] = ("signal", "evidence", "action")
KIND_INDEX: dict[str, int] = {kind: index for index, kind in enumerate(KINDS)}
BANDS: tuple[str, str, str] = ("sense", "feedback", "release")

WEIGHTS: dict[str, float] = {"sense": 0.4, "feedback": 0.3, "release": 0.3}
ACTION_RATIO_TARGET = 0.30
FEEDBACK_STEEPNESS = 3.0

# Policy hint (docs/reference.md#maturity): tighten at overall >= 0.75 with a non-negative trend;
# relax below 0.60 or on a drop of 0.05 or more; otherwise steady.
HINT_TIGHTEN_AT = 0.75
HINT_RELAX_BELOW = 0.60
HINT_RELAX_TREND = -0.05

# Legacy M-score presets (docs/reference.md#m-score): lumen_m_score = H_eff * I_sync.
M_SCORE_PRESETS: dict[str, dict[str, float]] = {
    "stage": {"min-m-score": 0.45, "max-h-eff": 0.72},
    "prod": {"min-m-score": 0.48, "max-h-eff": 0.70},
}

# Distinct severities a cell keeps as exact counts before folding them into rational sums;
# bounds memory when a source emits arbitrary floats.
SEVERITY_VALUES_CAP = 4096

MICROS = 1_000_000


# --------------------------------------------------------------------------- severity statistics


@dataclass
class SeverityStats:
    """Exact population statistics of severities: counts per distinct value plus folded sums."""

    values: dict[float, int] = field(default_factory=dict)
    folded_n: int = 0
    folded_sum: Fraction = field(default_factory=Fraction)
    folded_sumsq: Fraction = field(default_factory=Fraction)

    def add(self, value: float, count: int = 1) -> None:
        value = float(value)
        self.values[value] = self.values.get(value, 0) + count
        if len(self.values) > SEVERITY_VALUES_CAP:
            self.fold()

    def fold(self) -> None:
        """Move the per-value counts into exact rational sums (same result, bounded memory)."""
        for value, count in self.values.items():
            exact = Fraction(value)
            self.folded_n += count
            self.folded_sum += exact * count
            self.folded_sumsq += exact * exact * count
        self.values.clear()

    def merge(self, other: SeverityStats) -> None:
        for value, count in other.values.items():
            self.values[value] = self.values.get(value, 0) + count
        self.folded_n += other.folded_n
        self.folded_sum += other.folded_sum
        self.folded_sumsq += other.folded_sumsq
        if len(self.values) > SEVERITY_VALUES_CAP:
            self.fold()

    @property
    def count(self) -> int:
        return self.folded_n + sum(self.values.values())

    def stdev(self) -> float | None:
        """Population standard deviation, computed exactly before the final rounding."""
        n = self.count
        if n == 0:
            return None
        total = self.folded_sum
        total_sq = self.folded_sumsq
        for value, count in self.values.items():
            exact = Fraction(value)
            total += exact * count
            total_sq += exact * exact * count
        variance = total_sq / n - (total / n) ** 2
        return math.sqrt(float(variance)) if variance > 0 else 0.0


@dataclass
class Cell:
    """Events of one bucket and one loop: counts per kind and their severities."""

    kinds: list[int] = field(default_factory=lambda: [0, 0, 0])
    severities: SeverityStats = field(default_factory=SeverityStats)

    def add(self, kind: int, severity: float, count: int = 1) -> None:
        self.kinds[kind] += count
        self.severities.add(severity, count)

    def merge(self, other: Cell) -> None:
        for index in range(3):
            self.kinds[index] += other.kinds[index]
        self.severities.merge(other.severities)

    @property
    def events(self) -> int:
        return sum(self.kinds)


# --------------------------------------------------------------------------------- the spectrum


@dataclass(frozen=True)
class Spectrum:
    """Sense, Feedback, Release and Overall of a set of events (unrounded)."""

    sense: float
    feedback: float
    release: float
    overall: float
    events: int
    kinds: Mapping[str, int] = field(default_factory=dict)
    severity_stdev: float | None = None
    action_ratio: float | None = None

    def band(self, name: str) -> float:
        return float(getattr(self, name))

    def to_dict(self) -> dict[str, Any]:
        return {
            "sense": self.sense,
            "feedback": self.feedback,
            "release": self.release,
            "overall": self.overall,
            "events": self.events,
            "kinds": dict(self.kinds),
            "severity_stdev": self.severity_stdev,
            "action_ratio": self.action_ratio,
        }


def sense_of(kind_counts: Sequence[int]) -> float:
    """Normalized Shannon entropy H(p)/log 3 of the kind counts (0 for no events)."""
    total = sum(kind_counts)
    if total <= 0:
        return 0.0
    entropy = 0.0
    for count in sorted(kind_counts):
        if count > 0:
            p = count / total
            entropy -= p * math.log(p)
    return clamp01(entropy / math.log(len(KINDS)))


def feedback_of(stdev: float) -> float:
    return clamp01(math.exp(-FEEDBACK_STEEPNESS * stdev))


def release_of(actions: int, total: int) -> float:
    if total <= 0:
        return 0.0
    return clamp01(min(1.0, (actions / total) / ACTION_RATIO_TARGET))


def overall_of(sense: float, feedback: float, release: float) -> float:
    return clamp01(
        WEIGHTS["sense"] * sense + WEIGHTS["feedback"] * feedback + WEIGHTS["release"] * release
    )


def clamp01(value: float) -> float:
    """Guard [0, 1] against the last ulp of floating point (e.g. entropy of a perfect balance)."""
    return 0.0 if value < 0.0 else 1.0 if value > 1.0 else value


def spectrum_of_bands(
    sense: float, feedback: float, release: float, *, overall: float | None = None, events: int = 0
) -> Spectrum:
    """A spectrum from band values measured elsewhere (e.g. Prometheus series)."""
    sense, feedback, release = clamp01(sense), clamp01(feedback), clamp01(release)
    return Spectrum(
        sense=sense,
        feedback=feedback,
        release=release,
        overall=overall_of(sense, feedback, release) if overall is None else clamp01(overall),
        events=events,
    )


def spectrum_of(cell: Cell) -> Spectrum | None:
    """The spectrum of a cell's events; None when it has none (NO_DATA, never a zero)."""
    total = cell.events
    if total == 0:
        return None
    stdev = cell.severities.stdev() or 0.0
    sense = sense_of(cell.kinds)
    feedback = feedback_of(stdev)
    release = release_of(cell.kinds[KIND_INDEX["action"]], total)
    return Spectrum(
        sense=sense,
        feedback=feedback,
        release=release,
        overall=overall_of(sense, feedback, release),
        events=total,
        kinds=dict(zip(KINDS, cell.kinds, strict=True)),
        severity_stdev=stdev,
        action_ratio=cell.kinds[KIND_INDEX["action"]] / total,
    )


@dataclass(frozen=True)
class LoopEvent:
    """One validated event in plain data: epoch microseconds, kind, numeric severity, loop."""

    ts_us: int
    kind: str
    severity: float
    loop_id: str | None = None


def spectrum_of_events(events: Iterable[tuple[str, float]]) -> Spectrum | None:
    """Convenience for callers with a handful of (kind, severity) pairs."""
    cell = Cell()
    for kind, severity in events:
        cell.add(KIND_INDEX[kind], severity)
    return spectrum_of(cell)


# ------------------------------------------------------------------------------- trend and hint


def trend_of(overall: float | None, previous: float | None) -> float | None:
    if overall is None or previous is None:
        return None
    return overall - previous


def hint_of(overall: float | None, trend: float | None) -> str | None:
    """`tighten`, `relax` or `steady` (docs/reference.md#maturity); a missing trend counts as 0, no
    data as None."""
    if overall is None:
        return None
    slope = 0.0 if trend is None else trend
    if overall >= HINT_TIGHTEN_AT and slope >= 0:
        return "tighten"
    if overall < HINT_RELAX_BELOW or slope <= HINT_RELAX_TREND:
        return "relax"
    return "steady"


# ------------------------------------------------------------------------------------- windows


@dataclass(frozen=True)
class Window:
    label: str
    micros: int


class WindowPlan:
    """All windows of one run over one time axis, so a single pass fills every one of them.

    The axis is cut at `now`, `now - W` and `now - 2W` for every window W. An event at `t` lands
    in bucket `bisect_left(edges, t)`: bucket i holds `(edges[i-1], edges[i]]`, which matches the
    half-open windows `(now - W, now]`. Bucket 0 is older than everything; the last is the future.
    """

    def __init__(self, now_us: int, windows: Sequence[Window]) -> None:
        if not windows:
            raise ValueError("at least one window is needed")
        self.now_us = now_us
        self.windows = list(windows)
        edges = {now_us}
        for window in windows:
            edges.add(now_us - window.micros)
            edges.add(now_us - 2 * window.micros)
        self.edges: list[int] = sorted(edges)

    def bucket(self, ts_us: int) -> int:
        return bisect_left(self.edges, ts_us)

    @property
    def future_bucket(self) -> int:
        return len(self.edges)

    def _span(self, start_us: int, end_us: int) -> range:
        """Buckets that make up `(start, end]`."""
        return range(self.edges.index(start_us) + 1, self.edges.index(end_us) + 1)

    def current(self, window: Window) -> range:
        return self._span(self.now_us - window.micros, self.now_us)

    def previous(self, window: Window) -> range:
        return self._span(self.now_us - 2 * window.micros, self.now_us - window.micros)


class Tally:
    """Counts of validated events by (bucket, loop): the whole state of a streaming pass."""

    def __init__(self) -> None:
        self.cells: dict[tuple[int, str | None], Cell] = {}

    def add(
        self, bucket: int, loop_id: str | None, kind: int, severity: float, count: int = 1
    ) -> None:
        cell = self.cells.get((bucket, loop_id))
        if cell is None:
            cell = self.cells[(bucket, loop_id)] = Cell()
        cell.add(kind, severity, count)

    def add_event(self, plan: WindowPlan, event: LoopEvent) -> None:
        self.add(plan.bucket(event.ts_us), event.loop_id, KIND_INDEX[event.kind], event.severity)

    def merge(self, other: Tally) -> None:
        for key, cell in other.cells.items():
            mine = self.cells.get(key)
            if mine is None:
                mine = self.cells[key] = Cell()
            mine.merge(cell)

    def collect(self, buckets: range) -> tuple[Cell, dict[str, Cell]]:
        """(all events, events per loop) of the given buckets."""
        total = Cell()
        loops: dict[str, Cell] = {}
        for (bucket, loop_id), cell in sorted(self.cells.items(), key=_cell_order):
            if bucket not in buckets:
                continue
            total.merge(cell)
            if loop_id is not None:
                loops.setdefault(loop_id, Cell()).merge(cell)
        return total, loops

    @property
    def events(self) -> int:
        return sum(cell.events for cell in self.cells.values())


def _cell_order(item: tuple[tuple[int, str | None], Cell]) -> tuple[int, int, str]:
    (bucket, loop_id), _ = item
    return (bucket, 0 if loop_id is None else 1, loop_id or "")


# ------------------------------------------------------------------------------------ the gate


@dataclass(frozen=True)
class Thresholds:
    """Gate floors: overall and each band (the shipped values are in policy/defaults)."""

    min_overall: float
    min_sense: float
    min_feedback: float
    min_release: float

    def of(self, name: str) -> float:
        return float(getattr(self, f"min_{name}"))


@dataclass(frozen=True)
class WindowResult:
    """The spectrum of one window, its trend against the previous value and the hint."""

    window: str
    spectrum: Spectrum | None
    previous_overall: float | None
    trend: float | None
    hint: str | None
    loops: Mapping[str, Spectrum]
    trend_source: str | None = None

    @property
    def overall(self) -> float | None:
        return None if self.spectrum is None else self.spectrum.overall

    def values(self) -> dict[str, Any]:
        """The `maturity` block of the result JSON: `{sense, feedback, release, overall, trend,
        hint, events, window}` (None where there is no data)."""
        spectrum = self.spectrum
        out: dict[str, Any] = {
            "sense": None if spectrum is None else spectrum.sense,
            "feedback": None if spectrum is None else spectrum.feedback,
            "release": None if spectrum is None else spectrum.release,
            "overall": None if spectrum is None else spectrum.overall,
            "trend": self.trend,
            "hint": self.hint,
            "events": 0 if spectrum is None else spectrum.events,
            "window": self.window,
        }
        if spectrum is not None and spectrum.kinds:
            out["kinds"] = dict(spectrum.kinds)
            out["severity_stdev"] = spectrum.severity_stdev
            out["action_ratio"] = spectrum.action_ratio
        out["previous_overall"] = self.previous_overall
        out["trend_source"] = self.trend_source
        return out

    def to_dict(self) -> dict[str, Any]:
        out = self.values()
        out["loops"] = {loop: s.to_dict() for loop, s in sorted(self.loops.items())}
        return out


def window_result(
    window: str,
    spectrum: Spectrum | None,
    previous: float | None,
    *,
    loops: Mapping[str, Spectrum] | None = None,
    trend_source: str | None = None,
) -> WindowResult:
    overall = None if spectrum is None else spectrum.overall
    trend = trend_of(overall, previous)
    return WindowResult(
        window=window,
        spectrum=spectrum,
        previous_overall=previous,
        trend=trend,
        hint=hint_of(overall, trend),
        loops=dict(loops or {}),
        trend_source=trend_source if previous is not None else None,
    )


def windows_from_tally(
    plan: WindowPlan,
    tally: Tally,
    *,
    compare: Mapping[str, float] | None = None,
) -> list[WindowResult]:
    """Spectra of every window of the plan. `compare` maps a window label to a previous run's
    overall and replaces the previous-window trend for that window."""
    results = []
    for window in plan.windows:
        total, loops = tally.collect(plan.current(window))
        spectrum = spectrum_of(total)
        loop_spectra = {
            loop: s for loop, cell in loops.items() if (s := spectrum_of(cell)) is not None
        }
        if compare is not None:
            previous = compare.get(window.label)
            source = "compare"
        else:
            previous_cell, _ = tally.collect(plan.previous(window))
            previous_spectrum = spectrum_of(previous_cell)
            previous = None if previous_spectrum is None else previous_spectrum.overall
            source = "previous-window"
        results.append(
            window_result(window.label, spectrum, previous, loops=loop_spectra, trend_source=source)
        )
    return results


def window_checks(
    result: WindowResult, thresholds: Thresholds, on_no_data: OnNoData
) -> list[Check]:
    """One check per threshold: overall, then each band, named `<value>[<window>]`."""
    checks = []
    for name in ("overall", *BANDS):
        value = None if result.spectrum is None else result.spectrum.band(name)
        check = threshold_check(
            f"{name}[{result.window}]",
            value,
            ">=",
            thresholds.of(name),
            on_no_data=on_no_data,
            label=f"{name} over {result.window}",
        )
        checks.append(_with_extra(check, {"window": result.window, "band": name}))
    return checks


def invalid_check(invalid: int, events: int) -> Check:
    """`--skip-invalid`: skipped lines are evidence too; any of them make the gate WARN."""
    if invalid == 0:
        return Check("invalid-events", 0, "==", 0, Verdict.PASS, "every event was valid")
    return Check(
        "invalid-events",
        invalid,
        "==",
        0,
        Verdict.WARN,
        f"{invalid} invalid event(s) skipped out of {invalid + events} (--skip-invalid)",
    )


def m_score_checks(
    settings: Mapping[str, Any],
    *,
    m_score: float | None,
    h_eff: float | None,
    fast_burn_firing: bool | None,
    on_no_data: OnNoData,
) -> list[Check]:
    """Legacy M-score rules (docs/reference.md#m-score): m_score floor, h_eff ceiling and no firing
    LumenFastBurn.

    `settings` is the `m-score:` block: `preset: stage|prod` and/or explicit `min-m-score`,
    `max-h-eff`. A firing fast-burn alert is a key check: it fails the gate whatever the score.
    """
    merged = dict(M_SCORE_PRESETS.get(str(settings.get("preset", "")), {}))
    merged.update({k: v for k, v in settings.items() if k != "preset" and v is not None})
    checks = []
    if "min-m-score" in merged:
        checks.append(
            threshold_check(
                "m-score",
                m_score,
                ">=",
                float(merged["min-m-score"]),
                on_no_data=on_no_data,
                label="avg_over_time(lumen_m_score[2m])",
            )
        )
    if "max-h-eff" in merged:
        checks.append(
            threshold_check("h-eff", h_eff, "<=", float(merged["max-h-eff"]), on_no_data=on_no_data)
        )
    if settings.get("fast-burn-alert", True):
        if fast_burn_firing is None:
            checks.append(
                Check(
                    "no-fast-burn",
                    None,
                    "==",
                    False,
                    on_no_data.verdict(),
                    "alert state unknown (on-no-data: " + on_no_data.value + ")",
                    key=True,
                )
            )
        else:
            checks.append(
                Check(
                    "no-fast-burn",
                    fast_burn_firing,
                    "==",
                    False,
                    Verdict.FAIL if fast_burn_firing else Verdict.PASS,
                    "LumenFastBurn is firing" if fast_burn_firing else "LumenFastBurn not firing",
                    key=True,
                )
            )
    return checks


def _with_extra(check: Check, extra: Mapping[str, Any]) -> Check:
    return Check(
        check.name,
        check.value,
        check.comparator,
        check.threshold,
        check.verdict,
        check.reason,
        key=check.key,
        baseline=check.baseline,
        extra={**check.extra, **extra},
    )


def maturity_values(results: Sequence[WindowResult]) -> dict[str, Any]:
    """Gate-specific top-level keys: `maturity` (first window), `windows`, `loops`."""
    first = results[0]
    return {
        "maturity": first.values(),
        "windows": [result.to_dict() for result in results],
        "loops": {loop: s.to_dict() for loop, s in sorted(first.loops.items())},
    }


def gate(
    results: Sequence[WindowResult],
    thresholds: Thresholds,
    *,
    on_no_data: OnNoData = OnNoData.PASS,
    extra_checks: Sequence[Check] = (),
    inputs: Mapping[str, Any] | None = None,
    generated_at: str = "",
    extra_values: Mapping[str, Any] | None = None,
) -> GateResult:
    """The maturity gate: passes only when every window passes every threshold."""
    checks: list[Check] = []
    for result in results:
        checks.extend(window_checks(result, thresholds, on_no_data))
    checks.extend(extra_checks)
    verdict = decide(checks)
    values = maturity_values(results)
    values.update(extra_values or {})
    return GateResult(
        gate="maturity",
        verdict=verdict,
        checks=checks,
        inputs=dict(inputs or {}),
        window=", ".join(r.window for r in results),
        generated_at=generated_at,
        values=values,
    )
