"""Licence gate, NTIA report and artifacts: known answers worked out by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gates.result import Verdict
from lumen.cli import main
from release.license_gate import evaluate, licence_checks, licence_ids, satisfiable
from release.ntia import coverage, ntia_checks
from release.sbom import artifact_version, declared_licenses

DATA_REQ = Path(__file__).parent / "data" / "requirements-base.txt"
SHA256_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
SHA512_ABC = (
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
)


# --- licence expressions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "denied", "is_denied"),
    [
        ("MIT", {"mit"}, True),
        ("MIT OR GPL-3.0-only", {"gpl-3.0-only"}, False),  # the user can pick MIT
        ("MIT AND GPL-3.0-only", {"gpl-3.0-only"}, True),  # both apply
        ("(MIT OR GPL-3.0-only) AND GPL-2.0-only", {"gpl-2.0-only"}, True),
        ("Apache-2.0 OR (MIT AND GPL-3.0-only)", {"gpl-3.0-only", "apache-2.0"}, True),
        ("GPL-2.0-or-later WITH Classpath-exception-2.0", {"gpl-2.0-or-later"}, True),
        ("GPL-2.0-or-later WITH Classpath-exception-2.0", {"classpath-exception-2.0"}, False),
        ("mit", {"mit"}, True),  # SPDX ids compare case-insensitively
    ],
)
def test_deny_semantics(expression, denied, is_denied):
    assert (not satisfiable(expression, lambda i: i.lower() not in denied)) is is_denied


def test_licence_ids_of_an_expression():
    assert licence_ids("MIT OR (Apache-2.0 AND BSD-3-Clause WITH LLVM-exception)") == {
        "MIT",
        "Apache-2.0",
        "BSD-3-Clause",
    }


def _doc(*components):
    return {"bomFormat": "CycloneDX", "specVersion": "1.6", "components": list(components)}


def _comp(name, version, *licences, **extra):
    entries = []
    for lic in licences:
        if lic.startswith("name:"):
            entries.append({"license": {"name": lic[5:]}})
        elif " " in lic:
            entries.append({"expression": lic})
        else:
            entries.append({"license": {"id": lic}})
    return {"type": "library", "name": name, "version": version, "licenses": entries, **extra}


DOC = _doc(
    _comp("a", "1", "MIT"),
    _comp("b", "2", "GPL-3.0-only"),
    _comp("c", "3", "Apache-2.0 OR GPL-3.0-only"),
    _comp("d", "4", "name:License :: OSI Approved :: BSD License"),
    _comp("e", "5"),
)


def test_deny_list_finds_only_what_cannot_be_avoided():
    findings = evaluate(DOC, deny=["GPL-3.0-only"])
    assert [(f.component, f.licence, f.problem) for f in findings] == [
        ("b@2", "GPL-3.0-only", "denied")
    ]
    [check] = licence_checks(findings, deny=["GPL-3.0-only"], allow=[])
    assert (check.name, check.verdict, check.value, check.key) == (
        "license-deny",
        Verdict.FAIL,
        1,
        True,
    )
    assert check.reason == "1 component(s) with a denied licence: b@2: GPL-3.0-only"


def test_allow_list_fails_unlisted_ids_and_warns_on_unknown():
    findings = evaluate(DOC, allow=["MIT", "Apache-2.0"])
    assert [(f.component, f.problem) for f in findings] == [
        ("b@2", "not-allowed"),
        ("d@4", "unknown"),
        ("e@5", "unknown"),
    ]
    [check] = licence_checks(findings, deny=[], allow=["MIT", "Apache-2.0"])
    assert check.verdict is Verdict.FAIL
    only_unknown = [f for f in findings if f.problem == "unknown"]
    [warn] = licence_checks(only_unknown, deny=[], allow=["MIT"])
    assert warn.verdict is Verdict.WARN


def test_declared_licences_prefer_the_expression_then_map_classifiers():
    classifiers = [
        "License :: OSI Approved :: MIT License",
        "License :: OSI Approved :: BSD License",
        "Programming Language :: Python",
    ]
    assert declared_licenses("MIT OR Apache-2.0", "Whatever", classifiers) == ("MIT OR Apache-2.0",)
    assert declared_licenses(None, "MIT", classifiers) == (
        "MIT",
        "License :: OSI Approved :: BSD License",
    )
    # A pasted licence text is not a name; UNKNOWN is nothing.
    assert declared_licenses(None, "Copyright (c) 2020\nPermission is hereby granted", ()) == ()
    assert declared_licenses(None, "UNKNOWN", ()) == ()


# --- NTIA ------------------------------------------------------------------------------------


def test_ntia_coverage_known_answer():
    document = {
        "metadata": {"timestamp": "2026-01-01T00:00:00Z"},
        "components": [
            {
                "bom-ref": "r1",
                "name": "a",
                "version": "1",
                "purl": "pkg:pypi/a@1",
                "supplier": {"name": "A Corp"},
            },
            {"bom-ref": "r2", "name": "b", "version": "2", "purl": "pkg:pypi/b@2"},
            {
                "bom-ref": "r3",
                "name": "c",
                "cpe": "cpe:2.3:a:c:c:*:*:*:*:*:*:*:*",
                "publisher": "C people",
            },
            {
                "bom-ref": "r4",
                "type": "file",
                "name": "x.whl",
                "version": "1",
                "hashes": [{"alg": "SHA-256", "content": SHA256_ABC}],
            },
        ],
        "dependencies": [{"ref": "r1", "dependsOn": ["r2"]}, {"ref": "r2"}, {"ref": "r4"}],
    }
    got = {c.element: (c.covered, c.total, c.missing) for c in coverage(document)}
    assert got == {
        "supplier": (2, 4, ("b@2", "x.whl@1")),
        "name": (4, 4, ()),
        "version": (3, 4, ("c",)),
        "unique-ids": (4, 4, ()),
        "dependency-relationship": (3, 4, ("c",)),
        "author": (0, 1, ("document",)),
        "timestamp": (1, 1, ()),
    }
    checks = {c.name: c for c in ntia_checks(coverage(document), missing=Verdict.FAIL)}
    assert checks["ntia:supplier"].verdict is Verdict.FAIL
    assert checks["ntia:supplier"].value == 0.5
    assert checks["ntia:supplier"].reason == "2/4 carry supplier; missing: b@2, x.whl@1"
    assert checks["ntia:name"].verdict is Verdict.PASS
    empty = ntia_checks(coverage({"components": []}))
    assert empty[0].verdict is Verdict.NO_DATA


# --- artifacts -------------------------------------------------------------------------------


def test_artifact_version_from_distribution_file_names():
    assert artifact_version("demo_app-1.4.0-py3-none-any.whl") == "1.4.0"
    assert artifact_version("demo_app-1.4.0-1-cp312-cp312-manylinux_2_17_x86_64.whl") == "1.4.0"
    assert artifact_version("demo-app-1.4.0rc1.tar.gz") == "1.4.0rc1"
    assert artifact_version("checksums.txt") is None


def test_artifacts_are_file_components_with_both_digests(tmp_path, valid_cdx):
    wheel = tmp_path / "demo_app-1.4.0-py3-none-any.whl"
    wheel.write_bytes(b"abc")
    notes = tmp_path / "NOTES.md"
    notes.write_bytes(b"abc")
    out = tmp_path / "sbom.json"
    rc = main(["sbom", "--artifact", str(wheel), str(notes), "--output", str(out), "--quiet"])
    assert rc == 0
    document = valid_cdx(out)
    comps = {c["name"]: c for c in document["components"]}
    assert set(comps) == {wheel.name, notes.name}
    for comp in comps.values():
        assert comp["type"] == "file" and "purl" not in comp
        assert comp["hashes"] == [
            {"alg": "SHA-256", "content": SHA256_ABC},
            {"alg": "SHA-512", "content": SHA512_ABC},
        ]
    assert comps[wheel.name]["version"] == "1.4.0"
    assert "version" not in comps[notes.name]
    refs = {d["ref"] for d in document["dependencies"]}
    assert {c["bom-ref"] for c in comps.values()} <= refs


def test_missing_artifact(tmp_path, capsys):
    rc = main(["sbom", "--artifact", "dist/nope.whl", "--output", str(tmp_path / "s.json")])
    assert rc == 1
    assert "dist/nope.whl: artifact not found" in capsys.readouterr().err


# --- the gate through the CLI ----------------------------------------------------------------


def test_denied_licence_fails_with_exit_2(test_venv, tmp_path, valid_cdx):
    out, result = tmp_path / "sbom.json", tmp_path / "result.json"
    argv = ["sbom", "--environment", str(test_venv), "--output", str(out)]
    rc = main([*argv, "--deny-license", "MPL-2.0,GPL-3.0-only", "--json", str(result)])
    assert rc == 2
    valid_cdx(out)  # the SBOM is still written: it is the evidence of the failure
    gate = json.loads(result.read_text())
    assert gate["verdict"] == "FAIL"
    [check] = [c for c in gate["checks"] if c["name"] == "license-deny"]
    assert check["verdict"] == "FAIL"
    assert [f["component"].split("@")[0] for f in check["findings"]] == ["certifi"]


def test_deny_list_from_config(test_venv, tmp_path, valid_cdx):
    config = tmp_path / "lumen.yml"
    config.write_text("sbom:\n  deny-license: [MPL-2.0]\n")
    argv = ["sbom", "--environment", str(test_venv), "--output", str(tmp_path / "s.json")]
    assert main([*argv, "--config", str(config), "--quiet"]) == 2
    config.write_text("sbom:\n  deny-license: [AGPL-3.0-only]\n")
    assert main([*argv, "--config", str(config), "--quiet"]) == 0
    valid_cdx(tmp_path / "s.json")


def test_allowed_licences_pass(test_venv, tmp_path, valid_cdx):
    allow = "MIT,Apache-2.0,BSD-2-Clause,BSD-3-Clause,MPL-2.0"
    argv = ["sbom", "--environment", str(test_venv), "--output", str(tmp_path / "s.json")]
    result = tmp_path / "r.json"
    assert main([*argv, "--allow-license", allow, "--json", str(result), "--quiet"]) == 0
    [check] = [c for c in json.loads(result.read_text())["checks"] if c["name"] == "license-allow"]
    assert check["verdict"] in {"PASS", "WARN"}
    assert all(f["problem"] == "unknown" for f in check["findings"])
    valid_cdx(tmp_path / "s.json")


def test_ntia_gap_can_fail_the_gate(tmp_path, valid_cdx):
    req = tmp_path / "requirements.txt"
    req.write_text("six>=1.16\n")
    argv = ["sbom", "--requirements", str(req), "--output", str(tmp_path / "s.json"), "--quiet"]
    assert main(argv) == 0  # default: a gap is a WARN
    assert main([*argv, "--ntia-missing", "fail"]) == 2
    assert valid_cdx(tmp_path / "s.json")["components"][0].get("version") is None


def test_action_inputs_and_outputs(tmp_path, monkeypatch, valid_cdx):
    """The composite action's path: INPUT_* variables in, step outputs and summary out."""
    wheel = tmp_path / "demo_app-1.4.0-py3-none-any.whl"
    wheel.write_bytes(b"abc")
    req = tmp_path / "requirements.txt"
    req.write_text("six==1.17.0\n")
    outputs, summary = tmp_path / "outputs", tmp_path / "summary.md"
    out = tmp_path / "sbom.cdx.json"
    for key, value in {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_STEP_SUMMARY": str(summary),
        "INPUT_ARTIFACT": f"{wheel}\n",
        "INPUT_REQUIREMENTS": str(req),
        "INPUT_OUTPUT": str(out),
        "INPUT_REPRODUCIBLE": "true",
        "INPUT_DENY_LICENSE": "GPL-3.0-only\nAGPL-3.0-only",
    }.items():
        monkeypatch.setenv(key, value)
    assert main(["--inputs-from-env", "sbom", "--quiet"]) == 0
    document = valid_cdx(out)
    assert "serialNumber" not in document
    assert {c["name"] for c in document["components"]} == {"six", wheel.name}
    written = outputs.read_text()
    assert "verdict<<" in written or "verdict=" in written
    assert str(out) in written and "components" in written
    assert "Lumen sbom gate" in summary.read_text()


