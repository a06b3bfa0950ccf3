"""`lumen sbom --environment` on a real virtual environment built from the registry."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from lumen.cli import main

PEER = Path(sys.executable).with_name("cyclonedx-py")


def _by_name(document: dict) -> dict[str, dict]:
    return {c["name"].lower(): c for c in document["components"]}


def test_environment_inventory_matches_pip(test_venv, venv_pip_list, valid_cdx, tmp_path):
    out = tmp_path / "sbom.cdx.json"
    result = tmp_path / "result.json"
    rc = main(
        ["sbom", "--environment", str(test_venv), "--output", str(out), "--json", str(result)]
    )
    assert rc == 0
    document = valid_cdx(out)
    comps = _by_name(document)
    # Every distribution pip lists is a component, with pip's version and a normalized purl.
    assert set(comps) == set(venv_pip_list)
    for name, version in venv_pip_list.items():
        assert comps[name]["version"] == version
        assert comps[name]["purl"] == f"pkg:pypi/{name}@{version}"
        assert comps[name]["bom-ref"] == comps[name]["purl"]
    # Licences: an SPDX id, and a PEP 639 expression kept whole.
    assert comps["six"]["licenses"] == [{"license": {"id": "MIT", "acknowledgement": "declared"}}]
    assert comps["packaging"]["licenses"] == [
        {"expression": "Apache-2.0 OR BSD-2-Clause", "acknowledgement": "declared"}
    ]
    # The dependency graph: requests -> its four runtime dependencies (not its extras' ones).
    graph = {d["ref"]: set(d.get("dependsOn", ())) for d in document["dependencies"]}
    assert graph[comps["requests"]["bom-ref"]] == {
        comps[n]["bom-ref"] for n in ("certifi", "charset-normalizer", "idna", "urllib3")
    }
    assert graph[comps["six"]["bom-ref"]] == set()
    # Metadata: tool and timestamp; the gate result names the interpreter it read.
    assert document["metadata"]["tools"]["components"][0]["name"] == "lumen-ci"
    assert document["metadata"]["timestamp"]
    assert document["serialNumber"].startswith("urn:uuid:")
    gate = json.loads(result.read_text())
    assert gate["gate"] == "sbom"
    assert gate["components"] == len(venv_pip_list)
    assert Path(gate["inputs"]["environment"]).parent == test_venv.parent


def test_component_parity_with_cyclonedx_py(test_venv, valid_cdx, tmp_path):
    """Every component the peer lists, we list with the same purl (and version)."""
    peer_out = tmp_path / "peer.json"
    subprocess.run(
        [str(PEER), "environment", "--of", "JSON", "-o", str(peer_out), str(test_venv)],
        check=True,
    )
    ours = tmp_path / "ours.json"
    assert main(["sbom", "--environment", str(test_venv), "--output", str(ours), "--quiet"]) == 0
    peer_purls = {c["purl"] for c in json.loads(peer_out.read_text())["components"] if "purl" in c}
    our_purls = {c.get("purl") for c in valid_cdx(ours)["components"]}
    assert peer_purls, "the peer listed nothing; the comparison would prove nothing"
    assert peer_purls <= our_purls, f"missing: {sorted(peer_purls - our_purls)}"


def test_reproducible_output_is_byte_identical(test_venv, valid_cdx, tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    for path in (first, second):
        argv = ["sbom", "--environment", str(test_venv), "--output", str(path), "--reproducible"]
        assert main([*argv, "--quiet"]) == 0
    assert first.read_bytes() == second.read_bytes()
    document = valid_cdx(first)
    assert "serialNumber" not in document
    assert "timestamp" not in document["metadata"]
    assert {"name": "cdx:reproducible", "value": "true"} in document["metadata"]["properties"]


def test_xml_output_is_valid(test_venv, valid_cdx, tmp_path):
    out = tmp_path / "sbom.cdx.xml"
    assert main(["sbom", "--environment", str(test_venv), "--output", str(out), "--quiet"]) == 0
    valid_cdx(out)
    assert "<purl>pkg:pypi/six@1.17.0</purl>" in out.read_text()


def test_root_component_from_pyproject(test_venv, valid_cdx, tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[project]\nname = "demo-app"\nversion = "2.0.0"\nlicense = "MIT"\n'
        'authors = [{name = "Ada Lovelace"}]\ndependencies = ["requests>=2", "six"]\n'
    )
    out = tmp_path / "sbom.json"
    argv = ["sbom", "--environment", str(test_venv), "--pyproject", str(pyproject)]
    assert main([*argv, "--output", str(out), "--quiet"]) == 0
    document = valid_cdx(out)
    root = document["metadata"]["component"]
    assert (root["name"], root["version"], root["type"]) == ("demo-app", "2.0.0", "application")
    assert root["purl"] == "pkg:pypi/demo-app@2.0.0"
    assert document["metadata"]["authors"] == [{"name": "Ada Lovelace"}]
    graph = {d["ref"]: set(d.get("dependsOn", ())) for d in document["dependencies"]}
    assert graph[root["bom-ref"]] == {"pkg:pypi/requests@2.32.3", "pkg:pypi/six@1.17.0"}


def test_current_interpreter_is_the_default(valid_cdx, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no pyproject.toml here
    out = tmp_path / "sbom.json"
    assert main(["sbom", "--output", str(out), "--quiet"]) == 0
    names = {c["name"].lower() for c in valid_cdx(out)["components"]}
    assert {"cyclonedx-python-lib", "pyyaml", "jsonschema"} <= names


def test_unknown_interpreter_is_a_one_line_error(tmp_path, capsys):
    missing = tmp_path / "nope" / "python"
    rc = main(["sbom", "--environment", str(missing), "--output", str(tmp_path / "x.json")])
    assert rc == 1
    err = capsys.readouterr().err
    assert "no Python interpreter" in err and "Traceback" not in err
    assert not (tmp_path / "x.json").exists()


def test_interpreter_that_fails_is_a_source_error(tmp_path, capsys):
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho 'boom: not python' >&2\nexit 3\n")
    fake.chmod(0o755)
    rc = main(["sbom", "--environment", str(fake), "--output", str(tmp_path / "x.json")])
    assert rc == 1
    err = capsys.readouterr().err
    assert "exit 3" in err and "boom: not python" in err


def test_no_output_is_a_usage_error(capsys):
    assert main(["sbom", "--environment"]) == 1
    assert "--output PATH is required" in capsys.readouterr().err


def test_a_venv_folder_stands_for_its_interpreter(test_venv, tmp_path, valid_cdx):
    out = tmp_path / "sbom.json"
    venv_dir = test_venv.parent.parent
    assert main(["sbom", "--environment", str(venv_dir), "--output", str(out), "--quiet"]) == 0
    assert "six" in {c["name"] for c in valid_cdx(out)["components"]}
