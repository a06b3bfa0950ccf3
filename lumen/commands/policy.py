"""Policy gate: PromQL rule packs, Rego document policies and schema rules (spec §6).

    lumen policy --pack canary --prometheus URL [--env prod] [--var selector='job="api"']
    lumen policy --rego policy/ [--namespace NS] FILE...
    lumen policy --schema loop-event=events.jsonl

All three kinds can run in one call and share one result (table, --json, --junit, --sarif).
Settings resolve flag > env×service > env > `policy:` in the config; the Prometheus
connection comes from flags or the config's `prometheus:` section.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from gates.errors import ConfigError, SourceError, UsageError
from gates.result import Check, GateResult, OnNoData, Verdict, decide
from gates.timeutil import format_timestamp
from lumen.adapters.documents import PARSERS
from lumen.adapters.prometheus import add_connection_arguments
from lumen.commands.common import add_common, config_of, env_service, now_of
from lumen.outputs import GATE, Output

DEFAULT_MAX_ERRORS = 10
DEFAULT_PARALLEL = 8
# The `kind` of a check for a document the Rego engine died on (exit 1 after the report).
ENGINE_CRASH = "engine-crash"


def add_pack_arguments(group: Any) -> None:
    """`--pack` and `--var` (config `policy: pack, var`): `lumen policy` and `lumen sample`."""
    group.add_argument(
        "--pack",
        action="append",
        metavar="PATH",
        help="metric rule pack: a YAML file or a shipped pack name"
        " (canary, rmb, slo-burn, pipeline, m-score); repeatable",
    )
    group.add_argument(
        "--var",
        action="append",
        metavar="NAME=VALUE",
        help="value for a ${NAME} placeholder in the packs' queries (repeatable)",
    )


def add_schema_argument(group: Any) -> None:
    """`--schema` (config `policy: schema`): `lumen policy` and `lumen sample`."""
    group.add_argument(
        "--schema",
        action="append",
        metavar="SCHEMA=FILE",
        help="validate FILE (YAML, JSON or JSONL; a folder: every such file in it) against"
        " a shipped schema (loop-event, deploy-event, lumen-config, ...) or a schema file",
    )


# The step outputs this command writes in Actions (and its action.yml declares).
OUTPUTS = (
    *GATE,
    Output("failed", "number of failing rules"),
    Output("warned", "number of warning rules"),
    Output("sarif", "path of the SARIF file, when the sarif input names one"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    metrics = parser.add_argument_group("metric rules (PromQL packs)")
    add_pack_arguments(metrics)
    metrics.add_argument(
        "--parallel",
        type=int,
        metavar="N",
        help=f"queries in flight at once (default {DEFAULT_PARALLEL})",
    )
    add_connection_arguments(parser)
    documents = parser.add_argument_group("document rules (Rego, conftest conventions)")
    documents.add_argument(
        "--rego",
        action="append",
        metavar="DIR",
        help="Rego policy folder or file, or `kubernetes` for the shipped pack (repeatable;"
        " default ./policy when FILEs are given)",
    )
    documents.add_argument(
        "--namespace",
        action="append",
        metavar="NS",
        help="Rego package (default main); `*` and `?` wildcards match several",
    )
    documents.add_argument(
        "--all-namespaces", action="store_true", default=None, help="every package of the policies"
    )
    documents.add_argument(
        "--ignore-missing-namespace",
        action="store_true",
        default=None,
        help="a --namespace no package matches passes, as in conftest, instead of an error",
    )
    documents.add_argument(
        "--parser",
        choices=PARSERS,
        metavar="NAME",
        help="parse every FILE with this parser instead of choosing by its name (conftest"
        f" --parser): {', '.join(PARSERS)}",
    )
    documents.add_argument(
        "--rego-allow",
        action="append",
        metavar="NAME",
        help="evaluate this built-in or construct although it fails OPA compliance cases"
        " (docs/policy-conformance.md; repeatable)",
    )

    documents.add_argument(
        "--data", action="append", metavar="PATH", help="JSON/YAML file loaded as Rego `data`"
    )
    documents.add_argument(
        "--fail-on-warn", action="store_true", default=None, help="warn findings FAIL the gate"
    )
    documents.add_argument(
        "--combine",
        action="store_true",
        default=None,
        help="one query over every file at once: `input` is a list of {path, contents}",
    )
    schemas = parser.add_argument_group("schema rules")
    add_schema_argument(schemas)
    schemas.add_argument(
        "--max-errors",
        type=int,
        metavar="N",
        help=f"schema errors kept per file (default {DEFAULT_MAX_ERRORS})",
    )
    parser.add_argument(
        "--sarif", metavar="PATH", help="write document findings as SARIF 2.1.0 (code scanning)"
    )
    parser.add_argument("files", nargs="*", metavar="FILE", help="documents to check with Rego")
    add_common(parser, gate=True)


def _flags(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "pack": args.pack,
        "var": args.var,
        "parallel": args.parallel,
        "rego": args.rego,
        "namespace": args.namespace,
        "all-namespaces": args.all_namespaces,
        "ignore-missing-namespace": args.ignore_missing_namespace,
        "rego-allow": args.rego_allow,
        "parser": args.parser,
        "data": args.data,
        "fail-on-warn": args.fail_on_warn,
        "combine": args.combine,
        "schema": args.schema,
        "max-errors": args.max_errors,
        "on-no-data": args.on_no_data,
    }


def _rego_folders(values: list[str]) -> list[str]:
    from lumen.resources import policy_path

    out = []
    for value in values:
        shipped = policy_path("rego", value)
        if not Path(value).exists() and "/" not in value and shipped.is_dir():
            out.append(str(shipped))
        else:
            out.append(value)
    return out


def run_metrics(
    args: argparse.Namespace, settings: dict[str, Any], env: str | None
) -> tuple[list[Check], dict[str, Any]]:
    from dataclasses import replace

    from lumen.adapters import metric_packs
    from lumen.adapters.policy_metrics import evaluate
    from lumen.adapters.prometheus import PrometheusConnection

    variables = metric_packs.parse_vars(settings.get("var"))
    rules = []
    for pack in settings["pack"]:
        rules.extend(metric_packs.load_pack(pack, env=env, variables=variables))
    if settings.get("on-no-data"):
        # --on-no-data (or `policy: on-no-data:`) is the user's choice for this run and
        # overrides what each rule of the packs says.
        rules = [replace(r, on_no_data=OnNoData(settings["on-no-data"])) for r in rules]
    if not getattr(args, "prometheus", None):
        raise UsageError("metric rules need Prometheus: pass --prometheus URL")
    connection = PrometheusConnection.from_args(args)
    outcomes = evaluate(
        connection, rules, parallel=int(settings.get("parallel") or DEFAULT_PARALLEL)
    )
    failed = [o for o in outcomes if o.error is not None]
    if failed:
        first = failed[0]
        more = f" ({len(failed) - 1} more rule(s) failed the same way)" if len(failed) > 1 else ""
        raise SourceError(
            f"rule {first.error}{more} [Prometheus {connection.url}]",
            file=first.rule.file,
            line=first.rule.line,
            hint="set `on-error: warn` or `pass` on the rule to judge without it",
        )
    checks = [c for o in outcomes for c in o.checks]
    inputs = {"packs": list(settings["pack"]), "prometheus": connection.url, "rules": len(rules)}
    return checks, inputs


def conftest_tally(policies: Any, seen: list[tuple[str, int]], findings: list[Any]) -> str:
    """conftest's summary line: per document judged, each rule of each queried package counts
    one test per definition (body) it has, or one per message when it gave more; a rule that
    gave nothing passed; an excepted rule is one exception."""
    per_rule: dict[tuple[str, int, str, str], list[Any]] = {}
    for finding in findings:
        key = (finding.file, finding.document, finding.namespace, finding.rule)
        per_rule.setdefault(key, []).append(finding)
    passed = warnings = failures = exceptions = 0
    for file, documents in seen:
        for document in range(documents):
            for ns, rules in policies.rules.items():
                for rule in rules:
                    if rule == "exception":
                        continue
                    bodies = policies.definitions.get(ns, {}).get(rule, 1)
                    found = per_rule.get((file, document, ns, rule), [])
                    if any(f.excepted for f in found):
                        exceptions += 1
                        passed += max(bodies - 1, 0)
                    elif found:
                        if found[0].kind.value == "warn":
                            warnings += len(found)
                        else:
                            failures += len(found)
                        passed += max(bodies - len(found), 0)
                    else:
                        passed += bodies
    tests = passed + warnings + failures + exceptions

    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    return (
        f"{plural(tests, 'test')}, {passed} passed, {plural(warnings, 'warning')},"
        f" {plural(failures, 'failure')}, {plural(exceptions, 'exception')}"
    )


def run_documents(settings: dict[str, Any], files: list[str]) -> tuple[list[Check], dict[str, Any]]:
    from gates.policy import COMBINED, judge_documents
    from lumen.adapters.documents import expand, iter_parsed, parse
    from lumen.adapters.rego import RegoPolicies, findings_for, findings_of_files, load_modules

    parser = settings.get("parser")

    folders = _policy_folders(settings)
    data = _data_documents(settings)
    policies = RegoPolicies(
        load_modules(folders),
        namespaces=settings.get("namespace"),
        all_namespaces=bool(settings.get("all-namespaces")),
        data=data,
        allow=settings.get("rego-allow") or (),
        ignore_missing_namespace=bool(settings.get("ignore-missing-namespace")),
    )
    seen: list[tuple[str, int]] = []
    findings = []
    read: list[str] = []
    with policies:
        if settings.get("combine"):
            # conftest --combine: one input listing every file, for rules that relate files (a
            # Service must select some Deployment). A multi-document file's contents is the list.
            combined = []
            for path in expand(files, every_format=True):
                parsed = parse(path, parser, split=True)
                read.append(parsed.file)
                documents = [document for _, document in parsed.documents]
                contents = documents[0] if len(documents) == 1 else documents
                combined.append({"path": parsed.file, "contents": contents})
            findings.extend(findings_for(policies, COMBINED, [(None, combined)]))
            if not policies.crashes:
                seen.append((COMBINED, len(combined)))
        else:
            # File by file (a thousand manifests never sit in memory together), the next
            # file parsed while the engine's worker judges the previous one.
            parsed_files = iter_parsed(files, parser, split=True)
            for parsed, found in findings_of_files(policies, parsed_files):
                read.append(parsed.file)
                findings.extend(found)
                crashed = sum(1 for c in policies.crashes if c.file == parsed.file)
                judged = len(parsed.documents) - crashed
                if judged or not crashed:
                    seen.append((parsed.file, judged))
    checks = judge_documents(seen, findings, fail_on_warn=bool(settings.get("fail-on-warn")))
    # A document the engine died on was not judged: a NO_DATA check that says so, and the
    # command exits 1 after reporting the documents that were judged.
    for crash in policies.crashes:
        checks.append(
            Check(
                f"rego {crash.file}",
                None,
                "",
                None,
                Verdict.NO_DATA,
                crash.message(),
                extra={"kind": ENGINE_CRASH, "file": crash.file, "document": crash.document},
            )
        )
    tally = conftest_tally(policies, seen, findings)
    inputs = {
        "conftest": tally,
        "rego": folders,
        "namespaces": list(policies.rules),
        "files": read,
        "engine": "regorus (worker process)",
    }
    return checks, inputs


def evaluate(
    args: argparse.Namespace, settings: dict[str, Any], env: str | None, files: list[str]
) -> tuple[list[Check], dict[str, Any]]:
    """The policy gate's checks for resolved `policy:` settings: metric packs (Prometheus from
    `args`), Rego over `files`, schema rules. `lumen policy` and the loop sampler both use it."""
    checks: list[Check] = []
    inputs: dict[str, Any] = {}
    if settings.get("pack"):
        metric_checks, metric_inputs = run_metrics(args, settings, env)
        checks += metric_checks
        inputs["metrics"] = metric_inputs
    if files:
        document_checks, document_inputs = run_documents(settings, files)
        checks += document_checks
        inputs["documents"] = document_inputs
    if settings.get("schema"):
        from lumen.adapters.schema_rules import split_rule, validate_files

        limit = int(settings.get("max-errors") or DEFAULT_MAX_ERRORS)
        pairs = [split_rule(value) for value in settings["schema"]]
        for schema, target in pairs:
            checks += validate_files(schema, [target], limit=limit)
        inputs["schemas"] = [f"{s}={f}" for s, f in pairs]
    return checks, inputs


def _policy_folders(settings: dict[str, Any]) -> list[str]:
    folders = _rego_folders(list(settings.get("rego") or []))
    if not folders:
        if not Path("policy").is_dir():
            raise UsageError(
                "Rego needs policies: pass --rego DIR (conftest's default ./policy is missing)"
            )
        folders = ["policy"]
    return folders


def _data_documents(settings: dict[str, Any]) -> list[Any]:
    from lumen.adapters.documents import iter_parsed

    data = []
    for path in settings.get("data") or []:
        for parsed in iter_parsed([path]):
            for _, document in parsed.documents:
                if not isinstance(document, dict):
                    raise ConfigError("Rego data must be a mapping", file=parsed.file)
                data.append(document)
    return data


def run_verify(args: argparse.Namespace, settings: dict[str, Any], generated_at: str) -> int:
    """`lumen policy verify --rego DIR`: the policies' `test_` rules, as `conftest verify`."""
    from lumen.adapters.rego import load_modules, run_unit_tests
    from lumen.report import emit

    folders = _policy_folders(settings)
    outcomes = run_unit_tests(
        load_modules(folders, tests=True),
        data=_data_documents(settings),
        allow=settings.get("rego-allow") or (),
    )
    verdicts = {
        "pass": Verdict.PASS,
        "fail": Verdict.FAIL,
        "error": Verdict.FAIL,
        "skip": Verdict.NO_DATA,
    }
    checks = [
        Check(
            f"{o.package}.{o.name} {o.file}:{o.line}",
            None,
            "",
            None,
            verdicts[o.outcome],
            {"pass": "passed", "skip": "skipped (todo_)"}.get(o.outcome, o.message),
            extra={"kind": "rego-test", "file": o.file, "line": o.line, "outcome": o.outcome},
        )
        for o in outcomes
    ]
    counts = {k: sum(1 for o in outcomes if o.outcome == k) for k in verdicts}
    failed = counts["fail"] + counts["error"]
    ran = len(outcomes) - counts["skip"]
    summary = (
        f"{ran} test{'s' if ran != 1 else ''}, {counts['pass']} passed, 0 warnings,"
        f" {failed} failure{'s' if failed != 1 else ''}, 0 exceptions, {counts['skip']} skipped"
    )
    result = GateResult(
        gate="policy",
        verdict=Verdict.FAIL if failed else Verdict.PASS if ran else Verdict.NO_DATA,
        checks=checks,
        inputs={"rego": folders, "mode": "verify"},
        window=None,
        generated_at=generated_at,
        values={
            "tests": ran,
            "passed": counts["pass"],
            "failed": failed,
            "warned": 0,
            "skipped": counts["skip"],
            "summary": summary,
        },
    )
    code = emit(result, args, OUTPUTS, {"failed": failed, "warned": 0, "sarif": ""})
    if not getattr(args, "quiet", False):
        print(summary)
    return code


