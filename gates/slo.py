"""SLO gate: error rate and multi-window, multi-burn-rate rules (docs/reference.md#slo).

burn_rate = error_rate / (1 − objective): 1 means the error budget is spent exactly over the
SLO period; 14.4 over an hour means 2% of a 30-day budget is gone in that hour. A rule fires only
when both its long and its short window burn faster than its factor: the long window proves the
burn is significant, the short one that it is still happening (Google SRE workbook, ch. 5).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from gates.errors import ConfigError
from gates.result import Check, OnNoData, Verdict
from gates.timeutil import format_duration, parse_duration


@dataclass(frozen=True)
class WindowSample:
    """Errors and requests over one window (or a ready error rate from a source that has one)."""

    errors: float | None = None
    requests: float | None = None
    rate: float | None = None

    @property
    def error_rate(self) -> float | None:
        """None when there is no rate to judge: no traffic (undefined, not zero), or a value
        that is not a finite number >= 0 (never compared, so it can never pass)."""
        if self.rate is not None:
            rate = self.rate
        elif self.errors is None or self.requests is None or self.requests <= 0:
            return None  # no traffic: the error rate is undefined, not zero
        else:
            rate = self.errors / self.requests
        return rate if math.isfinite(rate) and rate >= 0 else None


@dataclass(frozen=True)
class BurnRule:
    long: timedelta
    short: timedelta
    factor: float
    verdict: Verdict

    @property
    def name(self) -> str:
        return f"burn_rate_{format_duration(self.long)}_{format_duration(self.short)}"


def _h(hours: float) -> timedelta:
    return timedelta(hours=hours)


# Default rules: page-worthy fast burns fail, the slow burn warns.
MULTIWINDOW: tuple[BurnRule, ...] = (
    BurnRule(_h(1), timedelta(minutes=5), 14.4, Verdict.FAIL),
    BurnRule(_h(6), timedelta(minutes=30), 6.0, Verdict.FAIL),
    BurnRule(_h(24), _h(2), 3.0, Verdict.WARN),
)
# The source notes' rule, kept as the `lumen-v1` preset: plain error rates, not burn rates.
LUMEN_V1_SHORT = (timedelta(minutes=5), 0.14)
LUMEN_V1_LONG = (_h(1), 0.02)
PRESETS = ("multiwindow", "lumen-v1")


def burn_rate(error_rate: float, objective: float) -> float:
    if not 0 < objective < 1:
        raise ConfigError(f"objective {objective} must be between 0 and 1", field="objective")
    return error_rate / (1 - objective)


def windows_needed(preset: str, rules: Sequence[BurnRule] = MULTIWINDOW) -> list[timedelta]:
    """Every window the preset reads, so a source can query exactly those."""
    if preset == "lumen-v1":
        return [LUMEN_V1_SHORT[0], LUMEN_V1_LONG[0]]
    seen: list[timedelta] = []
    for rule in rules:
        for window in (rule.long, rule.short):
            if window not in seen:
                seen.append(window)
    return sorted(seen)


def parse_rules(raw: Sequence[Mapping[str, Any]]) -> tuple[BurnRule, ...]:
    """Rules from config: `[{long: 1h, short: 5m, factor: 14.4, verdict: FAIL}, ...]`."""
    rules = []
    for index, item in enumerate(raw):
        where = f"slo.rules[{index}]"
        try:
            verdict = Verdict(str(item.get("verdict", "FAIL")).upper())
        except ValueError:
            raise ConfigError("verdict must be FAIL or WARN", field=f"{where}.verdict") from None
        rules.append(
            BurnRule(
                parse_duration(str(item["long"]), field=f"{where}.long"),
                parse_duration(str(item["short"]), field=f"{where}.short"),
                float(item["factor"]),
                verdict,
            )
        )
    return tuple(rules)


@dataclass(frozen=True)
class SloOutcome:
    checks: list[Check]
    error_rates: dict[str, float | None]
    burn_rates: dict[str, float | None]
    burn_rate: float | None  # the headline figure: over the first rule's long window

    def values(self) -> dict[str, Any]:
        return {
            "error_rate": self.error_rates,
            "burn_rate": self.burn_rates,
            "slo_burn_rate": self.burn_rate,
        }


def evaluate(
    samples: Mapping[timedelta, WindowSample],
    *,
    objective: float,
    preset: str,
    rules: Sequence[BurnRule],
    on_no_data: OnNoData,
    key: bool = False,
) -> SloOutcome:
    """Checks for every rule of the preset; a rule missing either window is NO_DATA."""
    error_rates = {format_duration(w): s.error_rate for w, s in sorted(samples.items())}
    burns = {
        name: None if rate is None else burn_rate(rate, objective)
        for name, rate in error_rates.items()
    }
    checks: list[Check] = []
    if preset == "lumen-v1":
        checks.append(_lumen_v1(samples, on_no_data, key))
        headline_window = LUMEN_V1_LONG[0]
    elif preset == "multiwindow":
        for rule in rules:
            checks.append(_rule_check(rule, samples, objective, on_no_data, key))
        headline_window = rules[0].long if rules else _h(1)
    else:
        raise ConfigError(
            f"unknown preset {preset!r}", field="preset", expected=" or ".join(PRESETS)
        )
    return SloOutcome(
        checks=checks,
        error_rates=error_rates,
        burn_rates=burns,
        burn_rate=burns.get(format_duration(headline_window)),
    )


def _rule_check(
    rule: BurnRule,
    samples: Mapping[timedelta, WindowSample],
    objective: float,
    on_no_data: OnNoData,
    key: bool,
) -> Check:
    long_rate = samples.get(rule.long, WindowSample()).error_rate
    short_rate = samples.get(rule.short, WindowSample()).error_rate
    long_name, short_name = format_duration(rule.long), format_duration(rule.short)
    extra: dict[str, Any] = {"objective": "slo_burn_rate", "rule_verdict": rule.verdict.value}
    if long_rate is None or short_rate is None:
        missing = " and ".join(
            n for n, r in ((long_name, long_rate), (short_name, short_rate)) if r is None
        )
        return Check(
            rule.name,
            None,
            "<=",
            rule.factor,
            on_no_data.verdict(),
            f"no error rate for {missing} (on-no-data: {on_no_data.value})",
            key=key,
            extra=extra,
        )
    long_burn = burn_rate(long_rate, objective)
    short_burn = burn_rate(short_rate, objective)
    extra.update({"burn_long": long_burn, "burn_short": short_burn})
    # Both windows must exceed the factor, so the rule's value is the smaller burn.
    value = min(long_burn, short_burn)
    detail = f"burn {long_burn:.2f}× over {long_name}, {short_burn:.2f}× over {short_name}"
    if value > rule.factor:
        return Check(
            rule.name,
            value,
            "<=",
            rule.factor,
            rule.verdict,
            f"{detail}: both above {rule.factor:g}×",
            key=key,
            extra=extra,
        )
    return Check(
        rule.name,
        value,
        "<=",
        rule.factor,
        Verdict.PASS,
        f"{detail}: not both above {rule.factor:g}×",
        key=key,
        extra=extra,
    )


def _lumen_v1(samples: Mapping[timedelta, WindowSample], on_no_data: OnNoData, key: bool) -> Check:
    (short_w, short_t), (long_w, long_t) = LUMEN_V1_SHORT, LUMEN_V1_LONG
    short_rate = samples.get(short_w, WindowSample()).error_rate
    long_rate = samples.get(long_w, WindowSample()).error_rate
    extra: dict[str, Any] = {
        "objective": "slo_error_rate",
        "error_rate_1h": long_rate,
        "threshold_1h": long_t,
    }
    if short_rate is None or long_rate is None:
        return Check(
            "lumen_v1_error_rate_5m",
            short_rate,
            "<=",
            short_t,
            on_no_data.verdict(),
            f"no error rate for 5m and 1h (on-no-data: {on_no_data.value})",
            key=key,
            extra=extra,
        )
    fires = short_rate > short_t and long_rate > long_t
    detail = f"error rate {short_rate:.4f} over 5m, {long_rate:.4f} over 1h"
    return Check(
        "lumen_v1_error_rate_5m",
        short_rate,
        "<=",
        short_t,
        Verdict.FAIL if fires else Verdict.PASS,
        f"{detail}: {'both' if fires else 'not both'} above {short_t:g} (5m) and {long_t:g} (1h)",
        key=key,
        extra=extra,
    )
