"""Prometheus text exposition (format 0.0.4) for the sampler's gauges. Pure: no I/O.

Only gauges are written: the Pushgateway keeps the last value of a group, so counters would
only ever show one run. Families are contiguous with HELP and TYPE first, series within a family
are sorted, values are written unrounded (`repr` of the float) and label values are escaped as
the format demands (backslash, double quote, line feed).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from gates.errors import InputError

METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")

# HELP text of every metric the sampler pushes (names: docs/reference.md#metrics).
HELP: dict[str, str] = {
    "lumen_maturity_overall": "Maturity overall score 0.4*sense + 0.3*feedback + 0.3*release.",
    "lumen_maturity_sense": "Maturity sense band: normalized entropy of the event kinds.",
    "lumen_maturity_feedback": "Maturity feedback band: exp(-3 * stdev of severity).",
    "lumen_maturity_release": "Maturity release band: min(1, action ratio / 0.30).",
    "lumen_maturity_trend": "Maturity overall minus the previous window's overall.",
    "lumen_maturity_events": "Loop events in the maturity window.",
    "lumen_deploy_success_rate": "Successful deploys / deploys over the ROI window.",
    "lumen_rollback_rate": "min(1, (rollbacks + flipbacks) / deploys) over the ROI window.",
    "lumen_deploys": "Deploys (action deploy) in the ROI window.",
    "lumen_dora_deployment_frequency_per_day": "DORA deployment frequency: successful deploys "
    "per day.",
    "lumen_dora_change_failure_rate": "DORA change failure rate.",
    "lumen_dora_time_to_restore_seconds": "DORA time to restore, median failure to next success.",
    "lumen_dora_lead_time_seconds": "DORA lead time, median commit to successful deploy.",
    "lumen_slo_error_rate": "SLO error rate (errors / requests) over the window.",
    "lumen_slo_burn_rate": "SLO burn rate, error rate / (1 - objective), over the window.",
    "lumen_gate_verdict": "Gate verdict: 1 pass, 0.5 warn, 0 fail (absent for NO_DATA).",
    "resonance_symmetry": "Resonance symmetry of the series deltas (0..1).",
    "resonance_continuity": "Resonance continuity exp(-gap_minutes/120) (0..1).",
    "resonance_entropy": "Resonance normalized entropy of the failure histogram (0..1).",
    "resonance_safety": "Resonance safety: trust chain verified times custody (0..1).",
    "resonance_phase": "Resonance phase: latency_p95 seconds plus fail rate.",
    "resonance_coherence": "Resonance coherence: mean of symmetry, continuity, 1-entropy, safety.",
    "lumen_sampled_mean": "Mean of a metric sampled at --hz for --duration.",
    "lumen_sampled_p95": "95th percentile of a metric sampled at --hz for --duration.",
    "lumen_sampled_stdev": "Population standard deviation of a metric sampled at --hz.",
    "lumen_sampled_samples": "Number of samples taken of a metric in --hz mode.",
    "lumen_sampler_last_success_timestamp_seconds": "Unix time of the last successful sampler run.",
    "lumen_sampler_duration_seconds": "Duration of the last successful sampler run.",
}


@dataclass(frozen=True)
class Series:
    """One gauge sample: a metric name, its labels and the value."""

    name: str
    value: float
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        return self.name, tuple(sorted(self.labels.items()))

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "labels": dict(self.labels), "value": self.value}


def escape_label_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def format_value(value: float) -> str:
    """Unrounded: `repr` round-trips a float exactly, and Prometheus parses it (Go ParseFloat)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def check_series(series: Sequence[Series], reserved: Iterable[str] = ()) -> None:
    """Refuse what the Pushgateway or Prometheus would refuse, before anything is sent: bad
    names, labels that collide with the grouping key, and the same label set twice."""
    reserved_names = set(reserved)
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    for s in series:
        if not METRIC_NAME.match(s.name):
            raise InputError(f"invalid metric name {s.name!r}", field="metric")
        for label in s.labels:
            if not LABEL_NAME.match(label) or label.startswith("__"):
                raise InputError(f"invalid label name {label!r} on {s.name}", field="labels")
            if label in reserved_names:
                raise InputError(
                    f"label {label!r} on {s.name} collides with the grouping key",
                    field="labels",
                )
        if s.key in seen:
            shown = ",".join(f'{k}="{v}"' for k, v in s.key[1])
            raise InputError(
                f"duplicate series {s.name}{{{shown}}}: the same label set twice in one group",
                field="series",
                hint="give each series distinct labels (e.g. repeated --window values)",
            )
        seen.add(s.key)


def render(
    series: Sequence[Series],
    *,
    extra_labels: Mapping[str, str] | None = None,
    help_text: Mapping[str, str] | None = None,
) -> str:
    """Text exposition of `series` (all gauges). `extra_labels` are added to every series (the
    textfile has no grouping key, so env/service go on the series themselves)."""
    extra = dict(extra_labels or {})
    expanded = [Series(s.name, s.value, {**s.labels, **extra}) for s in series]
    check_series(expanded)
    helps = {**HELP, **(help_text or {})}
    families: dict[str, list[Series]] = {}
    for s in expanded:
        families.setdefault(s.name, []).append(s)
    lines: list[str] = []
    for name in sorted(families):
        lines.append(f"# HELP {name} {escape_help(helps.get(name, name))}")
        lines.append(f"# TYPE {name} gauge")
        for s in sorted(families[name], key=lambda item: item.key):
            labels = ",".join(f'{k}="{escape_label_value(v)}"' for k, v in sorted(s.labels.items()))
            selector = f"{name}{{{labels}}}" if labels else name
            lines.append(f"{selector} {format_value(s.value)}")
    return "\n".join(lines) + "\n" if lines else ""
