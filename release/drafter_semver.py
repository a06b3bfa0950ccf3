"""The two version libraries release-drafter relies on, reproduced in the detail its output
depends on: node-semver (`parse`, `coerce`, `inc` with pre-release identifiers) and
compare-versions (how it orders releases to find the last one).

Only what release-drafter calls is here; behaviour follows the libraries, including their
edge cases (a pre-release `2.1.4-RC3` incremented by `patch` is `2.1.4`; `premajor` with the
identifier `beta` from `1.2.3` is `2.0.0-beta.0`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_NUM = r"0|[1-9]\d*"
_PRE_ID = r"(?:0|[1-9]\d*|\d*[a-zA-Z-][a-zA-Z0-9-]*)"
_FULL = re.compile(
    rf"^v?({_NUM})\.({_NUM})\.({_NUM})"
    rf"(?:-({_PRE_ID}(?:\.{_PRE_ID})*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)
_LOOSE_PRE_ID = r"(?:\d+|\d*[a-zA-Z-][a-zA-Z0-9-]*)"
_LOOSE = re.compile(
    r"^[v=\s]*(\d+)\.(\d+)\.(\d+)"
    rf"(?:-?({_LOOSE_PRE_ID}(?:\.{_LOOSE_PRE_ID})*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)
_COERCE = re.compile(r"(^|[^\d])(\d{1,16})(?:\.(\d{1,16}))?(?:\.(\d{1,16}))?(?:$|[^\d])")
_MAX_LENGTH = 256
_MAX_SAFE_INTEGER = 2**53 - 1

Identifier = int | str


def _identifier(text: str) -> Identifier:
    if text.isdigit() and text.isascii():
        number = int(text)
        if number <= _MAX_SAFE_INTEGER:
            return number
    return text


def _compare_identifiers(a: Identifier, b: Identifier) -> int:
    """node-semver's compareIdentifiers: numbers before strings, numbers by value."""
    if isinstance(a, int) and isinstance(b, int):
        return (a > b) - (a < b)
    if isinstance(a, int):
        return -1
    if isinstance(b, int):
        return 1
    return (a > b) - (a < b)


@dataclass
class SemVer:
    major: int
    minor: int
    patch: int
    prerelease: list[Identifier] = field(default_factory=list)
    build: list[str] = field(default_factory=list)

    @property
    def version(self) -> str:
        core = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            core += "-" + ".".join(str(p) for p in self.prerelease)
        return core

    def copy(self) -> SemVer:
        return SemVer(self.major, self.minor, self.patch, list(self.prerelease), list(self.build))

    def inc(self, release: str, identifier: str | None = None) -> SemVer:
        """In place, as node-semver's SemVer#inc (identifierBase unset)."""
        if release == "premajor":
            self.prerelease = []
            self.patch = 0
            self.minor = 0
            self.major += 1
            self.inc("pre", identifier)
        elif release == "preminor":
            self.prerelease = []
            self.patch = 0
            self.minor += 1
            self.inc("pre", identifier)
        elif release == "prepatch":
            self.prerelease = []
            self.inc("patch", identifier)
            self.inc("pre", identifier)
        elif release == "prerelease":
            if not self.prerelease:
                self.inc("patch", identifier)
            self.inc("pre", identifier)
        elif release == "major":
            if self.minor != 0 or self.patch != 0 or not self.prerelease:
                self.major += 1
            self.minor = 0
            self.patch = 0
            self.prerelease = []
        elif release == "minor":
            if self.patch != 0 or not self.prerelease:
                self.minor += 1
            self.patch = 0
            self.prerelease = []
        elif release == "patch":
            if not self.prerelease:
                self.patch += 1
            self.prerelease = []
        elif release == "pre":
            base = 0
            if not self.prerelease:
                self.prerelease = [base]
            else:
                incremented = False
                for i in range(len(self.prerelease) - 1, -1, -1):
                    value = self.prerelease[i]
                    if isinstance(value, int):
                        self.prerelease[i] = value + 1
                        incremented = True
                        break
                if not incremented:
                    self.prerelease.append(base)
            if identifier:
                fresh: list[Identifier] = [identifier, base]
                if _compare_identifiers(self.prerelease[0], identifier) == 0:
                    second = self.prerelease[1] if len(self.prerelease) > 1 else None
                    if not isinstance(second, int):
                        self.prerelease = fresh
                else:
                    self.prerelease = fresh
        else:
            raise ValueError(f"invalid increment argument: {release}")
        return self