def run(args: argparse.Namespace) -> int:
    from gates.policy import summarize
    from lumen.report import emit

    env, service = env_service(args)
    settings = config_of(args).resolve("policy", _flags(args), env=env, service=service)
    now = now_of(args)
    files = list(args.files or [])
    if files[:1] == ["verify"] and not Path("verify").exists():
        return run_verify(args, settings, format_timestamp(now))
    if not (settings.get("pack") or files or settings.get("schema")):
        raise UsageError(
            "nothing to check: give --pack (metric rules), FILEs with --rego (documents)"
            " or --schema SCHEMA=FILE"
        )
    if not files and settings.get("rego") and args.rego:
        raise UsageError("--rego needs FILEs to check")
    checks, inputs = evaluate(args, settings, env, files)
    crashed = [c for c in checks if c.extra.get("kind") == ENGINE_CRASH]
    verdict = decide(checks)
    if crashed and verdict is Verdict.PASS:
        verdict = Verdict.NO_DATA  # not every document was judged: never a PASS
    result = GateResult(
        gate="policy",
        verdict=verdict,
        checks=checks,
        inputs=inputs,
        window=None,
        generated_at=format_timestamp(now),
        values={"env": env, **summarize(checks)},
    )
    if args.sarif:
        from lumen import __version__
        from lumen.adapters.sarif import sarif_document
        from lumen.fileio import write_json

        write_json(args.sarif, sarif_document(checks, version=__version__))
    code = emit(
        result,
        args,
        OUTPUTS,
        {
            "failed": result.values["failed"],
            "warned": result.values["warned"],
            "sarif": args.sarif or "",
        },
    )
    tally = inputs.get("documents", {}).get("conftest")
    if tally and not getattr(args, "quiet", False):
        print(tally)
    if crashed:
        more = f" ({len(crashed) - 1} more document(s) too)" if len(crashed) > 1 else ""
        raise SourceError(
            f"{crashed[0].reason}{more}; the other documents were judged (see the report)",
            hint="report the policy and the document to the engine's maintainers",
        )
    return code
