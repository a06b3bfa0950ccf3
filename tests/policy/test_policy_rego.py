"""Rego document policies through `lumen policy`: conftest conventions (package main,
deny/violation/warn, --namespace, --fail-on-warn, data files), YAML/JSON/JSONL inputs, policy
syntax errors with file and line, the shipped Kubernetes pack, SARIF and JUnit."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import yaml

from lumen.cli import main

DATA = Path(__file__).parent / "data" / "k8s"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["policy", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def result(path: Path) -> dict:  # type: ignore[type-arg]
    return json.loads(path.read_text())


# Both syntaxes conftest users have: the v1 keywords and the pre-1.0 form.
NEW_STYLE = """
    package main
    import rego.v1

    deny contains msg if {
        input.kind == "Service"
        input.spec.type == "NodePort"
        msg := sprintf("%s uses NodePort", [input.metadata.name])
    }

    warn contains msg if {
        not input.metadata.labels.team
        msg := sprintf("%s has no team label", [input.metadata.name])
    }
"""
OLD_STYLE = """
    package main

    violation[{"msg": msg, "details": {"replicas": n}}] {
        n := input.spec.replicas
        n < 2
        msg := sprintf("%s runs %d replica(s)", [input.metadata.name, n])
    }

    deny_no_name[msg] {
        not input.metadata.name
        msg := "every object needs metadata.name"
    }