def parse(text: object, *, loose: bool = False) -> SemVer | None:
    """node-semver's `parse`: None for anything that is not a version."""
    if isinstance(text, SemVer):
        return text.copy()
    if not isinstance(text, str) or len(text) > _MAX_LENGTH:
        return None
    match = (_LOOSE if loose else _FULL).match(text.strip())
    if match is None:
        return None
    major, minor, patch = (int(match.group(i)) for i in (1, 2, 3))
    if max(major, minor, patch) > _MAX_SAFE_INTEGER:
        return None
    pre = [_identifier(p) for p in match.group(4).split(".")] if match.group(4) else []
    build = match.group(5).split(".") if match.group(5) else []
    return SemVer(major, minor, patch, pre, build)


def coerce(text: object) -> SemVer | None:
    """node-semver's `coerce`: the first `N[.N[.N]]` in the text, missing parts 0."""
    if isinstance(text, SemVer):
        return text.copy()
    if isinstance(text, int | float) and not isinstance(text, bool):
        text = str(text)
    if not isinstance(text, str):
        return None
    match = _COERCE.search(text)
    if match is None:
        return None
    return parse(f"{match.group(2)}.{match.group(3) or '0'}.{match.group(4) or '0'}")


def inc(version: SemVer | str, release: str, identifier: str | None = None) -> SemVer | None:
    """node-semver's `inc(version, release, loose=true, identifier)`; None when invalid."""
    source = version.version if isinstance(version, SemVer) else version
    parsed = parse(source, loose=True)
    if parsed is None:
        return None
    try:
        return parsed.inc(release, identifier)
    except ValueError:
        return None


# compare-versions ---------------------------------------------------------------------------

_CV = re.compile(
    r"^[v^~<>=]*?(\d+)(?:\.([x*]|\d+)(?:\.([x*]|\d+)(?:\.([x*]|\d+))?"
    r"(?:-([\da-z\-]+(?:\.[\da-z\-]+)*))?(?:\+[\da-z\-]+(?:\.[\da-z\-]+)*)?)?)?$",
    re.IGNORECASE,
)


class NotAVersion(ValueError):
    """compare-versions throws for a string it does not accept."""


def _cv_parse(text: str) -> tuple[list[str | None], str | None]:
    match = _CV.match(text)
    if match is None:
        raise NotAVersion(f"Invalid argument not valid semver ('{text}' received)")
    return [match.group(i) for i in (1, 2, 3, 4)], match.group(5)


def _cv_part(text: str) -> int | str:
    match = re.match(r"^\s*[+-]?\d+", text)  # JavaScript's parseInt
    return int(match.group(0)) if match else text


def _cv_strings(a: str, b: str) -> int:
    if a in ("x", "*") or b in ("x", "*"):
        return 0
    pa, pb = _cv_part(a), _cv_part(b)
    if type(pa) is not type(pb):
        pa, pb = str(pa), str(pb)
    return (pa > pb) - (pa < pb)  # type: ignore[operator]


def _cv_segments(a: list[str | None], b: list[str | None]) -> int:
    for i in range(max(len(a), len(b))):
        left = (a[i] if i < len(a) else None) or "0"
        right = (b[i] if i < len(b) else None) or "0"
        result = _cv_strings(left, right)
        if result:
            return result
    return 0


def compare_versions(a: str, b: str) -> int:
    """compare-versions' `compareVersions`: -1, 0 or 1; NotAVersion for a non-version."""
    core_a, pre_a = _cv_parse(a)
    core_b, pre_b = _cv_parse(b)
    result = _cv_segments(core_a, core_b)
    if result:
        return result
    if pre_a and pre_b:
        return _cv_segments(list(pre_a.split(".")), list(pre_b.split(".")))
    if pre_a or pre_b:
        return -1 if pre_a else 1
    return 0
