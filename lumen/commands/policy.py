"""Policy gate: PromQL rule packs, Rego document policies and schema rules
(docs/reference.md#policy).

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
from typing import TYPE_CHECKING

from gates.errors import SourceError, UsageError
from gates.result import GateResult, Verdict, decide
from gates.timeutil import format_timestamp
from lumen.adapters.documents import PARSERS
from lumen.adapters.prometheus import add_connection_arguments
from lumen.commands.common import add_common, connection_of, now_of, scope_of, settings_of, state_of
from lumen.commands.gate_options import add_pack_arguments, add_schema_argument, policy_rule_flags
from lumen.outputs import GATE, Output
from lumen.settings import default_of

if TYPE_CHECKING:
    from lumen.settings import PolicySettings

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
        help=f"queries in flight at once ({default_of('policy', 'parallel')})",
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
        help=f"schema errors kept per file ({default_of('policy', 'max-errors')})",
    )
    parser.add_argument(
        "--sarif", metavar="PATH", help="write document findings as SARIF 2.1.0 (code scanning)"
    )
    parser.add_argument("files", nargs="*", metavar="FILE", help="documents to check with Rego")
    add_common(parser, gate=True)


def flags(args: argparse.Namespace) -> dict[str, object]:
    return {
        **policy_rule_flags(args),
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
        "max-errors": args.max_errors,
        "on-no-data": args.on_no_data,
    }


def run_verify(args: argparse.Namespace, settings: PolicySettings, generated_at: str) -> int:
    """`lumen policy verify --rego DIR`: the policies' `test_` rules, as `conftest verify`."""
    from lumen.app.policy import verify
    from lumen.report import emit

    result = verify(settings, generated_at=generated_at)
    values = result.values
    code = emit(
        result,
        args,
        OUTPUTS,
        {"failed": values["failed"], "warned": 0, "sarif": ""},
        state=state_of(args),
    )
    if not getattr(args, "quiet", False):
        print(values["summary"])
    return code


def run(args: argparse.Namespace) -> int:
    from gates.policy import summarize
    from lumen.app import policy as app
    from lumen.report import emit

    settings = settings_of(args, {"policy": flags(args)})
    scope = scope_of(args)
    env = scope.env
    resolved = settings.policy(scope)
    now = now_of(args)
    files = list(args.files or [])
    if files[:1] == ["verify"] and not Path("verify").exists():
        return run_verify(args, resolved, format_timestamp(now))
    if not (app.has_rules(resolved) or files):
        raise UsageError(
            "nothing to check: give --pack (metric rules), FILEs with --rego (documents)"
            " or --schema SCHEMA=FILE"
        )
    if not files and resolved.rego and args.rego:
        raise UsageError("--rego needs FILEs to check")
    connection = connection_of(args, settings, scope) if args.prometheus else None
    # A pinned --now pins the metric rules' query time too (a reproducible run); otherwise each
    # measurement asks about Prometheus's present, `interval` apart.
    checks, inputs = app.evaluate(
        resolved,
        connection=connection,
        env=env,
        files=files,
        now=now,
        metrics_at=now if args.now else None,
    )
    crashed = [c for c in checks if c.extra.get("kind") == app.ENGINE_CRASH]
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
        state=state_of(args),
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
