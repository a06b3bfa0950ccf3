"""Every command that writes state passes the resolved data branch on: a gate that forgot it
would append its decision to a file on the runner while `--state` was given."""

from __future__ import annotations

import ast
from pathlib import Path

from lumen.cli import build_parser, subparser

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = ROOT / "lumen" / "commands"


def calls(tree: ast.AST, name: str) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == name)
            or (isinstance(node.func, ast.Attribute) and node.func.attr == name)
        )
    ]


def test_every_gate_emit_passes_the_state() -> None:
    missing = []
    for path in sorted(COMMANDS.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for call in calls(tree, "emit"):
            if not any(keyword.arg == "state" for keyword in call.keywords):
                missing.append(f"{path.name}:{call.lineno}")
    assert missing == [], f"emit(...) without state=state_of(args): {missing}"


def test_every_command_with_a_ledger_takes_state() -> None:
    """A command with --ledger (or the sampler's --spool) has --state, and its module resolves
    it through the one resolver, commands.common.state_of."""
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    without = []
    for name in sorted(sub.choices):  # type: ignore[union-attr]
        command = subparser(build_parser(name), name)
        flags = {s for action in command._actions for s in action.option_strings}
        if {"--ledger", "--spool", "--history"} & flags and "--state" not in flags:
            without.append(name)
    assert without == []
    for path in sorted(COMMANDS.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        if "add_state_argument" in text and path.name != "common.py":
            assert "state_of(args)" in text, path.name
