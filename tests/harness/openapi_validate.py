"""GitHub's REST contract, from the official OpenAPI description (npm `@octokit/openapi`).

`contract()` loads `generated/api.github.com.json` once per process (about a second: the file is
13 MB) and answers three questions for the GitHub double:

- which operation a request (method, concrete path) addresses (`match`), literal path segments
  winning over parameters, as GitHub's router does (`/releases/latest` is not `/releases/{id}`);
- whether a response body matches the documented schema for that operation and status
  (`response_errors`), and whether a request body / query matches (`request_errors`);
- what a minimal valid instance of a component schema looks like (`skeleton`), so the double
  builds full GitHub objects and only fills in the fields it keeps state for.

The description is OpenAPI 3.0 (`nullable`, `readOnly`…), so validation uses
openapi-schema-validator's OAS 3.0 validators, with the whole document registered as one
`referencing` resource: every `$ref` resolves inside it and nothing is copied or dereferenced up
front. Compiled validators are cached per schema location.
"""

from __future__ import annotations

import copy
import functools
import re
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from jsonschema import validators
from jsonschema.exceptions import best_match
from openapi_schema_validator import (
    OAS30ReadValidator,
    OAS30WriteValidator,
    oas30_format_checker,
)
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

NPM = Path(__file__).resolve().parent.parent / "npm" / "node_modules"
OPENAPI_PATH = NPM / "@octokit" / "openapi" / "generated" / "api.github.com.json"
BASE_URI = "urn:github-openapi"
SLASHED_PARAMS = {"ref", "basehead", "path", "branch"}
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def require_npm_file(path: Path) -> None:
    """The npm test data is part of the suite: missing, it is an error (never a skip)."""
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: install the npm test data (`make test` does it, into "
            "tests/npm/node_modules)"
        )


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


@dataclass(frozen=True)
class Operation:
    method: str  # upper case
    template: str  # "/repos/{owner}/{repo}/pulls"
    operation_id: str
    raw: dict[str, Any] = field(repr=False, compare=False, hash=False)

    @property
    def key(self) -> str:
        return f"{self.method} {self.template}"


@dataclass(frozen=True)
class Match:
    operation: Operation
    params: dict[str, str]


