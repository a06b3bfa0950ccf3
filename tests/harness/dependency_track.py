"""A Dependency-Track double: the REST API v1 calls `lumen sbom --dependency-track` makes.

Written from Dependency-Track's documented API (4.x; the v1 API has no OpenAPI file in the
DependencyTrack/dependency-track repository, the server generates one at run time), and strict
where the server is: a request it would refuse is refused the same way, and recorded as a
contract violation that fails the test.

- `POST /api/v1/bom` (multipart/form-data): `X-Api-Key`; `bom` must be a valid CycloneDX
  document; `projectName` + `projectVersion` (or `project`, a UUID); `autoCreate` creates a
  missing project (else 404); `parentName` must name an existing project (else 404). Answers
  `{"token": uuid}`.
- `GET /api/v1/bom/token/{uuid}`: `{"processing": true}` once, then false.
- `GET /api/v1/project/lookup?name=&version=`, `GET /api/v1/metrics/project/{uuid}/current`,
  `GET /api/v1/violation/project/{uuid}`: from the findings a test seeds with `findings()`.

    def test_upload(dependency_track):
        dependency_track.findings("app", critical=1, violations=[("licence", "FAIL", "LICENSE")])
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import threading
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

API_KEY = "odt_lumen-test-key"
SEVERITIES = ("critical", "high", "medium", "low", "unassigned")


@dataclass
class Project:
    uuid: str
    name: str
    version: str
    parent: str | None = None
    boms: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Seed:
    severities: dict[str, int]
    violations: list[dict[str, Any]]


class DependencyTrackDouble:
    def __init__(self) -> None:
        self.projects: dict[str, Project] = {}
        self.uploads: list[dict[str, str]] = []  # the form fields of each upload (bom aside)
        self.violations: list[str] = []  # contract violations seen
        self.seeds: dict[str, Seed] = {}
        self._tokens: dict[str, int] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def add_project(self, name: str, version: str) -> Project:
        project = Project(str(uuid.uuid4()), name, version)
        self.projects[project.uuid] = project
        return project

    def findings(
        self,
        name: str,
        *,
        violations: list[tuple[str, str, str]] = (),  # type: ignore[assignment]
        **severities: int,
    ) -> None:
        """What the project `name` will show after an upload: counts by severity, and policy
        violations as (policy name, state FAIL|WARN|INFO, type LICENSE|SECURITY|OPERATIONAL)."""
        self.seeds[name] = Seed(
            {s: int(severities.get(s, 0)) for s in SEVERITIES},
            [
                {
                    "uuid": str(uuid.uuid4()),
                    "type": kind,
                    "timestamp": 1700000000000,
                    "policyCondition": {
                        "uuid": str(uuid.uuid4()),
                        "operator": "IS",
                        "subject": "LICENSE" if kind == "LICENSE" else "SEVERITY",
                        "value": "x",
                        "policy": {
                            "uuid": str(uuid.uuid4()),
                            "name": policy,
                            "operator": "ANY",
                            "violationState": state,
                        },
                    },
                    "component": {"uuid": str(uuid.uuid4()), "name": "six", "version": "1.17.0"},
                }
                for policy, state, kind in violations
            ],
        )

    def find(self, name: str, version: str) -> Project | None:
        return next(
            (p for p in self.projects.values() if (p.name, p.version) == (name, version)), None
        )

    def start(self) -> DependencyTrackDouble:
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: Any = None) -> None:
                payload = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                if body is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _refuse(self, status: int, why: str) -> None:
                double.violations.append(f"{self.command} {self.path}: {why}")
                self.send_response(status)
                text = why.encode()
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            def _authorised(self) -> bool:
                if self.headers.get("X-Api-Key") != API_KEY:
                    self._refuse(401, "missing or wrong X-Api-Key")
                    return False
                return True

            def do_POST(self) -> None:
                if not self._authorised():
                    return
                if urllib.parse.urlsplit(self.path).path != "/api/v1/bom":
                    self._refuse(404, "not a documented POST")
                    return
                length = int(self.headers.get("Content-Length") or 0)
                with double._lock:
                    self._upload(self.rfile.read(length))

            def _upload(self, raw: bytes) -> None:
                ctype = self.headers.get("Content-Type", "")
                if not ctype.startswith("multipart/form-data"):
                    self._refuse(415, f"POST /api/v1/bom as multipart/form-data, not {ctype!r}")
                    return
                message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                    f"Content-Type: {ctype}\r\n\r\n".encode() + raw
                )
                form: dict[str, bytes] = {}
                for part in message.iter_parts():
                    name = part.get_param("name", header="content-disposition")
                    form[str(name)] = part.get_payload(decode=True) or b""
                fields = {k: v.decode() for k, v in form.items() if k != "bom"}
                unknown = set(fields) - {
                    "project", "projectName", "projectVersion", "projectTags", "autoCreate",
                    "parentName", "parentVersion", "parentUUID", "isLatest",
                }  # fmt: skip
                if unknown:
                    self._refuse(400, f"undocumented form fields {sorted(unknown)}")
                    return
                if "bom" not in form:
                    self._refuse(400, "no bom part")
                    return
                error = _cyclonedx_error(form["bom"])
                if error:
                    self._refuse(400, f"the bom is not valid CycloneDX: {error}")
                    return
                double.uploads.append(fields)
                project: Project | None
                if fields.get("project"):
                    project = double.projects.get(fields["project"])
                else:
                    name, version = fields.get("projectName"), fields.get("projectVersion")
                    if not name or not version:
                        self._refuse(400, "projectName and projectVersion (or project) required")
                        return
                    project = double.find(name, version)
                    if project is None and fields.get("autoCreate") == "true":
                        parent = None
                        if fields.get("parentName"):
                            parent = next(
                                (
                                    p
                                    for p in double.projects.values()
                                    if p.name == fields["parentName"]
                                    and p.version == fields.get("parentVersion", p.version)
                                ),
                                None,
                            )
                            if parent is None:
                                self._send(404, None)
                                return
                        project = double.add_project(name, version)
                        project.parent = parent.uuid if parent else None
                if project is None:
                    self._send(404, None)
                    return
                project.boms.append(json.loads(form["bom"]))
                token = str(uuid.uuid4())
                double._tokens[token] = 1  # processing for one more poll
                self._send(200, {"token": token})

            def do_GET(self) -> None:
                if not self._authorised():
                    return
                parts = urllib.parse.urlsplit(self.path)
                path, query = parts.path, dict(urllib.parse.parse_qsl(parts.query))
                segments = path.strip("/").split("/")
                with double._lock:
                    if path.startswith("/api/v1/bom/token/"):
                        left = double._tokens.get(segments[-1], 0)
                        double._tokens[segments[-1]] = max(left - 1, 0)
                        self._send(200, {"processing": left > 0})
                    elif path == "/api/v1/project/lookup":
                        project = double.find(query.get("name", ""), query.get("version", ""))
                        if project is None:
                            self._send(404, None)
                        else:
                            self._send(200, _project_json(project))
                    elif path.startswith("/api/v1/metrics/project/") and path.endswith("/current"):
                        project = double.projects.get(segments[-2])
                        if project is None:
                            self._send(404, None)
                        else:
                            self._send(200, double._metrics(project))
                    elif path.startswith("/api/v1/violation/project/"):
                        project = double.projects.get(segments[-1])
                        if project is None:
                            self._send(404, None)
                        else:
                            seed = double.seeds.get(project.name)
                            self._send(200, seed.violations if seed else [])
                    else:
                        self._refuse(404, "not a documented GET")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def _metrics(self, project: Project) -> dict[str, Any]:
        seed = self.seeds.get(project.name) or Seed({s: 0 for s in SEVERITIES}, [])
        states = [v["policyCondition"]["policy"]["violationState"] for v in seed.violations]
        counts = {s: states.count(s) for s in ("FAIL", "WARN", "INFO")}
        vulnerabilities = sum(seed.severities.values())
        return {
            **seed.severities,
            "vulnerabilities": vulnerabilities,
            "vulnerableComponents": min(vulnerabilities, 1),
            "components": len((project.boms[-1] if project.boms else {}).get("components", [])),
            "suppressed": 0,
            "findingsTotal": vulnerabilities,
            "findingsAudited": 0,
            "findingsUnaudited": vulnerabilities,
            "inheritedRiskScore": 0.0,
            "policyViolationsFail": counts["FAIL"],
            "policyViolationsWarn": counts["WARN"],
            "policyViolationsInfo": counts["INFO"],
            "policyViolationsTotal": len(states),
            "firstOccurrence": 1700000000000,
            "lastOccurrence": 1700000000000,
        }

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def _project_json(project: Project) -> dict[str, Any]:
    out: dict[str, Any] = {
        "uuid": project.uuid,
        "name": project.name,
        "version": project.version,
        "active": True,
        "isLatest": False,
    }
    if project.parent:
        out["parent"] = {"uuid": project.parent}
    return out


def _cyclonedx_error(data: bytes) -> str | None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    try:
        spec = json.loads(data).get("specVersion")
    except (ValueError, AttributeError):
        return "not JSON"
    if spec != "1.6":
        return f"specVersion {spec!r}"
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(data.decode())
    return None if error is None else str(error)


@pytest.fixture
def dependency_track() -> Iterator[DependencyTrackDouble]:
    double = DependencyTrackDouble().start()
    try:
        yield double
    finally:
        double.stop()
    if double.violations:
        pytest.fail("Dependency-Track contract violations:\n  " + "\n  ".join(double.violations))
