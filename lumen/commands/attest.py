"""Sign DSSE in-toto attestations with Sigstore: SLSA provenance, SBOM, gate result, or any.

Each kind becomes one statement about the SUBJECT files (by SHA-256), signed as a DSSE envelope
and written as `<first subject>.<kind>.sigstore.json` (or `--output`). Provenance describes the
GitHub Actions run from the runner's `GITHUB_*` variables.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from gates.errors import InputError, UsageError
from gates.timeutil import format_timestamp
from lumen import actions_runtime as gha
from lumen.commands.common import add_common, now_of
from lumen.commands.sign import (
    add_instance_options,
    add_token_option,
    expand_files,
    load_instance,
    settings,
)
from lumen.fileio import write_json
from release import attest


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "subjects", nargs="*", metavar="SUBJECT", help="files the statements are about"
    )
    kinds = parser.add_argument_group("what to attest (one or more)")
    kinds.add_argument("--predicate-type", metavar="URI", help="predicate type URI of --predicate")
    kinds.add_argument("--predicate", metavar="FILE", help="predicate JSON (with --predicate-type)")
    kinds.add_argument(
        "--provenance",
        action="store_true",
        help="SLSA provenance v1 of this GitHub Actions run (https://slsa.dev/provenance/v1)",
    )
    kinds.add_argument(
        "--sbom", metavar="FILE", help="a CycloneDX JSON SBOM (https://cyclonedx.org/bom)"
    )
    kinds.add_argument(
        "--gate-result",
        metavar="FILE",
        help="a lumen gate's --json result (https://lumen-ci.dev/gate-result/v1)",
    )
    parser.add_argument(
        "--output", metavar="PATH", help="bundle path (only when attesting a single kind)"
    )
    add_token_option(parser)
    add_instance_options(parser, offline=False)
    add_common(parser, gate=False)


def _read_json(path: str, flag: str) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=path, field=flag) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not JSON: {exc.msg}", file=path, line=exc.lineno, expected="a JSON object"
        ) from None


def statements(
    args: argparse.Namespace, subjects: list[attest.Subject]
) -> list[tuple[str, dict[str, Any]]]:
    """(kind, statement) for every kind asked for, built before any signing happens."""
    out: list[tuple[str, dict[str, Any]]] = []
    if args.predicate_type or args.predicate:
        if not (args.predicate_type and args.predicate):
            raise UsageError("--predicate-type and --predicate go together")
        predicate = attest.predicate_object(
            _read_json(args.predicate, "--predicate"), source=args.predicate
        )
        out.append(("intoto", attest.statement(subjects, args.predicate_type, predicate)))
    if args.provenance:
        predicate = attest.github_provenance(os.environ, started_on=now_of(args))
        out.append(("provenance", attest.statement(subjects, attest.SLSA_PROVENANCE_V1, predicate)))
    if args.sbom:
        predicate = attest.sbom_predicate(_read_json(args.sbom, "--sbom"), source=args.sbom)
        out.append(("sbom", attest.statement(subjects, attest.CYCLONEDX_BOM, predicate)))
    if args.gate_result:
        predicate = attest.gate_result_predicate(
            _read_json(args.gate_result, "--gate-result"), source=args.gate_result
        )
        out.append(("gate-result", attest.statement(subjects, attest.GATE_RESULT_V1, predicate)))
    if not out:
        raise UsageError(
            "say what to attest: --provenance, --sbom FILE, --gate-result FILE or "
            "--predicate-type URI --predicate FILE"
        )
    if args.output and len(out) > 1:
        raise UsageError("--output names one bundle; attest one kind at a time to use it")
    return out


def run(args: argparse.Namespace) -> int:
    conf = settings(args, "sign", ("trust-config", "staging"))
    if not args.subjects:
        raise UsageError("name at least one SUBJECT file the attestation is about")
    files = expand_files(args.subjects, what="SUBJECT")

    from lumen.adapters.sigstore import identity_token, sha256_file, signing_session

    subjects = [
        attest.Subject(name=os.path.basename(file), digest={"sha256": sha256_file(file)})
        for file in files
    ]
    todo = statements(args, subjects)
    token = identity_token(args.identity_token)
    config = load_instance(conf)
    written: list[dict[str, str]] = []
    with signing_session(config, token) as session:
        for kind, statement in todo:
            target = Path(args.output or f"{files[0]}.{kind}.sigstore.json")
            session.sign_statement(statement, target)
            written.append(
                {"kind": kind, "predicate_type": statement["predicateType"], "bundle": str(target)}
            )
            if not args.quiet:
                print(f"attested {kind} ({statement['predicateType']}) -> {target}")
    if args.json:
        write_json(
            args.json,
            {
                "identity": token.identity,
                "issuer": token.issuer,
                "subjects": [s.to_dict() for s in subjects],
                "attestations": written,
                "generated_at": format_timestamp(now_of(args)),
            },
        )
    if gha.in_actions():
        gha.set_output("bundles", "\n".join(item["bundle"] for item in written))
    return 0
