"""CycloneDX 1.6 SBOM from a Python environment, lock files and artifacts (docs/reference.md#sbom).

`lumen sbom [--environment [PYTHON]] [--requirements FILE…] [--artifact FILE…] --output PATH`
writes a schema-validated SBOM and reports NTIA minimum-elements coverage and the licence gate;
`lumen sbom diff OLD NEW` lists what changed between two SBOMs.

Speed matters (it runs in every release job): the environment's interpreter starts reading
its metadata and a helper process (lumen.adapters.cdx_validator) starts loading the schema
validator before anything else, so that work overlaps the model's imports here.
Nothing here imports sigstore.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from gates.errors import UsageError
from lumen.app.sbom import NTIA_MISSING
from lumen.commands.common import add_common, config_of, env_service, now_of, state_of
from lumen.outputs import JSON, Output, publish, verdict_output
from lumen.settings import default_of

# The step outputs this command writes in Actions (and its action.yml declares).
OUTPUTS = (
    verdict_output("licence gate and NTIA coverage"),
    Output("path", "path of the SBOM written"),
    Output("sbom", "path of the SBOM written (the same as path)"),
    Output("components", "number of components in the SBOM"),
    JSON,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "subcommand",
        nargs="?",
        choices=["diff"],
        metavar="diff",
        help="`lumen sbom diff OLD NEW`: components added, removed, bumped; new licences",
    )
    parser.add_argument("files", nargs="*", metavar="SBOM", help="diff: the OLD and NEW SBOMs")
    parser.add_argument(
        "--environment",
        nargs="?",
        const="",
        metavar="PYTHON",
        help="inventory a Python environment: its interpreter (default: the current one)",
    )
    parser.add_argument(
        "--requirements",
        action="extend",
        nargs="+",
        metavar="FILE",
        help="requirements file (with --hash values) or lock file: poetry.lock, uv.lock, "
        "pylock.toml (recognised by name)",
    )
    parser.add_argument(
        "--artifact",
        action="extend",
        nargs="+",
        metavar="FILE",
        help="release artifact: a file component with SHA-256 and SHA-512",
    )
    parser.add_argument("--output", metavar="PATH", help="where to write the SBOM")
    parser.add_argument(
        "--format",
        choices=["json", "xml", "spdx-json"],
        help="output format: CycloneDX json or xml, or SPDX 2.3 spdx-json "
        "(default: json; xml by .xml, spdx-json by .spdx.json)",
    )
    parser.add_argument(
        "--pyproject",
        metavar="PATH",
        help="project metadata for the root component (default: ./pyproject.toml when present)",
    )
    parser.add_argument(
        "--author",
        action="extend",
        nargs="+",
        metavar="NAME",
        help="author of the SBOM data (NTIA element; default: the pyproject.toml authors)",
    )
    parser.add_argument(
        "--reproducible",
        action="store_true",
        default=None,
        help="no timestamp and no serial number: equal inputs give byte-identical output",
    )
    parser.add_argument(
        "--deny-license",
        action="extend",
        nargs="+",
        metavar="SPDX",
        help="SPDX ids that fail the gate (exit 2); comma-separated lists work too",
    )
    parser.add_argument(
        "--allow-license",
        action="extend",
        nargs="+",
        metavar="SPDX",
        help="only these SPDX ids pass; other ids fail, licences known only by name warn",
    )
    parser.add_argument(
        "--ntia-missing",
        choices=NTIA_MISSING,
        help="verdict of an NTIA minimum element some component lacks "
        f"({default_of('sbom', 'ntia-missing')})",
    )
    parser.add_argument(
        "--submit",
        action="store_true",
        default=None,
        help="send the dependencies to GitHub's dependency graph (dependency submission API; "
        "needs contents: write)",
    )
    parser.add_argument(
        "--dependency-track",
        metavar="URL",
        help="upload the CycloneDX SBOM to this Dependency-Track (API key in "
        "DEPENDENCY_TRACK_API_KEY) and gate on its findings (max-critical, max-policy-fail, ...)",
    )
    parser.add_argument(
        "--dt-project", metavar="NAME", help="Dependency-Track project (default: the root's name)"
    )
    parser.add_argument(
        "--dt-version", metavar="VERSION", help="project version (default: the root's version)"
    )
    parser.add_argument("--dt-parent", metavar="NAME", help="parent project of a new project")
    parser.add_argument("--dt-parent-version", metavar="VERSION", help="the parent's version")
    parser.add_argument(
        "--dt-no-auto-create",
        dest="dt_auto_create",
        action="store_false",
        default=None,
        help="fail when the Dependency-Track project does not exist, instead of creating it",
    )
    add_common(parser, gate=True)


def run(args: argparse.Namespace) -> int:
    if args.subcommand == "diff":
        return _diff(args)
    if args.files:
        raise UsageError(
            f"unexpected argument {args.files[0]!r}",
            expected="`lumen sbom --output PATH [sources]` or `lumen sbom diff OLD NEW`",
        )
    return _generate(args)


# --- generate ------------------------------------------------------------------------------


def _generate(args: argparse.Namespace) -> int:
    from lumen.adapters.cdx_validator import warm_validator

    requirements = list(args.requirements or [])
    artifacts = list(args.artifact or [])
    use_env = args.environment is not None or not (requirements or artifacts)
    pending = None
    if use_env:
        from lumen.adapters import python_env

        # Started first: the target interpreter works while we import and read files.
        pending = python_env.start(args.environment or None)
    validator = warm_validator()
    try:
        return _generate_with(args, requirements, artifacts, pending, validator)
    finally:
        validator.close()
        if pending is not None and pending.process.poll() is None:
            pending.process.kill()
            pending.process.wait()


def _generate_with(
    args: argparse.Namespace,
    requirements: list[str],
    artifacts: list[str],
    pending: Any,
    validator: Any,
) -> int:
    from lumen.app.sbom import generate
    from lumen.report import emit

    config = config_of(args)
    env, service = env_service(args)
    settings = config.resolve(
        "sbom",
        {
            "output": args.output,
            "format": args.format,
            "pyproject": args.pyproject,
            "author": args.author,
            "reproducible": args.reproducible,
            "deny-license": args.deny_license,
            "allow-license": args.allow_license,
            "ntia-missing": args.ntia_missing,
            "submit": args.submit,
            "dependency-track": args.dependency_track,
            "dt-project": args.dt_project,
            "dt-version": args.dt_version,
            "dt-parent": args.dt_parent,
            "dt-parent-version": args.dt_parent_version,
            "dt-auto-create": args.dt_auto_create,
        },
        env=env,
        service=service,
    )
    result = generate(
        settings,
        requirements,
        artifacts,
        pending,
        validator,
        on_no_data=args.on_no_data,
        now=now_of(args),
    )
    output = result.values["sbom"]
    count = result.values["components"]
    # `path` is the output name the generated action declares; `sbom` reads better in docs.
    return emit(
        result,
        args,
        OUTPUTS,
        {"path": str(output), "sbom": str(output), "components": count},
        state=state_of(args),
    )


# --- diff ----------------------------------------------------------------------------------


def _diff(args: argparse.Namespace) -> int:
    from lumen.app.sbom import sbom_diff
    from release.sbom_diff import render_markdown, render_text

    if len(args.files) != 2:
        raise UsageError(
            f"`lumen sbom diff` takes two SBOMs, got {len(args.files)}",
            expected="lumen sbom diff OLD.cdx.json NEW.cdx.json",
        )
    old_path, new_path = args.files
    change = sbom_diff(old_path, new_path)
    if not args.quiet:
        sys.stdout.write(render_text(change))
    if args.json:
        from lumen.fileio import write_json

        write_json(args.json, {"old": old_path, "new": new_path, **change.to_dict()})
    from lumen import actions_runtime as gha

    if gha.in_actions():
        markdown = render_markdown(change) or "No dependency changes.\n"
        gha.add_summary("### SBOM changes\n\n" + markdown)
    publish(OUTPUTS, {}, json_path=args.json)
    return 0
