"""CycloneDX 1.6 bill of materials from plain data (spec §8).

Adapters (environment introspection, lock-file readers, artifact hashing) produce `Component`
values; `build_bom` turns an `Inventory` of them into a cyclonedx-python-lib `Bom`. Serializing,
validating and writing the document happen at the edge (`lumen.commands.sbom`), so everything
here is a function of its arguments: no files, no clock, no environment.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the cyclonedx model is imported lazily: `lumen sbom diff` never needs it
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.dependency import Dependency
    from cyclonedx.model.license import License

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
        )
    return tuple(merged.values())


def _union(first: Sequence[Any], second: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(dict.fromkeys([*first, *second]))


# Trove classifiers whose SPDX id is unambiguous (PEP 639's mapping guidance). Ambiguous ones
# ("BSD License", "Apache Software License") stay names: guessing a version would be a lie.
CLASSIFIER_SPDX: Mapping[str, str] = {
    "License :: OSI Approved :: MIT License": "MIT",
    "License :: OSI Approved :: MIT No Attribution License (MIT-0)": "MIT-0",
    "License :: OSI Approved :: ISC License (ISCL)": "ISC",
    "License :: OSI Approved :: zlib/libpng License": "Zlib",
    "License :: OSI Approved :: The Unlicense (Unlicense)": "Unlicense",
    "License :: OSI Approved :: Boost Software License 1.0 (BSL-1.0)": "BSL-1.0",
    "License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "License :: OSI Approved :: Mozilla Public License 1.1 (MPL 1.1)": "MPL-1.1",
    "License :: OSI Approved :: Eclipse Public License 2.0 (EPL-2.0)": "EPL-2.0",
    "License :: OSI Approved :: European Union Public Licence 1.2 (EUPL 1.2)": "EUPL-1.2",
    "License :: OSI Approved :: GNU General Public License v2 (GPLv2)": "GPL-2.0-only",
    "License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)": (
        "GPL-2.0-or-later"
    ),
    "License :: OSI Approved :: GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
    "License :: OSI Approved :: GNU General Public License v3 or later (GPLv3+)": (
        "GPL-3.0-or-later"
    ),
    "License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
    "License :: OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)": (
        "LGPL-3.0-or-later"
    ),
    "License :: OSI Approved :: GNU Affero General Public License v3": "AGPL-3.0-only",
    "License :: OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)": (
        "AGPL-3.0-or-later"
    ),
    "License :: OSI Approved :: Python Software Foundation License": "PSF-2.0",
    "License :: OSI Approved :: Historical Permission Notice and Disclaimer (HPND)": "HPND",
    "License :: CC0 1.0 Universal (CC0 1.0) Public Domain Dedication": "CC0-1.0",
}

_LICENSE_FIELD_MAX = 120  # longer `License:` values are licence texts, not names


def declared_licenses(
    expression: str | None, license_field: str | None, classifiers: Iterable[str]
) -> tuple[str, ...]:
    """Licences a distribution's metadata declares, best evidence first.

    PEP 639: a `License-Expression` makes the older fields void. Otherwise the `License:` field
    (when it is a short name, not a pasted licence text) and the licence classifiers, mapped to
    SPDX ids where the mapping is unambiguous and kept as names where it is not.
    """
    if expression and expression.strip():
        return (expression.strip(),)
    found: list[str] = []
    text = (license_field or "").strip()
    if text and text.upper() != "UNKNOWN" and "\n" not in text and len(text) <= _LICENSE_FIELD_MAX:
        found.append(text)
    for classifier in classifiers:
        if not classifier.startswith("License ::"):
            continue
        found.append(CLASSIFIER_SPDX.get(classifier, classifier))
    return tuple(dict.fromkeys(found))


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
    filename: str, sha256: str, sha512: str, *, source: str | None = None
) -> Component:
    """A release file: CycloneDX `file` component with its SHA-256 and SHA-512."""
    return Component(
        name=filename,
        version=artifact_version(filename),
        kind="file",
        hashes=(("sha256", sha256), ("sha512", sha512)),
        purl=False,
        sources=(source or filename,),
    )


def build_bom(
    inventory: Inventory,
    *,
    tool_version: str,
    timestamp: datetime | None,
    serial_number: str | None,
) -> Bom:
    """The cyclonedx-python-lib `Bom` for an inventory.

    `timestamp` and `serial_number` None make a reproducible document (marked with the
    `cdx:reproducible` property, as cyclonedx-py does); the caller decides, this function never
    reads the clock. The dependency graph links every component to the components it requires
    that are in the bill, and the root to its declared dependencies (or, when it declares
    none, to every component nothing else requires).
    """
    from uuid import UUID

    from cyclonedx.model import Property
    from cyclonedx.model.bom import Bom, BomMetaData
    from cyclonedx.model.component import Component as CdxComponent
    from cyclonedx.model.component import ComponentType
    from cyclonedx.model.contact import OrganizationalContact

    packages = [c for c in inventory.components if c.kind != "file"]
    by_name: dict[str, Component] = {}
    for comp in packages:
        by_name.setdefault(normalize_name(comp.name), comp)

    cdx: dict[tuple[str, str], CdxComponent] = {}
    for comp in inventory.components:
        cdx[comp.key] = _to_cdx(comp)
    root_cdx = _to_cdx(inventory.root) if inventory.root is not None else None

    tool = CdxComponent(name=TOOL_NAME, version=tool_version, type=ComponentType.APPLICATION)
    metadata = BomMetaData(
        component=root_cdx,
        authors=[OrganizationalContact(name=a) for a in inventory.authors],
        properties=[Property(name=k, value=v) for k, v in inventory.properties],
    )
    metadata.tools.components.add(tool)
    bom = Bom(components=cdx.values(), metadata=metadata)
    if timestamp is None:
        # The lib fills "now" when given nothing; a reproducible document has no timestamp.
        metadata.timestamp = None  # type: ignore[assignment]
        metadata.properties.add(Property(name=REPRODUCIBLE_PROPERTY, value="true"))
    else:
        metadata.timestamp = timestamp
    if serial_number is None:
        bom.serial_number = None  # type: ignore[assignment]
    else:
        bom.serial_number = UUID(serial_number)

    # Dependency objects are made directly: `Bom.register_dependency` searches the graph
    # linearly for every call, which is quadratic in the number of components.
    graph: list[Dependency] = []
    required: set[str] = set()
    for comp in packages:
        targets = _targets(comp, by_name)
        required.update(normalize_name(t.name) for t in targets)
        graph.append(_dependency(cdx[comp.key], [cdx[t.key] for t in targets]))
    for comp in inventory.components:
        if comp.kind == "file":
            graph.append(_dependency(cdx[comp.key], []))
    if root_cdx is not None and inventory.root is not None:
        direct = _targets(inventory.root, by_name)
        if not direct:
            direct = [c for c in packages if normalize_name(c.name) not in required]
        graph.append(_dependency(root_cdx, [cdx[t.key] for t in direct]))
    bom.dependencies = graph
    return bom


def _dependency(target: Any, depends_on: Sequence[Any]) -> Dependency:
    from cyclonedx.model.dependency import Dependency

    return Dependency(
        ref=target.bom_ref, dependencies=[Dependency(ref=d.bom_ref) for d in depends_on]
    )


def _targets(comp: Component, by_name: Mapping[str, Component]) -> list[Component]:
    out: dict[str, Component] = {}
    for name in comp.requires:
        target = by_name.get(normalize_name(name))
        if target is not None and target.key != comp.key:
            out[normalize_name(name)] = target
    return list(out.values())


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


def _to_cdx(comp: Component) -> Any:
    from cyclonedx.model import HashAlgorithm, HashType, Property
    from cyclonedx.model.component import Component as CdxComponent
    from cyclonedx.model.component import ComponentType
    from cyclonedx.model.contact import OrganizationalEntity
    from packageurl import PackageURL

    kind = {
        "library": ComponentType.LIBRARY,
        "application": ComponentType.APPLICATION,
        "file": ComponentType.FILE,
    }[comp.kind]
    hashes = [
        HashType(alg=HashAlgorithm(_HASH_NAMES[alg.lower()]), content=digest.lower())
        for alg, digest in comp.hashes
        if alg.lower() in _HASH_NAMES
    ]
    purl = None
    if comp.purl and comp.kind != "file":
        purl = PackageURL(type=PURL_TYPE, name=comp.name, version=comp.version)
    properties = [Property(name=k, value=v) for k, v in comp.properties]
    # Where a component was read from, when that is a file (lock, requirements, pyproject); an
    # environment's components all come from the one environment named in the report.
    properties += [
        Property(name="lumen:source", value=s) for s in comp.sources if s != "environment"
    ]
    return CdxComponent(
        name=comp.name,
        version=comp.version,
        type=kind,
        bom_ref=comp.bom_ref,
        purl=purl,
        hashes=hashes,
        licenses=cdx_licenses(comp.licenses),
        description=comp.description,
        supplier=OrganizationalEntity(name=comp.supplier) if comp.supplier else None,
        authors=None,
        properties=properties,
    )


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


def cdx_licenses(declared: Sequence[str]) -> list[License]:
    """cyclonedx licence objects, as the library's licence factory makes them: an SPDX id (in
    its canonical case), else a valid SPDX expression, else a name.

    Plain ids and names are made directly; only text that can be a compound expression goes
    through the factory (and its expression parser). CycloneDX allows either a list of single
    licences or exactly one expression, so a declared expression (PEP 639
    `License-Expression`) stands alone.
    """
    from cyclonedx.model.license import (
        DisjunctiveLicense,
        LicenseAcknowledgement,
        LicenseExpression,
    )

    ids = spdx_ids()
    made: list[License] = []
    for text in declared:
        canonical = ids.get(text.lower())
        if canonical is not None:
            made.append(
                DisjunctiveLicense(id=canonical, acknowledgement=LicenseAcknowledgement.DECLARED)
            )
        elif _plain_expression(text, ids):
            made.append(LicenseExpression(text, acknowledgement=LicenseAcknowledgement.DECLARED))
        elif _may_be_expression(text, ids):
            from cyclonedx.contrib.license.factories import LicenseFactory

            made.append(
                LicenseFactory().make_from_string(
                    text, license_acknowledgement=LicenseAcknowledgement.DECLARED
                )
            )
        else:
            made.append(
                DisjunctiveLicense(name=text, acknowledgement=LicenseAcknowledgement.DECLARED)
            )
    expressions = [m for m in made if isinstance(m, LicenseExpression)]
    if expressions:
        return [expressions[0]]
    return made
