"""The Rego engine behind `lumen policy`: a crash of the engine never takes the gate down, and
the patterns that once crashed or silently passed are evaluated correctly or refused."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from lumen.adapters.rego_worker import CRASH_ENV
from lumen.cli import main


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["policy", *argv])
    out, err = capsys.readouterr()
    return code, out, err


KIND_POLICY = """
    package main
    import rego.v1

    deny contains msg if {
        input.kind == "Bad"
        msg := sprintf("%s is bad", [input.metadata.name])
    }
"""


def test_an_engine_crash_is_exit_1_naming_policy_input_and_signal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The worker kills itself with a real SIGSEGV when it is handed a document holding the
    # marker, exactly as an engine fault would; the gate must survive it.
    monkeypatch.setenv(CRASH_ENV, "KILL-THE-ENGINE")
    policy = write(tmp_path / "p" / "kinds.rego", KIND_POLICY)
    bad = write(tmp_path / "a.yaml", "kind: Bad\nmetadata: {name: a}\n")
    crash = write(tmp_path / "b.yaml", "kind: Good\nmetadata: {name: KILL-THE-ENGINE}\n")
    mixed = write(
        tmp_path / "c.yaml",
        "kind: Good\nmetadata: {name: c0}\n---\nkind: Bad\nmetadata: {name: c1}\n"
        "---\nkind: Good\nmetadata: {name: KILL-THE-ENGINE}\n",
    )
    good = write(tmp_path / "d.yaml", "kind: Good\nmetadata: {name: d}\n")
    out_json = tmp_path / "r.json"
    code, _, err = run(
        capsys,
        "--rego",
        str(policy.parent),
        str(bad),
        str(crash),
        str(mixed),
        str(good),
        "--json",
        str(out_json),
    )
    assert code == 1
    assert "Traceback" not in err
    assert f"the Rego engine died (SIGSEGV) judging {crash} (document 0) against {policy}" in err
    assert "(1 more document(s) too)" in err
    result = json.loads(out_json.read_text())
    assert result["verdict"] == "FAIL"
    reasons = [c["reason"] for c in result["checks"]]
    # every other document was still judged, after the crash too
    assert "a is bad" in reasons and "c1 is bad" in reasons
    assert any("d.yaml" in c["name"] and c["verdict"] == "PASS" for c in result["checks"])
    crashed = [c for c in result["checks"] if c["verdict"] == "NO_DATA"]
    assert [(c["file"], c["document"]) for c in crashed] == [
        (str(crash), 0),
        (str(mixed), 2),
    ]


def test_a_crash_alone_is_never_a_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CRASH_ENV, "KILL-THE-ENGINE")
    policy = write(tmp_path / "p" / "kinds.rego", KIND_POLICY)
    crash = write(tmp_path / "b.yaml", "kind: Good\nmetadata: {name: KILL-THE-ENGINE}\n")
    out_json = tmp_path / "r.json"
    code, _, err = run(capsys, "--rego", str(policy.parent), str(crash), "--json", str(out_json))
    assert code == 1
    assert "SIGSEGV" in err
    assert json.loads(out_json.read_text())["verdict"] == "NO_DATA"


# The patterns of issue 21: regopy crashed (SIGSEGV) on the first two and silently found
# nothing on the third and fourth. Each must give OPA's answer or be refused by name.
PATTERNS = {
    "some-k-endswith": (
        """
        package main
        import rego.v1
        deny contains msg if {
            some k
            endswith(input.services[k].image, ":latest")
            msg := sprintf("service %s uses a :latest image", [k])
        }
        """,
        "services:\n  web: {image: 'nginx:latest'}\n  db: {image: 'postgres:16'}\n",
        ["service web uses a :latest image"],
    ),
    "endswith-any-element": (
        """
        package main
        deny[msg] {
            endswith(input.list[_], ":latest")
            msg := "a :latest image is listed"
        }
        """,
        "list: ['a:1', 'b:latest']\n",
        ["a :latest image is listed"],
    ),
    "ports-against-data": (
        """
        package main
        services := {"ports": [80, 443]}
        deny[msg] {
            input.spec.ports[p].port == services.ports[_]
            msg := sprintf("port %v is reserved", [input.spec.ports[p].port])
        }
        """,
        "spec:\n  ports: [{port: 22}, {port: 443}]\n",
        ["port 443 is reserved"],
    ),
    "cidr-contains": (
        """
        package main
        import rego.v1
        deny contains msg if {
            net.cidr_contains("10.0.0.0/8", input.ip)
            msg := sprintf("%s is a private address", [input.ip])
        }
        """,
        "ip: 10.1.2.3\n",
        ["10.1.2.3 is a private address"],
    ),
}


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_issue_patterns_give_opas_answer(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy, document, messages = PATTERNS[name]
    write(tmp_path / "p" / "policy.rego", policy)
    doc = write(tmp_path / "doc.yaml", document)
    out_json = tmp_path / "r.json"
    code, _, err = run(capsys, "--rego", str(tmp_path / "p"), str(doc), "--json", str(out_json))
    assert code == 2, err
    failed = [c["reason"] for c in json.loads(out_json.read_text())["checks"]]
    assert failed == messages


def test_http_send_is_refused_not_a_silent_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = write(
        tmp_path / "p" / "net.rego",
        """
        package main
        import rego.v1

        deny contains "blocked" if {
            response := http.send({"method": "GET", "url": "http://127.0.0.1:9/"})
            response.status_code != 200
        }
        """,
    )
    doc = write(tmp_path / "d.yaml", "a: 1\n")
    code, out, err = run(capsys, "--rego", str(policy.parent), str(doc))
    assert code == 1
    assert out == ""
    assert f"{policy}:5: the policy calls http.send, which this gate refuses" in err
    assert "--data FILE" in err


def test_a_builtin_the_engine_lacks_is_refused_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The call sits in a branch no document reaches: the engine alone would never notice.
    policy = write(
        tmp_path / "p" / "p.rego",
        """
        package main
        import rego.v1

        flat(x) := array.flatten(x)

        deny contains "never" if {
            false
            count(flat(input.a)) > 0
        }
        """,
    )
    doc = write(tmp_path / "d.yaml", "a: [[1]]\n")
    code, _, err = run(capsys, "--rego", str(policy.parent), str(doc))
    assert code == 1
    assert f"{policy}:4: the policy calls array.flatten, which the Rego engine does not" in err


def test_names_in_strings_and_comments_are_not_calls(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = write(
        tmp_path / "p" / "p.rego",
        """
        package main
        import rego.v1

        # http.send(x) would be refused; this comment is not a call
        deny contains msg if {
            input.kind == "X"
            msg := "do not call http.send(...) here"
        }
        """,
    )
    doc = write(tmp_path / "d.yaml", "kind: X\n")
    code, out, _ = run(capsys, "--rego", str(policy.parent), str(doc))
    assert code == 2
    assert "do not call http.send(...) here" in out
