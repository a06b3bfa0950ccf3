"""Release notes from merged pull requests: categories, version resolution, contributors,
templates and the gate snapshot. Pure functions over plain data (docs/reference.md#notes).

Keys follow release-drafter where they mean the same (`categories`, `exclude-labels`,
`change-template`, `template`, `version-resolver`, `replacers`), so an existing
`.github/release-drafter.yml` section can be moved under `notes:` mostly unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

SNAPSHOT_MARKER = "<!-- ROI_SNAPSHOT_BLOCK -->"

DEFAULT_CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Breaking changes", ("breaking", "major")),
    ("Features", ("feature", "enhancement")),
    ("Bug Fixes", ("bug", "fix")),
    ("Maintenance", ("chore", "ci", "build", "refactor", "docs", "test", "perf", "dependencies")),
)
DEFAULT_EXCLUDE_LABELS = ("skip-changelog",)
DEFAULT_CHANGE_TEMPLATE = "- $TITLE (#$NUMBER) @$AUTHOR"
DEFAULT_VERSION_RESOLVER: Mapping[str, tuple[str, ...]] = {
    "major": ("breaking", "major"),
    "minor": ("feature", "enhancement", "minor"),
    "patch": ("bug", "fix", "patch"),
}
DEFAULT_TEMPLATE = """\
## Highlights

$HIGHLIGHTS

## What's changed

$CHANGES

## Deployment

$DEPLOYMENT

## Monitoring

<!-- ROI_SNAPSHOT_BLOCK -->

## Contributors

$CONTRIBUTORS

**Full changelog**: $FULL_CHANGELOG
"""

# Conventional-commit title: type(scope)!: subject
_CONVENTIONAL = re.compile(
    r"^(?P<type>[a-zA-Z]+)(?:\((?P<scope>[^)]*)\))?(?P<bang>!)?:\s*(?P<subject>.+)$"
)
_FEATURE_TYPES = {"feat", "feature"}
_FIX_TYPES = {"fix", "bugfix", "hotfix"}
_SEMVER = re.compile(
    r"^(?P<prefix>[vV]?)(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
    r"(?P<rest>[-+].*)?$"
)


@dataclass(frozen=True)
class PullRequest:
    number: int
    title: str
    author: str
    url: str = ""
    labels: tuple[str, ...] = ()
    body: str = ""
    author_is_bot: bool = False
    first_time: bool = False
    merged_at: str | None = None

    @classmethod
    def from_github(cls, data: Mapping[str, Any]) -> PullRequest:
        """From a REST `pulls` object (as `--prs-json` holds) or an equivalent dict.

        First-timers: `author_association` FIRST_TIME_CONTRIBUTOR/FIRST_TIMER, or
        `first_time_contributor: true` (set by the GitHub adapter from the author's history)."""
        user = data.get("user") or data.get("author") or {}
        login = str(user.get("login") or "ghost")
        user_type = str(user.get("type") or user.get("__typename") or "")
        labels = data.get("labels") or []
        if isinstance(labels, Mapping):  # GraphQL `labels { nodes { name } }`
            labels = labels.get("nodes") or []
        names = tuple(str(lb.get("name") if isinstance(lb, Mapping) else lb) for lb in labels)
        association = str(data.get("author_association") or data.get("authorAssociation") or "")
        return cls(
            number=int(data["number"]),
            title=str(data.get("title") or ""),
            author=login,
            url=str(data.get("html_url") or data.get("url") or ""),
            labels=names,
            body=str(data.get("body") or ""),
            author_is_bot=user_type == "Bot" or login.endswith("[bot]"),
            first_time=association in {"FIRST_TIME_CONTRIBUTOR", "FIRST_TIMER"}
            or data.get("first_time_contributor") is True,
            merged_at=data.get("merged_at") or data.get("mergedAt"),
        )


class NotesConfigError(ValueError):
    """A bad value in the `notes:` section; `key` is its path inside the section."""

    def __init__(self, message: str, key: tuple[str | int, ...]) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class Category:
    title: str
    labels: tuple[str, ...]


@dataclass(frozen=True)
class NotesConfig:
    categories: tuple[Category, ...] = tuple(Category(t, ls) for t, ls in DEFAULT_CATEGORIES)
    exclude_labels: tuple[str, ...] = DEFAULT_EXCLUDE_LABELS
    change_template: str = DEFAULT_CHANGE_TEMPLATE
    template: str = DEFAULT_TEMPLATE
    version_resolver: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: dict(DEFAULT_VERSION_RESOLVER)
    )
    default_bump: str = "patch"
    replacers: tuple[tuple[str, str], ...] = ()
    uncategorized_title: str = "Other changes"

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> NotesConfig:
        """From the `notes:` config section (already schema-validated); NotesConfigError for
        a value the schema cannot judge (a replacer's regex)."""
        kwargs: dict[str, Any] = {}
        if "categories" in data:
            kwargs["categories"] = tuple(
                Category(str(c["title"]), tuple(_as_list(c.get("labels", c.get("label", [])))))
                for c in data["categories"]
            )
        if "exclude-labels" in data:
            kwargs["exclude_labels"] = tuple(data["exclude-labels"])
        if "change-template" in data:
            kwargs["change_template"] = str(data["change-template"])
        if "template" in data:
            kwargs["template"] = str(data["template"])
        resolver = data.get("version-resolver")
        if resolver:
            merged = dict(DEFAULT_VERSION_RESOLVER)
            for level in ("major", "minor", "patch"):
                if level in resolver:
                    merged[level] = tuple(_as_list(resolver[level].get("labels", [])))
            kwargs["version_resolver"] = merged
            kwargs["default_bump"] = str(resolver.get("default", "patch"))
        if "replacers" in data:
            kwargs["replacers"] = tuple(
                (str(r["search"]), str(r["replace"])) for r in data["replacers"]
            )
            for index, (search, replace) in enumerate(kwargs["replacers"]):
                try:
                    Replacer.parse(search, replace)
                except ValueError as exc:
                    raise NotesConfigError(
                        f"{search!r}: {exc}", ("replacers", index, "search")
                    ) from None
        return cls(**kwargs)


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


