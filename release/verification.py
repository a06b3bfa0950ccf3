"""Who must have signed: the identity policy of `lumen verify` and the verdict it leads to.

Pure decisions over plain data. The Sigstore adapter does the cryptography and reads the signing
certificate's claims (issuer, SAN, GitHub workflow extensions) into a mapping; this module turns
the user's constraints and those claims into one check per constraint, so a rejection says which
constraint failed (repository, ref, identity, digest, …) rather than "verification failed".
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gates.errors import InputError, UsageError
from gates.result import Check, GateResult, Verdict, decide

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"


def ref_candidates(ref: str) -> tuple[str, ...]:
    """A full ref as given; a short one (`v1.2.0`, `main`) as a tag or a branch
    (docs/reference.md#verify)."""
    ref = ref.strip()
    if not ref:
        raise UsageError("--ref must not be empty")
    if ref.startswith("refs/"):
        return (ref,)
    return (f"refs/tags/{ref}", f"refs/heads/{ref}")


@dataclass(frozen=True)
class IdentityPolicy:
    """The constraints a signature must meet. GitHub constraints imply GitHub's issuer."""

    repository: str | None = None
    ref: str | None = None
    workflow: str | None = None
    sha: str | None = None
    trigger: str | None = None
    identity: str | None = None
    issuer: str | None = None

    @property
    def github(self) -> bool:
        return any((self.repository, self.ref, self.workflow, self.sha, self.trigger))

    def validate(self) -> IdentityPolicy:
        """Refuse a policy that would accept anyone, as `sigstore verify github` does."""
        if not (self.repository or self.identity):
            raise UsageError(
                "say who must have signed: --repository OWNER/REPO (GitHub Actions) or "
                "--identity ID with --issuer URL"
            )
        if self.identity and not self.issuer and not self.github:
            raise UsageError("--identity needs --issuer (the OIDC issuer that vouched for it)")
        if self.github and self.issuer and self.issuer != GITHUB_ISSUER:
            raise UsageError(
                f"--issuer {self.issuer} contradicts the GitHub constraints "
                f"(--repository/--ref/--workflow/--sha/--trigger need {GITHUB_ISSUER})"
            )
        if self.repository and self.repository.count("/") != 1:
            raise UsageError(f"--repository {self.repository!r} is not OWNER/REPO")
        return self

    @property
    def expected_issuer(self) -> str:
        return self.issuer or GITHUB_ISSUER


@dataclass(frozen=True)
class Constraint:
    """One constraint: the certificate claim it reads and the values that satisfy it."""

    name: str
    claim: str
    expected: tuple[str, ...]

    def describe(self) -> str:
        return " or ".join(self.expected)


def constraints(policy: IdentityPolicy) -> list[Constraint]:
    """The policy as constraints, in the order a person reads them."""
    out = [Constraint("issuer", "issuer", (policy.expected_issuer,))]
    if policy.identity:
        out.append(Constraint("identity", "identity", (policy.identity,)))
    if policy.repository:
        out.append(Constraint("repository", "repository", (policy.repository,)))
    if policy.ref:
        out.append(Constraint("ref", "ref", ref_candidates(policy.ref)))
    if policy.workflow:
        out.append(Constraint("workflow", "workflow", (policy.workflow,)))
    if policy.sha:
        out.append(Constraint("sha", "sha", (policy.sha.lower(),)))
    if policy.trigger:
        out.append(Constraint("trigger", "trigger", (policy.trigger,)))
    return out


def identity_checks(
    wanted: Sequence[Constraint], claims: Mapping[str, str | None], *, prefix: str = ""
) -> list[Check]:
    """One key check per constraint: the certificate's claim against the expected values."""
    checks = []
    for constraint in wanted:
        observed = claims.get(constraint.claim)
        comparator = "==" if len(constraint.expected) == 1 else "in"
        threshold = constraint.describe()
        if observed is None:
            verdict = Verdict.FAIL
            reason = f"the certificate carries no {constraint.name}; expected {threshold}"
        elif observed in constraint.expected:
            verdict = Verdict.PASS
            reason = f"{constraint.name} {observed} matches"
        else:
            verdict = Verdict.FAIL
            reason = f"{constraint.name} is {observed}, expected {threshold}"
        checks.append(
            Check(
                prefix + constraint.name, observed, comparator, threshold, verdict, reason, key=True
            )
        )
    return checks


def digest_check(actual: str, signed: str | None, *, prefix: str = "") -> Check:
    """The file's SHA-256 against the digest the bundle signed."""
    name = prefix + "digest"
    if signed is None:
        return Check(name, actual, "==", None, Verdict.NO_DATA, "the bundle records no digest")
    if actual == signed:
        return Check(name, actual, "==", signed, Verdict.PASS, "sha256 matches the signed digest")
    return Check(
        name,
        actual,
        "==",
        signed,
        Verdict.FAIL,
        f"the file's sha256 {actual[:12]}… is not the signed {signed[:12]}… (file changed?)",
        key=True,
    )


def signature_check(error: str | None, *, prefix: str = "") -> Check:
    """The cryptographic verdict: chain to the trust root, SCT, log entry, time, signature."""
    name = prefix + explain_failure(error) if error else prefix + "signature"
    if error is None:
        reason = "certificate chain, transparency log, timestamp and signature verify"
        return Check(name, True, "==", True, Verdict.PASS, reason)
    return Check(name, False, "==", True, Verdict.FAIL, error, key=True)


# sigstore-python's messages, mapped to the part of the proof that failed. Order matters: the
# first pattern found wins.
_FAILURE_KINDS: tuple[tuple[str, str], ...] = (
    ("digest mismatch", "digest"),
    ("payload hash does not match", "digest"),
    ("signature is invalid", "signature"),
    ("signatures do not match", "signature"),
    ("log entry", "transparency-log"),
    ("inclusion", "transparency-log"),
    ("checkpoint", "transparency-log"),
    ("tlog", "transparency-log"),
    ("rekor", "transparency-log"),
    ("timestamp", "timestamp"),
    ("sources of verified time", "timestamp"),
    ("certificate", "certificate"),
    ("sct", "certificate"),
    ("chain", "certificate"),
)


def explain_failure(message: str) -> str:
    """Name the part of the Sigstore proof a verification error is about."""
    lowered = message.lower()
    for needle, kind in _FAILURE_KINDS:
        if needle in lowered:
            return kind
    return "signature"


def parse_statement(payload: bytes, *, source: str) -> dict[str, Any]:
    """The in-toto statement inside a verified DSSE envelope."""
    try:
        document = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"the DSSE payload is not JSON: {exc}", file=source) from None
    if not isinstance(document, dict) or not isinstance(document.get("subject"), list):
        raise InputError(
            "the DSSE payload is not an in-toto statement", file=source, field="subject"
        )
    return document


