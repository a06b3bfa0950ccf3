"""Offline verification of a real public-good bundle (trailofbits/rfc8785.py at v0.1.2).

The bundle was made by GitHub Actions and Sigstore's production instance; it verifies against the
trust root sigstore-python ships, with no network. Every constraint that does not hold must be
named in the result; a broken bundle is an input error (exit 1), never a traceback.
"""

from __future__ import annotations

import base64
import json
import shutil
import time
from pathlib import Path

import pytest

from lumen.cli import main

# Copied from the sigstore-python project's public test assets (see fixtures/README.md).
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ARTIFACT = FIXTURES / "bundle_v3_github.whl"
BUNDLE = FIXTURES / "bundle_v3_github.whl.sigstore"
REPOSITORY = "trailofbits/rfc8785.py"
SHA = "d8b4a6445f38c48b9137a8099706d9b8073146e4"
IDENTITY = (
    "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2"
)
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"


@pytest.fixture(autouse=True)
def _not_in_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)


def verify(tmp_path: Path, *flags: str, artifact: Path = ARTIFACT, bundle: Path = BUNDLE):
    out = tmp_path / "verify.json"
    code = main(
        ["verify", "--offline", "--bundle", str(bundle), "--json", str(out), *flags, str(artifact)]
    )
    document = json.loads(out.read_text()) if out.exists() else None
    return code, document


def failed(document: dict) -> set[str]:
    return {check["name"] for check in document["checks"] if check["verdict"] == "FAIL"}


def test_right_repository_and_short_ref_pass(tmp_path: Path) -> None:
    code, document = verify(tmp_path, "--repository", REPOSITORY, "--ref", "v0.1.2")
    assert code == 0
    assert document["verdict"] == "PASS"
    names = [check["name"] for check in document["checks"]]
    assert names == ["digest", "signature", "issuer", "repository", "ref"]
    ref = document["checks"][-1]
    assert ref["value"] == "refs/tags/v0.1.2"
    assert ref["threshold"] == "refs/tags/v0.1.2 or refs/heads/v0.1.2"
    assert document["verified"][0]["identity"] == IDENTITY


def test_every_github_constraint_passes(tmp_path: Path) -> None:
    code, document = verify(
        tmp_path,
        "--repository", REPOSITORY,
        "--ref", "refs/tags/v0.1.2",
        "--workflow", "release",
        "--sha", SHA,
        "--trigger", "release",
    )  # fmt: skip
    assert code == 0, document
    assert {c["name"] for c in document["checks"]} >= {"workflow", "sha", "trigger"}


def test_identity_and_issuer_pass(tmp_path: Path) -> None:
    code, document = verify(tmp_path, "--identity", IDENTITY, "--issuer", GITHUB_ISSUER)
    assert code == 0, document


@pytest.mark.parametrize(
    ("flags", "constraint"),
    [
        (["--repository", "trailofbits/other"], "repository"),
        (["--repository", REPOSITORY, "--ref", "v0.1.3"], "ref"),
        (["--repository", REPOSITORY, "--ref", "main"], "ref"),
        (["--repository", REPOSITORY, "--workflow", "ci"], "workflow"),
        (["--repository", REPOSITORY, "--sha", "0" * 40], "sha"),
        (["--repository", REPOSITORY, "--trigger", "push"], "trigger"),
        (["--identity", IDENTITY.replace("v0.1.2", "v9"), "--issuer", GITHUB_ISSUER], "identity"),
        (["--identity", IDENTITY, "--issuer", "https://accounts.google.com"], "issuer"),
    ],
)
def test_a_wrong_constraint_is_named(tmp_path: Path, flags: list[str], constraint: str) -> None:
    code, document = verify(tmp_path, *flags)
    assert code == 2
    assert document["verdict"] == "FAIL"
    assert failed(document) == {constraint}


def test_a_changed_byte_fails_the_digest(tmp_path: Path) -> None:
    changed = tmp_path / ARTIFACT.name
    data = bytearray(ARTIFACT.read_bytes())
    data[len(data) // 2] ^= 0x01
    changed.write_bytes(bytes(data))
    code, document = verify(tmp_path, "--repository", REPOSITORY, artifact=changed)
    assert code == 2
    assert failed(document) == {"digest"}
    assert "file changed" in document["checks"][0]["reason"]


@pytest.mark.parametrize("keep", [0.5, 0.9, 0.99])
def test_a_truncated_bundle_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], keep: float
) -> None:
    raw = BUNDLE.read_bytes()
    truncated = tmp_path / "truncated.sigstore.json"
    truncated.write_bytes(raw[: int(len(raw) * keep)])
    code, document = verify(tmp_path, "--repository", REPOSITORY, bundle=truncated)
    err = capsys.readouterr().err
    assert code == 1
    assert document is None
    assert "truncated.sigstore.json" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_json_that_is_not_a_bundle_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bogus = tmp_path / "bogus.sigstore.json"
    document = json.loads(BUNDLE.read_text())
    del document["verificationMaterial"]
    bogus.write_text(json.dumps(document))
    code, _ = verify(tmp_path, "--repository", REPOSITORY, bundle=bogus)
    err = capsys.readouterr().err
    assert code == 1
    assert "not a valid Sigstore bundle" in err and "bogus.sigstore.json" in err


