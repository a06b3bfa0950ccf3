"""SBOM use cases shared by `lumen sbom diff` and the release notes: read a CycloneDX JSON SBOM
written by any tool, and compare two of them (release.sbom_diff)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from gates.errors import InputError

if TYPE_CHECKING:
    from release.sbom_diff import SbomDiff


def load_sbom(path: str) -> dict[str, Any]:
    """A CycloneDX JSON SBOM from any tool, or a clear error."""
    from lumen.fileio import read_json
    from release.attest import sbom_predicate

    # the same test an SBOM attestation's predicate passes: a CycloneDX JSON document
    document: dict[str, Any] = sbom_predicate(read_json(path), source=path)
    if not isinstance(document.get("components", []), list):
        raise InputError("must be an array", file=path, field="components")
    return document


def sbom_diff(old_path: str, new_path: str) -> SbomDiff:
    """What changed between two SBOM files: components added, removed and bumped, new licences."""
    from release.sbom_diff import diff

    return diff(load_sbom(old_path), load_sbom(new_path))


# --- where SBOMs are consumed ------------------------------------------------------------------


def spdx_text(
    document: dict[str, Any],
    *,
    tool_version: str,
    created: datetime,
    serial_number: str | None,
    authors: tuple[str, ...] = (),
) -> str:
    """The SPDX 2.3 JSON equivalent of a CycloneDX document, checked against the official SPDX
    2.3 schema before anyone sees it (a document that fails is a bug: exit 1, nothing written).

    The namespace is the serial number's UUID, or for a reproducible document a digest of the
    CycloneDX content, so equal inputs give equal files."""
    import json

    from gates.errors import LumenError
    from lumen.schema import validator
    from release.spdx import content_digest, namespace_for, spdx_document

    root = (document.get("metadata") or {}).get("component") or {}
    unique = serial_number or content_digest([json.dumps(document, sort_keys=True)])
    spdx = spdx_document(
        document,
        created=created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        namespace=namespace_for(str(root.get("name") or "python-environment"), unique),
        tool=f"lumen-ci-{tool_version}",
        authors=authors,
    )
    errors = sorted(validator("spdx-2.3.schema.json").iter_errors(spdx), key=str)
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path)
        raise LumenError(
            f"generated SBOM is not valid SPDX 2.3 JSON: {errors[0].message} (at {where}); "
            "nothing was written"
        )
    return json.dumps(spdx, indent=2, ensure_ascii=False) + "\n"


def submit_snapshot(
    document: dict[str, Any],
    *,
    manifest: str,
    source_location: str | None,
    now: datetime,
    tool_version: str,
) -> Any:
    """Send the SBOM's dependencies to GitHub's dependency graph for this run's commit."""
    from gates.errors import UsageError
    from lumen.actions_runtime import GitHubContext
    from lumen.adapters.github.dependency_submission import submit
    from release.dependency_snapshot import snapshot

    ctx = GitHubContext.from_env()
    if not (ctx.repository and ctx.sha and ctx.ref):
        raise UsageError(
            "--submit needs GITHUB_REPOSITORY, GITHUB_SHA and GITHUB_REF (set in GitHub Actions)"
        )
    workflow = os.environ.get("GITHUB_WORKFLOW") or "lumen"
    job = os.environ.get("GITHUB_JOB") or "sbom"
    payload = snapshot(
        document,
        manifest=manifest,
        source_location=source_location,
        sha=ctx.sha,
        ref=ctx.ref,
        job_id=ctx.run_id or f"{workflow}-{job}",
        correlator=f"{workflow}_{job}_{manifest}",
        scanned=now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        detector_version=tool_version,
        html_url=(
            f"{ctx.server_url}/{ctx.repository}/actions/runs/{ctx.run_id}" if ctx.run_id else None
        ),
    )
    return submit(payload, repository=ctx.repository, ctx=ctx)


def dependency_track_checks(
    sbom_json: str, target: Any, limits: dict[str, int | None]
) -> tuple[Any, list[Any]]:
    """Upload to Dependency-Track, read back its findings, and judge them against `limits`."""
    from lumen.adapters.dependency_track import upload_and_read_back
    from release.dependency_track_gate import findings_checks

    findings = upload_and_read_back(target, sbom_json)
    checks = findings_checks(
        findings.severities,
        findings.violations,
        limits,
        violation_list=findings.violation_list,
    )
    return findings, checks
