"""Schema rules: validate event streams and config files against JSON Schemas (draft 2020-12,
format checking on) and keep the first N errors with their lines.

`--schema SCHEMA=FILE`: SCHEMA is a shipped schema by short name (`loop-event`,
`deploy-event`, `lumen-config`, `gate-result`, `policy-pack`, `config/slo`, ...) or a path to
a JSON Schema file of the user's.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gates.errors import ConfigError, InputError, UsageError
from gates.policy import SchemaError, judge_schema
from gates.result import Check
from lumen.adapters.documents import expand, parse
from lumen.resources import policy_path
from lumen.schema import describe
from lumen.schema import validator as shipped_validator


def split_rule(value: str) -> tuple[str, str]:
    schema, sep, files = value.partition("=")
    if not sep or not schema or not files:
        raise UsageError(f"--schema {value!r}: expected SCHEMA=FILE, e.g. loop-event=events.jsonl")
    return schema, files


def shipped_name(name: str) -> str | None:
    candidates = [name] if name.endswith(".json") else [f"{name}.schema.json", name]
    root = policy_path("schemas").resolve()
    for candidate in candidates:
        path = policy_path("schemas", candidate)
        # An absolute or `../` name is a user's file, not a shipped schema (joinpath would
        # otherwise take it as one, unchecked).
        if path.is_file() and path.resolve().is_relative_to(root):
            return candidate
    return None


@functools.cache
def validator_for(name: str) -> tuple[str, Any]:
    """(display name, jsonschema validator) for a shipped schema name or a schema file."""
    shipped = shipped_name(name)
    if shipped is not None:
        return shipped, shipped_validator(shipped)
    path = Path(name)
    if not path.is_file():
        available = sorted(
            p.relative_to(policy_path("schemas")).as_posix().removesuffix(".schema.json")
            for p in policy_path("schemas").rglob("*.schema.json")
        )
        raise ConfigError(
            "schema not found",
            file=name,
            expected=f"a JSON Schema file or one of {', '.join(available)}",
        )
    import jsonschema

    from lumen.fileio import read_json

    try:
        # Strict like every JSON input: binary data, deep nesting and NaN name the file.
        schema = read_json(path)
    except InputError as exc:
        raise ConfigError(exc.message, file=name, line=exc.line) from None
    except OSError as exc:
        raise ConfigError(f"cannot read schema: {exc}", file=name) from None
    cls = jsonschema.validators.validator_for(schema)
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise ConfigError(f"not a valid JSON Schema: {exc.message}", file=name) from None
    return name, cls(schema, format_checker=cls.FORMAT_CHECKER)


def validate_files(schema: str, files: Sequence[str], *, limit: int) -> list[Check]:
    display, validator = validator_for(schema)
    checks: list[Check] = []
    for path in expand(list(files)):
        parsed = parse(path)
        errors: list[SchemaError] = []
        for index, (start, document) in enumerate(parsed.documents):
            for error in sorted(validator.iter_errors(document), key=lambda e: list(e.path)):
                field, message = describe(error)
                line = parsed.line_of(index, list(error.absolute_path)) if parsed.nodes else start
                errors.append(SchemaError(line, field, message))
        checks.append(
            judge_schema(parsed.file, display, len(parsed.documents), errors, limit=limit)
        )
    return checks
