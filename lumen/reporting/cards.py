"""Notification cards built from a gate result: pure functions, no I/O.

Slack (Block Kit inside a coloured attachment), Discord (one embed) and a generic JSON body.
Every builder enforces the receiving service's documented limits so a long list of reasons never
makes the webhook reject the message: Slack allows 50 blocks, 3,000 characters in a section's
text, 2,000 in a field, 10 fields a section and 150 in a header; Discord allows 25 fields, a
256-character title and field name, a 1,024-character field value, a 4,096-character
description, a 2,048-character footer and 6,000 characters in an embed altogether.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

SLACK_MAX_BLOCKS = 50
SLACK_MAX_SECTION_TEXT = 3000
SLACK_MAX_FIELD_TEXT = 2000
SLACK_MAX_FIELDS = 10
SLACK_MAX_HEADER = 150
DISCORD_MAX_FIELDS = 25
DISCORD_MAX_TITLE = 256
DISCORD_MAX_FIELD_NAME = 256
DISCORD_MAX_FIELD_VALUE = 1024
DISCORD_MAX_DESCRIPTION = 4096
DISCORD_MAX_FOOTER = 2048
DISCORD_MAX_TOTAL = 6000

COLOURS = {"PASS": "#2EB67D", "WARN": "#ECB22E", "FAIL": "#E01E5A", "NO_DATA": "#9E9E9E"}
EMOJI = {
    "PASS": ":white_check_mark:",
    "WARN": ":warning:",
    "FAIL": ":x:",
    "NO_DATA": ":white_circle:",
}


@dataclass(frozen=True)
class Card:
    """What every channel shows: the verdict, where, the key values and the reasons."""

    gate: str
    verdict: str
    title: str
    env: str | None = None
    service: str | None = None
    values: Sequence[tuple[str, str]] = ()
    reasons: Sequence[str] = ()
    link: str | None = None
    recovered: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)


def truncate(text: str, limit: int) -> str:
    """Cut to `limit` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return "—" if value is None else str(value)


def card_from_result(
    result: Mapping[str, Any], *, link: str | None = None, recovered: bool = False
) -> Card:
    """The card for a gate result JSON (shape: docs/reference.md#result-schema). The FAIL card lists
    reasons."""
    gate = str(result.get("gate", "gate"))
    verdict = str(result.get("verdict") or result.get("status") or "NO_DATA")
    inputs = result.get("inputs") or {}
    checks = result.get("checks") or []
    values = [
        (
            str(c.get("name")),
            f"{_fmt(c.get('value'))} {c.get('comparator', '')} "
            f"{_fmt(c.get('threshold'))} → {c.get('verdict')}",
        )
        for c in checks
    ]
    bad = [c for c in checks if c.get("verdict") in ("FAIL", "WARN")]
    reasons = [f"{c.get('name')}: {c.get('reason')}" for c in bad]
    title = f"Lumen {gate} gate: {verdict}"
    if recovered:
        title = f"Lumen {gate} gate recovered: {verdict}"
    return Card(
        gate=gate,
        verdict=verdict,
        title=title,
        env=inputs.get("env"),
        service=inputs.get("service"),
        values=values,
        reasons=reasons,
        link=link,
        recovered=recovered,
    )


def _where(card: Card) -> str:
    parts = [
        f"env `{card.env}`" if card.env else "",
        f"service `{card.service}`" if card.service else "",
    ]
    return " · ".join(p for p in parts if p)


def slack_payload(card: Card) -> dict[str, Any]:
    """Block Kit message; the colour bar comes from the attachment around the blocks."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": truncate(card.title, SLACK_MAX_HEADER)},
        },
    ]
    context = _where(card)
    if context:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    fields = [
        {"type": "mrkdwn", "text": truncate(f"*{name}*\n{value}", SLACK_MAX_FIELD_TEXT)}
        for name, value in card.values
    ]
    for start in range(0, len(fields), SLACK_MAX_FIELDS):
        blocks.append({"type": "section", "fields": fields[start : start + SLACK_MAX_FIELDS]})
    if card.reasons:
        text = "*Reasons*\n" + "\n".join(f"• {r}" for r in card.reasons)
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": truncate(text, SLACK_MAX_SECTION_TEXT)},
            }
        )
    if card.link:
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": truncate(f"<{card.link}|Open the run>", SLACK_MAX_SECTION_TEXT),
                },
            }
        )
    if len(blocks) > SLACK_MAX_BLOCKS:
        dropped = len(blocks) - (SLACK_MAX_BLOCKS - 1)
        blocks = blocks[: SLACK_MAX_BLOCKS - 1]
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"… {dropped} more blocks omitted"}],
            }
        )
    fallback = f"{EMOJI.get(card.verdict, '')} {card.title}".strip()
    return {
        "text": truncate(fallback, SLACK_MAX_SECTION_TEXT),
        "attachments": [{"color": COLOURS.get(card.verdict, COLOURS["NO_DATA"]), "blocks": blocks}],
    }


def discord_payload(card: Card) -> dict[str, Any]:
    """One embed within Discord's limits (fields and the 6,000-character total)."""
    title = truncate(card.title, DISCORD_MAX_TITLE)
    description = _where(card).replace("`", "`")
    if card.reasons:
        description += (
            ("\n\n" if description else "")
            + "**Reasons**\n"
            + "\n".join(f"• {r}" for r in card.reasons)
        )
    description = truncate(description, DISCORD_MAX_DESCRIPTION)
    footer = truncate(f"lumen {card.gate}", DISCORD_MAX_FOOTER)
    budget = DISCORD_MAX_TOTAL - len(title) - len(description) - len(footer)
    fields: list[dict[str, Any]] = []
    for name, value in card.values[:DISCORD_MAX_FIELDS]:
        field_name = truncate(name, DISCORD_MAX_FIELD_NAME)
        field_value = truncate(value or "—", DISCORD_MAX_FIELD_VALUE)
        size = len(field_name) + len(field_value)
        if size > budget:
            break
        budget -= size
        fields.append({"name": field_name, "value": field_value, "inline": True})
    colour = int(COLOURS.get(card.verdict, COLOURS["NO_DATA"]).lstrip("#"), 16)
    embed: dict[str, Any] = {
        "title": title,
        "color": colour,
        "fields": fields,
        "footer": {"text": footer},
    }
    if description:
        embed["description"] = description
    if card.link:
        embed["url"] = card.link
    return {"embeds": [embed]}


def webhook_payload(card: Card, result: Mapping[str, Any]) -> dict[str, Any]:
    """The generic JSON webhook body: the card's fields plus the full result."""
    return {
        "event": "lumen.gate.recovered" if card.recovered else "lumen.gate.result",
        "gate": card.gate,
        "verdict": card.verdict,
        "env": card.env,
        "service": card.service,
        "reasons": list(card.reasons),
        "link": card.link,
        "result": dict(result),
    }


def embed_size(embed: Mapping[str, Any]) -> int:
    """Characters Discord counts toward the 6,000 limit."""
    total = len(embed.get("title", "")) + len(embed.get("description", ""))
    total += len((embed.get("footer") or {}).get("text", ""))
    total += len((embed.get("author") or {}).get("name", ""))
    for item in embed.get("fields", []):
        total += len(item.get("name", "")) + len(item.get("value", ""))
    return total
