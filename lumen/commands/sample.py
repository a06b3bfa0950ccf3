"""Loop sampler: compute every signal and push it to a Pushgateway (spec §7).

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
import uuid
from typing import Any

from lumen.commands.common import add_common, connection_of, now_of, scope_of, settings_of
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

JOB = "lumen_sampler"


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
    sources.add_argument("--deploys", metavar="PATH", help="deploy events JSONL: ROI/DORA")
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
    sources = app.Sources(
        events=_text(sampler.get("events")),
        deploys=_text(sampler.get("deploys")),
        github=args.github,
        snapshot=_text(sampler.get("snapshot")),
        slo_samples=_text(sampler.get("slo")),
        prometheus=connection,
    )
    try:
        out = app.collect(settings, grouping, sources, now=now)
    finally:
        if connection is not None:
            connection.close()
    return deliver(args, sampler, out, now=format_timestamp(now), started=started)


def _text(value: object) -> str | None:
    return None if not value else str(value)


def deliver(
    args: argparse.Namespace,
    settings: dict[str, Any],
    out: Any,
    *,
    now: str,
    started: float,
) -> int:
    from lumen import actions_runtime as gha
    from lumen.adapters.pushgateway import PushError, Pushgateway
    from lumen.fileio import atomic_write, write_json
    from lumen.sampler import history
    from lumen.sampler.exposition import Series, check_series, render
    from lumen.sampler.spool import Spool, group_id, warn

    run_id = uuid.uuid4().hex
    history_path = str(settings["history"])
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

    gateway = Pushgateway.resolve(args, settings)
    deliveries: dict[str, str] = {}
    push_errors: list[str] = []
    destination: str
    if gateway is not None:
        destination = gateway.url
        if gha.in_actions():
            for secret in gateway.secrets():
                gha.mask(secret)
        spool = Spool(
            str(settings["spool"]),
            int(settings["spool-max-bytes"]),
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
    elif settings.get("textfile"):
        destination = str(settings["textfile"])
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
            sys.stdout.write(render(group.series))
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
    if not getattr(args, "quiet", False) and destination != "stdout":
        print(_summary(record))
    if gha.in_actions():
        from gates.result import worst

        publish(
            OUTPUTS,
            {
                "verdict": worst(out.verdicts.values()).value,
                "status": status,
                "history": history_path,
                "series": str(sum(len(g.series) for g in out.groups)),
            },
            json_path=getattr(args, "json", None),
        )
        gha.add_summary(_markdown(record))
    if out.errors:
        return 1
    if push_errors and str(settings["on-push-error"]) == "fail":
        return 1
    return 0


def _flush_spool(
    spool: Any, gateway: Any, current: set[str], run_id: str, history_path: str
) -> None:
    """Deliver what earlier runs could not: for each spooled group, the newest entry is pushed
    unless this run has values of its own for that group; everything else is superseded."""
    from lumen.adapters.pushgateway import PushError
    from lumen.sampler import history
    from lumen.sampler.spool import warn

    by_group: dict[str, list[Any]] = {}
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
