"""`lumen`: the command line. Parsing, dispatch and the one place errors become exit codes.

Exit codes (docs/reference.md#exit-codes): 0 PASS/WARN/NO_DATA, 2 FAIL only, 1 any error (usage
errors included). Command modules import their heavy dependencies inside `run`, so `lumen maturity`
never pays for sigstore.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, NoReturn

from gates.errors import LumenError, UsageError
from lumen import __version__

if TYPE_CHECKING:
    from lumen.outputs import Output
    from lumen.settings import Scope, Settings

# name -> (module, one-line help). Order is the order of `lumen --help`.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("lumen.commands.init", "write a commented .github/lumen.yml and starter workflows"),
    "config": ("lumen.commands.config", "check a config file against the schema"),
    "maturity": ("lumen.commands.maturity", "maturity gate over loop events"),
    "roi": ("lumen.commands.roi", "ROI gate and DORA figures over deploy events"),
    "slo": ("lumen.commands.slo", "SLO error-rate and burn-rate gate"),
    "integrated": ("lumen.commands.integrated", "integrated maturity + ROI/SLO gate"),
    "resonance": ("lumen.commands.resonance", "resonance gate over a metrics snapshot"),
    "policy": ("lumen.commands.policy", "metric, Rego and schema policy gate"),
    "approval": ("lumen.commands.approval", "quorum of allowlisted approving reviews"),
    "record": ("lumen.commands.record", "append a deploy event to a JSONL log"),
    "sample": ("lumen.commands.sample", "loop sampler: compute signals and push them"),
    "sbom": ("lumen.commands.sbom", "CycloneDX 1.6 SBOM from environments, locks, artifacts"),
    "sign": ("lumen.commands.sign", "Sigstore keyless signing of files"),
    "attest": ("lumen.commands.attest", "Sigstore-signed DSSE in-toto attestations"),
    "verify": ("lumen.commands.verify", "verify Sigstore bundles against an identity policy"),
    "notes": ("lumen.commands.notes", "release notes from merged PRs (and publishing)"),
    "autolabel": ("lumen.commands.autolabel", "label a PR by release-drafter's autolabeler rules"),
    "flipback": ("lumen.commands.flipback", "plan or execute a return to the last known-good"),
    "notify": ("lumen.commands.notify", "Slack, Discord or signed webhook notification"),
    "comment": ("lumen.commands.comment", "sticky PR comment, label and check run"),
    "classify": ("lumen.commands.classify", "failure class of a failed step's log"),
    "ledger": ("lumen.commands.ledger", "append to or verify the hash-chained decision ledger"),
    "state": ("lumen.commands.state", "show, pull or push the state on the data branch"),
}


class ArgumentParser(argparse.ArgumentParser):
    """argparse exits 2 on usage errors; 2 means FAIL (docs/reference.md#exit-codes)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def build_parser(only: str | None = None) -> ArgumentParser:
    """The `lumen` parser; with `only`, just that command's module is imported (fast start, and
    one command's import problem cannot break another)."""
    parser = ArgumentParser(
        prog="lumen",
        description="Lumen CI: decide whether a change or release is ready, ship it with "
        "evidence, and flip back when the evidence says so.",
        epilog="Exit codes: 0 PASS/WARN/NO_DATA, 2 FAIL, 1 error. "
        "Formulas, thresholds and defaults: docs/reference.md",
    )
    parser.add_argument("--version", action="version", version=f"lumen {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)
    for name, (module_name, help_text) in COMMANDS.items():
        if only is not None and name != only:
            continue
        module = importlib.import_module(module_name)
        command = sub.add_parser(
            name,
            help=help_text,
            description=" ".join((module.__doc__ or help_text).strip().split("\n\n")[0].split()),
        )
        module.add_arguments(command)
        command.set_defaults(func=module.run, _parser=command)
    return parser


def outputs_of(name: str) -> tuple[Output, ...]:
    """The step outputs `lumen NAME` writes in Actions: the `OUTPUTS` table of its module."""
    if name not in COMMANDS:
        raise UsageError(f"unknown command {name!r}; expected one of {', '.join(COMMANDS)}")
    module = importlib.import_module(COMMANDS[name][0])
    return tuple(module.OUTPUTS)


def subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and name in action.choices:
            return action.choices[name]  # type: ignore[no-any-return]
    raise UsageError(f"unknown command {name!r}; expected one of {', '.join(COMMANDS)}")


def _truthy(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_name(action: argparse.Action) -> str:
    """`--min-overall` -> `INPUT_MIN_OVERALL`: the name an action passes an input under."""
    longest = max(action.option_strings, key=len) if action.option_strings else action.dest
    return "INPUT_" + longest.lstrip("-").replace("-", "_").upper()


def argv_from_inputs(command: argparse.ArgumentParser, environ: Mapping[str, str]) -> list[str]:
    """Turn `INPUT_*` variables into arguments of `command`, one flag per non-empty input.

    Multi-valued inputs take one value per line. Positionals come last, after `--`.
    """
    flags: list[str] = []
    positionals: list[str] = []
    for action in command._actions:
        if isinstance(action, argparse._HelpAction | argparse._VersionAction):
            continue
        raw = environ.get(env_name(action), "")
        if not raw.strip():
            continue
        if not action.option_strings:
            positionals.extend(line.strip() for line in raw.splitlines() if line.strip())
            continue
        flag = max(action.option_strings, key=len)
        if isinstance(action, argparse._StoreTrueAction | argparse._StoreFalseAction):
            if _truthy(raw):
                flags.append(flag)
            continue
        multi = isinstance(action, argparse._AppendAction) or action.nargs in ("*", "+")
        values = (
            [line.strip() for line in raw.splitlines() if line.strip()] if multi else [raw.strip()]
        )
        if isinstance(action, argparse._AppendAction):
            for value in values:
                flags += [flag, value]
        else:
            flags += [flag, *values]
    return flags + (["--", *positionals] if positionals else [])


def _report_error(message: str) -> None:
    from lumen.adapters.urls import redact

    # Last line of defence: no `user:password@` of any URL reaches the log or an annotation.
    message = redact(message)
    print(f"lumen: error: {message}", file=sys.stderr, flush=True)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        from lumen.actions_runtime import annotate

        annotate("error", message, title="lumen")


def _prestart(command: str, arguments: Sequence[str]) -> None:
    """Start helper processes a command will wait for, before its module is imported.

    `lumen sbom` (not `sbom diff`) validates against the CycloneDX schema in a helper whose
    start-up takes longer than everything else the command does; started here it overlaps
    the imports, the parser and the inventory."""
    if command != "sbom" or {"diff", "-h", "--help"} & set(arguments):
        return
    if os.environ.get("INPUT_SUBCOMMAND", "").strip() == "diff":
        return
    from lumen.adapters.cdx_validator import prestart

    prestart()
    python = _environment_argument(arguments)
    if python is not None:
        from lumen.adapters import python_env

        python_env.prestart(python or None)


def _environment_argument(arguments: Sequence[str]) -> str | None:
    """The interpreter `lumen sbom ARGS` will inventory ("" for the current one), when the
    arguments say so plainly; None when they do not (the command then starts its own probe)."""
    if "--inputs-from-env" in arguments:
        return None
    if "--environment" in arguments:
        at = arguments.index("--environment")
        following = arguments[at + 1] if at + 1 < len(arguments) else ""
        return "" if following.startswith("-") else following
    if {"--requirements", "--artifact"} & set(arguments) or any(
        a.startswith(("--environment=", "--requirements=", "--artifact=")) for a in arguments
    ):
        return None
    return ""


def _run_settings(args: argparse.Namespace) -> tuple[Settings, Scope]:
    """The run's settings (its config, no flags) and its env and service."""
    from lumen.commands.common import scope_of, settings_of

    return settings_of(args, {}), scope_of(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; never lets a traceback reach the user unless LUMEN_DEBUG=1."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        wanted = arguments[1:2] if arguments[:1] == ["--inputs-from-env"] else arguments[:1]
        if wanted:
            _prestart(wanted[0], arguments)
        parser = build_parser(wanted[0] if wanted and wanted[0] in COMMANDS else None)
        if not arguments:
            parser.print_help(sys.stderr)
            raise UsageError("a command is required")
        if arguments[0] == "--inputs-from-env":
            # Used by the composite actions: `lumen --inputs-from-env maturity` reads INPUT_*.
            if len(arguments) < 2:
                raise UsageError("--inputs-from-env needs a command")
            name = arguments[1]
            arguments = [
                name,
                *argv_from_inputs(subparser(parser, name), os.environ),
                *arguments[2:],
            ]
        args = parser.parse_args(arguments)
        from lumen import budget
        from lumen.settings import start_run

        budget.reset()  # each command gets its whole wall-time budget per service
        # What is set up where a service is first called (budgets, the GitHub client) reads
        # the run's config for its env and service.
        start_run(lambda: _run_settings(args))
        try:
            return int(args.func(args))
        finally:
            start_run(None)  # an embedding caller's next direct call is not this command's
    except LumenError as exc:
        _report_error(str(exc))
        return 1
    except KeyboardInterrupt:
        _report_error("interrupted")
        return 130
    except BrokenPipeError:
        return 1
    except Exception as exc:
        if os.environ.get("LUMEN_DEBUG"):
            raise
        _report_error(
            f"internal error: {type(exc).__name__}: {exc} "
            "(this is a bug in lumen; rerun with LUMEN_DEBUG=1 for a traceback and report it)"
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
