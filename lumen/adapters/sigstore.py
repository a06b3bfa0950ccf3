"""Everything Lumen does with Sigstore services and sigstore-python, and nothing else.

Trust roots (a ClientTrustConfig file, staging, or production with a bounded refresh that falls
back to the root sigstore-python ships), identity tokens (explicit or ambient in GitHub Actions),
signing files and DSSE statements, and verification that reports plain data for
`release.verification` to judge. sigstore-python's exceptions stop here: callers see
`LumenError`s (exit 1) or results.

Importing this module imports sigstore, so command modules import it inside `run()` only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.x509 import Certificate, ExtensionNotFound, ObjectIdentifier
from sigstore import dsse
from sigstore.errors import Error as SigstoreError
from sigstore.models import Bundle, ClientTrustConfig
from sigstore.oidc import IdentityError, IdentityToken, detect_credential
from sigstore.sign import Signer, SigningContext
from sigstore.verify import Verifier, policy
from sigstore.verify.policy import VerificationPolicy

from gates.errors import InputError, SourceError, UsageError
from lumen.adapters.library_logs import to_current_stderr
from lumen.fileio import atomic_write
from release.verification import IdentityPolicy, ref_candidates

BUNDLE_SUFFIX = ".sigstore.json"


# What signing can fail with besides sigstore's own errors (the service clients' errors).
def _service_errors() -> tuple[type[Exception], ...]:
    # sigstore-python raises its service clients' own exceptions (private names) for HTTP-level
    # refusals; if a release moves them, fall back to its public base class alone.
    try:
        from sigstore._internal.fulcio.client import FulcioClientError
        from sigstore._internal.rekor import RekorClientError
        from sigstore._internal.timestamp import TimestampError
    except ImportError:  # pragma: no cover - depends on the sigstore release
        return (SigstoreError,)
    return (SigstoreError, FulcioClientError, RekorClientError, TimestampError)


_SERVICE_ERRORS = _service_errors()

# Certificate extensions Fulcio writes (https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md).
# The GitHub workflow ones are the v1 extensions `sigstore verify github` checks.
_RAW_CLAIMS = {
    "issuer": "1.3.6.1.4.1.57264.1.1",
    "trigger": "1.3.6.1.4.1.57264.1.2",
    "sha": "1.3.6.1.4.1.57264.1.3",
    "workflow": "1.3.6.1.4.1.57264.1.4",
    "repository": "1.3.6.1.4.1.57264.1.5",
    "ref": "1.3.6.1.4.1.57264.1.6",
}
_ISSUER_V2 = "1.3.6.1.4.1.57264.1.8"


def bundle_path_for(file: str | os.PathLike[str]) -> Path:
    return Path(f"{os.fspath(file)}{BUNDLE_SUFFIX}")


def sha256_file(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=os.fspath(path)) from None
    return digest.hexdigest()


# --- trust roots -----------------------------------------------------------------------------


def _quiet_tuf() -> None:
    # sigstore-python logs a warning whenever it loads the TUF cache offline; Lumen says what it
    # does itself, once, in its own words.
    logging.getLogger("sigstore._internal.tuf").setLevel(logging.ERROR)


def _refresh(staging: bool, timeout: float) -> ClientTrustConfig:
    """Refresh the public-good trust root over TUF, giving up after `timeout` seconds."""
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["config"] = (
                ClientTrustConfig.staging() if staging else ClientTrustConfig.production()
            )
        except BaseException as exc:
            box["error"] = exc

    # A daemon thread: if the network hangs, the process can still exit when lumen is done.
    thread = threading.Thread(target=work, name="sigstore-tuf-refresh", daemon=True)
    thread.start()
    thread.join(timeout)
    if "config" in box:
        return box["config"]  # type: ignore[no-any-return]
    error = box.get("error")
    raise TimeoutError(
        f"no answer within {timeout:g}s" if error is None else f"{type(error).__name__}: {error}"
    )


def load_trust_config(
    *,
    trust_config: str | None = None,
    staging: bool = False,
    offline: bool = False,
    refresh_timeout: float | None = None,
    warn: Callable[[str], None] | None = None,
) -> ClientTrustConfig:
    """The Sigstore instance to sign with or verify against.

    `trust_config` names a ClientTrustConfig file (a private or test instance). Otherwise the
    public-good instance (or `staging`): refreshed over TUF unless `offline`; a refresh that fails
    or takes longer than `refresh_timeout` (default: the run's `sigstore.refresh-timeout`) falls
    back to the trust root sigstore-python ships, with a warning: an offline runner must not wait
    for TCP timeouts.
    """
    # securesystemslib (under TUF) bound a log handler to the stderr it saw at import.
    to_current_stderr("securesystemslib")
    if trust_config and staging:
        raise UsageError("--trust-config and --staging are exclusive")
    if trust_config:
        try:
            text = Path(trust_config).read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror}", file=trust_config) from None
        try:
            return ClientTrustConfig.from_json(text)
        except Exception as exc:
            raise InputError(
                f"not a Sigstore ClientTrustConfig: {exc}",
                file=trust_config,
                expected="JSON with mediaType application/vnd.dev.sigstore.clienttrustconfig"
                ".v0.1+json, trustedRoot and signingConfig",
            ) from None
    _quiet_tuf()
    if not offline:
        try:
            if refresh_timeout is None:
                from lumen.settings import run_settings

                settings, scope = run_settings()
                refresh_timeout = settings.sigstore(scope).refresh_timeout
            return _refresh(staging, refresh_timeout)
        except Exception as exc:
            if warn:
                warn(
                    f"could not refresh the Sigstore trust root ({exc}); using the trust root "
                    "shipped with sigstore-python (pass --offline to skip the refresh)"
                )
    try:
        return (
            ClientTrustConfig.staging(offline=True)
            if staging
            else ClientTrustConfig.production(offline=True)
        )
    except Exception as exc:
        raise SourceError(f"cannot load the shipped Sigstore trust root: {exc}") from None


# --- identity tokens -------------------------------------------------------------------------

PERMISSION_HINT = (
    "the job needs `permissions: id-token: write` to sign keylessly (jobs triggered from forks "
    "cannot get it); see https://docs.github.com/en/actions/security-for-github-actions/"
    "security-hardening-your-deployments/about-security-hardening-with-openid-connect"
)


def identity_token(
    explicit: str | None = None, environ: Mapping[str, str] | None = None
) -> IdentityToken:
    """The OIDC token to sign with: given, `SIGSTORE_ID_TOKEN`, or GitHub Actions' ambient one."""
    env = os.environ if environ is None else environ
    raw = explicit or env.get("SIGSTORE_ID_TOKEN")
    source = "--identity-token" if explicit else "SIGSTORE_ID_TOKEN"
    if not raw:
        source = "the ambient GitHub Actions credential"
        if env.get("GITHUB_ACTIONS") == "true" and not (
            env.get("ACTIONS_ID_TOKEN_REQUEST_URL") and env.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
        ):
            # The runner sets both only for jobs granted `id-token: write`.
            raise SourceError("GitHub Actions gave this job no OIDC token", hint=PERMISSION_HINT)
        try:
            raw = detect_credential()
        except IdentityError as exc:
            from id import GitHubOidcPermissionCredentialError

            denied = isinstance(exc.__cause__, GitHubOidcPermissionCredentialError)
            hint = PERMISSION_HINT if denied else None
            raise SourceError(
                f"could not get an OIDC token from the runner: {exc}", hint=hint
            ) from None
        if not raw:
            raise UsageError(
                "no identity token: pass --identity-token TOKEN (or set SIGSTORE_ID_TOKEN); in "
                "GitHub Actions the job's OIDC token is used (`permissions: id-token: write`)"
            )
    try:
        token = IdentityToken(raw.strip())
    except IdentityError as exc:
        raise InputError(f"not a usable OIDC identity token: {exc}", field=source) from None
    if not token.in_validity_period():
        raise InputError("the identity token has expired", field=source)
    return token


# --- signing ---------------------------------------------------------------------------------


@dataclass
class SigningSession:
    """One signing certificate for many files (one Fulcio round trip, one key)."""

    signer: Signer
    identity: str

    def sign_file(self, file: str | os.PathLike[str], *, output: Path | None = None) -> Path:
        """Sign `file` and write its bundle (v0.3) atomically next to it or to `output`."""
        path = Path(file)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror}", file=str(path)) from None
        try:
            bundle = self.signer.sign_artifact(data)
        except _SERVICE_ERRORS as exc:
            raise SourceError(f"signing {path} failed: {exc}") from None
        target = output or bundle_path_for(path)
        _write_bundle(target, bundle)
        return target

    def sign_statement(self, statement: Mapping[str, Any], output: Path) -> Path:
        """Sign an in-toto statement as a DSSE envelope and write its bundle."""
        payload = json.dumps(statement, sort_keys=True, separators=(",", ":")).encode()
        try:
            bundle = self.signer.sign_dsse(dsse.Statement(payload))
        except _SERVICE_ERRORS as exc:
            kind = statement.get("predicateType")
            raise SourceError(f"signing the {kind} statement failed: {exc}") from None
        except ValueError as exc:  # sigstore's in-toto model rejected the statement
            raise InputError(f"not a valid in-toto statement: {exc}") from None
        _write_bundle(output, bundle)
        return output


