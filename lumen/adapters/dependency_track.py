"""OWASP Dependency-Track: upload a CycloneDX SBOM and read back what it found (REST API v1).

The calls, as Dependency-Track 4.x documents them (the v1 API has no OpenAPI file in the
DependencyTrack/dependency-track repository; the server generates one at run time):

- `POST /api/v1/bom`, multipart/form-data: `bom` (the document), `projectName`,
  `projectVersion`, `parentName`/`parentVersion`, `autoCreate`, `isLatest` → `{"token": uuid}`
  (needs BOM_UPLOAD, and PROJECT_CREATION_UPLOAD to auto-create);
- `GET /api/v1/bom/token/{uuid}` → `{"processing": bool}`: polled until the BOM is processed;
- `GET /api/v1/project/lookup?name=&version=` → the project (its `uuid`);
- `GET /api/v1/metrics/project/{uuid}/current` → vulnerability counts by severity and
  policy-violation counts by state;
- `GET /api/v1/violation/project/{uuid}` → the policy violations (policy, state, component).

Authentication is the `X-Api-Key` header. Every request is bounded by one wall-time budget
(config `budget.dependency-track`, variable `LUMEN_DEPENDENCY_TRACK_BUDGET`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gates.errors import SourceError, UsageError
from release.dependency_track_gate import SEVERITIES, STATES


@dataclass(frozen=True)
class Upload:
    """Where the SBOM goes: the project's name and version, its parent, and auto-create."""

    url: str
    api_key: str
    project: str
    version: str
    parent: str | None = None
    parent_version: str | None = None
    auto_create: bool = True


@dataclass(frozen=True)
class Findings:
    """What Dependency-Track reports for the project after processing the SBOM."""

    project_uuid: str
    token: str
    severities: Mapping[str, int]  # by SEVERITIES
    violations: Mapping[str, int]  # by STATES
    violation_list: tuple[Mapping[str, Any], ...] = field(default=())


def _budget() -> Any:
    from lumen import budget as budgets

    return budgets.for_setting("dependency-track")


def upload_and_read_back(
    target: Upload,
    sbom_text: str,
    *,
    poll_interval: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Findings:
    """Upload, wait for processing, and read the project's metrics and violations."""
    import requests

    from lumen.adapters.http import bounded_session

    if not target.api_key:
        raise UsageError(
            "no Dependency-Track API key: set DEPENDENCY_TRACK_API_KEY",
            expected="an API key with BOM_UPLOAD (and PROJECT_CREATION_UPLOAD to auto-create)",
        )
    base = target.url.rstrip("/")
    if not base.endswith("/api"):
        base += "/api"
    session = bounded_session(_budget(), what="Dependency-Track")
    session.headers.update({"X-Api-Key": target.api_key, "User-Agent": "lumen-ci"})
    form = {
        "projectName": target.project,
        "projectVersion": target.version,
        "autoCreate": "true" if target.auto_create else "false",
    }
    if target.parent:
        form["parentName"] = target.parent
        if target.parent_version:
            form["parentVersion"] = target.parent_version
    try:
        answer = _json(
            session.post(
                f"{base}/v1/bom",
                data=form,
                files={"bom": ("sbom.cdx.json", sbom_text.encode(), "application/json")},
            ),
            "upload the SBOM",
        )
        token = str(answer.get("token") or "")
        if not token:
            raise SourceError("Dependency-Track accepted the upload but sent no token")
        while _json(session.get(f"{base}/v1/bom/token/{token}"), "follow the upload").get(
            "processing"
        ):
            sleep(poll_interval)
        project = _json(
            session.get(
                f"{base}/v1/project/lookup",
                params={"name": target.project, "version": target.version},
            ),
            "look the project up",
        )
        uuid = str(project.get("uuid") or "")
        metrics = _json(
            session.get(f"{base}/v1/metrics/project/{uuid}/current"), "read the project's metrics"
        )
        violations = _json(
            session.get(f"{base}/v1/violation/project/{uuid}"), "read the policy violations"
        )
    except requests.RequestException as exc:
        raise SourceError(
            f"cannot reach Dependency-Track at {target.url}: {type(exc).__name__}"
        ) from None
    finally:
        session.close()
    listed = (
        [v for v in violations if isinstance(v, Mapping)] if isinstance(violations, list) else []
    )
    return Findings(
        project_uuid=uuid,
        token=token,
        severities={key: _count(metrics, key) for key in SEVERITIES},
        violations={state: _count(metrics, f"policyViolations{state.title()}") for state in STATES},
        violation_list=tuple(listed),
    )


def _count(metrics: Any, key: str) -> int:
    value = metrics.get(key) if isinstance(metrics, Mapping) else None
    return int(value) if isinstance(value, int | float) else 0


HINTS = {
    401: "the API key is missing or wrong",
    403: "the API key's team lacks a permission (BOM_UPLOAD; PROJECT_CREATION_UPLOAD to "
    "auto-create; VIEW_PORTFOLIO and VIEW_POLICY_VIOLATION to read back)",
    404: "no such project (and auto-create was off), or no such URL",
}


def _json(response: Any, what: str) -> Any:
    if response.status_code >= 400:
        hint = HINTS.get(response.status_code, (response.text or "").strip()[:200])
        raise SourceError(
            f"Dependency-Track refused to {what} (HTTP {response.status_code}): {hint}"
        )
    try:
        return response.json()
    except ValueError:
        raise SourceError(f"Dependency-Track's answer to '{what}' is not JSON") from None
