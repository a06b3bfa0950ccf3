"""Generate docs/sbom-licences.md: where Lumen's SBOM licences differ from `cyclonedx-py`'s.

For every distribution of an environment (default: the interpreter running this script), the
licences `lumen sbom --environment` writes are compared with those `cyclonedx-py environment`
writes and with the package's own declaration (`License-Expression`, `License`, licence
classifiers). Each difference gets the reason Lumen's reading is the right one, derived from the
evidence; a difference no rule explains is written as UNEXPLAINED (and fails the test,
tests/sbom/test_sbom_licence_table.py).

    python scripts/licence_table.py                 # rewrite docs/sbom-licences.md
    python scripts/licence_table.py --check         # exit 1 when the page is out of date
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lumen.adapters import python_env  # noqa: E402
from release.licences import CLASSIFIER_WORDS, Evidence, evidence  # noqa: E402
from release.sbom import normalize_name  # noqa: E402

PAGE = ROOT / "docs" / "sbom-licences.md"
UNEXPLAINED = "UNEXPLAINED"
BEGIN, END = "<!-- table:begin -->", "<!-- table:end -->"

# Why a classifier is read through CLASSIFIER_WORDS rather than spelt, where the peer differs.
WORDS_WHY = {
    "PSF-2.0": "the classifier names the PSF License Agreement, SPDX `PSF-2.0`; `Python-2.0` "
    "is the whole CPython licence stack (PSF, BeOpen, CNRI, CWI), which a package under the PSF "
    "licence alone does not carry",
}


@dataclass(frozen=True)
class Row:
    name: str
    version: str
    declared: str
    lumen: tuple[str, ...]
    peer: tuple[str, ...]
    reasons: tuple[str, ...]


def licence_texts(component: Mapping[str, Any]) -> tuple[str, ...]:
    """A CycloneDX component's licences as plain strings: id, expression or name."""
    out = []
    for entry in component.get("licenses") or ():
        if "expression" in entry:
            out.append(str(entry["expression"]))
        else:
            licence = entry.get("license") or {}
            out.append(str(licence.get("id") or licence.get("name") or ""))
    return tuple(sorted(out))


def _peer_classifier_id(classifier: str) -> str | None:
    from cyclonedx_py._internal.utils.license_trove_classifier import license_trove2spdx

    return license_trove2spdx(classifier)


def _short(text: str) -> str:
    return text.removeprefix("License :: OSI Approved :: ").removeprefix("License :: ")


def explain(found: Sequence[Evidence], lumen: Sequence[str], peer: Sequence[str]) -> list[str]:
    """The reason for every licence one side has and the other has not."""
    reasons: list[str] = []
    ours_only = [t for t in lumen if t not in peer]
    peer_only = [t for t in peer if t not in lumen]
    explained_peer: set[str] = set()
    for text in ours_only:
        ev = next((e for e in found if e.licence == text), None)
        if ev is None:
            reasons.append(f"{UNEXPLAINED}: Lumen's `{text}`")
            continue
        if ev.source == "License" and ev.spdx is None:
            reasons.append(
                f"`License: {ev.text}` is declared and is no SPDX id: Lumen keeps it as the "
                "declared name; the peer drops a `License` value that is not an SPDX id"
            )
        elif ev.source == "License":
            reasons.append(
                f"`License: {ev.text}` spells SPDX `{ev.spdx}` (read against the SPDX list); "
                "the peer reads only exact ids there"
            )
        elif ev.source == "Classifier" and ev.spdx is not None:
            peer_id = _peer_classifier_id(ev.text)
            words = _short(ev.text)
            if peer_id is None and ev.text in peer:
                explained_peer.add(ev.text)
                reasons.append(
                    f"classifier `{words}` names `{ev.spdx}`; the peer's classifier table has no "
                    "entry for it and keeps the classifier's words"
                )
            elif peer_id is not None and peer_id in peer_only:
                explained_peer.add(peer_id)
                why = WORDS_WHY.get(ev.spdx) if words in CLASSIFIER_WORDS else None
                reasons.append(
                    f"classifier `{words}`: Lumen `{ev.spdx}`, the peer `{peer_id}`: "
                    + (why or f"the classifier's own abbreviation says `{ev.spdx}`")
                )
            else:
                reasons.append(f"{UNEXPLAINED}: classifier `{words}`")
        else:
            reasons.append(f"{UNEXPLAINED}: `{text}` from {ev.source}")
    for text in peer_only:
        if text in explained_peer:
            continue
        classifier = next((e for e in found if e.source == "Classifier" and e.text == text), None)
        if classifier is not None and classifier.spdx in lumen:
            reasons.append(
                f"classifier `{_short(text)}` names `{classifier.spdx}`, which both list; the "
                "peer's classifier table has no entry for it and keeps the classifier's words too"
            )
            continue
        reasons.append(f"{UNEXPLAINED}: the peer's `{text}`")
    return reasons


