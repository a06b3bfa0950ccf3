"""Verify Sigstore bundles (signed files or DSSE attestations) against an identity policy.

Each constraint (issuer, identity, repository, ref, workflow, sha, trigger, predicate type,
digest, subject) is one check, so a rejection names what failed; any failure is FAIL (exit 2).
A malformed or truncated bundle is an input error (exit 1). `--offline` verifies against the
trust root sigstore-python ships; without it, a refresh that fails falls back to it.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from gates.errors import InputError, UsageError
from gates.result import Check, Verdict
from gates.timeutil import format_timestamp
from lumen.commands.common import add_common, now_of
from lumen.commands.sigstore_common import add_instance_options, load_instance, settings
from lumen.report import emit
from release import verification as policy_rules

POLICY_KEYS = ("repository", "ref", "workflow", "sha", "trigger", "identity", "issuer")
CONFIG_KEYS = (*POLICY_KEYS, "predicate-type", "trust-config", "staging", "offline")


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
    wanted = policy_rules.IdentityPolicy(**{key: conf.get(key) for key in POLICY_KEYS}).validate()
    todo = pairs(args)
    for file, _ in todo:
        if file is not None and not os.path.isfile(file):
            raise InputError("not a file", file=file, field="FILE")

    from lumen.adapters import sigstore as adapter

    config = load_instance(conf, offline=bool(conf.get("offline")))
    verifier = adapter.verifier_for(config)
    expected_type = conf.get("predicate-type")
    wanted_constraints = policy_rules.constraints(wanted)

    checks: list[Check] = []
    verified: list[dict[str, Any]] = []
    for file, bundle in todo:
        prefix = f"{file}: " if len(todo) > 1 else ""
        outcome = adapter.verify_bundle(verifier, bundle, wanted, artifact=file)
        entry: dict[str, Any] = {
            "file": file,
            "bundle": bundle,
            "kind": outcome.kind,
            "identity": outcome.claims.get("identity"),
            "issuer": outcome.claims.get("issuer"),
        }
        file_checks: list[Check] = []
        if file is not None:
            entry["sha256"] = adapter.sha256_file(file)
        if outcome.kind == "artifact" and file is not None:
            file_checks.append(
                policy_rules.digest_check(entry["sha256"], outcome.signed_digest, prefix=prefix)
            )
        proof = policy_rules.signature_check(outcome.error, prefix=prefix)
        # The digest check already says "digest" when that is what the proof tripped over.
        if not any(c.name == proof.name and c.verdict is Verdict.FAIL for c in file_checks):
            file_checks.append(proof)
        identity = policy_rules.identity_checks(wanted_constraints, outcome.claims, prefix=prefix)
        file_checks += identity
        if outcome.policy_error and all(c.verdict is Verdict.PASS for c in identity):
            # sigstore-python's own policy is the final word; it should never disagree.
            file_checks.append(
                Check(prefix + "policy", False, "==", True, Verdict.FAIL, outcome.policy_error)
            )
        if outcome.kind == "dsse" and outcome.payload is not None:
            statement = policy_rules.parse_statement(outcome.payload, source=bundle)
            entry["predicate_type"] = statement.get("predicateType")
            entry["subjects"] = statement.get("subject")
            file_checks.append(
                policy_rules.predicate_type_check(
                    statement.get("predicateType"), expected_type, prefix=prefix
                )
            )
            if file is not None:
                file_checks.append(
                    policy_rules.subject_check(statement, entry["sha256"], prefix=prefix)
                )
        elif outcome.kind == "artifact" and expected_type:
            file_checks.append(
                policy_rules.predicate_type_check(None, expected_type, prefix=prefix)
            )
        checks += file_checks
        verified.append(entry)

    trust = conf.get("trust-config") or ("staging" if conf.get("staging") else "production")
    result = policy_rules.verification_result(
        checks,
        inputs={
            "bundles": [bundle for _, bundle in todo],
            "files": [file for file, _ in todo if file],
            "trust-root": trust + (" (offline)" if conf.get("offline") else ""),
            "policy": {key: conf.get(key) for key in POLICY_KEYS if conf.get(key)},
        },
        generated_at=format_timestamp(now_of(args)),
        values={"verified": verified},
    )
    first = verified[0] if verified else {}
    return emit(
        result,
        args,
        outputs={"identity": first.get("identity"), "issuer": first.get("issuer")},
    )
