"""The CLI contract (docs/reference.md#contract, docs/reference.md#cli): every command registered,
exit codes, one-line errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lumen.cli import COMMANDS, argv_from_inputs, build_parser, main, subparser

SPEC_COMMANDS = [
    "init",
    "config",
    "maturity",
    "roi",
    "slo",
    "integrated",
    "resonance",
    "policy",
    "approval",
    "record",
    "sample",
    "sbom",
    "sign",
    "attest",
    "verify",
    "notes",
    "flipback",
    "notify",
    "comment",
    "classify",
    "ledger",
]


def test_every_spec_command_is_registered() -> None:
    assert set(SPEC_COMMANDS) <= set(COMMANDS)
    parser = build_parser()
    for name in SPEC_COMMANDS:
        assert subparser(parser, name).prog == f"lumen {name}"


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.startswith("lumen 0.")


@pytest.mark.parametrize("name", SPEC_COMMANDS)
def test_help_of_every_command_exits_0(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([name, "--help"])
    assert exc.value.code == 0
    assert f"usage: lumen {name}" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [
        ["maturity", "--no-such-flag"],
        ["no-such-command"],
        [],
        ["ledger", "verify"],  # missing positional
        ["maturity", "--min-overall", "high"],  # not a number
    ],
)
def test_usage_errors_exit_1_with_one_line(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("lumen: error: ")
    assert "Traceback" not in "\n".join(err)


def test_unexpected_exception_is_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import lumen.commands.ledger as ledger_cmd

    def boom(args: object) -> int:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(ledger_cmd, "run", boom)
    monkeypatch.delenv("LUMEN_DEBUG", raising=False)
    assert main(["ledger", "verify", "x.jsonl"]) == 1
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: kaboom" in err
    assert "Traceback" not in err


def test_subprocess_exit_code_and_stderr(tmp_path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "lumen.cli", "config", "check", str(tmp_path / "missing.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.strip() == f"lumen: error: {tmp_path / 'missing.yml'}: config file not found"


def test_inputs_from_env_maps_every_kind_of_option() -> None:
    parser = build_parser()
    ledger = subparser(parser, "ledger")
    env = {
        "INPUT_ACTION": "verify",
        "INPUT_PATH": "ledger.jsonl",
        "INPUT_HEAD": "  abc  ",
        "INPUT_QUIET": "true",
        "INPUT_ENTRY": "",  # empty inputs are not passed
    }
    argv = argv_from_inputs(ledger, env)
    assert argv == ["--head", "abc", "--quiet", "--", "verify", "ledger.jsonl"]
    args = ledger.parse_args(argv)
    assert (args.action, args.path, args.head, args.quiet) == (
        "verify",
        "ledger.jsonl",
        "abc",
        True,
    )


def test_inputs_from_env_multi_valued_one_per_line() -> None:
    maturity = subparser(build_parser(), "maturity")
    argv = argv_from_inputs(maturity, {"INPUT_WINDOW": "6h\n24h\n", "INPUT_QUIET": "false"})
    assert argv == ["--window", "6h", "--window", "24h"]


def test_inputs_from_env_end_to_end(tmp_path, monkeypatch, capsys) -> None:
    ledger_file = tmp_path / "l.jsonl"
    assert main(["ledger", "append", str(ledger_file), "--entry", '{"type": "t"}']) == 0
    monkeypatch.setenv("INPUT_ACTION", "verify")
    monkeypatch.setenv("INPUT_PATH", str(ledger_file))
    assert main(["--inputs-from-env", "ledger"]) == 0
    assert "OK, 1 entries" in capsys.readouterr().out
