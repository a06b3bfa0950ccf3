"""release-drafter, reproduced: its configuration file read unchanged, and the release body,
name and tag it would write for the same pull requests, releases and action inputs, byte for
byte. Pure functions over plain data; the GitHub side lives in `lumen.adapters`.

Behaviour follows release-drafter's implementation (lib/releases.js, lib/versions.js,
lib/commits.js, lib/template.js, lib/sort-pull-requests.js) including its quirks: the body is
templated twice (changes and contributors first, then version variables), replacers run after
the first pass only, `$RESOLVED_VERSION` without a previous release is `0.1.0`, an override
`tag`/`name` containing variables is expanded, a title is sorted by UTF-16 code units.

Keys of its schema that only steer its own runtime (`references`/`branches`, `latest`,
`pull-request-limit`, `history-limit`, ...) are accepted; what each does here is in
`RUNTIME_KEYS` and the notes documentation.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from release.drafter_regex import JsRegex, JsRegexError, ignores, replace_pattern
from release.drafter_semver import NotAVersion, SemVer, coerce, compare_versions, inc, parse

# release-drafter's own defaults (its config schema): part of the compatibility contract,
# not Lumen policy, so they live with the code that reproduces it.
DRAFTER_DEFAULTS: Mapping[str, Any] = {
    "change-template": "* $TITLE (#$NUMBER) $AUTHORS",
    "change-author-template": "$AUTHOR_MENTION",
    "change-authors-separator": ", ",
    "change-title-escapes": "",
    "no-changes-template": "* No changes",
    "version-template": "$MAJOR.$MINOR.$PATCH$PRERELEASE",
    "name-template": "",
    "tag-prefix": "",
    "tag-template": "",
    "new-contributor-template": "* $AUTHOR_MENTION made their first contribution in #$NUMBER",
    "no-new-contributor-template": "* No new contributors",
    "no-contributors-template": "No contributors",
    "sort-by": "merged_at",
    "sort-direction": "descending",
    "pull-request-limit": 5,
    "history-limit": 15,
    "category-template": "## $TITLE",
    "header": "",
    "footer": "",
    "prerelease-identifier": "",
    "commitish": "",
    "filter-by-range": "",
}

# Every key of release-drafter's config schema (current and deprecated), and the keys of
# the same file its autolabeler and older versions read.
KNOWN_KEYS = frozenset(
    {
        *DRAFTER_DEFAULTS,
        "template",
        "change-authors-final-separator",
        "exclude-labels",
        "include-labels",
        "include-paths",
        "exclude-paths",
        "exclude-contributors",
        "filter-by-commitish",
        "replacers",
        "categories",
        "version-resolver",
        "latest",
        "prerelease",
        "include-pre-releases",
        "autolabeler",
        "references",
        "branches",
        "_extends",
    }
)

# Keys that steer release-drafter's own runtime, and what Lumen does with each.
RUNTIME_KEYS: Mapping[str, str] = {
    "references": "accepted; the workflow's `on:` filter decides which refs run `lumen notes`",
    "branches": "accepted (release-drafter's old name of `references`)",
    "latest": "the result's `make_latest`, used when publishing",
    "pull-request-limit": "associated pull requests read per commit (GraphQL page size)",
    "history-limit": "accepted; Lumen reads 100 commits a GraphQL page (fewer requests)",
    "commitish": "the target: the comparison's head and the release's target_commitish",
    "_extends": "this repository's files from the working tree, others' through the API",
    "autolabeler": "used by `lumen autolabel`, not by `lumen notes`",
}

_TEMPLATE_VAR = re.compile(r"(\$[A-Z_]+)")
_LEVELS = ("major", "minor", "patch")
_PRIORITY = {"patch": 1, "minor": 2, "major": 3}

# The note release-drafter adds when there is no previous release to compare with.
LAST_RELEASE_NOT_FOUND = (
    "> [!WARNING]\n"
    "> Release Drafter could not find a previous **published release** for "
    "`$OWNER/$REPOSITORY`. This draft was created **without a comparison baseline**.\n"
    "\n"
    "> [!IMPORTANT]\n"
    "> Treat this draft as a manual starting point.\n"
    "> Review the proposed version, tag, and notes before publishing.\n"
    "\n"
    "If you did not expect this to happen, [open an issue]"
    "(https://github.com/release-drafter/release-drafter/issues/new"
    "?template=previous-published-release-not-found.yml).\n"
)


class DrafterConfigError(ValueError):
    """A value release-drafter's schema rejects; `key` is its path in the file."""

    def __init__(self, message: str, key: tuple[str | int, ...], expected: str) -> None:
        super().__init__(message)
        self.key = key
        self.expected = expected


# --- the configuration ------------------------------------------------------------------

_LABELS_MODES = ("any", "all", "only", "exactly")
_CATEGORY_TYPES = ("changelog", "pre-include", "pre-exclude", "version-resolver")


@dataclass(frozen=True)
class Conventional:
    """A conventional-commit title predicate (`feat(api)!: ...`)."""

    types: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    breaking: bool | None = None


@dataclass(frozen=True)
class Condition:
    """One `when` condition: every predicate it has must hold (AND)."""

    labels: tuple[str, ...] = ()
    labels_mode: str = "any"
    paths: tuple[str, ...] = ()
    paths_mode: str = "any"
    conventional: Conventional | None = None


@dataclass(frozen=True)
class Category:
    """A category after release-drafter's parseCategories: a `when` list (OR of conditions;
    empty = every change), the deprecated `label(s)` folded into each condition."""

    type: str = "changelog"
    title: str | None = None
    when: tuple[Condition, ...] = ()
    collapse_after: int = -1
    semver_increment: str = "patch"
    exclusive: bool = False

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(label for c in self.when for label in c.labels)


@dataclass(frozen=True)
class Replacer:
    search: JsRegex
    replace: str


@dataclass(frozen=True)
class Autolabel:
    label: str
    files: tuple[str, ...] = ()
    branch: tuple[JsRegex, ...] = ()
    title: tuple[JsRegex, ...] = ()
    body: tuple[JsRegex, ...] = ()


@dataclass(frozen=True)
class DrafterConfig:
    """A parsed release-drafter config (its schema's defaults filled in). `latest`,
    `prerelease`, `include_pre_releases` stay None when unset: inputs may set them."""

    template: str = ""
    header: str = ""
    footer: str = ""
    change_template: str = DRAFTER_DEFAULTS["change-template"]
    change_author_template: str = DRAFTER_DEFAULTS["change-author-template"]
    change_authors_separator: str = DRAFTER_DEFAULTS["change-authors-separator"]
    change_authors_final_separator: str | None = None
    change_title_escapes: str = ""
    no_changes_template: str = DRAFTER_DEFAULTS["no-changes-template"]
    version_template: str = DRAFTER_DEFAULTS["version-template"]
    name_template: str = ""
    tag_prefix: str = ""
    tag_template: str = ""
    exclude_contributors: tuple[str, ...] = ()
    new_contributor_template: str = DRAFTER_DEFAULTS["new-contributor-template"]
    no_new_contributor_template: str = DRAFTER_DEFAULTS["no-new-contributor-template"]
    no_contributors_template: str = DRAFTER_DEFAULTS["no-contributors-template"]
    sort_by: str = "merged_at"
    sort_direction: str = "descending"
    filter_by_commitish: bool = False
    pull_request_limit: int = 5
    history_limit: int = 15
    replacers: tuple[Replacer, ...] = ()
    categories: tuple[Category, ...] = ()
    category_template: str = DRAFTER_DEFAULTS["category-template"]
    latest: bool | None = None
    prerelease: bool | None = None
    prerelease_identifier: str = ""
    include_pre_releases: bool | None = None
    commitish: str = ""
    filter_by_range: str = ""
    autolabeler: tuple[Autolabel, ...] = ()
    references: tuple[str, ...] = ()
    extends: str | None = None
    # Path filters as written (include-paths / exclude-paths), for the GitHub reads.
    include_paths: tuple[str, ...] = ()
    exclude_paths: tuple[str, ...] = ()
    # What was dropped or is deprecated, for the command to report (never fatal).
    warnings: tuple[str, ...] = ()

    def with_inputs(self, inputs: Mapping[str, str], default_commitish: str = "") -> DrafterConfig:
        """release-drafter's mergeInputAndConfig: action inputs over config keys, then the
        defaults (`commitish` = the event's ref, `latest` true, `prerelease` false) and the
        release-mode rules (a pre-release is never latest; an identifier implies prerelease)."""
        changes: dict[str, Any] = {}
        for key in ("commitish", "header", "footer", "prerelease-identifier", "filter-by-range"):
            if inputs.get(key):
                changes[key.replace("-", "_")] = inputs[key]
        for key in ("prerelease", "include-pre-releases", "latest"):
            value = parse_stringbool(inputs.get(key))
            if value is not None:
                changes[key.replace("-", "_")] = value
        merged = replace(self, **changes)
        latest = merged.latest if merged.latest is not None else None
        prerelease = merged.prerelease
        if latest and prerelease:
            latest = False
        input_prerelease = parse_stringbool(inputs.get("prerelease")) is not None
        if (
            merged.prerelease_identifier
            and not prerelease
            and (not input_prerelease or bool(inputs.get("prerelease-identifier")))
        ):
            prerelease = True
        return replace(
            merged,
            commitish=merged.commitish or default_commitish,
            latest=True if latest is None else latest,
            prerelease=False if prerelease is None else prerelease,
        )


