"""`lumen notes --drafter-config`: release-drafter's run from its own config file, its
inputs and the repository's data (read offline from files, or online through the API), to
the body, name and tag release-drafter would write (`release.drafter` renders them)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from gates.errors import ConfigError, InputError, UsageError
from release import drafter as rd
from release.drafter import DrafterData

DEFAULT_DRAFTER_CONFIG = ".github/release-drafter.yml"
# How many `_extends` hops are followed before the chain is called a loop.
EXTENDS_DEPTH = 5

FetchConfig = Callable[[str, str], str]


def parse_inputs(pairs: Sequence[str]) -> dict[str, str]:
    """`KEY=VALUE` action inputs (`--drafter-input`), as release-drafter's `with:`."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--drafter-input {pair!r}: expected KEY=VALUE (e.g. tag=v1.2.3)")
        # As the runner spells them (`INPUT_PRERELEASE_IDENTIFIER`) or as `with:` does.
        name = key.strip().lower().removeprefix("input_").replace("_", "-")
        out[name] = value
    return out


def _read_yaml(text: str, file: str) -> tuple[Any, Any]:
    from lumen.yamlpos import load_yaml

    located = load_yaml(text, file)
    return located.data, located


# The release-drafter config a component uses when the repository has none.
COMPONENT_BASE = {"template": "## What's Changed\n\n$CHANGES\n"}


def component_overrides(name: str, component: Mapping[str, Any]) -> dict[str, Any]:
    """A monorepo component (the Lumen config's `notes.components.<name>`) as release-drafter
    keys over the base config: its `paths` become `include-paths` (a PR belongs to it when it
    changed one of them), its `tag-prefix` (default `<name>-v`) selects its releases and
    versions, its tag and name templates default to `<tag-prefix>$RESOLVED_VERSION`; every
    other key (its own `categories`, `template`, ...) is a release-drafter key of its own."""
    prefix = str(component.get("tag-prefix", f"{name}-v"))
    out = {k: v for k, v in component.items() if k != "paths"}
    out["include-paths"] = list(component.get("paths") or [])
    out["tag-prefix"] = prefix
    out.setdefault("tag-template", f"{prefix}$RESOLVED_VERSION")
    out.setdefault("name-template", f"{prefix}$RESOLVED_VERSION")
    return out