def predicate_type_check(actual: str | None, expected: str | None, *, prefix: str = "") -> Check:
    name = prefix + "predicate-type"
    if expected is None:
        return Check(name, actual, "==", None, Verdict.PASS, f"predicate type {actual} (any)")
    if actual == expected:
        return Check(name, actual, "==", expected, Verdict.PASS, "predicate type matches")
    return Check(
        name,
        actual,
        "==",
        expected,
        Verdict.FAIL,
        f"the statement's predicate type is {actual}, expected {expected}",
        key=True,
    )


def subject_check(statement: Mapping[str, Any], sha256: str, *, prefix: str = "") -> Check:
    """The file must be one of the statement's subjects (by SHA-256, whatever its name)."""
    name = prefix + "subject"
    subjects = statement.get("subject") or []
    digests = [
        str(subject.get("digest", {}).get("sha256", ""))
        for subject in subjects
        if isinstance(subject, dict) and isinstance(subject.get("digest"), dict)
    ]
    names = ", ".join(str(s.get("name")) for s in subjects if isinstance(s, dict))
    if sha256 in digests:
        return Check(
            name, sha256, "in", names, Verdict.PASS, "the file is a subject of the statement"
        )
    return Check(
        name,
        sha256,
        "in",
        names,
        Verdict.FAIL,
        f"no subject of the statement has sha256 {sha256[:12]}… (subjects: {names or 'none'})",
        key=True,
    )


