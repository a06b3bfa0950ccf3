"""GitHub dependency snapshot (the dependency submission API's payload) from a CycloneDX document.

One manifest per SBOM. Every component with a purl is a resolved dependency: `direct` when the
root depends on it (with no root: when nothing in the bill depends on it), `indirect` otherwise,
with the purls of its own dependencies from the CycloneDX graph. Components without a purl (local
installs, files) are not packages GitHub can match against advisories, and are left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SNAPSHOT_VERSION = 0
DETECTOR_URL = "https://github.com/lumen-ci/lumen-ci"


def snapshot(
    cyclonedx: Mapping[str, Any],
    *,
    manifest: str,
    source_location: str | None,
    sha: str,
    ref: str,
    job_id: str,
    correlator: str,
    scanned: str,
    detector_version: str,
    html_url: str | None = None,
) -> dict[str, Any]:
    """The `POST /repos/{owner}/{repo}/dependency-graph/snapshots` body for an SBOM."""
    components = list(cyclonedx.get("components") or ())
    purl_of = {c["bom-ref"]: str(c["purl"]) for c in components if c.get("purl")}
    graph = {
        str(d.get("ref")): [str(t) for t in d.get("dependsOn") or ()]
        for d in cyclonedx.get("dependencies") or ()
    }
    root = (cyclonedx.get("metadata") or {}).get("component")
    if root is not None:
        direct = set(graph.get(root["bom-ref"], ()))
    else:
        required = {t for targets in graph.values() for t in targets}
        direct = {bom_ref for bom_ref in purl_of if bom_ref not in required}
    resolved: dict[str, Any] = {}
    for component in components:
        bom_ref = component["bom-ref"]
        if bom_ref not in purl_of:
            continue
        key = f"{component['name']}@{component.get('version', '')}".rstrip("@")
        resolved[key] = {
            "package_url": purl_of[bom_ref],
            "relationship": "direct" if bom_ref in direct else "indirect",
            "scope": "runtime",
            "dependencies": sorted({purl_of[t] for t in graph.get(bom_ref, ()) if t in purl_of}),
        }
    entry: dict[str, Any] = {"name": manifest, "resolved": dict(sorted(resolved.items()))}
    if source_location:
        entry["file"] = {"source_location": source_location}
    job: dict[str, Any] = {"id": job_id, "correlator": correlator}
    if html_url:
        job["html_url"] = html_url
    return {
        "version": SNAPSHOT_VERSION,
        "job": job,
        "sha": sha,
        "ref": ref,
        "detector": {"name": "lumen-ci", "version": detector_version, "url": DETECTOR_URL},
        "scanned": scanned,
        "manifests": {manifest: entry},
    }
