"""Integrated gate: maturity plus the ROI/SLO composite (spec §5).

Reads loop events (the maturity spectrum, via `lumen.sources.events` and `gates.maturity`),
deploy events (the ROI checks, via `lumen.commands.roi`) and optionally SLO samples or
Prometheus (via `lumen.commands.slo`), scores the ROI/SLO objectives (`gates.score`) and decides
(`gates.integrated`). With `--mode pre|post` it is the release QA check instead. With
`adaptive: true` and a `--ledger`, the QA minimums move with the gate's own history.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from gates import integrated as ig
from gates import score as sc
from gates.errors import InputError, UsageError
from gates.result import Check, GateResult, OnNoData, Verdict, decide
from gates.timeutil import format_timestamp, parse_duration
from lumen.commands import roi as roi_cmd
from lumen.commands import slo as slo_cmd
from lumen.commands.common import add_common, config_of, env_service, now_of
from lumen.config import Config
from lumen.outputs import GATE, Output

# The step outputs this command writes in Actions (and its action.yml declares).
OUTPUTS = (
    *GATE,
    Output("score", "ROI/SLO weighted score (0-100)"),
    Output("overall", "maturity overall (0-1)"),
    Output("burn-rate", "SLO burn rate used by the composite"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--events", metavar="PATH", help="loop events JSONL (or - for stdin)")
    parser.add_argument("--deploys", metavar="PATH", help="deploy events JSONL")
    parser.add_argument("--github", metavar="OWNER/REPO", help="deploys from GitHub Deployments")
    parser.add_argument("--slo", metavar="PATH", help="SLO samples JSON (as `lumen slo --samples`)")
    parser.add_argument("--mode", choices=["pre", "post"], help="release QA: pre or post")
    parser.add_argument(
        "--compare", metavar="PRE_JSON", help="pre-change result (required with --mode post)"
    )
    parser.add_argument(
        "--baseline",
        action="append",
        metavar="RESULT_JSON",
        help="earlier integrated result(s) for relative criteria (besides the ledger)",
    )
    group = parser.add_argument_group("integrated thresholds (config `integrated:`)")
    group.add_argument("--min-overall", type=float, metavar="X", help="default 0.60")
    group.add_argument("--min-band", type=float, metavar="X", help="default 0.45")
    group.add_argument(
        "--penalty", type=float, metavar="X", help="borderline margin above min-overall (0.10)"
    )
    group.add_argument(
        "--borderline", choices=["fail", "warn"], help="a borderline maturity fails or warns"
    )
    group.add_argument("--score-min", type=float, metavar="N", help="composite minimum (70)")
    group.add_argument(
        "--maturity-window", dest="maturity_window", metavar="DURATION", help="default 24h"
    )
    group.add_argument(
        "--adaptive",
        action="store_const",
        const=True,
        default=None,
        help="move the QA minimums from the ledger's history (needs --ledger)",
    )
    from lumen.adapters.prometheus import add_connection_arguments

    add_connection_arguments(parser)  # --prometheus URL: the SLO queries (config `slo:`)
    roi_cmd.add_roi_options(parser)
    slo_cmd.add_slo_options(parser)
    add_common(parser, gate=True)


def _flags(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "min-overall": args.min_overall,
        "min-band": args.min_band,
        "penalty": args.penalty,
        "borderline": args.borderline,
        "score-min": args.score_min,
        "maturity-window": args.maturity_window,
        "adaptive": args.adaptive,
        "on-no-data": args.on_no_data,
    }


# --- maturity ----------------------------------------------------------------------------


def read_spectrum(
    config: Config, path: str, *, window: str, now: datetime, env: str | None, svc: str | None
) -> tuple[Any, dict[str, Any]]:
    """(spectrum or None, inputs) of the loop events over `window` ending at `now`."""
    from gates.maturity import DEFAULT_SEVERITY_LABELS, Window, WindowPlan, windows_from_tally
    from lumen.sources.events import read_events

    duration = parse_duration(window, field="integrated.maturity-window")
    plan = WindowPlan(
        int(now.timestamp() * 1_000_000), [Window(window, int(duration.total_seconds() * 1e6))]
    )
    maturity = config.resolve("maturity", {}, env=env, service=svc)
    labels = {**DEFAULT_SEVERITY_LABELS, **(maturity.get("severity-labels") or {})}
    labels.update(config.get("severity-labels") or {})
    read = read_events(path, plan, labels=labels)
    results = windows_from_tally(plan, read.tally)
    return results[0].spectrum, read.summary()


# --- score objectives --------------------------------------------------------------------


def _criteria(raw: Any, field: str) -> list[sc.Criterion]:
    if raw is None:
        return []
    items = [raw] if isinstance(raw, str) else list(raw)
    return [sc.parse_criterion(str(item), field=field) for item in items]


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


def earlier_results(
    ledger: str | None, baselines: Sequence[str], env: str | None, svc: str | None
) -> list[dict[str, Any]]:
    """Earlier integrated results: `--baseline` files, then the ledger's (oldest first)."""
    from lumen.fileio import read_json

    documents: list[dict[str, Any]] = []
    for path in baselines:
        document = read_json(path)
        if not isinstance(document, dict):
            raise InputError("expected a result JSON object", file=path)
        documents.append(document)
    if ledger:
        import os

        if os.path.exists(ledger):
            from lumen.ledger import iter_entries

            for _, entry in iter_entries(ledger):
                if (
                    entry.get("type") == "gate"
                    and entry.get("gate") == "integrated"
                    and entry.get("env") == env
                    and entry.get("service") == svc
                    and isinstance(entry.get("result"), dict)
                ):
                    documents.append(entry["result"])
    return documents


