"""Resonance signals of a loop and the resonance gate (docs/reference.md#resonance).

Pure: a `Snapshot` of plain numbers in, signals and a `GateResult` out. Reading the snapshot file
lives in `lumen.sources.resonance`.

Signals, all clamped to [0, 1] except phase:

- symmetry   = 1 - Σ|x - μ| / (n · max(|μ|, 1e-9)) over `series_deltas`; 1 with fewer than two
  deltas (nothing to be asymmetric about) and when all deltas are equal. |μ| rather than μ so a
  series of negative deltas is judged like its mirror image instead of clamping to 1.
- continuity = exp(-gap_minutes / 120).
- entropy    = normalized Shannon entropy of `failure_hist`, H / log(k) with k the number of
  classes listed (zero counts included); 0 with fewer than two classes or no failures.
- custody    = max(0, 1 - last_ceremony_age_d / 180).
- safety     = min(chain_ok, dsse_ok, tlog_ok) · custody.
- phase      = latency_p95_ms / 1000 + fail_rate (not clamped: seconds plus a ratio).
- coherence  = weighted mean of symmetry, continuity, 1 - entropy and safety (equal weights by
  default), from the clamped values.

Gate: coherence ≥ 0.7, phase < 1.2, and a key check that the trust chain (`chain_ok`, `dsse_ok`,
`tlog_ok`) is intact: a broken chain fails the gate whatever the coherence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gates.result import Check, GateResult, OnNoData, Verdict, decide, threshold_check

SIGNALS: tuple[str, ...] = (
    "symmetry",
    "continuity",
    "entropy",
    "custody",
    "safety",
    "phase",
    "coherence",
)
# The channels coherence averages; `entropy` enters as (1 - entropy).
CHANNELS: tuple[str, str, str, str] = ("symmetry", "continuity", "entropy", "safety")
EQUAL_WEIGHTS: Mapping[str, float] = {channel: 1.0 for channel in CHANNELS}

CONTINUITY_SCALE_MIN = 120.0
CUSTODY_HORIZON_D = 180.0
MU_FLOOR = 1e-9
TRUST_FIELDS: tuple[str, str, str] = ("chain_ok", "dsse_ok", "tlog_ok")


def clamp01(value: float) -> float:
    if math.isnan(value):
        return 0.0
    return min(1.0, max(0.0, value))


def symmetry_of(deltas: Sequence[float]) -> float:
    n = len(deltas)
    if n < 2:
        return 1.0
    mu = math.fsum(deltas) / n
    spread = math.fsum(abs(x - mu) for x in deltas)
    if spread == 0.0:
        return 1.0  # all equal, including all zero
    return clamp01(1.0 - spread / (n * max(abs(mu), MU_FLOOR)))


def continuity_of(gap_minutes: float) -> float:
    return clamp01(math.exp(-gap_minutes / CONTINUITY_SCALE_MIN))


def entropy_of(histogram: Sequence[float]) -> float:
    classes = len(histogram)
    total = math.fsum(histogram)
    if classes < 2 or total <= 0:
        return 0.0
    shares = [c / total for c in histogram]
    # A count too small to be a share (denormal / large total) underflows to 0: skip it.
    h = -math.fsum(p * math.log(p) for p in shares if p > 0)
    return clamp01(h / math.log(classes))


def custody_of(age_days: float) -> float:
    return clamp01(max(0.0, 1.0 - age_days / CUSTODY_HORIZON_D))


def safety_of(chain_ok: bool, dsse_ok: bool, tlog_ok: bool, custody: float) -> float:
    return clamp01(float(min(chain_ok, dsse_ok, tlog_ok)) * custody)


def phase_of(latency_p95_ms: float, fail_rate: float) -> float:
    return latency_p95_ms / 1000.0 + fail_rate


def coherence_of(
    symmetry: float,
    continuity: float,
    entropy: float,
    safety: float,
    weights: Mapping[str, float] | None = None,
) -> float:
    """Weighted mean of the clamped channels (entropy counts as 1 - entropy)."""
    w = dict(EQUAL_WEIGHTS)
    if weights:
        w.update({k: float(v) for k, v in weights.items()})
    total = math.fsum(w[c] for c in CHANNELS)
    if total <= 0:
        raise ValueError("coherence weights must add up to more than 0")
    parts = {
        "symmetry": clamp01(symmetry),
        "continuity": clamp01(continuity),
        "entropy": 1.0 - clamp01(entropy),
        "safety": clamp01(safety),
    }
    return clamp01(math.fsum(w[c] * parts[c] for c in CHANNELS) / total)


def check_weights(weights: Mapping[str, float]) -> str | None:
    """Why `weights` cannot be used (None when they can): known channels, >= 0, sum > 0."""
    unknown = sorted(set(weights) - set(CHANNELS))
    if unknown:
        return f"unknown channel(s) {', '.join(unknown)}; expected {', '.join(CHANNELS)}"
    merged = {**EQUAL_WEIGHTS, **weights}
    if any(not math.isfinite(v) or v < 0 for v in merged.values()):
        return "weights must be finite numbers >= 0"
    if math.fsum(merged.values()) <= 0:
        return "weights must add up to more than 0"
    return None


@dataclass(frozen=True)
class Snapshot:
    """One window's loop metrics. None = not in the snapshot (the signals it feeds are no data)."""

    window: str = "24h"
    series_deltas: Sequence[float] | None = None
    gap_minutes: float | None = None
    failure_hist: Sequence[float] | None = None
    chain_ok: bool | None = None
    dsse_ok: bool | None = None
    tlog_ok: bool | None = None
    last_ceremony_age_d: float | None = None
    latency_p95_ms: float | None = None
    fail_rate: float | None = None

    @property
    def trust_ok(self) -> bool | None:
        flags = (self.chain_ok, self.dsse_ok, self.tlog_ok)
        if any(flag is None for flag in flags):
            return None
        return all(flags)