def declared_summary(package: Mapping[str, Any]) -> str:
    parts = []
    if package.get("license_expression"):
        parts.append(f"License-Expression: {package['license_expression']}")
    text = (package.get("license") or "").strip()
    if text:
        parts.append(
            f"License: {text}" if "\n" not in text and len(text) <= 60 else "License: (text)"
        )
    parts += [_short(c) for c in package.get("classifiers") or ()]
    return "; ".join(parts) or "(nothing)"


def rows(python: str) -> list[Row]:
    report = python_env.inventory(python)
    with tempfile.TemporaryDirectory() as tmp:
        ours_path, peer_path = Path(tmp) / "lumen.json", Path(tmp) / "peer.json"
        lumen = [sys.executable, "-m", "lumen.cli", "sbom", "--environment", python]
        subprocess.run(
            [*lumen, "--output", str(ours_path), "--reproducible", "--quiet"],
            check=True,
            cwd=tmp,
        )
        peer = Path(sys.executable).with_name("cyclonedx-py")
        subprocess.run(
            [str(peer), "environment", "--of", "JSON", "-o", str(peer_path), python],
            check=True,
            cwd=tmp,
        )
        ours = json.loads(ours_path.read_text())["components"]
        theirs = json.loads(peer_path.read_text())["components"]
    ours_by = {normalize_name(c["name"]): c for c in ours}
    theirs_by = {normalize_name(c["name"]): c for c in theirs}
    out = []
    for package in sorted(report["packages"], key=lambda p: normalize_name(p["name"])):
        key = normalize_name(package["name"])
        if key not in ours_by or key not in theirs_by:
            continue
        mine, peer_licences = licence_texts(ours_by[key]), licence_texts(theirs_by[key])
        if mine == peer_licences:
            continue
        found = evidence(
            package.get("license_expression"), package.get("license"), package.get("classifiers")
        )
        out.append(
            Row(
                name=package["name"],
                version=package["version"],
                declared=declared_summary(package),
                lumen=mine,
                peer=peer_licences,
                reasons=tuple(explain(found, mine, peer_licences)),
            )
        )
    return out


@dataclass(frozen=True)
class Reading:
    """A declaration Lumen writes in other words than the package used, and by which rule."""

    name: str
    version: str
    declared: str
    lumen: str
    rule: str


def reading_rule(ev: Evidence) -> str:
    if ev.source == "Classifier":
        if _short(ev.text) in CLASSIFIER_WORDS:
            return "classifier named in words (`CLASSIFIER_WORDS`, checked against the list)"
        return "classifier spelt the SPDX way (its abbreviation first)"
    if ev.spdx is not None and ev.spdx.lower() == ev.text.lower():
        return "SPDX id in its canonical case"
    if ev.spdx is not None and ev.text.lower() in _deprecated():
        return "deprecated SPDX id, replaced as the list says"
    return "name spelt the SPDX way"


def _deprecated() -> Mapping[str, str]:
    from release.licences import spdx_list

    return spdx_list().deprecated


def readings(report: Mapping[str, Any]) -> list[Reading]:
    """Every declaration that is not written as the package wrote it: read as an SPDX id, or a
    licence text left out."""
    out = []
    for package in sorted(report["packages"], key=lambda p: normalize_name(p["name"])):
        found = evidence(
            package.get("license_expression"), package.get("license"), package.get("classifiers")
        )
        for ev in found:
            if ev.spdx is not None and ev.spdx != ev.text:
                said = _short(ev.text) if ev.source == "Classifier" else f"License: {ev.text}"
                out.append(
                    Reading(
                        package["name"],
                        package["version"],
                        said,
                        ev.spdx,
                        reading_rule(ev),
                    )
                )
        text = (package.get("license") or "").strip()
        if not package.get("license_expression") and ("\n" in text or len(text) > 120):
            files = ", ".join(package.get("license_files") or ()) or "none"
            out.append(
                Reading(
                    package["name"],
                    package["version"],
                    "License: (a licence text)",
                    "—",
                    f"a licence text is not a name: left out (License-File: {files})",
                )
            )
    return out