"""

MANIFESTS = """
    apiVersion: v1
    kind: Service
    metadata: {name: svc, labels: {team: a}}
    spec: {type: NodePort}
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: dep}
    spec: {replicas: 1}
    ---
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: fine, labels: {team: b}}
"""


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    write(tmp_path / "policy" / "new.rego", NEW_STYLE)
    write(tmp_path / "policy" / "old.rego", OLD_STYLE)
    write(tmp_path / "policy" / "new_test.rego", "package main\n this is not rego\n")
    return tmp_path / "policy"


def test_deny_warn_violation_on_multi_document_yaml(
    tmp_path: Path, policies: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifests = write(tmp_path / "m.yaml", MANIFESTS)
    out_json = tmp_path / "r.json"
    code, out, _ = run(capsys, "--rego", str(policies), str(manifests), "--json", str(out_json))
    assert code == 2
    doc = result(out_json)
    assert doc["verdict"] == "FAIL"
    found = {
        (c["rule"], c["document"], c["line"], c["verdict"], c["reason"]) for c in doc["checks"]
    }
    assert found == {
        ("deny", 0, 1, "FAIL", "svc uses NodePort"),
        ("warn", 1, 6, "WARN", "dep has no team label"),
        ("violation", 1, 6, "FAIL", "dep runs 1 replica(s)"),
    }
    violation = next(c for c in doc["checks"] if c["rule"] == "violation")
    assert violation["details"] == {"details": {"replicas": 1}}
    assert "svc uses NodePort" in out
    assert doc["documents"] == {"checks": 3, "pass": 0, "warn": 1, "fail": 2, "no_data": 0}


def test_warn_only_passes_with_exit_0_and_fail_on_warn_fails(
    tmp_path: Path, policies: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = write(tmp_path / "cm.json", '{"kind": "ConfigMap", "metadata": {"name": "x"}}')
    code, out, _ = run(capsys, "--rego", str(policies), str(doc))
    assert code == 0
    assert "WARN" in out
    code, _, _ = run(capsys, "--rego", str(policies), str(doc), "--fail-on-warn")
    assert code == 2


def test_prefixed_rule_and_json_lines(
    tmp_path: Path, policies: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = write(
        tmp_path / "objs.jsonl",
        '{"kind": "ConfigMap", "metadata": {"labels": {"team": "a"}}}\n\n'
        '{"kind": "ConfigMap", "metadata": {"name": "ok", "labels": {"team": "a"}}}\n',
    )
    out_json = tmp_path / "r.json"
    code, _, _ = run(capsys, "--rego", str(policies), str(events), "--json", str(out_json))
    assert code == 2
    (check,) = result(out_json)["checks"]
    assert (check["rule"], check["line"], check["reason"]) == (
        "deny_no_name",
        1,
        "every object needs metadata.name",
    )


def test_namespaces(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "p"
    write(folder / "a.rego", 'package team.a\nimport rego.v1\ndeny contains "a says no" if true\n')
    write(folder / "b.rego", 'package team.b\nimport rego.v1\nwarn contains "b warns" if true\n')
    write(folder / "main.rego", 'package main\nimport rego.v1\ndeny contains "main" if false\n')
    doc = write(tmp_path / "d.yaml", "x: 1\n")
    out_json = tmp_path / "r.json"

    def reasons(*extra: str) -> tuple[int, list[str]]:
        code, _, _ = run(capsys, "--rego", str(folder), *extra, str(doc), "--json", str(out_json))
        return code, sorted(c["reason"] for c in result(out_json)["checks"])

    assert reasons() == (0, ["1 document(s), no deny/violation/warn"])  # default: main
    assert reasons("--namespace", "team.a") == (2, ["a says no"])
    assert reasons("--namespace", "team.b") == (0, ["b warns"])
    assert reasons("--namespace", "team.a", "--namespace", "team.b") == (
        2,
        ["a says no", "b warns"],
    )
    assert reasons("--all-namespaces") == (2, ["a says no", "b warns"])


def test_data_files_are_visible_to_policies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write(
        tmp_path / "p" / "r.rego",
        """
        package main
        import rego.v1
        deny contains msg if {
            not input.image in data.allowed.images
            msg := sprintf("image %s is not allowed", [input.image])
        }
        """,
    ).parent
    data = write(tmp_path / "allowed.yaml", "allowed:\n  images: [a:1, b:2]\n")
    good = write(tmp_path / "good.json", '{"image": "a:1"}')
    bad = write(tmp_path / "bad.json", '{"image": "c:3"}')
    assert run(capsys, "--rego", str(folder), "--data", str(data), str(good))[0] == 0
    code, out, _ = run(capsys, "--rego", str(folder), "--data", str(data), str(bad))
    assert code == 2
    assert "image c:3 is not allowed" in out


def test_policy_syntax_error_names_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write(
        tmp_path / "p" / "broken.rego",
        """
        package main

        deny[msg] {
            input.x ==
        }
        """,
    )
    doc = write(tmp_path / "d.yaml", "x: 1\n")
    code, out, err = run(capsys, "--rego", str(bad.parent), str(doc))
    assert code == 1
    assert out == ""  # the engine's own error print must not leak into the table
    assert f"{bad}:3: Rego error at column 11: expecting }}" in err
    assert "Traceback" not in err


def test_unknown_function_names_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write(
        tmp_path / "p" / "f.rego",
        "package main\nimport rego.v1\n\ndeny contains x if {\n  x := nope(input)\n}\n",
    )
    doc = write(tmp_path / "d.yaml", "x: 1\n")
    code, _, err = run(capsys, "--rego", str(bad.parent), str(doc))
    assert code == 1
    assert f"{bad}:5: the policy calls nope, which the Rego engine does not implement" in err


def test_bad_input_document_names_file_and_line(
    tmp_path: Path, policies: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = write(tmp_path / "d.yaml", "a: 1\n---\nb: [unclosed\n")
    code, _, err = run(capsys, "--rego", str(policies), str(doc))
    assert code == 1
    assert f"{doc}:4: not valid YAML" in err


def test_missing_policy_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = write(tmp_path / "d.yaml", "a: 1\n")
    code, _, err = run(capsys, "--rego", str(tmp_path / "nope"), str(doc))
    assert code == 1
    assert "Rego policy folder not found" in err


# --------------------------------------------------------------------------- Kubernetes pack


def test_kubernetes_pack_accepts_hardened_manifests(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_json = tmp_path / "r.json"
    code, _, _ = run(
        capsys, "--rego", "kubernetes", str(DATA / "good.yaml"), "--json", str(out_json)
    )
    assert code == 0
    (check,) = result(out_json)["checks"]
    assert check["verdict"] == "PASS"
    assert check["value"] == 3


GOOD_CONTAINER = {
    "name": "app",
    "image": "ghcr.io/x/app:1.2.3",
    "securityContext": {
        "runAsNonRoot": True,
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
    },
    "resources": {"limits": {"cpu": "100m", "memory": "64Mi"}},
    "livenessProbe": {"httpGet": {"path": "/", "port": 80}},
    "readinessProbe": {"httpGet": {"path": "/", "port": 80}},
}


def deployment(**container: object) -> dict:  # type: ignore[type-arg]
    c = {**GOOD_CONTAINER, **container}
    c = {k: v for k, v in c.items() if v is not None}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "app"},
        "spec": {"template": {"spec": {"containers": [c]}}},
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({}, None),
        (
            {
                "securityContext": {
                    **GOOD_CONTAINER["securityContext"],
                    "readOnlyRootFilesystem": False,
                }
            },  # type: ignore[dict-item]
            "must set securityContext.readOnlyRootFilesystem: true",
        ),
        (
            {"securityContext": {"runAsNonRoot": True, "readOnlyRootFilesystem": True}},
            "must set securityContext.allowPrivilegeEscalation: false",
        ),
        (
            {
                "securityContext": {
                    "readOnlyRootFilesystem": True,
                    "allowPrivilegeEscalation": False,
                }
            },
            "must run as non-root",
        ),
        ({"resources": {"limits": {"cpu": "1"}}}, "must set resources.limits.memory"),
        (
            {"resources": {"requests": {"cpu": "1"}, "limits": {"memory": "1Gi"}}},
            "must set resources.limits.cpu",
        ),
        ({"livenessProbe": None}, "must define a livenessProbe"),
        ({"readinessProbe": None}, "must define a readinessProbe"),
        ({"image": "nginx:latest"}, "uses image 'nginx:latest'"),
        ({"image": "nginx"}, "uses image 'nginx'"),
        ({"image": "localhost:5000/nginx"}, "uses image 'localhost:5000/nginx'"),
        ({"image": "nginx:latest@sha256:" + "a" * 64}, None),  # a digest pins it
        ({"image": "localhost:5000/nginx:1.25"}, None),
    ],
)
def test_kubernetes_pack_rule_by_rule(
    change: dict,
    message: str | None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],  # type: ignore[type-arg]
) -> None:
    doc = tmp_path / "d.json"
    doc.write_text(json.dumps(deployment(**change)))
    out_json = tmp_path / "r.json"
    code, _, _ = run(capsys, "--rego", "kubernetes", str(doc), "--json", str(out_json))
    reasons = [c["reason"] for c in result(out_json)["checks"] if c["verdict"] == "FAIL"]
    if message is None:
        assert (code, reasons) == (0, [])
    else:
        assert code == 2
        assert len(reasons) == 1, reasons
        assert message in reasons[0]


def test_kubernetes_pack_pod_level_non_root_and_load_balancer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pod_level = deployment(
        securityContext={"readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False}
    )
    pod_level["spec"]["template"]["spec"]["securityContext"] = {"runAsNonRoot": True}
    lb = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "pub"},
        "spec": {"type": "LoadBalancer"},
    }
    doc = tmp_path / "d.yaml"
    doc.write_text(yaml.safe_dump_all([pod_level, lb]))
    out_json = tmp_path / "r.json"
    code, _, _ = run(capsys, "--rego", "kubernetes", str(doc), "--json", str(out_json))
    assert code == 2
    (check,) = result(out_json)["checks"]
    assert check["reason"].startswith("Service/pub: type LoadBalancer")
    assert check["document"] == 1


def test_kubernetes_bad_manifest_sarif_and_junit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sarif_pydantic import Sarif

    monkeypatch.chdir(DATA.parent.parent.parent.parent)  # repository root: URIs are relative
    sarif = tmp_path / "out.sarif"
    junit = tmp_path / "junit.xml"
    bad = "tests/policy/data/k8s/bad.yaml"
    code, _, _ = run(
        capsys,
        "--rego",
        "kubernetes",
        bad,
        "tests/policy/data/k8s/good.yaml",
        "--sarif",
        str(sarif),
        "--junit",
        str(junit),
    )
    assert code == 2
    document = json.loads(sarif.read_text())
    Sarif.model_validate(document)  # the SARIF 2.1.0 object model accepts it
    assert document["version"] == "2.1.0"
    (run_,) = document["runs"]
    rules = run_["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["rego/main/deny"]
    results = run_["results"]
    assert len(results) == 11
    for item in results:
        # What GitHub code scanning needs to place an alert.
        assert rules[item["ruleIndex"]]["id"] == item["ruleId"]
        assert item["level"] == "error"
        assert item["message"]["text"]
        location = item["locations"][0]["physicalLocation"]
        assert location["artifactLocation"] == {"uri": bad, "uriBaseId": "%SRCROOT%"}
        # each finding points at the field its rule names (or the nearest part of the
        # manifest that exists), inside its own document (lines 2-26 and 28-)
        assert 2 <= location["region"]["startLine"] <= 26 or location["region"]["startLine"] >= 28
    lines = {
        r["message"]["text"].split(" (field ")[1].rstrip(")"): r["locations"][0][
            "physicalLocation"
        ]["region"]["startLine"]
        for r in results
    }
    assert lines["spec.template.spec.containers[0].image"] == 11
    assert lines["spec.template.spec.containers[0].securityContext.runAsNonRoot"] == 13
    assert lines["spec.template.spec.containers[1].image"] == 16
    assert lines["spec.type"] == 33
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert suite.get("tests") == "12"
    assert suite.get("failures") == "11"


def test_settings_from_the_config_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`policy:` keys are the flags' names; an environment block overrides the top level."""
    folder = tmp_path / "p"
    write(folder / "a.rego", 'package team.a\nimport rego.v1\nwarn contains "a warns" if true\n')
    config = write(
        tmp_path / "lumen.yml",
        f"""
        policy:
          rego: [{folder}]
          namespace: [team.a]
        environments:
          prod:
            policy:
              fail-on-warn: true
        """,
    )
    doc = write(tmp_path / "d.yaml", "x: 1\n")
    assert run(capsys, "--config", str(config), str(doc))[0] == 0
    assert run(capsys, "--config", str(config), "--env", "production", str(doc))[0] == 2
    bad = write(tmp_path / "bad.yml", "policy:\n  fail-on-warn: sometimes\n")
    code, _, err = run(capsys, "--config", str(bad), str(doc))
    assert code == 1
    assert f"{bad}:2: policy.fail-on-warn:" in err


