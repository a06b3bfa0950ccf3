"""Strict input (issue 20): what a gate cannot judge is an error or NO_DATA, never PASS, and a
bad file is one line naming the file (and line, and field), never "internal error"."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from example_data import EX, NOW, example_sources

from lumen.cli import main

SAMPLES = json.loads((EX / "slo-samples.json").read_text())


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.err


def samples_with(tmp_path: Path, text: str) -> str:
    path = tmp_path / "samples.json"
    path.write_text(text)
    return str(path)


SLO_REFUSED = {
    "nan": (lambda t: t.replace('"errors": 270', '"errors": NaN'), r"samples.json:\d+: NaN"),
    "infinity": (
        lambda t: t.replace('"errors": 270', '"errors": Infinity'),
        r"samples.json:\d+: Infinity",
    ),
    "1e400": (lambda t: t.replace('"errors": 270', '"errors": 1e400'), r"1e400 is out of range"),
    "errors>requests": (
        lambda t: t.replace('"errors": 270', '"errors": 40000'),
        r"windows\.5m\.errors: .*expected errors <= requests",
    ),
    "error_rate>1": (
        lambda t: t.replace('"errors": 270,\n      "requests": 30000', '"error_rate": 1.5'),
        r"windows\.5m\.error_rate",
    ),
    "objective>=1": (
        lambda t: t.replace('"objective": 0.99', '"objective": 1.5'),
        r"objective: .*strictly between 0 and 1",
    ),
    "window 0s": (lambda t: t.replace('"5m"', '"0s"'), r"windows\.0s"),
}


@pytest.mark.parametrize("case", list(SLO_REFUSED))
def test_slo_samples_that_cannot_be_judged_are_refused(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit, expected = SLO_REFUSED[case]
    text = edit(json.dumps(SAMPLES, indent=2))
    assert text != json.dumps(SAMPLES, indent=2), "the edit must change the file"
    code, err = run(capsys, "slo", "--samples", samples_with(tmp_path, text), "--now", NOW)
    assert code == 1
    assert "internal error" not in err
    assert re.search(expected, err), err


def test_slo_samples_objective_is_honoured(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = dict(SAMPLES, objective=0.5)
    out = tmp_path / "r.json"
    path = samples_with(tmp_path, json.dumps(doc))
    assert main(["slo", "--samples", path, "--now", NOW, "--json", str(out), "--quiet"]) == 0
    assert json.loads(out.read_text())["inputs"]["objective"] == 0.5
    # --objective still wins over the file.
    main(
        [
            "slo",
            "--samples",
            path,
            "--now",
            NOW,
            "--json",
            str(out),
            "--quiet",
            "--objective",
            "0.9",
        ]
    )
    assert json.loads(out.read_text())["inputs"]["objective"] == 0.9


BAD_FILES = {
    "binary": (b"\xff\xfe\x00\x01binary", r"bad\.json:1: not UTF-8 text"),
    "invalid utf-8": (b'{"windows": {"5m": "\xc3\x28"}}', r"bad\.json:1: not UTF-8 text"),
    "deep nesting": (b"[" * 100_000 + b"]" * 100_000, r"bad\.json: nested"),
    "moderate nesting": (b"[" * 300 + b"]" * 300, r"bad\.json: nested more than 256"),
}

# Every command that reads one JSON document from a file named on its command line.
JSON_READERS = {
    "slo": ["slo", "--now", NOW, "--samples"],
    "resonance": ["resonance", "--now", NOW, "--snapshot"],
    "comment": ["comment", "--pr", "7", "--result"],
    "notify": [
        "notify",
        "--webhook",
        "http://127.0.0.1:9/hook",
        "--webhook-secret",
        "s3cret",
        "--result",
    ],
}


@pytest.mark.parametrize("bad", list(BAD_FILES))
def test_a_bad_schema_file_names_the_file(
    bad: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, expected = BAD_FILES[bad]
    path = tmp_path / "bad.json"
    path.write_bytes(data)
    code, err = run(capsys, "policy", "--schema", f"{path}={EX / 'slo-samples.json'}")
    assert code == 1
    assert "internal error" not in err, err
    assert re.search(expected, err), err


@pytest.mark.parametrize("reader", list(JSON_READERS))
@pytest.mark.parametrize("bad", list(BAD_FILES))
def test_bad_json_files_name_the_file(
    reader: str, bad: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, expected = BAD_FILES[bad]
    path = tmp_path / "bad.json"
    path.write_bytes(data)
    code, err = run(capsys, *JSON_READERS[reader], str(path))
    assert code == 1
    assert "internal error" not in err, err
    assert re.search(expected, err), err


def test_a_byte_order_mark_is_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bom.json"
    path.write_text(json.dumps(SAMPLES), encoding="utf-8-sig")
    code, err = run(capsys, "slo", "--samples", str(path), "--now", NOW)
    assert code == 0, err


def test_json_output_to_a_directory_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run(
        capsys,
        "slo",
        "--samples",
        str(EX / "slo-samples.json"),
        "--now",
        NOW,
        "--json",
        str(tmp_path),
    )
    assert code == 1
    assert f"{tmp_path}: is a directory" in err and "internal error" not in err


BILLION_LAUGHS = "lol0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"lol{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9)
)

CONFIGS = {
    "duplicate key": (
        "version: 1\nroi:\n  window: 30d\n  window: 90d\n",
        r"lumen\.yml:4: .*duplicate key 'window'",
    ),
    "duplicate section": (
        "version: 1\nroi: {}\nslo: {}\nroi: {}\n",
        r"lumen\.yml:4: .*duplicate key 'roi'",
    ),
    "alias bomb": (
        "version: 1\nx-anchors:\n"
        + "".join("  " + line + "\n" for line in BILLION_LAUGHS.splitlines()),
        r"lumen\.yml:\d+: aliases expand",
    ),
    "deep nesting": ("version: 1\nx: " + "[" * 5000 + "]" * 5000 + "\n", r"lumen\.yml:\d+: .*nest"),
    "huge": ("version: 1\nx: '" + "y" * (5 * 1024 * 1024) + "'\n", r"lumen\.yml: .*limit"),
}


@pytest.mark.parametrize("case", list(CONFIGS))
def test_config_check_refuses(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, expected = CONFIGS[case]
    path = tmp_path / "lumen.yml"
    path.write_text(text)
    code, err = run(capsys, "config", "check", str(path))
    assert code == 1
    assert "internal error" not in err, err
    assert re.search(expected, err), err


def test_a_zero_window_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "lumen.yml"
    path.write_text("version: 1\nroi:\n  window: 0s\n")
    code, err = run(capsys, "config", "check", str(path))
    assert code == 1
    assert (
        "lumen.yml:3: roi.window: '0s' is not valid (expected a Prometheus duration longer" in err
    )


@pytest.mark.parametrize("value", [1, 0, "true"])
def test_a_trust_flag_must_be_a_boolean(
    value: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = json.loads((EX / "resonance-snapshot.json").read_text())
    doc["windows"]["24h"]["chain_ok"] = value
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(doc))
    code, err = run(capsys, "resonance", "--snapshot", str(path), "--now", NOW)
    assert code == 1
    assert "windows.24h.chain_ok" in err and "expected a JSON boolean" in err


@pytest.mark.parametrize("verdict", ["MAYBE", 5, None])
@pytest.mark.parametrize("where", ["result", "check"])
def test_comment_refuses_a_result_whose_verdict_is_not_one(
    verdict: object, where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    check = {"name": "x", "value": 1, "comparator": ">=", "threshold": 0, "verdict": "PASS"}
    doc = {"gate": "maturity", "verdict": "PASS", "checks": [check], "window": "24h"}
    if where == "result":
        doc["verdict"] = verdict
    else:
        check["verdict"] = verdict
    path = tmp_path / "r.json"
    path.write_text(json.dumps(doc))
    markdown = tmp_path / "c.md"
    code, err = run(capsys, "comment", "--result", str(path), "--markdown", str(markdown))
    assert code == 1
    assert "is not a verdict (expected PASS | WARN | FAIL | NO_DATA)" in err
    assert not markdown.exists()


def test_ledger_append_refuses_nan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ledger = tmp_path / "ledger.jsonl"
    code, err = run(capsys, "ledger", "append", str(ledger), "--entry", '{"x": NaN}')
    assert code == 1 and "NaN or Infinity" in err
    assert not ledger.exists() or ledger.read_bytes() == b""


def test_ledger_append_reads_only_the_last_line_in_linear_time(tmp_path: Path) -> None:
    """A long last line costs time in proportion to its length (was quadratic: 8 MB took 10 s)."""
    import time

    from lumen import ledger

    path = tmp_path / "ledger.jsonl"
    ledger.append(path, {"type": "note", "blob": "x" * 16 * 1024 * 1024})
    started = time.monotonic()
    ledger.append(path, {"type": "note", "n": 2})
    assert time.monotonic() - started < 5
    assert ledger.verify(path).ok


@pytest.mark.parametrize("jobs", ["0", "-3", "two"])
def test_jobs_must_be_a_positive_count(jobs: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(
        capsys, "maturity", "--events", str(EX / "events.jsonl"), "--now", NOW, "--jobs", jobs
    )
    assert code != 0 and "--jobs" in err


FLAGS = {
    "maturity --min-overall -1": [
        "maturity",
        "--events",
        str(EX / "events.jsonl"),
        "--min-overall",
        "-1",
    ],
    "maturity --min-band nan": [
        "maturity",
        "--events",
        str(EX / "events.jsonl"),
        "--min-band",
        "nan",
    ],
    "roi --min-success-rate inf": [
        "roi",
        "--deploys",
        str(EX / "deploys.jsonl"),
        "--min-success-rate",
        "inf",
    ],
    "roi --max-rollback-rate 5": [
        "roi",
        "--deploys",
        str(EX / "deploys.jsonl"),
        "--max-rollback-rate",
        "5",
    ],
    "slo --objective 1.5": ["slo", "--samples", str(EX / "slo-samples.json"), "--objective", "1.5"],
    "integrated --penalty -5": [
        "integrated",
        *example_sources(),
        "--penalty",
        "-5",
    ],
}


@pytest.mark.parametrize("case", list(FLAGS))
def test_out_of_range_flags_are_refused(case: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A flag cannot do what the config file may not: every gate would pass with these."""
    argv = FLAGS[case]
    code, err = run(capsys, *argv, "--now", NOW)
    assert code == 1, err
    flag = case.split()[1]
    assert f"lumen: error: {flag}: " in err, err


@pytest.mark.parametrize("value", ["sha256:zz", "sha256:", "zz"])
def test_sbom_refuses_a_hash_that_is_not_one(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text(f"six==1.17.0 --hash={value}\n")
    out = tmp_path / "sbom.json"
    code, err = run(capsys, "sbom", "--requirements", str(req), "--output", str(out))
    assert code == 1
    assert f"requirements.txt:1: --hash: --hash '{value}' is not a hash" in err, err
    assert not out.exists()


def test_a_deploy_event_with_an_unknown_field_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = (EX / "deploys.jsonl").read_text().splitlines()[0]
    event = json.loads(line)
    event["reslt"] = "success"  # a typo next to the real field
    path = tmp_path / "deploys.jsonl"
    path.write_text(json.dumps(event) + "\n")
    code, err = run(capsys, "roi", "--deploys", str(path), "--now", NOW)
    assert code == 1
    assert "deploys.jsonl:1: reslt: unknown key 'reslt'" in err