def objectives_for(
    config: Config,
    checks: Sequence[Check],
    values: Mapping[str, float | None],
    *,
    env: str | None,
    svc: str | None,
    history: Sequence[Mapping[str, Any]],
) -> tuple[list[sc.Objective], list[Check]]:
    """Score objectives: every ROI/SLO check (weight and key from `score.objectives`, resolved
    for the check's own env/service in a matrix), plus configured criteria objectives over
    values such as DORA figures. Returns the objectives and the criteria checks."""
    base = config.resolve("score", {}, env=env, service=svc)
    runs = int(base.get("baseline-runs", 5))
    objectives: list[sc.Objective] = []
    criteria_checks: list[Check] = []
    by_name = {check.name: check for check in checks}
    for check in checks:
        scope_env = check.extra.get("env", env)
        scope_svc = check.extra.get("service", svc)
        settings = config.resolve("score", {}, env=scope_env, service=scope_svc)
        weights = settings.get("objectives") or {}
        objective = str(check.extra.get("objective", check.name))
        spec = weights.get(check.name) or weights.get(objective) or {}
        if spec.get("pass") is not None:
            continue  # judged by its criteria below
        objectives.extend(sc.objectives_from_checks([check], {objective: spec}))
    for name, spec in (base.get("objectives") or {}).items():
        if spec.get("pass") is None:
            continue
        value = values.get(name)
        if value is None and name in by_name and isinstance(by_name[name].value, int | float):
            value = float(by_name[name].value)  # type: ignore[arg-type]
        baseline = sc.median_baseline(history_values(history, name), runs)
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
    roi_values: Mapping[str, Any], slo_values: Mapping[str, Any] | None, spectrum: Any
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
    ledger: str, qa: ig.QaSettings, env: str | None, svc: str | None
) -> tuple[ig.Minimums, ig.Adaptation]:
    """Current minimums (the last `thresholds` entry, else the config) and the adaptation from
    the integrated decisions recorded since that entry; a change is appended to the ledger."""
    import os

    current = qa.minimums
    history: list[Verdict] = []
    if os.path.exists(ledger):
        from lumen.ledger import iter_entries

        for _, entry in iter_entries(ledger):
            if entry.get("env") != env or entry.get("service") != svc:
                continue
            if entry.get("type") == "thresholds" and entry.get("gate") == "integrated":
                current = ig.Minimums.from_mapping(entry["new"])
                history = []  # count only decisions made under the current minimums
            elif entry.get("type") == "gate" and entry.get("gate") == "integrated":
                try:
                    history.append(Verdict(entry.get("verdict")))
                except ValueError:
                    continue
    adaptation = ig.adapt(current, history)
    if adaptation.changed:
        from lumen.ledger import append

        append(
            ledger,
            {
                "type": "thresholds",
                "gate": "integrated",
                "env": env,
                "service": svc,
                "action": adaptation.action,
                "reason": adaptation.reason,
                "old": adaptation.old.to_dict(),
                "new": adaptation.new.to_dict(),
            },
        )
    return adaptation.new, adaptation