def test_unknown_namespace_is_a_config_error(
    tmp_path: Path, policies: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = write(tmp_path / "d.yaml", "x: 1\n")
    code, _, err = run(capsys, "--rego", str(policies), "--namespace", "mian", str(doc))
    assert code == 1
    assert "no Rego package mian in the policies (expected one of main)" in err


# conftest's exceptions: `exception` lists rule names (without the deny_/violation_ prefix) that
# do not apply to the documents it matches; "" stands for the plain deny/violation rules.
EXCEPTIONS_NEW = """
    package main
    import rego.v1

    deny_run_as_root contains msg if {
        input.kind == "Deployment"
        not input.spec.runAsNonRoot
        msg := sprintf("%s runs as root", [input.metadata.name])
    }

    violation contains msg if {
        input.kind == "Deployment"
        msg := sprintf("%s: plain violation", [input.metadata.name])
    }

    warn_no_team contains msg if {
        not input.metadata.labels.team
        msg := sprintf("%s has no team label", [input.metadata.name])
    }

    exception contains rules if {
        input.metadata.name == "legacy-agent"
        rules := ["run_as_root", "no_team"]
    }

    exception contains rules if {
        input.metadata.name == "legacy-agent"
        rules := [""]
    }
"""
EXCEPTIONS_OLD = """
    package main

    deny_run_as_root[msg] {
        input.kind == "Deployment"
        not input.spec.runAsNonRoot
        msg := sprintf("%s runs as root", [input.metadata.name])
    }

    violation[msg] {
        input.kind == "Deployment"
        msg := sprintf("%s: plain violation", [input.metadata.name])
    }

    warn_no_team[msg] {
        not input.metadata.labels.team
        msg := sprintf("%s has no team label", [input.metadata.name])
    }

    exception[rules] {
        input.metadata.name == "legacy-agent"
        rules = ["run_as_root", "no_team", ""]
    }
"""
DEPLOYMENTS = """
    kind: Deployment
    metadata: {name: legacy-agent}
    spec: {}
    ---
    kind: Deployment
    metadata: {name: web, labels: {team: a}}
    spec: {}
"""


@pytest.mark.parametrize("policy", [EXCEPTIONS_NEW, EXCEPTIONS_OLD], ids=["v1", "pre-v1"])
def test_conftest_exceptions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, policy: str
) -> None:
    from sarif_pydantic import Sarif

    monkeypatch.chdir(tmp_path)
    write(tmp_path / "policy" / "main.rego", policy)
    write(tmp_path / "deploy.yaml", DEPLOYMENTS)
    code, _, _ = run(
        capsys, "deploy.yaml", "--json", "r.json", "--sarif", "out.sarif", "--fail-on-warn"
    )
    doc = result(tmp_path / "r.json")
    by_rule = {(c["rule"], c["document"]): (c["verdict"], c["reason"]) for c in doc["checks"]}
    assert by_rule == {
        # legacy-agent: both deny rules excepted; a warn rule never is (conftest).
        ("deny_run_as_root", 0): ("PASS", "excepted by main.exception: legacy-agent runs as root"),
        ("violation", 0): ("PASS", "excepted by main.exception: legacy-agent: plain violation"),
        ("warn_no_team", 0): ("FAIL", "legacy-agent has no team label"),
        # web: no exception matches it.
        ("deny_run_as_root", 1): ("FAIL", "web runs as root"),
        ("violation", 1): ("FAIL", "web: plain violation"),
    }
    assert code == 2
    assert (doc["failed"], doc["excepted"]) == (3, 2)
    sarif = json.loads((tmp_path / "out.sarif").read_text())
    Sarif.model_validate(sarif)
    results = sarif["runs"][0]["results"]
    suppressed = [r for r in results if r.get("suppressions")]
    assert sorted(r["message"]["text"] for r in suppressed) == [
        "excepted by main.exception: legacy-agent runs as root",
        "excepted by main.exception: legacy-agent: plain violation",
    ]
    assert all(r["suppressions"][0]["kind"] == "inSource" for r in suppressed)
    assert len(results) == 5