def _write_bundle(target: Path, bundle: Bundle) -> None:
    try:
        atomic_write(target, bundle.to_json())
    except OSError as exc:
        raise InputError(f"cannot write the bundle: {exc.strerror}", file=str(target)) from None


@contextmanager
def signing_session(config: ClientTrustConfig, token: IdentityToken) -> Iterator[SigningSession]:
    try:
        context = SigningContext.from_trust_config(config)
        with context.signer(token, cache=True) as signer:
            yield SigningSession(signer=signer, identity=token.identity)
    except _SERVICE_ERRORS as exc:
        raise SourceError(f"Sigstore signing failed: {exc}") from None
    except OSError as exc:  # connection refused and friends, before sigstore wraps them
        raise SourceError(f"cannot reach the Sigstore instance: {exc}") from None


# --- verification ----------------------------------------------------------------------------


def load_bundle(path: str | os.PathLike[str]) -> Bundle:
    """A bundle file, or an InputError that says why it is not one (never a traceback)."""
    name = os.fspath(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the bundle: {exc.strerror}", file=name) from None
    try:
        json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            f"the bundle is not JSON ({exc}); truncated or not a bundle?",
            file=name,
            expected="a Sigstore bundle (.sigstore.json)",
        ) from None
    try:
        return Bundle.from_json(raw)
    except Exception as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(
            f"not a valid Sigstore bundle: {detail}",
            file=name,
            expected="a Sigstore bundle v0.1–v0.3",
        ) from None


