"""Sign files keylessly with Sigstore (bundles written as FILE.sigstore.json).

In GitHub Actions the job's OIDC token is used (the job needs `permissions: id-token: write`);
elsewhere pass `--identity-token` or set `SIGSTORE_ID_TOKEN`. `--trust-config` (a Sigstore
ClientTrustConfig) or `--staging` select another Sigstore instance, as `sigstore` does.
`--provenance`, `--sbom`, `--gate-result` also attest the signed files, with the same certificate
(bundles `<first file>.<kind>.sigstore.json`, as `lumen attest` writes them).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from lumen import actions_runtime as gha
from lumen.app.signing import Instance, expand_files, load_instance, statements, subjects_of
from lumen.commands.common import add_common, now_of
from lumen.commands.sigstore_common import (
    add_attestation_options,
    add_instance_options,
    add_token_option,
    attestation_request,
    settings,
)
from lumen.fileio import write_json
from lumen.outputs import JSON, Output, publish

# The step outputs this command writes in Actions (and its action.yml declares).
OUTPUTS = (
    Output("bundles", "the <file>.sigstore.json bundles written, one per line"),
    JSON,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="*", metavar="FILE", help="files (or glob patterns) to sign")
    add_token_option(parser)
    add_attestation_options(parser, title="attest the signed files too (optional)")
    add_instance_options(parser, offline=False)
    add_common(parser, gate=False)


def run(args: argparse.Namespace) -> int:
    conf = settings(args, "sign", ("trust-config", "staging"))
    files = expand_files(args.files)

    from lumen.adapters.sigstore import identity_token, signing_session

    subjects = subjects_of(files)
    # bad predicates fail before anything is signed
    todo = statements(attestation_request(args), subjects, now=now_of(args))
    token = identity_token(args.identity_token)
    config = load_instance(Instance.from_settings(conf))
    signed: list[dict[str, Any]] = []
    attested: list[dict[str, str]] = []
    with signing_session(config, token) as session:
        for file, subject in zip(files, subjects, strict=True):
            bundle = session.sign_file(file)
            signed.append({"file": file, "sha256": subject.digest["sha256"], "bundle": str(bundle)})
            if not args.quiet:
                print(f"signed {file} -> {bundle}")
        for kind, statement in todo:
            target = session.sign_statement(statement, Path(f"{files[0]}.{kind}.sigstore.json"))
            attested.append(
                {"kind": kind, "predicate_type": statement["predicateType"], "bundle": str(target)}
            )
            if not args.quiet:
                print(f"attested {kind} ({statement['predicateType']}) -> {target}")
    if args.json:
        write_json(
            args.json,
            {
                "identity": token.identity,
                "issuer": token.issuer,
                "signed": signed,
                "attestations": attested,
            },
        )
    bundles = [item["bundle"] for item in signed + attested]
    publish(OUTPUTS, {"bundles": "\n".join(bundles)}, json_path=args.json)
    if gha.in_actions():
        lines = [f"### Signed with Sigstore as `{token.identity}`", ""]
        lines += [f"- `{item['file']}` → `{item['bundle']}`" for item in signed]
        lines += [f"- {item['kind']} attestation → `{item['bundle']}`" for item in attested]
        gha.add_summary("\n".join(lines) + "\n")
    return 0
