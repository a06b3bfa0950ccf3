"""The loopback Sigstore instance itself: reachable, self-consistent, and what tokens it accepts."""

from __future__ import annotations

import base64
import json
import urllib.request

import pytest

from harness.sigstore import GITHUB_ISSUER, GitHubIdentity, SigstoreInstance, unsigned_jwt

pytestmark = pytest.mark.sigstore


def test_instance_is_up_on_loopback(sigstore_instance: SigstoreInstance) -> None:
    assert sigstore_instance.base_url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(f"{sigstore_instance.base_url}/healthz", timeout=5) as response:
        assert response.read() == b"ok"


def test_trust_config_points_at_the_instance(sigstore_instance: SigstoreInstance) -> None:
    from sigstore.models import ClientTrustConfig

    document = json.loads(sigstore_instance.trust_config.read_text())
    assert document["mediaType"] == "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json"
    config = ClientTrustConfig.from_json(sigstore_instance.trust_config.read_text())
    urls = [
        service["url"]
        for key in ("caUrls", "rekorTlogUrls", "tsaUrls")
        for service in document["signingConfig"][key]
    ]
    assert all(url.startswith(sigstore_instance.base_url) for url in urls)
    assert len(config.trusted_root.get_fulcio_certs()) == 1


def test_github_token_claims() -> None:
    github = GitHubIdentity(repository="a/b", ref="refs/heads/main", workflow_file="ci.yml")
    claims = github.claims()
    assert claims["sub"] == "https://github.com/a/b/.github/workflows/ci.yml@refs/heads/main"
    assert claims["workflow_ref"] == "a/b/.github/workflows/ci.yml@refs/heads/main"
    token = unsigned_jwt({"iss": GITHUB_ISSUER, **claims})
    header, payload, signature = token.split(".")
    assert signature == ""
    assert json.loads(base64.urlsafe_b64decode(header + "==")) == {"alg": "none", "typ": "JWT"}
    assert json.loads(base64.urlsafe_b64decode(payload + "=="))["repository"] == "a/b"