def test_author_and_same_named_artifacts(tmp_path, valid_cdx):
    for folder in ("linux", "mac"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "tool.tar.gz").write_bytes(folder.encode())
    out, result = tmp_path / "sbom.json", tmp_path / "r.json"
    argv = ["sbom", "--artifact", "linux/tool.tar.gz", "mac/tool.tar.gz", "--output", str(out)]
    rc = main(
        [*argv, "--author", "Doe, Jane", "--now", "2026-01-02T03:04:05Z", "--json", str(result)]
    )
    assert rc == 0
    document = valid_cdx(out)
    assert sorted(c["bom-ref"] for c in document["components"]) == [
        "file:linux/tool.tar.gz",
        "file:mac/tool.tar.gz",
    ]
    assert document["metadata"]["authors"] == [{"name": "Doe, Jane"}]
    assert document["metadata"]["timestamp"] == "2026-01-02T03:04:05+00:00"
    checks = {c["name"]: c["verdict"] for c in json.loads(result.read_text())["checks"]}
    assert checks["ntia:author"] == "PASS" and checks["ntia:timestamp"] == "PASS"


def test_sbom_never_imports_sigstore(tmp_path):
    import subprocess
    import sys

    code = (
        "import sys; from lumen.cli import main; "
        f"rc = main(['sbom', '--requirements', {str(DATA_REQ)!r}, '--output', 'o.json', '--quiet']); "
        "assert rc == 0, rc; "
        "assert not [m for m in sys.modules if m.split('.')[0] == 'sigstore'], 'sigstore imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path)


def test_empty_sbom_is_no_data_unless_told_otherwise(tmp_path, valid_cdx):
    req = tmp_path / "requirements.txt"
    req.write_text("--index-url https://pypi.org/simple\n")
    argv = ["sbom", "--requirements", str(req), "--output", str(tmp_path / "s.json"), "--quiet"]
    result = tmp_path / "r.json"
    assert main([*argv, "--json", str(result)]) == 0
    checks = {c["name"]: c["verdict"] for c in json.loads(result.read_text())["checks"]}
    assert checks["ntia:name"] == "NO_DATA"
    assert main([*argv, "--on-no-data", "fail"]) == 2
    assert valid_cdx(tmp_path / "s.json").get("components", []) == []
