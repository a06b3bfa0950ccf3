"""Release notes in Lumen's own mode (`notes:` in the config, no release-drafter config):
merged PRs (a JSON list, or the commits since the previous tag on GitHub) into categorised
notes, a version and, when asked, a published release. release-drafter's mode is
`lumen.app.drafter`."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gates.errors import ConfigError, InputError, UsageError
from lumen.config import Config
from lumen.fileio import read_json
from release import notes as rn


@dataclass(frozen=True)
class NotesRequest:
    """What one `lumen notes` run asks for (paths as given on the command line)."""

    prs_json: str | None
    github: str | None
    repository: str | None
    server_url: str
    previous_tag: str | None
    target: str | None
    tag: str | None
    template: str | None = None
    snapshots: Sequence[str] = ()
    sbom: str | None = None
    previous_sbom: str | None = None
    assets: Sequence[str] = ()
    workflow: str | None = None


@dataclass(frozen=True)
class NotesOutcome:
    notes: rn.ReleaseNotes
    previous_tag: str | None
    repository: str | None
    # files to upload when publishing: the assets, the SBOM and their Sigstore bundles
    uploads: list[str] = field(default_factory=list)

    def document(self, *, body: str | None, release_url: str | None) -> dict[str, Any]:
        """The result JSON."""
        notes = self.notes
        return {
            "version": notes.version,
            "bump": notes.bump,
            "previous_tag": self.previous_tag,
            "sections": {title: list(numbers) for title, numbers in notes.sections},
            "contributors": list(notes.contributors.humans),
            "first_time_contributors": list(notes.contributors.first_time),
            "bots": list(notes.contributors.bots),
            "body": body,
            "release_url": release_url,
        }


def notes_config(config: Config, template: str | None) -> rn.NotesConfig:
    """The `notes:` section as `release.notes.NotesConfig`, with `--template` over it."""
    try:
        settings = rn.NotesConfig.from_mapping(config.get("notes") or {})
    except rn.NotesConfigError as exc:
        raise ConfigError(
            str(exc),
            file=config.file,
            line=config.line_of(["notes", *exc.key]),
            field="notes." + ".".join(str(k) for k in exc.key),
            expected="a valid /regex/flags (flags g, i, m, s) or a plain string",
        ) from None
    if template:
        try:
            text = Path(template).read_text("utf-8")
        except OSError:
            raise InputError("template not found", file=template) from None
        settings = rn.NotesConfig(**{**settings.__dict__, "template": text})
    return settings


def prs_from_json(path: str) -> list[dict[str, Any]]:
    data = read_json(path)
    if not isinstance(data, list):
        raise InputError("expected a JSON list of pull requests", file=path)
    for index, item in enumerate(data):
        if not isinstance(item, dict) or not isinstance(item.get("number"), int):
            raise InputError(
                f"item {index} is not a pull request object with a 'number'",
                file=path,
                field=f"[{index}]",
            )
    return data


def sbom_diff_markdown(previous: str | None, current: str | None) -> str | None:
    """The dependency changes since the previous release's SBOM, as Markdown."""
    if not previous or not current:
        return None
    from lumen.app.sbom import sbom_diff
    from release.sbom_diff import render_markdown

    return render_markdown(sbom_diff(previous, current)) or "No dependency changes.\n"


def release_assets(paths: Sequence[str]) -> tuple[list[str], list[rn.Asset]]:
    """(files to upload, assets for the notes). The SBOM and each `FILE.sigstore.json` next to
    an asset are uploaded too; a file listed twice (the SBOM also given as --asset, bundles in
    a whole-directory listing) is uploaded once, and a bundle is shown with its file."""
    unique = list(dict.fromkeys(os.path.normpath(path) for path in paths))
    bundles = {
        f"{path}.sigstore.json" for path in unique if Path(f"{path}.sigstore.json").is_file()
    }
    shown = [path for path in unique if path not in bundles]
    notes_assets = [
        rn.Asset(
            Path(path).name,
            Path(f"{path}.sigstore.json").name if f"{path}.sigstore.json" in bundles else None,
        )
        for path in shown
    ]
    return [*shown, *sorted(bundles)], notes_assets


def build(config: Config, request: NotesRequest) -> NotesOutcome:
    """The notes of this release."""
    settings = notes_config(config, request.template)
    previous_tag = request.previous_tag
    if request.prs_json:
        raw_prs = prs_from_json(request.prs_json)
    elif request.github is None:
        raise UsageError("give exactly one of --prs-json PATH or --github OWNER/REPO")
    else:
        from lumen.adapters.github.releases import fetch_merged_prs

        previous_tag, raw_prs = fetch_merged_prs(
            request.github, previous_tag=previous_tag, target=request.target, tag=request.tag
        )
    prs = [rn.PullRequest.from_github(item) for item in raw_prs]
    snapshot = (
        rn.snapshot_table([read_json(path) for path in request.snapshots])
        if request.snapshots
        else None
    )
    uploads, assets = release_assets([*request.assets, *([request.sbom] if request.sbom else [])])
    try:
        notes = rn.build_notes(
            prs,
            settings,
            previous_tag=previous_tag,
            tag=request.tag,
            repository=request.repository,
            server_url=request.server_url,
            assets=assets,
            snapshot=snapshot,
            sbom_diff=sbom_diff_markdown(request.previous_sbom, request.sbom),
            workflow=request.workflow,
        )
    except ValueError as exc:
        raise InputError(str(exc), field="--previous-tag") from None
    return NotesOutcome(
        notes=notes, previous_tag=previous_tag, repository=request.repository, uploads=uploads
    )


def publish(outcome: NotesOutcome, *, mode: str, target: str | None) -> str | None:
    """Create (or update) the GitHub release; its URL."""
    from lumen.adapters.github.releases import publish_release

    return publish_release(
        outcome.repository,
        tag=outcome.notes.version,
        body=outcome.notes.body,
        mode=mode,
        target=target,
        assets=outcome.uploads,
    )
