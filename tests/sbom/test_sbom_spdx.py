"""SPDX 2.3 JSON: valid against the official schema, and the same graph as the CycloneDX one."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from license_expression import get_spdx_licensing

from lumen.cli import main
from release.spdx import dependency_edges, licence_ref, spdx_document, spdx_id

SCHEMA = json.loads(
    (
        Path(__file__).resolve().parents[2] / "policy" / "schemas" / "spdx-2.3.schema.json"
    ).read_text()
)
ID = re.compile(r"^SPDXRef-[A-Za-z0-9.-]+$")


def _validate(document: dict) -> None:
    jsonschema.Draft7Validator.check_schema(SCHEMA)
    errors = sorted(jsonschema.Draft7Validator(SCHEMA).iter_errors(document), key=str)
    assert not errors, errors[0].message


@pytest.fixture(scope="module")
def cyclonedx(test_venv, tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("spdx")
    pyproject = folder / "pyproject.toml"
    pyproject.write_text(
        '[project]\nname = "demo-app"\nversion = "2.0.0"\nlicense = "MIT"\n'
        'authors = [{name = "Ada Lovelace"}]\ndependencies = ["requests>=2", "six"]\n'
    )
    out = folder / "sbom.cdx.json"
    argv = ["sbom", "--environment", str(test_venv), "--pyproject", str(pyproject)]
    assert main([*argv, "--output", str(out), "--reproducible", "--quiet"]) == 0
    return json.loads(out.read_text())


def _spdx(cdx: dict) -> dict:
    return spdx_document(
        cdx,
        created="2026-01-02T03:04:05Z",
        namespace="https://spdx.org/spdxdocs/demo-app-0123",
        tool="lumen-ci-1.0",
        authors=["Ada Lovelace"],
    )


def test_valid_against_the_official_schema(cyclonedx):
    document = _spdx(cyclonedx)
    _validate(document)
    assert document["spdxVersion"] == "SPDX-2.3"
    ids = [p["SPDXID"] for p in document["packages"]]
    assert len(ids) == len(set(ids)) and all(ID.match(i) for i in ids)
    known = {*ids, "SPDXRef-DOCUMENT"}
    for rel in document["relationships"]:
        assert rel["spdxElementId"] in known and rel["relatedSpdxElement"] in known


def test_the_schema_refuses_what_it_should(cyclonedx):
    document = _spdx(cyclonedx)
    del document["packages"][0]["downloadLocation"]
    with pytest.raises(AssertionError, match="downloadLocation"):
        _validate(document)
    document = _spdx(cyclonedx)
    document["relationships"][0]["relationshipType"] = "USES"
    with pytest.raises(AssertionError, match="USES"):
        _validate(document)


def test_relationships_are_the_cyclonedx_graph(cyclonedx):
    document = _spdx(cyclonedx)
    expected = {
        (spdx_id("Package", d["ref"]), spdx_id("Package", target))
        for d in cyclonedx["dependencies"]
        for target in d.get("dependsOn", ())
    }
    assert expected, "the graph should have edges"
    assert dependency_edges(document) == expected
    root = cyclonedx["metadata"]["component"]
    describes = [r for r in document["relationships"] if r["relationshipType"] == "DESCRIBES"]
    assert describes == [
        {
            "spdxElementId": "SPDXRef-DOCUMENT",
            "relationshipType": "DESCRIBES",
            "relatedSpdxElement": spdx_id("Package", root["bom-ref"]),
        }
    ]


def test_packages_carry_versions_purls_hashes_and_licences(cyclonedx):
    document = _spdx(cyclonedx)
    by_name = {p["name"]: p for p in document["packages"]}
    assert set(by_name) == {c["name"] for c in cyclonedx["components"]} | {"demo-app"}
    six = by_name["six"]
    assert six["versionInfo"] == "1.17.0"
    assert six["licenseDeclared"] == "MIT"
    assert six["externalRefs"] == [
        {
            "referenceCategory": "PACKAGE-MANAGER",
            "referenceType": "purl",
            "referenceLocator": "pkg:pypi/six@1.17.0",
        }
    ]
    assert by_name["packaging"]["licenseDeclared"] == "Apache-2.0 OR BSD-2-Clause"
    assert by_name["demo-app"]["primaryPackagePurpose"] == "APPLICATION"
    licensing = get_spdx_licensing()
    for package in document["packages"]:
        declared = package["licenseDeclared"]
        if declared != "NOASSERTION":
            info = licensing.validate(declared)
            unknown = [k for k in info.invalid_symbols if not k.startswith("LicenseRef-")]
            assert not unknown, (package["name"], declared, info.errors)


def test_names_become_licence_refs_with_their_text_and_hashes_become_checksums():
    cdx = {
        "metadata": {},
        "components": [
            {
                "type": "library",
                "bom-ref": "pkg:pypi/odd@1.0",
                "name": "odd",
                "version": "1.0",
                "purl": "pkg:pypi/odd@1.0",
                "licenses": [
                    {"license": {"name": "PSFL"}},
                    {"license": {"id": "PSF-2.0"}},
                ],
                "hashes": [{"alg": "SHA-256", "content": "AB" * 32}],
            },
            {
                "type": "file",
                "bom-ref": "file:dist/odd-1.0-py3-none-any.whl",
                "name": "odd-1.0-py3-none-any.whl",
                "version": "1.0",
                "hashes": [{"alg": "SHA-512", "content": "cd" * 64}],
            },
        ],
        "dependencies": [{"ref": "pkg:pypi/odd@1.0"}],
    }
    document = spdx_document(
        cdx, created="2026-01-02T03:04:05Z", namespace="https://x.example/1", tool="t-1"
    )
    _validate(document)
    odd = next(p for p in document["packages"] if p["name"] == "odd")
    ref = licence_ref("PSFL")
    assert odd["licenseDeclared"] == f"{ref} AND PSF-2.0"
    assert odd["checksums"] == [{"algorithm": "SHA256", "checksumValue": "ab" * 32}]
    assert document["hasExtractedLicensingInfos"] == [
        {"licenseId": ref, "extractedText": "PSFL", "name": "PSFL"}
    ]
    wheel = next(p for p in document["packages"] if p["name"].endswith(".whl"))
    assert wheel["primaryPackagePurpose"] == "ARCHIVE" and wheel["packageFileName"] == wheel["name"]
    # No root: the document describes every package.
    assert sum(r["relationshipType"] == "DESCRIBES" for r in document["relationships"]) == 2
