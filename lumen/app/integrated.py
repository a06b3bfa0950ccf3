"""Integrated use case (docs/reference.md#integrated): maturity plus the ROI/SLO composite.

The maturity spectrum of the loop events (`lumen.app.maturity`), the ROI checks
(`lumen.app.roi`) and optionally the SLO checks (`lumen.app.slo`) become score objectives
(`gates.score`); `gates.integrated` decides. With a mode (`pre`/`post`) it is the release QA
check instead; with `adaptive: true` the QA minimums move with the gate's own ledger history.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from gates import integrated as ig
from gates import score as sc
from gates.errors import InputError
from gates.maturity import Spectrum
from gates.result import Check, GateResult, Verdict, decide
from gates.timeutil import format_timestamp
from lumen.app import roi as roi_app
from lumen.app import slo as slo_app
from lumen.app.maturity import GitHubSource
from lumen.settings import IntegratedSettings, Scope, Settings

if TYPE_CHECKING:
    from lumen.adapters.git_state import StateLocation
    from lumen.adapters.github.activity import RepositoryReads
    from lumen.adapters.prometheus import PrometheusConnection
    from lumen.app.maturity import EventsSource


# --- score objectives --------------------------------------------------------------------


def _criteria(raw: object, field_name: str) -> list[sc.Criterion]:
    if raw is None:
        return []
    items = [raw] if isinstance(raw, str) else list(raw)  # type: ignore[call-overload]
    return [sc.parse_criterion(str(item), field=field_name) for item in items]


def history_values(documents: Iterable[Mapping[str, Any]], name: str) -> list[float | None]:
    """The objective's value in each earlier passing result (oldest first)."""
    out: list[float | None] = []
    for document in documents:
        if document.get("verdict") != "PASS":
            continue
        for objective in (document.get("score") or {}).get("objectives") or []:
            if objective.get("name") == name and isinstance(objective.get("value"), int | float):
                out.append(float(objective["value"]))
                break
    return out


def ledger_entries(ledger: str, state: StateLocation | None = None) -> list[dict[str, Any]]:
    """The ledger's entries, oldest first (none when it does not exist yet); with `state` the
    ledger is read from the data branch (fetched, never pushed)."""
    from lumen.statefiles import readable

    with readable(ledger, state) as local:
        if not os.path.exists(local):
            return []
        from lumen.ledger import iter_entries

        return [entry for _, entry in iter_entries(local)]


