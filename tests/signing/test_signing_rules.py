"""The pure halves of signing: statement builders (release.attest) and the identity policy's
decisions (release.verification), with answers worked out by hand."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gates.errors import InputError, UsageError
from gates.result import Verdict
from release import attest
from release.verification import (
    GITHUB_ISSUER,
    BundleFacts,
    IdentityPolicy,
    bundle_checks,
    constraints,
    digest_check,
    explain_failure,
    gate_evidence_check,
    identity_checks,
    predicate_type_check,
    ref_candidates,
    signature_check,
    subject_check,
    verification_result,
)

SHA256 = "ab" * 32


# --- refs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("v1.2.0", ("refs/tags/v1.2.0", "refs/heads/v1.2.0")),
        ("main", ("refs/tags/main", "refs/heads/main")),
        ("release/1.x", ("refs/tags/release/1.x", "refs/heads/release/1.x")),
        ("refs/tags/v1.2.0", ("refs/tags/v1.2.0",)),
        ("refs/pull/7/merge", ("refs/pull/7/merge",)),
    ],
)
def test_ref_candidates(ref: str, expected: tuple[str, ...]) -> None:
    assert ref_candidates(ref) == expected


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789./-_", min_size=1, max_size=30))
def test_ref_candidates_properties(ref: str) -> None:
    candidates = ref_candidates(ref)
    assert all(candidate.startswith("refs/") for candidate in candidates)
    # A full ref is a fixed point; a short one becomes exactly a tag and a branch of that name.
    for candidate in candidates:
        assert ref_candidates(candidate) == (candidate,)
    if not ref.startswith("refs/"):
        assert candidates == (f"refs/tags/{ref}", f"refs/heads/{ref}")


def test_empty_ref_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        ref_candidates("  ")


# --- policy ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "policy",
    [
        IdentityPolicy(),
        IdentityPolicy(ref="main"),
        IdentityPolicy(identity="https://x.test/me"),
        IdentityPolicy(repository="octo/demo", issuer="https://accounts.google.com"),
        IdentityPolicy(repository="octo"),
    ],
)
def test_policies_that_would_accept_too_much_are_refused(policy: IdentityPolicy) -> None:
    with pytest.raises(UsageError):
        policy.validate()


def test_constraints_in_reading_order() -> None:
    policy = IdentityPolicy(
        repository="octo/demo", ref="v1", workflow="release", sha="ABC", trigger="push"
    ).validate()
    wanted = constraints(policy)
    assert [(c.name, c.expected) for c in wanted] == [
        ("issuer", (GITHUB_ISSUER,)),
        ("repository", ("octo/demo",)),
        ("ref", ("refs/tags/v1", "refs/heads/v1")),
        ("workflow", ("release",)),
        ("sha", ("abc",)),
        ("trigger", ("push",)),
    ]


def test_identity_checks_name_each_mismatch() -> None:
    policy = IdentityPolicy(repository="octo/demo", ref="v1", workflow="release").validate()
    claims = {
        "issuer": GITHUB_ISSUER,
        "repository": "octo/fork",
        "ref": "refs/heads/v1",
        "workflow": None,
    }
    checks = identity_checks(constraints(policy), claims)
    verdicts = {check.name: check.verdict for check in checks}
    assert verdicts == {
        "issuer": Verdict.PASS,
        "repository": Verdict.FAIL,
        "ref": Verdict.PASS,
        "workflow": Verdict.FAIL,
    }
    repository = checks[1]
    assert repository.reason == "repository is octo/fork, expected octo/demo"
    assert checks[3].reason == "the certificate carries no workflow; expected release"
    assert all(check.key for check in checks)


def test_result_fails_when_any_constraint_fails() -> None:
    checks = [digest_check(SHA256, SHA256), signature_check(None)]
    assert verification_result(checks, inputs={}, generated_at="t").verdict is Verdict.PASS
    checks.append(predicate_type_check("https://a", "https://b"))
    result = verification_result(checks, inputs={}, generated_at="t")
    assert result.verdict is Verdict.FAIL and result.exit_code == 2
    assert result.to_dict()["gate"] == "verify"


def test_digest_check() -> None:
    assert digest_check(SHA256, SHA256).verdict is Verdict.PASS
    changed = digest_check("cd" * 32, SHA256)
    assert changed.verdict is Verdict.FAIL and "file changed" in changed.reason
    assert digest_check(SHA256, None).verdict is Verdict.NO_DATA


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("Bundle message digest mismatch", "digest"),
        ("log entry payload hash does not match bundle", "digest"),
        ("Signature is invalid for input", "signature"),
        ("invalid log entry: inclusion proof mismatch", "transparency-log"),
        ("failed to verify SCT on signing certificate: x", "certificate"),
        ("Unable to build timestamp certificate chain", "timestamp"),
        ("not enough sources of verified time", "timestamp"),
        ("something new", "signature"),
    ],
)
def test_explain_failure(message: str, kind: str) -> None:
    assert explain_failure(message) == kind
    check = signature_check(message, prefix="a.whl: ")
    assert check.name == f"a.whl: {kind}" and check.verdict is Verdict.FAIL


def test_subject_check_matches_by_digest_whatever_the_name() -> None:
    statement = {"subject": [{"name": "renamed.whl", "digest": {"sha256": SHA256}}]}
    assert subject_check(statement, SHA256).verdict is Verdict.PASS
    missing = subject_check(statement, "cd" * 32)
    assert missing.verdict is Verdict.FAIL and "renamed.whl" in missing.reason


# --- statements ------------------------------------------------------------------------------

RUNNER = {
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "octo/demo",
    "GITHUB_REPOSITORY_ID": "1",
    "GITHUB_REF": "refs/tags/v1.2.0",
    "GITHUB_SHA": "f" * 40,
    "GITHUB_RUN_ID": "99",
    "GITHUB_RUN_ATTEMPT": "2",
    "GITHUB_EVENT_NAME": "release",
    "GITHUB_WORKFLOW_REF": "octo/demo/.github/workflows/release.yml@refs/tags/v1.2.0",
    "RUNNER_ENVIRONMENT": "self-hosted",
}


def test_github_provenance_known_answer() -> None:
    started = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
    predicate = attest.github_provenance(RUNNER, started_on=started)
    assert predicate == {
        "buildDefinition": {
            "buildType": "https://actions.github.io/buildtypes/workflow/v1",
            "externalParameters": {
                "workflow": {
                    "ref": "refs/tags/v1.2.0",
                    "repository": "https://github.com/octo/demo",
                    "path": ".github/workflows/release.yml",
                }
            },
            "internalParameters": {
                "github": {
                    "event_name": "release",
                    "repository_id": "1",
                    "runner_environment": "self-hosted",
                }
            },
            "resolvedDependencies": [
                {
                    "uri": "git+https://github.com/octo/demo@refs/tags/v1.2.0",
                    "digest": {"gitCommit": "f" * 40},
                }
            ],
        },
        "runDetails": {
            "builder": {"id": "https://github.com/actions/runner/self-hosted"},
            "metadata": {
                "invocationId": "https://github.com/octo/demo/actions/runs/99/attempts/2",
                "startedOn": "2026-11-21T09:30:00Z",
            },
        },
    }


@pytest.mark.parametrize(
    "missing", ["GITHUB_REPOSITORY", "GITHUB_REF", "GITHUB_SHA", "GITHUB_RUN_ID"]
)
def test_provenance_names_a_missing_variable(missing: str) -> None:
    environ = {k: v for k, v in RUNNER.items() if k != missing}
    with pytest.raises(InputError, match=missing):
        attest.github_provenance(environ, started_on=datetime.now(UTC))


def test_statement_shape_and_validation() -> None:
    subject = attest.Subject("a.whl", {"sha256": SHA256})
    statement = attest.statement([subject], attest.GATE_RESULT_V1, {"verdict": "PASS"})
    assert statement == {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "a.whl", "digest": {"sha256": SHA256}}],
        "predicateType": "https://lumen-ci.dev/gate-result/v1",
        "predicate": {"verdict": "PASS"},
    }
    with pytest.raises(InputError, match="subject"):
        attest.statement([], attest.GATE_RESULT_V1, {})
    with pytest.raises(InputError, match="not a URI"):
        attest.statement([subject], "gate result", {})
    with pytest.raises(InputError, match="malformed"):
        attest.statement([attest.Subject("a", {"sha256": "XYZ"})], attest.CYCLONEDX_BOM, {})


def test_predicates_are_checked() -> None:
    with pytest.raises(InputError, match="CycloneDX"):
        attest.sbom_predicate({"spdxVersion": "SPDX-2.3"}, source="x.json")
    assert attest.sbom_predicate({"bomFormat": "CycloneDX"})["bomFormat"] == "CycloneDX"
    with pytest.raises(InputError, match="verdict"):
        attest.gate_result_predicate({"gate": "roi", "checks": []})
    with pytest.raises(InputError):
        attest.predicate_object([1, 2], source="p.json")


# --- lazy imports ----------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["maturity", "verify", "sign", "attest"])
def test_sigstore_is_not_imported_to_build_the_cli(command: str) -> None:
    """`lumen maturity` never pays for sigstore; sign/verify import it in run() only."""
    code = (
        "import contextlib, io, sys\n"
        "from lumen.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    try:\n        main([{command!r}, '--help'])\n"
        "    except SystemExit:\n        pass\n"
        "loaded = sorted(m for m in sys.modules if m == 'sigstore' or m.startswith('sigstore.'))\n"
        "print(','.join(loaded))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == ""


# --- gate evidence and the per-bundle checks ------------------------------------------------


@pytest.mark.parametrize(
    ("predicate", "gate", "verdict"),
    [
        ({"gate": "integrated", "verdict": "PASS"}, None, Verdict.PASS),
        ({"gate": "integrated", "verdict": "WARN"}, "integrated", Verdict.PASS),
        ({"gate": "integrated", "status": "PASS"}, None, Verdict.PASS),
        ({"gate": "integrated", "verdict": "FAIL"}, None, Verdict.FAIL),
        ({"gate": "integrated", "verdict": "NO_DATA"}, None, Verdict.FAIL),
        ({"gate": "roi", "verdict": "PASS"}, "integrated", Verdict.FAIL),
    ],
)
def test_gate_evidence_check(predicate: dict, gate: str | None, verdict: Verdict) -> None:
    assert gate_evidence_check(predicate, gate).verdict is verdict


def test_bundle_checks_for_an_attestation() -> None:
    wanted = constraints(IdentityPolicy(repository="octo/demo").validate())
    facts = BundleFacts(
        kind="dsse",
        claims={"issuer": GITHUB_ISSUER, "repository": "octo/demo"},
        statement={
            "predicateType": attest.GATE_RESULT_V1,
            "subject": [{"name": "a", "digest": {"sha256": SHA256}}],
            "predicate": {"gate": "slo", "verdict": "PASS"},
        },
    )
    checks = bundle_checks(facts, wanted, file_sha256=SHA256, predicate_type=attest.GATE_RESULT_V1)
    assert [c.name for c in checks] == [
        "signature", "issuer", "repository", "predicate-type", "subject", "gate",
    ]  # fmt: skip
    assert all(c.verdict is Verdict.PASS for c in checks)


def test_bundle_checks_when_the_proof_fails_on_the_digest() -> None:
    wanted = constraints(IdentityPolicy(identity="me", issuer="https://i.test").validate())
    facts = BundleFacts(
        kind="artifact",
        claims={"issuer": "https://i.test", "identity": "me"},
        signed_digest=SHA256,
        error="Bundle message digest mismatch",
    )
    checks = bundle_checks(facts, wanted, file_sha256="cd" * 32)
    # One "digest" failure, not two; the identity still reads as it is.
    assert [(c.name, c.verdict) for c in checks] == [
        ("digest", Verdict.FAIL),
        ("issuer", Verdict.PASS),
        ("identity", Verdict.PASS),
    ]


def test_sigstore_disagreeing_is_a_failure_of_its_own() -> None:
    wanted = constraints(IdentityPolicy(repository="octo/demo").validate())
    facts = BundleFacts(
        kind="dsse",
        claims={"issuer": GITHUB_ISSUER, "repository": "octo/demo"},
        policy_error="Certificate's GitHubWorkflowRepository does not match",
    )
    checks = bundle_checks(facts, wanted)
    assert checks[-1].name == "policy" and checks[-1].verdict is Verdict.FAIL
