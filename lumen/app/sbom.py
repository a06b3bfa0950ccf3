"""SBOM use cases shared by `lumen sbom diff` and the release notes: read a CycloneDX JSON SBOM
written by any tool, and compare two of them (release.sbom_diff)."""

from __future__ import annotations

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