def _extension_text(cert: Certificate, oid: str, *, der: bool) -> str | None:
    try:
        value = cert.extensions.get_extension_for_oid(ObjectIdentifier(oid)).value
    except ExtensionNotFound:
        return None
    raw: bytes = value.value  # type: ignore[attr-defined]
    if der:
        # A DER UTF8String: tag 0x0C, then a short or long length, then the text.
        if len(raw) < 2 or raw[0] != 0x0C:
            return None
        length, start = raw[1], 2
        if length & 0x80:
            count = length & 0x7F
            length, start = int.from_bytes(raw[2 : 2 + count], "big"), 2 + count
        raw = raw[start : start + length]
    return raw.decode("utf-8", errors="replace")


def certificate_claims(cert: Certificate) -> dict[str, str | None]:
    """What the signing certificate says about the signer, as plain strings."""
    claims: dict[str, str | None] = {
        name: _extension_text(cert, oid, der=False) for name, oid in _RAW_CLAIMS.items()
    }
    claims["issuer"] = _extension_text(cert, _ISSUER_V2, der=True) or claims["issuer"]
    identity = None
    try:
        from cryptography.x509 import (
            RFC822Name,
            SubjectAlternativeName,
            UniformResourceIdentifier,
        )

        san = cert.extensions.get_extension_for_class(SubjectAlternativeName).value
        names = san.get_values_for_type(UniformResourceIdentifier) + san.get_values_for_type(
            RFC822Name
        )
        identity = names[0] if names else None
    except ExtensionNotFound:
        pass
    claims["identity"] = identity
    return claims


