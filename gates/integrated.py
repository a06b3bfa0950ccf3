"""The integrated gate: maturity spectrum plus the ROI/SLO composite (docs/reference.md#integrated).

FAIL when (1) the composite fails, (2) maturity overall < min-overall or any band < min-band,
or (3) maturity is borderline (overall < min-overall + penalty): a passing or warning composite is
then downgraded to FAIL, or to WARN with `borderline: warn`.

Pre/post mode replaces those rules with the QA thresholds: `pre` checks the absolute ones, `post`
also the change of Sense against the pre snapshot.

Adaptive thresholds move the QA maturity minimums (overall, feedback, release: the ones pre/post
checks) from the gate's own history in the ledger. Their defaults 0.65/0.60/0.60 sit between the
floors 0.65/0.50/0.45 and caps 0.90/0.85/0.85 of docs/reference.md#adaptive.

The maturity spectrum comes from `gates.maturity`; this module only needs its four numbers, so
it takes anything with `overall`, `sense`, `feedback` and `release` attributes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from gates.result import Check, OnNoData, Verdict
from gates.score import ScoreResult

BANDS = ("sense", "feedback", "release")


class Spectrum(Protocol):
    """What the integrated gate reads from a maturity spectrum."""

    @property
    def overall(self) -> float: ...
    @property
    def sense(self) -> float: ...
    @property
    def feedback(self) -> float: ...
    @property
    def release(self) -> float: ...


@dataclass(frozen=True)
class Levels:
    """A plain spectrum, e.g. read back from a pre-mode snapshot JSON."""

    overall: float
    sense: float
    feedback: float
    release: float

    @classmethod
    def of(cls, spectrum: Spectrum) -> Levels:
        return cls(spectrum.overall, spectrum.sense, spectrum.feedback, spectrum.release)

    def to_dict(self) -> dict[str, float]:
        return {
            "overall": round(self.overall, 3),
            "sense": round(self.sense, 3),
            "feedback": round(self.feedback, 3),
            "release": round(self.release, 3),
        }


@dataclass(frozen=True)
class IntegratedSettings:
    min_overall: float
    min_band: float
    penalty: float
    borderline: str
    on_no_data: OnNoData


def integrated_checks(
    spectrum: Spectrum | None, composite: ScoreResult, settings: IntegratedSettings
) -> list[Check]:
    """The checks of the integrated gate; `gates.result.decide` turns them into the verdict."""
    checks = [composite_check(composite)]
    if spectrum is None:
        checks.append(
            Check(
                "maturity_overall",
                None,
                ">=",
                settings.min_overall,
                settings.on_no_data.verdict(),
                f"no loop events in the window (on-no-data: {settings.on_no_data.value})",
            )
        )
        return checks
    overall = spectrum.overall
    checks.append(_floor("maturity_overall", overall, settings.min_overall))
    for band in BANDS:
        checks.append(_floor(f"maturity_{band}", getattr(spectrum, band), settings.min_band))
    effective = settings.min_overall + settings.penalty
    if overall >= effective:
        checks.append(
            Check(
                "borderline",
                overall,
                ">=",
                effective,
                Verdict.PASS,
                f"overall {overall:.3f} clears min-overall {settings.min_overall:g} + penalty "
                f"{settings.penalty:g}",
            )
        )
    elif overall >= settings.min_overall:
        verdict = Verdict.WARN if settings.borderline == "warn" else Verdict.FAIL
        checks.append(
            Check(
                "borderline",
                overall,
                ">=",
                effective,
                verdict,
                f"overall {overall:.3f} is borderline: in [{settings.min_overall:g}, "
                f"{effective:g}) (borderline: {settings.borderline})",
            )
        )
    # Below min-overall the floor check has already failed; a second FAIL would say nothing new.
    return checks


def composite_check(composite: ScoreResult) -> Check:
    return Check(
        "roi_slo_score",
        None if composite.score is None else round(composite.score, 3),
        ">=",
        composite.score_min,
        composite.verdict,
        composite.reason,
        extra={"key_failures": composite.key_failures} if composite.key_failures else {},
    )


def _floor(name: str, value: float, minimum: float) -> Check:
    if value >= minimum:
        return Check(name, value, ">=", minimum, Verdict.PASS, f"{value:.3f} >= {minimum:g}")
    return Check(name, value, ">=", minimum, Verdict.FAIL, f"{value:.3f} is below {minimum:g}")


# --- pre/post QA -------------------------------------------------------------------------


@dataclass(frozen=True)
class QaSettings:
    min_overall: float
    min_feedback: float
    min_release: float
    max_sense_delta: float

    def with_minimums(self, minimums: Minimums) -> QaSettings:
        return replace(
            self,
            min_overall=minimums.overall,
            min_feedback=minimums.feedback,
            min_release=minimums.release,
        )

    @property
    def minimums(self) -> Minimums:
        return Minimums(self.min_overall, self.min_feedback, self.min_release)


def qa_checks(
    spectrum: Spectrum | None,
    settings: QaSettings,
    *,
    pre: Spectrum | None = None,
    mode: str = "pre",
    on_no_data: OnNoData = OnNoData.PASS,
) -> list[Check]:
    """`pre`: absolute QA thresholds only. `post`: also |Δ sense| against the pre snapshot."""
    if spectrum is None:
        return [
            Check(
                "qa_overall",
                None,
                ">=",
                settings.min_overall,
                on_no_data.verdict(),
                f"no loop events in the window (on-no-data: {on_no_data.value})",
            )
        ]
    checks = [
        _floor("qa_overall", spectrum.overall, settings.min_overall),
        _floor("qa_feedback", spectrum.feedback, settings.min_feedback),
        _floor("qa_release", spectrum.release, settings.min_release),
    ]
    if mode == "post":
        if pre is None:
            raise ValueError("post mode needs the pre snapshot")
        delta = spectrum.sense - pre.sense
        ok = abs(delta) < settings.max_sense_delta
        checks.append(
            Check(
                "qa_sense_delta",
                abs(delta),
                "<",
                settings.max_sense_delta,
                Verdict.PASS if ok else Verdict.FAIL,
                f"sense moved {delta:+.3f} (from {pre.sense:.3f} to {spectrum.sense:.3f})"
                + ("" if ok else f"; |Δ| must stay below {settings.max_sense_delta:g}"),
                extra={"delta": delta, "pre_sense": pre.sense},
            )
        )
    return checks


# --- adaptive thresholds -----------------------------------------------------------------


@dataclass(frozen=True)
class Minimums:
    overall: float
    feedback: float
    release: float

    def to_dict(self) -> dict[str, float]:
        return {
            "overall": round(self.overall, 6),
            "feedback": round(self.feedback, 6),
            "release": round(self.release, 6),
        }

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Minimums:
        return cls(float(data["overall"]), float(data["feedback"]), float(data["release"]))


CAPS = Minimums(0.90, 0.85, 0.85)
FLOORS = Minimums(0.65, 0.50, 0.45)


@dataclass(frozen=True)
class Adaptation:
    old: Minimums
    new: Minimums
    action: str  # raise | lower | hold
    reason: str

    @property
    def changed(self) -> bool:
        return self.old != self.new


def adapt(
    current: Minimums,
    history: Sequence[Verdict],
    *,
    n: int = 12,
    k: int = 3,
    step_up: float = 0.01,
    step_down: float = 0.005,
    caps: Minimums = CAPS,
    floors: Minimums = FLOORS,
) -> Adaptation:
    """From the last `n` decisions (oldest first): `k` or more FAILs raise every minimum by
    `step_up` up to its cap; `n` passes in a row lower them by `step_down` down to the floor
    (never raising a minimum that is already below its floor); otherwise hold."""
    recent = list(history)[-n:]
    fails = sum(1 for v in recent if v is Verdict.FAIL)
    if fails >= k:
        new = Minimums(
            *(
                max(value, min(cap, value + step_up))
                for value, cap in zip(_t(current), _t(caps), strict=True)
            )
        )
        return Adaptation(
            current, new, "raise", f"{fails} of the last {len(recent)} decisions failed (>= {k})"
        )
    if len(recent) >= n and all(v is Verdict.PASS for v in recent):
        new = Minimums(
            *(
                min(value, max(floor, value - step_down))
                for value, floor in zip(_t(current), _t(floors), strict=True)
            )
        )
        return Adaptation(current, new, "lower", f"the last {n} decisions all passed")
    return Adaptation(
        current,
        current,
        "hold",
        f"{fails} FAIL(s) in the last {len(recent)} decisions (raise at {k}, lower after {n} "
        "passes)",
    )


def _t(m: Minimums) -> tuple[float, float, float]:
    return (m.overall, m.feedback, m.release)
