"""JSON Schema validation (draft 2020-12, format checking on) with errors that name the place."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from gates.errors import ConfigError, InputError, LumenError
from lumen.resources import load_schema, policy_path


@functools.cache
def _registry() -> Any:
    """Every shipped schema by its `$id`, so schemas can `$ref` one another across files."""
    import json

    from referencing import Registry, Resource

    resources = []
    for path in sorted(policy_path("schemas").rglob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        if "$id" in document:
            resources.append((document["$id"], Resource.from_contents(document)))
    return Registry().with_resources(resources)


@functools.cache
def validator(schema_name: str) -> Any:
    """A cached validator for a schema in policy/schemas (by path relative to that folder)."""
    import jsonschema

    schema = load_schema(schema_name)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, registry=_registry(), format_checker=cls.FORMAT_CHECKER)


def json_type_name(value: Any) -> str:
    """The JSON type of a parsed value, as an error message says it: "a number", "null"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def describe(error: Any) -> tuple[str, str]:
    """(field path, message) for a jsonschema ValidationError, in words a user can act on."""
    path = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        name = extra[0] if extra else "?"
        field = f"{path}.{name}" if path else name
        return field, f"unknown key {name!r} (allowed here: {allowed})"
    if error.validator == "required":
        return path or "(top level)", error.message
    if error.validator == "enum":
        options = ", ".join(repr(v) for v in error.validator_value)
        return path or "(top level)", f"{error.instance!r} is not one of {options}"
    if error.validator == "pattern" and error.schema.get("description"):
        # A regex says little to a reader; the field's description says what is expected.
        return path or "(top level)", (
            f"{error.instance!r} is not valid (expected {error.schema['description']})"
        )
    return path or "(top level)", error.message


def iter_errors(schema_name: str, document: Any) -> Iterator[Any]:
    yield from sorted(validator(schema_name).iter_errors(document), key=lambda e: list(e.path))


def validate(
    schema_name: str,
    document: Any,
    *,
    file: str,
    line: int | None = None,
    line_of: Callable[[Sequence[Any], bool], int | None] | None = None,
    error_cls: type[LumenError] = InputError,
) -> None:
    """Raise `error_cls` for the first schema violation, naming file, line and field."""
    for error in iter_errors(schema_name, document):
        field, message = describe(error)
        where = line
        if line_of is not None:
            path = list(error.absolute_path)
            if error.validator == "additionalProperties":
                extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
                path.append(extra[0] if extra else "")
                where = line_of(path, True)
            else:
                where = line_of(path, False)
        raise error_cls(message, file=file, line=where, field=field)


def validate_config(document: Any, *, file: str, line_of: Any = None) -> None:
    validate(
        "lumen-config.schema.json", document, file=file, line_of=line_of, error_cls=ConfigError
    )