def sigstore_policy(wanted: IdentityPolicy) -> VerificationPolicy:
    """The same constraints as sigstore-python's own policy objects (the final authority)."""
    children: list[VerificationPolicy] = [policy.OIDCIssuer(wanted.expected_issuer)]
    if wanted.identity:
        children.append(policy.Identity(identity=wanted.identity, issuer=wanted.expected_issuer))
    if wanted.repository:
        children.append(policy.GitHubWorkflowRepository(wanted.repository))
    if wanted.ref:
        refs: list[VerificationPolicy] = [
            policy.GitHubWorkflowRef(ref) for ref in ref_candidates(wanted.ref)
        ]
        children.append(refs[0] if len(refs) == 1 else policy.AnyOf(refs))
    if wanted.workflow:
        children.append(policy.GitHubWorkflowName(wanted.workflow))
    if wanted.sha:
        children.append(policy.GitHubWorkflowSHA(wanted.sha.lower()))
    if wanted.trigger:
        children.append(policy.GitHubWorkflowTrigger(wanted.trigger))
    return policy.AllOf(children)


class _ProofOnly:
    """A policy that accepts any identity, for the first, purely cryptographic pass.

    Never used alone: `verify_bundle` always applies the real policy afterwards. (sigstore's
    `UnsafeNoOp` would do the same but logs a warning meant for people who use it alone.)
    """

    def verify(self, cert: Certificate) -> None:
        return None


@dataclass
class Verification:
    """What verifying one bundle established, as plain data for `release.verification`."""

    bundle: str
    kind: str  # "artifact" (message signature) or "dsse"
    claims: dict[str, str | None]
    signed_digest: str | None = None
    error: str | None = None
    policy_error: str | None = None
    payload_type: str | None = None
    payload: bytes | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _signed_digest(bundle: Bundle) -> str | None:
    signature = bundle._inner.message_signature
    if signature is None or signature.message_digest is None:
        return None
    return bytes(signature.message_digest.digest).hex()


def verify_bundle(
    verifier: Verifier,
    bundle_file: str | os.PathLike[str],
    wanted: IdentityPolicy,
    *,
    artifact: str | os.PathLike[str] | None = None,
) -> Verification:
    """Verify a bundle cryptographically, then against `wanted` with sigstore's policies.

    The cryptographic proof is checked with no identity policy first so that an identity
    mismatch and a broken signature are reported apart; the identity constraints are then
    evaluated one by one by the caller from the returned claims, and by sigstore's AllOf here.
    """
    bundle = load_bundle(bundle_file)
    claims = certificate_claims(bundle.signing_certificate)
    dsse_bundle = bundle._dsse_envelope is not None
    result = Verification(
        bundle=os.fspath(bundle_file),
        kind="dsse" if dsse_bundle else "artifact",
        claims=claims,
        signed_digest=None if dsse_bundle else _signed_digest(bundle),
    )
    try:
        if dsse_bundle:
            result.payload_type, result.payload = verifier.verify_dsse(bundle, _ProofOnly())
        else:
            if artifact is None:
                raise UsageError(f"{bundle_file} signs a file: name the FILE to verify")
            data = Path(artifact).read_bytes()
            verifier.verify_artifact(data, bundle, _ProofOnly())
    except SigstoreError as exc:
        result.error = str(exc) or type(exc).__name__
        return result
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=os.fspath(artifact or "")) from None
    try:
        sigstore_policy(wanted).verify(bundle.signing_certificate)
    except SigstoreError as exc:
        result.policy_error = str(exc)
    return result


def verifier_for(config: ClientTrustConfig) -> Verifier:
    try:
        return Verifier(trusted_root=config.trusted_root)
    except SigstoreError as exc:
        raise InputError(f"the trust root is unusable: {exc}") from None
