"""From an installed environment's report (plain JSON) to SBOM components (docs/reference.md#sbom).

`lumen.adapters.python_env` runs a small script inside the target interpreter and hands back
what it printed; this module decides what that means: licences, supplier, purl, and which
requirements are live edges of the dependency graph (markers were evaluated in the target,
extras are followed only when something installed asks for them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from gates.errors import InputError
from release.sbom import Component, declared_licenses, normalize_name


def components_from_report(
    report: Mapping[str, Any], *, root_requires: Sequence[tuple[str, Sequence[str]]] = ()
) -> tuple[Component, ...]:
    """Components of an environment report.

    `root_requires` are the project's own (name, extras) requirements, so extras the project asks
    for (`jsonschema[format]`) make the extra's requirements edges of the graph too.
    """
    packages = report.get("packages")
    if not isinstance(packages, list):
        raise InputError("environment report has no package list", field="packages")
    by_key: dict[str, Mapping[str, Any]] = {}
    for package in packages:
        if isinstance(package, Mapping) and isinstance(package.get("name"), str):
            by_key.setdefault(normalize_name(package["name"]), package)

    requested = _requested_extras(by_key, root_requires)
    comps = []
    for key, package in by_key.items():
        live = [
            str(req["name"])
            for req in package.get("requires") or ()
            if _live(req, requested.get(key, set()))
        ]
        comps.append(
            Component(
                name=str(package["name"]),
                version=str(package.get("version") or "") or None,
                licenses=declared_licenses(
                    package.get("license_expression"),
                    package.get("license"),
                    package.get("classifiers") or (),
                ),
                requires=tuple(dict.fromkeys(n for n in live if normalize_name(n) in by_key)),
                hashes=_archive_hashes(package.get("archive_hashes")),
                description=(package.get("summary") or None),
                supplier=supplier_of(package),
                purl=not package.get("local", False),
                sources=("environment",),
                properties=(
                    *(
                        ("cdx:python:package:required-extra", extra)
                        for extra in sorted(requested.get(key, set()))
                    ),
                    # PEP 639 `License-File`: where in the distribution the licence text is.
                    *(("lumen:license-file", str(f)) for f in package.get("license_files") or ()),
                ),
            )
        )
    return tuple(comps)


def _archive_hashes(value: Any) -> tuple[tuple[str, str], ...]:
    """PEP 610 `archive_info.hashes` (the archive pip installed, when it was given its hash)."""
    if not isinstance(value, Mapping):
        return ()
    return tuple(
        sorted(
            (str(alg).lower(), str(digest).lower())
            for alg, digest in value.items()
            if isinstance(digest, str) and re.fullmatch(r"[0-9A-Fa-f]+", digest)
        )
    )


def _live(req: Mapping[str, Any], extras: set[str]) -> bool:
    """Requirement is an edge: its marker holds without extras, or with an extra in use."""
    if req.get("base", True):
        return True
    return bool(extras & set(req.get("extras_when") or ()))


def _requested_extras(
    by_key: Mapping[str, Mapping[str, Any]], root_requires: Sequence[tuple[str, Sequence[str]]]
) -> dict[str, set[str]]:
    """Extras in use per package, to a fixed point (an extra's requirement may ask for more)."""
    requested: dict[str, set[str]] = {}
    pending: list[tuple[str, Iterable[str]]] = [
        (normalize_name(n), extras) for n, extras in root_requires
    ]
    for package in by_key.values():
        for req in package.get("requires") or ():
            if req.get("base", True) and req.get("extras"):
                pending.append((normalize_name(str(req["name"])), req["extras"]))
    while pending:
        key, extras = pending.pop()
        have = requested.setdefault(key, set())
        new = {normalize_name(e) for e in extras} - have
        if not new:
            continue
        have |= new
        for req in by_key.get(key, {}).get("requires") or ():
            if not req.get("base", True) and new & set(req.get("extras_when") or ()):
                pending.append((normalize_name(str(req["name"])), req.get("extras") or ()))
    return requested


def supplier_of(package: Mapping[str, Any]) -> str | None:
    """Who supplies a distribution: its maintainer, else its author (names, not addresses)."""
    for field in ("maintainer", "author"):
        value = package.get(field)
        if isinstance(value, str) and value.strip() and value.strip().upper() != "UNKNOWN":
            return value.strip()
    for field in ("maintainer_email", "author_email"):
        value = package.get(field)
        if isinstance(value, str) and value.strip():
            first = value.split(",", 1)[0].strip()
            name = first.split("<", 1)[0].strip().strip('"')
            return name or first
    return None
