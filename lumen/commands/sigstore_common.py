"""The flags `lumen sign`, `lumen attest` and `lumen verify` share, and their translation into
the signing use case's inputs (lumen.app.signing). Not a command."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

from lumen.app.signing import AttestationRequest, SigningRequest
from lumen.commands.common import config_of, env_service, now_of


def add_instance_options(parser: argparse.ArgumentParser, *, offline: bool) -> None:
    """Which Sigstore instance to sign with or verify against."""
    group = parser.add_argument_group("Sigstore instance")
    group.add_argument(
        "--trust-config",
        metavar="FILE",
        help="a Sigstore ClientTrustConfig (trusted root + signing config) for a private instance",
    )
    group.add_argument(
        "--staging",
        action="store_true",
        default=None,
        help="use Sigstore's staging instance instead of the public-good one",
    )
    if offline:
        group.add_argument(
            "--offline",
            action="store_true",
            default=None,
            help="no trust-root refresh: use the trust root sigstore-python ships",
        )


def add_token_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--identity-token",
        metavar="TOKEN",
        help="OIDC identity token (default: SIGSTORE_ID_TOKEN, or the ambient GitHub Actions "
        "token; the job needs `permissions: id-token: write`)",
    )


def add_attestation_options(parser: argparse.ArgumentParser, *, title: str) -> None:
    """The attestation kinds (each one DSSE statement about the subject files)."""
    kinds = parser.add_argument_group(title)
    kinds.add_argument(
        "--provenance",
        action="store_true",
        help="SLSA provenance v1 of this GitHub Actions run (https://slsa.dev/provenance/v1)",
    )
    kinds.add_argument(
        "--sbom", metavar="FILE", help="a CycloneDX JSON SBOM (https://cyclonedx.org/bom)"
    )
    kinds.add_argument(
        "--gate-result",
        metavar="FILE",
        help="a lumen gate's --json result (https://lumen-ci.dev/gate-result/v1)",
    )
    kinds.add_argument("--predicate-type", metavar="URI", help="predicate type of --predicate")
    kinds.add_argument("--predicate", metavar="FILE", help="any predicate JSON (--predicate-type)")


def settings(args: argparse.Namespace, section: str, keys: Sequence[str]) -> dict[str, Any]:
    """Flags over the config file's `section:` (flag name = config key)."""
    env, service = env_service(args)
    flags = {key: getattr(args, key.replace("-", "_"), None) for key in keys}
    return config_of(args).resolve(section, flags, env=env, service=service)


def attestation_request(args: argparse.Namespace) -> AttestationRequest:
    """The attestation kinds the flags of add_attestation_options ask for."""
    return AttestationRequest(
        provenance=bool(args.provenance),
        sbom=args.sbom,
        gate_result=args.gate_result,
        predicate_type=args.predicate_type,
        predicate=args.predicate,
    )


def signing_request(
    args: argparse.Namespace,
    patterns: Sequence[str],
    *,
    what: str,
    sign_files: bool,
    output: str | None,
) -> SigningRequest:
    """What `lumen sign` and `lumen attest` sign: the files (named or matched by `patterns`),
    their digests and the statements asked for, all built (and checked) before anything is
    signed."""
    from lumen.app.signing import Instance, expand_files, statements, subjects_of

    conf = settings(args, "sign", ("trust-config", "staging"))
    files = expand_files(patterns, what=what)
    subjects = subjects_of(files)
    return SigningRequest(
        files=files,
        subjects=subjects,
        statements=statements(attestation_request(args), subjects, now=now_of(args)),
        instance=Instance.from_settings(conf),
        identity_token=args.identity_token,
        sign_files=sign_files,
        output=output,
    )


def progress_of(args: argparse.Namespace) -> Callable[[str], None]:
    """Where signing progress goes: stdout, or nowhere with --quiet."""
    return (lambda _line: None) if args.quiet else print
