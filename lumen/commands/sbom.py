"""CycloneDX 1.6 SBOM from a Python environment, lock files and artifacts (spec §8).

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
import hashlib
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from gates.errors import InputError, LumenError, UsageError
from lumen.commands.common import add_common, config_of, env_service, now_of
from lumen.outputs import JSON, Output, publish, verdict_output
from lumen.settings import default_of, required

NTIA_MISSING = ("pass", "warn", "fail")


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


def _list(value: Any) -> list[str]:
    """Flag or config list; `MIT,GPL-3.0-only` and one-per-line both split."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    return [part.strip() for item in items for part in str(item).split(",") if part.strip()]


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
    from gates.result import GateResult, OnNoData, decide
    from gates.timeutil import format_timestamp
    from lumen.report import emit
    from release import sbom
    from release.environment import components_from_report

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
    output = settings.get("output")
    if not output:
        raise UsageError("--output PATH is required", expected="where to write the SBOM")
    lowered = str(output).lower()
    fmt = settings.get("format") or (
        "xml"
        if lowered.endswith(".xml")
        else "spdx-json"
        if lowered.endswith(".spdx.json")
        else "json"
    )
    reproducible = bool(settings.get("reproducible"))
    deny = _list(settings.get("deny-license"))
    allow = _list(settings.get("allow-license"))
    ntia_missing = str(required(settings, "sbom", "ntia-missing"))
    if ntia_missing not in NTIA_MISSING:
        raise UsageError(f"ntia-missing: {ntia_missing!r}", expected=" | ".join(NTIA_MISSING))

    root, root_requires = _root(settings.get("pyproject"))
    collected: list[sbom.Component] = []
    for path in _with_includes(requirements):
        from release import lockfiles

        parsed = lockfiles.parse(lockfiles.kind_of(path), _read(path), path)
        collected.extend(parsed.components)
        root = root or parsed.root
    for path in artifacts:
        collected.append(_artifact(path))
    inputs: dict[str, Any] = {"requirements": requirements, "artifacts": artifacts}
    # Read while the environment's interpreter may still be reading metadata.
    sbom.spdx_ids()
    from release.licences import spdx_list

    spdx_list()  # the SPDX list licences are read against (~10 ms), also while we wait

    if pending is not None:
        report = pending.result()
        inputs["environment"] = report.get("executable") or pending.python
        env_components = components_from_report(report, root_requires=root_requires)
        collected = [*env_components, *collected]
    if root is not None:
        inputs["pyproject"] = root.sources[0] if root.sources else None
        root_key = sbom.normalize_name(root.name)
        # The project itself is the root (metadata.component), not one of its own components;
        # an installed copy still tells us what a dynamic `version` resolved to.
        itself = [
            c for c in collected if c.kind != "file" and sbom.normalize_name(c.name) == root_key
        ]
        if itself:
            root = replace(
                root,
                version=root.version or itself[0].version,
                licenses=root.licenses or itself[0].licenses,
            )
        collected = [c for c in collected if c not in itself]
    authors = settings.get("author")
    inventory = sbom.Inventory(
        components=sbom.merge(collected),
        root=root,
        # Names may hold commas ("Doe, Jane"): a list or one string, never split.
        sbom_authors=(authors,) if isinstance(authors, str) else tuple(authors or ()) or None,
    )

    from lumen import __version__

    now = now_of(args)
    document = sbom.bom_document(
        inventory,
        tool_version=__version__,
        timestamp=None if reproducible else now,
        serial_number=None if reproducible else _serial(),
    )
    text = _serialize_and_validate(document, "json" if fmt == "spdx-json" else fmt, validator)
    if fmt == "spdx-json":
        from lumen.app.sbom import spdx_text

        text = spdx_text(
            document,
            tool_version=__version__,
            created=_spdx_created(reproducible, now),
            serial_number=(document.get("serialNumber") or "").removeprefix("urn:uuid:") or None,
            authors=inventory.authors,
        )
    from lumen.fileio import atomic_write

    atomic_write(output, text)

    on_no_data = OnNoData(args.on_no_data or required(settings, "sbom", "on-no-data"))
    checks = _checks(
        document,
        "json" if fmt == "spdx-json" else fmt,
        deny=deny,
        allow=allow,
        ntia_missing=ntia_missing,
        no_data=on_no_data.verdict(),
    )
    if fmt == "spdx-json":
        from gates.result import Check, Verdict

        checks.insert(
            1,
            Check(
                "spdx-2.3",
                True,
                "==",
                True,
                Verdict.PASS,
                "valid against the official SPDX 2.3 JSON schema (the CycloneDX document it is "
                "made from is checked too)",
            ),
        )
    extra_values: dict[str, Any] = {}
    if settings.get("submit"):
        from lumen.app.sbom import submit_snapshot

        manifest = str(
            inputs.get("pyproject") or (requirements[0] if requirements else "environment")
        )
        answer = submit_snapshot(
            document,
            manifest=manifest,
            source_location=manifest if Path(manifest).is_file() else None,
            now=now,
            tool_version=__version__,
        )
        extra_values["dependency_submission"] = {"id": answer.id, "result": answer.result}
        checks.append(_submission_check(answer))
    if settings.get("dependency-track"):
        findings, dt_checks = _dependency_track(settings, document, inventory)
        extra_values["dependency_track"] = {
            "project": findings.project_uuid,
            "severities": dict(findings.severities),
            "policy_violations": dict(findings.violations),
        }
        checks += dt_checks
    from release.ntia import coverage

    result = GateResult(
        gate="sbom",
        verdict=decide(checks),
        checks=checks,
        inputs=inputs,
        generated_at=format_timestamp(now),
        values={
            "sbom": str(output),
            "format": fmt,
            "components": len(document.get("components") or ()),
            "ntia": [c.to_dict() for c in coverage(document)],
            **extra_values,
        },
    )
    count = result.values["components"]
    # `path` is the output name the generated action declares; `sbom` reads better in docs.
    return emit(
        result, args, OUTPUTS, {"path": str(output), "sbom": str(output), "components": count}
    )