def earlier_results(
    ledger: str | None,
    baselines: Sequence[str],
    scope: Scope,
    state: StateLocation | None = None,
    *,
    entries: Sequence[Mapping[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Earlier integrated results: `--baseline` files, then the ledger's (oldest first); with
    `state` the ledger is read from the data branch (fetched, never pushed). `entries` is
    `ledger_entries(ledger, state)` when the caller has read them already."""
    from lumen.fileio import read_json

    documents: list[dict[str, Any]] = []
    for path in baselines:
        document = read_json(path)
        if not isinstance(document, dict):
            raise InputError("expected a result JSON object", file=path)
        documents.append(document)
    if not ledger:
        return documents
    for entry in ledger_entries(ledger, state) if entries is None else entries:
        if (
            entry.get("type") == "gate"
            and entry.get("gate") == "integrated"
            and entry.get("env") == scope.env
            and entry.get("service") == scope.service
            and isinstance(entry.get("result"), dict)
        ):
            documents.append(entry["result"])
    return documents


def objectives_for(
    settings: Settings,
    checks: Sequence[Check],
    values: Mapping[str, float | None],
    *,
    scope: Scope,
    history: Sequence[Mapping[str, Any]],
) -> tuple[list[sc.Objective], list[Check]]:
    """Score objectives: every ROI/SLO check (weight and key from `score.objectives`, resolved
    for the check's own env/service in a matrix), plus configured criteria objectives over
    values such as DORA figures. Returns the objectives and the criteria checks."""
    base = settings.score(scope)
    objectives: list[sc.Objective] = []
    criteria_checks: list[Check] = []
    by_name = {check.name: check for check in checks}
    for check in checks:
        scoped = settings.score(
            Scope(check.extra.get("env", scope.env), check.extra.get("service", scope.service))
        )
        objective = str(check.extra.get("objective", check.name))
        spec = scoped.objectives.get(check.name) or scoped.objectives.get(objective) or {}
        if spec.get("pass") is not None:
            continue  # judged by its criteria below
        objectives.extend(sc.objectives_from_checks([check], {objective: spec}))
    for name, spec in base.objectives.items():
        if spec.get("pass") is None:
            continue
        value = values.get(name)
        if value is None and name in by_name and isinstance(by_name[name].value, int | float):
            value = float(by_name[name].value)  # type: ignore[arg-type]
        baseline = sc.median_baseline(history_values(history, name), base.baseline_runs)
        check = sc.criteria_check(
            name,
            value,
            _criteria(spec.get("pass"), f"score.objectives.{name}.pass"),
            baseline=baseline,
            warning=_criteria(spec.get("warning"), f"score.objectives.{name}.warning"),
            key=bool(spec.get("key", False)),
        )
        criteria_checks.append(check)
        objectives.append(
            sc.Objective(
                name,
                check.verdict,
                float(spec.get("weight", 1.0)),
                bool(spec.get("key", False)),
                value,
                check.reason,
            )
        )
    return objectives, criteria_checks


def flat_values(
    roi_values: Mapping[str, Any], slo_values: Mapping[str, Any] | None, spectrum: Spectrum | None
) -> dict[str, float | None]:
    """Every number a criteria objective can name."""
    out: dict[str, float | None] = {}
    for key in ("success_rate", "rollback_rate", "deploys"):
        out[key] = roi_values.get(key)
    for key, value in (roi_values.get("dora") or {}).items():
        out[key] = value
    if slo_values is not None:
        out["slo_burn_rate"] = slo_values.get("slo_burn_rate")
    if spectrum is not None:
        for band in ("overall", *ig.BANDS):
            out[f"maturity_{band}"] = getattr(spectrum, band)
    return out


# --- adaptive thresholds -----------------------------------------------------------------


def adaptive_minimums(
    ledger: str,
    entries: Sequence[Mapping[str, Any]],
    qa: ig.QaSettings,
    scope: Scope,
    state: StateLocation | None = None,
) -> tuple[ig.Minimums, ig.Adaptation]:
    """Current minimums (the last `thresholds` entry among the ledger's `entries`, else the
    config) and the adaptation from the integrated decisions recorded since that entry; a change
    is appended to the ledger (with `state`, the ledger on the data branch)."""
    current = qa.minimums
    history: list[Verdict] = []
    for entry in entries:
        if entry.get("env") != scope.env or entry.get("service") != scope.service:
            continue
        if entry.get("type") == "thresholds" and entry.get("gate") == "integrated":
            current = ig.Minimums.from_mapping(entry["new"])
            history = []  # count only decisions made under the current minimums
        elif entry.get("type") == "gate" and entry.get("gate") == "integrated":
            try:
                history.append(Verdict(str(entry.get("verdict"))))
            except ValueError:
                continue
    adaptation = ig.adapt(current, history)
    if adaptation.changed:
        from lumen.statefiles import append_ledger

        append_ledger(
            ledger,
            {
                "type": "thresholds",
                "gate": "integrated",
                "env": scope.env,
                "service": scope.service,
                "action": adaptation.action,
                "reason": adaptation.reason,
                "old": adaptation.old.to_dict(),
                "new": adaptation.new.to_dict(),
            },
            state,
            message=f"lumen integrated: minimums {adaptation.action}",
        )
    return adaptation.new, adaptation


# --- the gate ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Sources:
    """The integrated gate's sources besides the loop events."""

    deploys: roi_app.DeploySource
    slo_samples: str | None = None
    slo_prometheus: PrometheusConnection | None = None


@dataclass
class FullGate:
    """The decisive checks (spectrum and weighted score), the evidence that reached the verdict
    through the score (ROI, SLO and criteria checks), the ROI/SLO summary, and the inputs and
    values gathered on the way."""

    decisive: list[Check]
    evidence: list[Check]
    roi_slo: dict[str, Any]
    inputs: dict[str, Any] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)


def full_gate(
    settings: Settings,
    scope: Scope,
    *,
    integrated: IntegratedSettings,
    spectrum: Spectrum | None,
    sources: Sources,
    history: Sequence[Mapping[str, Any]],
    now: datetime,
) -> FullGate:
    """The integrated gate over a maturity spectrum. `lumen integrated` and the loop sampler
    both decide with it."""
    out = FullGate([], [], {})
    deploys = roi_app.collect(settings, scope, sources.deploys, now=now)
    out.inputs["roi"] = deploys.inputs
    roi = roi_app.evaluate(settings, scope, deploys)
    slo_checks: list[Check] = []
    slo_values: dict[str, Any] | None = None
    slo_settings = settings.slo(scope)
    if sources.slo_samples or sources.slo_prometheus is not None or slo_settings.samples:
        outcome, slo_inputs = slo_app.evaluate(
            slo_settings,
            now=now,
            samples_path=sources.slo_samples,
            prometheus=sources.slo_prometheus,
        )
        slo_checks = outcome.checks
        slo_values = outcome.values()
        out.inputs["slo"] = slo_inputs
    objectives, criteria_checks = objectives_for(
        settings,
        [*roi.checks, *slo_checks],
        flat_values(roi.values, slo_values, spectrum),
        scope=scope,
        history=history,
    )
    # --score-min > integrated.score-min (set by the user) > score.score-min.
    score = settings.score(scope)
    score_min = integrated.score_min if integrated.score_min is not None else score.score_min
    composite = sc.weighted_score(objectives, score_min=score_min, score_warn=score.score_warn)
    out.decisive = ig.integrated_checks(spectrum, composite, integrated.gate)
    roi_verdict = decide(roi.checks)
    out.values["score"] = composite.to_dict()
    out.values["roi"] = roi.values
    if slo_values is not None:
        out.values["slo"] = slo_values
    out.roi_slo = {
        "roi_pass": roi_verdict is Verdict.PASS,
        "roi_verdict": roi_verdict.value,
        "score": None if composite.score is None else round(composite.score, 3),
        "slo_burn_rate": None if slo_values is None else slo_values["slo_burn_rate"],
        "verdict": composite.verdict.value,
    }
    # ROI/SLO checks are evidence for the composite: they reach the verdict only through the
    # score (a failing objective lowers it, a failing key objective vetoes it). They are listed
    # after the gate's own checks, marked as objectives, and not decided on a second time.
    out.evidence = [
        replace(check, extra={**check.extra, "role": "objective"})
        for check in (*roi.checks, *slo_checks, *criteria_checks)
    ]
    return out


@dataclass(frozen=True)
class Request:
    """One `lumen integrated` run: the loop events, the other sources, the QA mode (None for
    the full gate; `post` needs the pre result), the ledger (history and adaptive minimums)
    and `--baseline` results."""

    events: EventsSource | GitHubSource
    sources: Sources
    mode: str | None
    compare: str | None
    ledger: str | None
    baselines: tuple[str, ...]
    # where the ledger lives: the data branch, or None for a local path
    state: StateLocation | None = None


def evaluate(settings: Settings, scope: Scope, request: Request, *, now: datetime) -> GateResult:
    """The integrated gate's result."""
    from lumen.app.maturity import spectrum_over

    integrated = settings.integrated(scope)
    window = integrated.maturity_window
    github = request.events if isinstance(request.events, GitHubSource) else None
    if github is not None:
        request, reads = _share_github_reads(settings, scope, request, github, now=now)
    spectrum, events_inputs = spectrum_over(request.events, window, now, settings.maturity(scope))
    inputs: dict[str, Any] = {"env": scope.env, "service": scope.service, "events": events_inputs}
    values: dict[str, Any] = {}
    checks: list[Check]
    qa = integrated.qa
    # The ledger is fetched and read once: the adaptive minimums and the full gate's history
    # both come from it (the thresholds entry appended in between is not a gate result).
    entries: list[dict[str, Any]] | None = None
    if integrated.adaptive:
        assert request.ledger is not None, "adaptive thresholds need a ledger"
        entries = ledger_entries(request.ledger, request.state)
        minimums, adaptation = adaptive_minimums(request.ledger, entries, qa, scope, request.state)
        qa = qa.with_minimums(minimums)
        values["adaptive"] = {
            "action": adaptation.action,
            "reason": adaptation.reason,
            "old": adaptation.old.to_dict(),
            "new": adaptation.new.to_dict(),
        }
    roi_slo: dict[str, Any] | None = None
    evidence: list[Check] = []
    if request.mode:
        pre: ig.Levels | None = None
        if request.mode == "post":
            assert request.compare is not None, "--mode post needs the pre result"
            pre = pre_levels(request.compare)
            inputs["compare"] = request.compare
        checks = ig.qa_checks(
            spectrum, qa, pre=pre, mode=request.mode, on_no_data=integrated.on_no_data
        )
        values["mode"] = request.mode
        values["qa"] = {
            "min_overall": qa.min_overall,
            "min_feedback": qa.min_feedback,
            "min_release": qa.min_release,
            "max_sense_delta": qa.max_sense_delta,
        }
    else:
        gate = full_gate(
            settings,
            scope,
            integrated=integrated,
            spectrum=spectrum,
            sources=request.sources,
            history=earlier_results(
                request.ledger, request.baselines, scope, request.state, entries=entries
            ),
            now=now,
        )
        inputs.update(gate.inputs)
        values.update(gate.values)
        checks, evidence, roi_slo = gate.decisive, gate.evidence, gate.roi_slo
    if github is not None:
        # From GitHub the spectrum is advisory and the repository's trend decides: in the full
        # gate the composite stays (it is the ROI/SLO side's too); in the release QA mode every
        # QA check is a spectrum check (its floors, and post's sense delta between two
        # spectra of CI-dominated activity), so all of them are advisory.
        from lumen.app import trend as trend_app

        trend = settings.trend(scope)
        judged = trend_app.github_trend(reads, trend, now=now)
        if request.mode:
            checks = [*trend_app.advisory(checks), *judged.checks]
        else:
            composite, spectrum_checks = checks[0], checks[1:]  # as gates.integrated orders them
            checks = [composite, *trend_app.advisory(spectrum_checks), *judged.checks]
        values["trend"] = judged.values(trend)
        inputs["github"] = trend_app.github_inputs(reads)
    values["maturity"] = levels(spectrum)
    if roi_slo is not None:
        values["roi_slo"] = roi_slo
    values["integrated"] = {
        "min_overall": integrated.gate.min_overall,
        "min_band": integrated.gate.min_band,
        "penalty": integrated.gate.penalty,
        "borderline": integrated.gate.borderline,
    }
    return GateResult(
        gate="integrated",
        verdict=decide(checks),
        checks=[*checks, *evidence],
        inputs=inputs,
        window=window,
        generated_at=format_timestamp(now),
        values=values,
    )


def _share_github_reads(
    settings: Settings, scope: Scope, request: Request, github: GitHubSource, *, now: datetime
) -> tuple[Request, RepositoryReads]:
    """The request with one set of GitHub reads for the spectrum, the ROI tally (when its
    deployments come from the same repository) and the trend, read from the earliest moment
    any of them needs."""
    from gates.timeutil import parse_duration
    from lumen.adapters.github.deploys import github_settings
    from lumen.app import trend as trend_app

    if github.reads is not None:
        return request, github.reads
    deploys = request.sources.deploys
    reads = trend_app.open_reads(
        github.repository,
        since=trend_app.earliest(
            now,
            settings.trend(scope),
            parse_duration(settings.integrated(scope).maturity_window, field="maturity-window"),
            parse_duration(settings.roi(scope).window, field="window"),
        ),
        deploy_settings=github_settings(settings.config),
    )
    if deploys.github == github.repository:
        deploys = replace(deploys, reads=reads)
    sources = replace(request.sources, deploys=deploys)
    return replace(request, events=replace(github, reads=reads), sources=sources), reads


def pre_levels(path: str) -> ig.Levels:
    from lumen.fileio import read_json

    document = read_json(path)
    maturity = document.get("maturity") if isinstance(document, dict) else None
    if not isinstance(maturity, dict):
        raise InputError("no `maturity` object in the pre result", file=path, field="maturity")
    try:
        return ig.Levels(
            float(maturity["overall"]),
            float(maturity["sense"]),
            float(maturity["feedback"]),
            float(maturity["release"]),
        )
    except (KeyError, TypeError, ValueError):
        raise InputError(
            "the pre result has no maturity spectrum (was it NO_DATA?)",
            file=path,
            field="maturity.sense",
            expected="numbers for overall, sense, feedback and release",
        ) from None


def levels(spectrum: Spectrum | None) -> dict[str, float] | None:
    if spectrum is None:
        return None
    return {
        "overall": spectrum.overall,
        "sense": spectrum.sense,
        "feedback": spectrum.feedback,
        "release": spectrum.release,
    }
