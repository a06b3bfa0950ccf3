"""conftest parity: conftest's examples and acceptance expectations (open-policy-agent/conftest
`examples/` and `acceptance.bats`) for Dockerfile, HCL2, TOML, INI, .env, XML and YAML inputs
give the same failures, warnings and messages through `lumen policy`, with the policies
unchanged. Fixtures: tests/policy/data/conftest/<example>/ (inputs and policies as conftest
has them; where conftest's input file is not at hand, one written to its documented shape)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lumen.adapters.documents import parse, parser_for
from lumen.cli import main

EXAMPLES = Path(__file__).parent / "data" / "conftest"


def run(capsys: pytest.CaptureFixture[str], tmp_path: Path, *argv: str) -> tuple[int, dict, str]:  # type: ignore[type-arg]
    out_json = tmp_path / "result.json"
    code = main(["policy", *argv, "--json", str(out_json)])
    _, err = capsys.readouterr()
    result = json.loads(out_json.read_text()) if out_json.exists() else {}
    return code, result, err


# (example, extra flags, input files, conftest's failures, warnings, messages that appear)
CASES = [
    (
        "docker",
        [],
        ["Dockerfile"],
        1,
        0,
        ['unallowed image found ["openjdk:8-jdk-alpine"]'],
    ),
    (
        "docker",
        ["--all-namespaces"],
        ["Dockerfile"],
        2,
        0,
        [
            'unallowed image found ["openjdk:8-jdk-alpine"]',
            'unallowed commands found ["apk add --no-cache python3 python3-dev build-base'
            ' && pip3 install awscli==1.18.1"]',
        ],
    ),
    (
        "hcl2",
        [],
        ["terraform.tf"],
        3,
        0,
        [
            "ALB `my-alb-listener` is using HTTP rather than HTTPS",
            "ASG `my-rule` defines a fully open ingress",
            "Azure disk `source` is not encrypted",
        ],
    ),
    (
        "traefik",
        [],
        ["traefik.toml"],
        1,
        0,
        ['Following ciphers are not allowed: ["TLS_RSA_WITH_AES_256_GCM_SHA384"]'],
    ),
    ("ini", [], ["grafana.ini"], 1, 0, ["Users should verify their e-mail address"]),
    # acceptance.bats "Can load data along with rego policies" (and the crash pattern
    # `input.spec.ports[p].port == services.ports[_]`)
    (
        "data",
        ["--data", "exclusions"],
        ["service.yaml"],
        1,
        0,
        ["Cannot expose port 22 on LoadBalancer. Denied ports: [22, 21]"],
    ),
    ("dotenv", [], ["sample.env"], 0, 0, []),
    (
        "dotenv",
        [],
        ["bad.env"],
        2,
        0,
        ["APP_NAME must be set", "MYSQL_USER should not be root"],
    ),
    ("xml", [], ["pom.xml"], 1, 0, ["--- maven-plugin must have the version: 3.6.1"]),
    (
        "cloudformation",
        [],
        ["template.yaml"],
        2,
        0,
        ["bucket Bucket is public", "policy Policy is attached to Bucket (Bucket.Arn)"],
    ),
    ("namespaces", ["--namespace", "team.*"], ["bad.yaml"], 1, 1, ["team a denies"]),
    ("namespaces", ["--namespace", "*"], ["bad.yaml"], 2, 1, ["other denies"]),
    ("namespaces", ["--all-namespaces"], ["bad.yaml"], 2, 1, ["team b warns"]),
    # conftest: `--namespace notpresent` passes, having judged nothing
    (
        "namespaces",
        ["--namespace", "notpresent", "--ignore-missing-namespace"],
        ["bad.yaml"],
        0,
        0,
        [],
    ),
]


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{c[0]}{'-' + '-'.join(c[1]) if c[1] else ''}-{c[2][0]}" for c in CASES]
)
def test_conftest_examples(
    case: tuple[str, list[str], list[str], int, int, list[str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    example, flags, inputs, failures, warnings, messages = case
    monkeypatch.chdir(EXAMPLES / example)
    code, result, err = run(capsys, tmp_path, "--rego", "policy", *flags, *inputs)
    assert code == (2 if failures else 0), err
    assert result["failed"] == failures
    assert result["warned"] == warnings
    reasons = [c["reason"] for c in result["checks"]]
    for message in messages:
        assert any(message in reason for reason in reasons), (message, reasons)


def test_a_missing_namespace_is_an_error_unless_conftests_behaviour_is_asked_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(EXAMPLES / "namespaces")
    code, _, err = run(capsys, tmp_path, "--rego", "policy", "--namespace", "nope", "bad.yaml")
    assert code == 1
    assert "no Rego package nope in the policies" in err
    assert "--ignore-missing-namespace" in err


def test_verify_runs_the_unit_tests_like_conftest_verify(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(EXAMPLES / "dotenv")
    code = main(["policy", "verify", "--rego", "policy", "--json", str(tmp_path / "r.json")])
    out, _ = capsys.readouterr()
    assert code == 0
    assert "4 tests, 4 passed, 0 warnings, 0 failures, 0 exceptions, 0 skipped" in out
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["tests"] == 4


def test_verify_counts_failures_and_skips(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "policy"
    folder.mkdir()
    (folder / "p.rego").write_text(
        'package main\nimport rego.v1\n\ndeny contains "no" if input.kind == "Bad"\n'
    )
    (folder / "p_test.rego").write_text(
        "package main\nimport rego.v1\n\n"
        'test_denied if deny["no"] with input as {"kind": "Bad"}\n\n'
        'test_wrong if count(deny) == 1 with input as {"kind": "Good"}\n\n'
        "todo_test_later if false\n"
    )
    code = main(["policy", "verify", "--rego", str(folder)])
    out, _ = capsys.readouterr()
    assert code == 2
    assert "2 tests, 1 passed, 0 warnings, 1 failure, 0 exceptions, 1 skipped" in out
    assert "main.test_wrong" in out and "undefined" in out


def test_a_blank_file_name_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(EXAMPLES / "dotenv")
    code, _, err = run(capsys, tmp_path, "--rego", "policy", "sample.env", "")
    assert code == 1
    assert "a blank file name" in err


def test_parser_flag_forces_the_parser(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # conftest: `-i ini` on a file of another name reads it as INI
    renamed = tmp_path / "grafana.conf"
    renamed.write_text((EXAMPLES / "ini" / "grafana.ini").read_text())
    monkeypatch.chdir(EXAMPLES / "ini")
    code, result, err = run(capsys, tmp_path, "--rego", "policy", "--parser", "ini", str(renamed))
    assert code == 2, err
    assert result["failed"] == 1


@pytest.mark.parametrize(
    ("name", "parser"),
    [
        ("Dockerfile", "dockerfile"),
        ("api.Dockerfile", "dockerfile"),
        ("Dockerfile.prod", "dockerfile"),
        ("main.tf", "hcl2"),
        ("prod.tfvars", "hcl2"),
        ("traefik.toml", "toml"),
        ("grafana.ini", "ini"),
        (".env", "dotenv"),
        ("sample.env", "dotenv"),
        ("pom.xml", "xml"),
        ("a.json", "json"),
        ("a.ndjson", "jsonl"),
        ("deploy.yml", "yaml"),
        ("no-extension", "yaml"),
    ],
)
def test_parser_chosen_by_name_as_conftest_does(name: str, parser: str) -> None:
    assert parser_for(name) == parser


def test_document_structures_are_conftests(tmp_path: Path) -> None:
    docker = tmp_path / "Dockerfile"
    docker.write_text(
        "# syntax check\nFROM --platform=linux/amd64 alpine:3.19 AS build\n"
        'ENV A=1 B="two words"\nRUN apk add \\\n    curl\nCMD ["sh", "-c", "true"]\n'
        "FROM scratch\nCOPY --from=build /bin/sh /sh\n"
    )
    (commands,) = [d for _, d in parse(str(docker)).documents]
    assert commands[0] == {
        "Cmd": "comment",
        "SubCmd": "",
        "JSON": False,
        "Flags": [],
        "Value": ["syntax check"],
        "Stage": 0,
    }
    assert commands[1]["Cmd"] == "from"
    assert commands[1]["Flags"] == ["--platform=linux/amd64"]
    assert commands[1]["Value"] == ["alpine:3.19", "AS", "build"]
    assert commands[2]["Value"] == ["A", "1", "B", "two words"]
    assert commands[3]["Value"] == ["apk add curl"]
    assert commands[4] == {
        "Cmd": "cmd",
        "SubCmd": "",
        "JSON": True,
        "Flags": [],
        "Value": ["sh", "-c", "true"],
        "Stage": 0,
    }
    assert commands[6]["Stage"] == 1 and commands[6]["Flags"] == ["--from=build"]

    ini = tmp_path / "a.ini"
    ini.write_text('top = dropped\n[s]\nport = 3000\nratio = 0.5\non = true\nname = "x"\n')
    assert parse(str(ini)).documents[0][1] == {
        "s": {"port": 3000, "ratio": 0.5, "on": True, "name": "x"}
    }

    xml = tmp_path / "a.xml"
    xml.write_text('<r a="1"><b>x</b><b>y</b><c d="2">t</c></r>')
    assert parse(str(xml)).documents[0][1] == {
        "r": {"-a": "1", "b": ["x", "y"], "c": {"-d": "2", "#content": "t"}}
    }

    env = tmp_path / ".env"
    env.write_text("export A=1\nB='$A'\nC=\"${A}-x\" # comment\nD=plain # comment\n")
    assert parse(str(env)).documents[0][1] == {"A": "1", "B": "$A", "C": "1-x", "D": "plain"}


def test_a_json_array_is_judged_element_by_element(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "policy"
    folder.mkdir()
    (folder / "p.rego").write_text(
        "package main\nimport rego.v1\n\n"
        'deny contains sprintf("%s is bad", [input.name]) if input.kind == "Bad"\n'
    )
    doc = tmp_path / "list.json"
    doc.write_text(
        '[{"kind": "Bad", "name": "a"}, {"kind": "Good", "name": "b"},'
        ' {"kind": "Bad", "name": "c"}]'
    )
    code, result, _ = run(capsys, tmp_path, "--rego", str(folder), str(doc))
    assert code == 2
    assert sorted(c["reason"] for c in result["checks"]) == ["a is bad", "c is bad"]


def test_bad_inputs_name_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "policy"
    folder.mkdir()
    (folder / "p.rego").write_text('package main\nimport rego.v1\n\ndeny contains "x" if false\n')
    cases = {
        "bad.toml": ("a = 1\nb = = 2\n", "not valid TOML"),
        "bad.xml": ("<a>\n<b></a>\n", "not valid XML"),
        "bad.tf": ('resource "x" {\n  a = \n}\n', "not valid HCL2"),
        "bad.env": ("OK=1\nnot a line\n", ":2: not a .env line"),
        "Dockerfile": ("FROM a\n--weird\n", "not a Dockerfile instruction"),
    }
    for name, (text, message) in cases.items():
        path = tmp_path / name
        path.write_text(text)
        code = main(["policy", "--rego", str(folder), str(path)])
        _, err = capsys.readouterr()
        assert code == 1, name
        assert str(path) in err and message in err, (name, err)
        assert "Traceback" not in err


# conftest's summary line ("N tests, N passed, ...") for the same runs, from its acceptance
# tests where they state one, else from conftest's counting (one test per rule body).
TALLIES = [
    (
        "exceptions",
        [],
        ["deployments.yaml"],
        "2 tests, 0 passed, 0 warnings, 1 failure, 1 exception",
    ),
    ("kubernetes", [], ["service.yaml"], "3 tests, 2 passed, 1 warning, 0 failures, 0 exceptions"),
    (
        "kubernetes",
        [],
        ["deployment.yaml"],
        "3 tests, 2 passed, 0 warnings, 1 failure, 0 exceptions",
    ),
    ("docker", [], ["Dockerfile"], "1 test, 0 passed, 0 warnings, 1 failure, 0 exceptions"),
    ("ini", [], ["grafana.ini"], "6 tests, 5 passed, 0 warnings, 1 failure, 0 exceptions"),
    ("dotenv", [], ["sample.env"], "2 tests, 2 passed, 0 warnings, 0 failures, 0 exceptions"),
]


@pytest.mark.parametrize("case", TALLIES, ids=[f"{c[0]}-{c[2][0]}" for c in TALLIES])
def test_conftest_summary_line(
    case: tuple[str, list[str], list[str], str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    example, flags, inputs, tally = case
    monkeypatch.chdir(EXAMPLES / example)
    main(["policy", "--rego", "policy", *flags, *inputs])
    out, _ = capsys.readouterr()
    assert out.rstrip().splitlines()[-1] == tally


def test_verify_has_conftests_parse_config_builtins(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # conftest's hcl2 example tests: parse_config("hcl2", ...) and parse_config_file(...)
    # (a path relative to the policy file)
    monkeypatch.chdir(EXAMPLES / "hcl2")
    code = main(["policy", "verify", "--rego", "policy"])
    out, _ = capsys.readouterr()
    assert code == 0, out
    assert "4 tests, 4 passed, 0 warnings, 0 failures, 0 exceptions, 0 skipped" in out


@pytest.mark.parametrize(
    "inputs", [["team.yaml", "users.yaml"], ["team.yaml", "user1.yaml", "user2.yaml"]]
)
def test_combine_gives_one_entry_per_document_as_conftest(
    inputs: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # acceptance.bats: "Can combine yaml files" and "Combining multi-document yaml file has
    # same result": 2 tests, 1 passed, 0 warnings, 1 failure
    monkeypatch.chdir(EXAMPLES / "combine")
    code = main(["policy", "--rego", "policy-v1", "--combine", *inputs])
    out, _ = capsys.readouterr()
    assert code == 2
    assert "Missing users" in out and '["jane.doe@example.com"]' in out
    assert out.rstrip().splitlines()[-1] == (
        "2 tests, 1 passed, 0 warnings, 1 failure, 0 exceptions"
    )


def test_conftests_own_combine_policy_fails_loudly_on_a_shadowed_some(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # conftest's duplicate.rego redeclares `some i` inside a comprehension, which the engine
    # refuses (docs/policy.md, differences from OPA); its use-before-`:=` is reordered first.
    monkeypatch.chdir(EXAMPLES / "combine")
    code = main(["policy", "--rego", "policy", "--combine", "team.yaml", "users.yaml"])
    _, err = capsys.readouterr()
    assert code == 1
    assert "policy/duplicate.rego" in err and "duplicated definition of local variable i" in err


def test_a_variable_used_before_its_assignment_in_a_comprehension_is_reordered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from lumen.adapters.rego_engine import reorder_definition

    line = "\tnames := [n | some i; input.items[i].name == n; n := input.items[i].id]"
    assert reorder_definition(f"package main\n{line}\n", 2, 40, "n") == (
        "package main\n\tnames := [n | some i; n := input.items[i].id; input.items[i].name == n]\n"
    )
    folder = tmp_path / "policy"
    folder.mkdir()
    (folder / "p.rego").write_text(
        "package main\nimport rego.v1\n\n"
        'deny contains sprintf("%d items named by id", [count(same)]) if {\n'
        "\tsame := [n | some i; input.items[i].name == n; n := input.items[i].id]\n"
        "\tcount(same) > 0\n}\n"
    )
    doc = tmp_path / "d.json"
    doc.write_text('{"items": [{"name": "a", "id": "a"}, {"name": "b", "id": "c"}]}')
    out_json = tmp_path / "r.json"
    code = main(["policy", "--rego", str(folder), str(doc), "--json", str(out_json)])
    capsys.readouterr()
    assert code == 2
    result = json.loads(out_json.read_text())
    assert [c["reason"] for c in result["checks"]] == ["1 items named by id"]
    (rewrite,) = result["inputs"]["documents"]["rewrites"]
    assert rewrite.startswith(f"{folder / 'p.rego'}:5: `n := ...` moved before its first use")


def test_verify_loads_data_like_conftest(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # acceptance.bats "Can load data in unit tests": 1 test, 1 passed, 0 warnings, 0 failures
    monkeypatch.chdir(EXAMPLES / "data")
    code = main(["policy", "verify", "--rego", "policy", "--data", "exclusions"])
    out, _ = capsys.readouterr()
    assert code == 0
    assert "1 test, 1 passed, 0 warnings, 0 failures" in out


def test_stdin_with_a_forced_parser(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # acceptance.bats "Can parse stdin with input flag": the INI example through `-`
    import io

    monkeypatch.chdir(EXAMPLES / "ini")
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(Path("grafana.ini").read_bytes())))
    code = main(["policy", "--rego", "policy", "--parser", "ini", "-"])
    out, _ = capsys.readouterr()
    assert code == 2
    assert "Users should verify their e-mail address" in out
    assert "Basic auth should be enabled" not in out
