"""SBOM use cases: build, validate and write an SBOM and gate it (`lumen sbom`); read a
CycloneDX JSON SBOM written by any tool and compare two of them (`lumen sbom diff`, the release
notes); and where SBOMs go (SPDX, GitHub dependency submission, Dependency-Track)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gates.errors import InputError, LumenError, UsageError

if TYPE_CHECKING:
    from gates.result import GateResult
    from release.sbom_diff import SbomDiff


def load_sbom(path: str) -> dict[str, Any]:
    """A CycloneDX JSON SBOM from any tool, or a clear error."""
    from lumen.fileio import read_json
    from release.attest import sbom_predicate

    # the same test an SBOM attestation's predicate passes: a CycloneDX JSON document
    document: dict[str, Any] = sbom_predicate(read_json(path), source=path)
    if not isinstance(document.get("components", []), list):
        raise InputError("must be an array", file=path, field="components")
    return document


def sbom_diff(old_path: str, new_path: str) -> SbomDiff:
    """What changed between two SBOM files: components added, removed and bumped, new licences."""
    from release.sbom_diff import diff

    return diff(load_sbom(old_path), load_sbom(new_path))


# --- where SBOMs are consumed ------------------------------------------------------------------


def spdx_text(
    document: dict[str, Any],
    *,
    tool_version: str,
    created: datetime,
    serial_number: str | None,
    authors: tuple[str, ...] = (),
) -> str:
    """The SPDX 2.3 JSON equivalent of a CycloneDX document, checked against the official SPDX
    2.3 schema before anyone sees it (a document that fails is a bug: exit 1, nothing written).

    The namespace is the serial number's UUID, or for a reproducible document a digest of the
    CycloneDX content, so equal inputs give equal files."""
    import json

    from gates.errors import LumenError
    from lumen.schema import validator
    from release.spdx import content_digest, namespace_for, spdx_document

    root = (document.get("metadata") or {}).get("component") or {}
    unique = serial_number or content_digest([json.dumps(document, sort_keys=True)])
    spdx = spdx_document(
        document,
        created=created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        namespace=namespace_for(str(root.get("name") or "python-environment"), unique),
        tool=f"lumen-ci-{tool_version}",
        authors=authors,
    )
    errors = sorted(validator("spdx-2.3.schema.json").iter_errors(spdx), key=str)
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path)
        raise LumenError(
            f"generated SBOM is not valid SPDX 2.3 JSON: {errors[0].message} (at {where}); "
            "nothing was written"
        )
    return json.dumps(spdx, indent=2, ensure_ascii=False) + "\n"


def submit_snapshot(
    document: dict[str, Any],
    *,
    manifest: str,
    source_location: str | None,
    now: datetime,
    tool_version: str,
) -> Any:
    """Send the SBOM's dependencies to GitHub's dependency graph for this run's commit."""
    from gates.errors import UsageError
    from lumen.actions_runtime import GitHubContext
    from lumen.adapters.github.dependency_submission import submit
    from release.dependency_snapshot import snapshot

    ctx = GitHubContext.from_env()
    if not (ctx.repository and ctx.sha and ctx.ref):
        raise UsageError(
            "--submit needs GITHUB_REPOSITORY, GITHUB_SHA and GITHUB_REF (set in GitHub Actions)"
        )
    workflow = os.environ.get("GITHUB_WORKFLOW") or "lumen"
    job = os.environ.get("GITHUB_JOB") or "sbom"
    payload = snapshot(
        document,
        manifest=manifest,
        source_location=source_location,
        sha=ctx.sha,
        ref=ctx.ref,
        job_id=ctx.run_id or f"{workflow}-{job}",
        correlator=f"{workflow}_{job}_{manifest}",
        scanned=now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        detector_version=tool_version,
        html_url=(
            f"{ctx.server_url}/{ctx.repository}/actions/runs/{ctx.run_id}" if ctx.run_id else None
        ),
    )
    return submit(payload, repository=ctx.repository, ctx=ctx)


def dependency_track_checks(
    sbom_json: str, target: Any, limits: dict[str, int | None]
) -> tuple[Any, list[Any]]:
    """Upload to Dependency-Track, read back its findings, and judge them against `limits`."""
    from lumen.adapters.dependency_track import upload_and_read_back
    from release.dependency_track_gate import findings_checks

    findings = upload_and_read_back(target, sbom_json)
    checks = findings_checks(
        findings.severities,
        findings.violations,
        limits,
        violation_list=findings.violation_list,
    )
    return findings, checks


# --- building an SBOM ---------------------------------------------------------------------------

NTIA_MISSING = ("pass", "warn", "fail")


def _list(value: Any) -> list[str]:
    """Flag or config list; `MIT,GPL-3.0-only` and one-per-line both split."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    return [part.strip() for item in items for part in str(item).split(",") if part.strip()]


def generate(
    settings: Mapping[str, Any],
    requirements: list[str],
    artifacts: list[str],
    pending: Any,
    validator: Any,
    *,
    on_no_data: str | None,
    now: datetime,
) -> GateResult:
    """Build, validate and write the SBOM the resolved `sbom:` settings describe, from the
    environment report `pending` (a started lumen.adapters.python_env read, or None), lock and
    requirements files and artifacts; the "sbom" result (NTIA coverage, licence gate,
    submission and Dependency-Track checks). `on_no_data` is the --on-no-data flag."""
    from gates.result import GateResult, OnNoData, decide
    from gates.timeutil import format_timestamp
    from lumen.settings import required
    from release import sbom
    from release.environment import components_from_report

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

    document = sbom.bom_document(
        inventory,
        tool_version=__version__,
        timestamp=None if reproducible else now,
        serial_number=None if reproducible else _serial(),
    )
    text = _serialize_and_validate(document, "json" if fmt == "spdx-json" else fmt, validator)
    if fmt == "spdx-json":
        text = spdx_text(
            document,
            tool_version=__version__,
            created=_spdx_created(reproducible, now),
            serial_number=(document.get("serialNumber") or "").removeprefix("urn:uuid:") or None,
            authors=inventory.authors,
        )
    from lumen.fileio import atomic_write

    atomic_write(output, text)

    on_no_data = OnNoData(on_no_data or required(settings, "sbom", "on-no-data"))
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
    return result


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
    """Serialize at the edge; validate BEFORE anything is written (docs/reference.md#sbom).

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