@dataclass(frozen=True)
class Conventional:
    type: str
    scope: str | None
    breaking: bool
    subject: str


def parse_conventional(title: str, body: str = "") -> Conventional | None:
    """`feat(api)!: x` → Conventional('feat', 'api', True, 'x'); None when not conventional."""
    match = _CONVENTIONAL.match(title.strip())
    if not match:
        return None
    breaking = bool(match.group("bang")) or "BREAKING CHANGE" in body or "BREAKING-CHANGE" in body
    return Conventional(
        match.group("type").lower(), match.group("scope"), breaking, match.group("subject")
    )


def category_of(pr: PullRequest, config: NotesConfig) -> str | None:
    """The first category whose labels the PR carries; else the conventional-commit fallback;
    None when neither applies (the PR goes under the uncategorised title)."""
    labels = {label.lower() for label in pr.labels}
    for category in config.categories:
        if labels & {label.lower() for label in category.labels}:
            return category.title
    conventional = parse_conventional(pr.title, pr.body)
    if conventional is None:
        return None
    if conventional.breaking:
        wanted = "breaking"
    elif conventional.type in _FEATURE_TYPES:
        wanted = "feature"
    elif conventional.type in _FIX_TYPES:
        wanted = "fix"
    else:
        wanted = conventional.type
    for category in config.categories:
        if wanted in {label.lower() for label in category.labels}:
            return category.title
    # Other conventional types (docs, chore, ci…) fall back to the maintenance-like category:
    # the last configured one, as release-drafter users usually order them.
    return config.categories[-1].title if config.categories and not conventional.breaking else None


def is_excluded(pr: PullRequest, config: NotesConfig) -> bool:
    excluded = {label.lower() for label in config.exclude_labels}
    return any(label.lower() in excluded for label in pr.labels)


def categorize(
    prs: Iterable[PullRequest], config: NotesConfig
) -> list[tuple[str, list[PullRequest]]]:
    """Categories in configured order (empty ones left out), then the uncategorised PRs."""
    buckets: dict[str, list[PullRequest]] = {c.title: [] for c in config.categories}
    other: list[PullRequest] = []
    for pr in sorted(prs, key=lambda p: p.number):
        if is_excluded(pr, config):
            continue
        title = category_of(pr, config)
        if title is not None and title in buckets:
            buckets[title].append(pr)
        else:
            other.append(pr)
    out = [(title, items) for title, items in buckets.items() if items]
    if other:
        out.append((config.uncategorized_title, other))
    return out