def load_config(
    path: str | None,
    *,
    repository: str | None = None,
    fetch: FetchConfig | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> rd.DrafterConfig:
    """Read a release-drafter config file unchanged. `_extends: [owner/]repo[:path]` is read
    through `fetch(owner/repo, path)` (the API); without `fetch` (offline) it is refused.
    `overrides` (a monorepo component's keys) apply over the file (or COMPONENT_BASE when
    `path` is None)."""
    if path is None:
        import yaml

        text = yaml.safe_dump(COMPONENT_BASE)
        path_label = "(built-in component base)"
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError:
            raise InputError("release-drafter config not found", file=path) from None
        path_label = path
    path = path_label
    data, located = _read_yaml(text, path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("a release-drafter config is a mapping of keys", file=path, line=1)
    owner_repo = repository or ""
    chain = [data]
    seen: set[tuple[str, str, str | None]] = set()
    current = data
    while True:
        try:
            declared = rd.parse_extends(current.get("_extends"))
        except rd.DrafterConfigError as exc:
            raise ConfigError(
                str(exc), file=path, field="_extends", expected=exc.expected
            ) from None
        if declared is None:
            break
        try:
            target = rd.parse_extends_target(declared[0], owner_repo, DEFAULT_DRAFTER_CONFIG)
        except rd.DrafterConfigError as exc:
            raise ConfigError(
                str(exc), file=path, line=located.line_of(["_extends"]), field="_extends"
            ) from None
        key = (target.repository, target.path, target.ref)
        if key in seen or len(chain) > EXTENDS_DEPTH:
            raise ConfigError(
                f"_extends chain loops or is longer than {EXTENDS_DEPTH} files",
                file=path,
                field="_extends",
            )
        seen.add(key)
        if target.is_local(owner_repo):
            try:
                text = Path(target.path).read_text(encoding="utf-8")
            except OSError:
                raise ConfigError(
                    f"{target.path} (this repository's file) not found in the working tree",
                    file=path,
                    field="_extends",
                ) from None
        elif fetch is None:
            raise ConfigError(
                f"{declared[0]!r} is read from {target.repository} through the GitHub API; "
                "offline it cannot be followed",
                file=path,
                line=located.line_of(["_extends"]),
                field="_extends",
                hint="run with --github OWNER/REPO, or inline the base config",
            )
        else:
            text = fetch(target.repository, target.path)
        label = f"{target.repository}:{target.path}"
        base, _ = _read_yaml(text, label)
        if not isinstance(base, dict):
            raise ConfigError("the extended config is not a mapping", file=label)
        chain.append(base)
        current = base
    try:
        data = rd.merge_extends_chain(chain)
    except rd.DrafterConfigError as exc:
        raise ConfigError(str(exc), file=path, field=".".join(map(str, exc.key))) from None
    if overrides:
        data = {**data, **overrides}
    try:
        return rd.parse_config(data)
    except rd.DrafterConfigError as exc:
        raise ConfigError(
            str(exc),
            file=path,
            line=located.line_of(list(exc.key)) if exc.key else None,
            field=".".join(str(k) for k in exc.key) or None,
            expected=exc.expected,
        ) from None


def _load_json(path: str) -> Any:
    from lumen.fileio import read_json

    return read_json(path)


def commits_from_json(document: Any, file: str) -> list[rd.Commit]:
    """Commits from a GraphQL response (release-drafter's comparison, or a history), a list
    of commit nodes, or a list of pull requests (GraphQL nodes or REST objects: one commit
    each, the PR's own, so the contributors are the PR authors)."""
    try:
        if isinstance(document, dict):
            return [rd.Commit.from_mapping(node) for node in rd.history_nodes(document)]
        if not isinstance(document, list):
            raise InputError("expected a GraphQL response or a JSON list", file=file)
        out = []
        for index, item in enumerate(document):
            if not isinstance(item, dict):
                raise InputError(f"item {index} is not an object", file=file, field=f"[{index}]")
            if "associatedPullRequests" in item:
                out.append(rd.Commit.from_mapping(item))
            elif isinstance(item.get("number"), int):
                pr = rd.PullRequest.from_mapping(item)
                out.append(rd.Commit(id=f"pr-{pr.number}", pull_requests=(pr,)))
            else:
                raise InputError(
                    f"item {index} is neither a commit node nor a pull request with a 'number'",
                    file=file,
                    field=f"[{index}]",
                )
        return out
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"not a commit list or pull request list ({exc})", file=file) from None


def offline_data(
    *,
    commit_files: Sequence[str],
    releases_file: str | None,
    previous_tag: str | None,
    files_file: str | None,
    repository: str | None,
    path_files: Mapping[str, str] | None = None,
) -> tuple[DrafterData, str]:
    """The data files read, and the repository (given, else the one most PRs were merged
    into, else `owner/repo`)."""
    data = DrafterData(comparison_read=previous_tag is not None and releases_file is None)
    for file in commit_files:
        data.commits += commits_from_json(_load_json(file), file)
    if not repository:
        repository = infer_repository(data.commits) or "owner/repo"
    # A PR list from REST names no base repository: it is this one's.
    data.commits = [
        replace(
            c,
            pull_requests=tuple(
                pr if pr.base_repository else replace(pr, base_repository=repository)
                for pr in c.pull_requests
            ),
        )
        for c in data.commits
    ]
    if releases_file:
        document = _load_json(releases_file)
        if not isinstance(document, list) or not all(isinstance(r, dict) for r in document):
            raise InputError("expected a JSON list of release objects", file=releases_file)
        data.releases = [rd.Release.from_mapping(item) for item in document]
    elif previous_tag:
        data.releases = [rd.Release(tag_name=previous_tag)]
    if files_file:
        document = _load_json(files_file)
        if not isinstance(document, dict):
            raise InputError('expected {"<PR number>": [paths]}', file=files_file)
        for key, paths in document.items():
            if not str(key).isdigit() or not isinstance(paths, list):
                raise InputError(
                    "expected a PR number and a list of paths", file=files_file, field=str(key)
                )
            data.changed_files[int(key)] = [str(p) for p in paths]
    for path, file in (path_files or {}).items():
        # The commits that changed `path` (release-drafter's path-history query): the PRs of
        # those commits changed it.
        ids = {str(node.get("id")) for node in rd.history_nodes(_load_json(file))}
        for commit in data.commits:
            if commit.id in ids:
                for pr in commit.pull_requests:
                    files = data.changed_files.setdefault(pr.number, [])
                    if path not in files:
                        files.append(path)
    return data, repository


def infer_repository(commits: Sequence[rd.Commit]) -> str | None:
    """The repository most of the PRs were merged into (GraphQL data names it)."""
    from collections import Counter

    counts = Counter(
        pr.base_repository for c in commits for pr in c.pull_requests if pr.base_repository
    )
    return counts.most_common(1)[0][0] if counts else None


def with_changed_files(data: DrafterData) -> list[rd.Commit]:
    if not data.changed_files:
        return data.commits
    return [
        replace(
            c,
            pull_requests=tuple(
                replace(pr, changed_files=tuple(data.changed_files[pr.number]))
                if pr.number in data.changed_files
                else pr
                for pr in c.pull_requests
            ),
        )
        for c in data.commits
    ]


def run(
    config: rd.DrafterConfig,
    data: DrafterData,
    *,
    repository: str,
    ref: str,
    inputs: Mapping[str, str],
    server_url: str = "https://github.com",
) -> rd.ReleaseInfo:
    owner, _, repo = repository.partition("/")
    return rd.draft(
        config=config,
        commits=with_changed_files(data),
        releases=data.releases,
        owner=owner,
        repo=repo,
        ref=ref,
        inputs=inputs,
        new_contributor_logins=data.new_contributors,
        server_url=server_url,
        comparison_read=data.comparison_read,
    )


# Lumen's additions to a release-drafter body, switched on by `notes.additions`.
ADDITIONS = ("snapshot", "sbom-diff", "verifying")


def with_additions(
    body: str,
    *,
    additions: Sequence[str],
    snapshot: Sequence[Mapping[str, Any]],
    sbom_diff: str | None,
    repository: str,
    version: str,
    assets: Sequence[Any],
    workflow: str | None,
) -> str:
    """The body with Lumen's additions that the config switched on and the run has data for;
    with none switched on, release-drafter's body unchanged."""
    from release import notes as rn

    if "snapshot" in additions and snapshot:
        body = rn.insert_snapshot(body, rn.snapshot_table(list(snapshot)))
    if "sbom-diff" in additions and sbom_diff:
        body = body.rstrip("\n") + "\n\n## Dependency changes\n\n" + sbom_diff
    if "verifying" in additions and any(getattr(a, "bundle", None) for a in assets):
        deployment = rn.render_deployment(version, repository, list(assets), workflow=workflow)
        verifying = deployment[deployment.find("### Verifying") :]
        body = body.rstrip("\n") + "\n\n" + verifying.replace("### ", "## ", 1) + "\n"
    return body


def result_document(info: rd.ReleaseInfo, *, body: str, output: str | None) -> dict[str, Any]:
    """release-drafter's release payload (`name`, `tag_name`, `body`, `draft`,
    `prerelease`, `make_latest`, `target_commitish`) and action outputs, plus `version`."""
    document = info.as_json()
    document["body"] = body
    document["version"] = info.resolved_version
    document["output"] = output
    return document


def dump(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