def render_readings(items: Sequence[Reading]) -> str:
    lines = ["| distribution | version | declared | Lumen writes | rule |", "|---|---|---|---|---|"]
    for r in items:
        lines.append(f"| {r.name} | {r.version} | `{r.declared}` | `{r.lumen}` | {r.rule} |")
    return "\n".join(lines) + "\n"


def _cell(items: Sequence[str]) -> str:
    return "<br>".join(f"`{_short(i)}`" for i in items) or "—"


def render_table(table: Sequence[Row]) -> str:
    lines = [
        "| distribution | version | declared | Lumen | cyclonedx-py "
        "| why Lumen's reading is right |",
        "|---|---|---|---|---|---|",
    ]
    for row in table:
        cells = [
            row.name,
            row.version,
            row.declared.replace("|", "\\|"),
            _cell(row.lumen),
            _cell(row.peer),
            "; ".join(row.reasons).replace("|", "\\|"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def render_page(table: Sequence[Row], total: int, read: Sequence[Reading] = ()) -> str:
    return (
        "# SBOM licences next to cyclonedx-py's\n\n"
        "Generated by `python scripts/licence_table.py` from the test environment; do not edit the "
        "table by hand (`tests/sbom/test_sbom_licence_table.py` regenerates it and fails on drift "
        "and on any difference without a reason).\n\n"
        "For each installed distribution, the licences `lumen sbom --environment` writes are "
        "compared with those `cyclonedx-py environment` (the CycloneDX project's own tool) "
        "writes and with what the package declares. How Lumen reads a declaration "
        "(`release/licences.py`):\n\n"
        "1. `License-Expression` (PEP 639) is the licence; the older fields are then ignored.\n"
        "2. A `License` value is read against the SPDX licence list the `license-expression` "
        "library ships: an id (any case, deprecated ids to their replacements), or a name "
        "spelt the SPDX way (`MIT License` → `MIT`, `Apache 2.0` → `Apache-2.0`, "
        "`GNU GPLv3+` → `GPL-3.0-or-later`); a name the list does not have stays the declared "
        "name; a pasted licence text (several lines) is left out.\n"
        "3. Licence classifiers by the same rules, their own abbreviation first "
        "(`(MPL 2.0)` → `MPL-2.0`); a classifier that does not say which version "
        "(`Apache Software License`, `BSD License`) stays a name rather than a guess.\n\n"
        f"{len(table)} of {total} distributions differ.\n\n"
        f"{BEGIN}\n{render_table(table)}{END}\n\n"
        "## Declarations Lumen writes in SPDX terms\n\n"
        "Against the packages' own declarations: every licence statement Lumen does not copy "
        "word for word, and the rule that reads it.\n\n"
        f"{render_readings(read)}"
    )


def parse_page(text: str) -> dict[tuple[str, str], str]:
    """The committed table's rows by (name, version)."""
    body = text.split(BEGIN, 1)[-1].split(END, 1)[0]
    out = {}
    for line in body.strip().splitlines()[2:]:
        cells = line.split(" | ")
        out[(cells[0].removeprefix("| "), cells[1])] = line
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=sys.executable, help="environment to compare")
    parser.add_argument("--output", default=str(PAGE))
    parser.add_argument("--check", action="store_true", help="exit 1 if the page differs")
    args = parser.parse_args(argv)
    table = rows(args.python)
    report = python_env.inventory(args.python)
    page = render_page(table, len(report["packages"]), readings(report))
    path = Path(args.output)
    if args.check:
        if not path.is_file() or path.read_text(encoding="utf-8") != page:
            print(f"{path} is out of date: run python scripts/licence_table.py", file=sys.stderr)
            return 1
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    print(f"wrote {path}: {len(table)} of {len(report['packages'])} distributions differ")
    return 0


if __name__ == "__main__":
    sys.exit(main())
