"""Sign, attest and verify with Sigstore as use cases: the instance to use, the files and
statements to sign, and verification of bundles against an identity policy.

Light on purpose: sigstore itself is imported by the adapter (lumen.adapters.sigstore), only
when something is signed or verified.
"""

from __future__ import annotations

import glob
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from gates.errors import InputError, UsageError
from gates.result import Check, GateResult
from lumen import actions_runtime as gha
from release import attest
from release import verification as policy_rules

_GLOB_CHARS = frozenset("*?[")
# The identity-policy keys of `verify:` (and of `lumen verify`'s flags).
POLICY_KEYS = ("repository", "ref", "workflow", "sha", "trigger", "identity", "issuer")


@dataclass(frozen=True)
class Instance:
    """Which Sigstore instance: a ClientTrustConfig file, staging, or the public-good one;
    `offline` uses the trust root sigstore-python ships without a refresh."""

    trust_config: str | None = None
    staging: bool = False
    offline: bool = False

    @classmethod
    def from_settings(cls, conf: Mapping[str, Any], *, offline: bool = False) -> Instance:
        return cls(
            trust_config=conf.get("trust-config"),
            staging=bool(conf.get("staging")),
            offline=offline,
        )


@dataclass(frozen=True)
class VerifySettings:
    """Resolved `verify:`: who must have signed, what a DSSE statement must be, and where."""

    policy: policy_rules.IdentityPolicy
    predicate_type: str | None
    gate: str | None
    instance: Instance

    @classmethod
    def from_settings(cls, conf: Mapping[str, Any]) -> VerifySettings:
        return cls(
            policy=policy_rules.IdentityPolicy(**{key: conf.get(key) for key in POLICY_KEYS}),
            predicate_type=conf.get("predicate-type"),
            gate=conf.get("gate"),
            instance=Instance.from_settings(conf, offline=bool(conf.get("offline"))),
        )

    @property
    def configured(self) -> bool:
        """Whether an identity is required at all (flipback's known-good search asks)."""
        return bool(self.policy.repository or self.policy.identity)


@dataclass(frozen=True)
class AttestationRequest:
    """The attestation kinds asked for: each one DSSE statement about the subject files."""

    provenance: bool = False
    sbom: str | None = None
    gate_result: str | None = None
    predicate_type: str | None = None
    predicate: str | None = None


def expand_files(patterns: Sequence[str], *, what: str = "FILE") -> list[str]:
    """Files named or matched by glob patterns (action inputs pass patterns), in order, once."""
    files: list[str] = []
    for pattern in patterns:
        if os.path.exists(pattern) or not _GLOB_CHARS & set(pattern):
            matches = [pattern]
        else:
            matches = sorted(glob.glob(pattern, recursive=True))
            if not matches:
                raise InputError(f"no file matches {pattern!r}", field=what)
        for match in matches:
            if not os.path.isfile(match):
                raise InputError("not a file", file=match, field=what)
            if match not in files:
                files.append(match)
    if not files:
        raise UsageError(f"name at least one {what}")
    return files


def warn(message: str) -> None:
    print(f"lumen: warning: {message}", file=sys.stderr, flush=True)
    if gha.in_actions():
        gha.annotate("warning", message, title="lumen sigstore")


def load_instance(instance: Instance) -> Any:
    """The ClientTrustConfig of the instance (imports sigstore)."""
    from lumen.adapters.sigstore import load_trust_config

    return load_trust_config(
        trust_config=instance.trust_config,
        staging=instance.staging,
        offline=instance.offline,
        warn=warn,
    )


def _read_json(path: str, flag: str) -> Any:
    from lumen.fileio import parse_json, read_text

    try:
        text = read_text(path)
    except InputError as exc:
        raise InputError(exc.message, file=path, line=exc.line, field=flag) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=path, field=flag) from None
    # Strict JSON: binary data, deep nesting and NaN are errors naming the file.
    return parse_json(text, path)


def statements(
    request: AttestationRequest, subjects: Sequence[attest.Subject], *, now: datetime
) -> list[tuple[str, dict[str, Any]]]:
    """(kind, statement) for every attestation kind asked for, built before any signing."""
    out: list[tuple[str, dict[str, Any]]] = []
    if request.predicate_type or request.predicate:
        if not (request.predicate_type and request.predicate):
            raise UsageError("--predicate-type and --predicate go together")
        predicate = attest.predicate_object(
            _read_json(request.predicate, "--predicate"), source=request.predicate
        )
        out.append(("intoto", attest.statement(subjects, request.predicate_type, predicate)))
    if request.provenance:
        predicate = attest.github_provenance(os.environ, started_on=now)
        out.append(("provenance", attest.statement(subjects, attest.SLSA_PROVENANCE_V1, predicate)))
    if request.sbom:
        predicate = attest.sbom_predicate(_read_json(request.sbom, "--sbom"), source=request.sbom)
        out.append(("sbom", attest.statement(subjects, attest.CYCLONEDX_BOM, predicate)))
    if request.gate_result:
        document = _read_json(request.gate_result, "--gate-result")
        predicate = attest.gate_result_predicate(document, source=request.gate_result)
        out.append(("gate-result", attest.statement(subjects, attest.GATE_RESULT_V1, predicate)))
    return out


