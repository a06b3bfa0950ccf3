"""Signing: `lumen sign` + `lumen verify` of 100 files in one process, against the loopback
Sigstore instance of the test suite (no network; real Fulcio/Rekor/TSA protocol round trips).

The instance (a node process) is started when the bench worker imports this module, so its
start-up is not timed; it is stopped when the worker exits.
"""

from __future__ import annotations

import atexit
import contextlib
import sys
import tempfile
from pathlib import Path

from benchlib import ROOT, Case, Subject

sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

FILES = 100
SIZE = 64 * 1024


def make_files(work: Path) -> None:
    folder = work / "files"
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(FILES):
        # Distinct contents so every signature covers a different digest.
        (folder / f"artifact-{index:03d}.bin").write_bytes(index.to_bytes(4, "big") * (SIZE // 4))


def _instance():  # type: ignore[no-untyped-def]
    from harness.sigstore import start_sigstore_instance

    stack = contextlib.ExitStack()
    atexit.register(stack.close)
    workdir = Path(tempfile.mkdtemp(prefix="lumen-bench-sigstore-"))
    return stack.enter_context(start_sigstore_instance(workdir))


# Only bench workers (the processes that run a timed call) need the server.
INSTANCE = _instance() if "--worker" in sys.argv else None


def _files(work: Path) -> list[str]:
    return sorted(str(path) for path in (work / "files").glob("*.bin"))


def lumen_sign_verify(work: Path) -> None:
    from harness.sigstore import GitHubIdentity

    from lumen.cli import main

    assert INSTANCE is not None
    github = GitHubIdentity()
    files = _files(work)
    trust = ["--trust-config", str(INSTANCE.trust_config)]
    token = INSTANCE.github_token(github)
    if main(["sign", "--quiet", *trust, "--identity-token", token, *files]) != 0:
        raise SystemExit("lumen sign failed")
    policy = ["--repository", github.repository, "--ref", "v1.2.0", "--workflow", github.workflow]
    out = str(work / "verify.json")
    if main(["verify", "--quiet", *trust, *policy, "--json", out, *files]) != 0:
        raise SystemExit("lumen verify failed")


def sigstore_api_sign_verify(work: Path) -> None:
    """The same work with sigstore-python's API alone: what lumen adds is the difference."""
    from harness.sigstore import GITHUB_ISSUER, GitHubIdentity
    from sigstore.models import ClientTrustConfig
    from sigstore.oidc import IdentityToken
    from sigstore.sign import SigningContext
    from sigstore.verify import Verifier, policy

    assert INSTANCE is not None
    github = GitHubIdentity()
    config = ClientTrustConfig.from_json(INSTANCE.trust_config.read_text())
    files = [Path(name) for name in _files(work)]
    bundles = []
    context = SigningContext.from_trust_config(config)
    with context.signer(IdentityToken(INSTANCE.github_token(github))) as signer:
        for file in files:
            bundle = signer.sign_artifact(file.read_bytes())
            Path(f"{file}.sigstore.json").write_text(bundle.to_json())
            bundles.append(bundle)
    verifier = Verifier(trusted_root=config.trusted_root)
    wanted = policy.AllOf(
        [
            policy.OIDCIssuer(GITHUB_ISSUER),
            policy.GitHubWorkflowRepository(github.repository),
            policy.GitHubWorkflowRef(github.ref),
            policy.GitHubWorkflowName(github.workflow),
        ]
    )
    for file, bundle in zip(files, bundles, strict=True):
        verifier.verify_artifact(file.read_bytes(), bundle, wanted)


CASES = [
    Case(
        name="sign-verify-100",
        description=(
            f"`lumen sign` of {FILES} files of {SIZE // 1024} KiB (one signing certificate, one "
            "Rekor entry and one timestamp per file) then `lumen verify` of all of them with a "
            "GitHub identity policy, in one process against the loopback Sigstore instance; "
            "peer: the same calls made directly with sigstore-python's API. Lumen's extra time "
            "is mostly durability (each bundle is written atomically and fsynced; the peer just "
            "writes) and the per-constraint checks."
        ),
        subject=Subject("lumen sign + verify (100 files)", lumen_sign_verify),
        peer=Subject("sigstore-python API (100 files)", sigstore_api_sign_verify),
        setup=make_files,
        repeat=5,
        warmup=1,
        budget=20.0,
    ),
]