def bump_of(prs: Iterable[PullRequest], config: NotesConfig) -> str:
    """major / minor / patch from labels, else from conventional commits, else the default."""
    levels = {"major": 3, "minor": 2, "patch": 1}
    best = 0
    for pr in prs:
        if is_excluded(pr, config):
            continue
        labels = {label.lower() for label in pr.labels}
        for level in ("major", "minor", "patch"):
            if labels & {label.lower() for label in config.version_resolver.get(level, ())}:
                best = max(best, levels[level])
                break
        else:
            conventional = parse_conventional(pr.title, pr.body)
            if conventional is not None:
                if conventional.breaking:
                    best = max(best, 3)
                elif conventional.type in _FEATURE_TYPES:
                    best = max(best, 2)
                else:
                    best = max(best, 1)
    if best == 0:
        return config.default_bump
    return {3: "major", 2: "minor", 1: "patch"}[best]


def next_version(previous_tag: str | None, bump: str) -> str:
    """The next semantic version, keeping the previous tag's `v` prefix.

    Pre-1.0 rule (as Cargo and release-please's `bump-minor-pre-major`): in 0.y.z a breaking
    change bumps y, never to 1.0.0 on its own — 1.0.0 is a deliberate `--tag`.
    With no previous tag the first version is v0.1.0.
    """
    if not previous_tag:
        return "v0.1.0"
    match = _SEMVER.match(previous_tag.strip())
    if not match:
        raise ValueError(f"previous tag {previous_tag!r} is not a semantic version (vX.Y.Z)")
    prefix = match.group("prefix")
    major, minor, patch = (int(match.group(k)) for k in ("major", "minor", "patch"))
    if match.group("rest") and match.group("rest").startswith("-"):
        # A pre-release tag (v1.2.0-rc.1) resolves to its release (v1.2.0).
        return f"{prefix}{major}.{minor}.{patch}"
    if bump == "major" and major == 0:
        bump = "minor"
    if bump == "major":
        return f"{prefix}{major + 1}.0.0"
    if bump == "minor":
        return f"{prefix}{major}.{minor + 1}.0"
    return f"{prefix}{major}.{minor}.{patch + 1}"


_TEMPLATE_VAR = re.compile(r"\$([A-Z_]+)")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#~])")


def escape_markdown(text: str) -> str:
    """Escape characters that would turn a PR title into formatting, links or HTML.
    `@` is broken with a zero-width joiner so a title never pings anyone."""
    escaped = _MD_SPECIAL.sub(r"\\\1", text.replace("\r", " ").replace("\n", " "))
    return escaped.replace("@", "@\u200b")


def render_change(pr: PullRequest, template: str) -> str:
    return (
        template.replace("$TITLE", escape_markdown(pr.title))
        .replace("$NUMBER", str(pr.number))
        .replace("$AUTHOR", pr.author)
        .replace("$URL", pr.url)
    )


@dataclass(frozen=True)
class Contributors:
    humans: tuple[str, ...]
    bots: tuple[str, ...]
    first_time: tuple[str, ...]


def contributors_of(prs: Iterable[PullRequest], config: NotesConfig) -> Contributors:
    humans: dict[str, None] = {}
    bots: dict[str, None] = {}
    first: dict[str, None] = {}
    for pr in sorted(prs, key=lambda p: p.number):
        if is_excluded(pr, config):
            continue
        (bots if pr.author_is_bot else humans)[pr.author] = None
        if pr.first_time and not pr.author_is_bot:
            first[pr.author] = None
    return Contributors(
        tuple(sorted(humans, key=str.lower)),
        tuple(sorted(bots, key=str.lower)),
        tuple(sorted(first, key=str.lower)),
    )


def render_contributors(people: Contributors) -> str:
    if not people.humans and not people.bots:
        return "No contributors in this range."
    lines = []
    if people.humans:
        lines.append(", ".join(f"@{login}" for login in people.humans))
    if people.first_time:
        lines.append("")
        lines.append(
            "First-time contributors: " + ", ".join(f"@{x}" for x in people.first_time) + " 🎉"
        )
    if people.bots:
        lines.append("")
        lines.append("Bots: " + ", ".join(people.bots))
    return "\n".join(lines)


