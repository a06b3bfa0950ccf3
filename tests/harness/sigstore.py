"""A loopback Sigstore instance (Fulcio, CT log, Rekor v1, TSA) for sign → verify round trips.

`sigstore_mock_server.js` serves npm `@sigstore/mock` on 127.0.0.1 with fresh keys and writes the
matching ClientTrustConfig; sigstore-python then signs and verifies against it exactly as it does
against sigstore.dev (certificate chain, SCT, log inclusion and timestamp are all checked).
Identity tokens are unsigned JWTs: the mock Fulcio trusts any token, which is the point of a test
instance. GitHub Actions claims in the token become the certificate extensions that the GitHub
verification policy reads.

`start_sigstore_instance` is plain Python so the bench can use it too; the `sigstore_instance`
fixture wraps it for pytest (one server per test session). `actions_id_token` plays the GitHub
Actions runner's OIDC endpoint (`ACTIONS_ID_TOKEN_REQUEST_URL`), for ambient-credential tests.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import selectors
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from harness.binaries import require_binary
from harness.loopback import serving

HERE = Path(__file__).resolve().parent
SERVER_SCRIPT = HERE / "sigstore_mock_server.js"
NODE_MODULES = HERE.parent / "npm" / "node_modules"

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
TEST_ISSUER = "https://issuer.lumen.test"
TEST_IDENTITY = "https://lumen.test/signer"
STARTUP_TIMEOUT = 20.0


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unsigned_jwt(claims: dict[str, Any]) -> str:
    """A JWT with `alg: none`: sigstore-python reads the claims without checking a signature."""
    header = _b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{_b64url(json.dumps(claims).encode())}."


@dataclass(frozen=True)
class GitHubIdentity:
    """What a GitHub Actions run's OIDC token says about it, and the identity it yields."""

    repository: str = "octo-org/demo"
    ref: str = "refs/tags/v1.2.0"
    sha: str = "0123456789abcdef0123456789abcdef01234567"
    workflow: str = "release"
    workflow_file: str = "release.yml"
    event_name: str = "push"
    run_id: str = "4242"
    run_attempt: str = "1"

    @property
    def workflow_ref(self) -> str:
        return f"{self.repository}/.github/workflows/{self.workflow_file}@{self.ref}"

    @property
    def identity(self) -> str:
        """The certificate SAN Fulcio gives a GitHub workflow: its URL at the ref."""
        return f"https://github.com/{self.workflow_ref}"

    def claims(self) -> dict[str, Any]:
        owner = self.repository.split("/")[0]
        return {
            "sub": self.identity,
            "repository": self.repository,
            "repository_owner": owner,
            "repository_id": "101",
            "repository_owner_id": "202",
            "repository_visibility": "public",
            "ref": self.ref,
            "sha": self.sha,
            "workflow": self.workflow,
            "workflow_ref": self.workflow_ref,
            "workflow_sha": self.sha,
            "job_workflow_ref": self.workflow_ref,
            "job_workflow_sha": self.sha,
            "event_name": self.event_name,
            "runner_environment": "github-hosted",
            "run_id": self.run_id,
            "run_attempt": self.run_attempt,
        }


@dataclass(frozen=True)
class SigstoreInstance:
    base_url: str
    trust_config: Path

    def token(
        self,
        *,
        identity: str = TEST_IDENTITY,
        issuer: str = TEST_ISSUER,
        lifetime: int = 600,
        **claims: Any,
    ) -> str:
        """An identity token for `identity` (the certificate SAN) from `issuer`."""
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": issuer,
            "sub": identity,
            "aud": "sigstore",
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
        }
        body.update(claims)
        return unsigned_jwt(body)

    def github_token(self, github: GitHubIdentity | None = None) -> str:
        """A token as GitHub Actions would mint it for the run described by `github`."""
        github = github or GitHubIdentity()
        claims = github.claims()
        return self.token(identity=claims.pop("sub"), issuer=GITHUB_ISSUER, **claims)


def _wait_for_banner(process: subprocess.Popen[str], deadline: float) -> str:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if process.poll() is not None:
                break
            if selector.select(timeout=0.2):
                line = process.stdout.readline()
                if line.startswith("LISTENING "):
                    return line.split(" ", 1)[1].strip()
    raise RuntimeError("the loopback Sigstore instance did not start (see its server.log)")


@contextlib.contextmanager
def start_sigstore_instance(
    workdir: Path, *, node: str | None = None
) -> Iterator[SigstoreInstance]:
    """Run the mock server until the block ends; yields its URL and trust config."""
    node = node or shutil.which("node")
    if not node:
        raise RuntimeError("node is not installed")
    workdir.mkdir(parents=True, exist_ok=True)
    # Loopback traffic must never go through a proxy a developer has configured.
    no_proxy = os.environ.get("NO_PROXY", "")
    if "127.0.0.1" not in no_proxy:
        os.environ["NO_PROXY"] = ",".join(filter(None, [no_proxy, "127.0.0.1", "localhost"]))
    # The server's complaints go to a file: a pipe nobody drains would block it when full.
    log = open(workdir / "server.log", "w")  # noqa: SIM115 - closed in the finally below
    process = subprocess.Popen(
        [node, str(SERVER_SCRIPT), str(workdir), str(NODE_MODULES)],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        base_url = _wait_for_banner(process, time.monotonic() + STARTUP_TIMEOUT)
        yield SigstoreInstance(base_url=base_url, trust_config=workdir / "trust_config.json")
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()
        log.close()


@pytest.fixture(scope="session")
def sigstore_instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SigstoreInstance]:
    """One loopback Sigstore instance for the whole session (keys are fresh per session)."""
    node = require_binary("node")
    with start_sigstore_instance(tmp_path_factory.mktemp("sigstore"), node=node) as instance:
        yield instance


@dataclass
class ActionsTokenEndpoint:
    """The runner's ID-token endpoint on loopback: hands out `token` to bearer `request_token`."""

    url: str
    request_token: str
    token: str
    requests: list[str] = field(default_factory=list)

    def environ(self) -> dict[str, str]:
        """What the runner sets for a job with `permissions: id-token: write`."""
        return {
            "ACTIONS_ID_TOKEN_REQUEST_URL": self.url,
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": self.request_token,
        }


@contextlib.contextmanager
def serve_actions_id_token(token: str) -> Iterator[ActionsTokenEndpoint]:
    endpoint = ActionsTokenEndpoint(url="", request_token="lumen-test-request-token", token=token)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            endpoint.requests.append(self.path)
            # GitHub answers 401 to anything but its own bearer request token.
            if self.headers.get("Authorization", "").lower() != f"bearer {endpoint.request_token}":
                self.send_response(401)
                self.end_headers()
                return
            body = json.dumps({"count": 1, "value": endpoint.token}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    with serving(Handler) as base:
        endpoint.url = f"{base}/_apis/idtoken?api-version=2.0"
        yield endpoint


@pytest.fixture
def actions_id_token(
    sigstore_instance: SigstoreInstance, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ActionsTokenEndpoint]:
    """An Actions job with `id-token: write` whose token says it is `GitHubIdentity()`'s run.

    Sets the two runner variables in this process; set `.token` to change the identity.
    """
    with serve_actions_id_token(sigstore_instance.github_token()) as endpoint:
        for name, value in endpoint.environ().items():
            monkeypatch.setenv(name, value)
        yield endpoint