def test_an_exception_for_another_rule_excepts_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(
        tmp_path / "policy" / "main.rego",
        EXCEPTIONS_NEW.replace('rules := ["run_as_root", "no_team"]', 'rules := ["root"]').replace(
            'rules := [""]', 'rules := ["violation"]'
        ),
    )
    manifest = write(tmp_path / "deploy.yaml", DEPLOYMENTS)
    out_json = tmp_path / "r.json"
    code, _, _ = run(
        capsys, "--rego", str(tmp_path / "policy"), str(manifest), "--json", str(out_json)
    )
    doc = result(out_json)
    assert code == 2
    assert doc["excepted"] == 0
    assert all(c["verdict"] != "PASS" for c in doc["checks"])


COMBINED_POLICY = """
    package main
    import rego.v1

    # A Service must select the labels of some Deployment among all the files.
    deny contains msg if {
        some file in input
        some service in documents(file.contents)
        service.kind == "Service"
        not selected(service.spec.selector)
        msg := sprintf("%s: service %s selects no deployment", [file.path, service.metadata.name])
    }

    selected(selector) if {
        some file in input
        some document in documents(file.contents)
        document.kind == "Deployment"
        every key, value in selector { document.spec.template.metadata.labels[key] == value }
    }

    documents(contents) := contents if is_array(contents)
    documents(contents) := [contents] if not is_array(contents)
"""