_TRUE = ("true", "1", "yes", "on", "y", "enabled")
_FALSE = ("false", "0", "no", "off", "n", "disabled")


def parse_stringbool(value: object) -> bool | None:
    """zod's stringbool (as release-drafter reads boolean inputs); None when unset."""
    if isinstance(value, bool):
        return value
    if value is None or value == "":
        return None
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise DrafterConfigError(
        f"{value!r} is not a boolean", (), "true or false (yes/no, on/off, 1/0)"
    )


def _path(*parts: str | int) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _optional_string(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool | list | dict):
        raise DrafterConfigError(f"{key} must be a string", (key,), "a string")
    return str(value)


def _string(data: Mapping[str, Any], key: str) -> str:
    value = _optional_string(data, key)
    return str(DRAFTER_DEFAULTS.get(key, "")) if value is None else value


def _strings(
    value: Any, key: tuple[str | int, ...], *, single: bool = False, min1: bool = False
) -> tuple[str, ...]:
    if value is None:
        return ()
    if single and isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise DrafterConfigError(f"{_path(*key)} must be a list of strings", key, "a list")
    out = []
    for index, item in enumerate(value):
        if not isinstance(item, str | int | float) or isinstance(item, bool):
            raise DrafterConfigError(
                f"{_path(*key, index)} must be a string", (*key, index), "a string"
            )
        if min1 and str(item) == "":
            raise DrafterConfigError(
                f"{_path(*key, index)} must not be empty", (*key, index), "a non-empty string"
            )
        out.append(str(item))
    return tuple(out)


def _boolish(data: Mapping[str, Any], key: str) -> bool | None:
    try:
        return parse_stringbool(data.get(key))
    except DrafterConfigError:
        raise DrafterConfigError(f"{key} must be true or false", (key,), "a boolean") from None