def render_changes(
    sections: Sequence[tuple[str, Sequence[PullRequest]]], config: NotesConfig
) -> str:
    if not sections:
        return "No changes."
    blocks = []
    for title, prs in sections:
        lines = [f"### {title}", ""] + [render_change(pr, config.change_template) for pr in prs]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def render_highlights(
    sections: Sequence[tuple[str, Sequence[PullRequest]]], prs: Sequence[PullRequest]
) -> str:
    """PRs labelled `highlight`; else the breaking changes and features (at most five)."""
    marked = [pr for pr in prs if "highlight" in {label.lower() for label in pr.labels}]
    if not marked:
        for title, items in sections:
            if title in ("Breaking changes", "Features"):
                marked.extend(items)
    if not marked:
        return "Maintenance and fixes only."
    return "\n".join(f"- {escape_markdown(pr.title)} (#{pr.number})" for pr in marked[:5])


@dataclass(frozen=True)
class Asset:
    """A file attached to the release, with its Sigstore bundle when it was signed."""

    name: str
    bundle: str | None = None


def render_deployment(
    version: str, repository: str | None, assets: Sequence[Asset], *, workflow: str | None = None
) -> str:
    """Version line plus a "Verifying" subsection with exact commands for each signed asset."""
    lines = [f"Version `{version}`."]
    signed = [a for a in assets if a.bundle]
    if assets:
        lines += ["", "Assets: " + ", ".join(f"`{a.name}`" for a in assets)]
    if signed and repository:
        lines += [
            "",
            "### Verifying",
            "",
            "Each signed asset comes with a Sigstore bundle:",
            "",
            "```sh",
        ]
        for asset in signed:
            wf = f" --workflow {workflow}" if workflow else ""
            lines.append(
                f"lumen verify --bundle {asset.bundle} --repository {repository} "
                f"--ref {version}{wf} {asset.name}"
            )
            lines.append(
                f"sigstore verify github --bundle {asset.bundle} --repository {repository} "
                f"--ref refs/tags/{version} {asset.name}"
            )
        lines.append("```")
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.3f}"
    return "—" if value is None else str(value)


def snapshot_table(results: Sequence[Mapping[str, Any]]) -> str:
    """The gate snapshot: one row per gate with its verdict and headline values."""
    headline = {
        "roi": ("success_rate", "rollback_rate", "deploys"),
        "maturity": ("overall", "sense", "feedback", "release"),
        "slo": ("error_rate", "burn_rate"),
        "integrated": ("score",),
    }
    lines = ["| Gate | Verdict | Values |", "|---|---|---|"]
    for result in results:
        gate = str(result.get("gate", "?"))
        verdict = str(result.get("verdict") or result.get("status") or "NO_DATA")
        values: list[str] = []
        block = result.get(gate)
        if isinstance(block, Mapping):
            for key in headline.get(gate, tuple(block)[:4]):
                if key in block and not isinstance(block[key], Mapping | list):
                    values.append(f"{key} {_fmt(block[key])}")
        if gate == "integrated":
            for sub, keys in (("maturity", ("overall",)), ("roi_slo", ("score", "slo_burn_rate"))):
                inner = result.get(sub)
                if isinstance(inner, Mapping):
                    values += [f"{sub}.{k} {_fmt(inner[k])}" for k in keys if k in inner]
        if not values:
            values = [
                f"{c.get('name')} {_fmt(c.get('value'))}" for c in (result.get("checks") or [])[:4]
            ]
        lines.append(f"| {gate} | {verdict} | {escape_markdown(', '.join(values)) or '—'} |")
    return "\n".join(lines)


def insert_snapshot(body: str, snapshot: str) -> str:
    """Replace the marker with the snapshot; with no marker, append a Gate snapshot section."""
    if SNAPSHOT_MARKER in body:
        return body.replace(SNAPSHOT_MARKER, snapshot, 1)
    return body.rstrip("\n") + "\n\n## Gate snapshot\n\n" + snapshot + "\n"


_REGEX_LITERAL = re.compile(r"^/(?P<pattern>.+)/(?P<flags>[a-z]*)$", re.DOTALL)
_JS_REPLACEMENT = re.compile(r"\$\$|\$&|\$(\d{1,2})|\\(\d{1,2})")