def subjects_of(files: Sequence[str]) -> list[attest.Subject]:
    from lumen.adapters.sigstore import sha256_file

    return [
        attest.Subject(name=os.path.basename(file), digest={"sha256": sha256_file(file)})
        for file in files
    ]


@dataclass(frozen=True)
class SigningRequest:
    """What to sign with one certificate: the files themselves (`sign_files`) and statements
    about them, each written as `<first file>.<kind>.sigstore.json` (or `output`)."""

    files: Sequence[str]
    subjects: Sequence[attest.Subject]
    statements: Sequence[tuple[str, dict[str, Any]]]
    instance: Instance
    identity_token: str | None
    sign_files: bool
    output: str | None


@dataclass(frozen=True)
class SigningOutcome:
    identity: str
    issuer: str
    signed: list[dict[str, Any]]  # file, sha256, bundle
    attested: list[dict[str, str]]  # kind, predicate_type, bundle


def sign(request: SigningRequest, progress: Callable[[str], None]) -> SigningOutcome:
    """Sign in one Sigstore session; `progress` hears of each bundle as it is written."""
    from lumen.adapters.sigstore import identity_token, signing_session

    token = identity_token(request.identity_token)
    config = load_instance(request.instance)
    signed: list[dict[str, Any]] = []
    attested: list[dict[str, str]] = []
    with signing_session(config, token) as session:
        if request.sign_files:
            for file, subject in zip(request.files, request.subjects, strict=True):
                bundle = session.sign_file(file)
                sha256 = subject.digest["sha256"]
                signed.append({"file": file, "sha256": sha256, "bundle": str(bundle)})
                progress(f"signed {file} -> {bundle}")
        for kind, statement in request.statements:
            path = Path(request.output or f"{request.files[0]}.{kind}.sigstore.json")
            target = session.sign_statement(statement, path)
            predicate_type = statement["predicateType"]
            attested.append({"kind": kind, "predicate_type": predicate_type, "bundle": str(target)})
            progress(f"attested {kind} ({predicate_type}) -> {target}")
    return SigningOutcome(token.identity, token.issuer, signed, attested)


def verify_files(
    todo: Sequence[tuple[str | None, str]], settings: VerifySettings, *, generated_at: str
) -> GateResult:
    """Verify (file, bundle) pairs under `settings`; the "verify" result.

    Also what other use cases call to know whether a bundle verifies (flipback's known-good
    search).
    """
    wanted = settings.policy.validate()
    for file, _ in todo:
        if file is not None and not os.path.isfile(file):
            raise InputError("not a file", file=file, field="FILE")

    from lumen.adapters import sigstore as adapter

    verifier = adapter.verifier_for(load_instance(settings.instance))
    wanted_constraints = policy_rules.constraints(wanted)
    checks: list[Check] = []
    verified: list[dict[str, Any]] = []
    for file, bundle in todo:
        outcome = adapter.verify_bundle(verifier, bundle, wanted, artifact=file)
        statement = None
        if outcome.kind == "dsse" and outcome.payload is not None:
            statement = policy_rules.parse_statement(outcome.payload, source=bundle)
        sha256 = adapter.sha256_file(file) if file is not None else None
        facts = policy_rules.BundleFacts(
            kind=outcome.kind,
            claims=outcome.claims,
            signed_digest=outcome.signed_digest,
            error=outcome.error,
            policy_error=outcome.policy_error,
            statement=statement,
        )
        checks += policy_rules.bundle_checks(
            facts,
            wanted_constraints,
            file_sha256=sha256,
            predicate_type=settings.predicate_type,
            gate=settings.gate,
            prefix=f"{file}: " if len(todo) > 1 else "",
        )
        entry: dict[str, Any] = {
            "file": file,
            "bundle": bundle,
            "kind": outcome.kind,
            "sha256": sha256,
            "identity": outcome.claims.get("identity"),
            "issuer": outcome.claims.get("issuer"),
        }
        if statement is not None:
            entry["predicate_type"] = statement.get("predicateType")
            entry["subjects"] = statement.get("subject")
            entry["statement"] = statement
        verified.append(entry)

    instance = settings.instance
    trust = instance.trust_config or ("staging" if instance.staging else "production")
    constraints = {
        **{key: getattr(settings.policy, key) for key in POLICY_KEYS},
        "predicate-type": settings.predicate_type,
        "gate": settings.gate,
    }
    return policy_rules.verification_result(
        checks,
        inputs={
            "bundles": [bundle for _, bundle in todo],
            "files": [file for file, _ in todo if file],
            "trust-root": trust + (" (offline)" if instance.offline else ""),
            "policy": {key: value for key, value in constraints.items() if value},
        },
        generated_at=generated_at,
        values={"verified": verified},
    )
