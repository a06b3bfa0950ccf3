"""Loop sampler: compute every signal and push it to a Pushgateway (docs/reference.md#sampler).

One run: read the sources (loop events, deploy events or GitHub Deployments, SLO samples or
Prometheus queries, a resonance snapshot, optionally a live endpoint sampled at `--hz`), compute
the signals with the gates' own code, append them to the run history, then deliver them: PUT to
the Pushgateway group `job="lumen_sampler"`, env, service (+ instance); or a node_exporter
textfile (`--textfile`); or, with neither, the exposition on stdout.

Exit codes: 0 when every source was read and the values were delivered; 1 when a source failed
or the push failed (`--on-push-error warn` turns the latter into a warning). Gate verdicts are
measurements here (`lumen_gate_verdict`), not a reason to exit 2.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING, Any

from lumen.commands.common import (
    ON_DATA_BRANCH,
    add_common,
    add_state_argument,
    connection_of,
    now_of,
    scope_of,
    settings_of,
    state_of,
)
from lumen.commands.gate_options import (
    add_pack_arguments,
    add_resonance_options,
    add_schema_argument,
    add_slo_options,
    policy_rule_flags,
    resonance_flags,
    slo_flags,
)
from lumen.outputs import JSON, Output, publish, verdict_output
from lumen.settings import default_of

if TYPE_CHECKING:
    from lumen.adapters.git_state import StateLocation
    from lumen.app.sample import Collected


# The step outputs this command writes in Actions (and its action.yml declares).
OUTPUTS = (
    verdict_output("worst of the sampled gates"),
    Output("status", "delivery status (spooled when the Pushgateway could not be reached)"),
    Output("history", "path of the run history (JSONL)"),
    Output("series", "number of series sampled"),
    JSON,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from lumen.adapters.prometheus import add_connection_arguments
    from lumen.adapters.pushgateway import add_pushgateway_arguments

    sources = parser.add_argument_group("sources (config `sampler:`)")
    sources.add_argument("--events", metavar="PATH", help="loop events JSONL: maturity")
    sources.add_argument(
        "--deploys",
        metavar="PATH",
        help=f"deploy events JSONL: ROI/DORA; {ON_DATA_BRANCH}, fetched read-only",
    )
    sources.add_argument(
        "--github",
        metavar="OWNER/REPO",
        help="GitHub Deployments for ROI/DORA, and GitHub activity for maturity without --events",
    )
    sources.add_argument("--snapshot", metavar="METRICS_JSON", help="resonance snapshot JSON")
    sources.add_argument("--slo", metavar="PATH", help="SLO samples JSON instead of Prometheus")
    sources.add_argument("--errors", metavar="PROMQL", help="SLO errors query ($window)")
    sources.add_argument("--requests", metavar="PROMQL", help="SLO requests query ($window)")
    sources.add_argument(
        "--window",
        action="append",
        metavar="DURATION",
        help=f"maturity window, repeatable ({default_of('sampler', 'window')})",
    )
    add_connection_arguments(parser)
    # Judged against --prometheus; default the config's `policy:` for the env × service.
    policy = parser.add_argument_group("policy gate (config `policy:`)")
    add_pack_arguments(policy)
    add_schema_argument(policy)
    add_slo_options(parser)
    add_resonance_options(parser)
    add_pushgateway_arguments(parser)

    out = parser.add_argument_group("delivery (config `sampler:`)")
    out.add_argument(
        "--textfile", metavar="PATH", help="without a Pushgateway: node_exporter textfile (.prom)"
    )
    out.add_argument("--instance", metavar="NAME", help="`instance` label of the grouping key")
    out.add_argument(
        "--history",
        metavar="PATH",
        help=f"run history JSONL ({default_of('sampler', 'history')})",
    )
    out.add_argument(
        "--spool", metavar="DIR", help=f"spool directory ({default_of('sampler', 'spool')})"
    )
    add_state_argument(out, "--history and --spool")
    out.add_argument(
        "--spool-max-bytes",
        type=int,
        metavar="N",
        help=f"spool bound ({default_of('sampler', 'spool-max-bytes')})",
    )
    out.add_argument(
        "--on-push-error",
        choices=["fail", "warn"],
        help="exit 1 when the push fails (fail) or only warn "
        f"({default_of('sampler', 'on-push-error')})",
    )

    hz = parser.add_argument_group("fast loops: sample repeatedly, push mean/p95/stdev")
    hz.add_argument("--hz", type=float, metavar="X", help="samples a second (at most 100)")
    hz.add_argument(
        "--duration",
        metavar="DURATION",
        help=f"how long to sample ({default_of('sampler', 'duration')})",
    )
    hz.add_argument("--sample-url", metavar="URL", help="live metrics endpoint (text format)")
    hz.add_argument(
        "--sample-metric", action="append", metavar="NAME", help="metric of --sample-url"
    )
    hz.add_argument(
        "--sample-query", action="append", metavar="NAME=PROMQL", help="Prometheus query"
    )
    add_common(parser, gate=False)


def sampler_flags(args: argparse.Namespace) -> dict[str, Any]:
    keys = (
        "events deploys snapshot slo window pushgateway textfile instance history spool "
        "spool-max-bytes on-push-error push-retries push-backoff push-deadline push-timeout "
        "hz duration sample-url sample-metric sample-query"
    )
    return {key: getattr(args, key.replace("-", "_"), None) for key in keys.split()}


def run(args: argparse.Namespace) -> int:
    from gates.timeutil import format_timestamp
    from lumen.app import sample as app

    started = time.monotonic()
    settings = settings_of(
        args,
        {
            "sampler": sampler_flags(args),
            "slo": slo_flags(args),
            "resonance": resonance_flags(args),
            "policy": policy_rule_flags(args),
        },
    )
    scope = scope_of(args)
    now = now_of(args)
    sampler = settings.section("sampler", scope)
    grouping = {"env": scope.env or "", "service": scope.service or ""}
    if sampler.get("instance"):
        grouping["instance"] = str(sampler["instance"])
    connection = connection_of(args, settings, scope)
    state = state_of(args)
    sources = app.Sources(
        events=_text(sampler.get("events")),
        deploys=_text(sampler.get("deploys")),
        github=args.github,
        snapshot=_text(sampler.get("snapshot")),
        slo_samples=_text(sampler.get("slo")),
        prometheus=connection,
        state=state,
    )
    try:
        out = app.collect(settings, grouping, sources, now=now)
    finally:
        if connection is not None:
            connection.close()
    return deliver(args, sampler, out, now=format_timestamp(now), started=started, state=state)


def _text(value: object) -> str | None:
    return None if not value else str(value)


def deliver(
    args: argparse.Namespace,
    settings: dict[str, Any],
    out: Collected,
    *,
    now: str,
    started: float,
    state: StateLocation | None,
) -> int:
    """Deliver through the sampler use case (history and spool on `state`'s data branch when
    set), then report: --json, the summary, the step outputs and job summary in Actions; the
    exit code."""
    from lumen import actions_runtime as gha
    from lumen.adapters.pushgateway import Pushgateway
    from lumen.app.sample import deliver as deliver_run
    from lumen.fileio import write_json

    gateway = Pushgateway.resolve(args, settings)
    if gateway is not None and gha.in_actions():
        for secret in gateway.secrets():
            gha.mask(secret)
    delivery = deliver_run(
        out,
        settings,
        gateway,
        now=now,
        started=started,
        stdout=sys.stdout.write,
        state=state,
    )
    record, history_path = delivery.record, delivery.history
    if getattr(args, "json", None):
        write_json(
            args.json,
            {
                "schema_version": "1",
                "command": "sample",
                **record,
                "history": history_path,
                "inputs": out.inputs,
                "values": out.values,
            },
        )
    if not getattr(args, "quiet", False) and record["destination"] != "stdout":
        print(_summary(record))
    if gha.in_actions():
        from gates.result import worst

        publish(
            OUTPUTS,
            {
                "verdict": worst(out.verdicts.values()).value,
                "status": record["status"],
                "history": history_path,
                "series": str(sum(len(g.series) for g in out.groups)),
            },
            json_path=getattr(args, "json", None),
        )
        gha.add_summary(_markdown(record))
    if out.errors:
        return 1
    if record["push_errors"] and str(settings["on-push-error"]) == "fail":
        return 1
    return 0


def _markdown(record: dict[str, Any]) -> str:
    """The job summary: where the values went, the sampled verdicts, errors."""
    from lumen.report import md_escape

    series = sum(len(group["series"]) for group in record["groups"])
    lines = [
        f"### Lumen loop sampler: {record['status']}",
        "",
        f"{series} series in {len(record['groups'])} group(s) -> `{record['destination']}`",
        "",
    ]
    if record["verdicts"]:
        lines += ["| gate | verdict |", "|---|---|"]
        lines += [f"| {gate} | {verdict} |" for gate, verdict in record["verdicts"].items()]
        lines.append("")
    for error in [*record["errors"], *record["push_errors"]]:
        lines.append(f"- :x: {md_escape(error)}")
    return "\n".join(lines) + "\n"


def _summary(record: dict[str, Any]) -> str:
    from lumen.report import fmt_value

    lines = [
        f"lumen sample: {record['status']} -> {record['destination']}  "
        f"(run {record['run_id'][:8]}, {record['duration_s']:.2f}s)"
    ]
    for gate, verdict in record["verdicts"].items():
        lines.append(f"  gate {gate}: {verdict}")
    for group in record["groups"]:
        key = ",".join(f"{k}={v}" for k, v in group["grouping"].items())
        lines.append(f"  group {key or '(empty)'}: {len(group['series'])} series")
        for s in group["series"]:
            labels = ",".join(f"{k}={v}" for k, v in s["labels"].items())
            lines.append(f"    {s['name']}{{{labels}}} {fmt_value(s['value'])}")
    for error in record["errors"]:
        lines.append(f"  error: {error}")
    return "\n".join(lines)
