"""SPDX 2.3 JSON from the CycloneDX document Lumen builds (docs/reference.md#release, `--format
spdx-json`).

Made from the CycloneDX document rather than from the inventory, so the two formats cannot tell
different stories: every CycloneDX component is an SPDX package, every `dependsOn` edge a
`DEPENDS_ON` relationship, the root (`metadata.component`) the package the document DESCRIBES.
Pure: the caller gives the creation time and the namespace; validation against the official
SPDX 2.3 JSON schema (policy/schemas/spdx-2.3.schema.json) happens at the edge.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

SPDX_VERSION = "SPDX-2.3"
DOCUMENT_ID = "SPDXRef-DOCUMENT"
NOASSERTION = "NOASSERTION"

# CycloneDX `hash-alg` → SPDX checksum algorithm (the 2.3 schema's enum spelling).
CHECKSUM_ALGORITHMS = {
    "MD5": "MD5",
    "SHA-1": "SHA1",
    "SHA-256": "SHA256",
    "SHA-384": "SHA384",
    "SHA-512": "SHA512",
    "SHA3-256": "SHA3-256",
    "SHA3-384": "SHA3-384",
    "SHA3-512": "SHA3-512",
    "BLAKE2b-256": "BLAKE2b-256",
    "BLAKE2b-384": "BLAKE2b-384",
    "BLAKE2b-512": "BLAKE2b-512",
    "BLAKE3": "BLAKE3",
}

_ID_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")
_ARCHIVE = re.compile(r"\.(whl|tar\.gz|tgz|zip|tar\.bz2|tar\.xz|egg)$", re.IGNORECASE)


def spdx_id(prefix: str, text: str) -> str:
    """`SPDXRef-<prefix>-<text>` in the id's alphabet (letters, digits, `.`, `-`), with a short
    digest of the original so that two texts that sanitise alike stay two ids."""
    safe = _ID_UNSAFE.sub("-", text).strip("-")[:80] or "x"
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    return f"SPDXRef-{prefix}-{safe}-{digest}"


def licence_ref(name: str) -> str:
    """`LicenseRef-…` standing for a licence known only by its declared name."""
    return spdx_id("x", name).replace("SPDXRef-x-", "LicenseRef-", 1)


def _licence_expression(
    component: Mapping[str, Any], extracted: dict[str, str]
) -> tuple[str, str | None]:
    """(licenseDeclared, licenseComments) for a component's CycloneDX licences.

    Ids and expressions are SPDX already. A licence known only by name becomes a `LicenseRef-`
    whose extracted text is that name. Several declared licences (old metadata: a `License`
    field and classifiers) are joined with AND: the metadata does not say that one may choose.
    """
    parts: list[str] = []
    for entry in component.get("licenses") or ():
        if "expression" in entry:
            text = str(entry["expression"])
            parts.append(f"({text})" if " " in text else text)
            continue
        licence = entry.get("license") or {}
        if licence.get("id"):
            parts.append(str(licence["id"]))
        elif licence.get("name"):
            ref = licence_ref(str(licence["name"]))
            extracted[ref] = str(licence["name"])
            parts.append(ref)
    parts = list(dict.fromkeys(parts))
    if not parts:
        return NOASSERTION, None
    if len(parts) == 1:
        return parts[0].removeprefix("(").removesuffix(")") if _wrapped(parts[0]) else parts[
            0
        ], None
    return " AND ".join(
        parts
    ), "several licences declared; the metadata does not say they are alternatives"


def _wrapped(text: str) -> bool:
    return text.startswith("(") and text.endswith(")")


def _purpose(component: Mapping[str, Any]) -> str:
    kind = component.get("type")
    if kind == "file":
        return "ARCHIVE" if _ARCHIVE.search(str(component.get("name", ""))) else "FILE"
    if kind == "application":
        return "APPLICATION"
    return "LIBRARY"


def _package(
    component: Mapping[str, Any], ref_ids: Mapping[str, str], extracted: dict[str, str]
) -> dict[str, Any]:
    package: dict[str, Any] = {
        "SPDXID": ref_ids[component["bom-ref"]],
        "name": str(component["name"]),
    }
    if component.get("version"):
        package["versionInfo"] = str(component["version"])
    if component.get("type") == "file":
        package["packageFileName"] = str(component["name"])
    supplier = (component.get("supplier") or {}).get("name")
    package["supplier"] = f"Organization: {supplier}" if supplier else NOASSERTION
    package["downloadLocation"] = NOASSERTION
    package["filesAnalyzed"] = False
    checksums = [
        {"algorithm": CHECKSUM_ALGORITHMS[h["alg"]], "checksumValue": str(h["content"]).lower()}
        for h in component.get("hashes") or ()
        if h.get("alg") in CHECKSUM_ALGORITHMS
    ]
    if checksums:
        package["checksums"] = checksums
    declared, comment = _licence_expression(component, extracted)
    package["licenseConcluded"] = NOASSERTION
    package["licenseDeclared"] = declared
    if comment:
        package["licenseComments"] = comment
    package["copyrightText"] = NOASSERTION
    if component.get("description"):
        package["summary"] = str(component["description"])
    if component.get("purl"):
        package["externalRefs"] = [
            {
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": str(component["purl"]),
            }
        ]
    package["primaryPackagePurpose"] = _purpose(component)
    return package


def spdx_document(
    cyclonedx: Mapping[str, Any],
    *,
    created: str,
    namespace: str,
    tool: str,
    authors: Sequence[str] = (),
) -> dict[str, Any]:
    """The SPDX 2.3 JSON document equivalent to a CycloneDX document Lumen built.

    `created` is an ISO 8601 UTC time (`2026-01-02T03:04:05Z`), `namespace` a unique URI for
    this document, `tool` `name-version` of the writer.
    """
    metadata = cyclonedx.get("metadata") or {}
    root = metadata.get("component")
    components: list[Mapping[str, Any]] = list(cyclonedx.get("components") or ())
    everything = ([root] if root else []) + components
    ref_ids = {c["bom-ref"]: spdx_id("Package", str(c["bom-ref"])) for c in everything}
    extracted: dict[str, str] = {}
    packages = [_package(c, ref_ids, extracted) for c in everything]

    relationships: list[dict[str, str]] = []
    described = [ref_ids[root["bom-ref"]]] if root else [ref_ids[c["bom-ref"]] for c in components]
    for target in described:
        relationships.append(_relationship(DOCUMENT_ID, "DESCRIBES", target))
    for dependency in cyclonedx.get("dependencies") or ():
        source = ref_ids.get(dependency.get("ref"))
        if source is None:
            continue
        for target_ref in dependency.get("dependsOn") or ():
            if target_ref in ref_ids:
                relationships.append(_relationship(source, "DEPENDS_ON", ref_ids[target_ref]))

    name = str(root["name"]) if root else "python-environment"
    creators = [f"Tool: {tool}", *(f"Person: {a}" for a in dict.fromkeys(authors))]
    document: dict[str, Any] = {
        "spdxVersion": SPDX_VERSION,
        "dataLicense": "CC0-1.0",
        "SPDXID": DOCUMENT_ID,
        "name": name,
        "documentNamespace": namespace,
        "creationInfo": {"created": created, "creators": creators},
        "packages": sorted(
            packages, key=lambda p: (p["name"], p.get("versionInfo", ""), p["SPDXID"])
        ),
        "relationships": sorted(
            relationships,
            key=lambda r: (
                r["relationshipType"] != "DESCRIBES",
                r["spdxElementId"],
                r["relatedSpdxElement"],
            ),
        ),
    }
    if extracted:
        document["hasExtractedLicensingInfos"] = [
            {"licenseId": ref, "extractedText": text, "name": text}
            for ref, text in sorted(extracted.items())
        ]
    return document


def _relationship(source: str, kind: str, target: str) -> dict[str, str]:
    return {"spdxElementId": source, "relationshipType": kind, "relatedSpdxElement": target}


def dependency_edges(document: Mapping[str, Any]) -> set[tuple[str, str]]:
    """(package, dependency) SPDXID pairs of an SPDX document's DEPENDS_ON relationships."""
    return {
        (r["spdxElementId"], r["relatedSpdxElement"])
        for r in document.get("relationships") or ()
        if r.get("relationshipType") == "DEPENDS_ON"
    }


def namespace_for(name: str, unique: str) -> str:
    """A document namespace: an https URI no other document shares (`unique`: a UUID, or a
    digest of the content for a reproducible document)."""
    return f"https://spdx.org/spdxdocs/{_ID_UNSAFE.sub('-', name).strip('-') or 'sbom'}-{unique}"


def content_digest(parts: Iterable[str]) -> str:
    """A stable digest of text parts (for the namespace of a reproducible document)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:32]
