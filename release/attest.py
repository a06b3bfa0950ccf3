"""In-toto statements Lumen signs as DSSE attestations: SLSA provenance v1, the CycloneDX SBOM
and a gate result (docs/reference.md#signing).

Pure builders over plain data: the runner's environment arrives as a mapping, the start time as a
value, files as (name, digest) subjects. Signing the statement is the Sigstore adapter's job
(`lumen.adapters.sigstore`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gates.errors import InputError
from gates.timeutil import format_timestamp

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1"
CYCLONEDX_BOM = "https://cyclonedx.org/bom"
GATE_RESULT_V1 = "https://lumen-ci.dev/gate-result/v1"

# The build type GitHub's own provenance uses for a workflow run, so verifiers that know
# `actions/attest-build-provenance` statements read ours the same way.
GITHUB_WORKFLOW_BUILD_TYPE = "https://actions.github.io/buildtypes/workflow/v1"

# Short names for the attestation kinds `lumen attest` builds (also bundle file suffixes).
PREDICATE_TYPES: dict[str, str] = {
    "provenance": SLSA_PROVENANCE_V1,
    "sbom": CYCLONEDX_BOM,
    "gate-result": GATE_RESULT_V1,
}

_HEX = re.compile(r"^[0-9a-f]+$")
_DIGEST_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128, "sha1": 40, "gitCommit": 40}


@dataclass(frozen=True)
class Subject:
    """What a statement is about: a name and its digests (`{"sha256": hex}`)."""

    name: str
    digest: Mapping[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "digest": dict(self.digest)}


def statement(
    subjects: Sequence[Subject], predicate_type: str, predicate: Mapping[str, Any]
) -> dict[str, Any]:
    """An in-toto Statement v1; rejects what a verifier would choke on later."""
    if not subjects:
        raise InputError("an attestation needs at least one subject", field="SUBJECT")
    if not re.match(r"^[a-z][a-z0-9+.-]*:", predicate_type):
        raise InputError(
            f"{predicate_type!r} is not a URI",
            field="--predicate-type",
            expected="a URI such as https://slsa.dev/provenance/v1",
        )
    for subject in subjects:
        if not subject.digest:
            raise InputError(f"subject {subject.name!r} has no digest", field="subject")
        for algorithm, value in subject.digest.items():
            expected = _DIGEST_LENGTHS.get(algorithm)
            if not _HEX.match(value) or (expected is not None and len(value) != expected):
                raise InputError(
                    f"subject {subject.name!r}: {algorithm} digest {value!r} is malformed",
                    field="subject.digest",
                    expected="lower-case hex of the right length",
                )
    return {
        "_type": STATEMENT_TYPE,
        "subject": [subject.to_dict() for subject in subjects],
        "predicateType": predicate_type,
        "predicate": dict(predicate),
    }


def _require(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise InputError(
            f"{name} is not set",
            field=name,
            expected="the GitHub Actions runner environment (provenance describes a workflow run)",
        )
    return value


def github_provenance(environ: Mapping[str, str], *, started_on: datetime) -> dict[str, Any]:
    """SLSA provenance v1 predicate for the GitHub Actions run described by `environ`.

    `buildDefinition` follows GitHub's workflow build type: the workflow file at its ref is the
    external parameter, run facts that do not change the result are internal ones, and the
    source commit is the one resolved dependency. `runDetails` names the hosted or self-hosted
    runner as builder and the run attempt's URL as the invocation.
    """
    server = environ.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    repository = _require(environ, "GITHUB_REPOSITORY")
    ref = _require(environ, "GITHUB_REF")
    sha = _require(environ, "GITHUB_SHA")
    run_id = _require(environ, "GITHUB_RUN_ID")
    attempt = environ.get("GITHUB_RUN_ATTEMPT", "1") or "1"
    workflow_ref = environ.get("GITHUB_WORKFLOW_REF", "")
    # GITHUB_WORKFLOW_REF is `owner/repo/.github/workflows/file.yml@ref`.
    workflow_path = workflow_ref.split("@", 1)[0].removeprefix(repository + "/")
    runner = environ.get("RUNNER_ENVIRONMENT", "github-hosted") or "github-hosted"

    internal: dict[str, Any] = {
        "github": {
            key: environ[var]
            for key, var in (
                ("event_name", "GITHUB_EVENT_NAME"),
                ("repository_id", "GITHUB_REPOSITORY_ID"),
                ("repository_owner_id", "GITHUB_REPOSITORY_OWNER_ID"),
                ("runner_environment", "RUNNER_ENVIRONMENT"),
            )
            if environ.get(var)
        }
    }
    return {
        "buildDefinition": {
            "buildType": GITHUB_WORKFLOW_BUILD_TYPE,
            "externalParameters": {
                "workflow": {
                    "ref": ref,
                    "repository": f"{server}/{repository}",
                    "path": workflow_path or environ.get("GITHUB_WORKFLOW", ""),
                }
            },
            "internalParameters": internal,
            "resolvedDependencies": [
                {"uri": f"git+{server}/{repository}@{ref}", "digest": {"gitCommit": sha}}
            ],
        },
        "runDetails": {
            "builder": {"id": f"https://github.com/actions/runner/{runner}"},
            "metadata": {
                "invocationId": f"{server}/{repository}/actions/runs/{run_id}/attempts/{attempt}",
                "startedOn": format_timestamp(started_on),
            },
        },
    }


def sbom_predicate(document: Any, *, source: str = "SBOM") -> dict[str, Any]:
    """The CycloneDX document itself is the predicate of a `https://cyclonedx.org/bom` statement."""
    if not isinstance(document, dict) or document.get("bomFormat") != "CycloneDX":
        raise InputError(
            "not a CycloneDX JSON document",
            file=source,
            field="bomFormat",
            expected='"bomFormat": "CycloneDX" (write one with `lumen sbom`)',
        )
    return document


def gate_result_predicate(document: Any, *, source: str = "result") -> dict[str, Any]:
    """A Lumen gate result (the JSON `--json` writes) as the gate-evidence predicate."""
    if not isinstance(document, dict):
        raise InputError("a gate result must be a JSON object", file=source)
    for key in ("gate", "verdict", "checks"):
        if key not in document:
            raise InputError(
                f"missing {key!r}",
                file=source,
                field=key,
                expected="a result written by a lumen gate's --json",
            )
    return document


def predicate_object(document: Any, *, source: str) -> dict[str, Any]:
    """Any predicate must be a JSON object (in-toto requires it)."""
    if not isinstance(document, dict):
        raise InputError("the predicate must be a JSON object", file=source, field="predicate")
    return document
