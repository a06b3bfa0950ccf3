"""What `lumen sign`, `lumen attest` and `lumen verify` share: options, file lists, statements.

Not a command. Light on purpose: sigstore itself is imported by the adapter, inside `run()`.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from gates.errors import InputError, UsageError
from lumen import actions_runtime as gha
from lumen.commands.common import config_of, env_service, now_of
from release import attest

_GLOB_CHARS = frozenset("*?[")


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


def load_instance(conf: Mapping[str, Any], *, offline: bool = False) -> Any:
    """The ClientTrustConfig the settings select (imports sigstore)."""
    from lumen.adapters.sigstore import load_trust_config

    return load_trust_config(
        trust_config=conf.get("trust-config"),
        staging=bool(conf.get("staging")),
        offline=offline,
        warn=warn,
    )


def _read_json(path: str, flag: str) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=path, field=flag) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not JSON: {exc.msg}", file=path, line=exc.lineno, expected="a JSON object"
        ) from None


def statements(
    args: argparse.Namespace, subjects: Sequence[attest.Subject]
) -> list[tuple[str, dict[str, Any]]]:
    """(kind, statement) for every attestation kind asked for, built before any signing."""
    out: list[tuple[str, dict[str, Any]]] = []
    if args.predicate_type or args.predicate:
        if not (args.predicate_type and args.predicate):
            raise UsageError("--predicate-type and --predicate go together")
        predicate = attest.predicate_object(
            _read_json(args.predicate, "--predicate"), source=args.predicate
        )
        out.append(("intoto", attest.statement(subjects, args.predicate_type, predicate)))
    if args.provenance:
        predicate = attest.github_provenance(os.environ, started_on=now_of(args))
        out.append(("provenance", attest.statement(subjects, attest.SLSA_PROVENANCE_V1, predicate)))
    if args.sbom:
        predicate = attest.sbom_predicate(_read_json(args.sbom, "--sbom"), source=args.sbom)
        out.append(("sbom", attest.statement(subjects, attest.CYCLONEDX_BOM, predicate)))
    if args.gate_result:
        document = _read_json(args.gate_result, "--gate-result")
        predicate = attest.gate_result_predicate(document, source=args.gate_result)
        out.append(("gate-result", attest.statement(subjects, attest.GATE_RESULT_V1, predicate)))
    return out


def subjects_of(files: Sequence[str]) -> list[attest.Subject]:
    from lumen.adapters.sigstore import sha256_file

    return [
        attest.Subject(name=os.path.basename(file), digest={"sha256": sha256_file(file)})
        for file in files
    ]