GATE_RESULT_V1 = "https://lumen-ci.dev/gate-result/v1"
# Verdicts that let a change through (exit 0 and evidence): NO_DATA is not evidence
# (docs/reference.md#verdicts).
PASSING_GATE_VERDICTS = ("PASS", "WARN")


def gate_evidence_check(
    predicate: Mapping[str, Any], gate: str | None = None, *, prefix: str = ""
) -> Check:
    """A gate-result attestation is evidence only if the attested gate passed (and is `gate`)."""
    attested_gate = predicate.get("gate")
    verdict = predicate.get("verdict", predicate.get("status"))
    shown = f"{attested_gate} {verdict}"
    wanted = f"{gate or 'any gate'} PASS or WARN"
    if gate is not None and attested_gate != gate:
        reason = f"the attestation is about gate {attested_gate}, expected {gate}"
        return Check(prefix + "gate", shown, "==", wanted, Verdict.FAIL, reason, key=True)
    if verdict not in PASSING_GATE_VERDICTS:
        reason = f"the attested {attested_gate} gate verdict is {verdict}, not PASS or WARN"
        return Check(prefix + "gate", shown, "==", wanted, Verdict.FAIL, reason, key=True)
    reason = f"the {attested_gate} gate passed ({verdict})"
    return Check(prefix + "gate", shown, "==", wanted, Verdict.PASS, reason)


@dataclass(frozen=True)
class BundleFacts:
    """What the adapter established about one bundle (plain data, no sigstore types)."""

    kind: str  # "artifact" (a signed file) or "dsse" (an attestation)
    claims: Mapping[str, str | None]
    signed_digest: str | None = None  # artifact bundles: the SHA-256 that was signed
    error: str | None = None  # the cryptographic proof's failure, if any
    policy_error: str | None = None  # sigstore-python's own policy verdict, if it refused
    statement: Mapping[str, Any] | None = None  # dsse bundles: the verified statement


def bundle_checks(
    facts: BundleFacts,
    wanted: Sequence[Constraint],
    *,
    file_sha256: str | None = None,
    predicate_type: str | None = None,
    gate: str | None = None,
    prefix: str = "",
) -> list[Check]:
    """Every check for one bundle, in the order a reader follows the proof."""
    checks: list[Check] = []
    if facts.kind == "artifact" and file_sha256 is not None:
        checks.append(digest_check(file_sha256, facts.signed_digest, prefix=prefix))
    proof = signature_check(facts.error, prefix=prefix)
    # The digest check already says "digest" when that is what the proof tripped over.
    if not any(c.name == proof.name and c.verdict is Verdict.FAIL for c in checks):
        checks.append(proof)
    identity = identity_checks(wanted, facts.claims, prefix=prefix)
    checks += identity
    if facts.policy_error and all(c.verdict is Verdict.PASS for c in identity):
        # sigstore-python's own policy is the final word; it should never disagree with ours.
        checks.append(
            Check(prefix + "policy", False, "==", True, Verdict.FAIL, facts.policy_error, key=True)
        )
    statement = facts.statement
    if facts.kind == "dsse" and statement is not None:
        actual_type = statement.get("predicateType")
        checks.append(predicate_type_check(actual_type, predicate_type, prefix=prefix))
        if file_sha256 is not None:
            checks.append(subject_check(statement, file_sha256, prefix=prefix))
        predicate = statement.get("predicate")
        if actual_type == GATE_RESULT_V1 and isinstance(predicate, Mapping):
            checks.append(gate_evidence_check(predicate, gate, prefix=prefix))
    elif facts.kind == "artifact" and (predicate_type or gate):
        # Asked for an attestation, given a plain signature: that is a mismatch, not a pass.
        checks.append(predicate_type_check(None, predicate_type or GATE_RESULT_V1, prefix=prefix))
    return checks


def verification_result(
    checks: Sequence[Check],
    *,
    inputs: Mapping[str, Any],
    generated_at: str,
    values: Mapping[str, Any] | None = None,
) -> GateResult:
    """The verify "gate": every check must pass; any failed constraint fails it (exit 2)."""
    return GateResult(
        gate="verify",
        verdict=decide(checks),
        checks=list(checks),
        inputs=dict(inputs),
        generated_at=generated_at,
        values=dict(values or {}),
    )
