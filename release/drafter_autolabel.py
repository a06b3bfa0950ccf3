"""release-drafter's autolabeler: the labels a pull request gets from its changed files, branch
name, title and body. Pure: the caller reads the PR and adds the labels.

For each rule in order, the first source that matches adds its label and the rule stops:
files (gitignore-style patterns, all of the rule's patterns together, `!` negates), then the
head branch, then the title, then the body (each a list of `/regex/flags` or plain strings,
JavaScript semantics, any one matching)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from release.drafter import Autolabel
from release.drafter_regex import ignores


@dataclass(frozen=True)
class PullRequestFacts:
    branch: str
    title: str
    body: str | None
    files: tuple[str, ...]


@dataclass(frozen=True)
class Match:
    label: str
    source: str  # files | branch | title | body
    detail: str  # the file or the pattern that matched


def autolabel(rules: Sequence[Autolabel], pr: PullRequestFacts) -> list[Match]:
    """One Match per label the rules add (a label once, at its first rule)."""
    out: dict[str, Match] = {}
    for rule in rules:
        match = _first_match(rule, pr)
        if match is not None and rule.label not in out:
            out[rule.label] = match
    return list(out.values())


def _first_match(rule: Autolabel, pr: PullRequestFacts) -> Match | None:
    if rule.files:
        for path in pr.files:
            if ignores(list(rule.files), path):
                return Match(rule.label, "files", path)
    for source, text, patterns in (
        ("branch", pr.branch, rule.branch),
        ("title", pr.title, rule.title),
        ("body", pr.body, rule.body),
    ):
        if text is None:
            continue
        for regex in patterns:
            if regex.test(text):
                return Match(rule.label, source, regex.source)
    return None
