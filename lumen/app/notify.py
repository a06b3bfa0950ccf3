"""Notify about a gate result (docs/reference.md#notify) as a use case: a card posted to Slack,
Discord or a signed JSON webhook, sent always, on FAIL (and the recovery after it) or on a change of
verdict, and one incident issue per gate kept open while it fails.

`lumen notify` and the flipback announcement both post through `post_card`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from gates.errors import InputError, SourceError


@dataclass(frozen=True)
class Channels:
    """Where a card goes (each optional) and the secret that signs the webhook's body."""

    slack: str | None
    discord: str | None
    webhook: str | None
    webhook_secret: str | None

    def targets(self) -> list[tuple[str, str]]:
        """(channel name, URL) of each channel given, in the order they are posted to."""
        named = (("slack", self.slack), ("discord", self.discord), ("webhook", self.webhook))
        return [(name, url) for name, url in named if url]

    def __bool__(self) -> bool:
        return bool(self.targets())


def post_card(
    channels: Channels,
    result: Mapping[str, Any],
    *,
    link: str | None = None,
    recovered: bool = False,
    on_error: Callable[[str, SourceError], None] | None = None,
) -> Iterator[tuple[str, Any]]:
    """Post the result's card to every channel, yielding (channel, delivery) as each one is
    delivered. A failed delivery raises, unless `on_error` takes it (the others are still
    tried)."""
    from lumen import actions_runtime as gha
    from lumen.reporting import cards, webhooks

    card = cards.card_from_result(result, link=link, recovered=recovered)
    builders: dict[str, Callable[[], dict[str, Any]]] = {
        "slack": lambda: cards.slack_payload(card),
        "discord": lambda: cards.discord_payload(card),
        "webhook": lambda: cards.webhook_payload(card, result),
    }
    for name, url in channels.targets():
        if gha.in_actions():
            gha.mask(url)
        secret = channels.webhook_secret if name == "webhook" else None
        try:
            delivery = webhooks.post_json(url, builders[name](), label=name, secret=secret)
        except SourceError as exc:
            if on_error is None:
                raise
            on_error(name, exc)
            continue
        yield name, delivery


def state_key(result: Mapping[str, Any]) -> str:
    """gate|env|service: what the state file remembers a verdict by."""
    inputs = result.get("inputs") or {}
    return f"{result.get('gate')}|{inputs.get('env') or ''}|{inputs.get('service') or ''}"


def load_state(path: str | None) -> dict[str, str]:
    """The last verdict per gate/env/service (empty when there is no state file yet)."""
    from lumen.fileio import read_json

    if not path or not os.path.exists(path):
        return {}
    state = read_json(path)
    if not isinstance(state, dict):
        raise InputError("state file must be a JSON object", file=path)
    return {str(k): str(v) for k, v in state.items()}


def save_state(path: str, state: Mapping[str, str]) -> None:
    from lumen.fileio import atomic_write

    atomic_write(path, json.dumps(dict(state), indent=2, sort_keys=True) + "\n")


@dataclass(frozen=True)
class NotifySettings:
    """Resolved `notify:` (policy/defaults/notify.yml under the config and the flags)."""

    on: str
    incident_label: str

    @classmethod
    def from_section(cls, values: Mapping[str, Any]) -> NotifySettings:
        from lumen.settings import required

        return cls(
            on=str(required(values, "notify", "on")),
            incident_label=str(required(values, "notify", "incident-label")),
        )


@dataclass(frozen=True)
class Decision:
    send: bool
    recovered: bool  # a PASS or WARN after a FAIL


def decide(on: str, verdict: str, previous: str | None) -> Decision:
    """Whether to send: `always`; `fail` on FAIL and on the recovery after one; `change` when
    the verdict differs from the previous run's."""
    recovered = previous == "FAIL" and verdict in ("PASS", "WARN")
    send = (
        on == "always"
        or (on == "fail" and (verdict == "FAIL" or recovered))
        or (on == "change" and previous != verdict)
    )
    return Decision(send=send, recovered=recovered)


def sync_incident(
    repository: str,
    result: Mapping[str, Any],
    *,
    label: str,
    run_url: str | None,
    failure_log: str | None,
) -> tuple[str, int | None]:
    """Open, update or close the gate's incident issue; (what was done, issue number)."""
    from lumen.adapters.github.pr import sync_incident as sync
    from lumen.reporting import comment as render

    inputs = result.get("inputs") or {}
    key = ":".join(str(inputs[k]) for k in ("env", "service") if inputs.get(k)) or None
    failure_class = hint = None
    if failure_log:
        from gates.failure_class import classify
        from lumen.fileio import open_text

        with open_text(failure_log) as handle:
            found = classify(handle.read())
        failure_class, hint = found.failure_class, found.hint
    gate = str(result.get("gate", "gate"))
    body = render.incident_body(
        result, key=key, failure_class=failure_class, hint=hint, run_url=run_url
    )
    title = f"Lumen {gate} gate failing" + (f" ({key})" if key else "")
    action, number = sync(
        repository,
        result,
        mark=render.incident_marker(gate, key),
        body=body,
        title=title,
        label=label,
    )
    return str(action), number
