"""The GitHub Actions runner's side of the world: inputs, outputs, summary, annotations, masks,
the event payload and the `GITHUB_*` variables, exactly as the runner sets them.

Everything takes an `environ` mapping (default `os.environ`) so tests can drive it without
touching the process environment.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TextIO

from gates.errors import InputError


def _env(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def in_actions(environ: Mapping[str, str] | None = None) -> bool:
    return _env(environ).get("GITHUB_ACTIONS") == "true"


def get_input(name: str, environ: Mapping[str, str] | None = None, default: str = "") -> str:
    """An action input as the runner passes it: `INPUT_<NAME>`, upper case, spaces as `_`.

    Lumen's composite actions pass inputs as `INPUT_<NAME>` with `-` written as `_` too,
    because a shell cannot name a variable with a hyphen; both spellings are read.
    """
    env = _env(environ)
    key = "INPUT_" + name.replace(" ", "_").upper()
    for candidate in (key, key.replace("-", "_")):
        if candidate in env:
            return env[candidate].strip()
    return default


def escape_data(value: str) -> str:
    """Workflow-command message escaping (as @actions/core's escapeData)."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Workflow-command property escaping (as @actions/core's escapeProperty)."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def _file_command(var: str, environ: Mapping[str, str] | None) -> str | None:
    path = _env(environ).get(var)
    return path or None


def _append(path: str, text: str) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(text)


def _key_value_block(name: str, value: str) -> str:
    """`name<<DELIM\\nvalue\\nDELIM\\n`, the multi-line-safe form, with a delimiter not in value."""
    delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
    while delimiter in value or delimiter in name:  # pragma: no cover - astronomically unlikely
        delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def set_output(
    name: str, value: Any, environ: Mapping[str, str] | None = None, stream: TextIO | None = None
) -> None:
    """Write a step output to `GITHUB_OUTPUT` (multi-line safe)."""
    text = value if isinstance(value, str) else json.dumps(value)
    path = _file_command("GITHUB_OUTPUT", environ)
    if path:
        _append(path, _key_value_block(name, text))
    elif in_actions(environ):  # very old runners: the deprecated command is all there is
        print(f"::set-output name={name}::{escape_data(text)}", file=stream or sys.stdout)


def add_summary(markdown: str, environ: Mapping[str, str] | None = None) -> bool:
    """Append Markdown to the job summary; False when there is no summary file."""
    path = _file_command("GITHUB_STEP_SUMMARY", environ)
    if not path:
        return False
    _append(path, markdown if markdown.endswith("\n") else markdown + "\n")
    return True


def annotate(
    level: str,
    message: str,
    *,
    file: str | None = None,
    line: int | None = None,
    title: str | None = None,
    stream: TextIO | None = None,
) -> None:
    """`::error`/`::warning`/`::notice` with optional file and line."""
    if level not in {"error", "warning", "notice"}:
        raise ValueError(f"unknown annotation level {level!r}")
    props = []
    if file:
        props.append(f"file={escape_property(file)}")
    if line is not None:
        props.append(f"line={line}")
    if title:
        props.append(f"title={escape_property(title)}")
    head = f"::{level}" + (" " + ",".join(props) if props else "")
    print(f"{head}::{escape_data(message)}", file=stream or sys.stdout, flush=True)


def mask(secret: str, stream: TextIO | None = None) -> None:
    """Ask the runner to mask a secret in logs (each line of a multi-line secret)."""
    for line in secret.splitlines() or [secret]:
        if line.strip():
            print(f"::add-mask::{escape_data(line)}", file=stream or sys.stdout, flush=True)


@dataclass(frozen=True)
class GitHubContext:
    """The `GITHUB_*` variables a run sees, with the runner's defaults for github.com."""

    api_url: str
    graphql_url: str
    server_url: str
    token: str | None
    repository: str | None
    sha: str | None
    ref: str | None
    event_name: str | None
    event_path: str | None
    run_id: str | None
    run_attempt: str | None
    workflow: str | None
    actor: str | None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> GitHubContext:
        env = _env(environ)
        return cls(
            api_url=env.get("GITHUB_API_URL") or "https://api.github.com",
            graphql_url=env.get("GITHUB_GRAPHQL_URL") or "https://api.github.com/graphql",
            server_url=env.get("GITHUB_SERVER_URL") or "https://github.com",
            token=env.get("GITHUB_TOKEN") or env.get("INPUT_GITHUB_TOKEN") or None,
            repository=env.get("GITHUB_REPOSITORY") or None,
            sha=env.get("GITHUB_SHA") or None,
            ref=env.get("GITHUB_REF") or None,
            event_name=env.get("GITHUB_EVENT_NAME") or None,
            event_path=env.get("GITHUB_EVENT_PATH") or None,
            run_id=env.get("GITHUB_RUN_ID") or None,
            run_attempt=env.get("GITHUB_RUN_ATTEMPT") or None,
            workflow=env.get("GITHUB_WORKFLOW") or None,
            actor=env.get("GITHUB_ACTOR") or None,
        )

    def event(self) -> dict[str, Any]:
        """The webhook payload that triggered the run (`{}` outside Actions)."""
        if not self.event_path:
            return {}
        try:
            with open(self.event_path, encoding="utf-8") as handle:
                payload = json.load(handle)
        except FileNotFoundError:
            raise InputError("event payload not found", file=self.event_path) from None
        except json.JSONDecodeError as exc:
            raise InputError(
                f"event payload is not JSON ({exc.msg})", file=self.event_path, line=exc.lineno
            ) from None
        return payload if isinstance(payload, dict) else {}

    def pull_request_number(self) -> int | None:
        """The PR number of a pull_request / pull_request_target / issue_comment event."""
        event = self.event()
        for key in ("pull_request", "issue"):
            number = (event.get(key) or {}).get("number")
            if isinstance(number, int):
                return number
        number = event.get("number")
        return number if isinstance(number, int) else None

    def run_url(self) -> str | None:
        """The page of this workflow run (None outside Actions)."""
        if self.repository and self.run_id:
            return f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"
        return None

    def owner_repo(self) -> tuple[str, str] | None:
        if not self.repository or "/" not in self.repository:
            return None
        owner, repo = self.repository.split("/", 1)
        return owner, repo
