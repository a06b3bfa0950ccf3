"""Policy use case (docs/reference.md#policy): PromQL rule packs against Prometheus, Rego over
documents (conftest conventions) and schema rules, in one list of checks."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gates.errors import ConfigError, SourceError, UsageError
from gates.result import Check, GateResult, Verdict

# The `kind` of a check for a document the Rego engine died on (exit 1 after the report).
ENGINE_CRASH = "engine-crash"

if TYPE_CHECKING:
    from gates.policy import Finding
    from lumen.adapters.compare_metrics import CompareRun
    from lumen.adapters.prometheus import PrometheusConnection
    from lumen.adapters.rego import RegoPolicies
    from lumen.settings import PolicySettings


def rego_folders(values: tuple[str, ...]) -> list[str]:
    """Folders as given; a bare name of a shipped pack (`kubernetes`) is that pack."""
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
    settings: PolicySettings,
    connection: PrometheusConnection | None,
    env: str | None,
    *,
    now: datetime | None = None,
    metrics_at: datetime | None = None,
) -> tuple[list[Check], dict[str, Any]]:
    """The packs' metric rules, each query evaluated at `metrics_at` (a pinned `--now`) or,
    when None, at Prometheus's present; then the compare rules, whose windows end at `now`."""
    from lumen.adapters import metric_packs
    from lumen.adapters.policy_metrics import evaluate

    rules = []
    for pack in settings.packs:
        rules.extend(metric_packs.load_pack(pack, env=env, variables=dict(settings.variables)))
    if settings.on_no_data is not None:
        # --on-no-data (or `policy: on-no-data:`) is the user's choice for this run and
        # overrides what each rule of the packs says.
        rules = [replace(r, on_no_data=settings.on_no_data) for r in rules]
    if connection is None:
        raise UsageError("metric rules need Prometheus: pass --prometheus URL")
    outcomes = evaluate(connection, rules, parallel=settings.parallel, at=metrics_at)
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
    inputs: dict[str, Any] = {
        "packs": list(settings.packs),
        "prometheus": connection.url,
        "rules": len(rules),
    }
    comparisons = run_comparisons(settings, connection, env, now=now)
    if comparisons is not None:
        checks += comparisons.checks
        inputs["comparisons"] = len(comparisons.series) + sum(
            1 for c in comparisons.checks if c.extra.get("classification") == "Error"
        )
        inputs["compare_series"] = {
            rule: {side: [list(p) for p in series.points] for side, series in sides.items()}
            for rule, sides in comparisons.series.items()
        }
    return checks, inputs


def run_comparisons(
    settings: PolicySettings,
    connection: PrometheusConnection,
    env: str | None,
    *,
    now: datetime | None,
) -> CompareRun | None:
    """The packs' `kind: compare` rules, canary against baseline; None when there are none."""
    from gates.timeutil import utcnow
    from lumen.adapters import metric_packs
    from lumen.adapters.compare_metrics import run_comparisons as run

    rules = []
    score = None
    for pack in settings.packs:
        pack_rules, pack_score = metric_packs.load_compare_rules(
            pack, base=settings.compare, env=env, variables=dict(settings.variables)
        )
        rules += pack_rules
        score = score or pack_score
    if not rules or score is None:
        return None
    if settings.on_no_data is not None:
        rules = [replace(r, on_no_data=settings.on_no_data) for r in rules]
        score = replace(score, on_no_data=settings.on_no_data)
    return run(rules, connection, now=now or utcnow(), score=score)


def conftest_tally(
    policies: RegoPolicies, seen: list[tuple[str, int]], findings: list[Finding]
) -> str:
    """conftest's summary line: per document judged, each rule of each queried package counts
    one test per definition (body) it has, or one per message when it gave more; a rule that
    gave nothing passed; an excepted rule is one exception."""
    per_rule: dict[tuple[str, int, str, str], list[Finding]] = {}
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
                    heads = policies.definitions.get(ns)
                    bodies = 1 if heads is None else heads.get(rule, 1)
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