# --- run ---------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    from lumen.report import emit

    config = config_of(args)
    env, svc = env_service(args)
    now = now_of(args)
    settings = config.resolve("integrated", _flags(args), env=env, service=svc)
    on_no_data = OnNoData(settings.get("on-no-data") or config.get("on-no-data") or "pass")
    if args.mode == "post" and not args.compare:
        raise UsageError("--mode post needs --compare PRE_JSON (the result of --mode pre)")
    if not args.events:
        raise UsageError("`lumen integrated` needs --events PATH (loop events)")
    window = str(settings.get("maturity-window", "24h"))
    spectrum, events_inputs = read_spectrum(
        config, args.events, window=window, now=now, env=env, svc=svc
    )
    inputs: dict[str, Any] = {"env": env, "service": svc, "events": events_inputs}
    values: dict[str, Any] = {}
    checks: list[Check]

    qa = ig.QaSettings(
        float(settings.get("qa-min-overall", 0.65)),
        float(settings.get("qa-min-feedback", 0.60)),
        float(settings.get("qa-min-release", 0.60)),
        float(settings.get("qa-max-sense-delta", 0.15)),
    )
    if settings.get("adaptive"):
        ledger = getattr(args, "ledger", None) or config.get("ledger")
        if not ledger:
            raise UsageError("adaptive thresholds need a ledger: --ledger PATH or `ledger:`")
        args.ledger = ledger
        minimums, adaptation = adaptive_minimums(ledger, qa, env, svc)
        qa = qa.with_minimums(minimums)
        values["adaptive"] = {
            "action": adaptation.action,
            "reason": adaptation.reason,
            "old": adaptation.old.to_dict(),
            "new": adaptation.new.to_dict(),
        }

    if args.mode:
        pre: ig.Levels | None = None
        if args.mode == "post":
            pre = _pre_levels(args.compare)
            inputs["compare"] = args.compare
        checks = ig.qa_checks(spectrum, qa, pre=pre, mode=args.mode, on_no_data=on_no_data)
        values["mode"] = args.mode
        values["qa"] = {
            "min_overall": qa.min_overall,
            "min_feedback": qa.min_feedback,
            "min_release": qa.min_release,
            "max_sense_delta": qa.max_sense_delta,
        }
        roi_slo: dict[str, Any] | None = None
        evidence: list[Check] = []
    else:
        checks, evidence, roi_slo = full_gate(
            args,
            config,
            settings=settings,
            spectrum=spectrum,
            env=env,
            svc=svc,
            now=now,
            inputs=inputs,
            values=values,
            on_no_data=on_no_data,
        )
    values["maturity"] = _levels(spectrum)
    if roi_slo is not None:
        values["roi_slo"] = roi_slo
    values["integrated"] = {
        "min_overall": float(settings.get("min-overall", 0.60)),
        "min_band": float(settings.get("min-band", 0.45)),
        "penalty": float(settings.get("penalty", 0.10)),
        "borderline": str(settings.get("borderline", "fail")),
    }
    result = GateResult(
        gate="integrated",
        verdict=decide(checks),
        checks=[*checks, *evidence],
        inputs=inputs,
        window=window,
        generated_at=format_timestamp(now),
        values=values,
    )
    maturity = values["maturity"] or {}
    return emit(
        result,
        args,
        OUTPUTS,
        {
            "overall": _out(maturity.get("overall")),
            "score": _out((roi_slo or {}).get("score")),
            "burn-rate": _out((roi_slo or {}).get("slo_burn_rate")),
        },
    )