@dataclass(frozen=True)
class Signals:
    window: str
    symmetry: float | None
    continuity: float | None
    entropy: float | None
    custody: float | None
    safety: float | None
    phase: float | None
    coherence: float | None
    weights: Mapping[str, float] = field(default_factory=lambda: dict(EQUAL_WEIGHTS))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: getattr(self, name) for name in SIGNALS}
        out["window"] = self.window
        out["weights"] = dict(self.weights)
        return out


def signals_of(snapshot: Snapshot, weights: Mapping[str, float] | None = None) -> Signals:
    """Every signal of the snapshot; a signal whose inputs are missing is None."""
    s = snapshot
    symmetry = None if s.series_deltas is None else symmetry_of(s.series_deltas)
    continuity = None if s.gap_minutes is None else continuity_of(s.gap_minutes)
    entropy = None if s.failure_hist is None else entropy_of(s.failure_hist)
    custody = None if s.last_ceremony_age_d is None else custody_of(s.last_ceremony_age_d)
    safety = None
    if (
        custody is not None
        and s.chain_ok is not None
        and s.dsse_ok is not None
        and (s.tlog_ok is not None)
    ):
        safety = safety_of(s.chain_ok, s.dsse_ok, s.tlog_ok, custody)
    phase = None
    if s.latency_p95_ms is not None and s.fail_rate is not None:
        phase = phase_of(s.latency_p95_ms, s.fail_rate)
    coherence = None
    if (
        symmetry is not None
        and continuity is not None
        and entropy is not None
        and safety is not None
    ):
        coherence = coherence_of(symmetry, continuity, entropy, safety, weights)
    return Signals(
        window=s.window,
        symmetry=symmetry,
        continuity=continuity,
        entropy=entropy,
        custody=custody,
        safety=safety,
        phase=phase,
        coherence=coherence,
        weights={**EQUAL_WEIGHTS, **(weights or {})},
    )


@dataclass(frozen=True)
class Thresholds:
    """Coherence floor and phase ceiling (exclusive: phase must stay below it)."""

    min_coherence: float
    max_phase: float


def trust_check(snapshot: Snapshot, on_no_data: OnNoData, suffix: str = "") -> Check:
    """Key check: every link of the trust chain verified. A veto, not a score."""
    name = f"trust-chain{suffix}"
    flags = {f: getattr(snapshot, f) for f in TRUST_FIELDS}
    missing = [f for f, v in flags.items() if v is None]
    if missing:
        return Check(
            name,
            None,
            "==",
            True,
            on_no_data.verdict(),
            f"no data for {', '.join(missing)} (on-no-data: {on_no_data.value})",
            key=True,
        )
    broken = [f for f, v in flags.items() if not v]
    if broken:
        return Check(
            name,
            False,
            "==",
            True,
            Verdict.FAIL,
            f"trust chain broken: {', '.join(broken)} false",
            key=True,
        )
    return Check(name, True, "==", True, Verdict.PASS, "chain, DSSE and tlog verified", key=True)


def resonance_checks(
    snapshot: Snapshot,
    signals: Signals,
    thresholds: Thresholds,
    on_no_data: OnNoData = OnNoData.PASS,
    *,
    suffix: str = "",
) -> list[Check]:
    return [
        threshold_check(
            f"coherence{suffix}",
            signals.coherence,
            ">=",
            thresholds.min_coherence,
            on_no_data=on_no_data,
        ),
        threshold_check(
            f"phase{suffix}", signals.phase, "<", thresholds.max_phase, on_no_data=on_no_data
        ),
        trust_check(snapshot, on_no_data, suffix),
    ]


def gate(
    snapshots: Sequence[Snapshot],
    thresholds: Thresholds,
    *,
    weights: Mapping[str, float] | None = None,
    on_no_data: OnNoData = OnNoData.PASS,
    inputs: Mapping[str, Any] | None = None,
    generated_at: str = "",
) -> GateResult:
    """The resonance gate over one or more windows: it passes only when every window passes.

    Values: `resonance` (the first window's signals) and `windows` (all of them)."""
    if not snapshots:
        raise ValueError("at least one snapshot is needed")
    checks: list[Check] = []
    all_signals = []
    several = len(snapshots) > 1
    for snapshot in snapshots:
        signals = signals_of(snapshot, weights)
        all_signals.append(signals)
        suffix = f"[{snapshot.window}]" if several else ""
        checks.extend(resonance_checks(snapshot, signals, thresholds, on_no_data, suffix=suffix))
    return GateResult(
        gate="resonance",
        verdict=decide(checks),
        checks=checks,
        inputs=dict(inputs or {}),
        window=snapshots[0].window if not several else [s.window for s in snapshots],
        generated_at=generated_at,
        values={
            "resonance": all_signals[0].to_dict(),
            "windows": [signals.to_dict() for signals in all_signals],
            "thresholds": {
                "min_coherence": thresholds.min_coherence,
                "max_phase": thresholds.max_phase,
            },
        },
    )
