"""Sign DSSE in-toto attestations with Sigstore: SLSA provenance, SBOM, gate result, or any.

Each kind becomes one statement about the SUBJECT files (by SHA-256), signed as a DSSE envelope
and written as `<first subject>.<kind>.sigstore.json` (or `--output`). Provenance describes the
GitHub Actions run from the runner's `GITHUB_*` variables.
"""

from __future__ import annotations

import argparse

from gates.errors import UsageError
from gates.timeutil import format_timestamp
from lumen.app.signing import (
    sign,
)
from lumen.commands.common import add_common, now_of
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
    Output("bundles", "the attestation bundles written, one per line"),
    JSON,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "subjects", nargs="*", metavar="SUBJECT", help="files the statements are about"
    )
    add_attestation_options(parser, title="what to attest (one or more)")
    parser.add_argument(
        "--output", metavar="PATH", help="bundle path (only when attesting a single kind)"
    )
    add_token_option(parser)
    add_instance_options(parser, offline=False)
    add_common(parser, gate=False)


def run(args: argparse.Namespace) -> int:
    request = signing_request(
        args, args.subjects, what="SUBJECT", sign_files=False, output=args.output
    )
    if not request.statements:
        raise UsageError(
            "say what to attest: --provenance, --sbom FILE, --gate-result FILE or "
            "--predicate-type URI --predicate FILE"
        )
    if args.output and len(request.statements) > 1:
        raise UsageError("--output names one bundle; attest one kind at a time to use it")
    outcome = sign(request, progress=progress_of(args))
    written = outcome.attested
    if args.json:
        write_json(
            args.json,
            {
                "identity": outcome.identity,
                "issuer": outcome.issuer,
                "subjects": [subject.to_dict() for subject in request.subjects],
                "attestations": written,
                "generated_at": format_timestamp(now_of(args)),
            },
        )
    publish(
        OUTPUTS, {"bundles": "\n".join(item["bundle"] for item in written)}, json_path=args.json
    )
    return 0
