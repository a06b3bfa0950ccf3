"""Where shipped data lives: in the wheel (lumen/policy, lumen/workflows) or in a checkout."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any


@functools.cache
def shipped_dir(name: str) -> Path:
    """`policy` or `workflows`: inside the installed package, else the checkout's top level."""
    here = Path(__file__).resolve().parent
    for candidate in (here / name, here.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the shipped {name}/ folder is missing from this installation")


def shipped_path(name: str, *parts: str) -> Path:
    return shipped_dir(name).joinpath(*parts)


def policy_path(*parts: str) -> Path:
    return shipped_dir("policy").joinpath(*parts)


@functools.cache
def load_schema(name: str) -> dict[str, Any]:
    """A JSON Schema from policy/schemas by file name (e.g. `loop-event.schema.json`)."""
    document: dict[str, Any] = json.loads(policy_path("schemas", name).read_text(encoding="utf-8"))
    return document
