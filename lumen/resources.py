"""Where the shipped `policy/` data lives: in the wheel (lumen/policy) or in a source checkout."""

from __future__ import annotations

import functools
from pathlib import Path


@functools.cache
def policy_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "policy", here.parent / "policy"):
        if (candidate / "schemas").is_dir():
            return candidate
    raise FileNotFoundError("the shipped policy/ folder is missing from this installation")


def policy_path(*parts: str) -> Path:
    return policy_dir().joinpath(*parts)


@functools.cache
def load_schema(name: str) -> dict:  # type: ignore[type-arg]
    """A JSON Schema from policy/schemas by file name (e.g. `loop-event.schema.json`)."""
    import json

    return json.loads(policy_path("schemas", name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]
