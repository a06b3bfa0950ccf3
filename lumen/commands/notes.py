"""Release notes from merged pull requests, with a gate snapshot (docs/reference.md#notes)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from gates.errors import ConfigError, UsageError
from lumen import actions_runtime as gha
from lumen.commands.common import config_of, drafter_config_of
from lumen.commands.options import add_require_approval, approval_request
from lumen.fileio import atomic_write, read_json
from lumen.outputs import JSON, Output, publish
from lumen.settings import default_text

# The step outputs this command writes in Actions (and its action.yml declares).
OUTPUTS = (
    Output("version", "the release version resolved from labels or conventional commits"),
    Output("body", "path of the notes Markdown"),
    Output("release-url", "URL of the GitHub Release when published"),
    Output("name", "release-drafter mode: the release name"),
    Output("tag-name", "release-drafter mode: the release tag"),
    Output("major-version", "release-drafter mode: major part of the resolved version"),
    Output("minor-version", "release-drafter mode: minor part of the resolved version"),
    Output("patch-version", "release-drafter mode: patch part of the resolved version"),
    JSON,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_argument_group("where the pull requests come from (one of)")
    source.add_argument(
        "--prs-json",
        metavar="PATH",
        help="JSON list of PR objects as GitHub's REST API returns them (offline)",
    )
    source.add_argument(
        "--github",
        metavar="OWNER/REPO",
        help="read merged PRs from GitHub (GITHUB_TOKEN, GITHUB_API_URL)",
    )
    parser.add_argument(
        "--previous-tag",
        metavar="T",
        help="previous release tag (default with --github: the latest release)",
    )
    parser.add_argument(
        "--tag", metavar="T", help="the new tag (default: resolved from the changes)"
    )
    parser.add_argument("--target", metavar="REF", help="commit or branch the release is cut from")
    parser.add_argument("--output", metavar="PATH", help="where to write the notes (Markdown)")
    parser.add_argument(
        "--template", metavar="FILE", help="template file (overrides notes.template)"
    )
    parser.add_argument(
        "--snapshot",
        action="append",
        metavar="RESULT_JSON",
        help="gate result JSON for the snapshot table (repeatable)",
    )
    parser.add_argument(
        "--asset",
        action="append",
        metavar="FILE",
        help="file attached to the release; FILE.sigstore.json is its bundle",
    )
    parser.add_argument(
        "--sbom", metavar="NEW_SBOM", help="this release's SBOM (attached when publishing)"
    )
    parser.add_argument(
        "--previous-sbom",
        metavar="OLD_SBOM",
        help="the previous release's SBOM: the notes list dependency changes",
    )
    parser.add_argument(
        "--repository",
        metavar="OWNER/REPO",
        help="for links and verify commands (default: --github or GITHUB_REPOSITORY)",
    )
    parser.add_argument(
        "--workflow", metavar="NAME", help="signing workflow name for the verify commands"
    )
    parser.add_argument(
        "--publish",
        choices=["draft", "prerelease", "release"],
        help="create or update the GitHub Release for the tag with the assets",
    )
    add_require_approval(
        parser,
        guards="publish",
        severity_default=f"approval.severity, shipped as {default_text('approval', 'severity')}",
    )
    parser.add_argument("--config", metavar="PATH", help="config file (default: .github/lumen.yml)")
    drafter = parser.add_argument_group(
        "release-drafter compatibility (its config file read unchanged, its output byte for byte)"
    )
    drafter.add_argument(
        "--drafter-config",
        metavar="PATH",
        help="a release-drafter config (default: .github/release-drafter.yml when it exists "
        "and the Lumen config has no notes: section)",
    )
    drafter.add_argument(
        "--drafter-input",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a release-drafter action input (tag, name, version, prerelease, commitish, "
        "header, footer, prerelease-identifier, latest, publish); repeatable",
    )
    drafter.add_argument(
        "--releases-json",
        metavar="PATH",
        help="offline: the repository's releases (REST list) for release-drafter's last-release "
        "choice; --prs-json may then be its GraphQL commit history (or a PR list)",
    )
    drafter.add_argument(
        "--component",
        metavar="NAME",
        help="monorepo: notes, tag and version of one component (notes.components.NAME: its "
        "paths, tag-prefix and categories)",
    )
    drafter.add_argument(
        "--path-history-json",
        action="append",
        default=[],
        metavar="PATH=FILE",
        help="offline: the commits that changed PATH (a GraphQL history response); their PRs "
        "count as changing it (for include-paths/exclude-paths); repeatable",
    )
    drafter.add_argument(
        "--pr-files-json",
        metavar="PATH",
        help='offline: each PR\'s changed files, {"<number>": [paths]} (for path conditions)',
    )
    parser.add_argument("--json", metavar="PATH", help="write version, bump, sections as JSON")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")


def _drafter_config_path(args: argparse.Namespace, config: Any) -> str | None:
    """release-drafter mode: --drafter-config, else notes.drafter-config, else the repository's
    .github/release-drafter.yml when the Lumen config has no notes: section."""
    configured = drafter_config_of(args)
    if configured is not None:
        return configured
    from lumen.app.drafter import DEFAULT_DRAFTER_CONFIG

    if config.get("notes") is None and Path(DEFAULT_DRAFTER_CONFIG).is_file():
        return DEFAULT_DRAFTER_CONFIG
    return None


def run(args: argparse.Namespace) -> int:
    if bool(args.prs_json) == bool(args.github):
        raise UsageError("give exactly one of --prs-json PATH or --github OWNER/REPO")
    if args.require_approval and not args.publish:
        raise UsageError("--require-approval guards publishing: give --publish too")
    if args.previous_sbom and not args.sbom:
        raise UsageError("--previous-sbom needs --sbom (this release's SBOM) to compare with")
    config = config_of(args)
    drafter_path = _drafter_config_path(args, config)
    if drafter_path is not None or args.component:
        return _run_drafter(args, config, drafter_path)
    if args.drafter_input or args.releases_json or args.pr_files_json or args.path_history_json:
        raise UsageError(
            "--drafter-input, --releases-json and --pr-files-json need a release-drafter "
            "config (--drafter-config PATH)"
        )
    from lumen.app import notes as app

    ctx = gha.GitHubContext.from_env()
    repository = args.repository or args.github or ctx.repository
    outcome = app.build(
        config,
        app.NotesRequest(
            prs_json=args.prs_json,
            github=args.github,
            repository=repository,
            server_url=ctx.server_url,
            previous_tag=args.previous_tag,
            target=args.target or ctx.sha,
            tag=args.tag,
            template=args.template,
            snapshots=tuple(args.snapshot or ()),
            sbom=args.sbom,
            previous_sbom=args.previous_sbom,
            assets=tuple(args.asset or ()),
            workflow=args.workflow,
        ),
    )
    notes = outcome.notes
    if args.output:
        atomic_write(args.output, notes.body)
    elif not args.quiet:
        print(notes.body, end="")
    release_url = None
    if args.publish:
        if args.require_approval:
            _require_approval(args, repository)
        release_url = app.publish(outcome, mode=args.publish, target=args.target or ctx.sha)
    if args.json:
        from lumen.fileio import write_json

        write_json(args.json, outcome.document(body=args.output, release_url=release_url))
    if args.output and not args.quiet:
        print(f"{notes.version} ({notes.bump}): wrote {args.output}")
    publish(
        OUTPUTS,
        {"version": notes.version, "body": args.output or "", "release-url": release_url or ""},
        json_path=args.json,
    )
    return 0


def _component(config: Any, name: str) -> dict[str, Any]:
    section = config.get("notes")
    components = section.get("components") if isinstance(section, dict) else None
    if not isinstance(components, dict) or name not in components:
        known = ", ".join(sorted(components)) if isinstance(components, dict) else "none"
        raise ConfigError(
            f"no component {name!r} in notes.components (known: {known})",
            file=config.file,
            field=f"notes.components.{name}",
            expected="a component with paths and a tag-prefix",
        )
    from lumen.app.drafter import component_overrides

    return component_overrides(name, components[name])


def _run_drafter(args: argparse.Namespace, config: Any, path: str | None) -> int:
    """release-drafter's run: the body, name and tag it would write, byte for byte; Lumen's
    additions only where the notes: section's `additions` switches them on."""
    from lumen.app import drafter as app
    from lumen.app import notes as notes_app

    ctx = gha.GitHubContext.from_env()
    repository = args.repository or args.github or ctx.repository
    if repository and "/" not in repository:
        raise UsageError(f"--repository {repository!r}: expected OWNER/REPO")
    inputs = app.parse_inputs(args.drafter_input)
    if args.tag and "tag" not in inputs:
        inputs["tag"] = args.tag
    fetch = None
    if args.github:
        from lumen.adapters.github.history import fetch_file

        fetch = fetch_file
    overrides = _component(config, args.component) if args.component else None
    drafter_config = app.load_config(path, repository=repository, fetch=fetch, overrides=overrides)
    for warning in drafter_config.warnings:
        print(f"lumen notes: {path}: {warning}", file=sys.stderr)
    ref = args.target or ctx.ref or ""
    if args.github:
        from lumen.adapters.github.history import read_drafter_data

        repository = str(repository)
        data = read_drafter_data(
            repository, drafter_config.with_inputs(inputs, default_commitish=ref), inputs
        )
    else:
        data, repository = app.offline_data(
            commit_files=[args.prs_json],
            releases_file=args.releases_json,
            previous_tag=args.previous_tag,
            files_file=args.pr_files_json,
            repository=repository,
            path_files=_path_files(args.path_history_json),
        )
    info = app.run(
        drafter_config,
        data,
        repository=repository,
        ref=ref,
        inputs=inputs,
        server_url=ctx.server_url,
    )
    body = app.with_additions(
        info.body,
        additions=_additions(config),
        snapshot=[read_json(p) for p in args.snapshot or []],
        sbom_diff=notes_app.sbom_diff_markdown(args.previous_sbom, args.sbom),
        repository=repository,
        version=info.tag or info.resolved_version,
        assets=notes_app.release_assets([*(args.asset or []), *([args.sbom] if args.sbom else [])])[
            1
        ],
        workflow=args.workflow,
    )
    if args.output:
        atomic_write(args.output, body)
    elif not args.quiet:
        sys.stdout.write(body)  # byte for byte, as release-drafter's body output
    release_url = None
    if args.publish:
        from lumen.adapters.github.releases import publish_release

        if args.require_approval:
            _require_approval(args, repository)
        upload, _ = notes_app.release_assets(
            [*(args.asset or []), *([args.sbom] if args.sbom else [])]
        )
        release_url = publish_release(
            repository,
            tag=info.tag or info.resolved_version,
            name=info.name or None,
            body=body,
            mode=args.publish,
            target=info.target_commitish or args.target or ctx.sha,
            assets=upload,
        )
    document = app.result_document(info, body=body, output=args.output)
    document["release_url"] = release_url
    if args.json:
        from lumen.fileio import write_json

        write_json(args.json, document)
    if args.output and not args.quiet:
        print(f"{info.tag or info.resolved_version}: wrote {args.output}")
    publish(
        OUTPUTS,
        {
            "version": info.resolved_version,
            "body": args.output or "",
            "release-url": release_url or "",
            "name": info.name,
            "tag-name": info.tag,
            "major-version": info.major_version,
            "minor-version": info.minor_version,
            "patch-version": info.patch_version,
        },
        json_path=args.json,
    )
    return 0


def _path_files(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, file = pair.partition("=")
        if not sep or not key or not file:
            raise UsageError(f"--path-history-json {pair!r}: expected PATH=FILE")
        out[key] = file
    return out


def _additions(config: Any) -> tuple[str, ...]:
    section = config.get("notes")
    if isinstance(section, dict):
        return tuple(section.get("additions") or ())
    return ()


def _require_approval(args: argparse.Namespace, repository: str | None) -> None:
    """Refuse to publish without the approval quorum (as `flipback execute` does), on the
    release's repository (--github counts too)."""
    from lumen.app.approval import require_quorum

    require_quorum(
        approval_request(args, repository=repository),
        gha.GitHubContext.from_env(),
        refused="publishing refused",
        unchanged="nothing was published",
    )
