"""`licence_entries` decides as cyclonedx-python-lib's LicenseFactory decides (id, expression or
name), without importing its expression parser for plain ids, names and AND/OR expressions."""

from __future__ import annotations

import subprocess
import sys

import pytest
from cyclonedx.contrib.license.factories import LicenseFactory
from cyclonedx.model.license import LicenseAcknowledgement, LicenseExpression

from release.sbom import licence_entries

SAMPLES = [
    "MIT",
    "mit",
    "Apache-2.0",
    "apache-2.0",
    "BSD-3-Clause",
    "MIT OR Apache-2.0",
    "MIT AND Apache-2.0",
    "(MIT)",
    "GPL-2.0+",
    "GPL-2.0-or-later WITH Classpath-exception-2.0",
    "LicenseRef-Custom",
    "BSD License",
    "Apache 2.0",
    "Proprietary",
    "Apache Software License",
    "PSF-2.0",
    "Python-2.0",
    "MPL 2.0",
    "GNU GPL",
    "MIT License",
    "Apache-2.0 OR BSD-2-Clause",
    "(MIT OR Apache-2.0) AND BSD-3-Clause",
    "MIT OR",
    "OR MIT",
    "(MIT",
    "MIT)",
    "MIT AND (Apache-2.0 OR",
    "mit or apache-2.0",
    "MIT or Apache-2.0",
    "MIT OR Nonsense-1.0",
    "MIT  OR  Apache-2.0",
    "((MIT))",
    "MIT OR GPL-2.0+",
    "GNU GPLv3+",
    "License :: OSI Approved :: GNU Library or Lesser General Public License (LGPL)",
    "LGPL (>=2.1)",
    "GPL-3.0-only WITH Some-Unknown-exception",
    "MIT WITH",
    "Apache-2.0 with LLVM-exception",
]


def describe(licence: object) -> tuple[str, str | None]:
    if isinstance(licence, LicenseExpression):
        return ("expression", licence.value)
    return ("id", licence.id) if licence.id else ("name", licence.name)  # type: ignore[attr-defined]


def describe_entry(entry: dict) -> tuple[str, str | None]:
    if "expression" in entry:
        assert set(entry) == {"expression", "acknowledgement"}
        return ("expression", entry["expression"])
    (key,) = set(entry["license"]) - {"acknowledgement"}
    return (key, entry["license"][key])


@pytest.mark.parametrize("text", SAMPLES)
def test_same_as_the_library_factory(text: str) -> None:
    expected = LicenseFactory().make_from_string(
        text, license_acknowledgement=LicenseAcknowledgement.DECLARED
    )
    (ours,) = licence_entries([text])
    assert describe_entry(ours) == describe(expected)
    assert (ours.get("license") or ours)["acknowledgement"] == "declared"


def test_an_expression_stands_alone_and_single_licences_keep_their_order() -> None:
    # CycloneDX: a list of single licences, or exactly one expression.
    assert [describe_entry(e) for e in licence_entries(["MIT", "MIT OR Apache-2.0", "BSD"])] == [
        ("expression", "MIT OR Apache-2.0")
    ]
    assert [describe_entry(e) for e in licence_entries(["mit", "BSD License"])] == [
        ("id", "MIT"),
        ("name", "BSD License"),
    ]
    assert licence_entries([]) == []


def test_plain_ids_do_not_import_the_expression_parser() -> None:
    code = (
        "import sys; from release.sbom import licence_entries; "
        "licence_entries(['MIT', 'BSD License', 'GNU GPLv3+']); "
        "licence_entries(['Apache-2.0 OR BSD-2-Clause']); "
        "print('license_expression' in sys.modules, 'cyclonedx.spdx' in sys.modules, "
        "'cyclonedx.model' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "False"]
