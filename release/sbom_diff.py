"""What changed between two CycloneDX documents: components added, removed and bumped, and
licences that are new (docs/reference.md#sbom; the release notes list these).

Works on parsed JSON, so the previous release's SBOM may come from any tool. Components are
matched by identity without version: the purl's `pkg:type/namespace/name` when there is one,
else the normalized name (files by name). A name present on both sides with different versions
is a bump; when several versions of one name change at once, the unmatched ones are listed as
added or removed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from release.license_gate import component_licenses
from release.sbom import normalize_name


@dataclass(frozen=True)
class Change:
    name: str
    identity: str
    old: str | None = None
    new: str | None = None
    licenses: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "identity": self.identity}
        if self.old is not None:
            out["old"] = self.old
        if self.new is not None:
            out["new"] = self.new
        if self.licenses:
            out["licenses"] = list(self.licenses)
        return out


@dataclass(frozen=True)
class SbomDiff:
    added: tuple[Change, ...] = ()
    removed: tuple[Change, ...] = ()
    bumped: tuple[Change, ...] = ()
    new_licenses: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.bumped or self.new_licenses)

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": [c.to_dict() for c in self.added],
            "removed": [c.to_dict() for c in self.removed],
            "bumped": [c.to_dict() for c in self.bumped],
            "new_licenses": {k: list(v) for k, v in self.new_licenses.items()},
        }


def identity(component: Mapping[str, Any]) -> str:
    purl = component.get("purl")
    if isinstance(purl, str) and purl.startswith("pkg:"):
        return re.split(r"[@?#]", purl, maxsplit=1)[0].lower()
    if component.get("type") == "file":
        return "file:" + str(component.get("name", ""))
    return "name:" + normalize_name(str(component.get("name", "")))


def _licences(component: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(text for text, _ in component_licenses(component))


def _index(document: Mapping[str, Any]) -> dict[str, dict[str, Mapping[str, Any]]]:
    """identity → version → component (version "" when absent)."""
    out: dict[str, dict[str, Mapping[str, Any]]] = {}
    for comp in document.get("components") or ():
        if isinstance(comp, Mapping):
            out.setdefault(identity(comp), {})[str(comp.get("version") or "")] = comp
    return out


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> SbomDiff:
    """Changes from `old` to `new`, each list sorted by name for stable notes."""
    before, after = _index(old), _index(new)
    added: list[Change] = []
    removed: list[Change] = []
    bumped: list[Change] = []
    for ident in sorted(set(before) | set(after)):
        old_versions = before.get(ident, {})
        new_versions = after.get(ident, {})
        gone = sorted(set(old_versions) - set(new_versions))
        came = sorted(set(new_versions) - set(old_versions))
        if len(gone) == 1 and len(came) == 1:
            comp = new_versions[came[0]]
            bumped.append(
                Change(
                    str(comp.get("name")), ident, gone[0] or None, came[0] or None, _licences(comp)
                )
            )
            continue
        for version in gone:
            comp = old_versions[version]
            removed.append(
                Change(str(comp.get("name")), ident, old=version or None, licenses=_licences(comp))
            )
        for version in came:
            comp = new_versions[version]
            added.append(
                Change(str(comp.get("name")), ident, new=version or None, licenses=_licences(comp))
            )
    old_licences = {
        lic.lower() for comps in before.values() for c in comps.values() for lic in _licences(c)
    }
    new_licences: dict[str, list[str]] = {}
    for comps in after.values():
        for comp in comps.values():
            for lic in _licences(comp):
                if lic.lower() not in old_licences:
                    label = str(comp.get("name")) + (
                        f"@{comp['version']}" if comp.get("version") else ""
                    )
                    new_licences.setdefault(lic, []).append(label)
    key = lambda c: (c.name.lower(), c.identity)  # noqa: E731
    return SbomDiff(
        added=tuple(sorted(added, key=key)),
        removed=tuple(sorted(removed, key=key)),
        bumped=tuple(sorted(bumped, key=key)),
        new_licenses={k: tuple(sorted(v)) for k, v in sorted(new_licences.items())},
    )


def render_markdown(change: SbomDiff) -> str:
    """The dependency section of release notes ("" when nothing changed)."""
    if change.empty:
        return ""
    lines: list[str] = []
    if change.added:
        lines += ["#### Dependencies added", ""]
        lines += [f"- `{c.name}` {c.new or ''}".rstrip() for c in change.added]
        lines.append("")
    if change.removed:
        lines += ["#### Dependencies removed", ""]
        lines += [f"- `{c.name}` {c.old or ''}".rstrip() for c in change.removed]
        lines.append("")
    if change.bumped:
        lines += ["#### Dependencies bumped", ""]
        lines += [f"- `{c.name}` {c.old or '?'} → {c.new or '?'}" for c in change.bumped]
        lines.append("")
    if change.new_licenses:
        lines += ["#### New licences", ""]
        lines += [f"- {lic}: {', '.join(comps)}" for lic, comps in change.new_licenses.items()]
        lines.append("")
    return "\n".join(lines)


def render_text(change: SbomDiff) -> str:
    """The terminal view of `lumen sbom diff`."""
    if change.empty:
        return "no component changes\n"
    lines = [
        f"added {len(change.added)}, removed {len(change.removed)}, bumped {len(change.bumped)}, "
        f"new licences {len(change.new_licenses)}"
    ]
    lines += [f"  + {c.name} {c.new or ''}".rstrip() for c in change.added]
    lines += [f"  - {c.name} {c.old or ''}".rstrip() for c in change.removed]
    lines += [f"  ~ {c.name} {c.old or '?'} -> {c.new or '?'}" for c in change.bumped]
    lines += [f"  licence {lic}: {', '.join(comps)}" for lic, comps in change.new_licenses.items()]
    return "\n".join(lines) + "\n"