def _boolean(data: Mapping[str, Any], key: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise DrafterConfigError(f"{key} must be true or false", (key,), "a boolean")
    return value


def _positive(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key, DRAFTER_DEFAULTS[key])
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise DrafterConfigError(f"{key} must be a positive integer", (key,), "an integer > 0")
    return value


def _choice(data: Mapping[str, Any], key: str, choices: Sequence[str]) -> str:
    value = data.get(key, DRAFTER_DEFAULTS[key])
    if value not in choices:
        raise DrafterConfigError(
            f"{key} must be one of {', '.join(choices)}", (key,), " or ".join(choices)
        )
    return str(value)


def parse_config(data: Mapping[str, Any]) -> DrafterConfig:
    """A release-drafter config mapping → DrafterConfig, as its schema and parseCategories
    read it. DrafterConfigError where release-drafter fails the run; keys it does not know
    are accepted (its schema strips them) and listed in `warnings`; a replacer or
    autolabeler regex JavaScript rejects is dropped with a warning, as it does."""
    if not isinstance(data, Mapping):
        raise DrafterConfigError("the file must be a mapping of keys", (), "a mapping")
    warnings: list[str] = []
    for key in data:
        if key not in KNOWN_KEYS:
            warnings.append(f"{key}: not a release-drafter key; ignored")
    template = data.get("template", "")
    if not isinstance(template, str):
        raise DrafterConfigError("template must be a string", ("template",), "a string")
    final = data.get("change-authors-final-separator")
    extends = data.get("_extends")
    if isinstance(extends, Mapping):
        extends = extends.get("from")
    extends = None if extends is None or str(extends).strip() == "" else str(extends).strip()
    include_labels = _strings(data.get("include-labels"), ("include-labels",))
    exclude_labels = _strings(data.get("exclude-labels"), ("exclude-labels",))
    include_paths = _strings(data.get("include-paths"), ("include-paths",))
    exclude_paths = _strings(data.get("exclude-paths"), ("exclude-paths",))
    categories = list(_categories(data.get("categories"), warnings))
    categories += _migrated_categories(
        data,
        categories,
        include_labels=include_labels,
        exclude_labels=exclude_labels,
        include_paths=include_paths,
        exclude_paths=exclude_paths,
        warnings=warnings,
    )
    _validate_categories(categories)
    filter_by_range = _string(data, "filter-by-range")
    if filter_by_range and not valid_range(filter_by_range):
        raise DrafterConfigError(
            f"'filter-by-range' value \"{filter_by_range}\" could not be parsed as a valid "
            "semver range.",
            ("filter-by-range",),
            "a semver range (e.g. >=2.0.0 <3)",
        )
    return DrafterConfig(
        template=template,
        header=_string(data, "header"),
        footer=_string(data, "footer"),
        change_template=_string(data, "change-template"),
        change_author_template=_string(data, "change-author-template"),
        change_authors_separator=_string(data, "change-authors-separator"),
        change_authors_final_separator=None if final is None else str(final),
        change_title_escapes=_string(data, "change-title-escapes"),
        no_changes_template=_string(data, "no-changes-template"),
        version_template=_string(data, "version-template"),
        name_template=_string(data, "name-template"),
        tag_prefix=_string(data, "tag-prefix"),
        tag_template=_string(data, "tag-template"),
        exclude_contributors=_strings(data.get("exclude-contributors"), ("exclude-contributors",)),
        new_contributor_template=_string(data, "new-contributor-template"),
        no_new_contributor_template=_string(data, "no-new-contributor-template"),
        no_contributors_template=_string(data, "no-contributors-template"),
        sort_by=_choice(data, "sort-by", ("merged_at", "title")),
        sort_direction=_choice(data, "sort-direction", ("ascending", "descending")),
        filter_by_commitish=_boolean(data, "filter-by-commitish"),
        pull_request_limit=_positive(data, "pull-request-limit"),
        history_limit=_positive(data, "history-limit"),
        replacers=tuple(_replacers(data.get("replacers"), warnings)),
        categories=tuple(categories),
        category_template=_string(data, "category-template"),
        latest=_boolish(data, "latest"),
        prerelease=_boolish(data, "prerelease"),
        prerelease_identifier=_string(data, "prerelease-identifier"),
        include_pre_releases=_boolish(data, "include-pre-releases"),
        commitish=_string(data, "commitish"),
        filter_by_range=filter_by_range,
        autolabeler=tuple(_autolabeler(data.get("autolabeler"), warnings)),
        references=_strings(data.get("references", data.get("branches")), ("references",)),
        extends=extends,
        include_paths=include_paths,
        exclude_paths=exclude_paths,
        warnings=tuple(warnings),
    )


def _conventional(value: Any, where: tuple[str | int, ...]) -> Conventional | None:
    if value is None or value is False:
        return None
    if value is True:
        return Conventional()
    if not isinstance(value, Mapping):
        raise DrafterConfigError(f"{_path(*where)} must be a mapping", where, "a mapping")
    types = (
        (str(value["type"]),)
        if isinstance(value.get("type"), str)
        else tuple(dict.fromkeys(_strings(value.get("types"), (*where, "types"))))
    )
    scopes = (
        (str(value["scope"]),)
        if isinstance(value.get("scope"), str)
        else tuple(dict.fromkeys(_strings(value.get("scopes"), (*where, "scopes"))))
    )
    breaking = value.get("breaking")
    if breaking is not None and not isinstance(breaking, bool):
        raise DrafterConfigError(
            f"{_path(*where, 'breaking')} must be true or false", (*where, "breaking"), "a boolean"
        )
    if not types and not scopes and breaking is None:
        return None
    return Conventional(types, scopes, breaking)


def _condition(
    raw: Any, deprecated: tuple[str, ...], where: tuple[str | int, ...]
) -> Condition | None:
    if not isinstance(raw, Mapping):
        raise DrafterConfigError(f"{_path(*where)} must be a mapping", where, "a mapping")
    labels_mode = raw.get("labels-mode", "any")
    paths_mode = raw.get("paths-mode", "any")
    for key, mode in (("labels-mode", labels_mode), ("paths-mode", paths_mode)):
        if mode not in _LABELS_MODES:
            raise DrafterConfigError(
                f"{_path(*where, key)} must be one of {', '.join(_LABELS_MODES)}",
                (*where, key),
                " or ".join(_LABELS_MODES),
            )
    label = raw.get("label")
    path = raw.get("path")
    condition = Condition(
        labels=(
            *deprecated,
            *_strings(raw.get("labels"), (*where, "labels"), min1=True),
            *([str(label)] if label else []),
        ),
        labels_mode=str(labels_mode),
        paths=(
            *_strings(raw.get("paths"), (*where, "paths"), min1=True),
            *([str(path)] if path else []),
        ),
        paths_mode=str(paths_mode),
        conventional=_conventional(raw.get("conventional"), (*where, "conventional")),
    )
    if not condition.labels and not condition.paths and condition.conventional is None:
        return None
    return condition


def _categories(value: Any, warnings: list[str]) -> Iterable[Category]:
    if value is None:
        return
    if not isinstance(value, list):
        raise DrafterConfigError("categories must be a list", ("categories",), "a list")
    for index, item in enumerate(value):
        where: tuple[str | int, ...] = ("categories", index)
        if not isinstance(item, Mapping):
            raise DrafterConfigError(f"{_path(*where)} must be a mapping", where, "a mapping")
        title = item.get("title")
        if title is not None and not isinstance(title, str | int | float):
            raise DrafterConfigError(
                f"{_path(*where, 'title')} must be a string", (*where, "title"), "a string"
            )
        kind = item.get("type", "changelog")
        if kind not in _CATEGORY_TYPES:
            raise DrafterConfigError(
                f"{_path(*where, 'type')} must be one of {', '.join(_CATEGORY_TYPES)}",
                (*where, "type"),
                " or ".join(_CATEGORY_TYPES),
            )
        collapse = item.get("collapse-after", -1)
        if isinstance(collapse, bool) or not isinstance(collapse, int) or collapse < -1:
            raise DrafterConfigError(
                f"{_path(*where, 'collapse-after')} must be a whole number ≥ -1",
                (*where, "collapse-after"),
                "an integer ≥ -1",
            )
        increment = item.get("semver-increment", "patch")
        if increment not in _LEVELS:
            raise DrafterConfigError(
                f"{_path(*where, 'semver-increment')} must be major, minor or patch",
                (*where, "semver-increment"),
                "major, minor or patch",
            )
        exclusive = item.get("exclusive", False)
        if not isinstance(exclusive, bool):
            raise DrafterConfigError(
                f"{_path(*where, 'exclusive')} must be true or false",
                (*where, "exclusive"),
                "a boolean",
            )
        label = item.get("label")
        deprecated = (
            *_strings(item.get("labels"), (*where, "labels"), single=True, min1=True),
            *([str(label)] if label else []),
        )
        when = item.get("when")
        if when is None:
            raw_conditions: list[Any] = [{}] if deprecated else []
        elif isinstance(when, list):
            raw_conditions = when if (when or not deprecated) else [{}]
        else:
            raw_conditions = [when]
        conditions = tuple(
            c
            for i, raw in enumerate(raw_conditions)
            if (c := _condition(raw, deprecated, (*where, "when", i))) is not None
        )
        if kind in ("pre-include", "pre-exclude") and exclusive:
            raise DrafterConfigError(
                f'"exclusive" can only be set on categories of type "changelog" or '
                f'"version-resolver"; it cannot be used on category of type "{kind}".',
                (*where, "exclusive"),
                "no exclusive on this category type",
            )
        yield Category(
            type=str(kind),
            title=None if title is None else str(title),
            when=conditions,
            collapse_after=collapse if kind == "changelog" else -1,
            semver_increment=str(increment),
            exclusive=exclusive if kind in ("changelog", "version-resolver") else False,
        )


def _migrated_categories(
    data: Mapping[str, Any],
    categories: Sequence[Category],
    *,
    include_labels: tuple[str, ...],
    exclude_labels: tuple[str, ...],
    include_paths: tuple[str, ...],
    exclude_paths: tuple[str, ...],
    warnings: list[str],
) -> list[Category]:
    """The deprecated top-level keys as the categories release-drafter migrates them to."""
    out: list[Category] = []
    if exclude_labels or exclude_paths:
        if any(c.type == "pre-exclude" for c in categories):
            raise DrafterConfigError(
                "A 'pre-exclude' category already exists. Cannot migrate deprecated "
                "exclude-labels field.",
                ("exclude-labels" if exclude_labels else "exclude-paths",),
                "either the deprecated key or a pre-exclude category",
            )
        out.append(
            Category(type="pre-exclude", when=(Condition(exclude_labels, "any", exclude_paths),))
        )
    if include_labels or include_paths:
        if any(c.type == "pre-include" for c in categories):
            raise DrafterConfigError(
                "A 'pre-include' category already exists. Cannot migrate deprecated "
                "include-labels or include-paths fields.",
                ("include-labels" if include_labels else "include-paths",),
                "either the deprecated key or a pre-include category",
            )
        out.append(
            Category(type="pre-include", when=(Condition(include_labels, "any", include_paths),))
        )
    resolver = data.get("version-resolver")
    if resolver is None:
        return out
    if not isinstance(resolver, Mapping):
        raise DrafterConfigError(
            "version-resolver must be a mapping", ("version-resolver",), "a mapping"
        )
    default = resolver.get("default", "patch")
    if default not in _LEVELS:
        raise DrafterConfigError(
            "version-resolver.default must be major, minor or patch",
            ("version-resolver", "default"),
            "major, minor or patch",
        )
    if default != "patch":
        if any(c.type == "version-resolver" and not c.when for c in categories):
            raise DrafterConfigError(
                "A 'version-resolver' category with no 'when' condition already exists. "
                "Cannot migrate deprecated 'version-resolver.default' field.",
                ("version-resolver", "default"),
                "either the deprecated key or that category",
            )
        out.append(Category(type="version-resolver", semver_increment=str(default)))
    for level in ("major", "minor", "patch"):
        block = resolver.get(level)
        if block is None:
            continue
        if not isinstance(block, Mapping):
            raise DrafterConfigError(
                f"version-resolver.{level} must be a mapping with labels",
                ("version-resolver", level),
                "labels: [...]",
            )
        labels = _strings(block.get("labels"), ("version-resolver", level, "labels"), min1=True)
        if labels:
            out.append(
                Category(
                    type="version-resolver",
                    semver_increment=level,
                    when=(Condition(labels, "any"),),
                )
            )
    return out


def _validate_categories(categories: Sequence[Category]) -> None:
    for index, category in enumerate(categories):
        if category.type == "changelog" and not category.title:
            raise DrafterConfigError(
                "Every 'type: \"changelog\"' category must define a non-empty 'title'.",
                ("categories", index, "title"),
                "a title",
            )
    if sum(1 for c in categories if c.type == "changelog" and not c.when) > 1:
        raise DrafterConfigError(
            "Multiple 'type: \"changelog\"' categories detected with no 'when' condition. "
            "Only one such category is supported for uncategorized changes.",
            ("categories",),
            "at most one changelog category without labels or when",
        )


def _replacers(value: Any, warnings: list[str]) -> Iterable[Replacer]:
    if value is None:
        return
    if not isinstance(value, list):
        raise DrafterConfigError("replacers must be a list", ("replacers",), "a list")
    for index, item in enumerate(value):
        if not isinstance(item, Mapping) or not isinstance(item.get("search"), str):
            raise DrafterConfigError(
                '"search" is required and must be a regexp or a string',
                ("replacers", index, "search"),
                "a regexp or a string",
            )
        if item["search"] == "":
            raise DrafterConfigError(
                '"search" must not be empty', ("replacers", index, "search"), "a non-empty string"
            )
        if not isinstance(item.get("replace"), str):
            raise DrafterConfigError(
                '"replace" is required', ("replacers", index, "replace"), "a string"
            )
        try:
            yield Replacer(JsRegex.compile(item["search"]), item["replace"])
        except JsRegexError:
            warnings.append(f"Bad replacer regex: '{item['search']}' (dropped)")


def _autolabeler(value: Any, warnings: list[str]) -> Iterable[Autolabel]:
    if value is None:
        return
    if not isinstance(value, list):
        raise DrafterConfigError("autolabeler must be a list", ("autolabeler",), "a list")
    for index, item in enumerate(value):
        where: tuple[str | int, ...] = ("autolabeler", index)
        if not isinstance(item, Mapping) or not isinstance(item.get("label"), str):
            raise DrafterConfigError(
                f"{_path(*where, 'label')} is required", (*where, "label"), "a string"
            )

        def regexes(key: str) -> tuple[JsRegex, ...]:
            return tuple(
                JsRegex.compile(s)
                for s in _strings(item.get(key), (*where, key), single=True)  # noqa: B023
            )

        try:
            yield Autolabel(
                item["label"],
                _strings(item.get("files"), (*where, "files"), single=True),
                regexes("branch"),
                regexes("title"),
                regexes("body"),
            )
        except JsRegexError:
            warnings.append(f"Bad autolabeler regex for label {item['label']!r} (dropped)")


_STRATEGIES = ("override", "append", "prepend")


@dataclass(frozen=True)
class ExtendsTarget:
    """Where an `_extends` points: `[github:][[owner/]repo:]filepath[@ref]` or
    `file:filepath`, as release-drafter parses it."""

    scheme: str  # github | file
    repository: str  # owner/repo
    path: str
    ref: str | None

    def is_local(self, repository: str) -> bool:
        """Readable from the working tree: a `file:` target, or this repository's file at
        the checked-out ref."""
        return self.scheme == "file" or (self.repository == repository and self.ref is None)


def parse_extends(value: Any) -> tuple[str, dict[str, str]] | None:
    """`_extends` as a string or `{from, strategy: {key: override|append|prepend}}`;
    None when absent or blank."""
    if value is None:
        return None
    if isinstance(value, str):
        return (value.strip(), {}) if value.strip() else None
    if not isinstance(value, Mapping):
        raise DrafterConfigError(
            "_extends must be a string or {from, strategy}", ("_extends",), "a config target"
        )
    unknown = sorted(set(value) - {"from", "strategy"})
    if unknown:
        raise DrafterConfigError(
            f"_extends has unknown keys: {', '.join(unknown)}", ("_extends",), "from, strategy"
        )
    source = value.get("from")
    if not isinstance(source, str) or not source.strip():
        raise DrafterConfigError("'from' must not be blank", ("_extends", "from"), "a target")
    strategy = value.get("strategy") or {}
    if not isinstance(strategy, Mapping) or any(v not in _STRATEGIES for v in strategy.values()):
        raise DrafterConfigError(
            "_extends.strategy maps keys to override, append or prepend",
            ("_extends", "strategy"),
            "{key: override|append|prepend}",
        )
    return source.strip(), {str(k): str(v) for k, v in strategy.items()}


def parse_extends_target(target: str, repository: str, default_path: str) -> ExtendsTarget:
    """release-drafter's parseConfigTarget (a target naming only a repository reads its
    default config file)."""
    text = target.strip()

    def error(why: str) -> DrafterConfigError:
        return DrafterConfigError(
            f'invalid format: "{text}". Expected format [github:][owner/repo:]filepath[@ref] '
            f"or file:filepath. {why}",
            ("_extends",),
            "[github:][owner/repo:]filepath[@ref] or file:filepath",
        )

    if " " in text:
        raise error("Target must not contain spaces.")
    scheme = "file" if text.startswith("file:") else "github"
    if text.startswith("file:"):
        text = text[5:]
    elif text.startswith("github:"):
        text = text[7:]
    has_repo = ":" in text
    has_ref = "@" in text
    if scheme == "file" and (has_repo or has_ref):
        raise error('Local file targets cannot have ":" or "@" github specifiers.')
    if not has_repo and scheme != "file":
        bare = text[: text.index("@")] if has_ref else text
        if "." not in bare:
            text = f"{bare}:{text[text.index('@') :]}" if has_ref else f"{text}:"
            has_repo = True
    parts = [p for part in text.split(":") for p in part.split("@")]
    if len(parts) > 3:
        raise error('":" or "@" was specified more than once.')
    repo = repository
    if has_repo:
        spec = parts[0].split("/")
        if len(spec) > 2:
            raise error('"/" specified more than once.')
        repo = (
            "/".join(spec)
            if len(spec) == 2
            else f"{repository.split('/', maxsplit=1)[0]}/{spec[0]}"
        )
    ref = parts[-1] if has_ref else None
    if has_ref and not ref:
        raise error("Ref specifier is empty.")
    path = parts[1 if has_repo else 0] if len(parts) > (1 if has_repo else 0) else ""
    return ExtendsTarget(scheme, repo, path or default_path, ref)


def merge_extends_chain(chain: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """release-drafter's mergeConfigChain: files leaf-first; each file's keys over what it
    extends (override), or appended/prepended for the list keys its `_extends.strategy`
    names; `_extends` itself dropped."""
    merged: dict[str, Any] = {}
    for config in reversed(list(chain)):
        declared = parse_extends(config.get("_extends"))
        strategies = declared[1] if declared else {}
        for key, value in config.items():
            if key == "_extends":
                continue
            strategy = strategies.get(key, "override")
            if strategy == "override":
                merged[key] = value
                continue
            inherited = merged.get(key)
            inherited_list = [] if inherited is None else inherited
            own = [] if value is None else value
            if not isinstance(inherited_list, list) or not isinstance(own, list):
                raise DrafterConfigError(
                    f"Cannot {strategy} '{key}': it is not a list", (key,), "a list"
                )
            merged[key] = (
                [*inherited_list, *own]
                if strategy == "append"
                else [
                    *own,
                    *inherited_list,
                ]
            )
    return merged


# --- pull requests, commits and releases --------------------------------------------------


@dataclass(frozen=True)
class Author:
    """A commit author: a GitHub login, or only a git name."""

    login: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class PullRequest:
    number: int
    title: str
    author: str | None = None
    author_type: str = "User"
    author_url: str | None = None
    labels: tuple[str, ...] = ()
    merged_at: str | None = None
    body: str | None = None
    url: str | None = None
    base_ref_name: str | None = None
    head_ref_name: str | None = None
    base_repository: str | None = None
    merged: bool | None = None
    merge_commit: str | None = None
    changed_files: tuple[str, ...] | None = None
    first_time_contributor: bool = False

    @property
    def key(self) -> str:
        """release-drafter's identity of a PR: `owner/repo#number`."""
        return f"{self.base_repository}#{self.number}"

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> PullRequest:
        """From a GraphQL PullRequest node (as release-drafter reads it) or a REST object."""
        author = data.get("author") if "author" in data else data.get("user")
        login = None
        kind = "User"
        url = None
        if isinstance(author, Mapping) and author.get("login") is not None:
            login = str(author["login"])
            kind = str(author.get("__typename") or author.get("type") or "User")
            url = author.get("url") or author.get("html_url")
            if kind == "Bot" and login.endswith("[bot]"):
                login = login[: -len("[bot]")]  # REST spells bots `name[bot]`, GraphQL `name`
        labels = data.get("labels") or []
        if isinstance(labels, Mapping):
            labels = labels.get("nodes") or []
        names = tuple(
            str(item.get("name") if isinstance(item, Mapping) else item)
            for item in labels
            if item and (not isinstance(item, Mapping) or item.get("name"))
        )
        base = data.get("baseRepository")
        base_repo = base.get("nameWithOwner") if isinstance(base, Mapping) else base
        rest_base = data.get("base") if isinstance(data.get("base"), Mapping) else None
        if base_repo is None and rest_base is not None:
            repo = rest_base.get("repo")
            base_repo = repo.get("full_name") if isinstance(repo, Mapping) else None
        merged_at = data.get("mergedAt", data.get("merged_at"))
        merged = data.get("merged")
        if merged is None and ("merged_at" in data or "mergedAt" in data):
            merged = merged_at is not None
        base_ref = data.get("baseRefName")
        if base_ref is None and rest_base is not None:
            base_ref = rest_base.get("ref")
        head_ref = data.get("headRefName")
        if head_ref is None and isinstance(data.get("head"), Mapping):
            head_ref = data["head"].get("ref")
        merge = data.get("mergeCommit")
        merge_oid = merge.get("oid") if isinstance(merge, Mapping) else data.get("merge_commit_sha")
        files = data.get("changedFiles", data.get("changed_files", data.get("files")))
        if isinstance(files, list):
            changed: tuple[str, ...] | None = tuple(
                str(f.get("filename") or f.get("path")) if isinstance(f, Mapping) else str(f)
                for f in files
            )
        else:
            changed = None
        association = str(data.get("authorAssociation") or data.get("author_association") or "")
        url_value = data.get("url", data.get("html_url"))
        return cls(
            number=int(data["number"]),
            title=str(data.get("title") or ""),
            author=login,
            author_type=kind,
            author_url=None if url is None else str(url),
            labels=names,
            merged_at=None if merged_at is None else str(merged_at),
            body=None if data.get("body") is None else str(data["body"]),
            url=None if url_value is None else str(url_value),
            base_ref_name=None if base_ref is None else str(base_ref),
            head_ref_name=None if head_ref is None else str(head_ref),
            base_repository=None if base_repo is None else str(base_repo),
            merged=None if merged is None else bool(merged),
            merge_commit=None if merge_oid is None else str(merge_oid),
            changed_files=changed,
            first_time_contributor=association in ("FIRST_TIME_CONTRIBUTOR", "FIRST_TIMER")
            or data.get("first_time_contributor") is True
            or data.get("firstTimeContributor") is True,
        )


@dataclass(frozen=True)
class Commit:
    id: str
    oid: str | None = None
    committed_date: str | None = None
    authors: tuple[Author, ...] = ()
    pull_requests: tuple[PullRequest, ...] = ()

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Commit:
        """From a GraphQL commit node (`id oid committedDate author{name user{login}}
        authors{nodes{...}} associatedPullRequests{nodes}`)."""

        def person(raw: Any) -> Author | None:
            if not isinstance(raw, Mapping):
                return None
            user = raw.get("user")
            login = user.get("login") if isinstance(user, Mapping) else None
            return Author(
                None if login is None else str(login),
                None if raw.get("name") is None else str(raw["name"]),
            )

        authors_raw = data.get("authors")
        if isinstance(authors_raw, Mapping):
            authors_raw = authors_raw.get("nodes")
        if isinstance(authors_raw, list):
            authors = tuple(a for a in (person(x) for x in authors_raw) if a is not None)
        else:
            single = person(data.get("author"))
            authors = () if single is None else (single,)
        prs = data.get("associatedPullRequests") or {}
        if isinstance(prs, Mapping):
            prs = prs.get("nodes") or []
        return cls(
            id=str(data.get("id") or data.get("oid") or ""),
            oid=None if data.get("oid") is None else str(data["oid"]),
            committed_date=data.get("committedDate"),
            authors=authors,
            pull_requests=tuple(PullRequest.from_mapping(pr) for pr in prs if pr),
        )


def history_nodes(response: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The commit nodes of one GraphQL response (its `data` envelope optional):
    `repository.ref.compare.commits` (release-drafter's comparison), or a history
    (`repository.object.history`, `repository.ref.target.history`)."""
    data = response.get("data", response) or {}
    repository = data.get("repository") or {}
    ref = repository.get("ref") or {}
    compare = ref.get("compare") if isinstance(ref, Mapping) else None
    if isinstance(compare, Mapping):
        return list((compare.get("commits") or {}).get("nodes") or [])
    target = repository.get("object") or ref.get("target") or {}
    history = target.get("history") or {}
    return list(history.get("nodes") or [])


def select_pull_requests(commits: Sequence[Commit], *, repository: str) -> list[PullRequest]:
    """release-drafter's findPullRequests after the reads: each commit's associated PRs,
    one per `owner/repo#number` (first position, last data), merged into this repository."""
    by_key: dict[str, PullRequest] = {}
    for commit in commits:
        for pr in commit.pull_requests:
            by_key[pr.key] = pr
    return [pr for pr in by_key.values() if pr.base_repository == repository and pr.merged]


def _utf16(text: str) -> bytes:
    """Sort key equal to JavaScript's string order (UTF-16 code units)."""
    return text.encode("utf-16-be", "surrogatepass")


def sort_pull_requests(
    prs: Sequence[PullRequest], sort_by: str, direction: str
) -> list[PullRequest]:
    """By `mergedAt` (ISO text) or title, JavaScript string order; a missing value sorts
    last ascending and first descending."""

    def value(pr: PullRequest) -> bytes | None:
        text = pr.title if sort_by == "title" else pr.merged_at
        return None if text is None else _utf16(text)

    def compare(a: PullRequest, b: PullRequest) -> int:
        x, y = value(a), value(b)
        if x is None and y is None:
            return 0
        if direction == "ascending":
            if x is None:
                return 1
            if y is None:
                return -1
            return int(x > y) - int(x < y)
        if x is None:
            return -1
        if y is None:
            return 1
        return int(x < y) - int(x > y)

    return sorted(prs, key=functools.cmp_to_key(compare))


@dataclass(frozen=True)
class Release:
    tag_name: str
    name: str | None = None
    draft: bool = False
    prerelease: bool = False
    created_at: str | None = None
    target_commitish: str = ""
    id: int | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Release:
        return cls(
            tag_name=str(data.get("tag_name") or data.get("tagName") or ""),
            name=None if data.get("name") is None else str(data["name"]),
            draft=bool(data.get("draft", data.get("isDraft", False))),
            prerelease=bool(data.get("prerelease", data.get("isPrerelease", False))),
            created_at=data.get("created_at", data.get("createdAt")),
            target_commitish=str(data.get("target_commitish") or ""),
            id=data.get("id") if isinstance(data.get("id"), int) else None,
        )


@dataclass(frozen=True)
class FoundReleases:
    draft: Release | None
    last: Release | None


_HEAD_REF = re.compile(r"^refs/heads/")


def _js_date(text: str | None) -> float | None:
    """`new Date(text).getTime()`; None for an invalid date (NaN)."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _strip_prefix(text: str, prefix: str) -> str:
    return text[len(prefix) :] if prefix and text.startswith(prefix) else text


def find_releases(releases: Sequence[Release], config: DrafterConfig) -> FoundReleases:
    """release-drafter's findPreviousReleases (config has the inputs merged): the draft to
    update (first matching, API order) and the last published release (greatest version by
    compare-versions with the tag prefix stripped, else the newest created)."""
    target = _HEAD_REF.sub("", config.commitish)
    pool = list(releases)
    if config.filter_by_commitish:
        pool = [r for r in pool if _HEAD_REF.sub("", r.target_commitish) == target]
    if config.filter_by_range and config.filter_by_range != "*":
        kept = []
        for release in pool:
            version = coerce(release.tag_name)
            if version is not None and satisfies(version.version, config.filter_by_range):
                kept.append(release)
        pool = kept
    if config.tag_prefix:
        pool = [r for r in pool if r.tag_name.startswith(config.tag_prefix)]
    prerelease = bool(config.prerelease)
    published = [
        r
        for r in pool
        if not r.draft and (prerelease or config.include_pre_releases or not r.prerelease)
    ]
    drafts = [r for r in pool if r.draft and (r.prerelease if prerelease else not r.prerelease)]

    def compare(a: Release, b: Release) -> int:
        try:
            return compare_versions(
                _strip_prefix(a.tag_name, config.tag_prefix),
                _strip_prefix(b.tag_name, config.tag_prefix),
            )
        except NotAVersion:
            x, y = _js_date(a.created_at), _js_date(b.created_at)
            if x is None or y is None:
                return 0
            return int(x > y) - int(x < y)

    ordered = sorted(published, key=functools.cmp_to_key(compare))
    return FoundReleases(drafts[0] if drafts else None, ordered[-1] if ordered else None)


# --- semver ranges (filter-by-range) ---------------------------------------------------------

_RANGE_PART = re.compile(r"^(<=|>=|<|>|=|\^|~>?)?\s*v?(.*)$")


def valid_range(text: str) -> bool:
    try:
        _range_sets(text)
    except ValueError:
        return False
    return True


def _range_sets(text: str) -> list[list[tuple[str, tuple[int, int, int], int]]]:
    """node-semver range → alternatives of (operator, version, given parts) comparators."""
    sets = []
    for alternative in text.split("||"):
        alternative = re.sub(r"(<=|>=|<|>|=|\^|~>?)\s+", r"\1", alternative.strip())
        hyphen = re.match(r"^(\S+)\s+-\s+(\S+)$", alternative)
        if hyphen:
            alternative = f">={hyphen.group(1)} <={hyphen.group(2)}"
        comparators = []
        for part in alternative.split():
            match = _RANGE_PART.match(part)
            if match is None:
                raise ValueError(part)
            op = match.group(1) or ""
            body = match.group(2).split("+", 1)[0].split("-", 1)[0]
            pieces = body.split(".") if body else []
            numbers: list[int] = []
            for piece in pieces[:3]:
                if piece in ("x", "X", "*"):
                    break
                if not piece.isdigit():
                    raise ValueError(part)
                numbers.append(int(piece))
            given = len(numbers)
            padded = ([*numbers, 0, 0, 0])[:3]
            comparators.append((op, (padded[0], padded[1], padded[2]), given))
        sets.append(comparators)
    if not sets:
        raise ValueError(text)
    return sets


def satisfies(version_text: str, range_text: str) -> bool:
    """node-semver's satisfies for release versions (the tag's coerced version)."""
    version = parse(version_text, loose=True)
    if version is None:
        return False
    have = (version.major, version.minor, version.patch)
    try:
        sets = _range_sets(range_text)
    except ValueError:
        return False
    return any(all(_holds(have, c) for c in comparators) for comparators in sets)


def _holds(have: tuple[int, int, int], comparator: tuple[str, tuple[int, int, int], int]) -> bool:
    op, low, given = comparator
    if given == 0:
        return op not in ("<", ">")
    if op in ("", "=") and given < 3:
        op = "~" if given == 2 else "^"
    if op == "^":
        if low[0] > 0 or given == 1:
            high = (low[0] + 1, 0, 0)
        elif low[1] > 0 or given == 2:
            high = (0, low[1] + 1, 0)
        else:
            high = (0, 0, low[2] + 1)
        return low <= have < high
    if op in ("~", "~>"):
        high = (low[0], low[1] + 1, 0) if given >= 2 else (low[0] + 1, 0, 0)
        return low <= have < high
    if given < 3:  # x-ranges with an operator
        if op == ">":
            bump = (low[0] + 1, 0, 0) if given == 1 else (low[0], low[1] + 1, 0)
            return have >= bump
        if op == "<=":
            bump = (low[0] + 1, 0, 0) if given == 1 else (low[0], low[1] + 1, 0)
            return have < bump
        if op == ">=":
            return have >= low
        return have < low
    return {
        "": have == low,
        "=": have == low,
        ">": have > low,
        ">=": have >= low,
        "<": have < low,
        "<=": have <= low,
    }[op]


# --- category matching ---------------------------------------------------------------------

_CONVENTIONAL_TITLE = re.compile(
    r"^(?P<type>[^\s!:()]+)(?:\((?P<scope>[^()]+)\))?(?P<bang>!)?: .+$"
)


def _matches_values(actual: Sequence[str], expected: Sequence[str], mode: str) -> bool:
    have = list(dict.fromkeys(actual))
    want = list(dict.fromkeys(expected))
    if not want:
        return True
    if mode == "all":
        return all(v in have for v in want)
    if mode == "only":
        return bool(have) and all(v in want for v in have)
    if mode == "exactly":
        return len(have) == len(want) and all(v in want for v in have)
    return any(v in have for v in want)


def _matches_paths(condition: Condition, pr: PullRequest) -> bool:
    if not condition.paths:
        return True
    files = list(dict.fromkeys(pr.changed_files or ()))
    if not files:
        return False
    patterns = list(dict.fromkeys(condition.paths))

    def hit(pattern: str, file: str) -> bool:
        return file == pattern or ignores([pattern], file)

    every_pattern = all(any(hit(p, f) for f in files) for p in patterns)
    every_file = all(any(hit(p, f) for p in patterns) for f in files)
    if condition.paths_mode == "all":
        return every_pattern
    if condition.paths_mode == "only":
        return every_file
    if condition.paths_mode == "exactly":
        return every_pattern and every_file
    return any(hit(p, f) for f in files for p in patterns)


def _matches_conventional(condition: Condition, pr: PullRequest) -> bool:
    spec = condition.conventional
    if spec is None:
        return True
    match = _CONVENTIONAL_TITLE.match(pr.title or "")
    if match is None:
        return False
    scope = match.group("scope")
    return (
        (not spec.types or match.group("type") in spec.types)
        and (not spec.scopes or (scope is not None and scope in spec.scopes))
        and (spec.breaking is None or spec.breaking == (match.group("bang") == "!"))
    )


def matches_category(category: Category, pr: PullRequest) -> bool:
    if not category.when:
        return True
    return any(
        _matches_values(pr.labels, c.labels, c.labels_mode)
        and _matches_paths(c, pr)
        and _matches_conventional(c, pr)
        for c in category.when
    )


def filter_by_pre_categories(
    prs: Sequence[PullRequest], categories: Sequence[Category]
) -> list[PullRequest]:
    """`pre-include` (keep only matching) then `pre-exclude` (drop matching)."""
    includes = [c for c in categories if c.type == "pre-include"]
    excludes = [c for c in categories if c.type == "pre-exclude"]
    return [
        pr
        for pr in prs
        if (not includes or any(matches_category(c, pr) for c in includes))
        and not any(matches_category(c, pr) for c in excludes)
    ]


def needs_changed_files(config: DrafterConfig) -> bool:
    return any(c.paths for category in config.categories for c in category.when)


# --- rendering -----------------------------------------------------------------------------


def template(text: str, values: Mapping[str, Any], replacers: Sequence[Replacer] = ()) -> str:
    """release-drafter's renderTemplate: every `$UPPER_CASE` name with a value is replaced
    in one pass (a name without one stays as written), then the replacers run."""

    def one(match: re.Match[str]) -> str:
        key = match.group(1)
        value = values.get(key)
        if value is None:
            return key
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, Mapping):
            return template(str(value.get("template")), value)
        return str(value)

    out = _TEMPLATE_VAR.sub(one, text)
    for replacer in replacers:
        out = replace_pattern(replacer.search, out, replacer.replace)
    return out


def categorize(
    prs: Sequence[PullRequest], config: DrafterConfig
) -> tuple[list[PullRequest], list[tuple[Category, list[PullRequest]]]]:
    """(uncategorised PRs, each changelog category with its PRs). A PR goes under every
    category it matches, in config order, up to the first `exclusive` one; one that matches
    none goes to the category without conditions if there is one, else stays uncategorised
    (rendered first, without a heading)."""
    changelog = [c for c in config.categories if c.type == "changelog"]
    buckets: list[tuple[Category, list[PullRequest]]] = [(c, []) for c in changelog]
    fallback = next((i for i, c in enumerate(changelog) if not c.when), None)
    uncategorized: list[PullRequest] = []
    for pr in filter_by_pre_categories(prs, config.categories):
        matched = False
        for category, items in buckets:
            if not category.when:
                continue
            if matches_category(category, pr):
                items.append(pr)
                matched = True
                if category.exclusive:
                    break
        if not matched:
            if fallback is None:
                uncategorized.append(pr)
            else:
                buckets[fallback][1].append(pr)
    return uncategorized, buckets


def escape_title(title: str, escapes: str) -> str:
    """`change-title-escapes`: each listed character gets a backslash (`@` and `#` get an
    empty HTML comment instead, which stops mentions and links); a `code span` is kept
    whole unless the backtick itself is listed."""
    alternatives = []
    if escapes:
        alternatives.append("[" + "".join(re.escape(c) for c in escapes) + "]")
    alternatives.append("`.*?`")

    def one(match: re.Match[str]) -> str:
        text = match.group(0)
        if len(text) > 1:
            return text
        if text in ("@", "#"):
            return f"{text}<!---->"
        return f"\\{text}"

    return re.sub("|".join(alternatives), one, title)


@dataclass(frozen=True)
class _Contributor:
    login: str | None = None
    name: str | None = None
    bot_url: str | None = None


_BOT = "[bot]"


def _locale_key(text: str) -> tuple[str, str, tuple[bool, ...]]:
    """An approximation of `String#localeCompare` (ICU root collation): letters first by
    base letter, then accents, then lower case before upper case."""
    decomposed = unicodedata.normalize("NFD", text)
    base = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return base, decomposed.casefold(), tuple(c.isupper() for c in text)


def _mention(person: _Contributor, server_url: str) -> str:
    if person.login is None:
        return person.name or ""
    if person.login.endswith(_BOT):
        url = person.bot_url or f"{server_url.rstrip('/')}/apps/{person.login[: -len(_BOT)]}"
        return f"[@{person.login}]({url})"
    return f"@{person.login}"


def authors_sentence(
    commits: Sequence[Commit],
    prs: Sequence[PullRequest],
    *,
    server_url: str,
    exclude: Sequence[str] = (),
    none_text: str = "",
    author_template: str | None = None,
    separator: str = ", ",
    final_separator: str | None = None,
) -> str:
    """release-drafter's generateAuthorsSentence: the authors (and co-authors) of the
    commits that belong to `prs`, and the PRs' authors; PR authors first, then people before
    bots, then by name."""
    keys = {pr.key for pr in prs}
    merge_commits = {pr.merge_commit for pr in prs if pr.merge_commit}
    people: dict[str, _Contributor] = {}
    pr_authors: set[str] = set()
    for commit in commits:
        if commit.oid not in merge_commits and not any(
            pr.key in keys for pr in commit.pull_requests
        ):
            continue
        for author in commit.authors:
            if author.login:
                people[f"login:{author.login}"] = _Contributor(login=author.login)
            elif author.name:
                people[f"name:{author.name}"] = _Contributor(name=author.name)
    for pr in prs:
        if pr.author is None:
            continue
        is_bot = pr.author_type == "Bot"
        login = pr.author + _BOT if is_bot and not pr.author.endswith(_BOT) else pr.author
        pr_authors.add(login)
        people[f"login:{login}"] = _Contributor(
            login=login, bot_url=pr.author_url if is_bot else None
        )
    chosen = [
        p
        for p in people.values()
        if p.login is None or not any(e == p.login or e + _BOT == p.login for e in exclude)
    ]

    def order(p: _Contributor) -> tuple[bool, bool, tuple[str, str, tuple[bool, ...]]]:
        is_pr_author = p.login is not None and p.login in pr_authors
        is_bot = p.login is not None and (p.bot_url is not None or p.login.endswith(_BOT))
        return (not is_pr_author, is_bot, _locale_key(p.login or p.name or ""))

    chosen.sort(key=order)
    if not chosen:
        return none_text
    if author_template is not None:
        rendered = [
            template(
                author_template,
                {
                    "$AUTHOR": p.name if p.login is None else p.login,
                    "$AUTHOR_MENTION": _mention(p, server_url),
                },
            )
            for p in chosen
        ]
        if final_separator is not None and len(rendered) > 1:
            return separator.join(rendered[:-1]) + final_separator + rendered[-1]
        return separator.join(rendered)
    mentions = [_mention(p, server_url) for p in chosen]
    if len(mentions) > 1:
        return ", ".join(mentions[:-1]) + " and " + mentions[-1]
    return mentions[0]


def render_change(
    pr: PullRequest,
    config: DrafterConfig,
    commits: Sequence[Commit],
    *,
    category: str | None,
    server_url: str,
) -> str:
    author = "ghost"
    if pr.author is not None:
        author = f"[{pr.author}[bot]]({pr.author_url})" if pr.author_type == "Bot" else pr.author
    authors = authors_sentence(
        commits,
        [pr],
        server_url=server_url,
        none_text=template(
            config.change_author_template, {"$AUTHOR": "ghost", "$AUTHOR_MENTION": "@ghost"}
        ),
        author_template=config.change_author_template,
        separator=config.change_authors_separator,
        final_separator=config.change_authors_final_separator,
    )
    return template(
        config.change_template,
        {
            "$CATEGORY": category or "",
            "$TITLE": escape_title(pr.title, config.change_title_escapes),
            "$NUMBER": str(pr.number),
            "$AUTHORS": authors,
            "$AUTHOR": author,
            "$AUTHOR_URL": pr.author_url or "",
            "$BODY": pr.body,
            "$URL": pr.url,
            "$BASE_REF_NAME": pr.base_ref_name,
            "$HEAD_REF_NAME": pr.head_ref_name,
        },
    )


# JavaScript's String#trim: ECMAScript WhiteSpace and LineTerminator code points.
_JS_WHITESPACE = (
    " \t\n\r\v\f\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)


def generate_changelog(
    prs: Sequence[PullRequest],
    config: DrafterConfig,
    commits: Sequence[Commit] = (),
    *,
    server_url: str = "https://github.com",
) -> str:
    uncategorized, buckets = categorize(prs, config)
    if not uncategorized and not any(items for _, items in buckets):
        return config.no_changes_template

    def lines(items: Sequence[PullRequest], category: str | None) -> str:
        return "\n".join(
            render_change(pr, config, commits, category=category, server_url=server_url)
            for pr in items
        )

    parts: list[str] = []
    if uncategorized:
        parts += [lines(uncategorized, None), "\n\n"]
    for index, (category, items) in enumerate(buckets):
        if not items:
            continue
        heading = template(config.category_template, {"$TITLE": category.title})
        if heading:
            parts += [heading, "\n\n"]
        text = lines(items, category.title)
        count = len(items)
        if category.collapse_after != -1 and count > category.collapse_after:
            parts += [
                "<details>",
                "\n",
                f"<summary>{count} change{'s' if count > 1 else ''}</summary>",
                "\n\n",
                text,
                "\n",
                "</details>",
            ]
        else:
            parts.append(text)
        if index + 1 != len(buckets):
            parts.append("\n\n")
    return "".join(parts).strip(_JS_WHITESPACE)


def new_contributors(prs: Sequence[PullRequest], config: DrafterConfig, logins: set[str]) -> str:
    """`$NEW_CONTRIBUTORS`: each first-time author's first PR of the release."""
    included = {pr.key for pr in filter_by_pre_categories(prs, config.categories)}
    first: dict[str, PullRequest] = {}
    for pr in prs:
        if pr.author is None or pr.author not in logins or pr.author in config.exclude_contributors:
            continue
        previous = first.get(pr.author)
        if previous is None or _utf16(pr.merged_at or "") < _utf16(previous.merged_at or ""):
            first[pr.author] = pr
    entries = sorted(
        ((login, pr) for login, pr in first.items() if pr.key in included),
        key=lambda item: (_locale_key(item[1].merged_at or ""), item[1].number),
    )
    if not entries:
        return config.no_new_contributor_template
    return "\n".join(
        template(
            config.new_contributor_template,
            {
                "$AUTHOR": login,
                "$AUTHOR_MENTION": f"@{login}",
                "$AUTHOR_URL": pr.author_url,
                "$NUMBER": pr.number,
                "$URL": pr.url,
            },
        )
        for login, pr in entries
    )


def new_contributor_candidates(prs: Sequence[PullRequest]) -> dict[str, str]:
    """login → their first merge time in this release (users only): who to ask about."""
    out: dict[str, str] = {}
    for pr in prs:
        if pr.author_type != "User" or pr.author is None or not pr.merged_at:
            continue
        if pr.author not in out or pr.merged_at < out[pr.author]:
            out[pr.author] = pr.merged_at
    return out


def resolve_version_increment(prs: Sequence[PullRequest], config: DrafterConfig) -> str:
    """The increment from the categories' `semver-increment` (version-resolver labels are
    categories too): the highest of the changelog categories the changes land in and of the
    version-resolver categories they match (its condition-less one the fallback); patch at
    least; `pre…` when drafting a pre-release with an identifier."""
    filtered = filter_by_pre_categories(prs, config.categories)
    changelog = _highest(
        filtered, [c for c in config.categories if c.type == "changelog"], fallback=False
    )
    resolver = _highest(
        filtered, [c for c in config.categories if c.type == "version-resolver"], fallback=True
    )
    priority = max(changelog or 0, resolver or _PRIORITY["patch"])
    key = next(k for k, v in _PRIORITY.items() if v == priority)
    if config.prerelease and config.prerelease_identifier:
        return f"pre{key}"
    return key


def _highest(
    prs: Sequence[PullRequest], categories: Sequence[Category], *, fallback: bool
) -> int | None:
    empty = next((c for c in categories if not c.when), None)
    matched: set[int] = set()
    best: int | None = None
    remaining = list(prs)
    for category in categories:
        if not category.when:
            continue
        hits = [pr for pr in remaining if matches_category(category, pr)]
        if not hits:
            continue
        best = max(best or 0, _PRIORITY[category.semver_increment])
        matched.update(id(pr) for pr in hits)
        if category.exclusive:
            taken = {id(pr) for pr in hits}
            remaining = [pr for pr in remaining if id(pr) not in taken]
    if empty is None:
        return best
    if fallback:
        return best if best is not None else _PRIORITY[empty.semver_increment]
    if all(id(pr) in matched for pr in prs):
        return best
    return max(best or 0, _PRIORITY[empty.semver_increment])


# --- versions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Version:
    """release-drafter's VersionDescriptor: a version (or none) and its parts as text."""

    version: SemVer | None
    identifier: str | None

    @property
    def prerelease(self) -> str | None:
        if self.version is None:
            return None
        pre = ".".join(str(p) for p in self.version.prerelease)
        return f"-{pre}" if pre else ""

    def part(self, name: str) -> str | None:
        return None if self.version is None else str(getattr(self.version, name))

    def incremented(self, increment: str) -> _Version:
        if self.version is None or increment == "no_increment":
            return self
        result = inc(self.version, increment, self.identifier or None)
        if result is None:
            raise ValueError(f"Failed to increment version {self.version.version} with {increment}")
        return _Version(parse(result.version) or coerce(result.version), self.identifier)

    def rendered(self, version_template: str) -> str:
        return template(
            version_template,
            {
                "$MAJOR": self.part("major"),
                "$MINOR": self.part("minor"),
                "$PATCH": self.part("patch"),
                "$PRERELEASE": self.prerelease,
            },
        )


def _to_semver(text: str | None) -> SemVer | None:
    if not text:
        return None
    return parse(text) or coerce(text)


def version_info(
    last_release: Release | None,
    config: DrafterConfig,
    *,
    input_version: str | None,
    increment: str,
) -> dict[str, str | None]:
    """The version variables, as release-drafter's getVersionInfo: from the input version
    (not incremented), else the last release incremented, else 0.0.0 incremented (so the
    first release is 0.0.1 with the default patch increment)."""
    prefix = config.tag_prefix
    identifier = config.prerelease_identifier or None
    given = _to_semver(_strip_prefix(input_version, prefix)) if input_version else None
    last = None
    if last_release is not None:
        last = _to_semver(_strip_prefix(last_release.tag_name, prefix)) or _to_semver(
            None if last_release.name is None else _strip_prefix(last_release.name, prefix)
        )
    if given is not None:
        reference = _Version(given, identifier)
        increment = "no_increment"
    elif last is not None:
        reference = _Version(last, identifier)
        if increment.startswith("pre") and last.prerelease and increment != "prerelease":
            increment = "prerelease"
    else:
        reference = _Version(parse("0.0.0"), identifier)
    vt = config.version_template
    out: dict[str, str | None] = {}
    for name, kind in (("MAJOR", "major"), ("MINOR", "minor"), ("PATCH", "patch")):
        bumped = reference.incremented(kind)
        out[f"$NEXT_{name}_VERSION"] = bumped.rendered(vt)
        out[f"$NEXT_{name}_VERSION_MAJOR"] = bumped.part("major")
        out[f"$NEXT_{name}_VERSION_MINOR"] = bumped.part("minor")
        out[f"$NEXT_{name}_VERSION_PATCH"] = bumped.part("patch")
    pre = reference.incremented("prerelease")
    out["$NEXT_PRERELEASE_VERSION"] = pre.rendered(vt)
    out["$NEXT_PRERELEASE_VERSION_PRERELEASE"] = pre.prerelease
    resolved = reference.incremented(increment)
    out["$RESOLVED_VERSION"] = resolved.rendered(vt)
    out["$RESOLVED_VERSION_MAJOR"] = resolved.part("major")
    out["$RESOLVED_VERSION_MINOR"] = resolved.part("minor")
    out["$RESOLVED_VERSION_PATCH"] = resolved.part("patch")
    out["$RESOLVED_VERSION_PRERELEASE"] = resolved.prerelease
    return out


# --- the release -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReleaseInfo:
    name: str
    tag: str
    body: str
    target_commitish: str
    prerelease: bool
    make_latest: str
    draft: bool
    resolved_version: str
    major_version: str
    minor_version: str
    patch_version: str
    prerelease_version: str
    last_release: str | None
    pull_requests: tuple[int, ...]
    update_release_id: int | None = None

    def as_json(self) -> dict[str, Any]:
        """release-drafter's release payload and action outputs."""
        return {
            "name": self.name,
            "tag_name": self.tag,
            "body": self.body,
            "draft": self.draft,
            "prerelease": self.prerelease,
            "make_latest": self.make_latest,
            "target_commitish": self.target_commitish,
            "resolved_version": self.resolved_version,
            "major_version": self.major_version,
            "minor_version": self.minor_version,
            "patch_version": self.patch_version,
            "prerelease_version": self.prerelease_version,
            "previous_tag": self.last_release,
            "pull_requests": list(self.pull_requests),
            "update_release_id": self.update_release_id,
        }


def build_release(
    *,
    commits: Sequence[Commit],
    prs: Sequence[PullRequest],
    config: DrafterConfig,
    last_release: Release | None,
    draft_release: Release | None,
    owner: str,
    repo: str,
    inputs: Mapping[str, str],
    new_contributor_logins: set[str] | None = None,
    server_url: str = "https://github.com",
) -> ReleaseInfo:
    """The release release-drafter would create (or the draft it would update): body, name,
    tag, version outputs. `config` has the inputs merged (`DrafterConfig.with_inputs`)."""
    ordered = sort_pull_requests(prs, config.sort_by, config.sort_direction)
    warning = ""
    if last_release is None:
        note = template(LAST_RELEASE_NOT_FOUND, {"$OWNER": owner, "$REPOSITORY": repo})
        warning = f"\n---\n{note}\n---\n"
    body = config.header + config.template + warning + config.footer
    included = filter_by_pre_categories(ordered, config.categories)
    body = template(
        body,
        {
            "$PREVIOUS_TAG": last_release.tag_name if last_release else "",
            "$CHANGES": generate_changelog(ordered, config, commits, server_url=server_url),
            "$CONTRIBUTORS": authors_sentence(
                commits,
                included,
                server_url=server_url,
                exclude=config.exclude_contributors,
                none_text=config.no_contributors_template,
            ),
            "$NEW_CONTRIBUTORS": new_contributors(ordered, config, new_contributor_logins or set()),
            "$OWNER": owner,
            "$REPOSITORY": repo,
        },
        config.replacers,
    )
    increment = resolve_version_increment(prs, config)
    info = version_info(
        last_release,
        config,
        input_version=inputs.get("version") or inputs.get("tag") or inputs.get("name") or None,
        increment=increment,
    )
    body = template(body, info)
    tag_input = inputs.get("tag") or None
    name_input = inputs.get("name") or None
    tag = template(config.tag_template, info) if tag_input is None else template(tag_input, info)
    name = (
        template(config.name_template, info) if name_input is None else template(name_input, info)
    )
    publish = parse_stringbool(inputs.get("publish")) or False
    update_id = None
    if draft_release is not None:
        # release-drafter updates the draft, keeping its name and tag where these are empty.
        name = name or (draft_release.name or "")
        tag = tag or draft_release.tag_name
        update_id = draft_release.id
    return ReleaseInfo(
        name=name,
        tag=tag,
        body=body,
        # A tag is not a release target (GitHub would refuse it): release-drafter sends none.
        target_commitish="" if config.commitish.startswith("refs/tags/") else config.commitish,
        prerelease=bool(config.prerelease),
        make_latest="false" if config.prerelease else ("true" if config.latest else "false"),
        draft=not publish,
        resolved_version=info["$RESOLVED_VERSION"] or "",
        major_version=info["$RESOLVED_VERSION_MAJOR"] or "",
        minor_version=info["$RESOLVED_VERSION_MINOR"] or "",
        patch_version=info["$RESOLVED_VERSION_PATCH"] or "",
        prerelease_version=info["$RESOLVED_VERSION_PRERELEASE"] or "",
        last_release=last_release.tag_name if last_release else None,
        pull_requests=tuple(pr.number for pr in included),
        update_release_id=update_id,
    )


def draft(
    *,
    config: DrafterConfig,
    commits: Sequence[Commit],
    releases: Sequence[Release],
    owner: str,
    repo: str,
    ref: str,
    inputs: Mapping[str, str] | None = None,
    new_contributor_logins: set[str] | None = None,
    server_url: str = "https://github.com",
    comparison_read: bool = False,
) -> ReleaseInfo:
    """The whole run over read data: `commits` are the commits between the last release's
    tag and the target (with their PRs), `releases` the repository's releases, `ref` the
    event's ref (GITHUB_REF). With no last release release-drafter compares nothing: no
    changes (unless the data was read from an explicit `from` base: `comparison_read`)."""
    inputs = inputs or {}
    merged = config.with_inputs(inputs, default_commitish=ref)
    found = find_releases(releases, merged)
    if found.last is None and not (comparison_read or inputs.get("from")):
        commits = []
    prs = select_pull_requests(commits, repository=f"{owner}/{repo}")
    return build_release(
        commits=commits,
        prs=prs,
        config=merged,
        last_release=found.last,
        draft_release=found.draft,
        owner=owner,
        repo=repo,
        inputs=inputs,
        new_contributor_logins=new_contributor_logins
        if new_contributor_logins is not None
        else {pr.author for pr in prs if pr.first_time_contributor and pr.author},
        server_url=server_url,
    )


@dataclass
class DrafterData:
    """What release-drafter reads from GitHub: the commits between the last release's tag
    and the target (each with its pull requests), the releases, the changed files of each
    PR (only when a category matches on paths) and the first-time contributors. Filled by
    the GitHub adapter (lumen.adapters.github.history) or read offline (lumen.app.drafter)."""

    commits: list[Commit] = field(default_factory=list)
    releases: list[Release] = field(default_factory=list)
    changed_files: dict[int, list[str]] = field(default_factory=dict)
    new_contributors: set[str] | None = None
    comparison_read: bool = False
