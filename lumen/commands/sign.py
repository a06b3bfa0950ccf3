"""Sign files keylessly with Sigstore (bundles written as FILE.sigstore.json).

In GitHub Actions the job's OIDC token is used (the job needs `permissions: id-token: write`);
elsewhere pass `--identity-token` or set `SIGSTORE_ID_TOKEN`. `--trust-config` (a Sigstore
ClientTrustConfig) or `--staging` select another Sigstore instance, as `sigstore` does.
`--provenance`, `--sbom`, `--gate-result` also attest the signed files, with the same certificate
(bundles `<first file>.<kind>.sigstore.json`, as `lumen attest` writes them).
"""

from __future__ import annotations

import argparse

from lumen import actions_runtime as gha
from lumen.app.signing import (
    sign,
)
from lumen.commands.common import add_common
from lumen.commands.sigstore_common import (
    add_attestation_options,
    add_instance_options,
    add_token_option,
    progress_of,
    signing_request,
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
    request = signing_request(args, args.files, what="FILE", sign_files=True, output=None)
    outcome = sign(request, progress=progress_of(args))
    signed, attested = outcome.signed, outcome.attested
    if args.json:
        write_json(
            args.json,
            {
                "identity": outcome.identity,
                "issuer": outcome.issuer,
                "signed": signed,
                "attestations": attested,
            },
        )
    bundles = [item["bundle"] for item in signed + attested]
    publish(OUTPUTS, {"bundles": "\n".join(bundles)}, json_path=args.json)
    if gha.in_actions():
        lines = [f"### Signed with Sigstore as `{outcome.identity}`", ""]
        lines += [f"- `{item['file']}` → `{item['bundle']}`" for item in signed]
        lines += [f"- {item['kind']} attestation → `{item['bundle']}`" for item in attested]
        gha.add_summary("\n".join(lines) + "\n")
    return 0
