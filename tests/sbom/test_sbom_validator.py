"""Licences come from the library's licence factory; the warm helper process's schema check
equals the library's validator in-process (format checks included), and lumen falls back to
the in-process validator when the helper cannot start, dies or hangs."""

from __future__ import annotations

import json

import pytest
from cyclonedx.contrib.license.factories import LicenseFactory
from cyclonedx.model.license import DisjunctiveLicense, LicenseExpression

from lumen.adapters import cdx_validator
from lumen.adapters.cdx_validator import WarmValidator, validate_here
from release.sbom import cdx_licenses

STRINGS = [
    "MIT",
    "mit",  # fixed up to the canonical id
    "Apache-2.0",
    "GPL-2.0+",
    "MIT OR Apache-2.0",
    "(MIT AND BSD-3-Clause)",
    "GPL-2.0-or-later WITH Classpath-exception-2.0",
    "MIT OR",  # broken expression: a name
    "BSD License",
    "License :: OSI Approved :: BSD License",
    "Apache License 2.0",
    "LicenseRef-Proprietary",
    "Dual License",
    "Copyright (c) ACME",
]


def _shape(lic):
    if isinstance(lic, LicenseExpression):
        return ("expression", lic.value)
    assert isinstance(lic, DisjunctiveLicense)
    return ("id", lic.id) if lic.id else ("name", lic.name)


def test_licences_are_what_the_library_factory_makes():
    factory = LicenseFactory()
    for text in STRINGS:
        assert [_shape(x) for x in cdx_licenses([text])] == [_shape(factory.make_from_string(text))]
    assert _shape(cdx_licenses(["mit"])[0]) == ("id", "MIT")
    assert _shape(cdx_licenses(["MIT OR Apache-2.0"])[0]) == ("expression", "MIT OR Apache-2.0")
    assert _shape(cdx_licenses(["BSD License"])[0]) == ("name", "BSD License")
    # CycloneDX: a list of single licences, or one expression alone.
    assert [_shape(x) for x in cdx_licenses(["MIT", "MIT OR Apache-2.0", "BSD License"])] == [
        ("expression", "MIT OR Apache-2.0")
    ]
    assert [_shape(x) for x in cdx_licenses(["MIT", "BSD License"])] == [
        ("id", "MIT"),
        ("name", "BSD License"),
    ]


def _valid_document() -> dict:
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {"timestamp": "2026-01-01T00:00:00Z"},
        "components": [
            {
                "type": "library",
                "name": "six",
                "version": "1.17.0",
                "purl": "pkg:pypi/six@1.17.0",
                "externalReferences": [
                    {"type": "website", "url": "https://github.com/benjaminp/six"}
                ],
            }
        ],
    }


@pytest.mark.parametrize(
    ("mutate", "message", "path"),
    [
        (lambda d: None, None, None),
        (
            lambda d: d["metadata"].update(timestamp="yesterday"),
            "'yesterday' is not a 'date-time'",
            "$.metadata.timestamp",
        ),
        (
            lambda d: d["components"][0]["externalReferences"][0].update(url="http://a b/<c>"),
            # url is anyOf(iri-reference, bom-link): refused only if the IRI format is checked
            "is not valid under any of the given schemas",
            "$.components[0].externalReferences[0].url",
        ),
        (
            lambda d: d["components"][0].update(unknown=1),
            "Additional properties are not allowed",
            "$.components[0]",
        ),
    ],
)
def test_helper_check_equals_in_process_check(mutate, message, path):
    document = _valid_document()
    mutate(document)
    text = json.dumps(document)
    helper = WarmValidator()
    try:
        remote = helper.check(text)
    finally:
        helper.close()
    local = validate_here(text)
    assert remote == local
    assert remote.valid is (message is None)
    if message:
        assert message in remote.message and remote.path == path


def test_fallback_when_the_helper_cannot_start(monkeypatch, tmp_path):
    def no_process(*args, **kwargs):
        raise OSError("no interpreter")

    monkeypatch.setattr(cdx_validator.subprocess, "Popen", no_process)
    helper = WarmValidator()
    assert helper._process is None
    assert helper.check(json.dumps(_valid_document())).valid
    from lumen.cli import main

    req = tmp_path / "requirements.txt"
    req.write_text("six==1.17.0\n")
    out = tmp_path / "sbom.json"
    assert main(["sbom", "--requirements", str(req), "--output", str(out), "--quiet"]) == 0
    assert validate_here(out.read_text()).valid
    assert json.loads(out.read_text())["components"][0]["purl"] == "pkg:pypi/six@1.17.0"


def test_fallback_when_the_helper_dies(monkeypatch):
    helper = WarmValidator()
    assert helper._process is not None
    helper._process.kill()
    helper._process.wait()
    assert helper.check(json.dumps(_valid_document())).valid  # in-process
    assert helper._process is None
    helper.close()


def test_fallback_when_the_helper_is_stuck(monkeypatch):
    """A helper that never answers costs the timeout, not the run."""
    monkeypatch.setattr(cdx_validator, "_SCRIPT", "import time; time.sleep(60)")
    helper = WarmValidator(timeout=0.5)
    bad = _valid_document()
    bad["metadata"]["timestamp"] = "yesterday"
    verdict = helper.check(json.dumps(bad))  # in-process after the timeout
    assert helper._process is None  # stopped
    assert not verdict.valid and verdict.path == "$.metadata.timestamp"
