"""Webhook event payloads from npm `@octokit/webhooks-examples`, for `GITHUB_EVENT_PATH`.

The package ships one JSON file (`api.github.com/index.json`): a list of
`{"name": event, "actions": [...], "examples": [payload, ...]}`. `webhook_example("pull_request",
"opened")` returns a deep copy of the first example of that event whose `action` matches, so a
test can edit it freely. `write_event` / the `github_event` fixture put one on disk.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.openapi_validate import NPM, require_npm_file

EXAMPLES_PATH = NPM / "@octokit" / "webhooks-examples" / "api.github.com" / "index.json"


@functools.cache
def _examples() -> dict[str, list[dict[str, Any]]]:
    require_npm_file(EXAMPLES_PATH)
    entries = json.loads(EXAMPLES_PATH.read_text(encoding="utf-8"))
    return {entry["name"]: entry["examples"] for entry in entries}


def webhook_events() -> list[str]:
    return sorted(_examples())


def webhook_example(event: str, action: str | None = None, index: int = 0) -> dict[str, Any]:
    """The `index`-th example payload of `event` (with `action`, when given)."""
    examples = _examples().get(event)
    if examples is None:
        raise KeyError(f"no webhook examples for event {event!r}; known: {webhook_events()}")
    if action is not None:
        examples = [e for e in examples if e.get("action") == action]
        if not examples:
            raise KeyError(f"no {event!r} example with action {action!r}")
    return copy.deepcopy(examples[index])


def write_event(
    path: Path, event: str, action: str | None = None, **overrides: Any
) -> dict[str, Any]:
    """Write an example payload (top-level keys replaced by `overrides`) to `path`."""
    payload = webhook_example(event, action)
    payload.update(overrides)
    path.write_text(json.dumps(payload), encoding="utf-8")
    return payload


@pytest.fixture
def github_event(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., dict[str, Any]]:
    """`github_event("pull_request", "opened", number=7)`: writes the payload, points
    `GITHUB_EVENT_PATH` / `GITHUB_EVENT_NAME` at it and returns it."""

    def make(event: str, action: str | None = None, **overrides: Any) -> dict[str, Any]:
        path = tmp_path / f"event-{event}.json"
        payload = write_event(path, event, action, **overrides)
        monkeypatch.setenv("GITHUB_EVENT_PATH", str(path))
        monkeypatch.setenv("GITHUB_EVENT_NAME", event)
        return payload

    return make