class OpenAPIContract:
    def __init__(self, path: Path = OPENAPI_PATH) -> None:
        self.path = path
        require_npm_file(path)
        self.document: dict[str, Any] = orjson.loads(path.read_bytes())
        self.registry: Registry[Any] = Registry().with_resource(
            BASE_URI, Resource(contents=self.document, specification=DRAFT4)
        )
        # method -> [(regex, literal-segment score, Operation)], most specific first
        self._routes: dict[str, list[tuple[re.Pattern[str], tuple[int, ...], Operation]]] = {}
        self.operations: dict[str, Operation] = {}
        for template, item in self.document["paths"].items():
            for method, raw in item.items():
                if method not in METHODS:
                    continue
                op = Operation(method.upper(), template, raw.get("operationId", ""), raw)
                self.operations[op.key] = op
                segments = template.strip("/").split("/")
                parts = []
                for i, seg in enumerate(segments):
                    name = re.fullmatch(r"\{([^}]+)\}", seg)
                    if not name:
                        parts.append(re.escape(seg))
                    elif i == len(segments) - 1 and name.group(1) in SLASHED_PARAMS:
                        # git refs and compare ranges are sent with literal slashes
                        # (`/git/ref/heads/feature/x`): these take the rest of the path.
                        parts.append(f"(?P<{_group(name.group(1))}>.+)")
                    else:
                        parts.append(f"(?P<{_group(name.group(1))}>[^/]+)")
                pattern = "/".join(parts)
                # more literal segments first; at equal count, literals earlier in the path win
                score = tuple(0 if s.startswith("{") else 1 for s in segments)
                self._routes.setdefault(op.method, []).append(
                    (re.compile(f"^/{pattern}$"), score, op)
                )
        for routes in self._routes.values():
            routes.sort(key=lambda r: (-sum(r[1]), [-x for x in r[1]]))
        self._skeletons: dict[str, Any] = {}

    # -- routing -----------------------------------------------------------------------------

    def match(self, method: str, path: str) -> Match | None:
        """The operation for a raw (still percent-encoded) path; parameters come back decoded,
        so `labels/needs%2Freview` is one segment `needs/review`."""
        for regex, _score, op in self._routes.get(method.upper(), ()):
            m = regex.match(path)
            if m:
                params = {_ungroup(k): urllib.parse.unquote(v) for k, v in m.groupdict().items()}
                return Match(op, params)
        return None

    def operation(self, method: str, template: str) -> Operation | None:
        return self.operations.get(f"{method.upper()} {template}")

    # -- schema locations --------------------------------------------------------------------

    def resolve(self, node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            node = self.pointer(node["$ref"])
        return node

    def pointer(self, ref: str) -> Any:
        node: Any = self.document
        for token in ref.lstrip("#").strip("/").split("/"):
            node = node[token.replace("~1", "/").replace("~0", "~")]
        return node

    def _response_schema_pointer(self, op: Operation, status: int) -> str | None:
        responses = op.raw.get("responses", {})
        key = str(status)
        if key not in responses:
            key = f"{str(status)[0]}XX" if f"{str(status)[0]}XX" in responses else "default"
            if key not in responses:
                return None
        base = f"#/paths/{_escape(op.template)}/{op.method.lower()}/responses/{key}"
        response = responses[key]
        if "$ref" in response:
            base = response["$ref"]
            response = self.resolve(response)
        for media, content in response.get("content", {}).items():
            if "json" in media and "schema" in content:
                return f"{base}/content/{_escape(media)}/schema"
        return None

    def documents_status(self, op: Operation, status: int) -> bool:
        return str(status) in op.raw.get("responses", {})

    @functools.cache  # noqa: B019 - one contract per process, validators live as long as it
    def _validator(self, pointer: str, write: bool) -> Any:
        cls = _WRITE if write else _READ
        return cls(
            {"$ref": BASE_URI + pointer},
            registry=self.registry,
            format_checker=oas30_format_checker,
        )

    def response_errors(self, op: Operation, status: int, body: Any) -> list[str]:
        """Why `body` is not what GitHub documents for `op` answering `status` ([] = valid)."""
        pointer = self._response_schema_pointer(op, status)
        if pointer is None:
            if 200 <= status < 300 and body not in (None, b"", "") and self._has_json(op, status):
                return [f"{op.key} -> {status}: a body was sent but none is documented"]
            return []
        return _errors(self._validator(pointer, False), body, f"{op.key} -> {status}")

    def _has_json(self, op: Operation, status: int) -> bool:
        response = self.resolve(op.raw.get("responses", {}).get(str(status), {}))
        return not response.get("content")

    def request_errors(self, op: Operation, query: dict[str, str], body: Any) -> list[str]:
        """Why a request (query string and JSON body) does not match `op` ([] = valid)."""
        errors: list[str] = []
        declared: dict[str, Any] = {}
        for param in op.raw.get("parameters", []):
            param = self.resolve(param)
            if param.get("in") == "query":
                declared[param["name"]] = param
        for name, value in query.items():
            param = declared.get(name)
            if param is None:
                errors.append(f"{op.key}: query parameter {name!r} is not documented")
                continue
            schema = self.resolve(param.get("schema", {}))
            problem = _query_value_problem(self, schema, value)
            if problem:
                errors.append(f"{op.key}: query parameter {name}={value!r}: {problem}")
        request_body = self.resolve(op.raw.get("requestBody"))
        if request_body and body is not None:
            for media, content in request_body.get("content", {}).items():
                if "json" in media and "schema" in content:
                    base = f"#/paths/{_escape(op.template)}/{op.method.lower()}/requestBody"
                    if "$ref" in op.raw["requestBody"]:
                        base = op.raw["requestBody"]["$ref"]
                    pointer = f"{base}/content/{_escape(media)}/schema"
                    errors += _errors(self._validator(pointer, True), body, f"{op.key} request")
                    break
        elif (
            request_body
            and request_body.get("required")
            and body is None
            and any("json" in m for m in request_body.get("content", {}))
        ):
            errors.append(f"{op.key}: request body is required")
        return errors

    # -- skeletons ---------------------------------------------------------------------------

    def skeleton(self, name: str) -> Any:
        """A deep copy of the smallest valid instance of `#/components/schemas/<name>`."""
        if name not in self._skeletons:
            schema = self.document["components"]["schemas"][name]
            self._skeletons[name] = self._synth(schema, depth=0)
        return copy.deepcopy(self._skeletons[name])

    def _synth(self, schema: Any, depth: int) -> Any:
        schema = self.resolve(schema)
        if depth > 12 or (depth > 0 and schema.get("nullable")):
            return None  # the smallest valid value of a nullable field
        if "allOf" in schema:
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                value = self._synth(part, depth + 1)
                if isinstance(value, dict):
                    merged.update(value)
            return merged
        for key in ("oneOf", "anyOf"):
            if key in schema:
                return self._synth(schema[key][0], depth + 1)
        if "enum" in schema:
            values = [v for v in schema["enum"] if v is not None]
            return values[0] if values else None
        kind = schema.get("type")
        if kind == "object" or (kind is None and "properties" in schema):
            props = schema.get("properties", {})
            return {p: self._synth(props.get(p, {}), depth + 1) for p in schema.get("required", [])}
        if kind == "array":
            return []
        if kind in {"integer", "number"}:
            return max(0, schema.get("minimum", 0))
        if kind == "boolean":
            return False
        if kind == "string":
            fmt = schema.get("format")
            if fmt == "date-time":
                return "2020-01-01T00:00:00Z"
            if fmt == "date":
                return "2020-01-01"
            if fmt in ("uri", "uri-template", "url"):
                return "https://github.invalid/"
            if fmt == "email":
                return "nobody@example.invalid"
            return ""
        return None


def _nullable_enum(validator: Any, enums: Any, instance: Any, schema: dict[str, Any]) -> Any:
    # GitHub marks fields like `state_reason` `nullable` with an enum that omits null, and sends
    # null for them. OAS 3.0.3 would reject that; GitHub's intent (and its API) accepts it.
    if instance is None and schema.get("nullable"):
        return
    yield from _enum(validator, enums, instance, schema)


_VALID_SEEN: set[tuple[int, str, bytes]] = set()


def _memo_ref(validator: Any, ref: str, instance: Any, schema: dict[str, Any]) -> Any:
    # A page of 100 pull requests embeds the same repository object 200 times; validating each
    # distinct (schema, object) pair once keeps a page at a few ms instead of 0.4 s.
    if not isinstance(instance, dict) or len(instance) < 6 or not ref.startswith("#/components"):
        yield from _ref(validator, ref, instance, schema)
        return
    key = (id(type(validator)), ref, orjson.dumps(instance))  # read and write rules differ
    if key in _VALID_SEEN:
        return
    errors = list(_ref(validator, ref, instance, schema))
    if not errors:
        if len(_VALID_SEEN) > 20000:
            _VALID_SEEN.clear()
        _VALID_SEEN.add(key)
    yield from errors


_enum = OAS30ReadValidator.VALIDATORS["enum"]
_ref = OAS30ReadValidator.VALIDATORS["$ref"]
_READ = validators.extend(OAS30ReadValidator, {"enum": _nullable_enum, "$ref": _memo_ref})
_WRITE = validators.extend(OAS30WriteValidator, {"enum": _nullable_enum, "$ref": _memo_ref})


def _group(name: str) -> str:
    return "p_" + re.sub(r"\W", "_", name)


def _ungroup(name: str) -> str:
    return name[2:]


def _query_value_problem(contract: OpenAPIContract, schema: dict[str, Any], value: str) -> str:
    kind = schema.get("type")
    if kind == "integer":
        if not re.fullmatch(r"-?\d+", value):
            return "expected an integer"
        number = int(value)
        if "maximum" in schema and number > schema["maximum"]:
            return f"above the documented maximum {schema['maximum']}"
        if "minimum" in schema and number < schema["minimum"]:
            return f"below the documented minimum {schema['minimum']}"
    if kind == "boolean" and value not in ("true", "false"):
        return "expected true or false"
    if "enum" in schema and value not in [str(v) for v in schema["enum"]]:
        return f"expected one of {schema['enum']}"
    return ""


def _errors(validator: Any, instance: Any, where: str) -> list[str]:
    errors = list(validator.iter_errors(instance))
    if not errors:
        return []
    best = best_match(errors)
    assert best is not None
    location = "/".join(str(p) for p in best.absolute_path) or "<root>"
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    message = best.message if len(best.message) <= 300 else "…" + best.message[-240:]
    return [f"{where}: at {location}: {message}{more}"]


@functools.cache
def contract() -> OpenAPIContract:
    """The process-wide contract (each pytest-xdist worker loads it once)."""
    return OpenAPIContract()
