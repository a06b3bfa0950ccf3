"""The warm helper process's schema check equals the library's validator in-process (format checks included), and lumen falls back to
the in-process validator when the helper cannot start, dies or hangs."""

from __future__ import annotations

import json

import pytest

from lumen.adapters import cdx_validator
from lumen.adapters.cdx_validator import WarmValidator, validate_here


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


def _take_prestarted() -> WarmValidator | None:
    return cdx_validator._prestarted.pop() if cdx_validator._prestarted else None


@pytest.mark.parametrize(
    ("arguments", "environ", "started"),
    [
        (["sbom", "--output", "x.json"], {}, True),
        (["--inputs-from-env", "sbom"], {}, True),
        (["sbom", "diff", "old.json", "new.json"], {}, False),
        (["--inputs-from-env", "sbom"], {"INPUT_SUBCOMMAND": "diff"}, False),
        (["sbom", "--help"], {}, False),
        (["maturity", "--events", "e.jsonl"], {}, False),
    ],
)
def test_the_cli_prestarts_the_helper_only_for_sbom_generation(
    monkeypatch, arguments, environ, started
):
    from lumen import cli

    monkeypatch.delenv("INPUT_SUBCOMMAND", raising=False)
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    _take_prestarted()
    command = arguments[1] if arguments[0] == "--inputs-from-env" else arguments[0]
    cli._prestart(command, arguments)
    helper = _take_prestarted()
    try:
        assert (helper is not None) is started
    finally:
        if helper is not None:
            helper.close()


def test_the_prestarted_helper_is_handed_over_once():
    _take_prestarted()
    cdx_validator.prestart()
    cdx_validator.prestart()  # idempotent: still the one helper
    assert len(cdx_validator._prestarted) == 1
    first = cdx_validator._prestarted[0]
    taken = cdx_validator.warm_validator()
    fresh = cdx_validator.warm_validator()
    try:
        assert taken is first and fresh is not first
        assert taken.check(json.dumps(_valid_document())).valid
    finally:
        taken.close()
        fresh.close()
