"""Verify Sigstore bundles (signed files or DSSE attestations) against an identity policy.

Each constraint (issuer, identity, repository, ref, workflow, sha, trigger, predicate type,
digest, subject) is one check, so a rejection names what failed; any failure is FAIL (exit 2).
A malformed or truncated bundle is an input error (exit 1). `--offline` verifies against the
trust root sigstore-python ships; without it, a refresh that fails falls back to it.
"""

from __future__ import annotations

import argparse
import os

from gates.errors import InputError, UsageError
from gates.result import Verdict
from gates.timeutil import format_timestamp
from lumen.app.signing import POLICY_KEYS, VerifySettings, verify_files
from lumen.commands.common import add_common, now_of, state_of
from lumen.commands.sigstore_common import add_instance_options, settings
from lumen.fileio import write_json
from lumen.outputs import JSON, Output, verdict_output
from lumen.report import emit

CONFIG_KEYS = (*POLICY_KEYS, "predicate-type", "gate", "trust-config", "staging", "offline")


# The step outputs this command writes in Actions (and its action.yml declares).
OUTPUTS = (
    verdict_output(),
    Output("identity", "the verified signing identity"),
    Output("issuer", "the OIDC issuer of that identity"),
    JSON,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bundle", metavar="B", help="bundle (default FILE.sigstore.json)")
    who = parser.add_argument_group("identity policy (who must have signed)")
    who.add_argument("--repository", metavar="OWNER/REPO", help="GitHub repository that signed")
    who.add_argument(
        "--ref",
        metavar="REF",
        help="git ref; a short ref (v1.2.0, main) matches refs/tags/… or refs/heads/…",
    )
    who.add_argument("--workflow", metavar="NAME", help="workflow name (the workflow's `name:`)")
    who.add_argument("--sha", metavar="SHA", help="commit the workflow ran on")
    who.add_argument("--trigger", metavar="EVENT", help="event that triggered the workflow")
    who.add_argument("--identity", metavar="ID", help="certificate identity (SAN)")
    who.add_argument(
        "--issuer", metavar="URL", help="OIDC issuer (default with --repository: GitHub Actions)"
    )
    parser.add_argument(
        "--predicate-type", metavar="URI", help="required predicate type of a DSSE attestation"
    )
    parser.add_argument(
        "--statement-out",
        metavar="PATH",
        help="write the verified in-toto statement of an attestation here (only if it passes)",
    )
    parser.add_argument(
        "--gate",
        metavar="NAME",
        help="gate a gate-result attestation must be from (its verdict must be PASS or WARN)",
    )
    add_instance_options(parser, offline=True)
    parser.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="signed file(s), or the attestation's subject (optional for a DSSE bundle)",
    )
    add_common(parser, gate=True)


def _bundle_for(file: str) -> str:
    for candidate in (f"{file}.sigstore.json", f"{file}.sigstore"):
        if os.path.isfile(candidate):
            return candidate
    raise InputError(
        "no bundle found next to it",
        file=file,
        expected=f"{file}.sigstore.json, or --bundle PATH",
    )


def pairs(args: argparse.Namespace) -> list[tuple[str | None, str]]:
    """(file or None, bundle) to verify."""
    if args.bundle:
        if len(args.files) > 1:
            raise UsageError("--bundle goes with one FILE; without it each FILE's bundle is used")
        return [(args.files[0] if args.files else None, args.bundle)]
    if not args.files:
        raise UsageError("name the FILE to verify (or --bundle for an attestation)")
    return [(file, _bundle_for(file)) for file in args.files]


def run(args: argparse.Namespace) -> int:
    conf = settings(args, "verify", CONFIG_KEYS)
    todo = pairs(args)
    if args.statement_out and len(todo) != 1:
        raise UsageError("--statement-out goes with one attestation (--bundle B)")
    result = verify_files(
        todo, VerifySettings.from_settings(conf), generated_at=format_timestamp(now_of(args))
    )
    verified = [dict(entry) for entry in result.values.get("verified") or [{}]]
    statement = verified[0].pop("statement", None)
    for entry in verified[1:]:
        entry.pop("statement", None)
    result.values = {**result.values, "verified": verified}
    if args.statement_out:
        if statement is None:
            raise InputError("the bundle signs a file, not a statement", file=todo[0][1])
        # Only evidence that passed is handed on: a rejected statement is not written.
        if result.verdict is not Verdict.FAIL:
            write_json(args.statement_out, statement)
    return emit(
        result,
        args,
        OUTPUTS,
        {"identity": verified[0].get("identity"), "issuer": verified[0].get("issuer")},
        state=state_of(args),
    )