def test_combine_queries_every_file_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path / "policy" / "main.rego", COMBINED_POLICY)
    write(
        tmp_path / "svc.yaml",
        """
        kind: Service
        metadata: {name: web}
        spec: {selector: {app: web}}
        ---
        kind: Service
        metadata: {name: orphan}
        spec: {selector: {app: gone}}
        """,
    )
    write(
        tmp_path / "deploy.json",
        '{"kind": "Deployment", "spec": {"template": {"metadata": {"labels": {"app": "web"}}}}}',
    )
    out_json = tmp_path / "r.json"
    files = [str(tmp_path / "svc.yaml"), str(tmp_path / "deploy.json")]
    rego = ["--rego", str(tmp_path / "policy")]
    code, _, _ = run(capsys, *rego, "--combine", *files, "--json", str(out_json))
    doc = result(out_json)
    assert code == 2
    (check,) = doc["checks"]
    assert check["file"] == "(combined)"
    assert check["reason"] == f"{tmp_path / 'svc.yaml'}: service orphan selects no deployment"
    assert doc["inputs"]["documents"]["files"] == files
    # Without --combine each document is the input on its own (not a list of files): the
    # cross-file rule has nothing to iterate, so the same policy reports nothing.
    code, _, _ = run(capsys, *rego, *files, "--json", str(out_json))
    checks = result(out_json)["checks"]
    assert code == 0
    assert [(c["file"], c["verdict"]) for c in checks] == [
        (files[0], "PASS"),
        (files[1], "PASS"),
    ]