def run_documents(settings: PolicySettings, files: list[str]) -> tuple[list[Check], dict[str, Any]]:
    from gates.policy import COMBINED, judge_documents
    from lumen.adapters.documents import expand, iter_parsed, parse
    from lumen.adapters.rego import RegoPolicies, findings_for, findings_of_files, load_modules

    parser = settings.parser
    folders = policy_folders(settings)
    data = data_documents(settings)
    policies = RegoPolicies(
        load_modules(folders),
        namespaces=None if settings.namespaces is None else list(settings.namespaces),
        all_namespaces=settings.all_namespaces,
        data=data,
        allow=settings.rego_allow,
        ignore_missing_namespace=settings.ignore_missing_namespace,
    )
    seen: list[tuple[str, int]] = []
    findings = []
    read: list[str] = []
    with policies:
        if settings.combine:
            # conftest --combine: one input listing every document of every file, for rules
            # that relate files (a Service must select some Deployment); a multi-document
            # file gives one entry per document, all with its path, as in conftest.
            combined: list[dict[str, Any]] = []
            for path in expand(files, every_format=True):
                parsed = parse(path, parser, split=True)
                read.append(parsed.file)
                combined.extend({"path": parsed.file, "contents": d} for _, d in parsed.documents)
            combined.sort(key=lambda entry: str(entry["path"]))  # conftest sorts by path
            findings.extend(findings_for(policies, COMBINED, [(None, combined)]))
            if not policies.crashes:
                seen.append((COMBINED, 1))
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
    checks = judge_documents(seen, findings, fail_on_warn=settings.fail_on_warn)
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
        "rewrites": policies.rewrites,
        "rego": folders,
        "namespaces": list(policies.rules),
        "files": read,
        "engine": "regorus (worker process)",
    }
    return checks, inputs


def policy_folders(settings: PolicySettings) -> list[str]:
    folders = rego_folders(settings.rego)
    if not folders:
        if not Path("policy").is_dir():
            raise UsageError(
                "Rego needs policies: pass --rego DIR (conftest's default ./policy is missing)"
            )
        folders = ["policy"]
    return folders


def data_documents(settings: PolicySettings) -> list[dict[str, Any]]:
    """The `--data` files' documents, loaded as Rego `data` (each a mapping)."""
    from lumen.adapters.documents import iter_parsed

    data: list[dict[str, Any]] = []
    for path in settings.data:
        for parsed in iter_parsed([path]):
            for _, document in parsed.documents:
                if not isinstance(document, dict):
                    raise ConfigError("Rego data must be a mapping", file=parsed.file)
                data.append(document)
    return data


def verify(settings: PolicySettings, *, generated_at: str) -> GateResult:
    """The policies' `test_` rules run as `conftest verify` runs them: one check per test."""
    from lumen.adapters.rego import load_modules, run_unit_tests

    folders = policy_folders(settings)
    outcomes = run_unit_tests(
        load_modules(folders, tests=True),
        data=data_documents(settings),
        allow=settings.rego_allow,
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
    return GateResult(
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


def has_rules(settings: PolicySettings) -> bool:
    """Rules a run without documents can judge: metric packs or schema rules."""
    return bool(settings.packs or settings.schemas)


def evaluate(
    settings: PolicySettings,
    *,
    connection: PrometheusConnection | None,
    env: str | None,
    files: list[str],
    now: datetime | None = None,
    metrics_at: datetime | None = None,
) -> tuple[list[Check], dict[str, Any]]:
    """The policy gate's checks: metric packs (against `connection`; at `metrics_at`, a pinned
    `--now`, when given), Rego over `files`, schema rules. `lumen policy` and the loop sampler
    both use it."""
    checks: list[Check] = []
    inputs: dict[str, Any] = {}
    if settings.packs:
        metric_checks, metric_inputs = run_metrics(
            settings, connection, env, now=now, metrics_at=metrics_at
        )
        checks += metric_checks
        inputs["metrics"] = metric_inputs
    if files:
        document_checks, document_inputs = run_documents(settings, files)
        checks += document_checks
        inputs["documents"] = document_inputs
    if settings.schemas:
        from lumen.adapters.schema_rules import split_rule, validate_files

        pairs = [split_rule(value) for value in settings.schemas]
        for schema, target in pairs:
            checks += validate_files(schema, [target], limit=settings.max_errors)
        inputs["schemas"] = [f"{s}={f}" for s, f in pairs]
    return checks, inputs