def _spdx_created(reproducible: bool, now: Any) -> Any:
    """SPDX requires a creation time: now, or for a reproducible document SOURCE_DATE_EPOCH
    (the reproducible-builds convention), else the epoch."""
    from datetime import UTC, datetime

    if not reproducible:
        return now
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "0")
    try:
        return datetime.fromtimestamp(int(epoch), UTC)
    except ValueError:
        raise UsageError(f"SOURCE_DATE_EPOCH={epoch!r}", expected="seconds since 1970") from None


def _submission_check(answer: Any) -> Any:
    from gates.result import Check, Verdict

    accepted = answer.result in ("SUCCESS", "ACCEPTED")
    return Check(
        "github-dependency-submission",
        answer.result,
        "in",
        "SUCCESS, ACCEPTED",
        Verdict.PASS if accepted else Verdict.FAIL,
        f"snapshot {answer.id}: {answer.result} {answer.message}".strip(),
    )


def _dependency_track(settings: Any, document: dict[str, Any], inventory: Any) -> Any:
    import json

    from lumen.adapters.dependency_track import Upload
    from lumen.app.sbom import dependency_track_checks
    from release.dependency_track_gate import LIMITS

    root = inventory.root
    project = settings.get("dt-project") or (root.name if root is not None else None)
    version = settings.get("dt-version") or (root.version if root is not None else None)
    if not project or not version:
        raise UsageError(
            "--dependency-track needs a project name and version",
            expected="--dt-project NAME --dt-version VERSION, or a pyproject.toml root",
        )
    limits: dict[str, int | None] = {}
    for key in LIMITS:
        value = settings.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise UsageError(f"sbom.{key}: {value!r}", expected="a whole number, or null")
        limits[key] = value
    target = Upload(
        url=str(settings["dependency-track"]),
        api_key=os.environ.get("DEPENDENCY_TRACK_API_KEY", ""),
        project=str(project),
        version=str(version),
        parent=settings.get("dt-parent"),
        parent_version=settings.get("dt-parent-version"),
        auto_create=settings.get("dt-auto-create") is not False,
    )
    return dependency_track_checks(json.dumps(document), target, limits)


def _serial() -> str:
    import uuid

    return str(uuid.uuid4())


