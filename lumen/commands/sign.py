"""Sign files keylessly with Sigstore (bundles written as FILE.sigstore.json).

In GitHub Actions the job's OIDC token is used (the job needs `permissions: id-token: write`);
elsewhere pass `--identity-token` or set `SIGSTORE_ID_TOKEN`. `--trust-config` (a Sigstore
ClientTrustConfig) or `--staging` select another Sigstore instance, as `sigstore` does.
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
from collections.abc import Mapping
from typing import Any

from gates.errors import InputError, UsageError
from lumen import actions_runtime as gha
from lumen.commands.common import add_common, config_of, env_service
from lumen.fileio import write_json

_GLOB_CHARS = frozenset("*?[")


def add_instance_options(parser: argparse.ArgumentParser, *, offline: bool) -> None:
    """Which Sigstore instance: the options `sign`, `attest` and `verify` share."""
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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="*", metavar="FILE", help="files (or glob patterns) to sign")
    add_token_option(parser)
    add_instance_options(parser, offline=False)
    add_common(parser, gate=False)


def settings(args: argparse.Namespace, section: str, keys: tuple[str, ...]) -> dict[str, Any]:
    """Flags over the config file's `section:` (flag name = config key)."""
    env, service = env_service(args)
    flags = {key: getattr(args, key.replace("-", "_"), None) for key in keys}
    return config_of(args).resolve(section, flags, env=env, service=service)


def expand_files(patterns: list[str], *, what: str = "FILE") -> list[str]:
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
        raise UsageError(f"name at least one {what} to sign")
    return files


def warn(message: str) -> None:
    print(f"lumen: warning: {message}", file=sys.stderr, flush=True)
    if gha.in_actions():
        gha.annotate("warning", message, title="lumen sigstore")


def load_instance(conf: Mapping[str, Any], *, offline: bool = False) -> Any:
    from lumen.adapters.sigstore import load_trust_config

    return load_trust_config(
        trust_config=conf.get("trust-config"),
        staging=bool(conf.get("staging")),
        offline=offline,
        warn=warn,
    )


def run(args: argparse.Namespace) -> int:
    conf = settings(args, "sign", ("trust-config", "staging"))
    files = expand_files(args.files)

    from lumen.adapters.sigstore import identity_token, sha256_file, signing_session

    token = identity_token(args.identity_token)
    config = load_instance(conf)
    signed: list[dict[str, str]] = []
    with signing_session(config, token) as session:
        for file in files:
            bundle = session.sign_file(file)
            signed.append({"file": file, "sha256": sha256_file(file), "bundle": str(bundle)})
            if not args.quiet:
                print(f"signed {file} -> {bundle}")
    document = {"identity": token.identity, "issuer": token.issuer, "signed": signed}
    if args.json:
        write_json(args.json, document)
    if gha.in_actions():
        gha.set_output("bundles", "\n".join(item["bundle"] for item in signed))
        lines = [f"### Signed with Sigstore as `{token.identity}`", ""]
        lines += [f"- `{item['file']}` → `{item['bundle']}`" for item in signed]
        gha.add_summary("\n".join(lines) + "\n")
    return 0
