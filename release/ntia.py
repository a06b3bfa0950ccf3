"""NTIA minimum elements coverage of a CycloneDX document (docs/reference.md#sbom).

The NTIA's "Minimum Elements for a Software Bill of Materials" (2021) names seven data fields:
supplier name, component name, version, other unique identifiers, dependency relationship,
author of the SBOM data and timestamp. The first five are per component, so coverage is the
share of components that carry them; the last two are per document. Input is the parsed JSON,
so documents written by other tools are measured the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gates.result import Check, Verdict

ELEMENTS = (
    "supplier",
    "name",
    "version",
    "unique-ids",
    "dependency-relationship",
    "author",
    "timestamp",
)

_IDENTIFIERS = ("purl", "cpe", "swid", "omniborId", "swhid")
MISSING_SHOWN = 5  # names listed in a check's reason; the JSON lists them all


@dataclass(frozen=True)
class Coverage:
    """How many of `total` items carry one element, and which ones do not."""

    element: str
    covered: int
    total: int
    missing: tuple[str, ...]

    @property
    def ratio(self) -> float | None:
        return None if self.total == 0 else self.covered / self.total

    def to_dict(self) -> dict[str, Any]:
        return {
            "element": self.element,
            "covered": self.covered,
            "total": self.total,
            "ratio": self.ratio,
            "missing": list(self.missing),
        }


def coverage(document: Mapping[str, Any]) -> tuple[Coverage, ...]:
    """Coverage of each NTIA minimum element, in `ELEMENTS` order."""
    components = [c for c in document.get("components") or () if isinstance(c, Mapping)]
    metadata = document.get("metadata") or {}
    refs = {d.get("ref") for d in document.get("dependencies") or () if isinstance(d, Mapping)}

    def label(comp: Mapping[str, Any]) -> str:
        version = comp.get("version")
        return f"{comp.get('name', '?')}@{version}" if version else str(comp.get("name", "?"))

    def per_component(element: str, has: Any) -> Coverage:
        missing = tuple(label(c) for c in components if not has(c))
        return Coverage(element, len(components) - len(missing), len(components), missing)

    def per_document(element: str, present: bool) -> Coverage:
        return Coverage(element, int(present), 1, () if present else ("document",))

    author = bool(
        metadata.get("authors")
        or _named(metadata.get("manufacturer"))
        or _named(metadata.get("supplier"))
    )
    return (
        per_component("supplier", lambda c: _named(c.get("supplier")) or bool(c.get("publisher"))),
        per_component("name", lambda c: bool(c.get("name"))),
        per_component("version", lambda c: bool(c.get("version"))),
        per_component(
            "unique-ids",
            lambda c: (
                any(c.get(k) for k in _IDENTIFIERS)
                or (c.get("type") == "file" and bool(c.get("hashes")))
            ),
        ),
        per_component("dependency-relationship", lambda c: c.get("bom-ref") in refs),
        per_document("author", author),
        per_document("timestamp", bool(metadata.get("timestamp"))),
    )


def _named(entity: Any) -> bool:
    return isinstance(entity, Mapping) and bool(entity.get("name") or entity.get("url"))


def ntia_checks(
    report: Sequence[Coverage],
    *,
    missing: Verdict = Verdict.WARN,
    no_data: Verdict = Verdict.NO_DATA,
) -> list[Check]:
    """One check per element: full coverage passes, a gap is `missing` (WARN by default).

    An element with nothing to measure (an SBOM without components) is `no_data` (the gate's
    `--on-no-data`: NO_DATA by default).
    """
    checks = []
    for item in report:
        name = f"ntia:{item.element}"
        extra = {"covered": item.covered, "total": item.total, "missing": list(item.missing)}
        if item.ratio is None:
            checks.append(Check(name, None, ">=", 1.0, no_data, "no components", extra=extra))
            continue
        if item.covered == item.total:
            reason = f"{item.covered}/{item.total} carry {item.element}"
            checks.append(Check(name, item.ratio, ">=", 1.0, Verdict.PASS, reason, extra=extra))
            continue
        shown = ", ".join(item.missing[:MISSING_SHOWN])
        more = len(item.missing) - MISSING_SHOWN
        reason = f"{item.covered}/{item.total} carry {item.element}; missing: {shown}" + (
            f" and {more} more" if more > 0 else ""
        )
        checks.append(Check(name, item.ratio, ">=", 1.0, missing, reason, extra=extra))
    return checks
