"""Sign → verify round trips against the loopback Sigstore instance, with no network.

Real sigstore-python on both ends: Fulcio issues a certificate with the token's claims, Rekor
logs the entry, the TSA timestamps it, and `lumen verify` checks all of it and the identity
policy, GitHub's included. Negative cases name the constraint that failed.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from harness.sigstore import (
    GITHUB_ISSUER,
    TEST_IDENTITY,
    TEST_ISSUER,
    ActionsTokenEndpoint,
    GitHubIdentity,
    SigstoreInstance,
)

from lumen.cli import main

pytestmark = pytest.mark.sigstore

GH = GitHubIdentity(
    repository="octo-org/demo",
    ref="refs/tags/v1.2.0",
    sha="0123456789abcdef0123456789abcdef01234567",
    workflow="release",
    event_name="push",
)


@pytest.fixture(autouse=True)
def _outside_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GITHUB_ACTIONS", "SIGSTORE_ID_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def artifact(tmp_path: Path) -> Path:
    path = tmp_path / "demo-1.2.0.tar.gz"
    path.write_bytes(b"release payload \x00\x01\x02 " * 100)
    return path


def sign(instance: SigstoreInstance, token: str, *files: Path) -> int:
    argv = ["sign", "--quiet", "--trust-config", str(instance.trust_config)]
    return main([*argv, "--identity-token", token, *map(str, files)])


def verify(
    instance: SigstoreInstance, tmp_path: Path, *args: str
) -> tuple[int, dict[str, Any] | None]:
    out = tmp_path / "verify.json"
    out.unlink(missing_ok=True)
    argv = ["verify", "--quiet", "--trust-config", str(instance.trust_config), "--json", str(out)]
    code = main([*argv, *args])
    return code, json.loads(out.read_text()) if out.exists() else None


def failed(document: dict[str, Any]) -> set[str]:
    return {check["name"] for check in document["checks"] if check["verdict"] == "FAIL"}


def payload_of(bundle: Path) -> dict[str, Any]:
    envelope = json.loads(bundle.read_text())["dsseEnvelope"]
    return json.loads(base64.b64decode(envelope["payload"]))


# --- plain files, identity + issuer ------------------------------------------------------------


def test_sign_writes_a_v03_bundle_that_verifies(
    sigstore_instance: SigstoreInstance, artifact: Path, tmp_path: Path
) -> None:
    assert sign(sigstore_instance, sigstore_instance.token(), artifact) == 0
    bundle = Path(f"{artifact}.sigstore.json")
    document = json.loads(bundle.read_text())
    assert document["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json"
    assert "messageSignature" in document
    code, result = verify(
        sigstore_instance,
        tmp_path,
        "--identity", TEST_IDENTITY, "--issuer", TEST_ISSUER, str(artifact),
    )  # fmt: skip
    assert code == 0, result
    assert result is not None
    assert [c["name"] for c in result["checks"]] == ["digest", "signature", "issuer", "identity"]


@pytest.mark.parametrize(
    ("flags", "constraint"),
    [
        (["--identity", "https://lumen.test/someone-else", "--issuer", TEST_ISSUER], "identity"),
        (["--identity", TEST_IDENTITY, "--issuer", "https://other.issuer.test"], "issuer"),
        (["--repository", "octo-org/demo"], "issuer"),  # not a GitHub Actions identity at all
    ],
)
def test_wrong_identity_is_named(
    sigstore_instance: SigstoreInstance,
    artifact: Path,
    tmp_path: Path,
    flags: list[str],
    constraint: str,
) -> None:
    assert sign(sigstore_instance, sigstore_instance.token(), artifact) == 0
    code, result = verify(sigstore_instance, tmp_path, *flags, str(artifact))
    assert code == 2
    assert result is not None
    assert constraint in failed(result)
    assert "signature" not in failed(result)


def test_a_changed_file_fails_the_digest(
    sigstore_instance: SigstoreInstance, artifact: Path, tmp_path: Path
) -> None:
    assert sign(sigstore_instance, sigstore_instance.token(), artifact) == 0
    artifact.write_bytes(artifact.read_bytes() + b"!")
    code, result = verify(
        sigstore_instance, tmp_path, "--identity", TEST_IDENTITY, "--issuer", TEST_ISSUER,
        str(artifact),
    )  # fmt: skip
    assert code == 2
    assert result is not None and failed(result) == {"digest"}


def test_many_files_one_session_each_verified(
    sigstore_instance: SigstoreInstance, tmp_path: Path
) -> None:
    files = []
    for index in range(3):
        path = tmp_path / f"part-{index}.bin"
        path.write_bytes(bytes([index]) * 64)
        files.append(path)
    assert sign(sigstore_instance, sigstore_instance.token(), *files) == 0
    code, result = verify(
        sigstore_instance, tmp_path, "--identity", TEST_IDENTITY, "--issuer", TEST_ISSUER,
        *map(str, files),
    )  # fmt: skip
    assert code == 0
    assert result is not None and len(result["verified"]) == 3
    assert f"{files[1]}: digest" in {c["name"] for c in result["checks"]}


def test_a_bundle_from_another_instance_fails_the_proof(
    sigstore_instance: SigstoreInstance, tmp_path: Path
) -> None:
    real = Path(__file__).resolve().parent / "fixtures" / "bundle_v3_github.whl"
    code, result = verify(
        sigstore_instance, tmp_path, "--bundle", f"{real}.sigstore",
        "--repository", "trailofbits/rfc8785.py", str(real),
    )  # fmt: skip
    assert code == 2
    assert result is not None
    # The first untrusted piece is named (here the TSA's chain); the identity itself matches.
    assert failed(result) and failed(result) <= {"certificate", "timestamp", "transparency-log"}


def test_a_loopback_bundle_does_not_verify_against_production(
    sigstore_instance: SigstoreInstance, artifact: Path, tmp_path: Path
) -> None:
    assert sign(sigstore_instance, sigstore_instance.github_token(GH), artifact) == 0
    out = tmp_path / "prod.json"
    argv = ["verify", "--offline", "--quiet", "--repository", GH.repository, "--json", str(out)]
    assert main([*argv, str(artifact)]) == 2
    assert failed(json.loads(out.read_text())) <= {"certificate", "timestamp", "transparency-log"}


def test_an_expired_token_is_an_input_error(
    sigstore_instance: SigstoreInstance, artifact: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token = sigstore_instance.token(lifetime=-60)
    assert sign(sigstore_instance, token, artifact) == 1
    err = capsys.readouterr().err
    assert "--identity-token" in err and "Traceback" not in err
    assert not Path(f"{artifact}.sigstore.json").exists()


def test_an_unreachable_instance_is_a_source_error(
    sigstore_instance: SigstoreInstance,
    artifact: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = json.loads(sigstore_instance.trust_config.read_text())
    dead = "http://127.0.0.1:9"
    for key in ("caUrls", "rekorTlogUrls"):
        for service in config["signingConfig"][key]:
            service["url"] = dead
    broken = tmp_path / "dead.json"
    broken.write_text(json.dumps(config))
    argv = ["sign", "--trust-config", str(broken), "--identity-token", sigstore_instance.token()]
    assert main([*argv, str(artifact)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("lumen: error:")


# --- GitHub Actions identities ---------------------------------------------------------------


@pytest.fixture
def github_signed(sigstore_instance: SigstoreInstance, artifact: Path) -> Path:
    assert sign(sigstore_instance, sigstore_instance.github_token(GH), artifact) == 0
    return artifact


def test_github_policy_passes(
    sigstore_instance: SigstoreInstance, github_signed: Path, tmp_path: Path
) -> None:
    code, result = verify(
        sigstore_instance, tmp_path,
        "--repository", GH.repository, "--ref", "v1.2.0", "--workflow", GH.workflow,
        "--sha", GH.sha, "--trigger", GH.event_name, str(github_signed),
    )  # fmt: skip
    assert code == 0, result
    assert result is not None
    assert result["verified"][0]["identity"] == GH.identity
    assert result["verified"][0]["issuer"] == GITHUB_ISSUER


@pytest.mark.parametrize(
    ("flags", "constraint"),
    [
        (["--repository", "octo-org/other"], "repository"),
        (["--repository", GH.repository, "--ref", "main"], "ref"),
        (["--repository", GH.repository, "--ref", "refs/heads/v1.2.0"], "ref"),
        (["--repository", GH.repository, "--workflow", "nightly"], "workflow"),
        (["--repository", GH.repository, "--sha", "f" * 40], "sha"),
        (["--repository", GH.repository, "--trigger", "pull_request"], "trigger"),
        (
            ["--identity", GH.identity.replace("v1.2.0", "v1.2.1"), "--issuer", GITHUB_ISSUER],
            "identity",
        ),
    ],
)
def test_github_policy_names_the_failed_constraint(
    sigstore_instance: SigstoreInstance,
    github_signed: Path,
    tmp_path: Path,
    flags: list[str],
    constraint: str,
) -> None:
    code, result = verify(sigstore_instance, tmp_path, *flags, str(github_signed))
    assert code == 2
    assert result is not None and failed(result) == {constraint}


def test_sigstore_cli_agrees_with_lumen(
    sigstore_instance: SigstoreInstance, github_signed: Path
) -> None:
    """The `sigstore verify github` command docs/signing.md gives accepts what `lumen sign` wrote."""
    base = [sys.executable, "-m", "sigstore", "--trust-config", str(sigstore_instance.trust_config)]
    base += ["verify", "github", "--bundle", f"{github_signed}.sigstore.json"]
    ok = subprocess.run(
        [*base, "--repository", GH.repository, "--ref", GH.ref, "--name", GH.workflow,
         "--trigger", GH.event_name, "--sha", GH.sha, str(github_signed)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    wrong = subprocess.run(
        [*base, "--repository", "octo-org/other", str(github_signed)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert wrong.returncode != 0


# --- ambient credentials in GitHub Actions ---------------------------------------------------


def _actions_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    output = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    return output


def test_ambient_token_in_actions(
    sigstore_instance: SigstoreInstance,
    artifact: Path,
    tmp_path: Path,
    actions_id_token: ActionsTokenEndpoint,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    output = _actions_env(monkeypatch, tmp_path)
    actions_id_token.token = sigstore_instance.github_token(GH)
    code = main(["sign", "--trust-config", str(sigstore_instance.trust_config), str(artifact)])
    assert code == 0
    assert any("audience=sigstore" in path for path in actions_id_token.requests)
    assert f"{artifact}.sigstore.json" in output.read_text()
    monkeypatch.delenv("GITHUB_ACTIONS")
    code, result = verify(
        sigstore_instance, tmp_path, "--repository", GH.repository, "--ref", "v1.2.0",
        str(artifact),
    )  # fmt: skip
    assert code == 0, result


def test_missing_id_token_permission_is_explained(
    sigstore_instance: SigstoreInstance,
    artifact: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _actions_env(monkeypatch, tmp_path)
    code = main(["sign", "--trust-config", str(sigstore_instance.trust_config), str(artifact)])
    assert code == 1
    err = capsys.readouterr().err
    assert "id-token: write" in err and "Traceback" not in err


def test_outside_actions_a_token_is_required(
    artifact: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sign", str(artifact)]) == 1
    assert "--identity-token" in capsys.readouterr().err


# --- DSSE attestations -----------------------------------------------------------------------

RUNNER_ENV = {
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": GH.repository,
    "GITHUB_REPOSITORY_ID": "101",
    "GITHUB_REPOSITORY_OWNER_ID": "202",
    "GITHUB_REF": GH.ref,
    "GITHUB_SHA": GH.sha,
    "GITHUB_RUN_ID": GH.run_id,
    "GITHUB_RUN_ATTEMPT": "1",
    "GITHUB_EVENT_NAME": GH.event_name,
    "GITHUB_WORKFLOW": GH.workflow,
    "GITHUB_WORKFLOW_REF": GH.workflow_ref,
    "RUNNER_ENVIRONMENT": "github-hosted",
}


def _sbom(tmp_path: Path) -> Path:
    path = tmp_path / "sbom.cdx.json"
    path.write_text(
        json.dumps(
            {
                "bomFormat": "CycloneDX",
                "specVersion": "1.6",
                "version": 1,
                "components": [{"type": "library", "name": "rfc8785", "version": "0.1.2"}],
            }
        )
    )
    return path


def _gate_result(tmp_path: Path) -> Path:
    path = tmp_path / "integrated.json"
    path.write_text(
        json.dumps({"schema_version": "1", "gate": "integrated", "verdict": "PASS", "checks": []})
    )
    return path


@pytest.fixture
def attested(
    sigstore_instance: SigstoreInstance,
    artifact: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, Path]:
    for name, value in RUNNER_ENV.items():
        monkeypatch.setenv(name, value)
    argv = ["attest", "--quiet", "--trust-config", str(sigstore_instance.trust_config)]
    argv += [
        "--identity-token",
        sigstore_instance.github_token(GH),
        "--now",
        "2026-11-21T10:00:00Z",
    ]
    argv += ["--provenance", "--sbom", str(_sbom(tmp_path))]
    argv += ["--gate-result", str(_gate_result(tmp_path)), str(artifact)]
    assert main(argv) == 0
    return {
        kind: Path(f"{artifact}.{kind}.sigstore.json")
        for kind in ("provenance", "sbom", "gate-result")
    }


PREDICATES = {
    "provenance": "https://slsa.dev/provenance/v1",
    "sbom": "https://cyclonedx.org/bom",
    "gate-result": "https://lumen-ci.dev/gate-result/v1",
}


@pytest.mark.parametrize("kind", sorted(PREDICATES))
def test_each_attestation_verifies_with_the_github_policy(
    sigstore_instance: SigstoreInstance,
    attested: dict[str, Path],
    artifact: Path,
    tmp_path: Path,
    kind: str,
) -> None:
    bundle = attested[kind]
    assert "dsseEnvelope" in json.loads(bundle.read_text())
    code, result = verify(
        sigstore_instance, tmp_path, "--bundle", str(bundle), "--predicate-type", PREDICATES[kind],
        "--repository", GH.repository, "--ref", "v1.2.0", "--workflow", GH.workflow,
        str(artifact),
    )  # fmt: skip
    assert code == 0, result
    assert result is not None
    names = [c["name"] for c in result["checks"]]
    expected = ["predicate-type", "subject"] + (["gate"] if kind == "gate-result" else [])
    assert names[-len(expected) :] == expected
    assert result["verified"][0]["predicate_type"] == PREDICATES[kind]


def test_provenance_statement_content(attested: dict[str, Path], artifact: Path) -> None:
    import hashlib

    statement = payload_of(attested["provenance"])
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["subject"] == [
        {
            "name": artifact.name,
            "digest": {"sha256": hashlib.sha256(artifact.read_bytes()).hexdigest()},
        }
    ]
    build = statement["predicate"]["buildDefinition"]
    assert build["externalParameters"]["workflow"] == {
        "ref": GH.ref,
        "repository": "https://github.com/octo-org/demo",
        "path": ".github/workflows/release.yml",
    }
    assert build["resolvedDependencies"] == [
        {"uri": f"git+https://github.com/octo-org/demo@{GH.ref}", "digest": {"gitCommit": GH.sha}}
    ]
    run = statement["predicate"]["runDetails"]
    assert run["builder"]["id"] == "https://github.com/actions/runner/github-hosted"
    assert run["metadata"] == {
        "invocationId": "https://github.com/octo-org/demo/actions/runs/4242/attempts/1",
        "startedOn": "2026-11-21T10:00:00Z",
    }


def test_sbom_and_gate_result_are_the_predicates(attested: dict[str, Path], tmp_path: Path) -> None:
    assert payload_of(attested["sbom"])["predicate"]["bomFormat"] == "CycloneDX"
    gate = payload_of(attested["gate-result"])["predicate"]
    assert (gate["gate"], gate["verdict"]) == ("integrated", "PASS")


def test_wrong_predicate_type_is_named(
    sigstore_instance: SigstoreInstance, attested: dict[str, Path], artifact: Path, tmp_path: Path
) -> None:
    code, result = verify(
        sigstore_instance, tmp_path, "--bundle", str(attested["sbom"]),
        "--predicate-type", PREDICATES["provenance"], "--repository", GH.repository,
        str(artifact),
    )  # fmt: skip
    assert code == 2
    assert result is not None and failed(result) == {"predicate-type"}


def test_a_file_that_is_not_a_subject_is_named(
    sigstore_instance: SigstoreInstance, attested: dict[str, Path], tmp_path: Path
) -> None:
    other = tmp_path / "other.bin"
    other.write_bytes(b"not the release")
    code, result = verify(
        sigstore_instance, tmp_path, "--bundle", str(attested["gate-result"]),
        "--repository", GH.repository, str(other),
    )  # fmt: skip
    assert code == 2
    assert result is not None and failed(result) == {"subject"}


def test_attestation_identity_mismatch_is_named(
    sigstore_instance: SigstoreInstance, attested: dict[str, Path], artifact: Path, tmp_path: Path
) -> None:
    code, result = verify(
        sigstore_instance, tmp_path, "--bundle", str(attested["provenance"]),
        "--repository", GH.repository, "--ref", "v2.0.0", str(artifact),
    )  # fmt: skip
    assert code == 2
    assert result is not None and failed(result) == {"ref"}


def test_attestation_without_a_file(
    sigstore_instance: SigstoreInstance, attested: dict[str, Path], tmp_path: Path
) -> None:
    code, result = verify(
        sigstore_instance, tmp_path, "--bundle", str(attested["provenance"]),
        "--repository", GH.repository,
    )  # fmt: skip
    assert code == 0
    assert result is not None and "subject" not in {c["name"] for c in result["checks"]}


def test_generic_predicate(
    sigstore_instance: SigstoreInstance, artifact: Path, tmp_path: Path
) -> None:
    predicate = tmp_path / "predicate.json"
    predicate.write_text(json.dumps({"reviewed": True}))
    bundle = tmp_path / "review.sigstore.json"
    argv = ["attest", "--quiet", "--trust-config", str(sigstore_instance.trust_config)]
    argv += ["--identity-token", sigstore_instance.token(), "--output", str(bundle)]
    argv += ["--predicate-type", "https://example.test/review/v1", "--predicate", str(predicate)]
    assert main([*argv, str(artifact)]) == 0
    code, result = verify(
        sigstore_instance, tmp_path, "--bundle", str(bundle), "--identity", TEST_IDENTITY,
        "--issuer", TEST_ISSUER, "--predicate-type", "https://example.test/review/v1",
        str(artifact),
    )  # fmt: skip
    assert code == 0, result


def test_provenance_outside_actions_names_the_missing_variable(
    sigstore_instance: SigstoreInstance,
    artifact: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)
    argv = ["attest", "--trust-config", str(sigstore_instance.trust_config), "--provenance"]
    assert main([*argv, "--identity-token", sigstore_instance.token(), str(artifact)]) == 1
    assert "GITHUB_REPOSITORY" in capsys.readouterr().err


def test_sign_can_attest_with_the_same_certificate(
    sigstore_instance: SigstoreInstance,
    artifact: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in RUNNER_ENV.items():
        monkeypatch.setenv(name, value)
    out = tmp_path / "sign.json"
    argv = ["sign", "--quiet", "--trust-config", str(sigstore_instance.trust_config)]
    argv += ["--identity-token", sigstore_instance.github_token(GH), "--json", str(out)]
    argv += ["--provenance", "--sbom", str(_sbom(tmp_path)), str(artifact)]
    assert main(argv) == 0
    report = json.loads(out.read_text())
    assert [item["kind"] for item in report["attestations"]] == ["provenance", "sbom"]
    certificates = {
        json.loads(Path(bundle).read_text())["verificationMaterial"]["certificate"]["rawBytes"]
        for bundle in [report["signed"][0]["bundle"]]
        + [item["bundle"] for item in report["attestations"]]
    }
    assert len(certificates) == 1
    for item in report["attestations"]:
        code, result = verify(
            sigstore_instance, tmp_path, "--bundle", item["bundle"], "--repository",
            GH.repository, "--predicate-type", item["predicate_type"], str(artifact),
        )  # fmt: skip
        assert code == 0, result


def test_a_bad_predicate_fails_before_anything_is_signed(
    sigstore_instance: SigstoreInstance,
    artifact: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    not_a_bom = tmp_path / "spdx.json"
    not_a_bom.write_text('{"spdxVersion": "SPDX-2.3"}')
    argv = ["sign", "--trust-config", str(sigstore_instance.trust_config)]
    argv += ["--identity-token", sigstore_instance.token(), "--sbom", str(not_a_bom)]
    assert main([*argv, str(artifact)]) == 1
    assert "CycloneDX" in capsys.readouterr().err
    assert not Path(f"{artifact}.sigstore.json").exists()


def test_gate_evidence_names_the_gate_and_its_verdict(
    sigstore_instance: SigstoreInstance,
    attested: dict[str, Path],
    artifact: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bundle = str(attested["gate-result"])
    base = ["--bundle", bundle, "--repository", GH.repository]
    code, result = verify(sigstore_instance, tmp_path, *base, "--gate", "integrated", str(artifact))
    assert code == 0, result
    gate = next(c for c in result["checks"] if c["name"] == "gate")
    assert gate["value"] == "integrated PASS"
    code, result = verify(sigstore_instance, tmp_path, *base, "--gate", "roi", str(artifact))
    assert code == 2 and failed(result) == {"gate"}

    # A FAIL result, signed all the same, is not evidence that the digest passed.
    failing = tmp_path / "failed-gate.json"
    failing.write_text(json.dumps({"gate": "integrated", "verdict": "FAIL", "checks": []}))
    out = tmp_path / "failed.sigstore.json"
    argv = ["attest", "--quiet", "--trust-config", str(sigstore_instance.trust_config)]
    argv += ["--identity-token", sigstore_instance.github_token(GH), "--output", str(out)]
    assert main([*argv, "--gate-result", str(failing), str(artifact)]) == 0
    code, result = verify(
        sigstore_instance, tmp_path, "--bundle", str(out), "--repository", GH.repository,
        str(artifact),
    )  # fmt: skip
    assert code == 2 and failed(result) == {"gate"}


def test_a_plain_signature_is_not_an_attestation(
    sigstore_instance: SigstoreInstance, github_signed: Path, tmp_path: Path
) -> None:
    code, result = verify(
        sigstore_instance, tmp_path, "--repository", GH.repository,
        "--predicate-type", PREDICATES["gate-result"], str(github_signed),
    )  # fmt: skip
    assert code == 2 and failed(result) == {"predicate-type"}


def test_statement_out_only_for_a_passing_attestation(
    sigstore_instance: SigstoreInstance, attested: dict[str, Path], artifact: Path, tmp_path: Path
) -> None:
    statement = tmp_path / "statement.json"
    base = ["--bundle", str(attested["gate-result"]), "--statement-out", str(statement)]
    code, result = verify(sigstore_instance, tmp_path, *base, "--repository", "octo-org/other")
    assert code == 2 and not statement.exists()
    assert result is not None and "statement" not in result["verified"][0]
    code, _ = verify(sigstore_instance, tmp_path, *base, "--repository", GH.repository)
    assert code == 0
    assert json.loads(statement.read_text())["predicate"]["gate"] == "integrated"


def test_a_refused_token_request_is_a_source_error(
    *,
    sigstore_instance: SigstoreInstance,
    artifact: Path,
    tmp_path: Path,
    actions_id_token: ActionsTokenEndpoint,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _actions_env(monkeypatch, tmp_path)
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "not-the-runner's")
    code = main(["sign", "--trust-config", str(sigstore_instance.trust_config), str(artifact)])
    assert code == 1
    err = capsys.readouterr().err
    assert "could not get an OIDC token from the runner" in err and "Traceback" not in err
    assert actions_id_token.requests  # it did ask