@dataclass(frozen=True)
class Replacer:
    """A release-drafter replacer: `search` is a plain string (every occurrence) or a
    JavaScript-style `/regex/flags` (`g` every match, else the first; `i` ignores case;
    `m`, `s` as in JavaScript). `replace` may use `$1`…`$99`, `$&` (the match) and `$$`
    as in JavaScript (and Python's `\\1`)."""

    search: str
    replace: str
    regex: re.Pattern[str] | None
    every: bool

    @classmethod
    def parse(cls, search: str, replace: str) -> Replacer:
        """Raises ValueError for a regex that does not compile or an unknown flag."""
        literal = _REGEX_LITERAL.match(search)
        if literal is None:
            return cls(search, replace, None, True)
        flags = literal.group("flags")
        unknown = set(flags) - set("gims")
        if unknown:
            raise ValueError(
                f"unknown regex flag {''.join(sorted(unknown))!r} (expected g, i, m, s)"
            )
        value = 0
        value |= re.IGNORECASE if "i" in flags else 0
        value |= re.MULTILINE if "m" in flags else 0
        value |= re.DOTALL if "s" in flags else 0
        try:
            regex = re.compile(literal.group("pattern"), value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression ({exc})") from None
        return cls(search, replace, regex, "g" in flags)

    def apply(self, text: str) -> str:
        if self.regex is None:
            return text.replace(self.search, self.replace)

        def expand(match: re.Match[str]) -> str:
            def one(token: re.Match[str]) -> str:
                if token.group(0) == "$$":
                    return "$"
                if token.group(0) == "$&":
                    return match.group(0)
                index = int(token.group(1) or token.group(2))
                if index > (self.regex.groups if self.regex else 0):
                    return token.group(0)  # as JavaScript: no such group, the text stays
                return match.group(index) or ""

            return _JS_REPLACEMENT.sub(one, self.replace)

        return self.regex.sub(expand, text, count=0 if self.every else 1)


def apply_replacers(text: str, replacers: Iterable[tuple[str, str]]) -> str:
    for search, replace in replacers:
        text = Replacer.parse(search, replace).apply(text)
    return text


@dataclass(frozen=True)
class ReleaseNotes:
    version: str
    body: str
    bump: str
    sections: tuple[tuple[str, tuple[int, ...]], ...]
    contributors: Contributors


def build_notes(
    prs: Sequence[PullRequest],
    config: NotesConfig,
    *,
    previous_tag: str | None,
    tag: str | None = None,
    repository: str | None = None,
    server_url: str = "https://github.com",
    assets: Sequence[Asset] = (),
    snapshot: str | None = None,
    sbom_diff: str | None = None,
    workflow: str | None = None,
) -> ReleaseNotes:
    """Everything that goes into the release body, from plain data."""
    sections = categorize(prs, config)
    bump = bump_of(prs, config)
    version = tag or next_version(previous_tag, bump)
    people = contributors_of(prs, config)
    compare = (
        f"{server_url}/{repository}/compare/{previous_tag}...{version}"
        if repository and previous_tag
        else (f"{server_url}/{repository}/commits/{version}" if repository else version)
    )
    changes = render_changes(sections, config)
    if sbom_diff:
        changes += "\n\n### Dependency changes\n\n" + sbom_diff
    variables = {
        "CHANGES": changes,
        "HIGHLIGHTS": render_highlights(sections, prs),
        "DEPLOYMENT": render_deployment(version, repository, assets, workflow=workflow),
        "CONTRIBUTORS": render_contributors(people),
        "PREVIOUS_TAG": previous_tag or "",
        "RESOLVED_VERSION": version,
        "NEXT_PATCH_VERSION": next_version(previous_tag, "patch"),
        "NEXT_MINOR_VERSION": next_version(previous_tag, "minor"),
        "NEXT_MAJOR_VERSION": next_version(previous_tag, "major"),
        "FULL_CHANGELOG": compare,
    }
    # One pass over the template only: a PR title that contains "$CONTRIBUTORS" stays text.
    body = _TEMPLATE_VAR.sub(lambda m: variables.get(m.group(1), m.group(0)), config.template)
    if snapshot is not None:
        body = insert_snapshot(body, snapshot)
    body = apply_replacers(body, config.replacers)
    return ReleaseNotes(
        version=version,
        body=body if body.endswith("\n") else body + "\n",
        bump=bump,
        sections=tuple((title, tuple(pr.number for pr in items)) for title, items in sections),
        contributors=people,
    )
