"""What a distribution's metadata says about its licence, in SPDX terms where it can be said.

The reference is the SPDX licence list that the `license-expression` library ships (its
`scancode-licensedb-index.json`: every SPDX id, with the deprecated ids each one replaces), not a
table kept by hand here. Three kinds of evidence, in PEP 639's order:

1. `License-Expression` (PEP 639): the licence, full stop; the older fields are then void.
2. The `License` field: an SPDX id or expression, a short name, or a pasted licence text. A name
   is read as SPDX when, spelt the SPDX way, it is an id on the list (`MIT License` → `MIT`,
   `Apache 2.0` → `Apache-2.0`, `GNU GPLv3+` → `GPL-3.0-or-later`); otherwise it stays a name.
   A licence text (several lines, or very long) is not a name and is left out.
3. Trove classifiers: the licence a classifier names, spelt the SPDX way by the same rules (its
   own abbreviation in parentheses first: `(MPL 2.0)` → `MPL-2.0`). Classifiers that do not say
   which version (`Apache Software License`, `BSD License`) stay names: guessing would be a lie.
   A few classifiers name their licence in words the list does not carry as an id;
   `CLASSIFIER_WORDS` reads those, and the tests hold each entry to the list.

Nothing here opens the network or imports the library's parser; the list is read once (~10 ms).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

_INDEX_NAME = "scancode-licensedb-index.json"


@dataclass(frozen=True)
class SpdxList:
    """SPDX licence ids (by lower case → canonical spelling), exception ids, and the deprecated
    ids the list maps to their replacements (`GPL-2.0+` → `GPL-2.0-or-later`)."""

    ids: Mapping[str, str]
    exceptions: Mapping[str, str]
    deprecated: Mapping[str, str]

    def canonical(self, text: str) -> str | None:
        """The current SPDX id `text` is (any case, deprecated ids too), or None."""
        key = text.strip().lower()
        return self.ids.get(key) or self.deprecated.get(key)


def index_path() -> Path:
    """Where the installed `license-expression` keeps its licence index (found without importing
    the library: its import builds a parser this module never needs)."""
    spec = find_spec("license_expression")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the license-expression library is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / _INDEX_NAME


@functools.cache
def spdx_list() -> SpdxList:
    import orjson  # a runtime dependency already; reads the 1 MB index in a third of the time

    entries = orjson.loads(index_path().read_bytes())
    ids: dict[str, str] = {}
    exceptions: dict[str, str] = {}
    deprecated: dict[str, str] = {}
    for entry in entries:
        key = entry.get("spdx_license_key") or ""
        if not key or key.startswith("LicenseRef-"):
            continue  # ScanCode's own licences: not on the SPDX list
        (exceptions if entry.get("is_exception") else ids)[key.lower()] = key
        for alias in entry.get("other_spdx_license_keys") or ():
            # Deprecated SPDX ids carry a version (`GPL-2.0`, `AGPL-3.0+`); ScanCode's other
            # aliases (`GPL`, `BSD-2`, `GPL 2.0`) were never SPDX ids and are not read as such.
            if re.fullmatch(r"[A-Za-z0-9.-]*\d\.\d[A-Za-z0-9.-]*\+?", alias):
                deprecated[alias.lower()] = key
    return SpdxList(ids, exceptions, deprecated)


# Classifiers whose licence is named in words, not by an id or abbreviation the list knows.
# Each value is checked against the SPDX list by the tests; nothing else is mapped by hand.
CLASSIFIER_WORDS: Mapping[str, str] = {
    # The classifier names the PSF License Agreement (SPDX `PSF-2.0`); `Python-2.0` is the
    # whole CPython licence stack (PSF, BeOpen, CNRI, CWI), which a package under the PSF
    # licence alone is not.
    "Python Software Foundation License": "PSF-2.0",
    "Python License (CNRI Python License)": "CNRI-Python",
    "zlib/libpng License": "Zlib",
    "GNU Affero General Public License v3": "AGPL-3.0-only",
    "Mozilla Public License 1.0 (MPL)": "MPL-1.0",
}


def _spellings(words: str) -> list[str]:
    """SPDX-style spellings of a licence name: `GNU GPLv3+` → `GPL-3.0+`, `MIT License` → `MIT`,
    `Apache License 2.0` → `Apache-2.0`."""
    text = " ".join(words.split())
    text = re.sub(r"^(?:the|gnu)\s+", "", text, flags=re.IGNORECASE)
    bare = re.sub(r"\s*\b(?:software\s+)?licen[cs]e\b,?\s*", " ", text, flags=re.IGNORECASE)
    bare = re.sub(r"\bversion\s+", "", bare, flags=re.IGNORECASE).strip()
    out = []
    for candidate in (text, bare):
        candidate = re.sub(r"\s+or\s+later$", "+", candidate, flags=re.IGNORECASE)
        candidate = re.sub(r"v(\d+)(\+?)$", r"-\1.0\2", candidate)  # GPLv3+ → GPL-3.0+
        candidate = re.sub(r"\s+v?(\d)", r"-\1", candidate)  # Apache 2.0 → Apache-2.0
        candidate = re.sub(r"-(\d+)(\+?)$", r"-\1.0\2", candidate)  # Apache-2 → Apache-2.0
        out.append(candidate.replace(" ", "-"))
    return [c for c in dict.fromkeys(out) if c]


def id_of_name(text: str, spdx: SpdxList | None = None) -> str | None:
    """The SPDX id a short licence name spells, or None (`PSFL`, `BSD`: not said)."""
    spdx = spdx or spdx_list()
    exact = spdx.canonical(text)
    if exact is not None:
        return exact
    for spelling in _spellings(text):
        found = spdx.canonical(spelling)
        if found is not None:
            return found
    return None


def id_of_classifier(classifier: str, spdx: SpdxList | None = None) -> str | None:
    """The SPDX id a `License ::` trove classifier names, or None when it does not say."""
    spdx = spdx or spdx_list()
    words = classifier.rsplit("::", maxsplit=1)[-1].strip()
    mapped = CLASSIFIER_WORDS.get(words)
    if mapped is not None:
        return spdx.canonical(mapped)
    abbreviation = re.search(r"\(([^)]*)\)", words)
    if abbreviation:
        found = id_of_name(abbreviation.group(1), spdx)
        if found is not None:
            return found
        words = (words[: abbreviation.start()] + words[abbreviation.end() :]).strip()
    return id_of_name(words, spdx)


LICENSE_FIELD_MAX = 120  # a longer `License:` value is a licence text, not a name


@dataclass(frozen=True)
class Evidence:
    """One licence statement: what it says (`text`), where (`source`: expression, license,
    classifier), and the SPDX id it amounts to when it amounts to one."""

    text: str
    source: str
    spdx: str | None

    @property
    def licence(self) -> str:
        return self.spdx or self.text


def evidence(
    expression: str | None, license_field: str | None, classifiers: Iterable[str]
) -> list[Evidence]:
    """Every licence statement of a distribution's metadata, in PEP 639's order of authority."""
    if expression and expression.strip():
        text = " ".join(expression.split())
        spdx = spdx_list()
        return [Evidence(text, "License-Expression", spdx.canonical(text))]
    found: list[Evidence] = []
    field = (license_field or "").strip()
    # A licence text (several lines, or long) is not a name: left out.
    if (
        field
        and field.upper() != "UNKNOWN"
        and "\n" not in field
        and len(field) <= LICENSE_FIELD_MAX
    ):
        found.append(Evidence(field, "License", id_of_name(field)))
    for classifier in classifiers:
        if classifier.startswith("License ::"):
            found.append(Evidence(classifier, "Classifier", id_of_classifier(classifier)))
    return found


def declared_licenses(
    expression: str | None, license_field: str | None, classifiers: Iterable[str]
) -> tuple[str, ...]:
    """Licences a distribution's metadata declares: SPDX ids where the statement amounts to one,
    the declared words otherwise; one entry per licence."""
    return tuple(dict.fromkeys(e.licence for e in evidence(expression, license_field, classifiers)))
