"""Where SBOMs are consumed: SPDX output, GitHub's dependency submission, Dependency-Track."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from lumen.cli import main

pytestmark = pytest.mark.github

SCHEMA = json.loads(
    (
        Path(__file__).resolve().parents[2] / "policy" / "schemas" / "spdx-2.3.schema.json"
    ).read_text()
)
PYPROJECT = (
    '[project]\nname = "demo-app"\nversion = "2.0.0"\nlicense = "MIT"\n'
    'authors = [{name = "Ada Lovelace"}]\ndependencies = ["requests>=2", "six"]\n'
)


@pytest.fixture
def pyproject(tmp_path: Path) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text(PYPROJECT)
    return path


def test_spdx_json_output_validates_and_is_reproducible(
    test_venv, pyproject, tmp_path, monkeypatch
):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    outs = [tmp_path / "a.spdx.json", tmp_path / "b.spdx.json"]
    for out in outs:
        argv = [
            "sbom",
            "--environment",
            str(test_venv),
            "--pyproject",
            str(pyproject),
            "--reproducible",
        ]
        assert main([*argv, "--output", str(out), "--json", str(tmp_path / "r.json")]) == 0
    assert outs[0].read_bytes() == outs[1].read_bytes()
    document = json.loads(outs[0].read_text())
    jsonschema.Draft7Validator(SCHEMA).validate(document)
    assert document["creationInfo"]["created"] == "2023-11-14T22:13:20Z"
    assert {p["name"] for p in document["packages"]} >= {"demo-app", "requests", "six"}
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["format"] == "spdx-json"
    assert any(c["name"] == "spdx-2.3" and c["verdict"] == "PASS" for c in result["checks"])


def test_submit_sends_a_snapshot_the_openapi_description_accepts(
    test_venv, pyproject, tmp_path, github_env
):
    out = tmp_path / "sbom.cdx.json"
    argv = ["sbom", "--environment", str(test_venv), "--pyproject", str(pyproject)]
    assert main([*argv, "--output", str(out), "--submit", "--json", str(tmp_path / "r.json")]) == 0
    repo = github_env.state.find_repo("octo-org", "app")
    [snapshot] = repo.dependency_snapshots
    manifest = snapshot["manifests"][str(pyproject)]
    resolved = {v["package_url"]: v for v in manifest["resolved"].values()}
    assert resolved["pkg:pypi/six@1.17.0"]["relationship"] == "direct"
    assert (
        resolved["pkg:pypi/idna@3.10"]["relationship"] == "indirect"
        if "pkg:pypi/idna@3.10" in resolved
        else True
    )
    requests_entry = next(v for k, v in resolved.items() if k.startswith("pkg:pypi/requests@"))
    assert {d.split("@")[0] for d in requests_entry["dependencies"]} == {
        "pkg:pypi/certifi",
        "pkg:pypi/charset-normalizer",
        "pkg:pypi/idna",
        "pkg:pypi/urllib3",
    }
    assert snapshot["sha"] == repo.refs["heads/main"] and snapshot["ref"] == "refs/heads/main"
    result = json.loads((tmp_path / "r.json").read_text())
    check = next(c for c in result["checks"] if c["name"] == "github-dependency-submission")
    assert check["verdict"] == "PASS" and check["value"] == "SUCCESS"


def _dt_argv(test_venv, pyproject, out, url):
    return [
        "sbom",
        "--environment",
        str(test_venv),
        "--pyproject",
        str(pyproject),
        "--output",
        str(out),
        "--dependency-track",
        url,
    ]


def test_dependency_track_upload_and_findings_become_checks(
    test_venv, pyproject, tmp_path, dependency_track, monkeypatch
):
    from harness.dependency_track import API_KEY

    monkeypatch.setenv("DEPENDENCY_TRACK_API_KEY", API_KEY)
    parent = dependency_track.add_project("platform", "1")
    dependency_track.findings(
        "demo-app",
        critical=1,
        high=3,
        violations=[("no-copyleft", "FAIL", "LICENSE"), ("age", "WARN", "OPERATIONAL")],
    )
    out, result = tmp_path / "sbom.cdx.json", tmp_path / "r.json"
    argv = _dt_argv(test_venv, pyproject, out, dependency_track.url)
    rc = main([*argv, "--dt-parent", "platform", "--dt-parent-version", "1", "--json", str(result)])
    assert rc == 2  # FAIL: one critical, one FAIL violation
    [upload] = dependency_track.uploads
    assert upload == {
        "projectName": "demo-app",
        "projectVersion": "2.0.0",
        "autoCreate": "true",
        "parentName": "platform",
        "parentVersion": "1",
    }
    project = dependency_track.find("demo-app", "2.0.0")
    assert project is not None and project.parent == parent.uuid
    assert project.boms[0]["metadata"]["component"]["name"] == "demo-app"
    checks = {c["name"]: c for c in json.loads(result.read_text())["checks"]}
    assert checks["dependency-track:critical"]["verdict"] == "FAIL"
    assert checks["dependency-track:critical"]["value"] == 1
    assert checks["dependency-track:policy-fail"]["verdict"] == "FAIL"
    assert "no-copyleft (LICENSE) on six 1.17.0" in checks["dependency-track:policy-fail"]["reason"]
    # Limits left at null in policy/defaults/sbom.yml are not checked.
    assert "dependency-track:high" not in checks
    values = json.loads(result.read_text())["dependency_track"]
    assert values["severities"]["high"] == 3 and values["policy_violations"]["WARN"] == 1


def test_dependency_track_clean_project_passes_and_limits_come_from_config(
    test_venv, pyproject, tmp_path, dependency_track, monkeypatch
):
    from harness.dependency_track import API_KEY

    monkeypatch.setenv("DEPENDENCY_TRACK_API_KEY", API_KEY)
    dependency_track.findings("demo-app", high=2)
    config = tmp_path / "lumen.yml"
    config.write_text("sbom:\n  max-high: 1\n")
    out, result = tmp_path / "sbom.cdx.json", tmp_path / "r.json"
    argv = _dt_argv(test_venv, pyproject, out, dependency_track.url)
    assert main([*argv, "--config", str(config), "--json", str(result)]) == 2
    checks = {c["name"]: c for c in json.loads(result.read_text())["checks"]}
    assert checks["dependency-track:high"]["verdict"] == "FAIL"
    assert checks["dependency-track:critical"]["verdict"] == "PASS"
    config.write_text("sbom:\n  max-high: 2\n")
    assert main([*argv, "--config", str(config), "--quiet"]) == 0


def test_dependency_track_wrong_key_is_one_line(
    test_venv, pyproject, dependency_track, monkeypatch, capsys
):
    monkeypatch.setenv("DEPENDENCY_TRACK_API_KEY", "wrong")
    out = pyproject.parent / "sbom.cdx.json"
    assert main(_dt_argv(test_venv, pyproject, out, dependency_track.url)) == 1
    err = capsys.readouterr().err
    assert "HTTP 401" in err and "API key" in err and "Traceback" not in err
    dependency_track.violations.clear()  # refused on purpose


def test_dependency_track_without_auto_create_names_the_missing_project(
    test_venv, pyproject, dependency_track, monkeypatch, capsys
):
    from harness.dependency_track import API_KEY

    monkeypatch.setenv("DEPENDENCY_TRACK_API_KEY", API_KEY)
    out = pyproject.parent / "sbom.cdx.json"
    argv = _dt_argv(test_venv, pyproject, out, dependency_track.url)
    assert main([*argv, "--dt-no-auto-create"]) == 1
    err = capsys.readouterr().err
    assert "HTTP 404" in err and "no such project" in err
    assert dependency_track.uploads == [
        {"projectName": "demo-app", "projectVersion": "2.0.0", "autoCreate": "false"}
    ]
    assert dependency_track.find("demo-app", "2.0.0") is None


def test_dependency_track_needs_a_project_name(test_venv, dependency_track, tmp_path, capsys):
    out = tmp_path / "sbom.cdx.json"  # no pyproject here: no root to name the project
    assert (
        main(
            [
                "sbom",
                "--environment",
                str(test_venv),
                "--output",
                str(out),
                "--dependency-track",
                dependency_track.url,
            ]
        )
        == 1
    )
    assert "--dt-project NAME --dt-version VERSION" in capsys.readouterr().err
