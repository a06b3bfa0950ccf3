"""CycloneDX 1.6 bill of materials from plain data (docs/reference.md#sbom).

Adapters (environment introspection, lock-file readers, artifact hashing) produce `Component`
values; `bom_document` turns an `Inventory` of them into the CycloneDX 1.6 JSON document, as
plain data. Serializing, validating and writing it happen at the edge (`lumen.commands.sbom`),
so everything here is a function of its arguments: no files, no clock, no environment.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from gates.errors import InputError

TOOL_NAME = "lumen-ci"
PURL_TYPE = "pypi"
# Property CycloneDX tools use to mark a document without timestamp or serial number.
REPRODUCIBLE_PROPERTY = "cdx:reproducible"

_NORMALIZE = re.compile(r"[-_.]+")


def normalize_name(name: str) -> str:
    """PEP 503 name: the key two spellings of one distribution share (`Foo_Bar` ~ `foo-bar`)."""
    return _NORMALIZE.sub("-", name).lower()


def purl_of(name: str, version: str | None) -> str:
    """`pkg:pypi/<name>@<version>` as the purl spec writes it for PyPI: lower case, `_` → `-`.

    Dots stay (the purl spec keeps them, and so does every other CycloneDX tool), so purls agree
    across tools; the version is percent-encoded where the spec requires it (`+` of local
    versions).
    """
    purl = f"pkg:{PURL_TYPE}/{_purl_quote(name.lower().replace('_', '-'))}"
    if version:
        purl += "@" + _purl_quote(version)
    return purl


def _purl_quote(text: str) -> str:
    safe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_~"
    return "".join(ch if ch in safe else "".join(f"%{b:02X}" for b in ch.encode()) for ch in text)


@dataclass(frozen=True)
class Component:
    """One thing in the bill: a Python distribution or a release file.

    `licenses` holds what was declared: SPDX ids or expressions where known, names otherwise.
    `hashes` pairs hashlib algorithm names (`sha256`) with hex digests. `requires` names direct
    dependencies (any spelling; matched by normalized name). `purl` is False for things that are
    not published on PyPI (local or editable installs, files).
    """

    name: str
    version: str | None = None
    kind: str = "library"
    licenses: tuple[str, ...] = ()
    hashes: tuple[tuple[str, str], ...] = ()
    requires: tuple[str, ...] = ()
    description: str | None = None
    supplier: str | None = None
    authors: tuple[str, ...] = ()
    purl: bool = True
    sources: tuple[str, ...] = ()
    properties: tuple[tuple[str, str], ...] = ()
    # Files inside this one (a wheel's files, from its RECORD): nested `components`.
    contents: tuple[Component, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        """Identity for merging: files by path, packages by normalized name and version."""
        if self.kind == "file":
            return (self.bom_ref, self.version or "")
        return (normalize_name(self.name), self.version or "")

    @property
    def bom_ref(self) -> str:
        if self.kind == "file":
            # By the path given (two `app.whl` from two folders are two files).
            return f"file:{self.sources[0] if self.sources else self.name}"
        if self.purl:
            return purl_of(self.name, self.version)
        return f"{normalize_name(self.name)}=={self.version or ''}"


@dataclass(frozen=True)
class Inventory:
    """Everything one SBOM describes. `root` is the project itself (from pyproject.toml)."""

    components: tuple[Component, ...]
    root: Component | None = None
    properties: tuple[tuple[str, str], ...] = field(default=())
    # Who wrote the SBOM data (NTIA "author"); by default the root project's authors.
    sbom_authors: tuple[str, ...] | None = None

    @property
    def authors(self) -> tuple[str, ...]:
        if self.sbom_authors is not None:
            return self.sbom_authors
        return self.root.authors if self.root is not None else ()


def merge(components: Iterable[Component]) -> tuple[Component, ...]:
    """One component per identity, in first-seen order; later sightings add what they know.

    The same `idna 3.7` read from an environment and from a requirements file with `--hash`
    becomes one component with the environment's licences and the file's hashes.
    """
    merged: dict[tuple[str, str], Component] = {}
    for comp in components:
        seen = merged.get(comp.key)
        if seen is None:
            merged[comp.key] = comp
            continue
        merged[comp.key] = replace(
            seen,
            licenses=seen.licenses or comp.licenses,
            hashes=_union(seen.hashes, comp.hashes),
            requires=_union(seen.requires, comp.requires),
            description=seen.description or comp.description,
            supplier=seen.supplier or comp.supplier,
            authors=seen.authors or comp.authors,
            purl=seen.purl and comp.purl,
            sources=_union(seen.sources, comp.sources),
            properties=_union(seen.properties, comp.properties),
            contents=seen.contents or comp.contents,
        )
    return tuple(merged.values())


def _union(first: Sequence[Any], second: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(dict.fromkeys([*first, *second]))


def declared_licenses(
    expression: str | None, license_field: str | None, classifiers: Iterable[str]
) -> tuple[str, ...]:
    """Licences a distribution's metadata declares, SPDX ids where the SPDX list says so
    (`release.licences`: PEP 639's order, names and classifiers read against the list the
    license-expression library ships)."""
    from release.licences import declared_licenses as declared

    return declared(expression, license_field, classifiers)


def root_from_pyproject(document: Mapping[str, Any]) -> Component | None:
    """The project a `pyproject.toml` describes ([project] or [tool.poetry]), or None."""
    project = document.get("project")
    poetry = (document.get("tool") or {}).get("poetry")
    if isinstance(project, Mapping) and project.get("name"):
        version = project.get("version")
        licenses: tuple[str, ...] = ()
        lic = project.get("license")
        if isinstance(lic, str):
            licenses = (lic,)
        elif isinstance(lic, Mapping) and isinstance(lic.get("text"), str):
            licenses = declared_licenses(None, lic["text"], ())
        classifiers = [c for c in project.get("classifiers") or () if isinstance(c, str)]
        licenses = licenses or declared_licenses(None, None, classifiers)
        authors = tuple(
            str(a.get("name") or a.get("email"))
            for a in project.get("authors") or ()
            if isinstance(a, Mapping) and (a.get("name") or a.get("email"))
        )
        requires = tuple(
            name
            for dep in project.get("dependencies") or ()
            if isinstance(dep, str) and (name := requirement_name(dep))
        )
        return Component(
            name=str(project["name"]),
            version=str(version) if version else None,
            kind="application",
            licenses=licenses,
            requires=requires,
            description=project.get("description") or None,
            authors=authors,
            supplier=authors[0] if authors else None,
            purl=True,
            sources=("pyproject.toml",),
        )
    if isinstance(poetry, Mapping) and poetry.get("name"):
        authors = tuple(_person(str(a)) for a in poetry.get("authors") or ())
        deps = poetry.get("dependencies") or {}
        return Component(
            name=str(poetry["name"]),
            version=str(poetry.get("version")) if poetry.get("version") else None,
            kind="application",
            licenses=(str(poetry["license"]),) if poetry.get("license") else (),
            requires=tuple(str(n) for n in deps if str(n).lower() != "python"),
            description=poetry.get("description") or None,
            authors=authors,
            supplier=authors[0] if authors else None,
            sources=("pyproject.toml",),
        )
    return None


def _person(text: str) -> str:
    """`Jane Doe <jane@example.org>` → `Jane Doe`."""
    return text.split("<", 1)[0].strip() or text.strip()


_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")


def requirement_name(requirement: str) -> str | None:
    """The distribution name at the start of a PEP 508 requirement, or None."""
    match = _REQ_NAME.match(requirement)
    return match.group(1) if match else None


_REQ_EXTRAS = re.compile(r"^\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*\[([^\]]*)\]")


def requirement_extras(requirement: str) -> tuple[str, ...]:
    """Extras a PEP 508 requirement asks for: `jsonschema[format]>=4` → (`format`,)."""
    match = _REQ_EXTRAS.match(requirement)
    if not match:
        return ()
    return tuple(normalize_name(e.strip()) for e in match.group(1).split(",") if e.strip())


# `name-1.2.3-py3-none-any.whl`, `name-1.2.3.tar.gz`: distribution file names carry a version.
_WHEEL = re.compile(r"^(?P<name>[^-]+)-(?P<version>[^-]+)(?:-\d[^-]*)?-[^-]+-[^-]+-[^-]+\.whl$")
_SDIST = re.compile(r"^(?P<name>.+)-(?P<version>\d[^-]*)\.(?:tar\.gz|zip|tar\.bz2)$")


def artifact_version(filename: str) -> str | None:
    """The version a wheel or sdist file name states, or None for other files."""
    for pattern in (_WHEEL, _SDIST):
        match = pattern.match(filename)
        if match:
            return match.group("version")
    return None


def artifact_component(
    filename: str,
    sha256: str,
    sha512: str,
    *,
    source: str | None = None,
    files: Sequence[tuple[str, str]] = (),
) -> Component:
    """A release file: CycloneDX `file` component with its SHA-256 and SHA-512, and for a wheel
    the files it holds (`files`: path inside, SHA-256 from its RECORD) as nested components."""
    where = source or filename
    return Component(
        name=filename,
        version=artifact_version(filename),
        kind="file",
        hashes=(("sha256", sha256), ("sha512", sha512)),
        purl=False,
        sources=(where,),
        contents=tuple(
            Component(
                name=inner,
                kind="file",
                hashes=(("sha256", digest),),
                purl=False,
                sources=(f"{where}!/{inner}",),
            )
            for inner, digest in files
        ),
    )


def record_entries(text: str, file: str = "RECORD") -> tuple[tuple[str, str, str], ...]:
    """A wheel's `RECORD` (CSV rows `path,alg=<urlsafe base64, unpadded>,size`) as
    (path, hashlib algorithm, hex digest); rows without a hash (RECORD itself, signatures) are
    left out. A malformed hash is an error naming the row."""
    import base64
    import binascii
    import csv

    out = []
    for lineno, row in enumerate(csv.reader(text.splitlines()), start=1):
        if len(row) < 2 or not row[1]:
            continue
        alg, sep, encoded = row[1].partition("=")
        try:
            if not sep:
                raise ValueError(row[1])
            digest = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).hex()
        except (ValueError, binascii.Error):
            raise InputError(
                f"hash {row[1]!r} of {row[0]!r} is not alg=<urlsafe base64>",
                file=file,
                line=lineno,
                expected="sha256=… as the wheel spec writes it",
            ) from None
        out.append((row[0], alg.lower(), digest))
    return tuple(out)


SPEC_VERSION = "1.6"
SCHEMA_URL = "http://cyclonedx.org/schema/bom-1.6.schema.json"


def bom_document(
    inventory: Inventory,
    *,
    tool_version: str,
    timestamp: datetime | None,
    serial_number: str | None,
) -> dict[str, Any]:
    """The CycloneDX 1.6 JSON document for an inventory, as plain data.

    This is the document cyclonedx-python-lib's `JsonV1Dot6` writes for the same bill (the
    tests load it with `Bom.from_json` and compare the library's own serialization with it),
    built directly: importing the library's model costs more than the rest of `lumen sbom`,
    and the XML form is made from this document by the library (`lumen.commands.sbom`).
    Components, dependencies, hashes and properties are sorted, so one inventory always
    gives one document.

    `timestamp` and `serial_number` None make a reproducible document (marked with the
    `cdx:reproducible` property, as cyclonedx-py does); the caller decides, this function never
    reads the clock. The dependency graph links every component to the components it requires
    that are in the bill, and the root to its declared dependencies (or, when it declares
    none, to every component nothing else requires).
    """
    packages = [c for c in inventory.components if c.kind != "file"]
    by_name: dict[str, Component] = {}
    for comp in packages:
        by_name.setdefault(normalize_name(comp.name), comp)

    graph: dict[str, list[str]] = {}
    required: set[str] = set()
    for comp in packages:
        targets = _targets(comp, by_name)
        required.update(normalize_name(t.name) for t in targets)
        graph[comp.bom_ref] = [t.bom_ref for t in targets]
    for comp in inventory.components:
        if comp.kind == "file":
            graph[comp.bom_ref] = []
    if inventory.root is not None:
        direct = _targets(inventory.root, by_name)
        if not direct:
            direct = [c for c in packages if normalize_name(c.name) not in required]
        graph[inventory.root.bom_ref] = [t.bom_ref for t in direct]

    metadata: dict[str, Any] = {}
    if timestamp is not None:
        metadata["timestamp"] = timestamp.isoformat()
    metadata["tools"] = {
        "components": [{"type": "application", "name": TOOL_NAME, "version": tool_version}]
    }
    if inventory.authors:
        metadata["authors"] = [{"name": author} for author in dict.fromkeys(inventory.authors)]
    if inventory.root is not None:
        metadata["component"] = _component_entry(inventory.root)
    properties = list(inventory.properties)
    if timestamp is None:
        properties.append((REPRODUCIBLE_PROPERTY, "true"))
    if properties:
        metadata["properties"] = _property_entries(properties)

    document: dict[str, Any] = {
        "$schema": SCHEMA_URL,
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
    }
    if serial_number is not None:
        document["serialNumber"] = f"urn:uuid:{serial_number}"
    document["version"] = 1
    document["metadata"] = metadata
    # Empty lists are left out, as the library leaves them out.
    entries = [_component_entry(comp) for comp in inventory.components]
    entries.sort(key=lambda e: (e["type"], e["name"], e.get("version", ""), e["bom-ref"]))
    if entries:
        document["components"] = entries
    if graph:
        document["dependencies"] = [
            {"ref": ref, "dependsOn": sorted(set(targets))} if targets else {"ref": ref}
            for ref, targets in sorted(graph.items())
        ]
    return document


def library_bom(document: Mapping[str, Any]) -> Any:
    """cyclonedx-python-lib's `Bom` for a `bom_document` (what its XML writer takes).

    `Bom.from_json` fills in "now" and a fresh serial number where the document has none; a
    reproducible document must stay without them.
    """
    from cyclonedx.model.bom import Bom

    bom = Bom.from_json(document)  # type: ignore[attr-defined]
    if "serialNumber" not in document:
        bom.serial_number = None
    if "timestamp" not in (document.get("metadata") or {}):
        bom.metadata.timestamp = None
    return bom


def _targets(comp: Component, by_name: Mapping[str, Component]) -> list[Component]:
    out: dict[str, Component] = {}
    for name in comp.requires:
        target = by_name.get(normalize_name(name))
        if target is not None and target.key != comp.key:
            out[normalize_name(name)] = target
    return list(out.values())


# hashlib names → CycloneDX `hash-alg` names; other algorithms are left out of the document.
_HASH_NAMES = {
    "md5": "MD5",
    "sha1": "SHA-1",
    "sha256": "SHA-256",
    "sha384": "SHA-384",
    "sha512": "SHA-512",
    "sha3_256": "SHA3-256",
    "sha3_384": "SHA3-384",
    "sha3_512": "SHA3-512",
    "blake2b_256": "BLAKE2b-256",
}


def _component_entry(comp: Component) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": comp.kind, "bom-ref": comp.bom_ref, "name": comp.name}
    if comp.version:
        entry["version"] = comp.version
    if comp.description:
        entry["description"] = comp.description
    if comp.supplier:
        entry["supplier"] = {"name": comp.supplier}
    licences = licence_entries(comp.licenses)
    if licences:
        entry["licenses"] = licences
    hashes = {
        (_HASH_NAMES[alg.lower()], digest.lower())
        for alg, digest in comp.hashes
        if alg.lower() in _HASH_NAMES
    }
    if hashes:
        entry["hashes"] = [{"alg": alg, "content": digest} for alg, digest in sorted(hashes)]
    if comp.purl and comp.kind != "file":
        entry["purl"] = purl_of(comp.name, comp.version)
    # Where a component was read from, when that is a file (lock, requirements, pyproject); an
    # environment's components all come from the one environment named in the report.
    # (A file inside a wheel is named by its bom-ref `file:app.whl!/path` already.)
    sources = [("lumen:source", s) for s in comp.sources if s != "environment" and "!/" not in s]
    properties = [*comp.properties, *sources]
    if properties:
        entry["properties"] = _property_entries(properties)
    if comp.contents:
        entry["components"] = sorted(
            (_component_entry(inner) for inner in comp.contents), key=lambda e: e["bom-ref"]
        )
    return entry


def _property_entries(pairs: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, value in sorted(set(pairs))]


@functools.cache
def spdx_ids() -> dict[str, str]:
    """SPDX licence ids CycloneDX 1.6 accepts (the list cyclonedx-python-lib ships), by lower
    case: the id check `cyclonedx.spdx.fixup_id` makes, without importing that module, whose
    import builds the whole SPDX expression parser (about 50 ms) that plain ids never need."""
    from cyclonedx.schema._res import SPDX_JSON

    with open(SPDX_JSON, encoding="utf-8") as handle:
        ids = json.load(handle)["enum"]
    return {str(spdx_id).lower(): str(spdx_id) for spdx_id in ids}


_EXPRESSION_HINTS = (" and ", " or ", " with ", "(", "+", "licenseref-", "documentref-")
_EXPRESSION_TOKEN = re.compile(r"\(|\)|[^\s()]+")
_OPERATORS = frozenset({"and", "or", "with"})


def _may_be_expression(text: str, ids: Mapping[str, str]) -> bool:
    """Whether SPDX's parser could accept `text`: it looks compound, and every token is an
    operator, a known id (with an optional `+`), a LicenseRef/DocumentRef, or the exception
    after WITH. Names such as `GNU GPLv3+` or trove classifiers fail at once (an unknown key
    is an error to the parser too), without loading it."""
    lowered = f" {text.lower()} "
    if not any(hint in lowered for hint in _EXPRESSION_HINTS):
        return False
    after_with = False
    for token in _EXPRESSION_TOKEN.findall(text):
        key = token.lower()
        if token in "()" or key in _OPERATORS:
            after_with = key == "with"
            continue
        known = key.removesuffix("+") in ids or key.startswith(("licenseref-", "documentref-"))
        if not (known or after_with):
            return False
        after_with = False
    return True


def _plain_expression(text: str, ids: Mapping[str, str]) -> bool:
    """True for the common compound form the SPDX grammar accepts for sure: canonical ids
    joined by AND/OR, with balanced parentheses (PEP 639's `Apache-2.0 OR BSD-2-Clause`).
    Anything else (WITH, `+`, LicenseRef, other spellings) is left to the library's parser."""
    expect_licence = True
    depth = 0
    for token in _EXPRESSION_TOKEN.findall(text):
        if token == "(" and expect_licence:
            depth += 1
        elif token == ")" and not expect_licence and depth > 0:
            depth -= 1
        elif token in ("AND", "OR") and not expect_licence:
            expect_licence = True
        elif expect_licence and ids.get(token.lower()) == token:
            expect_licence = False
        else:
            return False
    return depth == 0 and not expect_licence


def licence_entries(declared: Sequence[str]) -> list[dict[str, Any]]:
    """CycloneDX `licenses` entries, decided as the library's licence factory decides
    (`LicenseFactory.make_from_string`): an SPDX id (in its canonical case), else a valid SPDX
    expression, else a name; all `declared`.

    Plain ids, names and plain AND/OR expressions are recognised directly; only text that may
    be another kind of compound expression is put to the library's SPDX expression check (and
    its parser is loaded for it). CycloneDX allows either a list of single licences or exactly
    one expression, so a declared expression (PEP 639 `License-Expression`) stands alone.
    """
    ids = spdx_ids()
    entries: list[dict[str, Any]] = []
    for text in declared:
        canonical = ids.get(text.lower())
        if canonical is not None:
            entries.append({"license": {"id": canonical, "acknowledgement": "declared"}})
        elif _plain_expression(text, ids) or (
            _may_be_expression(text, ids) and _library_accepts_expression(text)
        ):
            entries.append({"expression": text, "acknowledgement": "declared"})
        else:
            entries.append({"license": {"name": text, "acknowledgement": "declared"}})
    expressions = [entry for entry in entries if "expression" in entry]
    return expressions[:1] or entries


def _library_accepts_expression(text: str) -> bool:
    from cyclonedx.spdx import is_expression

    return bool(is_expression(text))