def _checks(
    document: dict[str, Any],
    fmt: str,
    *,
    deny: list[str],
    allow: list[str],
    ntia_missing: str,
    no_data: Any,
) -> list[Any]:
    from gates.result import Check, Verdict
    from release.license_gate import evaluate, licence_checks
    from release.ntia import coverage, ntia_checks

    checks = [
        Check(
            "cyclonedx-1.6",
            True,
            "==",
            True,
            Verdict.PASS,
            f"valid against the official CycloneDX 1.6 {fmt.upper()} schema",
        )
    ]
    verdict = {"pass": Verdict.PASS, "warn": Verdict.WARN, "fail": Verdict.FAIL}[ntia_missing]
    checks += ntia_checks(coverage(document), missing=verdict, no_data=no_data)
    if deny or allow:
        checks += licence_checks(evaluate(document, deny=deny, allow=allow), deny=deny, allow=allow)
    return checks


def _serialize_and_validate(document: dict[str, Any], fmt: str, validator: Any) -> str:
    """Serialize at the edge; validate BEFORE anything is written (spec §8).

    JSON is the document as it is; XML is written by cyclonedx-python-lib from the same
    document (`Bom.from_json`), then checked against the 1.6 XML schema as well."""
    import json

    json_text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    verdict = validator.check(json_text)
    if not verdict.valid:
        raise LumenError(_validation_message(verdict.message, verdict.path, "JSON"))
    if fmt == "json":
        return json_text
    from cyclonedx.output.xml import XmlV1Dot6
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.xml import XmlValidator

    from release.sbom import library_bom

    xml_text = XmlV1Dot6(library_bom(document)).output_as_string(indent=2) + "\n"
    xml_error = XmlValidator(SchemaVersion.V1_6).validate_str(xml_text)
    if xml_error is not None:
        data = xml_error.data
        message = getattr(data, "message", None) or str(data)
        raise LumenError(_validation_message(message, f"line {getattr(data, 'line', '?')}", "XML"))
    return xml_text


def _validation_message(message: str | None, where: str | None, fmt: str) -> str:
    text = f"generated SBOM is not valid CycloneDX 1.6 {fmt}: {message or 'invalid'}"
    if where:
        text += f" (at {where})"
    return text + "; nothing was written"


def _root(pyproject: str | None) -> tuple[Any, list[tuple[str, tuple[str, ...]]]]:
    """Root component and its (name, extras) requirements from pyproject.toml, if any."""
    path = pyproject or ("pyproject.toml" if Path("pyproject.toml").is_file() else None)
    if path is None:
        return None, []
    from release.lockfiles import load_toml
    from release.sbom import requirement_extras, requirement_name, root_from_pyproject

    document = load_toml(_read(path), path)
    root = root_from_pyproject(document)
    if root is not None:
        root = replace(root, sources=(path,))
    deps = (document.get("project") or {}).get("dependencies") or []
    requires = [
        (name, requirement_extras(dep))
        for dep in deps
        if isinstance(dep, str) and (name := requirement_name(dep))
    ]
    return root, requires


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", file=path) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a file", file=path) from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", file=path) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=path) from None


def _with_includes(paths: list[str]) -> list[str]:
    """Requirement files in order, each followed by the files its `-r` lines include (once)."""
    if not paths:
        return []
    from release.lockfiles import kind_of, parse_requirements

    ordered: list[str] = []
    seen: set[str] = set()

    def visit(path: str) -> None:
        key = os.path.normpath(path)
        if key in seen:
            return
        seen.add(key)
        ordered.append(path)
        if kind_of(path) == "requirements":
            for include in parse_requirements(_read(path), path).includes:
                visit(os.path.join(os.path.dirname(path), include))

    for path in paths:
        visit(path)
    return ordered


def _artifact(path: str) -> Any:
    from release.sbom import artifact_component

    sha256 = hashlib.sha256()
    sha512 = hashlib.sha512()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                sha256.update(chunk)
                sha512.update(chunk)
    except FileNotFoundError:
        raise InputError("artifact not found", file=path) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a file", field="--artifact", file=path) from None
    except OSError as exc:
        raise InputError(f"cannot read artifact: {exc.strerror}", file=path) from None
    files: list[tuple[str, str]] = []
    if path.endswith(".whl"):
        from lumen.adapters.wheel_record import wheel_files

        files = wheel_files(path)
    return artifact_component(
        os.path.basename(path), sha256.hexdigest(), sha512.hexdigest(), source=path, files=files
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