def test_a_tampered_signature_fails_the_proof(tmp_path: Path) -> None:
    document = json.loads(BUNDLE.read_text())
    signature = bytearray(base64.b64decode(document["messageSignature"]["signature"]))
    signature[-1] ^= 0x01
    document["messageSignature"]["signature"] = base64.b64encode(signature).decode()
    tampered = tmp_path / "tampered.sigstore.json"
    tampered.write_text(json.dumps(document))
    code, result = verify(tmp_path, "--repository", REPOSITORY, bundle=tampered)
    assert code == 2
    assert failed(result) - {"digest"}  # something in the proof is named, not just "FAIL"
    assert "repository" not in failed(result)


def test_a_policy_that_accepts_anyone_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = verify(tmp_path, "--ref", "v0.1.2")
    assert code == 1
    assert "--repository" in capsys.readouterr().err


def test_default_bundle_name_next_to_the_file(tmp_path: Path) -> None:
    artifact = tmp_path / ARTIFACT.name
    shutil.copy(ARTIFACT, artifact)
    shutil.copy(BUNDLE, tmp_path / (ARTIFACT.name + ".sigstore.json"))
    code = main(["verify", "--offline", "--quiet", "--repository", REPOSITORY, str(artifact)])
    assert code == 0


def test_a_hanging_refresh_falls_back_to_the_shipped_root(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sigstore.models import ClientTrustConfig

    from lumen.adapters import sigstore as adapter

    real = ClientTrustConfig.production.__func__  # type: ignore[attr-defined]

    def production(cls, offline: bool = False):
        if not offline:
            time.sleep(30)  # a network that never answers
        return real(cls, offline=offline)

    monkeypatch.setattr(ClientTrustConfig, "production", classmethod(production))
    warnings: list[str] = []
    started = time.monotonic()
    config = adapter.load_trust_config(refresh_timeout=0.5, warn=warnings.append)
    assert time.monotonic() - started < 15  # the network would take 30 s
    assert config.trusted_root is not None
    assert len(warnings) == 1 and "shipped with sigstore-python" in warnings[0]


def test_without_offline_an_unreachable_tuf_repository_is_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A dead proxy makes the refresh fail at once, whatever network the machine has.
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    started = time.monotonic()
    out = tmp_path / "v.json"
    argv = ["verify", "--bundle", str(BUNDLE), "--repository", REPOSITORY, "--json", str(out)]
    code = main([*argv, str(ARTIFACT)])
    assert code == 0
    assert time.monotonic() - started < 15
    assert "using the trust root shipped with sigstore-python" in capsys.readouterr().err


def test_policy_from_the_config_file_per_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "lumen.yml"
    config.write_text(
        "verify:\n"
        f"  repository: {REPOSITORY}\n"
        "  ref: v0.1.2\n"
        "  offline: true\n"
        "environments:\n"
        "  prod:\n"
        "    verify:\n"
        "      workflow: nightly\n"
    )
    out = tmp_path / "v.json"
    argv = ["verify", "--config", str(config), "--bundle", str(BUNDLE), "--json", str(out)]
    assert main([*argv, str(ARTIFACT)]) == 0
    # prod pins another workflow: the same bundle now fails on exactly that constraint.
    assert main([*argv, "--env", "production", str(ARTIFACT)]) == 2
    assert failed(json.loads(out.read_text())) == {"workflow"}
    # A flag wins over the config.
    assert main([*argv, "--env", "prod", "--workflow", "release", str(ARTIFACT)]) == 0


def test_unknown_verify_config_key_is_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "lumen.yml"
    config.write_text(f"verify:\n  repository: {REPOSITORY}\n  repo: typo\n")
    code = main(["verify", "--config", str(config), "--bundle", str(BUNDLE), str(ARTIFACT)])
    assert code == 1
    err = capsys.readouterr().err
    assert "lumen.yml:3" in err and "repo" in err


def test_a_malformed_trust_config_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "trust.json"
    config.write_text('{"mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json"}')
    code, _ = verify(tmp_path, "--repository", REPOSITORY, "--trust-config", str(config))
    err = capsys.readouterr().err
    assert code == 1
    assert "trust.json" in err and "ClientTrustConfig" in err and "Traceback" not in err


def test_trust_config_and_staging_are_exclusive(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = verify(tmp_path, "--repository", REPOSITORY, "--trust-config", "x", "--staging")
    assert code == 1
    assert "exclusive" in capsys.readouterr().err