def full_gate(
    args: argparse.Namespace,
    config: Config,
    *,
    settings: Mapping[str, Any],
    spectrum: Any,
    env: str | None,
    svc: str | None,
    now: datetime,
    inputs: dict[str, Any],
    values: dict[str, Any],
    on_no_data: OnNoData,
) -> tuple[list[Check], list[Check], dict[str, Any]]:
    """The integrated gate over a maturity spectrum, as (decisive checks, evidence, ROI/SLO
    summary): the decisive checks are the gate's own (spectrum and weighted score); ROI, SLO and
    criteria checks are evidence that reached the verdict through the score. `lumen integrated`
    and the loop sampler both decide with it; `inputs` and `values` are filled in as it goes."""
    tally, rate_scopes, roi_inputs = roi_cmd.collect(
        config, args, env=env, service=svc, now=now, deploys=args.deploys, github=args.github
    )
    if tally is None and rate_scopes is None:
        raise UsageError("`lumen integrated` needs --deploys PATH or --github OWNER/REPO")
    inputs["roi"] = roi_inputs
    roi = roi_cmd.evaluate(
        config, args, env=env, service=svc, now=now, tally=tally, rate_scopes=rate_scopes
    )
    slo_checks: list[Check] = []
    slo_values: dict[str, Any] | None = None
    slo_settings = config.resolve("slo", {}, env=env, service=svc)
    if args.slo or args.prometheus or slo_settings.get("samples"):
        outcome, slo_inputs = slo_cmd.evaluate(
            config,
            args,
            env=env,
            service=svc,
            now=now,
            samples_path=args.slo,
            prometheus=args.prometheus,
        )
        slo_checks = outcome.checks
        slo_values = outcome.values()
        inputs["slo"] = slo_inputs
    history = earlier_results(
        getattr(args, "ledger", None) or config.get("ledger"), args.baseline or [], env, svc
    )
    objectives, criteria_checks = objectives_for(
        config,
        [*roi.checks, *slo_checks],
        flat_values(roi.values, slo_values, spectrum),
        env=env,
        svc=svc,
        history=history,
    )
    # --score-min > integrated.score-min (set by the user) > score.score-min > 70.
    score_settings = config.resolve("score", {}, env=env, service=svc)
    score_min = float(settings.get("score-min") or score_settings.get("score-min", 70))
    warn = score_settings.get("score-warn")
    composite = sc.weighted_score(
        objectives, score_min=score_min, score_warn=None if warn is None else float(warn)
    )
    gate_settings = ig.IntegratedSettings(
        min_overall=float(settings.get("min-overall", 0.60)),
        min_band=float(settings.get("min-band", 0.45)),
        penalty=float(settings.get("penalty", 0.10)),
        borderline=str(settings.get("borderline", "fail")),
        on_no_data=on_no_data,
    )
    decisive = ig.integrated_checks(spectrum, composite, gate_settings)
    roi_verdict = decide(roi.checks)
    values["score"] = composite.to_dict()
    values["roi"] = roi.values
    if slo_values is not None:
        values["slo"] = slo_values
    roi_slo = {
        "roi_pass": roi_verdict is Verdict.PASS,
        "roi_verdict": roi_verdict.value,
        "score": None if composite.score is None else round(composite.score, 3),
        "slo_burn_rate": None if slo_values is None else slo_values["slo_burn_rate"],
        "verdict": composite.verdict.value,
    }
    # ROI/SLO checks are evidence for the composite: they reach the verdict only through the
    # score (a failing objective lowers it, a failing key objective vetoes it). They are listed
    # after the gate's own checks, marked as objectives, and not decided on a second time.
    evidence = [
        replace(check, extra={**check.extra, "role": "objective"})
        for check in (*roi.checks, *slo_checks, *criteria_checks)
    ]
    return decisive, evidence, roi_slo


def _pre_levels(path: str) -> ig.Levels:
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


def _levels(spectrum: Any) -> dict[str, float] | None:
    if spectrum is None:
        return None
    return {
        "overall": spectrum.overall,
        "sense": spectrum.sense,
        "feedback": spectrum.feedback,
        "release": spectrum.release,
    }


def _out(value: Any) -> str:
    return "" if value is None else f"{value:.6g}"
